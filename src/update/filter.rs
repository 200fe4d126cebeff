//! Typing into a filter-as-you-type line (the Audit view's and the Logs view's): one place
//! decides which keys edit it and how long it may grow.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A filter longer than this is not useful and only costs matching time.
const MAX_FILTER: usize = 64;

/// Applies `key` to `filter` when it edits it (Backspace, a printable character); returns
/// whether it did, so the caller can move its view back to the newest row.
pub(super) fn edit(filter: &mut String, key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Backspace => filter.pop().is_some(),
        KeyCode::Char(c)
            if !key.modifiers.contains(KeyModifiers::CONTROL)
                && !c.is_control()
                && filter.chars().count() < MAX_FILTER =>
        {
            filter.push(c);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keys_edit_and_the_length_is_bounded() {
        let mut f = String::new();
        assert!(edit(&mut f, &KeyEvent::from(KeyCode::Char('x'))));
        assert!(!edit(&mut f, &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(edit(&mut f, &KeyEvent::from(KeyCode::Backspace)));
        assert!(!edit(&mut f, &KeyEvent::from(KeyCode::Backspace)), "nothing left to remove");
        for _ in 0..100 {
            edit(&mut f, &KeyEvent::from(KeyCode::Char('a')));
        }
        assert_eq!(f.chars().count(), MAX_FILTER);
    }
}
