//! Plans built from the model: what a rollback and a promote will do, where, and when they are
//! refused; and the promotion gate.

use super::*;
use crate::testing::{gen_container, gen_demo_world, gen_demo_world_all_up, gen_digest};
use crate::world::views::Health;

fn target(kind: ActionKind, service: &str, env: &str, image: Option<&str>) -> Target {
    Target { kind, service: service.into(), env: env.into(), image: image.map(str::to_string), force: false }
}

#[test]
fn a_rollback_reuses_the_idle_slot() {
    let m = gen_demo_world_all_up();
    let p = plan(&m, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!((p.from_slot.as_str(), p.to_slot.as_str()), ("blue", "green"));
    assert_eq!(p.to.tag, "v1.1.0");
    assert_eq!(p.to.digest, gen_digest("v1.1.0"));
    assert_eq!(p.from.as_ref().map(|f| f.tag.as_str()), Some("v1.2.0"));
    assert!(p.reuse_idle, "the idle slot holds v1.1.0 on every host");
    assert_eq!(p.hosts, ["prod-1", "prod-2"]);
    let labels: Vec<String> = p.steps.iter().map(|s| s.label(&p)).collect();
    assert_eq!(labels[0], "prod-1: idle green holds v1.1.0");
    assert_eq!(labels[6], "switch traffic blue -> green");
    assert_eq!(labels.last().map(String::as_str), Some("watch green for 1m"));
    assert_eq!(
        p.summary(),
        format!(
            "rollback api/prod: v1.2.0 {} -> v1.1.0 {} on prod-1, prod-2",
            &gen_digest("v1.2.0")[7..14],
            &gen_digest("v1.1.0")[7..14]
        )
    );
}

#[test]
fn a_promote_takes_the_previous_environments_image_and_creates_the_idle_slot() {
    let m = gen_demo_world_all_up();
    let p = plan(&m, &target(ActionKind::Promote, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!(p.to.tag, "v1.3.0", "staging's live image");
    assert!(!p.reuse_idle);
    assert_eq!(p.new_slots[0].image, "127.0.0.1:5000/api:v1.3.0");
    assert_eq!(p.new_slots[0].container_name(), "api-prod-green");
    assert_eq!(p.new_slots[0].host_port, 20001, "the port HAProxy's green server points at");
    // What the idle slot held is remembered, to restore it if the action fails before the switch.
    assert_eq!(p.idle_before[0].as_ref().map(|s| s.digest.clone()), Some(gen_digest("v1.1.0")));
}

#[test]
fn a_rotation_redeploys_the_live_image_into_a_fresh_idle_slot() {
    let m = gen_demo_world_all_up();
    let p = plan(&m, &target(ActionKind::Rotate, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!((p.to.tag.as_str(), p.from.as_ref().map(|f| f.tag.as_str())), ("v1.2.0", Some("v1.2.0")));
    assert!(!p.reuse_idle, "a new container, with the values as they are now");
    assert_eq!(p.new_slots[0].container_name(), "api-prod-green");
    let labels: Vec<String> = p.steps.iter().map(|s| s.label(&p)).collect();
    assert!(labels.contains(&"switch traffic blue -> green".to_string()), "{labels:?}");
    assert!(p.summary().starts_with("rotate api/prod: v1.2.0"), "{}", p.summary());
}

#[test]
fn the_idle_slot_is_looked_up_in_the_right_environment() {
    // dev's green also lives on the same engine in the demo; prod's plan must not pick it up.
    let mut m = gen_demo_world_all_up();
    let host = m.hosts.iter_mut().find(|(id, _)| id.host == "prod-1").map(|(_, h)| h).expect("prod-1");
    let mut stray = gen_container("dev", "api", "green", "v1.0.0", false);
    stray.id = "zz-stray".into();
    host.insert(stray);
    let p = plan(&m, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!(p.idle_before[0].as_ref().map(|s| s.digest.clone()), Some(gen_digest("v1.1.0")));
}

#[test]
fn an_image_from_the_history_can_be_named() {
    let m = gen_demo_world_all_up();
    let p = plan(&m, &target(ActionKind::Rollback, "web", "staging", Some("v1.0.0")), Timing::default()).expect("plan");
    assert_eq!(p.to.tag, "v1.0.0");
    assert!(!p.reuse_idle);
    let by_digest = gen_digest("v1.0.0");
    let p =
        plan(&m, &target(ActionKind::Promote, "web", "staging", Some(&by_digest)), Timing::default()).expect("plan");
    assert_eq!(p.to.tag, "v1.0.0", "a digest resolves to its tag");
    let e = plan(&m, &target(ActionKind::Promote, "web", "staging", Some("v9.9.9")), Timing::default())
        .expect_err("unknown");
    assert!(e.contains("no image tagged v9.9.9"), "{e}");
}

#[test]
fn plans_are_refused_with_a_reason() {
    let down = gen_demo_world();
    let e =
        plan(&down, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect_err("prod-2 down");
    assert!(e.contains("host prod-2 is unreachable"), "{e}");
    let m = gen_demo_world_all_up();
    let e =
        plan(&m, &target(ActionKind::Promote, "api", "staging", Some("v1.3.0")), Timing::default()).expect_err("same");
    assert!(e.contains("already runs v1.3.0"), "{e}");
    let e = plan(&m, &target(ActionKind::Promote, "api", "dev", None), Timing::default()).expect_err("first env");
    assert!(e.contains("first environment"), "{e}");
    let e = plan(&m, &target(ActionKind::Promote, "db", "dev", None), Timing::default()).expect_err("no service");
    assert!(e.contains("no service named db"), "{e}");
    // HAProxy did not answer (a full stats socket, a stopped HAProxy): the slot taking traffic is
    // only a guess from the containers, so nothing is planned on it.
    let mut lb_down = gen_demo_world_all_up();
    let since = lb_down.now;
    lb_down.lbs.get_mut("prod").expect("prod lb").reach =
        crate::world::Reach::Down { reason: "haproxy: cannot connect".into(), since };
    let e = plan(&lb_down, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect_err("lb");
    assert_eq!(e, "prod: HAProxy is not answering (haproxy: cannot connect); nothing switched");
    // A host not heard from yet (a console just started): its slots are unknown, so no plan,
    // rather than "the idle slot holds no previous release".
    let mut pending = gen_demo_world_all_up();
    pending.hosts.retain(|id, _| id.host != "prod-2");
    pending.touched();
    let e = plan(&pending, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect_err("pending");
    assert_eq!(e, "prod: host prod-2 has not answered yet; try again in a moment");
}

#[test]
fn zero_watch_means_no_watch_step() {
    let m = gen_demo_world_all_up();
    let timing = Timing { watch: std::time::Duration::ZERO, ..Timing::default() };
    let p = plan(&m, &target(ActionKind::Rollback, "api", "prod", None), timing).expect("plan");
    assert!(!p.steps.contains(&Step::Watch));
}

#[test]
fn the_gate_needs_the_digest_healthy_in_the_environment_before() {
    let m = gen_demo_world_all_up();
    let p = plan(&m, &target(ActionKind::Promote, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!(m.service_cell("staging", "api").map(|c| c.health), Some(Health::Healthy));
    assert_eq!(gate(&m, &p, false), None, "staging runs it healthy");
    // web v1.3.0 is unhealthy in staging: closed, unless remembered, forced, or a rollback.
    let p = plan(&m, &target(ActionKind::Promote, "web", "prod", None), Timing::default()).expect("plan");
    let reason = gate(&m, &p, false).expect("closed");
    assert!(reason.contains("has not run healthy in staging"), "{reason}");
    assert_eq!(gate(&m, &p, true), None);
    let forced = ActionPlan { forced: true, ..p.clone() };
    assert_eq!(gate(&m, &forced, false), None);
    let rollback = ActionPlan { kind: ActionKind::Rollback, ..p };
    assert_eq!(gate(&m, &rollback, false), None);
    // An image staging never ran: closed.
    let p = plan(&m, &target(ActionKind::Promote, "api", "prod", Some("v1.0.0")), Timing::default()).expect("plan");
    assert!(gate(&m, &p, false).is_some());
}

/// A plan is watched with its environment's gate (`[environments.canary] max_error_rate`).
#[test]
fn the_watch_gate_comes_from_the_environment() {
    let mut world = gen_demo_world_all_up();
    let mut config = (*world.config).clone();
    if let Some(prod) = config.environments.iter_mut().find(|e| e.name == "prod") {
        prod.canary.max_error_rate = 0.1;
        prod.canary.min_requests = 500;
    }
    world.config = std::sync::Arc::new(config);
    let p = plan(&world, &target(ActionKind::Rollback, "api", "prod", None), Timing::default()).expect("plan");
    assert_eq!((p.timing.max_error_bp, p.timing.min_requests), (1000, 500));
    let p = plan(&world, &target(ActionKind::Rollback, "api", "staging", None), Timing::default()).expect("plan");
    assert_eq!((p.timing.max_error_bp, p.timing.min_requests), (200, 20), "staging keeps the default");
}
