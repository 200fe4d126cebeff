//! Phase b: ten switches under load: no request fails, a long request survives its switch.

use crate::ctx::{timing, Ctx, Run};
use crate::traffic::{lb_addr, Load};
use opsdeck_core::actions::ActionKind;
use opsdeck_core::store::ActionOutcome;
use std::time::Duration;

/// Phase b: ten switches between v1.3.0 and v1.1.0 under load, none failing a request.
pub async fn zero_downtime(ctx: &Ctx, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");
    let load = Load::start(api_prod, 32, Duration::from_millis(300), Duration::from_secs(240));
    let mut switch_times = Vec::new();
    let mut slow_answers = Vec::new();
    for cycle in 0..10 {
        let (_, plan) = ctx.plan(ActionKind::Rollback, "api", "prod", None, timing()).await;
        assert!(plan.reuse_idle, "cycle {cycle}: {plan:?}");
        let versions = [plan.to.tag.as_str(), plan.from.as_ref().map(|f| f.tag.as_str()).unwrap_or_default()];
        assert!(versions.contains(&"v1.3.0") && versions.contains(&"v1.1.0"), "cycle {cycle}: {versions:?}");
        // A long request through each of a few switches.
        let slow = (cycle % 3 == 0).then_some(api_prod);
        let mut run = ctx.run(plan, slow).await;
        assert_eq!(
            run.outcome(),
            Some(ActionOutcome::Succeeded),
            "cycle {cycle}: {}: {:#?}",
            run.report.reason,
            run.notes()
        );
        switch_times.push(run.switch_time().expect("a switch step finished"));
        if cycle < 2 {
            eprintln!("cycle {cycle} steps: {}", run.timeline());
        }
        if let Some(task) = run.slow.take() {
            slow_answers.push(task.await.expect("slow request task"));
        }
        ran.push(run);
    }
    let tally = load.finish().await;
    let mut sorted = switch_times.clone();
    sorted.sort();
    let ms = |d: &Duration| d.as_millis();
    eprintln!(
        "ZERO-DOWNTIME: {} requests, {} failed, versions {:?}; {} long requests: {:?}",
        tally.total(),
        tally.failures.len(),
        tally.versions,
        slow_answers.len(),
        slow_answers.iter().map(|r| r.as_ref().map(|(s, _)| *s)).collect::<Vec<_>>()
    );
    eprintln!(
        "SWITCH TIMES (run -> switch finished), ms: min {} median {} max {}; all {:?}",
        ms(&sorted[0]),
        ms(&sorted[sorted.len() / 2]),
        ms(&sorted[sorted.len() - 1]),
        switch_times.iter().map(ms).collect::<Vec<_>>()
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} requests failed: {:?}",
        tally.failures.len(),
        tally.total(),
        tally.failures
    );
    assert!(tally.total() >= 1000, "too little load to say anything: {tally:?}");
    assert!(
        tally.versions.keys().all(|v| v == "v1.3.0" || v == "v1.1.0"),
        "answers from versions outside the switch: {:?}",
        tally.versions
    );
    assert!(tally.versions.len() == 2, "both versions answered: {:?}", tally.versions);
    assert_eq!(slow_answers.len(), 4);
    for answer in slow_answers {
        let (status, body) = answer.expect("the long request ended");
        assert_eq!(status, 200, "long request across a switch: {body}");
    }
}
