//! The action layer on the real demo stack (Docker, the registry, HAProxy): promote and rollback
//! through [`RealOps`] and the executor, driven as the console and the CLI drive them. One demo
//! per Docker engine, so the whole story is one test, in phases, each bounded:
//!
//! a. rollback to the idle slot (no pull, no create), promote from staging (with a pull), and a
//!    new release up the whole ladder (dev -> staging -> prod);
//! b. ten switches under load: no request fails, a long request survives its switch;
//! c. a release that never turns healthy (Failed, traffic untouched, idle slot restored) and one
//!    that fails 30 % of requests after the switch (RolledBack);
//! d. two executors on one service and environment: one runs, the other is refused;
//! then the audit trail holds a record of each.
//!
//! Without the stack it prints why and passes, except under `CI=true`.

mod support;

use opsdeck::actions::plan::gate;
use opsdeck::actions::real_ops::RealOps;
use opsdeck::actions::{
    plan, ActionEvent, ActionKind, ActionPlan, ActionReport, Executor, SlotOps, Step, Target, Timing,
};
use opsdeck::collect::gather_once;
use opsdeck::config::Config;
use opsdeck::model::Model;
use opsdeck::store::{ActionOutcome, Holder, StepPhase, Store};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile};
use opsdeck_backends::docker::{connect, DockerEndpoint};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const HOST: &str = "prod-1";
const DOCKER_SOCKET: &str = "unix:///var/run/docker.sock";
/// Bounds of each phase (a cold engine may pull and build).
const PHASE: Duration = Duration::from_secs(300);
/// One request of the load or of a check.
const REQUEST: Duration = Duration::from_secs(5);
const CALL: Duration = Duration::from_secs(30);

fn timing() -> Timing {
    Timing {
        health_wait: Duration::from_secs(30),
        drain_wait: Duration::from_secs(10),
        stop_grace: Duration::from_secs(5),
        watch: Duration::from_secs(3),
        step_timeout: Duration::from_secs(60),
    }
}

#[test]
fn promote_and_rollback_on_the_demo_stack() {
    if !support::stack_available() {
        return;
    }
    // Declared first, dropped last: the extra image is untagged after the demo is down.
    let untag = UntagOnDrop(Arc::new(Mutex::new(Vec::new())));
    let demo = support::Demo::up_when_engine_free(&[], Duration::from_secs(600));
    let config = Arc::new(opsdeck::config::load(&demo.config()).expect("demo config"));
    // The phases' futures are deep (gather_once, the executor): they run on workers with room.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    let made = untag.0.clone();
    let story = rt.spawn(async move {
        let ctx = Ctx::new(config, "alice");
        let mut ran = Vec::new();
        phase("a: rollback, promote, ladder", Box::pin(ladder(&ctx, &made, &mut ran))).await;
        phase("b: zero downtime", Box::pin(zero_downtime(&ctx, &mut ran))).await;
        phase("c: failures", Box::pin(failures(&ctx, &mut ran))).await;
        phase("d: two executors", Box::pin(two_executors(&ctx, &mut ran))).await;
        audit_trail(&ctx, &ran);
    });
    let result = rt.block_on(story);
    drop(rt);
    let out = demo.down();
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
    assert!(out.status.success(), "demo down: {}", String::from_utf8_lossy(&out.stderr));
}

async fn phase(name: &str, fut: impl std::future::Future<Output = ()>) {
    let started = Instant::now();
    eprintln!("== phase {name}");
    tokio::time::timeout(PHASE, fut).await.unwrap_or_else(|_| panic!("phase {name} did not end within {PHASE:?}"));
    eprintln!("== phase {name} done in {:.1}s", started.elapsed().as_secs_f64());
}

/// What the test drives the executor with.
struct Ctx {
    config: Arc<Config>,
    ops: Arc<RealOps>,
    store: Arc<Mutex<Store>>,
    holder: Holder,
}

/// One action as run: its report, every event, and when `run` was called.
struct Run {
    plan: ActionPlan,
    report: ActionReport,
    events: Vec<ActionEvent>,
    called: chrono::DateTime<chrono::Utc>,
    /// The long request started as the switch began, when one was asked for.
    slow: Option<tokio::task::JoinHandle<Result<(u16, String), String>>>,
}

impl Run {
    /// From calling `run` to the Switch step's Finished event.
    fn switch_time(&self) -> Option<Duration> {
        let index = self.plan.steps.iter().position(|s| *s == Step::Switch)?;
        self.events.iter().find_map(|e| match e {
            ActionEvent::Step { index: i, phase: StepPhase::Finished, at, .. } if *i == index => {
                (*at - self.called).to_std().ok()
            }
            _ => None,
        })
    }

    fn notes(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ActionEvent::Step { label, phase, note, .. } => Some(format!("{label} {phase:?}: {note}")),
                _ => None,
            })
            .collect()
    }

    /// Each step's label and how long it took (Started to Finished or Failed), in ms.
    fn timeline(&self) -> String {
        let mut started = BTreeMap::new();
        let mut out = Vec::new();
        for event in &self.events {
            if let ActionEvent::Step { index, label, phase, note, at, .. } = event {
                match phase {
                    StepPhase::Started => {
                        started.insert(*index, *at);
                    }
                    _ => {
                        let ms = started.get(index).map(|s| (*at - *s).num_milliseconds()).unwrap_or(-1);
                        out.push(format!("{label} {ms}ms ({note})"));
                    }
                }
            }
        }
        out.join("; ")
    }

    fn outcome(&self) -> Option<ActionOutcome> {
        self.report.outcome
    }
}

impl Ctx {
    fn new(config: Arc<Config>, user: &str) -> Ctx {
        let ops = Arc::new(RealOps::new(config.clone()).expect("RealOps"));
        let store = Arc::new(Mutex::new(Store::open(&config.state_path).expect("store")));
        let holder = Holder::this_process(user);
        Ctx { config, ops, store, holder }
    }

    async fn model(&self) -> Model {
        gather_once(self.config.clone(), self.holder.user.clone()).await
    }

    async fn plan(
        &self,
        kind: ActionKind,
        service: &str,
        env: &str,
        image: Option<&str>,
        timing: Timing,
    ) -> (Model, ActionPlan) {
        let model = self.model().await;
        let target =
            Target { kind, service: service.into(), env: env.into(), image: image.map(str::to_string), force: false };
        let plan = plan(&model, &target, timing).unwrap_or_else(|e| panic!("plan {service}/{env}: {e}"));
        (model, plan)
    }

    fn executor(&self, tx: tokio::sync::mpsc::UnboundedSender<ActionEvent>) -> Executor<RealOps> {
        Executor { ops: self.ops.clone(), store: self.store.clone(), events: tx, holder: self.holder.clone() }
    }

    /// Runs `plan` to its end; with `slow_at_switch`, a `GET /slow?ms=3000` goes to that address
    /// the moment the Switch step starts.
    async fn run(&self, plan: ActionPlan, slow_at_switch: Option<SocketAddr>) -> Run {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let switch = plan.steps.iter().position(|s| *s == Step::Switch);
        let collector = tokio::spawn(async move {
            let mut events = Vec::new();
            let mut slow = None;
            while let Some(event) = rx.recv().await {
                if let (Some(addr), ActionEvent::Step { index, phase: StepPhase::Started, .. }) =
                    (slow_at_switch, &event)
                {
                    if Some(*index) == switch && slow.is_none() {
                        slow = Some(tokio::spawn(http_get(addr, "/slow?ms=3000", Duration::from_secs(20))));
                    }
                }
                events.push(event);
            }
            (events, slow)
        });
        let executor = self.executor(tx);
        let called = chrono::Utc::now();
        let report = executor.run(plan.clone(), CancellationToken::new()).await;
        drop(executor);
        let (events, slow) = collector.await.expect("event collector");
        let run = Run { plan, report, events, called, slow };
        eprintln!("{} -> {:?} {}", run.plan.summary(), run.report.outcome, run.report.reason);
        run
    }
}

/// The service's address through the load balancer in `env`.
fn lb_addr(config: &Config, service: &str, env: &str) -> SocketAddr {
    let url = &config.service(service).expect("service").environments[env].url;
    url.trim_start_matches("http://").trim_end_matches('/').parse().expect("lb url is ip:port")
}

/// One HTTP/1.1 GET with `Connection: close` on a fresh connection: (status, body).
async fn http_get(addr: SocketAddr, path: &str, limit: Duration) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("write: {e}"))?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no complete head in {text:?}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line in {head:?}"))?;
        Ok((status, body.to_string()))
    };
    tokio::time::timeout(limit, exchange).await.map_err(|_| format!("no answer within {limit:?}"))?
}

/// `"version":"v1.2.0"` in a body.
fn version_in(body: &str) -> Option<String> {
    let rest = body.split_once("\"version\":\"")?.1;
    Some(rest.split('"').next()?.to_string())
}

/// The version the load balancer answers with, asked `n` times: all answers must agree.
async fn lb_version(addr: SocketAddr, n: usize) -> String {
    let mut seen = BTreeMap::new();
    for _ in 0..n {
        let (status, body) = http_get(addr, "/", REQUEST).await.unwrap_or_else(|e| panic!("GET {addr}/: {e}"));
        assert_eq!(status, 200, "GET {addr}/: {body}");
        *seen.entry(version_in(&body).unwrap_or_default()).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 1, "the load balancer answers with several versions: {seen:?}");
    seen.into_keys().next().unwrap_or_default()
}

/// What a load run saw.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    /// Every non-200 and every connection error, with its text.
    failures: Vec<String>,
    versions: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.ok += other.ok;
        self.failures.extend(other.failures);
        for (v, n) in other.versions {
            *self.versions.entry(v).or_insert(0) += n;
        }
    }

    fn total(&self) -> u64 {
        self.ok + self.failures.len() as u64
    }
}

/// `tasks` clients, each sending `GET /` then pausing, until stopped or `limit` passes.
struct Load {
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<Tally>>,
}

impl Load {
    fn start(addr: SocketAddr, tasks: usize, pause: Duration, limit: Duration) -> Load {
        let stop = CancellationToken::new();
        let deadline = tokio::time::Instant::now() + limit;
        let tasks = (0..tasks)
            .map(|_| {
                let stop = stop.clone();
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    while !stop.is_cancelled() && tokio::time::Instant::now() < deadline {
                        match http_get(addr, "/", REQUEST).await {
                            Ok((200, body)) => {
                                tally.ok += 1;
                                *tally.versions.entry(version_in(&body).unwrap_or_default()).or_insert(0) += 1;
                            }
                            Ok((status, body)) => tally.failures.push(format!("HTTP {status}: {}", body.trim())),
                            Err(e) => tally.failures.push(e),
                        }
                        tokio::select! {
                            _ = stop.cancelled() => {}
                            _ = tokio::time::sleep(pause) => {}
                        }
                    }
                    tally
                })
            })
            .collect();
        Load { stop, tasks }
    }

    async fn finish(self) -> Tally {
        self.stop.cancel();
        let mut tally = Tally::default();
        for task in self.tasks {
            tally.add(task.await.expect("load task"));
        }
        tally
    }
}

async fn engine() -> bollard::Docker {
    let endpoint = DockerEndpoint { url: DOCKER_SOCKET.into(), tls: None, timeout: CALL };
    connect(&endpoint).await.expect("docker")
}

fn registry_host(config: &Config) -> String {
    config.registry.url.trim_start_matches("http://").trim_end_matches('/').to_string()
}

/// Untags the references made by the test once everything else is down.
struct UntagOnDrop(Arc<Mutex<Vec<String>>>);

impl Drop for UntagOnDrop {
    fn drop(&mut self) {
        let refs = self.0.lock().map(|r| r.clone()).unwrap_or_default();
        for reference in refs {
            let _ = std::process::Command::new("/usr/bin/docker").args(["rmi", &reference]).output();
        }
    }
}

/// Phase a.
async fn ladder(ctx: &Ctx, untag: &Mutex<Vec<String>>, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");

    // Rollback to what the idle slot holds: a start, a health wait and a switch.
    let (model, plan) = ctx.plan(ActionKind::Rollback, "api", "prod", None, timing()).await;
    let cell = model.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("blue"));
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.2.0"));
    assert!(plan.reuse_idle, "the idle slot holds the previous release: {plan:?}");
    assert_eq!(plan.to.tag, "v1.1.0");
    assert_eq!(lb_version(api_prod, 5).await, "v1.2.0");
    let run = ctx.run(plan, None).await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", run.report.reason, run.notes());
    let notes = run.notes();
    assert!(notes.iter().any(|n| n.contains("no pull, no create")), "{notes:#?}");
    assert!(!notes.iter().any(|n| n.contains("pulled") || n.ends_with("created")), "{notes:#?}");
    eprintln!("rollback to the idle slot: switch after {:?}", run.switch_time());
    assert_eq!(lb_version(api_prod, 10).await, "v1.1.0");
    let model = ctx.model().await;
    let cell = model.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("green"), "live slot flipped");
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.1.0"));
    assert_eq!(cell.idle_image.as_ref().map(|i| i.tag.as_str()), Some("v1.2.0"));
    assert!(!ctx.ops.is_running(HOST, "api-prod-blue").await.expect("inspect"), "old slot stopped");
    ran.push(run);

    // Promote staging's live image into prod: the idle slot is made from the registry image,
    // pulled because the engine no longer has the reference.
    let (model, plan) = ctx.plan(ActionKind::Promote, "api", "prod", None, timing()).await;
    assert_eq!(plan.to.tag, "v1.3.0", "promote takes staging's live image");
    assert!(!plan.reuse_idle);
    assert_eq!(gate(&model, &plan, false), None, "staging runs it healthy: the gate is open");
    let docker = engine().await;
    lifecycle::remove_image(&docker, &plan.to.reference, CALL).await.expect("untag to force a pull");
    assert!(!ctx.ops.has_image(HOST, &plan.to.reference).await.expect("image check"));
    let run = ctx.run(plan, None).await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", run.report.reason, run.notes());
    let notes = run.notes();
    assert!(notes.iter().any(|n| n.contains("pulled; created")), "{notes:#?}");
    eprintln!("promote with a pull: switch after {:?}; steps: {}", run.switch_time(), run.timeline());
    assert_eq!(lb_version(api_prod, 10).await, "v1.3.0");
    let model = ctx.model().await;
    let cell = model.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_deref(), Some("blue"));
    assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.3.0"));
    assert_eq!(cell.idle_image.as_ref().map(|i| i.tag.as_str()), Some("v1.1.0"));
    ran.push(run);

    // A new web release, v1.4.0, up the whole ladder.
    let registry = registry_host(&ctx.config);
    let release = format!("{registry}/web:v1.4.0");
    untag.lock().expect("untag list").push(release.clone());
    let spec = BuildSpec {
        files: vec![ContextFile {
            path: "Dockerfile".into(),
            contents: format!("FROM {registry}/web:v1.3.0\nENV DEMO_VERSION=v1.4.0 DEMO_IMAGE_TAG=v1.4.0\n")
                .into_bytes(),
            mode: 0o644,
        }],
        tags: vec![release.clone()],
        ..BuildSpec::default()
    };
    lifecycle::build_image(&docker, &spec, Duration::from_secs(120)).await.expect("build web v1.4.0");
    lifecycle::push_image(&docker, &release, Duration::from_secs(120)).await.expect("push web v1.4.0");
    for env in ["dev", "staging", "prod"] {
        let image = (env == "dev").then_some("v1.4.0");
        let (model, plan) = ctx.plan(ActionKind::Promote, "web", env, image, timing()).await;
        assert_eq!(plan.to.tag, "v1.4.0", "web/{env}");
        assert_eq!(gate(&model, &plan, false), None, "web/{env}: the gate is open");
        let run = ctx.run(plan, None).await;
        assert_eq!(
            run.outcome(),
            Some(ActionOutcome::Succeeded),
            "web/{env}: {}: {:#?}",
            run.report.reason,
            run.notes()
        );
        eprintln!("promote web/{env}: switch after {:?}", run.switch_time());
        assert_eq!(lb_version(lb_addr(&ctx.config, "web", env), 5).await, "v1.4.0", "web/{env}");
        ran.push(run);
    }
    let model = ctx.model().await;
    for env in ["dev", "staging", "prod"] {
        let cell = model.service_cell(env, "web").expect("web cell");
        assert_eq!(cell.image.as_ref().map(|i| i.tag.as_str()), Some("v1.4.0"), "web/{env}");
    }
}

/// Phase b: ten switches between v1.3.0 and v1.1.0 under load, none failing a request.
async fn zero_downtime(ctx: &Ctx, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");
    let load = Load::start(api_prod, 32, Duration::from_millis(300), Duration::from_secs(240));
    let mut switch_times = Vec::new();
    let mut slow_answers = Vec::new();
    for cycle in 0..10 {
        let (_, plan) = ctx.plan(ActionKind::Rollback, "api", "prod", None, timing()).await;
        assert!(plan.reuse_idle, "cycle {cycle}: {plan:?}");
        let versions = [plan.to.tag.as_str(), plan.from.as_ref().map(|f| f.tag.as_str()).unwrap_or_default()];
        assert!(versions.contains(&"v1.3.0") && versions.contains(&"v1.1.0"), "cycle {cycle}: {versions:?}");
        // A long request through each of a few switches.
        let slow = (cycle % 3 == 0).then_some(api_prod);
        let mut run = ctx.run(plan, slow).await;
        assert_eq!(
            run.outcome(),
            Some(ActionOutcome::Succeeded),
            "cycle {cycle}: {}: {:#?}",
            run.report.reason,
            run.notes()
        );
        switch_times.push(run.switch_time().expect("a switch step finished"));
        if cycle < 2 {
            eprintln!("cycle {cycle} steps: {}", run.timeline());
        }
        if let Some(task) = run.slow.take() {
            slow_answers.push(task.await.expect("slow request task"));
        }
        ran.push(run);
    }
    let tally = load.finish().await;
    let mut sorted = switch_times.clone();
    sorted.sort();
    let ms = |d: &Duration| d.as_millis();
    eprintln!(
        "ZERO-DOWNTIME: {} requests, {} failed, versions {:?}; {} long requests: {:?}",
        tally.total(),
        tally.failures.len(),
        tally.versions,
        slow_answers.len(),
        slow_answers.iter().map(|r| r.as_ref().map(|(s, _)| *s)).collect::<Vec<_>>()
    );
    eprintln!(
        "SWITCH TIMES (run -> switch finished), ms: min {} median {} max {}; all {:?}",
        ms(&sorted[0]),
        ms(&sorted[sorted.len() / 2]),
        ms(&sorted[sorted.len() - 1]),
        switch_times.iter().map(ms).collect::<Vec<_>>()
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} requests failed: {:?}",
        tally.failures.len(),
        tally.total(),
        tally.failures
    );
    assert!(tally.total() >= 1000, "too little load to say anything: {tally:?}");
    assert!(
        tally.versions.keys().all(|v| v == "v1.3.0" || v == "v1.1.0"),
        "answers from versions outside the switch: {:?}",
        tally.versions
    );
    assert!(tally.versions.len() == 2, "both versions answered: {:?}", tally.versions);
    assert_eq!(slow_answers.len(), 4);
    for answer in slow_answers {
        let (status, body) = answer.expect("the long request ended");
        assert_eq!(status, 200, "long request across a switch: {body}");
    }
}

/// Environment variables of a container, from Docker.
async fn container_env(docker: &bollard::Docker, name: &str) -> Vec<String> {
    let found = docker.inspect_container(name, None).await.unwrap_or_else(|e| panic!("inspect {name}: {e}"));
    found.config.and_then(|c| c.env).unwrap_or_default()
}

/// Phase c.
async fn failures(ctx: &Ctx, ran: &mut Vec<Run>) {
    let api_prod = lb_addr(&ctx.config, "api", "prod");
    let docker = engine().await;

    // A release that never turns healthy: the action fails before the switch.
    let short_health = Timing { health_wait: Duration::from_secs(8), ..timing() };
    let (model, mut plan) = ctx.plan(ActionKind::Rollback, "api", "prod", Some("v1.2.0"), short_health).await;
    let cell = model.service_cell("prod", "api").expect("api/prod");
    let (live, live_tag) = (cell.live_slot.clone().expect("live"), cell.image.clone().expect("image").tag);
    let idle_before = cell.idle_image.clone().expect("idle image");
    assert_eq!(live_tag, "v1.3.0");
    assert!(!plan.reuse_idle);
    let idle_name = plan.new_slots[0].container_name();
    for slot in &mut plan.new_slots {
        slot.env_vars.insert("DEMO_START_UNHEALTHY".into(), "1".into());
    }
    let load = Load::start(api_prod, 8, Duration::from_millis(100), Duration::from_secs(120));
    let run = ctx.run(plan, None).await;
    let tally = load.finish().await;
    assert_eq!(run.outcome(), Some(ActionOutcome::Failed), "{}: {:#?}", run.report.reason, run.notes());
    let reason = &run.report.reason;
    assert!(reason.contains("healthy") && reason.contains("HTTP 503"), "{reason}");
    assert!(tally.failures.is_empty(), "traffic was touched: {:?}", tally.failures);
    assert_eq!(tally.versions.keys().collect::<Vec<_>>(), [&live_tag], "traffic stayed on the old slot");
    eprintln!("never healthy: {reason}; {} requests, all {live_tag}", tally.total());
    let model = ctx.model().await;
    let cell = model.service_cell("prod", "api").expect("api/prod");
    assert_eq!(cell.live_slot.as_ref(), Some(&live));
    let idle_now = cell.idle_image.clone().expect("idle slot restored");
    assert_eq!(
        (idle_now.tag.as_str(), idle_now.digest.as_str()),
        (idle_before.tag.as_str(), idle_before.digest.as_str())
    );
    assert!(!ctx.ops.is_running(HOST, &idle_name).await.expect("inspect"), "idle slot is stopped");
    let env = container_env(&docker, &idle_name).await;
    assert!(!env.iter().any(|e| e.starts_with("DEMO_START_UNHEALTHY")), "the failed container is gone: {env:?}");
    assert!(support::containers_with_label(opsdeck::demo::DEMO_LABEL).contains(&idle_name), "kept its demo label");
    ran.push(run);

    // A release that fails 30 % of requests once it has traffic: switched back.
    let watching = Timing { watch: Duration::from_secs(15), ..timing() };
    let (_, mut plan) = ctx.plan(ActionKind::Rollback, "api", "prod", Some("v1.2.0"), watching).await;
    for slot in &mut plan.new_slots {
        slot.env_vars.insert("DEMO_FAIL_RATE".into(), "0.3".into());
    }
    let load = Load::start(api_prod, 32, Duration::from_millis(100), Duration::from_secs(120));
    let run = ctx.run(plan, None).await;
    let tally = load.finish().await;
    assert_eq!(run.outcome(), Some(ActionOutcome::RolledBack), "{}: {:#?}", run.report.reason, run.notes());
    assert!(run.report.reason.contains("5xx"), "{}", run.report.reason);
    eprintln!(
        "failing release: {}; load saw {} of {} fail, versions {:?}",
        run.report.reason,
        tally.failures.len(),
        tally.total(),
        tally.versions
    );
    assert!(
        tally.failures.iter().all(|f| f.starts_with("HTTP 500")),
        "only the release's own failures: {:?}",
        tally.failures
    );
    assert_eq!(lb_version(api_prod, 20).await, live_tag, "traffic back on the old version");
    let model = ctx.model().await;
    assert_eq!(model.service_cell("prod", "api").and_then(|c| c.live_slot), Some(live));
    ran.push(run);
}

/// Phase d: two executors (two store connections, two holders) on web/prod at once.
async fn two_executors(ctx: &Ctx, ran: &mut Vec<Run>) {
    let (_, plan) = ctx.plan(ActionKind::Rollback, "web", "prod", None, timing()).await;
    let parent = std::os::unix::process::parent_id();
    let bob = Ctx {
        config: ctx.config.clone(),
        ops: ctx.ops.clone(),
        store: Arc::new(Mutex::new(Store::open(&ctx.config.state_path).expect("second store"))),
        holder: Holder {
            user: "bob".into(),
            host: opsdeck::store::hostname(),
            pid: parent,
            process_start: opsdeck::store::process_start(parent),
        },
    };
    let (a, b) = tokio::join!(ctx.run(plan.clone(), None), bob.run(plan, None));
    let (winner, loser, holder) = match (a.report.id, b.report.id) {
        (Some(_), None) => (a, b, "alice"),
        (None, Some(_)) => (b, a, "bob"),
        _ => panic!("exactly one may run: {:?} / {:?}", a.report, b.report),
    };
    assert_eq!(winner.outcome(), Some(ActionOutcome::Succeeded), "{}: {:#?}", winner.report.reason, winner.notes());
    assert_eq!(loser.outcome(), None);
    assert!(
        matches!(loser.events.as_slice(), [ActionEvent::Refused { .. }]),
        "the other is refused: {:?}",
        loser.events
    );
    assert!(loser.report.reason.contains(holder), "refusal names {holder}: {}", loser.report.reason);
    eprintln!("refused: {}", loser.report.reason);
    let store = ctx.store.lock().expect("store");
    assert_eq!(store.lock("web", "prod").expect("locks"), None, "the lock is released");
    drop(store);
    ran.push(winner);
    ran.push(loser);
}

/// An "action" record per finished action, with its outcome; a "refusal" for the refused one.
fn audit_trail(ctx: &Ctx, ran: &[Run]) {
    let mut store = ctx.store.lock().expect("store");
    let records = store.audit(None).expect("audit");
    let actions: Vec<_> = records.iter().filter(|r| r.entry.kind == "action").collect();
    let finished: Vec<&Run> = ran.iter().filter(|r| r.report.id.is_some()).collect();
    assert_eq!(actions.len(), finished.len(), "{actions:#?}");
    for run in &finished {
        let id = run.report.id.expect("id");
        let record = actions
            .iter()
            .find(|r| r.entry.detail.get("id").and_then(|v| v.as_i64()) == Some(id))
            .unwrap_or_else(|| panic!("no audit record for action #{id}"));
        let outcome = match run.outcome() {
            Some(ActionOutcome::Succeeded) => "succeeded",
            Some(ActionOutcome::Failed) => "failed",
            Some(ActionOutcome::RolledBack) => "rolled_back",
            other => panic!("unexpected outcome {other:?}"),
        };
        assert_eq!(record.entry.outcome, outcome, "action #{id}");
        assert_eq!(record.entry.subject, run.plan.subject());
    }
    let refusals: Vec<_> = records.iter().filter(|r| r.entry.kind == "refusal").collect();
    assert_eq!(refusals.len(), 1, "{refusals:#?}");
    assert_eq!(refusals[0].entry.subject, "web/prod");
    assert_eq!(refusals[0].entry.outcome, "refused");
    assert!(store.verify_audit().expect("verify").is_ok(), "the audit chain verifies");
    eprintln!("audit: {} action records, {} refusal", actions.len(), refusals.len());
}
