//! opsdeck's Swarm platform against a real swarm: a second Docker Engine of its own
//! (`opsdeck::stack::Engine`, never the one on /var/run/docker.sock) made a one-node swarm, and
//! the demo service image built on it. A slot of 2 replicas is created, started (Swarm picks a
//! host port per task: both answer /health through 127.0.0.1), listed, followed, stopped, started
//! cold, made anew; a slot no node can take says why; everything is removed, and the engine
//! leaves nothing behind. Needs root, dockerd and ip; without them the test says why and passes,
//! except under `CI=true`, where that is a failure.

mod support;

use bollard::models::{NetworkCreateRequest, SwarmInitRequest};
use bollard::query_parameters::LeaveSwarmOptionsBuilder;
use futures::StreamExt;
use opsdeck::stack::{self, Engine};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile};
use opsdeck_backends::docker::logs::Start;
use opsdeck_backends::docker::{connect, Client, DockerEndpoint};
use opsdeck_backends::platform::{Endpoint, Platform, SlotNews, SlotSpec};
use opsdeck_backends::swarm::{Placement, SwarmCluster, SwarmManager, NODE_LABEL};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const DOCKERFILE: &str = include_str!("../crates/demo-service/Dockerfile");
const CALL: Duration = Duration::from_secs(10);
const BUILD: Duration = Duration::from_secs(120);
const START_LIMIT: Duration = Duration::from_secs(60);
/// From `start` to every task running (the image's HEALTHCHECK passes every 2 s).
const CONVERGE_LIMIT: Duration = Duration::from_secs(60);
/// One whole test, the build of the demo binary included.
const TEST_LIMIT: Duration = Duration::from_secs(300);
const IMAGE: &str = "probe:test";
const HOST: &str = "manager";

/// Whether the test can run here; panics under CI when it cannot.
fn engine_available() -> bool {
    support::engines::second_engine_available("swarm platform test", false)
}

/// Swarm's gateway bridge, made by the test under a name of its own (Swarm's default,
/// `docker_gwbridge`, is host-wide and outlives the engine); deleted when dropped, panics
/// included, after the engine (declared before it).
struct GatewayBridge(String);

impl Drop for GatewayBridge {
    fn drop(&mut self) {
        if Path::new("/sys/class/net").join(&self.0).exists() {
            let _ = Command::new("timeout").args(["10", "ip", "link", "delete", &self.0]).output();
        }
    }
}

/// The demo service image, built from the static binary on `docker` (nothing is pulled).
async fn build_probe(docker: &Client) {
    let binary = opsdeck::demo::binary::locate(None).await.expect("the static demo-service binary");
    let binary = std::fs::read(&binary).expect("read the demo-service binary");
    let spec = BuildSpec {
        files: vec![
            ContextFile { path: "Dockerfile".into(), contents: DOCKERFILE.as_bytes().to_vec(), mode: 0o644 },
            ContextFile { path: "demo-service".into(), contents: binary, mode: 0o755 },
        ],
        tags: vec![IMAGE.to_string()],
        ..BuildSpec::default()
    };
    lifecycle::build_image(docker, &spec, BUILD).await.expect("build the probe image");
}

/// Makes the engine a one-node swarm on loopback, its gateway bridge named `gateway`, without
/// the ingress network (opsdeck publishes in host mode only).
async fn init_swarm(docker: &Client, gateway: &str) {
    let options = HashMap::from([
        ("com.docker.network.bridge.name".to_string(), gateway.to_string()),
        ("com.docker.network.bridge.enable_icc".to_string(), "false".to_string()),
    ]);
    let network = NetworkCreateRequest {
        name: "docker_gwbridge".into(),
        driver: Some("bridge".into()),
        options: Some(options),
        ..Default::default()
    };
    docker.create_network(network).await.expect("create docker_gwbridge");
    let port = stack::free_port().expect("a free port");
    let request = SwarmInitRequest {
        listen_addr: Some(format!("127.0.0.1:{port}")),
        advertise_addr: Some("127.0.0.1".into()),
        ..Default::default()
    };
    docker.init_swarm(request).await.expect("swarm init");
    if let Err(e) = docker.remove_network("ingress").await {
        eprintln!("ingress network kept: {e}");
    }
}

async fn leave_swarm(docker: &Client) {
    let options = LeaveSwarmOptionsBuilder::default().force(true).build();
    docker.leave_swarm(Some(options)).await.expect("leave the swarm");
    docker.remove_network("docker_gwbridge").await.expect("remove docker_gwbridge");
}

fn slot(service: &str, slot: &str, digest: &str) -> SlotSpec {
    SlotSpec {
        service: service.into(),
        env: "prod".into(),
        slot: slot.into(),
        host: HOST.into(),
        image: IMAGE.into(),
        digest: digest.into(),
        container_port: 8080,
        host_port: 0,
        env_vars: BTreeMap::from([("DEMO_SERVICE".into(), service.into())]),
    }
}

/// Polls the verdict until `done` says so; returns every verdict seen on the way (each once, in
/// order, the last one last) and how long it took.
async fn wait_verdict(
    swarm: &SwarmCluster,
    name: &str,
    done: impl Fn(&Option<String>) -> bool,
) -> (Vec<Option<String>>, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let verdict = swarm.verdict(HOST, name).await;
        if seen.last() != Some(&verdict) {
            seen.push(verdict.clone());
        }
        if done(&verdict) {
            return (seen, started.elapsed());
        }
        assert!(started.elapsed() < CONVERGE_LIMIT, "{name}: still {verdict:?} after {CONVERGE_LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Until every endpoint's /health answers 200.
async fn wait_healthy(endpoints: &[Endpoint]) {
    let http = stack::loopback_client(Duration::from_secs(2)).expect("http client");
    for e in endpoints {
        let url = format!("http://{}:{}/health", e.address, e.port);
        let started = Instant::now();
        loop {
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => break,
                other if started.elapsed() > Duration::from_secs(30) => panic!("{} {url}: {other:?}", e.name),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

/// Starts `name` and waits until Swarm says every task runs and each answers /health; returns
/// (task convergence, start to healthy), the endpoints and the verdicts seen on the way.
async fn start_healthy(swarm: &SwarmCluster, name: &str, replicas: usize) -> (Duration, Duration, Vec<Endpoint>) {
    let started = Instant::now();
    swarm.start(HOST, name).await.expect("start");
    let (seen, converged) = wait_verdict(swarm, name, Option::is_none).await;
    // Swarm holds a task in `starting` until its HEALTHCHECK passes (every 2 s in this image):
    // the verdict says so, and does not call the slot fine before.
    assert!(
        seen.iter().flatten().any(|v| v.contains("(waiting for its HEALTHCHECK)")),
        "verdicts on the way: {seen:#?}"
    );
    eprintln!("verdicts on the way: {seen:?}");
    let endpoints = swarm.slot_endpoints(HOST, name).await.expect("endpoints").expect("Swarm names endpoints");
    assert_eq!(endpoints.len(), replicas, "{endpoints:?}");
    wait_healthy(&endpoints).await;
    (converged, started.elapsed(), endpoints)
}

/// Asserts nothing of the engine in `dir` is left: no process naming it, no mount, no bridge.
fn assert_nothing_left(dir: &Path, bridges: &[&str]) {
    let root = dir.display().to_string();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if !stack::is_alive(pid) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(!cmdline.contains(root.as_str()), "process {pid} left: {cmdline}");
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    assert!(!mountinfo.contains(root.as_str()), "mounts left under {root}");
    for bridge in bridges {
        assert!(!Path::new("/sys/class/net").join(bridge).exists(), "bridge {bridge} left");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_slot_is_created_started_followed_stopped_started_cold_and_removed() {
    if !engine_available() {
        return;
    }
    let tmp = tempfile::Builder::new().prefix("opsdeck-swarm-").tempdir().expect("tempdir");
    let body = async {
        let started = Instant::now();
        let engine = tokio::time::timeout(START_LIMIT, Engine::start(tmp.path(), "sw"))
            .await
            .expect("the engine starts within a minute")
            .unwrap_or_else(|e| panic!("the second engine does not start: {e:#}"));
        let gateway = GatewayBridge(format!("{}gw", engine.bridge()));
        assert!(gateway.0.len() <= 15, "{}", gateway.0);
        let endpoint = DockerEndpoint { url: engine.url(), tls: None, timeout: CALL };
        let docker = connect(&endpoint).await.expect("connect to the second engine");
        init_swarm(&docker, &gateway.0).await;
        build_probe(&docker).await;
        eprintln!("engine, swarm and image ready in {:.1}s", started.elapsed().as_secs_f64());
        let hostname = docker.info().await.expect("info").name.expect("the engine's host name");

        let manager = SwarmManager { name: HOST.into(), endpoint, probe_address: "127.0.0.1".into() };
        let placement = HashMap::from([
            ("api".to_string(), Placement { replicas: 2, constraints: vec![] }),
            ("pinned".to_string(), Placement { replicas: 1, constraints: vec!["node.labels.nowhere==1".into()] }),
        ]);
        let swarm = SwarmCluster::new(manager, placement);
        exercise(&swarm, &hostname).await;

        let (bridge, gw) = (engine.bridge().to_string(), gateway.0.clone());
        leave_swarm(&docker).await;
        engine.stop().await.expect("the engine stops cleanly");
        drop(gateway);
        assert_nothing_left(tmp.path(), &[&bridge, &gw]);
    };
    tokio::time::timeout(TEST_LIMIT, body).await.expect("the test finishes within its limit");
}

async fn exercise(swarm: &SwarmCluster, hostname: &str) {
    let blue = slot("api", "blue", "sha256:blue-1");
    let name = blue.container_name();
    assert!(swarm.has_image(HOST, IMAGE).await.expect("has_image"), "nodes pull for themselves");
    swarm.pull(HOST, IMAGE).await.expect("pull is nothing to do");
    assert_eq!(swarm.slot_digest(HOST, &name).await.expect("digest"), None);
    assert!(swarm.stop(HOST, &name, Duration::from_secs(1)).await.is_ok(), "no service is stopped already");

    // Created, not started: a service at 0 replicas, listed as one stopped row.
    swarm.recreate(&blue).await.expect("recreate");
    assert_eq!(swarm.slot_digest(HOST, &name).await.expect("digest").as_deref(), Some("sha256:blue-1"));
    assert!(!swarm.is_running(HOST, &name).await.expect("is_running"));
    assert_eq!(swarm.verdict(HOST, &name).await.as_deref(), Some("api-prod-blue is stopped (0 tasks wanted)"));
    let listed = swarm.list_slots(HOST).await.expect("list");
    assert_eq!(listed.iter().map(|r| (r.name.as_str(), r.state.as_str())).collect::<Vec<_>>(), [(&*name, "stopped")]);

    let (converged, healthy, endpoints) = start_healthy(swarm, &name, 2).await;
    eprintln!("start: 2 tasks running in {:.1}s, both /health 200 in {:.1}s", secs(converged), secs(healthy));
    assert!(endpoints.iter().all(|e| e.address == "127.0.0.1" && e.name.ends_with(&format!(" on {hostname}"))));
    assert_ne!(endpoints[0].port, endpoints[1].port, "Swarm picked a port per task: {endpoints:?}");
    assert!(swarm.is_running(HOST, &name).await.expect("is_running"));
    let listed = swarm.list_slots(HOST).await.expect("list");
    let rows: Vec<(&str, &str, Option<&str>)> =
        listed.iter().map(|r| (r.name.as_str(), r.state.as_str(), r.label(NODE_LABEL))).collect();
    let want = [("api-prod-blue.1", "running", Some(hostname)), ("api-prod-blue.2", "running", Some(hostname))];
    assert_eq!(rows, want, "{listed:#?}");
    let ports: Vec<u16> = listed.iter().filter_map(|r| r.ports.get(&8080).copied()).collect();
    let mut published: Vec<u16> = endpoints.iter().map(|e| e.port).collect();
    published.sort();
    assert_eq!(
        {
            let mut p = ports;
            p.sort();
            p
        },
        published
    );

    // A task in detail (it runs on the manager's own engine), and the slot's logs.
    let detail = swarm.inspect(HOST, "api-prod-blue.1").await.expect("inspect a task");
    assert_eq!((detail.state.as_str(), detail.image.as_str()), ("running", IMAGE));
    assert_eq!(detail.labels.get("opsdeck.slot").map(String::as_str), Some("blue"));
    let logs = swarm.log_session(HOST).await.expect("log session");
    assert_eq!(logs.running(&name).await.expect("running"), Some(true));
    assert_eq!(logs.running("nothing-prod-blue").await.expect("running"), None);
    let mut lines = logs.follow(&name, Start::Tail(20));
    let batch = tokio::time::timeout(CALL, lines.next()).await.expect("log lines").expect("a batch").expect("lines");
    assert!(!batch.is_empty() && batch.iter().all(|l| l.at.is_some()), "{batch:?}");
    eprintln!("logs: {:?}", batch.iter().map(|l| l.text.as_str()).take(3).collect::<Vec<_>>());
    drop(lines);

    let mut follow = swarm.follow(HOST, Duration::from_secs(60));
    match tokio::time::timeout(CALL, follow.next()).await.expect("a first snapshot") {
        Some(SlotNews::Snapshot(Ok(rows))) => assert_eq!(rows, listed),
        other => panic!("first news: {other:?}"),
    }

    let stopping = Instant::now();
    swarm.stop(HOST, &name, Duration::from_secs(5)).await.expect("stop");
    eprintln!("stop: no task running after {:.1}s", secs(stopping.elapsed()));
    // Followed: the change comes within a poll or two (the reconcile is a minute away).
    loop {
        match tokio::time::timeout(CALL, follow.next()).await.expect("news of the stop") {
            Some(SlotNews::Snapshot(Ok(rows))) if rows.iter().all(|r| r.state == "stopped") => break,
            Some(SlotNews::Snapshot(Ok(_))) => {}
            other => panic!("news: {other:?}"),
        }
    }
    eprintln!("followed: the stopped slot seen {:.1}s after the stop began", secs(stopping.elapsed()));
    drop(follow);
    assert_eq!(swarm.slot_endpoints(HOST, &name).await.expect("endpoints"), Some(vec![]));
    assert!(!swarm.is_running(HOST, &name).await.expect("is_running"));
    assert_eq!(swarm.slot_digest(HOST, &name).await.expect("the spec is kept").as_deref(), Some("sha256:blue-1"));

    let (converged, healthy, _) = start_healthy(swarm, &name, 2).await;
    eprintln!("cold start: 2 tasks running in {:.1}s, both /health 200 in {:.1}s", secs(converged), secs(healthy));

    // Made anew while it runs: the existing service is updated (its version quoted) to 0 tasks.
    swarm.recreate(&slot("api", "blue", "sha256:blue-2")).await.expect("recreate an existing service");
    assert_eq!(swarm.slot_digest(HOST, &name).await.expect("digest").as_deref(), Some("sha256:blue-2"));
    let (converged, healthy, _) = start_healthy(swarm, &name, 2).await;
    eprintln!("remade: 2 tasks running in {:.1}s, both /health 200 in {:.1}s", secs(converged), secs(healthy));

    // The only node drained: Swarm takes its tasks off it and has nowhere else to put them; the
    // verdict and the rows say why. Active again, the slot comes back by itself.
    set_availability(swarm, hostname, "drain");
    let (seen, after) =
        wait_verdict(swarm, &name, |v| v.as_deref().is_some_and(|v| v.contains("no suitable node"))).await;
    eprintln!("drained: {:?} (after {:.1}s)", seen.last(), secs(after));
    let listed = swarm.list_slots(HOST).await.expect("list");
    assert!(listed.iter().all(|r| r.state != "running"), "{listed:#?}");
    set_availability(swarm, hostname, "active");
    let (converged, _, _) = start_healthy(swarm, &name, 2).await;
    eprintln!("node active again: 2 tasks running in {:.1}s", secs(converged));

    // A slot no node can take says so.
    let pinned = slot("pinned", "green", "sha256:pinned");
    let pinned_name = pinned.container_name();
    swarm.recreate(&pinned).await.expect("recreate pinned");
    swarm.start(HOST, &pinned_name).await.expect("start pinned");
    let (seen, after) =
        wait_verdict(swarm, &pinned_name, |v| v.as_deref().is_some_and(|v| v.contains("no suitable node"))).await;
    let verdict = seen.last().cloned().flatten().unwrap_or_default();
    eprintln!("pinned: {verdict} (after {:.1}s)", secs(after));
    assert!(
        verdict.starts_with("0 of 1 tasks running; pinned-prod-green.1: no suitable node (scheduling constraints"),
        "{verdict}"
    );
    let listed = swarm.list_slots(HOST).await.expect("list");
    let row = listed.iter().find(|r| r.name == "pinned-prod-green.1").expect("the pinned task's row");
    assert!(row.state == "pending" && row.status.contains("no suitable node"), "{row:?}");

    for n in [&name, &pinned_name] {
        swarm.remove(HOST, n).await.expect("remove");
        swarm.remove(HOST, n).await.expect("removing again is fine");
    }
    assert_eq!(swarm.list_slots(HOST).await.expect("list"), vec![]);
    assert_eq!(swarm.verdict(HOST, &name).await.as_deref(), Some("no service api-prod-blue"));
}

/// `docker node update --availability WHAT NODE` on the test's swarm.
fn set_availability(swarm: &SwarmCluster, node: &str, what: &str) {
    let out = std::process::Command::new("/usr/bin/docker")
        .args(["-H", &swarm.manager.endpoint.url, "node", "update", "--availability", what, node])
        .output()
        .expect("docker node update");
    assert!(out.status.success(), "node update: {}", String::from_utf8_lossy(&out.stderr));
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
