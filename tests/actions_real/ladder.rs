//! Phase a: rollback to the idle slot (no pull, no create), promote from staging (with a pull),
//! and a new release up the whole ladder (dev -> staging -> prod).

use crate::ctx::{engine, registry_host, timing, Ctx, Run, CALL, HOST};
use crate::traffic::{lb_addr, lb_version};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile};
use opsdeck_core::actions::plan::gate;
use opsdeck_core::actions::ActionKind;
use opsdeck_core::store::ActionOutcome;
use std::sync::Mutex;
use std::time::Duration;

/// Phase a.
pub async fn ladder(ctx: &Ctx, untag: &Mutex<Vec<String>>, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");

    // Rollback to what the idle slot holds: a start, a health wait and a switch.
    let (world, plan) = ctx.plan(ActionKind::Rollback, "api", "prod", None, timing()).await;
    let cell = world.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("blue"));
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.2.0"));
    assert!(plan.reuse_idle, "the idle slot holds the previous release: {plan:?}");
    assert_eq!(plan.to.tag, "v1.1.0");
    assert_eq!(lb_version(api_prod, 5).await, "v1.2.0");
    let run = ctx.run(plan, None).await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", run.report.reason, run.notes());
    let notes = run.notes();
    assert!(notes.iter().any(|n| n.contains("no pull, no create")), "{notes:#?}");
    assert!(!notes.iter().any(|n| n.contains("pulled") || n.ends_with("created")), "{notes:#?}");
    eprintln!("rollback to the idle slot: switch after {:?}", run.switch_time());
    assert_eq!(lb_version(api_prod, 10).await, "v1.1.0");
    let world = ctx.world().await;
    let cell = world.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("green"), "live slot flipped");
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.1.0"));
    assert_eq!(cell.idle_image.as_ref().map(|i| i.tag.as_str()), Some("v1.2.0"));
    assert!(!ctx.ops.is_running(HOST, "api-prod-blue").await.expect("inspect"), "old slot stopped");
    ran.push(run);

    // Promote staging's live image into prod: the idle slot is made from the registry image,
    // pulled because the engine no longer has the reference.
    let (world, plan) = ctx.plan(ActionKind::Promote, "api", "prod", None, timing()).await;
    assert_eq!(plan.to.tag, "v1.3.0", "promote takes staging's live image");
    assert!(!plan.reuse_idle);
    assert_eq!(gate(&world, &plan, false), None, "staging runs it healthy: the gate is open");
    let docker = engine().await;
    lifecycle::remove_image(&docker, &plan.to.reference, CALL).await.expect("untag to force a pull");
    assert!(!ctx.ops.has_image(HOST, &plan.to.reference).await.expect("image check"));
    let run = ctx.run(plan, None).await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", run.report.reason, run.notes());
    let notes = run.notes();
    assert!(notes.iter().any(|n| n.contains("pulled; created")), "{notes:#?}");
    eprintln!("promote with a pull: switch after {:?}; steps: {}", run.switch_time(), run.timeline());
    assert_eq!(lb_version(api_prod, 10).await, "v1.3.0");
    let world = ctx.world().await;
    let cell = world.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("blue"));
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.3.0"));
    assert_eq!(cell.idle_image.as_ref().map(|i| i.tag.as_str()), Some("v1.1.0"));
    ran.push(run);

    // A new web release, v1.4.0, up the whole ladder.
    let registry = registry_host(&ctx.config);
    let release = format!("{registry}/web:v1.4.0");
    untag.lock().expect("untag list").push(release.clone());
    let spec = BuildSpec {
        files: vec![ContextFile {
            path: "Dockerfile".into(),
            contents: format!("FROM {registry}/web:v1.3.0\nENV DEMO_VERSION=v1.4.0 DEMO_IMAGE_TAG=v1.4.0\n")
                .into_bytes(),
            mode: 0o644,
        }],
        tags: vec![release.clone()],
        ..BuildSpec::default()
    };
    lifecycle::build_image(&docker, &spec, Duration::from_secs(120)).await.expect("build web v1.4.0");
    lifecycle::push_image(&docker, &release, Duration::from_secs(120)).await.expect("push web v1.4.0");
    for env in ["dev", "staging", "prod"] {
        let image = (env == "dev").then_some("v1.4.0");
        let (world, plan) = ctx.plan(ActionKind::Promote, "web", env, image, timing()).await;
        assert_eq!(plan.to.tag, "v1.4.0", "web/{env}");
        assert_eq!(gate(&world, &plan, false), None, "web/{env}: the gate is open");
        let run = ctx.run(plan, None).await;
        assert_eq!(
            run.outcome(),
            Some(ActionOutcome::Succeeded),
            "web/{env}: {}: {:#?}",
            run.report.reason,
            run.notes()
        );
        eprintln!("promote web/{env}: switch after {:?}", run.switch_time());
        assert_eq!(lb_version(lb_addr(&ctx.config, "web", env), 5).await, "v1.4.0", "web/{env}");
        ran.push(run);
    }
    let world = ctx.world().await;
    for env in ["dev", "staging", "prod"] {
        let cell = world.service_cell(env, "web").expect("web cell");
        assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.4.0"), "web/{env}");
    }
}
