//! Actions and locks as the console shows them: read from the shared state store's journal (so
//! actions run by other opsdeck processes and other users show too), and the confirmation a
//! destructive key opens.

use crate::actions::ActionPlan;
use crate::store::{JournalEntry, LockInfo};

/// What the store last said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionsState {
    /// Recent actions, newest first, running ones included (no `finish` yet).
    pub recent: Vec<JournalEntry>,
    pub locks: Vec<LockInfo>,
    /// Why the store could not be read, if it could not.
    pub error: Option<String>,
    /// Actions this process started and has not seen end (their ids).
    pub ours: Vec<i64>,
}

impl ActionsState {
    pub fn running(&self) -> impl Iterator<Item = &JournalEntry> {
        self.recent.iter().filter(|e| e.finish.is_none())
    }

    /// The lock on `service` in `env`, if someone holds it.
    pub fn lock(&self, service: &str, env: &str) -> Option<&LockInfo> {
        self.locks.iter().find(|l| l.service == service && l.env == env)
    }
}

/// A confirmation that names exactly what will happen before anything does.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub plan: ActionPlan,
    /// Set when the environment requires approval: its name must be typed to confirm.
    pub type_to_confirm: Option<String>,
    /// What has been typed so far.
    pub typed: String,
}

impl Confirm {
    /// Whether Enter would run it now.
    pub fn is_satisfied(&self) -> bool {
        self.type_to_confirm.as_ref().is_none_or(|name| &self.typed == name)
    }
}
