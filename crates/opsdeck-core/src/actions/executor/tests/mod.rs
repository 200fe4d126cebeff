//! The executor against fake outside systems, with tokio's clock paused: step order, timeouts,
//! cancel, undo before and after the switch, the lock, the journal and the audit trail.

use super::*;
use crate::actions::plan::{ActionKind, Timing};
use crate::outside::{Alerts, HealthProbe, OpsResult, Platform, ServerCounters, TrafficSwitch};
use crate::world::views::ImageRef;
use futures::stream::BoxStream;
use opsdeck_backends::alertmanager::NewSilence;
use opsdeck_backends::platform::{LogSession, SlotNews};
use opsdeck_backends::types::{Alert, ContainerDetail, ContainerInfo, HealthReport, ServerStat, Silence};
use opsdeck_backends::{BackendError, BackendResult};
use std::collections::BTreeMap;

#[derive(Default, Debug)]
struct World {
    calls: Vec<String>,
    /// container name -> (running, digest)
    containers: BTreeMap<String, (bool, String)>,
    /// server -> (admin, sessions)
    servers: BTreeMap<String, (AdminState, u64)>,
    images: Vec<String>,
    /// Containers whose health never passes.
    sick: Vec<String>,
    /// Becomes sick after this many health checks (for failures after the switch).
    sick_after: Option<(String, u32)>,
    health_checks: BTreeMap<String, u32>,
    hang_pull: bool,
    requests: u64,
    errors: u64,
    /// Silences: id -> active.
    silences: BTreeMap<String, bool>,
    /// Alertmanager is down: silences cannot be created.
    no_alertmanager: bool,
    /// Containers are kept per host (`prod-2/api-prod-green`), for environments of several hosts.
    per_host: bool,
}

impl World {
    /// The key of container `name` on `host`.
    fn key(&self, host: &str, name: &str) -> String {
        if self.per_host {
            format!("{host}/{name}")
        } else {
            name.to_string()
        }
    }
}

#[derive(Default, Debug)]
struct Fake(Mutex<World>);

impl Fake {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.lock().expect("fake world")
    }
    fn call(&self, c: String) {
        self.world().calls.push(c);
    }
}

#[async_trait::async_trait]
impl Platform for Fake {
    fn probe_address(&self, _host: &str) -> OpsResult<String> {
        Ok("127.0.0.1".into())
    }
    async fn has_image(&self, _host: &str, image: &str) -> OpsResult<bool> {
        self.call(format!("has_image {image}"));
        Ok(self.world().images.iter().any(|i| i == image))
    }
    async fn pull(&self, _host: &str, image: &str) -> OpsResult<()> {
        self.call(format!("pull {image}"));
        let hang = self.world().hang_pull;
        self.world().images.push(image.to_string());
        if hang {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
    async fn slot_digest(&self, host: &str, container: &str) -> OpsResult<Option<String>> {
        let w = self.world();
        Ok(w.containers.get(&w.key(host, container)).map(|c| c.1.clone()))
    }
    async fn is_running(&self, host: &str, container: &str) -> OpsResult<bool> {
        let w = self.world();
        Ok(w.containers.get(&w.key(host, container)).is_some_and(|c| c.0))
    }
    async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        let key = self.world().key(&spec.host, &spec.container_name());
        self.call(format!("recreate {key} {}", spec.digest));
        self.world().containers.insert(key, (false, spec.digest.clone()));
        Ok(())
    }
    async fn start(&self, host: &str, container: &str) -> OpsResult<()> {
        let key = self.world().key(host, container);
        self.call(format!("start {key}"));
        if let Some(c) = self.world().containers.get_mut(&key) {
            c.0 = true;
        }
        Ok(())
    }
    async fn stop(&self, host: &str, container: &str, _grace: Duration) -> OpsResult<()> {
        let key = self.world().key(host, container);
        self.call(format!("stop {key}"));
        if let Some(c) = self.world().containers.get_mut(&key) {
            c.0 = false;
        }
        Ok(())
    }
    async fn remove(&self, host: &str, container: &str) -> OpsResult<()> {
        let key = self.world().key(host, container);
        self.call(format!("remove {key}"));
        self.world().containers.remove(&key);
        Ok(())
    }
    /// The whole health judgement of the fake (its `/health` always passes).
    async fn verdict(&self, host: &str, name: &str) -> Option<String> {
        let mut w = self.world();
        let name = &w.key(host, name);
        let n = w.health_checks.entry(name.to_string()).or_default();
        *n += 1;
        let n = *n;
        let running = w.containers.get(name).is_some_and(|c| c.0);
        let sick =
            w.sick.iter().any(|s| s == name) || w.sick_after.as_ref().is_some_and(|(c, after)| c == name && n > *after);
        if running && !sick {
            None
        } else if running {
            Some("HTTP 503: {\"status\":\"unhealthy\"}".into())
        } else {
            Some("connection refused".into())
        }
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
}

#[async_trait::async_trait]
impl TrafficSwitch for Fake {
    async fn set_server(&self, _backend: &str, server: &str, state: AdminState) -> OpsResult<()> {
        self.call(format!("set {server} {state:?}"));
        self.world().servers.entry(server.to_string()).or_insert((AdminState::Maint, 0)).0 = state;
        Ok(())
    }
    async fn counters(&self, _backend: &str, server: &str) -> OpsResult<ServerCounters> {
        let mut w = self.world();
        w.requests += 10;
        let (requests, errors_5xx) = (w.requests, w.errors);
        let (admin, sessions) = w.servers.get(server).copied().unwrap_or((AdminState::Maint, 0));
        // Sessions on a draining server finish one poll later.
        if admin == AdminState::Drain {
            if let Some(s) = w.servers.get_mut(server) {
                s.1 = s.1.saturating_sub(1);
            }
        }
        Ok(ServerCounters { up: admin == AdminState::Ready, requests, errors_5xx, current_sessions: sessions })
    }
    async fn shutdown_sessions(&self, _backend: &str, server: &str) -> OpsResult<()> {
        self.call(format!("shutdown {server}"));
        Ok(())
    }
    async fn set_share(&self, _backend: &str, server: &str, percent: u8) -> OpsResult<()> {
        self.call(format!("share {server} {percent}"));
        Ok(())
    }
    async fn servers(&self) -> BackendResult<Vec<ServerStat>> {
        Ok(Vec::new())
    }
}

#[async_trait::async_trait]
impl crate::outside::Images for Fake {
    // Every image is known: the registry's answer is not what these tests are about.
    async fn digest_of(&self, _repo: &str, reference: &str) -> BackendResult<String> {
        Ok(reference.to_string())
    }
}

#[async_trait::async_trait]
impl HealthProbe for Fake {
    async fn probe(&self, _url: &str) -> HealthReport {
        crate::testing::gen_report(true, 5)
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
    async fn create_silence(&self, silence: &NewSilence) -> BackendResult<String> {
        let matchers: Vec<String> = silence.matchers.iter().map(|m| format!("{}={}", m.name, m.value)).collect();
        self.call(format!("silence {} by {}", matchers.join(","), silence.created_by));
        let mut w = self.world();
        if w.no_alertmanager {
            return Err(BackendError::Other { system: "alertmanager", reason: "connection refused".into() });
        }
        let id = format!("s-{}", w.silences.len() + 1);
        w.silences.insert(id.clone(), true);
        Ok(id)
    }
    async fn post_alert(&self, alert: &opsdeck_backends::alertmanager::NewAlert) -> BackendResult<()> {
        let label = |k: &str| alert.labels.get(k).cloned().unwrap_or_default();
        self.call(format!("alert {} {}/{}", label("alertname"), label("service"), label("env")));
        Ok(())
    }
    async fn expire_silence(&self, id: &str) -> BackendResult<()> {
        self.call(format!("expire {id}"));
        if let Some(active) = self.world().silences.get_mut(id) {
            *active = false;
        }
        Ok(())
    }
}

fn image(tag: &str) -> ImageRef {
    ImageRef { reference: format!("127.0.0.1:5000/api:{tag}"), tag: tag.into(), digest: format!("sha256:{tag}") }
}

fn spec(slot: &str, tag: &str) -> SlotSpec {
    SlotSpec {
        service: "api".into(),
        env: "prod".into(),
        slot: slot.into(),
        host: "prod-1".into(),
        image: image(tag).reference,
        digest: image(tag).digest,
        container_port: 8080,
        host_port: 4000,
        env_vars: BTreeMap::new(),
    }
}

/// prod: blue live on v1.2.0, green idle holding v1.1.0; the plan puts `to` on green.
fn gen_plan(to: &str) -> ActionPlan {
    let reuse_idle = to == "v1.1.0";
    let h = || "prod-1".to_string();
    ActionPlan {
        kind: if reuse_idle { ActionKind::Rollback } else { ActionKind::Promote },
        service: "api".into(),
        env: "prod".into(),
        backend: "api_prod".into(),
        from_slot: "blue".into(),
        to_slot: "green".into(),
        from: Some(image("v1.2.0")),
        to: image(to),
        hosts: vec![h()],
        new_slots: vec![spec("green", to)],
        old_slots: vec![spec("blue", "v1.2.0")],
        idle_before: vec![Some(spec("green", "v1.1.0"))],
        reuse_idle,
        forced: false,
        break_glass: false,
        timing: Timing { watch: Duration::from_secs(5), ..Timing::default() },
        steps: vec![
            Step::Prepare { host: h() },
            Step::Start { host: h() },
            Step::WaitHealthy { host: h() },
            Step::Switch,
            Step::Drain,
            Step::Retire,
            Step::StopOld { host: h() },
            Step::Watch,
        ],
    }
}

fn gen_world() -> Fake {
    let fake = Fake::default();
    {
        let mut w = fake.world();
        w.containers.insert("api-prod-blue".into(), (true, "sha256:v1.2.0".into()));
        w.containers.insert("api-prod-green".into(), (false, "sha256:v1.1.0".into()));
        w.servers.insert("blue".into(), (AdminState::Ready, 3));
        w.servers.insert("green".into(), (AdminState::Maint, 0));
    }
    fake
}

struct Harness {
    exec: Executor,
    fake: Arc<Fake>,
    events: tokio::sync::mpsc::UnboundedReceiver<ActionEvent>,
    _dir: tempfile::TempDir,
}

/// The executor on `fake`, with prod on one host (`prod-1`): its servers are `blue` and `green`.
fn harness(fake: Fake, user: &str) -> Harness {
    let mut config = (*crate::testing::gen_config()).clone();
    for env in config.environments.iter_mut() {
        env.hosts.truncate(1);
    }
    harness_with(fake, user, Arc::new(config))
}

fn harness_with(fake: Fake, user: &str, config: Arc<crate::config::Config>) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("state.db")).expect("store");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake = Arc::new(fake);
    let exec = Executor {
        ops: Arc::new(Outside::faked(config, fake.clone())),
        store: Arc::new(Mutex::new(store)),
        events: tx,
        holder: Holder::this_process(user),
    };
    Harness { exec, fake, events: rx, _dir: dir }
}

impl Harness {
    fn calls(&self) -> Vec<String> {
        self.fake.world().calls.clone()
    }
    fn server(&self, s: &str) -> AdminState {
        self.fake.world().servers[s].0
    }
    fn running(&self, c: &str) -> Option<bool> {
        self.fake.world().containers.get(c).map(|c| c.0)
    }
    fn drain_events(&mut self) -> Vec<ActionEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }
}

mod abort;
mod blue_green;
mod canary;
mod hosts;
mod notify;
mod silence;
