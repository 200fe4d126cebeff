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
            ActionEvent::Undoing { reason, .. } => format!("  undoing: {reason}"),
            ActionEvent::Finished { id, outcome, reason, .. } => {
                let reason = if reason.is_empty() { String::new() } else { format!(": {reason}") };
                format!("action #{id} {}{reason}", outcome_word(*outcome))
            }
            ActionEvent::Refused { subject, reason, .. } => format!("{subject}: refused: {reason}"),
        }
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
