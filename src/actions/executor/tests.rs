//! The executor against fake outside systems, with tokio's clock paused: step order, timeouts,
//! cancel, undo before and after the switch, the lock, the journal and the audit trail.

use super::*;
use crate::actions::ops::{OpsResult, ServerCounters, SlotHealth};
use crate::actions::plan::{ActionKind, Timing};
use crate::model::views::ImageRef;
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

#[tokio::test(start_paused = true)]
async fn a_promote_runs_its_steps_in_order() {
    let mut h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    let expected = [
        "has_image 127.0.0.1:5000/api:v1.3.0",
        "pull 127.0.0.1:5000/api:v1.3.0",
        "recreate api-prod-green sha256:v1.3.0",
        "start api-prod-green",
        "set green Ready",
        "set blue Drain",
        "set blue Maint",
        "stop api-prod-blue",
    ];
    assert_eq!(calls, expected);
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(false), "old slot stopped, kept");
    let events = h.drain_events();
    let finished = events.iter().filter(|e| matches!(e, ActionEvent::Step { phase: StepPhase::Finished, .. })).count();
    assert_eq!(finished, 8);
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    let last = audit.last().expect("an audit record");
    assert_eq!(
        (last.entry.kind.as_str(), last.entry.outcome.as_str(), last.entry.user.as_str()),
        ("action", "succeeded", "alice")
    );
    assert_eq!(last.entry.detail["to"]["digest"], "sha256:v1.3.0");
    assert_eq!(last.entry.detail["from"]["digest"], "sha256:v1.2.0");
    let steps = last.entry.detail["steps"].as_array().expect("step outcomes in the audit record");
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[0]["step"], "prod-1: create green from v1.3.0");
    assert!(steps.iter().all(|s| s["outcome"] == "done"));
}

#[tokio::test(start_paused = true)]
async fn a_rollback_to_the_idle_slot_neither_pulls_nor_creates() {
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.1.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    assert!(
        !calls.iter().any(|c| c.starts_with("pull") || c.starts_with("recreate") || c.starts_with("has_image")),
        "{calls:?}"
    );
    assert_eq!(calls[0], "start api-prod-green");
}

#[tokio::test(start_paused = true)]
async fn a_release_that_never_turns_healthy_leaves_traffic_untouched() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("not healthy within 1m") && report.reason.contains("HTTP 503"), "{}", report.reason);
    let calls = h.calls();
    assert!(!calls.iter().any(|c| c.starts_with("set ")), "traffic was touched: {calls:?}");
    // The new slot is removed and the idle slot gets back what it held.
    assert!(calls.contains(&"remove api-prod-green".to_string()));
    assert_eq!(calls.last().map(String::as_str), Some("recreate api-prod-green sha256:v1.1.0"));
    assert_eq!(h.server("blue"), AdminState::Ready);
}

#[tokio::test(start_paused = true)]
async fn a_failure_after_the_switch_switches_back() {
    let fake = gen_world();
    // Healthy for the health gate, then sick during the watch window.
    fake.world().sick_after = Some(("api-prod-green".into(), 2));
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.contains("watch") && report.reason.contains("unhealthy 3 times"), "{}", report.reason);
    assert_eq!((h.server("blue"), h.server("green")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(true), "old slot started again");
    assert_eq!(h.running("api-prod-green"), Some(false));
}

#[tokio::test(start_paused = true)]
async fn a_5xx_rate_in_the_watch_window_switches_back() {
    let fake = gen_world();
    fake.world().errors = 0;
    let h = harness(fake, "alice");
    let exec = h.exec.clone();
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await });
    // Let the switch happen, then make 30% of requests fail.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..20 {
        h.exec.ops.world().errors += 3;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.contains("5xx"), "{}", report.reason);
}

#[tokio::test(start_paused = true)]
async fn a_hung_pull_times_out() {
    let fake = gen_world();
    fake.world().hang_pull = true;
    let h = harness(fake, "alice");
    let mut plan = gen_plan("v1.3.0");
    plan.timing.step_timeout = Duration::from_secs(30);
    let report = h.exec.run(plan, CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("pull: no answer within 30s"), "{}", report.reason);
}

#[tokio::test(start_paused = true)]
async fn cancel_before_the_switch_undoes_and_after_it_completes() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let cancel = CancellationToken::new();
    let (exec, c) = (h.exec.clone(), cancel.clone());
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), c).await });
    tokio::time::sleep(Duration::from_secs(2)).await;
    cancel.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.contains("cancelled"), "{}", report.reason);
    assert_eq!(h.server("blue"), AdminState::Ready);

    // After the switch, a cancel (SIGHUP) cuts the watch short and the action completes.
    let h = harness(gen_world(), "alice");
    let cancel = CancellationToken::new();
    let (exec, c) = (h.exec.clone(), cancel.clone());
    let run = tokio::spawn(async move { exec.run(gen_plan("v1.3.0"), c).await });
    tokio::time::sleep(Duration::from_secs(3)).await;
    cancel.cancel();
    let report = run.await.expect("join");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
}

#[tokio::test(start_paused = true)]
async fn a_held_lock_refuses_with_the_holders_name() {
    let h = harness(gen_world(), "alice");
    let bob = Holder { user: "bob".into(), host: "bastion".into(), pid: 1, process_start: None };
    h.exec.store.lock().expect("store").try_acquire("api", "prod", &bob, "promote api prod").expect("lock");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert_eq!(report.outcome, None);
    assert!(report.reason.contains("locked by bob@bastion"), "{}", report.reason);
    assert!(h.calls().is_empty());
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    assert_eq!(audit.last().map(|r| r.entry.kind.as_str()), Some("refusal"));
}

#[tokio::test(start_paused = true)]
async fn every_step_is_journaled_before_and_after() {
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    let mut store = h.exec.store.lock().expect("store");
    let entry = store.recent_actions(1).expect("journal").pop().expect("an action");
    assert_eq!(Some(entry.id.0), report.id);
    assert_eq!(entry.steps.len(), 16);
    assert!(entry.steps.chunks(2).all(|p| p[0].phase == StepPhase::Started && p[1].phase == StepPhase::Finished));
    assert_eq!(entry.finish.map(|f| f.outcome), Some(ActionOutcome::Succeeded));
    assert!(store.unfinished_actions().expect("journal").is_empty());
    assert!(store.locks().expect("locks").is_empty(), "lock released");
}

/// Runs `plan` in a task with an abort token; returns the join handle and the token.
fn spawn_abortable(h: &Harness, plan: ActionPlan) -> (tokio::task::JoinHandle<ActionReport>, CancellationToken) {
    let abort = CancellationToken::new();
    let (exec, a) = (h.exec.clone(), abort.clone());
    (tokio::spawn(async move { exec.run_abortable(plan, CancellationToken::new(), a).await }), abort)
}

/// Waits (in paused time) until the executor reports the old server draining.
async fn until_draining(h: &mut Harness) -> Vec<u64> {
    let mut seen = Vec::new();
    for _ in 0..400 {
        while let Ok(e) = h.events.try_recv() {
            if let ActionEvent::Drain { sessions, .. } = e {
                seen.push(sessions);
            }
        }
        if seen.len() >= 2 {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never drained");
}

#[tokio::test(start_paused = true)]
async fn a_drain_reports_the_old_servers_sessions_falling_to_zero() {
    let mut h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let drains: Vec<(String, u64)> = h
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            ActionEvent::Drain { server, sessions, .. } => Some((server, sessions)),
            _ => None,
        })
        .collect();
    // blue had 3 sessions; one finishes per look; each count is reported once.
    let expected: Vec<(String, u64)> = [3, 2, 1, 0].iter().map(|n| ("blue".to_string(), *n)).collect();
    assert_eq!(drains, expected);
}

#[tokio::test(start_paused = true)]
async fn abort_while_draining_switches_traffic_back_to_the_old_server() {
    let fake = gen_world();
    fake.world().servers.insert("blue".into(), (AdminState::Ready, 1000));
    let mut h = harness(fake, "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    let seen = until_draining(&mut h).await;
    assert!(seen[0] > seen[1], "sessions fall: {seen:?}");
    abort.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.starts_with("aborted by alice during drain blue"), "{}", report.reason);
    assert_eq!((h.server("blue"), h.server("green")), (AdminState::Ready, AdminState::Maint));
    assert_eq!(h.running("api-prod-blue"), Some(true), "the old slot was never stopped");
    assert_eq!(h.running("api-prod-green"), Some(false));
    let calls = h.calls();
    assert!(!calls.contains(&"stop api-prod-blue".to_string()), "{calls:?}");
    let store = h.exec.store.lock().expect("store");
    let audit = store.audit(None).expect("audit");
    let last = audit.last().expect("an audit record");
    assert_eq!(last.entry.outcome, "rolled_back");
    assert!(last.entry.detail["reason"].as_str().is_some_and(|r| r.contains("aborted by alice")));
}

#[tokio::test(start_paused = true)]
async fn abort_before_the_switch_undoes_and_after_the_old_slot_stopped_completes() {
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    abort.cancel();
    let report = run.await.expect("join");
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert!(report.reason.starts_with("aborted by alice"), "{}", report.reason);
    assert!(!h.calls().iter().any(|c| c.starts_with("set ")), "traffic untouched");

    // In the watch window the old slot is stopped: the abort cancels (cuts the watch short).
    let h = harness(gen_world(), "alice");
    let (run, abort) = spawn_abortable(&h, gen_plan("v1.3.0"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    abort.cancel();
    let report = run.await.expect("join");
    assert!(report.succeeded(), "{report:?}");
    assert_eq!((h.server("green"), h.server("blue")), (AdminState::Ready, AdminState::Maint));
}

#[tokio::test(start_paused = true)]
async fn a_silence_is_set_before_the_first_step_and_expired_however_the_action_ends() {
    // Succeeds.
    let h = harness(gen_world(), "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let calls = h.calls();
    assert_eq!(calls.first().map(String::as_str), Some("silence service=api,env=prod by alice"));
    assert_eq!(calls.last().map(String::as_str), Some("expire s-1"));
    assert_eq!(h.exec.ops.world().silences.get("s-1"), Some(&false));
    {
        let store = h.exec.store.lock().expect("store");
        let audit = store.audit(None).expect("audit");
        let steps = audit.last().expect("audit").entry.detail["steps"].as_array().expect("steps").clone();
        assert_eq!(steps.first().map(|s| s["step"].clone()), Some("silence api's alerts in prod".into()));
        assert_eq!(steps.last().map(|s| s["note"].clone()), Some("silence s-1 expired".into()));
    }

    // Fails before the switch: still expired.
    let fake = gen_world();
    fake.world().sick.push("api-prod-green".into());
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::Failed));
    assert_eq!(h.calls().last().map(String::as_str), Some("expire s-1"));

    // Rolled back after the switch: still expired.
    let fake = gen_world();
    fake.world().sick_after = Some(("api-prod-green".into(), 2));
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack));
    assert_eq!(h.calls().last().map(String::as_str), Some("expire s-1"));
    assert_eq!(h.exec.ops.world().silences.get("s-1"), Some(&false));
}

#[tokio::test(start_paused = true)]
async fn alertmanager_down_does_not_stop_the_action() {
    let fake = gen_world();
    fake.world().no_alertmanager = true;
    let h = harness(fake, "alice");
    let report = h.exec.run(gen_plan("v1.3.0").with_silence(), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    assert!(!h.calls().iter().any(|c| c.starts_with("expire")));
    let mut store = h.exec.store.lock().expect("store");
    let entry = store.recent_actions(1).expect("journal").pop().expect("an action");
    let failed: Vec<_> = entry.steps.iter().filter(|s| s.phase == StepPhase::Failed).collect();
    assert_eq!(failed.len(), 1, "{:?}", entry.steps);
    assert!(failed[0].detail.contains("connection refused"));
}
