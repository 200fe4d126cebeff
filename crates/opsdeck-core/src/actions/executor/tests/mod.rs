//! The executor against fake outside systems, with tokio's clock paused: step order, timeouts,
//! cancel, undo before and after the switch, the lock, the journal and the audit trail.

use super::*;
use crate::actions::ops::{OpsResult, ServerCounters, SlotHealth};
use crate::actions::plan::{ActionKind, Timing};
use crate::world::views::ImageRef;
use std::collections::BTreeMap;
use std::future::Future;

#[derive(Default)]
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
}

#[derive(Default)]
struct Fake(Mutex<World>);

impl Fake {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.lock().expect("fake world")
    }
    fn call(&self, c: String) {
        self.world().calls.push(c);
    }
}

fn ready<T: Send>(v: T) -> impl Future<Output = T> + Send {
    std::future::ready(v)
}

impl SlotOps for Fake {
    fn has_image(&self, _host: &str, image: &str) -> impl Future<Output = OpsResult<bool>> + Send {
        self.call(format!("has_image {image}"));
        ready(Ok(self.world().images.iter().any(|i| i == image)))
    }
    fn pull(&self, _host: &str, image: &str) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("pull {image}"));
        let hang = self.world().hang_pull;
        self.world().images.push(image.to_string());
        async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Ok(())
        }
    }
    fn slot_digest(&self, _host: &str, container: &str) -> impl Future<Output = OpsResult<Option<String>>> + Send {
        ready(Ok(self.world().containers.get(container).map(|c| c.1.clone())))
    }
    fn is_running(&self, _host: &str, container: &str) -> impl Future<Output = OpsResult<bool>> + Send {
        ready(Ok(self.world().containers.get(container).is_some_and(|c| c.0)))
    }
    fn recreate(&self, spec: &SlotSpec) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("recreate {} {}", spec.container_name(), spec.digest));
        self.world().containers.insert(spec.container_name(), (false, spec.digest.clone()));
        ready(Ok(()))
    }
    fn start(&self, _host: &str, container: &str) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("start {container}"));
        if let Some(c) = self.world().containers.get_mut(container) {
            c.0 = true;
        }
        ready(Ok(()))
    }
    fn stop(&self, _host: &str, container: &str, _grace: Duration) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("stop {container}"));
        if let Some(c) = self.world().containers.get_mut(container) {
            c.0 = false;
        }
        ready(Ok(()))
    }
    fn remove(&self, _host: &str, container: &str) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("remove {container}"));
        self.world().containers.remove(container);
        ready(Ok(()))
    }
    fn health(&self, spec: &SlotSpec) -> impl Future<Output = SlotHealth> + Send {
        let name = spec.container_name();
        let mut w = self.world();
        let n = w.health_checks.entry(name.clone()).or_default();
        *n += 1;
        let n = *n;
        let running = w.containers.get(&name).is_some_and(|c| c.0);
        let sick = w.sick.contains(&name) || w.sick_after.as_ref().is_some_and(|(c, after)| c == &name && n > *after);
        let healthy = running && !sick;
        let reason = if healthy {
            String::new()
        } else if running {
            "HTTP 503: {\"status\":\"unhealthy\"}".into()
        } else {
            "connection refused".into()
        };
        ready(SlotHealth { healthy, reason })
    }
    fn set_server(
        &self,
        _env: &str,
        _backend: &str,
        server: &str,
        state: AdminState,
    ) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("set {server} {state:?}"));
        self.world().servers.entry(server.to_string()).or_insert((AdminState::Maint, 0)).0 = state;
        ready(Ok(()))
    }
    fn counters(
        &self,
        _env: &str,
        _backend: &str,
        server: &str,
    ) -> impl Future<Output = OpsResult<ServerCounters>> + Send {
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
        ready(Ok(ServerCounters { up: admin == AdminState::Ready, requests, errors_5xx, current_sessions: sessions }))
    }
    fn shutdown_sessions(
        &self,
        _env: &str,
        _backend: &str,
        server: &str,
    ) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("shutdown {server}"));
        ready(Ok(()))
    }
    fn create_silence(
        &self,
        silence: &opsdeck_backends::alertmanager::NewSilence,
    ) -> impl Future<Output = OpsResult<String>> + Send {
        let matchers: Vec<String> = silence.matchers.iter().map(|m| format!("{}={}", m.name, m.value)).collect();
        self.call(format!("silence {} by {}", matchers.join(","), silence.created_by));
        let mut w = self.world();
        if w.no_alertmanager {
            return ready(Err("alertmanager: connection refused".into()));
        }
        let id = format!("s-{}", w.silences.len() + 1);
        w.silences.insert(id.clone(), true);
        ready(Ok(id))
    }
    fn expire_silence(&self, id: &str) -> impl Future<Output = OpsResult<()>> + Send {
        self.call(format!("expire {id}"));
        if let Some(active) = self.world().silences.get_mut(id) {
            *active = false;
        }
        ready(Ok(()))
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
    exec: Executor<Fake>,
    events: tokio::sync::mpsc::UnboundedReceiver<ActionEvent>,
    _dir: tempfile::TempDir,
}

fn harness(fake: Fake, user: &str) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("state.db")).expect("store");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let exec = Executor {
        ops: Arc::new(fake),
        store: Arc::new(Mutex::new(store)),
        events: tx,
        holder: Holder::this_process(user),
    };
    Harness { exec, events: rx, _dir: dir }
}

impl Harness {
    fn calls(&self) -> Vec<String> {
        self.exec.ops.world().calls.clone()
    }
    fn server(&self, s: &str) -> AdminState {
        self.exec.ops.world().servers[s].0
    }
    fn running(&self, c: &str) -> Option<bool> {
        self.exec.ops.world().containers.get(c).map(|c| c.0)
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
mod silence;
