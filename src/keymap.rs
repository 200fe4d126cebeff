//! Default key bindings as data: each key maps to an [`Action`] with a description. The help
//! overlay and the status bar's hints are generated from this table, so they cannot drift from
//! what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for, before `update` decides what it means in the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextPane,
    PrevPane,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    Help,
    Close,
    /// Promote into the selected environment (the ladder's image, or the selected image).
    Promote,
    /// Roll back the selected environment (to the idle slot's release, or the selected image).
    Rollback,
    /// Promote into the selected environment stage by stage (a canary).
    Canary,
    /// Point HAProxy back at the running slot when it disagrees.
    Reapply,
    /// Confirm the open confirmation.
    Confirm,
    /// Approve the selected request (after a view of exactly what it will run).
    Approve,
    /// Reject the selected request, with a reason.
    Reject,
    /// Open or close the Audit view.
    Audit,
    /// Filter the Audit view as you type.
    Filter,
    /// Open or close the health chart of the selected slot.
    HealthChart,
    /// Silence the selected alert (a form: matchers, duration, comment).
    Silence,
    /// Open the silences list (expire one from there).
    Silences,
    /// Abort our running action: switch traffic back while it drains, else cancel it.
    Abort,
    /// A canary of ours holding a stage: pass the stage now.
    NextStage,
    /// Images pane: prune the selected service's registry images that nothing needs.
    Prune,
    /// The command palette: type a command (`promote api prod`, `logs web dev`, `audit`).
    Palette,
    /// Open the Logs view: every slot of the selected service in the selected environment, or
    /// the Health pane's selected slot.
    Logs,
    /// Logs view: pause or follow again. A canary of ours holding a stage: pause or resume its
    /// clock (it is still judged).
    Pause,
    /// Logs view: a page back.
    PageUp,
    /// Logs view: a page forward.
    PageDown,
    /// Logs view: wrap long lines, or cut them at the edge.
    Wrap,
    /// Logs view: show or hide each line's time.
    Timestamps,
    /// List the runbooks.
    Runbooks,
}

/// One binding: the keys, shown as text, what they do, and whether the status bar hints them.
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub label: &'static str,
    pub action: Action,
    pub desc: &'static str,
    pub hint: bool,
}

pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[KeyCode::Tab], label: "Tab", action: Action::NextPane, desc: "next pane", hint: true },
    Binding { keys: &[KeyCode::BackTab], label: "S-Tab", action: Action::PrevPane, desc: "previous pane", hint: false },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        action: Action::Up,
        desc: "move up",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        action: Action::Down,
        desc: "move down",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Left, KeyCode::Char('h')],
        label: "←/h",
        action: Action::Left,
        desc: "previous environment",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Right, KeyCode::Char('l')],
        label: "→/l",
        action: Action::Right,
        desc: "next environment",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Home, KeyCode::Char('g')],
        label: "g",
        action: Action::Top,
        desc: "first row",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::End, KeyCode::Char('G')],
        label: "G",
        action: Action::Bottom,
        desc: "last row",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('p')],
        label: "p",
        action: Action::Promote,
        desc: "promote into the selected environment",
        hint: true,
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        label: "c",
        action: Action::Canary,
        desc: "canary into the selected environment",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        action: Action::Rollback,
        desc: "roll back the selected environment",
        hint: true,
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        label: "R",
        action: Action::Reapply,
        desc: "re-apply the live slot to HAProxy",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: Action::Confirm,
        desc: "open detail or runbook / confirm",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('v')],
        label: "v",
        action: Action::HealthChart,
        desc: "slot health chart",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('a')],
        label: "a",
        action: Action::Approve,
        desc: "approve the selected request",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('x')],
        label: "x",
        action: Action::Reject,
        desc: "reject the selected request",
        hint: false,
    },
    Binding { keys: &[KeyCode::Char('A')], label: "A", action: Action::Audit, desc: "audit trail", hint: false },
    Binding { keys: &[KeyCode::Char('b')], label: "b", action: Action::Runbooks, desc: "runbooks", hint: false },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        action: Action::Filter,
        desc: "filter the audit trail or the logs",
        hint: false,
    },
    Binding { keys: &[KeyCode::Char('L')], label: "L", action: Action::Logs, desc: "follow the logs", hint: false },
    Binding { keys: &[KeyCode::Char(' ')], label: "Space", action: Action::Pause, desc: "pause / go on", hint: false },
    Binding { keys: &[KeyCode::PageUp], label: "PgUp", action: Action::PageUp, desc: "page up", hint: false },
    Binding { keys: &[KeyCode::PageDown], label: "PgDn", action: Action::PageDown, desc: "page down", hint: false },
    Binding { keys: &[KeyCode::Char('w')], label: "w", action: Action::Wrap, desc: "wrap long lines", hint: false },
    Binding {
        keys: &[KeyCode::Char('t')],
        label: "t",
        action: Action::Timestamps,
        desc: "timestamps on / off",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        action: Action::Silence,
        desc: "silence the selected alert",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('S')],
        label: "S",
        action: Action::Silences,
        desc: "silences (x expires)",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('C')],
        label: "C",
        action: Action::Abort,
        desc: "abort the running action",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('>')],
        label: ">",
        action: Action::NextStage,
        desc: "next canary stage now",
        hint: false,
    },
    Binding {
        keys: &[KeyCode::Char('P')],
        label: "P",
        action: Action::Prune,
        desc: "prune unused images (Images pane)",
        hint: false,
    },
    Binding { keys: &[KeyCode::Char(':')], label: ":", action: Action::Palette, desc: "command palette", hint: false },
    Binding {
        keys: &[KeyCode::Char('?')],
        label: "?",
        action: Action::Help,
        desc: "show or hide this help",
        hint: true,
    },
    Binding { keys: &[KeyCode::Esc], label: "Esc", action: Action::Close, desc: "close the overlay", hint: false },
    Binding { keys: &[KeyCode::Char('q')], label: "q", action: Action::Quit, desc: "quit", hint: true },
];

/// The action bound to `key`, if any. Ctrl-C always quits.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    BINDINGS.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn keys_map_to_actions() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(action_for(&key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(action_for(&key(KeyCode::Tab)), Some(Action::NextPane));
        assert_eq!(action_for(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(action_for(&key(KeyCode::Char('z'))), None);
    }
}
