//! Silencing the service's alerts during an action, and Alertmanager being down.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_silence_is_set_before_the_first_step_and_expired_however_the_action_ends() {
    // Succeeds.
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    assert_eq!(calls.first().map(String::as_str), Some("silence service=api,env=prod by alice"));
    assert_eq!(calls.last().map(String::as_str), Some("expire s-1"));
    assert_eq!(h.fake.world().silences.get("s-1"), Some(&false));
    {
        let store = h.exec.store.lock().expect("store");
        let audit = store.audit(None).expect("audit");
        let steps = audit.last().expect("audit").entry.detail["steps"].as_array().expect("steps").clone();
        assert_eq!(steps.first().map(|s| s["step"].clone()), Some("silence api's alerts in prod".into()));
        assert_eq!(steps.last().map(|s| s["note"].clone()), Some("silence s-1 expired".into()));
    }

    // Fails before the switch: still expired.
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert_eq!(h.calls().last().map(String::as_str), Some("expire s-1"));

    // Rolled back after the switch: still expired.
    let fake = gen_world();
    fake.world().sick_after = Some(("api-prod-green".into(), 2));
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack));
    assert_eq!(h.calls().last().map(String::as_str), Some("expire s-1"));
    assert_eq!(h.fake.world().silences.get("s-1"), Some(&false));
}

#[tokio::test(start_paused = true)]
async fn alertmanager_down_does_not_stop_the_action() {
    let fake = gen_world();
    fake.world().no_alertmanager = true;
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    assert!(!h.calls().iter().any(|c| c.starts_with("expire")));
    let mut store = h.exec.store.lock().expect("store");
    let entry = store.recent_actions(1).expect("journal").pop().expect("an action");
    let failed: Vec<_> = entry.steps.iter().filter(|s| s.phase == StepPhase::Failed).collect();
    assert_eq!(failed.len(), 1, "{:?}", entry.steps);
    assert!(failed[0].detail.contains("connection refused"));
}
