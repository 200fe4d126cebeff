//! A canary step by step: weights before the new servers come in, each stage held and judged,
//! the switch at 100 % giving both slots their weights back; 5xx over the gate at a stage rolls
//! back by itself with every weight restored; too few requests is inconclusive.

use super::*;
use crate::actions::Target;

/// [`gen_plan`] as a canary: 5 % then 50 %, each held 10 s, then the switch.
fn gen_canary(to: &str) -> ActionPlan {
    let mut p = gen_plan(to);
    p.kind = ActionKind::Canary;
    p.timing.canary_hold = Duration::from_secs(10);
    let at = p.steps.iter().position(|s| *s == Step::Switch).expect("a switch");
    p.steps.splice(at..at, [Step::CanaryStage { percent: 5 }, Step::CanaryStage { percent: 50 }]);
    p
}

fn position(calls: &[String], call: &str) -> usize {
    calls.iter().position(|c| c == call).unwrap_or_else(|| panic!("no call {call:?} in {calls:?}"))
}

#[tokio::test(start_paused = true)]
async fn a_healthy_canary_walks_every_stage_then_switches() {
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_canary("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    // Weights first, then the new server in.
    assert!(position(&calls, "share green 5") < position(&calls, "set green Ready"), "{calls:?}");
    assert!(position(&calls, "share blue 95") < position(&calls, "set green Ready"), "{calls:?}");
    assert!(position(&calls, "share green 50") > position(&calls, "set green Ready"), "{calls:?}");
    // At 100 %: the new slot's full weight, the old one drains and gets its weight back.
    let full = position(&calls, "share green 100");
    assert!(full > position(&calls, "share blue 50") && full < position(&calls, "set blue Drain"), "{calls:?}");
    assert!(position(&calls, "share blue 100") > position(&calls, "set blue Drain"), "{calls:?}");
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
    assert!(!calls.iter().any(|c| c.starts_with("alert ")), "no alert for a canary that passed");
}

#[tokio::test(start_paused = true)]
async fn five_xx_over_the_gate_at_a_stage_rolls_back_by_itself() {
    let h = harness(gen_world(), "alice");
    let exec = h.exec.clone();
    let run = tokio::spawn(async move { exec.run(gen_canary("v1.3.0"), CancellationToken::new()).await });
    // Once the first stage holds, a third of the new requests fail.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    for _ in 0..20 {
        h.fake.world().errors += 10;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(
        report.reason.contains("rolled back by itself at 5 %") && report.reason.contains("% 5xx ("),
        "{}",
        report.reason
    );
    let calls = h.calls();
    assert!(!calls.contains(&"share green 50".to_string()), "never reached 50 %: {calls:?}");
    // All weight back on the stable slot, every weight restored, the canary's server out.
    assert!(calls.contains(&"share blue 100".to_string()) && calls.contains(&"share green 100".to_string()));
    assert_eq!((h.server("blue"), h.server("green")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-green"), Some(false), "the canary's container is stopped");
    assert!(calls.contains(&"alert OpsdeckAutoRollback api/prod".to_string()), "the team hears of it: {calls:?}");
}

#[test]
fn a_canary_plan_has_the_environments_ladder_or_its_own() {
    let target =
        Target { kind: ActionKind::Canary, service: "api".into(), env: "prod".into(), image: None, force: false };
    let p = crate::actions::plan(&crate::testing::gen_demo_world_all_up(), &target, Timing::default()).expect("plan");
    assert_eq!(p.canary_ladder(), [5, 25, 50, 100]);
    let labels: Vec<String> = p.steps.iter().map(|s| s.label(&p)).collect();
    assert!(labels.contains(&"canary: green takes 25 % for 1m".to_string()), "{labels:?}");
    let own = p.clone().with_canary(Some(&[10, 100]), Some(Duration::from_secs(5))).expect("own ladder");
    assert_eq!((own.canary_ladder(), own.timing.canary_hold), (vec![10, 100], Duration::from_secs(5)));
    assert!(p.with_canary(Some(&[10, 60]), None).is_err(), "a ladder must end at 100");
}

/// The events up to and including the first one `pick` accepts (the test fails if the action
/// ends first).
async fn until<T>(h: &mut Harness, mut pick: impl FnMut(&ActionEvent) -> Option<T>) -> (T, Vec<ActionEvent>) {
    let mut seen = Vec::new();
    loop {
        let event = h.events.recv().await.expect("the action ended first");
        if let Some(found) = pick(&event) {
            seen.push(event);
            return (found, seen);
        }
        seen.push(event);
    }
}

#[tokio::test(start_paused = true)]
async fn a_paused_stage_holds_past_its_time_and_greater_passes_it_now() {
    let mut h = harness(gen_world(), "alice");
    let (exec, hand) = (h.exec.clone(), crate::actions::Hand::new());
    let steer = hand.clone();
    let run =
        tokio::spawn(async move { exec.run_by_hand(gen_canary("v1.3.0"), CancellationToken::new(), steer).await });
    let stage_at = |want: u8| {
        move |e: &ActionEvent| matches!(e, ActionEvent::Stage { percent, .. } if *percent == want).then_some(())
    };
    until(&mut h, stage_at(5)).await;
    hand.set_paused(true);
    // Four holds' time: the stage would have passed (and a stage short of requests would have
    // been inconclusive) had its clock run.
    tokio::time::sleep(Duration::from_secs(40)).await;
    assert!(!h.calls().contains(&"share green 50".to_string()), "paused: still at 5 %");
    let (held, _) = until(&mut h, |e| match e {
        ActionEvent::Stage { paused: true, held_ms, .. } => Some(*held_ms),
        _ => None,
    })
    .await;
    assert!(held < 10_000, "the clock stopped at {held} ms");
    // `>`: the stage passes at the next look, and says so in the journal.
    hand.next_stage();
    let (note, _) = until(&mut h, |e| match e {
        ActionEvent::Step { label, phase: StepPhase::Finished, note, .. } if label.contains("5 %") => {
            Some(note.clone())
        }
        _ => None,
    })
    .await;
    assert!(note.contains("passed by hand"), "{note}");
    // The pause is the operator's hold on the canary: the next stage starts paused, and goes on
    // when Space is pressed again.
    until(&mut h, stage_at(50)).await;
    hand.set_paused(false);
    let report = run.await.expect("join");
    assert!(report.succeeded(), "{report:?}");
}
