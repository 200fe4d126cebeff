//! Typing into a filter-as-you-type line (the Audit view's and the Logs view's): one place
//! decides which keys edit it and how long it may grow.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A filter longer than this is not useful and only costs matching time.
const MAX_FILTER: usize = 64;

/// What a key did to a filter being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FilterKey {
    /// The filter's text changed (typed, erased, or cleared by Esc): show from the newest row.
    Changed,
    /// Enter: typing ends, the filter stays.
    Kept,
    /// Ctrl-C: quit, as everywhere else.
    Quit,
    /// Not the filter's key (the view may use it: arrows).
    Other,
}

/// Applies `key` to a filter line being typed: printable characters and Backspace edit it, Esc
/// clears it and ends typing, Enter ends typing and keeps it.
pub(super) fn edit(filter: &mut String, editing: &mut bool, key: &KeyEvent) -> FilterKey {
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => FilterKey::Quit,
        KeyCode::Esc => {
            filter.clear();
            *editing = false;
            FilterKey::Changed
        }
        KeyCode::Enter => {
            *editing = false;
            FilterKey::Kept
        }
        KeyCode::Backspace if filter.pop().is_some() => FilterKey::Changed,
        KeyCode::Char(c)
            if !key.modifiers.contains(KeyModifiers::CONTROL)
                && !c.is_control()
                && filter.chars().count() < MAX_FILTER =>
        {
            filter.push(c);
            FilterKey::Changed
        }
        _ => FilterKey::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keys_edit_and_the_length_is_bounded() {
        let (mut f, mut editing) = (String::new(), true);
        let mut key = |f: &mut String, k: KeyEvent| edit(f, &mut editing, &k);
        assert_eq!(key(&mut f, KeyEvent::from(KeyCode::Char('x'))), FilterKey::Changed);
        assert_eq!(key(&mut f, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), FilterKey::Quit);
        assert_eq!(key(&mut f, KeyEvent::from(KeyCode::Backspace)), FilterKey::Changed);
        assert_eq!(key(&mut f, KeyEvent::from(KeyCode::Backspace)), FilterKey::Other, "nothing left to remove");
        for _ in 0..100 {
            key(&mut f, KeyEvent::from(KeyCode::Char('a')));
        }
        assert_eq!(f.chars().count(), MAX_FILTER);
        assert_eq!(key(&mut f, KeyEvent::from(KeyCode::Enter)), FilterKey::Kept);
        assert_eq!(f.chars().count(), MAX_FILTER, "Enter keeps the filter");
        assert!(!editing);
    }

    #[test]
    fn esc_clears_and_ends_typing() {
        let (mut f, mut editing) = ("err".to_string(), true);
        assert_eq!(edit(&mut f, &mut editing, &KeyEvent::from(KeyCode::Esc)), FilterKey::Changed);
        assert!(f.is_empty() && !editing);
    }
}
