//! The end of an action: the journal's last line and the audit record, written together; an
//! audit that cannot be written fails the action, so nothing ends unrecorded. Then the webhooks
//! are told how it ended (without waiting for them).

use super::*;
use crate::config::NotifyEvent;

impl Executor {
    /// Journals the end and writes the audit record; an audit failure is a failure of the action.
    pub(super) fn finish(
        &self,
        plan: &ActionPlan,
        id: ActionId,
        outcome: ActionOutcome,
        reason: String,
        took: Duration,
        steps: Vec<serde_json::Value>,
    ) -> ActionReport {
        let journal = self.with_store(|s| s.journal_finish(id, outcome, &reason));
        let detail = serde_json::json!({
            "action": plan.kind.as_str(),
            "id": id.0,
            "from": plan.from.as_ref().map(|f| serde_json::json!({"tag": f.tag, "digest": f.digest})),
            "to": {"tag": plan.to.tag, "digest": plan.to.digest},
            "hosts": plan.hosts,
            "forced": plan.forced,
            "break_glass": plan.break_glass,
            "duration_ms": took.as_millis() as u64,
            "reason": reason,
            "steps": steps,
        });
        let audit = self.audit("action", &plan.subject(), detail, outcome_text(outcome));
        let (outcome, reason) = match (journal, audit) {
            (Ok(()), Ok(())) => (outcome, reason),
            (Err(e), _) | (_, Err(e)) => {
                let outcome = if outcome == ActionOutcome::Succeeded { ActionOutcome::Failed } else { outcome };
                (
                    outcome,
                    format!(
                        "{reason}{}the audit record could not be written: {e}",
                        if reason.is_empty() { "" } else { "; " }
                    ),
                )
            }
        };
        let event = match outcome {
            ActionOutcome::Succeeded => NotifyEvent::ActionSucceeded,
            _ => NotifyEvent::ActionFailed,
        };
        self.notify(event, plan, id, Some(outcome_text(outcome)), &reason);
        self.emit(ActionEvent::Finished { id: id.0, outcome, reason: reason.clone(), at: Utc::now() });
        ActionReport { id: Some(id.0), outcome: Some(outcome), reason }
    }
}

fn outcome_text(o: ActionOutcome) -> &'static str {
    match o {
        ActionOutcome::Succeeded => "succeeded",
        ActionOutcome::Failed => "failed",
        ActionOutcome::RolledBack => "rolled_back",
        ActionOutcome::Undone => "undone",
    }
}
