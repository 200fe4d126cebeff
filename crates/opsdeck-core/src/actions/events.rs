//! What the executor reports while an action runs: owned values the runtime turns into messages
//! and the CLI prints as progress lines.

use super::plan::ActionPlan;
use crate::store::{ActionOutcome, StepPhase};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum ActionEvent {
    /// The lock is taken and the journal has the action: it runs.
    Started {
        id: i64,
        plan: Box<ActionPlan>,
        user: String,
        at: DateTime<Utc>,
    },
    Step {
        id: i64,
        index: usize,
        label: String,
        phase: StepPhase,
        note: String,
        at: DateTime<Utc>,
    },
    /// The old server's current sessions (HAProxy's `scur`) while it drains: sent when the
    /// count changes, so the Actions pane can show them falling to zero.
    Drain {
        id: i64,
        server: String,
        sessions: u64,
        /// Since the drain began.
        elapsed_ms: u64,
        at: DateTime<Utc>,
    },
    /// A canary's look at its stage, about every second: the new slot's answers and 5xx since
    /// the stage began, how long it has held (paused time does not count) of how long it must.
    Stage {
        id: i64,
        percent: u8,
        /// Every stage of the canary, ending at 100.
        ladder: Vec<u8>,
        requests: u64,
        errors: u64,
        held_ms: u64,
        hold_ms: u64,
        paused: bool,
        at: DateTime<Utc>,
    },
    /// A step failed: the action is undoing itself (before the switch) or switching back.
    Undoing {
        id: i64,
        reason: String,
        at: DateTime<Utc>,
    },
    Finished {
        id: i64,
        outcome: ActionOutcome,
        reason: String,
        at: DateTime<Utc>,
    },
    /// The action never started: the lock was held, the gate closed, or the store failed.
    Refused {
        subject: String,
        reason: String,
        at: DateTime<Utc>,
    },
}

impl ActionEvent {
    /// One line for stderr (`opsdeck promote` progress).
    pub fn line(&self) -> String {
        match self {
            ActionEvent::Started { id, plan, user, .. } => format!("action #{id} by {user}: {}", plan.summary()),
            ActionEvent::Step { index, label, phase, note, .. } => {
                let note = if note.is_empty() { String::new() } else { format!(": {note}") };
                format!("  step {}: {label} {}{note}", index + 1, phase_word(*phase))
            }
            ActionEvent::Drain { server, sessions, elapsed_ms, .. } => {
                format!("  draining {server}: {sessions} sessions ({:.1}s)", *elapsed_ms as f64 / 1000.0)
            }
            ActionEvent::Stage { percent, requests, errors, held_ms, hold_ms, paused, .. } => {
                let share = crate::world::actions::share_percent(*errors, *requests);
                let clock = if *paused { ", paused" } else { "" };
                format!(
                    "  canary at {percent} %: {share:.1} % 5xx ({errors} of {requests}), held {:.0}s of {:.0}s{clock}",
                    *held_ms as f64 / 1000.0,
                    *hold_ms as f64 / 1000.0
                )
            }
            ActionEvent::Undoing { reason, .. } => format!("  undoing: {reason}"),
            ActionEvent::Finished { id, outcome, reason, .. } => {
                let reason = if reason.is_empty() { String::new() } else { format!(": {reason}") };
                format!("action #{id} {}{reason}", outcome_word(*outcome))
            }
            ActionEvent::Refused { subject, reason, .. } => format!("{subject}: refused: {reason}"),
        }
    }
}

/// Which events become a printed line (a terminal, a log file, a runbook's output): every one,
/// except a canary's looks, of which one per ten seconds of a stage, and each pause or resume.
#[derive(Debug, Default)]
pub struct Lines {
    last_look: Option<(i64, u8, u64, bool)>,
}

impl Lines {
    pub fn of(&mut self, event: &ActionEvent) -> Option<String> {
        if let ActionEvent::Stage { id, percent, held_ms, paused, .. } = event {
            let key = (*id, *percent, held_ms / 10_000, *paused);
            if self.last_look == Some(key) {
                return None;
            }
            self.last_look = Some(key);
        }
        Some(event.line())
    }
}

pub fn phase_word(p: StepPhase) -> &'static str {
    match p {
        StepPhase::Started => "...",
        StepPhase::Finished => "done",
        StepPhase::Failed => "FAILED",
    }
}

pub fn outcome_word(o: ActionOutcome) -> &'static str {
    match o {
        ActionOutcome::Succeeded => "succeeded",
        ActionOutcome::Failed => "failed (traffic untouched)",
        ActionOutcome::RolledBack => "rolled back (traffic switched back)",
        ActionOutcome::Undone => "undone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(held_ms: u64, paused: bool) -> ActionEvent {
        let at = chrono::DateTime::<Utc>::UNIX_EPOCH;
        let ladder = vec![5, 25, 100];
        ActionEvent::Stage { id: 1, percent: 5, ladder, requests: 40, errors: 1, held_ms, hold_ms: 60_000, paused, at }
    }

    #[test]
    fn a_canarys_looks_print_once_per_ten_seconds_and_on_pause() {
        let mut lines = Lines::default();
        let printed: Vec<String> =
            [(1_000, false), (2_000, false), (10_400, false), (11_000, true), (11_000, true), (12_000, false)]
                .into_iter()
                .filter_map(|(ms, p)| lines.of(&look(ms, p)))
                .collect();
        assert_eq!(
            printed,
            [
                "  canary at 5 %: 2.5 % 5xx (1 of 40), held 1s of 60s",
                "  canary at 5 %: 2.5 % 5xx (1 of 40), held 10s of 60s",
                "  canary at 5 %: 2.5 % 5xx (1 of 40), held 11s of 60s, paused",
                "  canary at 5 %: 2.5 % 5xx (1 of 40), held 12s of 60s",
            ]
        );
    }
}
