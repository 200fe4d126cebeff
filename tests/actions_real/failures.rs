//! Phase c: a release that never turns healthy (Failed, traffic untouched, idle slot restored)
//! and one that fails 30 % of requests after the switch (RolledBack).

use crate::ctx::{engine, timing, Ctx, Run, HOST};
use crate::support;
use crate::traffic::{lb_addr, lb_version, Load};
use opsdeck_core::actions::{ActionKind, Timing};
use opsdeck_core::store::ActionOutcome;
use std::time::Duration;

/// Environment variables of a container, from Docker.
async fn container_env(docker: &opsdeck_backends::docker::Client, name: &str) -> Vec<String> {
    let found = docker.inspect_container(name, None).await.unwrap_or_else(|e| panic!("inspect {name}: {e}"));
    found.config.and_then(|c| c.env).unwrap_or_default()
}

/// Phase c.
pub async fn failures(ctx: &Ctx, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");
    let docker = engine().await;

    // A release that never turns healthy: the action fails before the switch.
    let short_health = Timing { health_wait: Duration::from_secs(8), ..timing() };
    let (world, mut plan) = ctx.plan(ActionKind::Rollback, "api", "prod", Some("v1.2.0"), short_health).await;
    let cell = world.service_cell("prod", "api").expect("api/prod");
    let (live, live_tag) = (cell.live_slot.clone().expect("live"), cell.image.clone().expect("image").tag);
    let idle_before = cell.idle_image.clone().expect("idle image");
    assert_eq!(live_tag, "v1.3.0");
    assert!(!plan.reuse_idle);
    let idle_name = plan.new_slots[0].container_name();
    for slot in &mut plan.new_slots {
        slot.env_vars.insert("DEMO_START_UNHEALTHY".into(), "1".into());
    }
    let load = Load::start(api_prod, 8, Duration::from_millis(100), Duration::from_secs(120));
    let run = ctx.run(plan, None).await;
    let tally = load.finish().await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Failed), "{}: {:#?}", run.report.reason, run.notes());
    let reason = &run.report.reason;
    assert!(reason.contains("healthy") && reason.contains("HTTP 503"), "{reason}");
    assert!(tally.failures.is_empty(), "traffic was touched: {:?}", tally.failures);
    assert_eq!(tally.versions.keys().collect::<Vec<_>>(), [&live_tag], "traffic stayed on the old slot");
    eprintln!("never healthy: {reason}; {} requests, all {live_tag}", tally.total());
    let world = ctx.world().await;
    let cell = world.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_ref(), Some(&live));
    let idle_now = cell.idle_image.clone().expect("idle slot restored");
    assert_eq!(
        (idle_now.tag.as_str(), idle_now.digest.as_str()),
        (idle_before.tag.as_str(), idle_before.digest.as_str())
    );
    assert!(!ctx.ops.is_running(HOST, &idle_name).await.expect("inspect"), "idle slot is stopped");
    let env = container_env(&docker, &idle_name).await;
    assert!(!env.iter().any(|e| e.starts_with("DEMO_START_UNHEALTHY")), "the failed container is gone: {env:?}");
    assert!(support::containers_with_label(opsdeck::demo::DEMO_LABEL).contains(&idle_name), "kept its demo label");
    ran.push(run);

    // A release that fails 30 % of requests once it has traffic: switched back.
    let watching = Timing { watch: Duration::from_secs(15), ..timing() };
    let (_, mut plan) = ctx.plan(ActionKind::Rollback, "api", "prod", Some("v1.2.0"), watching).await;
    for slot in &mut plan.new_slots {
        slot.env_vars.insert("DEMO_FAIL_RATE".into(), "0.3".into());
    }
    let load = Load::start(api_prod, 32, Duration::from_millis(100), Duration::from_secs(120));
    let run = ctx.run(plan, None).await;
    let tally = load.finish().await;
    assert_eq!(run.outcome(), Some(ActionOutcome::RolledBack), "{}: {:#?}", run.report.reason, run.notes());
    assert!(run.report.reason.contains("5xx"), "{}", run.report.reason);
    eprintln!(
        "failing release: {}; load saw {} of {} fail, versions {:?}",
        run.report.reason,
        tally.failures.len(),
        tally.total(),
        tally.versions
    );
    assert!(
        tally.failures.iter().all(|f| f.starts_with("HTTP 500")),
        "only the release's own failures: {:?}",
        tally.failures
    );
    assert_eq!(lb_version(api_prod, 20).await, live_tag, "traffic back on the old version");
    let world = ctx.world().await;
    assert_eq!(world.service_cell("prod", "api").and_then(|c| c.live_slot), Some(live));
    ran.push(run);
}
