//! The action journal's records: what an action set out to do, each step's progress, how it ended.
//!
//! Journal text is read by every user of the bastion: callers pass only text that is safe to show
//! (no secret environment values, tokens or credentials), in `plan`, step details and reasons alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A journaled action; ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionId(pub i64);

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An image by tag and the digest the tag pointed at when the action was planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    pub tag: String,
    pub digest: String,
}

/// What an action set out to do, written before its first step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// e.g. "promote", "rollback", "canary".
    pub kind: String,
    pub service: String,
    pub env: String,
    /// What was live before; `None` for a first deploy.
    pub from: Option<ImageRef>,
    pub to: ImageRef,
    pub hosts: Vec<String>,
    pub user: String,
    pub started_at: DateTime<Utc>,
    /// The plan as the action layer describes it, enough to finish or undo after a crash.
    pub plan: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPhase {
    Started,
    Finished,
    Failed,
}

impl StepPhase {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepPhase::Started => "started",
            StepPhase::Finished => "finished",
            StepPhase::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<StepPhase> {
        [StepPhase::Started, StepPhase::Finished, StepPhase::Failed].into_iter().find(|p| p.as_str() == s)
    }
}

/// One journal line for a step: written as it starts, and again as it finishes or fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step_index: u32,
    pub step_name: String,
    pub phase: StepPhase,
    pub at: DateTime<Utc>,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Succeeded,
    Failed,
    /// It failed after traffic moved, and traffic was switched back.
    RolledBack,
    /// A restarted opsdeck found it unfinished and undid it.
    Undone,
}

impl ActionOutcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Succeeded => "succeeded",
            ActionOutcome::Failed => "failed",
            ActionOutcome::RolledBack => "rolled_back",
            ActionOutcome::Undone => "undone",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<ActionOutcome> {
        [ActionOutcome::Succeeded, ActionOutcome::Failed, ActionOutcome::RolledBack, ActionOutcome::Undone]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFinish {
    pub at: DateTime<Utc>,
    pub outcome: ActionOutcome,
    pub reason: String,
}

/// An action as the journal holds it: the record, its steps in the order written, and its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: ActionId,
    pub action: ActionRecord,
    pub steps: Vec<StepRecord>,
    /// `None` while it runs, or if its process died: then it is for a restart to finish or undo.
    pub finish: Option<ActionFinish>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_and_outcomes_round_trip_through_their_stored_text() {
        for p in [StepPhase::Started, StepPhase::Finished, StepPhase::Failed] {
            assert_eq!(StepPhase::parse(p.as_str()), Some(p));
        }
        for o in [ActionOutcome::Succeeded, ActionOutcome::Failed, ActionOutcome::RolledBack, ActionOutcome::Undone] {
            assert_eq!(ActionOutcome::parse(o.as_str()), Some(o));
            // The stored text is the serde name, so JSON output and the file agree.
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert_eq!(StepPhase::parse("done"), None);
        assert_eq!(ActionOutcome::parse(""), None);
    }
}
