//! Phase d: two executors on one service and environment: one runs, the other is refused.

use crate::ctx::{timing, Ctx, Run};
use opsdeck_core::actions::{ActionEvent, ActionKind};
use opsdeck_core::store::{ActionOutcome, Holder, Store};
use std::sync::{Arc, Mutex};

/// Phase d: two executors (two store connections, two holders) on web/prod at once.
pub async fn two_executors(ctx: &Ctx, ran: &mut Vec<Run>) {
    let (_, plan) = ctx.plan(ActionKind::Rollback, "web", "prod", None, timing()).await;
    let parent = std::os::unix::process::parent_id();
    let bob = Ctx {
        config: ctx.config.clone(),
        ops: ctx.ops.clone(),
        store: Arc::new(Mutex::new(Store::open(&ctx.config.state_path).expect("second store"))),
        holder: Holder {
            user: "bob".into(),
            host: opsdeck_core::store::hostname(),
            pid: parent,
            process_start: opsdeck_core::store::process_start(parent),
        },
    };
    let (a, b) = tokio::join!(ctx.run(plan.clone(), None), bob.run(plan, None));
    let (winner, loser, holder) = match (a.report.id, b.report.id) {
        (Some(_), None) => (a, b, "alice"),
        (None, Some(_)) => (b, a, "bob"),
        _ => panic!("exactly one may run: {:?} / {:?}", a.report, b.report),
    };
    assert_eq!(winner.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", winner.report.reason, winner.notes());
    assert_eq!(loser.outcome(), None);
    assert!(
        matches!(loser.events.as_slice(), [ActionEvent::Refused { .. }]),
        "the other is refused: {:?}",
        loser.events
    );
    assert!(loser.report.reason.contains(holder), "refusal names {holder}: {}", loser.report.reason);
    eprintln!("refused: {}", loser.report.reason);
    let store = ctx.store.lock().expect("store");
    assert_eq!(store.lock("web", "prod").expect("locks"), None, "the lock is released");
    drop(store);
    ran.push(winner);
    ran.push(loser);
}
