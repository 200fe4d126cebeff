//! The pure approval rules on the fixture config (prod requires alice's or bob's approval) and
//! the demo world.

use super::*;
use crate::store::{RequestId, RequestState};
use crate::testing::{gen_config, gen_demo_world_all_up, gen_digest, gen_now, gen_plan};

fn filed(plan: &ActionPlan, by: &str) -> Request {
    let new = new_request(&gen_config(), plan, by, "release", gen_now()).expect("request");
    Request {
        id: RequestId(7),
        created_at: new.created_at,
        expires_at: new.expires_at,
        requested_by: new.requested_by,
        kind: new.kind,
        service: new.service,
        env: new.env,
        from: new.from,
        to: new.to,
        hosts: new.hosts,
        reason: new.reason,
        plan: new.plan,
        state: RequestState::Pending,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        action_id: None,
    }
}

#[test]
fn only_promotes_and_rollbacks_on_an_approval_environment_need_a_request() {
    let config = gen_config();
    assert!(requires_approval(&config, ActionKind::Promote, "prod"));
    assert!(requires_approval(&config, ActionKind::Rollback, "prod"));
    assert!(!requires_approval(&config, ActionKind::Reapply, "prod"), "a repair does not wait");
    assert!(!requires_approval(&config, ActionKind::Promote, "staging"));
    assert!(!requires_approval(&config, ActionKind::Promote, "nowhere"));
}

#[test]
fn a_request_holds_who_what_why_and_until_when() {
    let plan = gen_plan(ActionKind::Promote, "api", "prod");
    let new = new_request(&gen_config(), &plan, "alice", "  release 1.3\n", gen_now()).expect("request");
    assert_eq!((new.requested_by.as_str(), new.kind.as_str()), ("alice", "promote"));
    assert_eq!((new.service.as_str(), new.env.as_str()), ("api", "prod"));
    assert_eq!(new.from.as_ref().map(|f| f.digest.clone()), Some(gen_digest("v1.2.0")));
    assert_eq!((new.to.tag.as_str(), new.to.digest.clone()), ("v1.3.0", gen_digest("v1.3.0")));
    assert_eq!(new.hosts, ["prod-1", "prod-2"]);
    assert_eq!(new.reason, "release 1.3", "trimmed, one line");
    assert_eq!(new.expires_at - new.created_at, chrono::Duration::hours(1), "the default ttl");
    assert_eq!(new.plan["to"]["tag"], "v1.3.0");
    assert_eq!(deciders(gen_config().environment("prod").expect("prod"), "alice"), ["bob"]);
}

#[test]
fn a_request_needs_a_reason_and_someone_else_to_approve_it() {
    let plan = gen_plan(ActionKind::Rollback, "api", "prod");
    let e = new_request(&gen_config(), &plan, "carol", " \t", gen_now()).expect_err("no reason");
    assert!(e.contains("prod requires approval: say why with --reason"), "{e}");
    let mut config = (*gen_config()).clone();
    config.environments[2].approvers = vec!["alice".into()];
    let e = new_request(&config, &plan, "alice", "undo", gen_now()).expect_err("only alice");
    assert!(e.contains("nobody but alice can approve"), "{e}");
    assert!(new_request(&config, &plan, "carol", "undo", gen_now()).is_ok());
    let long = "x".repeat(2 * MAX_REASON);
    assert_eq!(reason(&long).expect("kept").chars().count(), MAX_REASON);
}

#[test]
fn the_ttl_comes_from_the_config() {
    let mut config = (*gen_config()).clone();
    config.actions.approval_ttl = std::time::Duration::from_secs(90);
    let plan = gen_plan(ActionKind::Promote, "api", "prod");
    let new = new_request(&config, &plan, "alice", "r", gen_now()).expect("request");
    assert_eq!(new.expires_at - new.created_at, chrono::Duration::seconds(90));
}

#[test]
fn a_replan_of_an_unchanged_environment_matches() {
    let world = gen_demo_world_all_up();
    for kind in [ActionKind::Promote, ActionKind::Rollback] {
        let request = filed(&gen_plan(kind, "api", "prod"), "alice");
        let target = target(&request, &world).expect("target");
        let plan = crate::actions::plan(&world, &target, Timing::default()).expect("plan");
        assert_eq!(still_matches(&request, &plan), Ok(()), "{kind:?}");
    }
    let rollback = filed(&gen_plan(ActionKind::Rollback, "api", "prod"), "alice");
    assert_eq!(target(&rollback, &world).expect("target").image, None, "the idle slot's release, as asked");
    let promote = filed(&gen_plan(ActionKind::Promote, "api", "prod"), "alice");
    assert_eq!(target(&promote, &world).expect("target").image.as_deref(), Some("v1.3.0"));
}

#[test]
fn a_request_made_stale_by_another_change_does_not_match() {
    let request = filed(&gen_plan(ActionKind::Rollback, "api", "prod"), "alice");
    // Meanwhile someone promoted v1.3.0: prod's live image is no longer what the request saw.
    let mut other = gen_plan(ActionKind::Promote, "api", "prod");
    other.from = Some(other.to.clone());
    other.to = crate::world::views::ImageRef { tag: "v1.1.0".into(), digest: gen_digest("v1.1.0"), ..other.to };
    let e = still_matches(&request, &other).expect_err("stale");
    assert!(e.contains("someone else changed prod meanwhile"), "{e}");
    assert!(e.contains("now runs v1.3.0") && e.contains("when it ran v1.2.0"), "{e}");

    // The tag moved to another image.
    let mut moved = gen_plan(ActionKind::Rollback, "api", "prod");
    moved.to.digest = gen_digest("v9");
    let e = still_matches(&request, &moved).expect_err("moved");
    assert!(e.contains("v1.1.0 now means"), "{e}");

    // The environment's hosts changed.
    let mut hosts = gen_plan(ActionKind::Rollback, "api", "prod");
    hosts.hosts.pop();
    assert!(still_matches(&request, &hosts).expect_err("hosts").contains("now has hosts prod-1"));
}

#[test]
fn the_requesters_timing_and_force_carry_over() {
    let mut plan = gen_plan(ActionKind::Promote, "api", "prod");
    plan.forced = true;
    plan.timing.watch = std::time::Duration::from_secs(3);
    let request = filed(&plan, "alice");
    assert!(forced(&request));
    assert_eq!(timing(&request, Timing::default()).watch, std::time::Duration::from_secs(3));
    let bare = Request { plan: serde_json::json!({}), ..request };
    assert!(!forced(&bare));
    assert_eq!(timing(&bare, Timing::default()), Timing::default());
}
