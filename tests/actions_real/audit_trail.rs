//! After the phases: the audit trail holds a record of each action, and one of the refusal.

use crate::ctx::{Ctx, Run};
use opsdeck_core::store::ActionOutcome;

/// An "action" record per finished action, with its outcome; a "refusal" for the refused one.
pub fn audit_trail(ctx: &Ctx, ran: &[Run]) {
    let mut store = ctx.store.lock().expect("store");
    let records = store.audit(None).expect("audit");
    let actions: Vec<_> = records.iter().filter(|r| r.entry.kind == "action").collect();
    let finished: Vec<&Run> = ran.iter().filter(|r| r.report.id.is_some()).collect();
    assert_eq!(actions.len(), finished.len(), "{actions:#?}");
    for run in &finished {
        let id = run.report.id.expect("id");
        let record = actions
            .iter()
            .find(|r| r.entry.detail.get("id").and_then(|v| v.as_i64()) == Some(id))
            .unwrap_or_else(|| panic!("no audit record for action #{id}"));
        let outcome = match run.outcome() {
            Some(ActionOutcome::Succeeded) => "succeeded",
            Some(ActionOutcome::Failed) => "failed",
            Some(ActionOutcome::RolledBack) => "rolled_back",
            other => panic!("unexpected outcome {other:?}"),
        };
        assert_eq!(record.entry.outcome, outcome, "action #{id}");
        assert_eq!(record.entry.subject, run.plan.subject());
    }
    let refusals: Vec<_> = records.iter().filter(|r| r.entry.kind == "refusal").collect();
    assert_eq!(refusals.len(), 1, "{refusals:#?}");
    assert_eq!(refusals[0].entry.subject, "web/prod");
    assert_eq!(refusals[0].entry.outcome, "refused");
    assert!(store.verify_audit().expect("verify").is_ok(), "the audit chain verifies");
    eprintln!("audit: {} action records, {} refusal", actions.len(), refusals.len());
}
