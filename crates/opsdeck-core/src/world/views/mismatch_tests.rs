//! HAProxy disagreeing with the running slot: named, and the re-apply plan.

use crate::testing::gen_demo_world_all_up;
use opsdeck_backends::types::AdminState;

/// HAProxy sending traffic to the stopped slot is named, with the running slot.
#[test]
fn haproxy_disagreeing_with_the_running_slot_is_flagged() {
    let mut m = gen_demo_world_all_up();
    assert!(m.service_cell("prod", "api").and_then(|c| c.lb_mismatch).is_none());
    for s in m.lbs.get_mut("prod").expect("prod lb").servers.iter_mut().filter(|s| s.backend == "api_prod") {
        s.admin = if s.server == "green" { AdminState::Ready } else { AdminState::Maint };
    }
    let mismatch = m.service_cell("prod", "api").and_then(|c| c.lb_mismatch).expect("mismatch");
    assert_eq!(mismatch.running_slot, "blue");
    assert_eq!(mismatch.haproxy_ready, ["green"]);
    assert!(mismatch.message.contains("R re-applies it"), "{}", mismatch.message);
    // The re-apply plan: wait for blue healthy, then switch green -> blue.
    let target = crate::actions::Target {
        kind: crate::actions::ActionKind::Reapply,
        service: "api".into(),
        env: "prod".into(),
        image: None,
        force: false,
    };
    let p = crate::actions::plan(&m, &target, crate::actions::Timing::default()).expect("plan");
    assert_eq!((p.from_slot.as_str(), p.to_slot.as_str()), ("green", "blue"));
    let labels: Vec<String> = p.steps.iter().map(|s| s.label(&p)).collect();
    assert_eq!(labels[0], "prod-1: wait for blue healthy");
    assert_eq!(labels[2], "switch traffic green -> blue");
    assert_eq!(p.steps.len(), 5);
}
