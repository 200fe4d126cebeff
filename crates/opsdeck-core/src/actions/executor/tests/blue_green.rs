//! A promote and a rollback step by step: order, reuse of the idle slot, never healthy, failure
//! and 5xx after the switch, a hung pull, cancel, the lock and the journal.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_promote_runs_its_steps_in_order() {
    let mut h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    let expected = [
        "has_image 127.0.0.1:5000/api:v1.3.0",
        "pull 127.0.0.1:5000/api:v1.3.0",
        "recreate api-prod-green sha256:v1.3.0",
        "start api-prod-green",
        "set green Ready",
        "set blue Drain",
        "set blue Maint",
        "stop api-prod-blue",
    ];
    assert_eq!(calls, expected);
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(false), "old slot stopped, kept");
    let events = h.drain_events();
    let finished = events.iter().filter(|e| matches!(e, ActionEvent::Step { phase: StepPhase::Finished, .. })).count();
    assert_eq!(finished, 8);
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    let last = audit.last().expect("an audit record");
    assert_eq!(
        (last.entry.kind.as_str(), last.entry.outcome.as_str(), last.entry.user.as_str()),
        ("action", "succeeded", "alice")
    );
    assert_eq!(last.entry.detail["to"]["digest"], "sha256:v1.3.0");
    assert_eq!(last.entry.detail["from"]["digest"], "sha256:v1.2.0");
    let steps = last.entry.detail["steps"].as_array().expect("step outcomes in the audit record");
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[0]["step"], "prod-1: create green from v1.3.0");
    assert!(steps.iter().all(|s| s["outcome"] == "done"));
}

#[tokio::test(start_paused = true)]
async fn a_rollback_to_the_idle_slot_neither_pulls_nor_creates() {
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.1.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    assert!(
        !calls.iter().any(|c| c.starts_with("pull") || c.starts_with("recreate") || c.starts_with("has_image")),
        "{calls:?}"
    );
    assert_eq!(calls[0], "start api-prod-green");
}

#[tokio::test(start_paused = true)]
async fn a_release_that_never_turns_healthy_leaves_traffic_untouched() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("not healthy within 1m") && report.reason.contains("HTTP 503"), "{}", report.reason);
    let calls = h.calls();
    assert!(!calls.iter().any(|c| c.starts_with("set ")), "traffic was touched: {calls:?}");
    // The new slot is removed and the idle slot gets back what it held.
    assert!(calls.contains(&"remove api-prod-green".to_string()));
    assert_eq!(calls.last().map(String::as_str), Some("recreate api-prod-green sha256:v1.1.0"));
    assert_eq!(h.server("blue"), AdminState::Ready);
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_the_switch_switches_back() {
    let fake = gen_world();
    // Healthy for the health gate, then sick during the watch window.
    fake.world().sick_after = Some(("api-prod-green".into(), 2));
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.contains("watch") && report.reason.contains("unhealthy 3 times"), "{}", report.reason);
    assert_eq!((h.server("blue"), h.server("green")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(true), "old slot started again");
    assert_eq!(h.running("api-prod-green"), Some(false));
}

#[tokio::test(start_paused = true)]
async fn a_5xx_rate_in_the_watch_window_switches_back() {
    let fake = gen_world();
    fake.world().errors = 0;
    let h = harness(fake, "alice");
    let exec = h.exec.clone();
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await });
    // Let the switch happen, then make 30% of requests fail.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..20 {
        h.fake.world().errors += 3;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.contains("5xx"), "{}", report.reason);
}

/// The watch's gate is the environment's: 2 % by default, judged once enough requests came.
#[test]
fn the_gate_fails_above_its_share_once_enough_requests_came() {
    let t = Timing::default();
    assert_eq!((t.max_error_bp, t.min_requests), (200, 20));
    assert!(!over_gate(100, 2, &t), "2 % is at the gate, not over it");
    assert!(over_gate(100, 3, &t));
    assert!(!over_gate(10, 9, &t), "too few requests to judge");
    let lenient = Timing { max_error_bp: 500, ..t };
    assert!(!over_gate(100, 3, &lenient));
}

#[tokio::test(start_paused = true)]
async fn a_hung_pull_times_out() {
    let fake = gen_world();
    fake.world().hang_pull = true;
    let h = harness(fake, "alice");
    let mut plan = gen_plan("v1.3.0");
    plan.timing.step_timeout = Duration::from_secs(30);
    let report = h.exec.run(plan, CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("pull: no answer within 30s"), "{}", report.reason);
}

#[tokio::test(start_paused = true)]
async fn cancel_before_the_switch_undoes_and_after_it_completes() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let cancel = CancellationToken::new();
    let (exec, c) = (h.exec.clone(), cancel.clone());
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), c).await });
    tokio::time::sleep(Duration::from_secs(2)).await;
    cancel.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("cancelled"), "{}", report.reason);
    assert_eq!(h.server("blue"), AdminState::Ready);

    // After the switch, a cancel (SIGHUP) cuts the watch short and the action completes.
    let h = harness(gen_world(), "alice");
    let cancel = CancellationToken::new();
    let (exec, c) = (h.exec.clone(), cancel.clone());
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), c).await });
    tokio::time::sleep(Duration::from_secs(3)).await;
    cancel.cancel();
    let report = run.await.expect("join");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
}

#[tokio::test(start_paused = true)]
async fn a_held_lock_refuses_with_the_holders_name() {
    let h = harness(gen_world(), "alice");
    let bob = Holder { user: "bob".into(), host: "bastion".into(), pid: 1, process_start: None };
    h.exec.store.lock().expect("store").try_acquire("api", "prod", &bob, "promote api prod").expect("lock");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, None);
    assert!(report.reason.contains("locked by bob@bastion"), "{}", report.reason);
    assert!(h.calls().is_empty());
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    assert_eq!(audit.last().map(|r| r.entry.kind.as_str()), Some("refusal"));
}

#[tokio::test(start_paused = true)]
async fn every_step_is_journaled_before_and_after() {
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    let mut store = h.exec.store.lock().expect("store");
    let entry = store.recent_actions(1).expect("journal").pop().expect("an action");
    assert_eq!(Some(entry.id.0), report.id);
    assert_eq!(entry.steps.len(), 16);
    assert!(entry.steps.chunks(2).all(|p| p[0].phase == StepPhase::Started && p[1].phase == StepPhase::Finished));
    assert_eq!(entry.finish.map(|f| f.outcome), Some(ActionOutcome::Succeeded));
    assert!(store.unfinished_actions().expect("journal").is_empty());
    assert!(store.locks().expect("locks").is_empty(), "lock released");
}
