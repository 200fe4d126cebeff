//! HAProxy disagreeing with the running slot: named, and the re-apply plan.

use crate::testing::gen_demo_world_all_up;
use opsdeck_backends::types::AdminState;

/// The plan that re-applies prod api's running slot to HAProxy.
fn reapply_prod_api(m: &crate::world::World) -> crate::actions::ActionPlan {
    let target = crate::actions::Target {
        kind: crate::actions::ActionKind::Reapply,
        service: "api".into(),
        env: "prod".into(),
        image: None,
        force: false,
    };
    crate::actions::plan(m, &target, crate::actions::Timing::default()).expect("plan")
}

/// HAProxy sending traffic to the stopped slot is named, with the running slot.
#[test]
fn haproxy_disagreeing_with_the_running_slot_is_flagged() {
    let mut m = gen_demo_world_all_up();
    assert!(m.service_cell("prod", "api").and_then(|c| c.lb_mismatch).is_none());
    for s in m.lbs.get_mut("prod").expect("prod lb").servers_mut().iter_mut().filter(|s| s.backend == "api_prod") {
        s.admin = if s.server.starts_with("green") { AdminState::Ready } else { AdminState::Maint };
    }
    // Changed behind apply(): the derived views must be made again.
    m.touched();
    let mismatch = m.service_cell("prod", "api").and_then(|c| c.lb_mismatch).expect("mismatch");
    assert_eq!(mismatch.running_slot, "blue");
    assert_eq!(mismatch.haproxy_ready, ["green-prod-1", "green-prod-2"]);
    assert!(mismatch.message.contains("R re-applies it"), "{}", mismatch.message);
    // The re-apply plan: wait for blue healthy, then switch green -> blue.
    let p = reapply_prod_api(&m);
    assert_eq!((p.from_slot.as_str(), p.to_slot.as_str()), ("green", "blue"));
    let labels: Vec<String> = p.steps.iter().map(|s| s.label(&p)).collect();
    assert_eq!(labels[0], "prod-1: wait for blue healthy");
    assert_eq!(labels[1], "prod-2: wait for blue healthy");
    assert_eq!(labels[2], "switch traffic green -> blue");
    assert_eq!(p.steps.len(), 5);
}

/// One host's live server left in maint (a hand-made change on one host) is a mismatch too:
/// that host takes no traffic.
#[test]
fn one_host_out_of_traffic_is_flagged() {
    let mut m = gen_demo_world_all_up();
    for s in m.lbs.get_mut("prod").expect("prod lb").servers_mut().iter_mut().filter(|s| s.server == "blue-prod-2") {
        s.admin = AdminState::Maint;
    }
    // Changed behind apply(): the derived views must be made again.
    m.touched();
    let cell = m.service_cell("prod", "api").expect("cell");
    assert_eq!(cell.live_slot.as_deref(), Some("blue"), "prod-1 still serves blue");
    let mismatch = cell.lb_mismatch.expect("mismatch");
    assert_eq!(mismatch.haproxy_ready, ["blue-prod-1"]);
    // Re-applying it moves traffic to blue on every host, planned on the console's world (its
    // derived views already looked up, as every frame does): the plan's own changed copy of the
    // world must not see the views of the original.
    assert_eq!(m.live_slot("prod", "api").as_deref(), Some("blue"));
    let p = reapply_prod_api(&m);
    assert_eq!((p.from_slot.as_str(), p.to_slot.as_str()), ("green", "blue"));
}

/// Each host of a service's live slot in `status --json`'s `hosts`, and the `2/2` count.
#[test]
fn a_cell_counts_its_healthy_hosts() {
    let m = gen_demo_world_all_up();
    let cell = m.service_cell("prod", "api").expect("cell");
    let names: Vec<&str> = cell.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["prod-1", "prod-2"]);
    assert_eq!(cell.healthy_hosts(), (2, 2));
    let down = crate::testing::gen_demo_world();
    let cell = down.service_cell("prod", "api").expect("cell");
    assert_eq!(cell.healthy_hosts(), (1, 2), "prod-2 is unreachable in the demo model");
    let json = serde_json::to_value(&cell).expect("json");
    assert_eq!(json["hosts"][1]["name"], "prod-2");
    assert_eq!(json["hosts"][1]["health"], "unreachable");
    assert!(json["hosts"][0].get("reason").is_none(), "no reason for a healthy host");
}

/// After a rollback that keeps the old slot warm, the cell says until when, while it runs; and
/// HAProxy having only the live slot ready is no mismatch although both slots run.
#[test]
fn a_warm_idle_slot_is_shown_until_its_time_is_up() {
    use crate::testing::{gen_container, gen_journal_entry, GenRun};
    let mut m = gen_demo_world_all_up();
    let target = crate::actions::Target {
        kind: crate::actions::ActionKind::Rollback,
        service: "api".into(),
        env: "prod".into(),
        image: None,
        force: false,
    };
    let timing = crate::actions::Timing { keep_warm: std::time::Duration::from_secs(3600), ..Default::default() };
    // The plan as it was made: blue live, rolling back to green; then green took the traffic.
    let mut plan = crate::actions::plan(&m, &target, timing).expect("plan");
    std::mem::swap(&mut plan.from_slot, &mut plan.to_slot);
    let started = m.now - chrono::Duration::minutes(10);
    m.actions.set_recent(vec![gen_journal_entry(7, &plan, "alice", started, GenRun::Succeeded)]);
    assert_eq!(m.service_cell("prod", "api").and_then(|c| c.idle_warm_until), None, "green is stopped: not warm");
    for (id, host) in m.hosts.iter_mut().filter(|(id, _)| id.env == "prod") {
        let mut c = gen_container("prod", "api", "green", "v1.1.0", true);
        host.retain(|old| old.name != c.name);
        c.id = format!("{}-{}", c.id, id.host);
        host.insert(c);
    }
    let cell = m.service_cell("prod", "api").expect("cell");
    let until = cell.idle_warm_until.expect("warm");
    assert!(until > m.now && until <= m.now + chrono::Duration::minutes(52), "{until}");
    assert!(cell.lb_mismatch.is_none(), "{:?}", cell.lb_mismatch);
    // Traffic moved by hand to the warm slot: both run, and the journal says which is live.
    let mut moved = m.clone();
    for s in moved.lbs.get_mut("prod").expect("prod lb").servers_mut().iter_mut().filter(|s| s.backend == "api_prod") {
        s.admin = if s.server.starts_with("green") { AdminState::Ready } else { AdminState::Maint };
    }
    // Changed behind apply(): the derived views must be made again.
    moved.touched();
    let mismatch = moved.service_cell("prod", "api").and_then(|c| c.lb_mismatch).expect("mismatch");
    assert_eq!(mismatch.running_slot, "blue");
    // The pane's memoized cell follows the clock: warm until its window ends, then not.
    m.touched();
    assert_eq!(m.cell("prod", "api").and_then(|c| c.idle_warm_until), Some(until));
    m.tick(until - chrono::Duration::seconds(1));
    assert_eq!(m.cell("prod", "api").and_then(|c| c.idle_warm_until), Some(until), "still warm");
    m.tick(until + chrono::Duration::seconds(1));
    assert_eq!(m.cell("prod", "api").and_then(|c| c.idle_warm_until), None, "its time is up, seen by the memo");
    m.now += chrono::Duration::hours(1);
    assert_eq!(m.service_cell("prod", "api").and_then(|c| c.idle_warm_until), None, "its time is up");
}
