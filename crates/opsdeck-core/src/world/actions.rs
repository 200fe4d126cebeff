//! Actions and locks as the shared state store's journal last gave them (so actions run by other
//! opsdeck processes and other users show too), and the drain trace of this process's actions.

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
    /// The old server's sessions while one of our actions drains it, by action id.
    pub drains: std::collections::BTreeMap<i64, DrainTrace>,
    /// The stage one of our canaries holds, by action id, as its last look saw it.
    pub stages: std::collections::BTreeMap<i64, StageTrace>,
    /// The slots the newest actions left warm, read from `recent` once when it arrives (not on
    /// every draw: it means reading each action's plan back).
    pub warm: Vec<crate::actions::cool::Warm>,
}

impl ActionsState {
    /// The store's recent actions, newest first, and what they left warm.
    pub fn set_recent(&mut self, recent: Vec<JournalEntry>) {
        self.warm = crate::actions::cool::warm_slots(&recent);
        self.recent = recent;
    }

    pub fn running(&self) -> impl Iterator<Item = &JournalEntry> {
        self.recent.iter().filter(|e| e.finish.is_none())
    }

    /// The lock on `service` in `env`, if someone holds it.
    pub fn lock(&self, service: &str, env: &str) -> Option<&LockInfo> {
        self.locks.iter().find(|l| l.service == service && l.env == env)
    }
}

/// The old server's sessions while a switch drains, from the executor's progress events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrainTrace {
    pub server: String,
    /// (milliseconds since the drain began, sessions), oldest first.
    pub samples: Vec<(u64, u64)>,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl DrainTrace {
    /// Sessions when the drain began.
    pub fn first(&self) -> u64 {
        self.samples.first().map_or(0, |s| s.1)
    }
    /// Sessions as of the last look.
    pub fn now(&self) -> u64 {
        self.samples.last().map_or(0, |s| s.1)
    }
    pub fn elapsed_ms(&self) -> u64 {
        self.samples.last().map_or(0, |s| s.0)
    }
}

/// A canary's stage as its last look saw it (the executor's [`crate::actions::ActionEvent::Stage`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageTrace {
    pub percent: u8,
    /// Every stage, ending at 100.
    pub ladder: Vec<u8>,
    pub requests: u64,
    pub errors: u64,
    pub held_ms: u64,
    pub hold_ms: u64,
    pub paused: bool,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl StageTrace {
    /// The new slot's 5xx share in this stage, in percent.
    pub fn share(&self) -> f64 {
        share_percent(self.errors, self.requests)
    }

    /// Time still to hold, in whole seconds (0 once held: the stage passes when it has enough
    /// requests).
    pub fn left_secs(&self) -> u64 {
        self.hold_ms.saturating_sub(self.held_ms).div_ceil(1000)
    }
}

/// `errors` of `requests` in percent (0 with no requests): how every 5xx share is said.
pub fn share_percent(errors: u64, requests: u64) -> f64 {
    if requests == 0 {
        0.0
    } else {
        100.0 * errors as f64 / requests as f64
    }
}
