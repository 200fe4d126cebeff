//! `[keys]` applied to the defaults: each entry replaces its action's keys. An unknown action,
//! a key that cannot be read, or a key left on two actions (two entries, or an entry and a
//! default it did not move) is a config problem at the entry's line and column; the config is
//! refused rather than half applied.

use super::key::{KeyPress, SYNTAX};
use super::{Action, Keymap, CTRL_C};
use opsdeck_core::config::keys::{KeysConfig, Place};
use opsdeck_core::config::ConfigProblem;

fn problem(at: Place, message: String) -> ConfigProblem {
    ConfigProblem { line: at.line, column: at.column, message }
}

impl Keymap {
    /// The defaults with `keys` applied, or every problem found in it.
    pub fn from_config(keys: &KeysConfig) -> Result<Keymap, Vec<ConfigProblem>> {
        let mut keymap = Keymap::default();
        let mut problems = Vec::new();
        // Each entry read: its action and its keys with their places, in file order.
        let mut rebound: Vec<(Action, Vec<(KeyPress, Place)>)> = Vec::new();
        for entry in &keys.entries {
            let Some(action) = Action::from_name(&entry.action) else {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                let message = format!("[keys]: no action `{}`; the actions are {}", entry.action, names.join(", "));
                problems.push(problem(entry.at, message));
                continue;
            };
            let mut presses: Vec<(KeyPress, Place)> = Vec::new();
            for k in &entry.keys {
                match KeyPress::parse(&k.text) {
                    None => problems.push(problem(
                        k.at,
                        format!("[keys] {}: `{}` is not a key: write {SYNTAX}", action.name(), k.text),
                    )),
                    Some(p) if p == CTRL_C && action != Action::Quit => problems.push(problem(
                        k.at,
                        format!("[keys] {}: ctrl-c always quits; pick another key", action.name()),
                    )),
                    Some(p) if presses.iter().any(|(q, _)| *q == p) => {}
                    Some(p) => presses.push((p, k.at)),
                }
            }
            rebound.push((action, presses));
        }
        for (action, presses) in &rebound {
            if let Some(b) = keymap.bindings.iter_mut().find(|b| b.action == *action) {
                b.keys = presses.iter().map(|(p, _)| *p).collect();
                b.label = presses.iter().map(|(p, _)| p.label()).collect::<Vec<_>>().join("/");
            }
        }
        for (i, (action, presses)) in rebound.iter().enumerate() {
            for (press, at) in presses {
                for other in keymap.bindings.iter().filter(|b| b.action != *action && b.keys.contains(press)) {
                    let message = match rebound.iter().position(|(a, _)| *a == other.action) {
                        // Two entries on one key: said once, at the later one.
                        Some(j) if j > i => continue,
                        Some(_) => format!(
                            "[keys] {}: `{}` is also given to {} above; one key, one action",
                            action.name(),
                            press.label(),
                            other.action.name()
                        ),
                        None => format!(
                            "[keys] {}: `{}` is {}'s key by default; give {} another key too",
                            action.name(),
                            press.label(),
                            other.action.name(),
                            other.action.name()
                        ),
                    };
                    problems.push(problem(*at, message));
                }
            }
        }
        if problems.is_empty() {
            Ok(keymap)
        } else {
            problems.sort_by_key(|p| (p.line, p.column));
            Err(problems)
        }
    }
}

/// The fixture config's keymap with `keys` as its `[keys]` table (which must be valid).
#[cfg(test)]
pub(crate) fn gen_keymap(keys: &str) -> Keymap {
    let text = format!("{}\n[keys]\n{keys}", crate::test_support::CONFIG);
    let config = opsdeck_core::config::parse_str(&text).expect("config parses");
    Keymap::from_config(&config.keys).expect("valid [keys]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// A whole config (the core's fixture) with `keys` appended as its `[keys]` table.
    fn keymap(keys: &str) -> Result<Keymap, Vec<String>> {
        let text = format!("{}\n[keys]\n{keys}", crate::test_support::CONFIG);
        let config = opsdeck_core::config::parse_str(&text).map_err(|ps| {
            ps.iter().map(|p| format!("parse {}:{}: {}", p.line, p.column, p.message)).collect::<Vec<_>>()
        })?;
        // Lines counted within `keys`: the fixture and the table header come first.
        let first = text.lines().position(|l| l == "[keys]").unwrap_or(0) + 2;
        Keymap::from_config(&config.keys)
            .map_err(|ps| ps.iter().map(|p| format!("{}:{}: {}", p.line + 1 - first, p.column, p.message)).collect())
    }

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn a_rebinding_moves_the_action_and_its_label() {
        let k = keymap("canary = \"ctrl-r\"\npromote = [\"c\", \"f5\"]\nrollback = \"enter\"\nconfirm = \"tab\"\nnext_pane = \"shift-down\"\n")
            .expect("valid");
        assert_eq!(k.action_for(&press(KeyCode::Char('r'), KeyModifiers::CONTROL)), Some(Action::Canary));
        assert_eq!(k.action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)), Some(Action::Promote));
        assert_eq!(k.action_for(&press(KeyCode::F(5), KeyModifiers::NONE)), Some(Action::Promote));
        assert_eq!(k.action_for(&press(KeyCode::Enter, KeyModifiers::NONE)), Some(Action::Rollback));
        assert_eq!(k.action_for(&press(KeyCode::Down, KeyModifiers::SHIFT)), Some(Action::NextPane));
        // The old keys are free.
        assert_eq!(k.action_for(&press(KeyCode::Char('p'), KeyModifiers::NONE)), None);
        assert_eq!(k.action_for(&press(KeyCode::Char('r'), KeyModifiers::NONE)), None);
        assert_eq!(k.label(Action::Promote), "c/F5");
        assert_eq!(k.label(Action::Canary), "Ctrl-r");
        // Untouched bindings keep their keys and labels.
        assert_eq!(k.label(Action::Down), "↓/j");
    }

    #[test]
    fn a_key_on_two_actions_is_refused_where_it_is_written() {
        // `c` is canary's by default, and canary was not moved.
        assert_eq!(
            keymap("quit = \"Q\"\npromote = \"c\"\n").expect_err("conflict"),
            vec!["2:11: [keys] promote: `c` is canary's key by default; give canary another key too"]
        );
        // Two entries on one key: said once, at the second.
        assert_eq!(
            keymap("promote = \"F5\"\ncanary = [\"c\", \"f5\"]\nreject = \"z\"\n").expect_err("conflict"),
            vec!["2:16: [keys] canary: `F5` is also given to promote above; one key, one action"]
        );
        // Swapping two keys is fine.
        assert!(keymap("promote = \"c\"\ncanary = \"p\"\n").is_ok());
    }

    #[test]
    fn an_unknown_action_is_refused() {
        let e = keymap("quit = \"Q\"\npromte = \"p\"\n").expect_err("unknown");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("2:1: [keys]: no action `promte`; the actions are quit, next_pane"), "{e:?}");
        assert!(e[0].contains("copy_command"), "{e:?}");
    }

    #[test]
    fn a_key_that_cannot_be_read_is_refused() {
        let e =
            keymap("promote = [\"p\", \"ctrl-\"]\ncanary = \"hyper-c\"\nabort = \"ctrl-c\"\n").expect_err("bad keys");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("1:17: [keys] promote: `ctrl-` is not a key: write a character"), "{e:?}");
        assert!(e[1].starts_with("2:10: [keys] canary: `hyper-c` is not a key"), "{e:?}");
        assert_eq!(e[2], "3:9: [keys] abort: ctrl-c always quits; pick another key");
    }
}
