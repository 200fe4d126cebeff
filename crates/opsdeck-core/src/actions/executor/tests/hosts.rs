//! An environment of two hosts: each host's slot is its own server (`green-prod-1`,
//! `green-prod-2`); every new server is ready before any old one drains, and a failure on one
//! host undoes (or switches back) both.

use super::*;

const HOSTS: [&str; 2] = ["prod-1", "prod-2"];

/// prod on two hosts (the fixture config): blue live on both, green idle holding v1.1.0.
fn gen_two_host_world() -> Fake {
    let fake = Fake::default();
    {
        let mut w = fake.world();
        w.per_host = true;
        for host in HOSTS {
            w.containers.insert(format!("{host}/api-prod-blue"), (true, "sha256:v1.2.0".into()));
            w.containers.insert(format!("{host}/api-prod-green"), (false, "sha256:v1.1.0".into()));
            w.servers.insert(format!("blue-{host}"), (AdminState::Ready, 2));
            w.servers.insert(format!("green-{host}"), (AdminState::Maint, 0));
        }
    }
    fake
}

/// [`gen_plan`] spread over both hosts.
fn gen_two_host_plan(to: &str) -> ActionPlan {
    let mut p = gen_plan(to);
    let on = |spec: &SlotSpec, host: &str| SlotSpec { host: host.into(), ..spec.clone() };
    p.hosts = HOSTS.iter().map(|h| h.to_string()).collect();
    p.new_slots = HOSTS.iter().map(|h| on(&p.new_slots[0], h)).collect();
    p.old_slots = HOSTS.iter().map(|h| on(&p.old_slots[0], h)).collect();
    p.idle_before = HOSTS.iter().map(|h| p.idle_before[0].as_ref().map(|s| on(s, h))).collect();
    let mut steps = Vec::new();
    for h in HOSTS {
        steps.extend([
            Step::Prepare { host: h.into() },
            Step::Start { host: h.into() },
            Step::WaitHealthy { host: h.into() },
        ]);
    }
    steps.extend([Step::Switch, Step::Drain, Step::Retire]);
    steps.extend(HOSTS.iter().map(|h| Step::StopOld { host: h.to_string() }));
    steps.push(Step::Watch);
    p.steps = steps;
    p
}

fn two_hosts(fake: Fake) -> Harness {
    harness_with(fake, "alice", crate::testing::gen_config())
}

fn position(calls: &[String], call: &str) -> usize {
    calls.iter().position(|c| c == call).unwrap_or_else(|| panic!("no call {call:?} in {calls:?}"))
}

#[tokio::test(start_paused = true)]
async fn every_new_server_is_ready_before_any_old_one_drains() {
    let h = two_hosts(gen_two_host_world());
    let report = h.exec.run(gen_two_host_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    let last_ready = position(&calls, "set green-prod-1 Ready").max(position(&calls, "set green-prod-2 Ready"));
    let first_drain = position(&calls, "set blue-prod-1 Drain").min(position(&calls, "set blue-prod-2 Drain"));
    assert!(last_ready < first_drain, "{calls:?}");
    // Both hosts were prepared and healthy before the switch.
    assert!(position(&calls, "start prod-2/api-prod-green") < last_ready, "{calls:?}");
    for host in HOSTS {
        assert_eq!(h.server(&format!("green-{host}")), AdminState::Ready);
        assert_eq!(h.server(&format!("blue-{host}")), AdminState::Maint);
        assert_eq!(h.running(&format!("{host}/api-prod-blue")), Some(false), "old slot stopped on {host}");
        assert_eq!(h.running(&format!("{host}/api-prod-green")), Some(true));
    }
}

#[tokio::test(start_paused = true)]
async fn one_host_never_healthy_undoes_both_and_leaves_traffic_untouched() {
    let fake = gen_two_host_world();
    fake.world().sick.push("prod-2/api-prod-green".into());
    let h = two_hosts(fake);
    let report = h.exec.run(gen_two_host_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed), "{report:?}");
    let calls = h.calls();
    assert!(!calls.iter().any(|c| c.starts_with("set ")), "traffic was touched: {calls:?}");
    for host in HOSTS {
        assert!(calls.contains(&format!("remove {host}/api-prod-green")), "{host} undone: {calls:?}");
        assert!(calls.contains(&format!("recreate {host}/api-prod-green sha256:v1.1.0")), "{host} restored");
        assert_eq!(h.server(&format!("blue-{host}")), AdminState::Ready);
        assert_eq!(h.running(&format!("{host}/api-prod-blue")), Some(true), "{host} still serves");
    }
}

#[tokio::test(start_paused = true)]
async fn one_host_failing_after_the_switch_switches_both_back() {
    let fake = gen_two_host_world();
    fake.world().sick_after = Some(("prod-2/api-prod-green".into(), 2));
    let h = two_hosts(fake);
    let report = h.exec.run(gen_two_host_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.contains("prod-2"), "names the host: {}", report.reason);
    for host in HOSTS {
        assert_eq!(h.server(&format!("blue-{host}")), AdminState::Ready, "{host} back on blue");
        assert_eq!(h.server(&format!("green-{host}")), AdminState::Maint);
        assert_eq!(h.running(&format!("{host}/api-prod-blue")), Some(true));
        assert_eq!(h.running(&format!("{host}/api-prod-green")), Some(false));
    }
}
