//! The drain reported as it falls, and `C` (abort back) at each point of an action.

use super::*;

/// Runs `plan` in a task with an abort token; returns the join handle and the token.
fn spawn_abortable(h: &Harness, plan: ActionPlan) -> (tokio::task::JoinHandle<ActionReport>, CancellationToken) {
    let abort = CancellationToken::new();
    let (exec, a) = (h.exec.clone(), abort.clone());
    (tokio::spawn(async move { exec.run_abortable(plan, CancellationToken::new(), a).await }), abort)
}

/// Waits (in paused time) until the executor reports the old server draining.
async fn until_draining(h: &mut Harness) -> Vec<u64> {
    let mut seen = Vec::new();
    for _ in 0..400 {
        while let Ok(e) = h.events.try_recv() {
            if let ActionEvent::Drain { sessions, .. } = e {
                seen.push(sessions);
            }
        }
        if seen.len() >= 2 {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never drained");
}

#[tokio::test(start_paused = true)]
async fn a_drain_reports_the_old_servers_sessions_falling_to_zero() {
    let mut h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let drains: Vec<(String, u64)> = h
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            ActionEvent::Drain { server, sessions, .. } => Some((server, sessions)),
            _ => None,
        })
        .collect();
    // blue had 3 sessions; one finishes per look; each count is reported once.
    let expected: Vec<(String, u64)> = [3, 2, 1, 0].iter().map(|n| ("blue".to_string(), *n)).collect();
    assert_eq!(drains, expected);
}

#[tokio::test(start_paused = true)]
async fn abort_while_draining_switches_traffic_back_to_the_old_server() {
    let fake = gen_world();
    fake.world().servers.insert("blue".into(), (AdminState::Ready, 1000));
    let mut h = harness(fake, "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    let seen = until_draining(&mut h).await;
    assert!(seen[0] > seen[1], "sessions fall: {seen:?}");
    abort.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.starts_with("aborted by alice during drain blue"), "{}", report.reason);
    assert_eq!((h.server("blue"), h.server("green")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(true), "the old slot was never stopped");
    assert_eq!(h.running("api-prod-green"), Some(false));
    let calls = h.calls();
    assert!(!calls.contains(&"stop api-prod-blue".to_string()), "{calls:?}");
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    let last = audit.last().expect("an audit record");
    assert_eq!(last.entry.outcome, "rolled_back");
    assert!(last.entry.detail["reason"].as_str().is_some_and(|r| r.contains("aborted by alice")));
}

#[tokio::test(start_paused = true)]
async fn abort_before_the_switch_undoes_and_after_the_old_slot_stopped_completes() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    abort.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.starts_with("aborted by alice"), "{}", report.reason);
    assert!(!h.calls().iter().any(|c| c.starts_with("set ")), "traffic untouched");

    // In the watch window the old slot is stopped: the abort cancels (cuts the watch short).
    let h = harness(gen_world(), "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    abort.cancel();
    let report = run.await.expect("join");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
}
