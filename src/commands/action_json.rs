//! The one JSON document `promote`, `rollback`, `canary` and `rotate` print on stdout with
//! `--json` (documented in the README): `{"id", "action", "outcome", "reason"}`, whether the action
//! ran, was refused before it started, or was filed for approval.

use opsdeck_core::actions::ActionKind;
use opsdeck_core::store::ActionOutcome;

/// How an action ended, as `--json` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It ran (or started): the executor's outcome, `None` when the executor refused it.
    Ran(Option<ActionOutcome>),
    /// Refused before it started (lock held, gate closed, nothing to do, not confirmed).
    Refused,
    /// Filed as a request for approval: nothing ran yet.
    Requested,
}

/// The document: `id` is the action's audit id (`null` when none was recorded), `outcome` one of
/// `succeeded`, `failed`, `rolled_back`, `undone`, `refused`, `requested`; `reason` one line, made
/// printable.
pub fn outcome_json(id: Option<i64>, kind: ActionKind, ended: Ended, reason: &str) -> serde_json::Value {
    let outcome = match ended {
        Ended::Ran(Some(o)) => serde_json::json!(o),
        Ended::Ran(None) | Ended::Refused => "refused".into(),
        Ended::Requested => "requested".into(),
    };
    serde_json::json!({
        "id": id,
        "action": kind.as_str(),
        "outcome": outcome,
        "reason": opsdeck_core::text::printable(reason),
    })
}

/// Prints [`outcome_json`] on stdout as one line when `json` is set.
pub fn print_outcome(json: bool, id: Option<i64>, kind: ActionKind, ended: Ended, reason: &str) {
    if json {
        out!("{}", outcome_json(id, kind, ended, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The same four fields for every action, with snake_case outcomes.
    #[test]
    fn shape_of_each_ending() {
        let v = outcome_json(Some(7), ActionKind::Promote, Ended::Ran(Some(ActionOutcome::Succeeded)), "");
        assert_eq!(v, json!({"id": 7, "action": "promote", "outcome": "succeeded", "reason": ""}));
        let v = outcome_json(Some(8), ActionKind::Rollback, Ended::Ran(Some(ActionOutcome::RolledBack)), "5xx");
        assert_eq!(v, json!({"id": 8, "action": "rollback", "outcome": "rolled_back", "reason": "5xx"}));
        let v = outcome_json(None, ActionKind::Rotate, Ended::Refused, "locked by ann@bastion");
        assert_eq!(v, json!({"id": null, "action": "rotate", "outcome": "refused", "reason": "locked by ann@bastion"}));
        let v = outcome_json(Some(9), ActionKind::Canary, Ended::Ran(None), "gate closed");
        assert_eq!(v["outcome"], "refused");
        let v = outcome_json(None, ActionKind::Promote, Ended::Requested, "request 3 pending");
        assert_eq!(v["outcome"], "requested");
        let v = outcome_json(None, ActionKind::Promote, Ended::Ran(Some(ActionOutcome::Failed)), "x");
        assert_eq!(v["outcome"], "failed");
        let v = outcome_json(None, ActionKind::Promote, Ended::Ran(Some(ActionOutcome::Undone)), "x");
        assert_eq!(v["outcome"], "undone");
    }

    /// A reason from outside loses its control characters (the JSON escapes would survive a
    /// `jq -r` otherwise).
    #[test]
    fn reason_is_printable() {
        let v = outcome_json(None, ActionKind::Promote, Ended::Refused, "tag \u{1b}[2Jv1");
        assert_eq!(v["reason"], "tag [2Jv1");
    }
}
