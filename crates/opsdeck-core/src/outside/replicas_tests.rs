//! The replica sync against a fake swarm and a fake HAProxy that keeps its servers' addresses,
//! states and weights: new, replaced and gone replicas, duplicates, running out of servers, and
//! the slot-wide moves on top of it.

use super::*;
use crate::outside::{Alerts, HealthProbe, Images, Platform, ServerCounters, SlotSpec, TrafficSwitch};
use futures::stream::BoxStream;
use opsdeck_backends::alertmanager::{NewAlert, NewSilence};
use opsdeck_backends::platform::{LogSession, SlotNews};
use opsdeck_backends::types::{Alert, ContainerDetail, ContainerInfo, HealthReport, Silence};
use opsdeck_backends::{BackendError, BackendResult};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONFIG: &str = r#"
state_path = "s.db"
[registry]
url = "http://127.0.0.1:5000"
[[environments]]
name = "prod"
platform = "swarm"
haproxy = "unix:///tmp/h.sock"
hosts = [{ name = "manager-1", url = "unix:///var/run/docker.sock" }]
[[services]]
name = "api"
container_port = 8080
health_path = "/healthz"
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:1"
replicas = 2
"#;

#[derive(Debug, Default)]
struct State {
    /// Swarm: running replicas by platform name (`api-prod-blue`).
    endpoints: BTreeMap<String, Vec<Endpoint>>,
    /// HAProxy's servers of `api_prod`, by name.
    servers: BTreeMap<String, ServerStat>,
    /// URLs whose `/health` fails.
    sick: BTreeSet<String>,
    calls: Vec<String>,
}

#[derive(Debug, Default)]
struct Fake(Mutex<State>);

impl Fake {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("fake state")
    }
    fn server(&self, name: &str) -> ServerStat {
        self.state().servers[name].clone()
    }
    fn calls(&self) -> Vec<String> {
        std::mem::take(&mut self.state().calls)
    }
    fn edit(&self, server: &str, call: String, change: impl FnOnce(&mut ServerStat)) -> OpsResult<()> {
        let mut st = self.state();
        st.calls.push(call);
        let s = st.servers.get_mut(server).ok_or("No such server.")?;
        change(s);
        Ok(())
    }
}

fn endpoint(n: u16) -> Endpoint {
    Endpoint { address: format!("10.0.0.{n}"), port: 30000 + n, name: format!("task{n}") }
}

fn at(n: u16) -> String {
    format!("10.0.0.{n}:{}", 30000 + n)
}

/// `blue1..blue<count>` and `green1..green<count>` as a `server-template ... disabled` makes
/// them: in maintenance, weight 1, at 127.0.0.1:1.
fn gen_fake(count: u32) -> Arc<Fake> {
    let fake = Fake::default();
    for slot in ["blue", "green"] {
        for n in 1..=count {
            let name = format!("{slot}{n}");
            let mut s = crate::testing::gen_server("api_prod", &name, false);
            (s.admin, s.status, s.weight, s.address) = (AdminState::Maint, "MAINT".into(), 1, "127.0.0.1:1".into());
            fake.state().servers.insert(name, s);
        }
    }
    Arc::new(fake)
}

/// Puts `server` at replica `n` with `admin` and `weight`, as an earlier sync left it.
fn place(fake: &Fake, server: &str, n: u16, admin: AdminState, weight: u32) {
    let mut st = fake.state();
    let s = st.servers.get_mut(server).expect("server");
    (s.address, s.admin, s.weight) = (at(n), admin, weight);
    s.status = if admin == AdminState::Maint { "MAINT".into() } else { "UP".into() };
}

fn run(fake: &Fake, slot: &str, replicas: &[u16]) {
    fake.state().endpoints.insert(format!("api-prod-{slot}"), replicas.iter().map(|n| endpoint(*n)).collect());
}

fn ops(fake: &Arc<Fake>) -> Outside {
    let config = Arc::new(crate::config::parse_str(CONFIG).expect("config"));
    Outside::faked(config, fake.clone())
}

#[async_trait::async_trait]
impl Platform for Fake {
    fn probe_address(&self, _host: &str) -> OpsResult<String> {
        Ok("10.0.0.1".into())
    }
    async fn has_image(&self, _host: &str, _image: &str) -> OpsResult<bool> {
        Ok(true)
    }
    async fn pull(&self, _host: &str, _image: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn slot_digest(&self, _host: &str, _slot: &str) -> OpsResult<Option<String>> {
        Ok(None)
    }
    async fn is_running(&self, _host: &str, slot: &str) -> OpsResult<bool> {
        Ok(self.state().endpoints.get(slot).is_some_and(|e| !e.is_empty()))
    }
    async fn recreate(&self, _spec: &SlotSpec) -> OpsResult<()> {
        Ok(())
    }
    async fn start(&self, _host: &str, _slot: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn stop(&self, _host: &str, _slot: &str, _grace: Duration) -> OpsResult<()> {
        Ok(())
    }
    async fn remove(&self, _host: &str, _slot: &str) -> OpsResult<()> {
        Ok(())
    }
    async fn verdict(&self, _host: &str, _slot: &str) -> Option<String> {
        None
    }
    async fn list_slots(&self, _host: &str) -> BackendResult<Vec<ContainerInfo>> {
        Ok(Vec::new())
    }
    fn follow(&self, _host: &str, _reconcile: Duration) -> BoxStream<'static, SlotNews> {
        Box::pin(futures::stream::empty())
    }
    async fn inspect(&self, _host: &str, slot: &str) -> BackendResult<ContainerDetail> {
        Err(BackendError::Other { system: "fake", reason: format!("no detail of {slot}") })
    }
    async fn log_session(&self, _host: &str) -> BackendResult<Box<dyn LogSession>> {
        Err(BackendError::Other { system: "fake", reason: "no logs".into() })
    }
    async fn slot_endpoints(&self, host: &str, slot: &str) -> OpsResult<Option<Vec<Endpoint>>> {
        assert_eq!(host, "manager-1", "the environment's one host");
        Ok(Some(self.state().endpoints.get(slot).cloned().unwrap_or_default()))
    }
}

#[async_trait::async_trait]
impl TrafficSwitch for Fake {
    async fn set_server(&self, backend: &str, server: &str, state: AdminState) -> OpsResult<()> {
        assert_eq!(backend, "api_prod");
        self.edit(server, format!("{server} {state:?}"), |s| s.admin = state)
    }
    async fn counters(&self, _backend: &str, server: &str) -> OpsResult<ServerCounters> {
        let s = self.server(server);
        Ok(ServerCounters { up: s.status == "UP", requests: 10, errors_5xx: 0, current_sessions: 1 })
    }
    async fn mark_up(&self, _backend: &str, server: &str) -> OpsResult<()> {
        self.edit(server, format!("{server} up"), |s| s.status = "UP".into())
    }
    async fn set_share(&self, _backend: &str, server: &str, percent: u8) -> OpsResult<()> {
        self.edit(server, format!("{server} share {percent}"), |s| s.weight = u32::from(percent))
    }
    async fn set_address(&self, _backend: &str, server: &str, address: &str, port: u16) -> OpsResult<()> {
        self.edit(server, format!("{server} addr {address}:{port}"), |s| s.address = format!("{address}:{port}"))
    }
    async fn set_weight(&self, _backend: &str, server: &str, weight: u32) -> OpsResult<()> {
        self.edit(server, format!("{server} weight {weight}"), |s| s.weight = weight)
    }
    async fn ready_when_checked(&self, _backend: &str, server: &str) -> OpsResult<()> {
        self.edit(server, format!("{server} Ready when checked"), |s| {
            (s.admin, s.status) = (AdminState::Ready, "DOWN".into())
        })
    }
    async fn shutdown_sessions(&self, _backend: &str, server: &str) -> OpsResult<()> {
        self.edit(server, format!("{server} shutdown"), |_| {})
    }
    async fn servers(&self) -> BackendResult<Vec<ServerStat>> {
        Ok(self.state().servers.values().cloned().collect())
    }
}

#[async_trait::async_trait]
impl HealthProbe for Fake {
    async fn probe(&self, url: &str) -> HealthReport {
        self.state().calls.push(format!("probe {url}"));
        crate::testing::gen_report(!self.state().sick.contains(url), 3)
    }
}

#[async_trait::async_trait]
impl Alerts for Fake {
    async fn alerts(&self) -> BackendResult<Vec<Alert>> {
        Ok(Vec::new())
    }
    async fn silences(&self) -> BackendResult<Vec<Silence>> {
        Ok(Vec::new())
    }
    async fn create_silence(&self, _silence: &NewSilence) -> BackendResult<String> {
        Ok("s-1".into())
    }
    async fn post_alert(&self, _alert: &NewAlert) -> BackendResult<()> {
        Ok(())
    }
    async fn expire_silence(&self, _id: &str) -> BackendResult<()> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl Images for Fake {
    async fn digest_of(&self, _repo: &str, reference: &str) -> BackendResult<String> {
        Ok(reference.to_string())
    }
}

fn servers(live: &[&str], held: &[&str]) -> SlotServers {
    SlotServers {
        live: live.iter().map(|s| s.to_string()).collect(),
        held: held.iter().map(|s| s.to_string()).collect(),
    }
}

#[tokio::test]
async fn a_new_replica_takes_a_free_server_with_the_slots_state_and_weight() {
    let fake = gen_fake(4);
    place(&fake, "blue1", 1, AdminState::Ready, 30);
    run(&fake, "blue", &[1, 2]);
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&["blue1", "blue2"], &[]));
    // Pointed at the replica in maintenance, weighed, and readied only once checked.
    assert_eq!(fake.calls(), ["blue2 addr 10.0.0.2:30002", "blue2 weight 30", "blue2 Ready when checked"]);
    let blue2 = fake.server("blue2");
    assert_eq!((blue2.address.as_str(), blue2.admin, blue2.weight), (at(2).as_str(), AdminState::Ready, 30));
    // Once in step, a sync changes nothing.
    ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert!(fake.calls().is_empty());
    // A draining slot's new replica drains too; a slot all in maintenance has no state to give.
    place(&fake, "green3", 5, AdminState::Drain, 7);
    run(&fake, "green", &[5, 6]);
    ops(&fake).follow_replicas("prod", "api_prod", "green").await.expect("sync");
    assert_eq!(fake.calls(), ["green1 addr 10.0.0.6:30006", "green1 weight 7", "green1 Drain"]);
    run(&fake, "green", &[5, 6, 8]);
    place(&fake, "green3", 5, AdminState::Maint, 7);
    place(&fake, "green1", 6, AdminState::Maint, 7);
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "green").await.expect("sync");
    assert_eq!(synced, servers(&["green1", "green2", "green3"], &[]));
    assert_eq!(fake.calls(), ["green2 addr 10.0.0.8:30008"]);
}

#[tokio::test]
async fn a_replaced_replica_reuses_the_held_server_keeping_its_state() {
    let fake = gen_fake(4);
    place(&fake, "blue1", 1, AdminState::Ready, 30);
    place(&fake, "blue2", 2, AdminState::Ready, 30);
    run(&fake, "blue", &[1, 3]);
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&["blue1", "blue2"], &[]));
    // Drained before it points at the new replica: no request reaches it before a check.
    assert_eq!(fake.calls(), ["blue2 Drain", "blue2 addr 10.0.0.3:30003", "blue2 Ready when checked"]);
    assert_eq!(fake.server("blue2").weight, 30);
    // A held server of a draining slot only moves.
    place(&fake, "green1", 1, AdminState::Drain, 5);
    run(&fake, "green", &[4]);
    ops(&fake).follow_replicas("prod", "api_prod", "green").await.expect("sync");
    assert_eq!(fake.calls(), ["green1 addr 10.0.0.4:30004"]);
    assert_eq!(fake.server("green1").admin, AdminState::Drain);
}

#[tokio::test]
async fn a_gone_replica_frees_its_server_unless_no_replica_runs() {
    let fake = gen_fake(4);
    place(&fake, "blue1", 1, AdminState::Ready, 30);
    place(&fake, "blue2", 2, AdminState::Ready, 30);
    run(&fake, "blue", &[]);
    // Nothing runs: the servers keep the slot's state for the replicas to come.
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&[], &["blue1", "blue2"]));
    assert!(fake.calls().is_empty());
    run(&fake, "blue", &[2]);
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&["blue2"], &[]));
    assert_eq!(fake.calls(), ["blue1 Maint"]);
}

#[tokio::test]
async fn servers_duplicated_on_one_replica_converge() {
    let fake = gen_fake(4);
    // Two syncs that raced gave replica 1 two servers.
    place(&fake, "blue1", 1, AdminState::Ready, 30);
    place(&fake, "blue3", 1, AdminState::Ready, 30);
    place(&fake, "blue2", 2, AdminState::Ready, 30);
    run(&fake, "blue", &[1, 2]);
    let synced = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&["blue1", "blue2"], &[]));
    assert_eq!(fake.calls(), ["blue3 Maint"]);
    // Syncs at once from one look plan alike: both give a new replica the same free server.
    run(&fake, "blue", &[1, 2, 5]);
    let look: Vec<ServerStat> = fake.state().servers.values().cloned().collect();
    let replicas = [endpoint(1), endpoint(2), endpoint(5)];
    assert_eq!(plan_sync("blue", &look, &replicas), plan_sync("blue", &look, &replicas));
    let ops = ops(&fake);
    let synced = ops.follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(synced, servers(&["blue1", "blue2", "blue3"], &[]));
    let serving: Vec<String> =
        fake.state().servers.values().filter(|s| s.admin != AdminState::Maint).map(|s| s.address.clone()).collect();
    assert_eq!(serving, [at(1), at(2), at(5)], "one server per replica");
    // A server in maintenance left at an address a new replica got again takes the state there.
    place(&fake, "blue4", 7, AdminState::Maint, 1);
    run(&fake, "blue", &[1, 2, 5, 7]);
    fake.calls();
    ops.follow_replicas("prod", "api_prod", "blue").await.expect("sync");
    assert_eq!(fake.calls(), ["blue4 weight 30", "blue4 Ready when checked"]);
}

#[tokio::test]
async fn too_few_servers_is_an_error_naming_the_template() {
    let fake = gen_fake(2);
    place(&fake, "blue1", 1, AdminState::Ready, 1);
    run(&fake, "blue", &[1, 2, 3]);
    let err = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect_err("3 replicas, 2 servers");
    assert!(err.contains("backend api_prod") && err.contains("server-template blue 1-2"), "{err}");
    assert!(err.contains("1 replica(s) of api-prod-blue have no server"), "{err}");
    // What could be done was done.
    assert_eq!(fake.server("blue2").address, at(2));
    // A backend without the template at all.
    fake.state().servers.retain(|name, _| !name.starts_with("blue"));
    let err = ops(&fake).follow_replicas("prod", "api_prod", "blue").await.expect_err("no servers");
    assert!(err.contains("has no servers blue1, blue2, ...: add `server-template blue 1-"), "{err}");
}

/// The slot-wide moves and health on top of the sync, in a file of their own.
#[path = "replicas_moves_tests.rs"]
mod moves;
