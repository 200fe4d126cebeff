//! The slot-wide moves (ready, traffic, shares, shutdown) and `/health` on replicated slots, on
//! the fake swarm and HAProxy of [`super`].

use super::*;

#[tokio::test]
async fn slot_moves_on_replicas() {
    let fake = gen_fake(4);
    let ops = ops(&fake);
    run(&fake, "green", &[]);
    let err = ops.set_slot("prod", "api_prod", "green", AdminState::Ready).await.expect_err("nothing runs");
    assert_eq!(err, "prod: green has no running replica");
    // A stopped slot still retires: nothing to do.
    ops.set_slot("prod", "api_prod", "green", AdminState::Maint).await.expect("maint");
    run(&fake, "green", &[1, 2]);
    fake.calls();
    ops.set_slot("prod", "api_prod", "green", AdminState::Ready).await.expect("ready");
    assert_eq!(
        fake.calls(),
        [
            "green1 addr 10.0.0.1:30001",
            "green2 addr 10.0.0.2:30002",
            "green1 Ready when checked",
            "green2 Ready when checked",
        ]
    );
    // Traffic and the canary's weights are the live servers' only.
    let traffic = ops.slot_traffic("prod", "api_prod", "green").await.expect("traffic");
    assert_eq!(traffic.not_up(), ["green1", "green2"]);
    fake.state().sick.insert("http://10.0.0.2:30002/healthz".into());
    fake.calls();
    ops.mark_up("prod", "api_prod", &["green1", "green2"]).await.expect("mark up");
    let calls = fake.calls();
    assert!(calls.contains(&"green1 up".to_string()) && !calls.contains(&"green2 up".to_string()), "{calls:?}");
    ops.set_slot_share("prod", "api_prod", "green", 10).await.expect("share");
    assert_eq!(fake.calls(), ["green1 share 10", "green2 share 10"]);
    // Out of maintenance already: readied at once (a slot switched back, still checked).
    ops.set_slot("prod", "api_prod", "green", AdminState::Drain).await.expect("drain");
    ops.set_slot("prod", "api_prod", "green", AdminState::Ready).await.expect("ready");
    assert_eq!(fake.calls(), ["green1 Drain", "green2 Drain", "green1 Ready", "green2 Ready"]);
    // A replica gone while nothing else runs: its server is held and still retired.
    run(&fake, "green", &[]);
    ops.shutdown_slot("prod", "api_prod", "green").await.expect("shutdown");
    ops.set_slot("prod", "api_prod", "green", AdminState::Maint).await.expect("maint");
    assert_eq!(fake.calls(), ["green1 shutdown", "green2 shutdown", "green1 Maint", "green2 Maint"]);
}

#[tokio::test]
async fn health_is_every_replicas() {
    let fake = gen_fake(2);
    let ops = ops(&fake);
    let spec = SlotSpec {
        service: "api".into(),
        env: "prod".into(),
        slot: "blue".into(),
        host: "manager-1".into(),
        image: "127.0.0.1:5000/api:v1".into(),
        digest: "sha256:aa".into(),
        container_port: 8080,
        host_port: 0,
        env_vars: BTreeMap::new(),
    };
    run(&fake, "blue", &[]);
    assert_eq!(ops.health(&spec).await.reason, "no replica running");
    run(&fake, "blue", &[1, 2]);
    assert!(ops.health(&spec).await.healthy);
    let probes: Vec<String> = fake.calls().into_iter().filter(|c| c.starts_with("probe")).collect();
    assert_eq!(probes, ["probe http://10.0.0.1:30001/healthz", "probe http://10.0.0.2:30002/healthz"]);
    fake.state().sick.insert("http://10.0.0.2:30002/healthz".into());
    let health = ops.health(&spec).await;
    assert!(!health.healthy);
    assert!(health.reason.starts_with("task2 (http://10.0.0.2:30002/healthz): HTTP 503"), "{}", health.reason);
}

#[test]
fn addresses_compare_as_addresses() {
    let v6 = Endpoint { address: "fd00::7".into(), port: 30001, name: "t".into() };
    assert!(super::is_at("[fd00::7]:30001", &v6));
    assert!(!super::is_at("[fd00::7]:30002", &v6));
    assert!(super::is_at("10.0.0.1:30001", &endpoint(1)));
    assert!(!super::is_at("10.0.0.10:30001", &endpoint(1)));
    assert_eq!(super::url("fd00::7", 80, "health"), "http://[fd00::7]:80/health");
}
