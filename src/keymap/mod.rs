//! Key bindings as data. [`Keymap`] is the table the model holds: the defaults
//! ([`defaults::DEFAULTS`]) with the config's `[keys]` applied ([`config`]). The help overlay, the
//! status bar's hints and the palette are generated from it, so they cannot drift from what the
//! keys do.

mod config;
mod defaults;
mod key;

#[cfg(test)]
pub(crate) use config::gen_keymap;
pub use key::KeyPress;

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
    /// Copy the selection's digest or tag to the terminal's clipboard (OSC 52, works over SSH).
    Copy,
    /// Copy the command line that does what the selection's key does (`opsdeck promote ...`).
    CopyCommand,
}

impl Action {
    /// Every action, in the order the defaults list them.
    pub const ALL: [Action; 36] = [
        Action::Quit,
        Action::NextPane,
        Action::PrevPane,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::Top,
        Action::Bottom,
        Action::Help,
        Action::Close,
        Action::Promote,
        Action::Rollback,
        Action::Canary,
        Action::Reapply,
        Action::Confirm,
        Action::Approve,
        Action::Reject,
        Action::Audit,
        Action::Filter,
        Action::HealthChart,
        Action::Silence,
        Action::Silences,
        Action::Abort,
        Action::NextStage,
        Action::Prune,
        Action::Palette,
        Action::Logs,
        Action::Pause,
        Action::PageUp,
        Action::PageDown,
        Action::Wrap,
        Action::Timestamps,
        Action::Runbooks,
        Action::Copy,
        Action::CopyCommand,
    ];

    /// The action's name in `[keys]`: its variant in snake case.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Help => "help",
            Action::Close => "close",
            Action::Promote => "promote",
            Action::Rollback => "rollback",
            Action::Canary => "canary",
            Action::Reapply => "reapply",
            Action::Confirm => "confirm",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Audit => "audit",
            Action::Filter => "filter",
            Action::HealthChart => "health_chart",
            Action::Silence => "silence",
            Action::Silences => "silences",
            Action::Abort => "abort",
            Action::NextStage => "next_stage",
            Action::Prune => "prune",
            Action::Palette => "palette",
            Action::Logs => "logs",
            Action::Pause => "pause",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Wrap => "wrap",
            Action::Timestamps => "timestamps",
            Action::Runbooks => "runbooks",
            Action::Copy => "copy",
            Action::CopyCommand => "copy_command",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One binding: the keys, shown as text, what they do, and whether the status bar hints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeyPress>,
    pub label: String,
    pub action: Action,
    pub desc: &'static str,
    pub hint: bool,
}

/// The bindings in force, in the help's order: one per action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        let bindings = defaults::DEFAULTS
            .iter()
            .map(|d| Binding {
                keys: d.keys.to_vec(),
                label: d.label.to_string(),
                action: d.action,
                desc: d.desc,
                hint: d.hint,
            })
            .collect();
        Keymap { bindings }
    }
}

/// Ctrl-C quits whatever the config says: the way out that always works.
const CTRL_C: KeyPress = KeyPress { code: KeyCode::Char('c'), mods: KeyModifiers::CONTROL };

impl Keymap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action bound to `key`, if any. Ctrl-C always quits.
    pub fn action_for(&self, key: &KeyEvent) -> Option<Action> {
        let press = KeyPress::of_event(key);
        if press == CTRL_C {
            return Some(Action::Quit);
        }
        self.bindings.iter().find(|b| b.keys.contains(&press)).map(|b| b.action)
    }

    /// How the help shows `action`'s keys (`p`, `↑/k`), for lines that name a key.
    pub fn label(&self, action: Action) -> &str {
        self.bindings.iter().find(|b| b.action == action).map(|b| b.label.as_str()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in Keymap::default().bindings() {
            for k in &b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn every_action_has_one_default_binding_and_a_name() {
        let keymap = Keymap::default();
        for a in Action::ALL {
            assert_eq!(keymap.bindings().iter().filter(|b| b.action == a).count(), 1, "{a:?}");
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::NextPane.name(), "next_pane");
        assert_eq!(Action::from_name("promote"), Some(Action::Promote));
    }

    #[test]
    fn keys_map_to_actions() {
        let keymap = Keymap::default();
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(keymap.action_for(&key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(keymap.action_for(&key(KeyCode::Tab)), Some(Action::NextPane));
        assert_eq!(keymap.action_for(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(keymap.action_for(&KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT)), Some(Action::Prune));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('z'))), None);
    }
}
