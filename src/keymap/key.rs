//! One key with its modifiers ([`KeyPress`]): read from the text a config writes (`"p"`,
//! `"ctrl-r"`, `"enter"`, `"f5"`), shown as the help writes it (`Ctrl-r`, `Enter`, `F5`), and
//! made from a terminal's key event so that the two compare.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key and the modifiers that count (Ctrl, Alt; Shift only on keys that have no upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

/// How the keys are written in `[keys]`, for error messages.
pub const SYNTAX: &str = "a character (\"p\", \"P\", \"?\"), or a name (enter, esc, tab, backtab, space, \
     backspace, delete, insert, up, down, left, right, home, end, pageup, pagedown, f1 to f12), \
     after any of ctrl-, alt-, shift-";

impl KeyPress {
    pub const fn plain(code: KeyCode) -> KeyPress {
        KeyPress { code, mods: KeyModifiers::NONE }
    }

    pub const fn char(c: char) -> KeyPress {
        KeyPress::plain(KeyCode::Char(c))
    }

    /// The key an event stands for, with only the modifiers a binding can name. Shift is part of
    /// a character (`P`) and of BackTab already; Ctrl with a letter comes lower case from most
    /// terminals, so it is compared lower case.
    pub fn of_event(key: &KeyEvent) -> KeyPress {
        let mut mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = key.code;
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        if let KeyCode::Char(c) = code {
            if mods.contains(KeyModifiers::CONTROL) {
                code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        KeyPress { code, mods }
    }

    /// Reads a key as `[keys]` writes it; None when it is not one ([`SYNTAX`]).
    pub fn parse(text: &str) -> Option<KeyPress> {
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        // A prefix counts only when something follows it: `ctrl--` is Ctrl with `-`.
        loop {
            let lower = rest.to_ascii_lowercase();
            let found =
                [("ctrl-", KeyModifiers::CONTROL), ("alt-", KeyModifiers::ALT), ("shift-", KeyModifiers::SHIFT)]
                    .into_iter()
                    .find(|(p, _)| lower.starts_with(p) && rest.len() > p.len());
            match found {
                Some((p, m)) => {
                    mods |= m;
                    rest = &rest[p.len()..];
                }
                None => break,
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyCode::Char(c),
            _ => named(&rest.to_ascii_lowercase())?,
        };
        let event = KeyEvent::new(code, mods);
        let mut key = KeyPress::of_event(&event);
        // Shift with a character is its upper case; Shift-Tab is BackTab.
        if mods.contains(KeyModifiers::SHIFT) {
            match key.code {
                KeyCode::Char(c) if c.is_alphabetic() && !mods.contains(KeyModifiers::CONTROL) => {
                    key.code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                }
                KeyCode::Char(_) => return None,
                KeyCode::Tab => key = KeyPress { code: KeyCode::BackTab, mods: key.mods - KeyModifiers::SHIFT },
                _ => {}
            }
        }
        Some(key)
    }

    /// The key as the help and the status bar show it.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            out.push_str("Shift-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            // Spelled here, not by crossterm's Display, which names some keys per platform.
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        out.push_str(&name);
        out
    }
}

fn named(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        f if f.starts_with('f') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=12) => KeyCode::F(n),
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(code: KeyCode, mods: KeyModifiers) -> KeyPress {
        KeyPress { code, mods }
    }

    #[test]
    fn keys_read_as_written() {
        assert_eq!(KeyPress::parse("p"), Some(KeyPress::char('p')));
        assert_eq!(KeyPress::parse("P"), Some(KeyPress::char('P')));
        assert_eq!(KeyPress::parse("shift-p"), Some(KeyPress::char('P')));
        assert_eq!(KeyPress::parse("-"), Some(KeyPress::char('-')));
        assert_eq!(KeyPress::parse("ctrl-r"), Some(with(KeyCode::Char('r'), KeyModifiers::CONTROL)));
        assert_eq!(KeyPress::parse("Ctrl-R"), Some(with(KeyCode::Char('r'), KeyModifiers::CONTROL)));
        assert_eq!(KeyPress::parse("ctrl--"), Some(with(KeyCode::Char('-'), KeyModifiers::CONTROL)));
        assert_eq!(KeyPress::parse("alt-enter"), Some(with(KeyCode::Enter, KeyModifiers::ALT)));
        assert_eq!(KeyPress::parse("shift-tab"), Some(KeyPress::plain(KeyCode::BackTab)));
        assert_eq!(KeyPress::parse("shift-up"), Some(with(KeyCode::Up, KeyModifiers::SHIFT)));
        assert_eq!(KeyPress::parse("F5"), Some(KeyPress::plain(KeyCode::F(5))));
        assert_eq!(KeyPress::parse("space"), Some(KeyPress::char(' ')));
        assert_eq!(KeyPress::parse("esc"), Some(KeyPress::plain(KeyCode::Esc)));
        for bad in ["", "ctrl-", "f13", "f0", "pp", "hyper-x", "shift-?", "\u{1b}"] {
            assert_eq!(KeyPress::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn events_compare_with_what_was_written() {
        let ev = |code, mods| KeyPress::of_event(&KeyEvent::new(code, mods));
        assert_eq!(ev(KeyCode::Char('P'), KeyModifiers::SHIFT), KeyPress::char('P'));
        assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), KeyPress::plain(KeyCode::BackTab));
        assert_eq!(ev(KeyCode::Char('R'), KeyModifiers::CONTROL), KeyPress::parse("ctrl-r").expect("key"));
        assert_ne!(ev(KeyCode::Char('r'), KeyModifiers::ALT), KeyPress::char('r'));
    }

    #[test]
    fn labels_read_like_the_help() {
        let label = |t: &str| KeyPress::parse(t).expect("key").label();
        assert_eq!(label("ctrl-r"), "Ctrl-r");
        assert_eq!(label("f5"), "F5");
        assert_eq!(label("enter"), "Enter");
        assert_eq!(label("space"), "Space");
        assert_eq!(label("alt-up"), "Alt-↑");
    }
}
