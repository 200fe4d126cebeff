//! A second real Docker Engine (`opsdeck::stack::Engine`) beside the first one on
//! /var/run/docker.sock: both answer and are different engines, a container built and run on the
//! second serves /health through a port published on 127.0.0.1, the first engine's containers
//! keep running throughout, and stopping the second (by its handle, or later by directory and
//! name as `opsdeck demo down` would, even after dockerd was killed outright) leaves no process,
//! mount or bridge behind. Needs root, dockerd and ip; without them the test says why and
//! passes, except under `CI=true`, where that is a failure.

mod support;

use opsdeck::stack::{self, Engine};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile, SlotSpec};
use opsdeck_backends::docker::{connect, Client, DockerEndpoint};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DOCKERFILE: &str = include_str!("../crates/demo-service/Dockerfile");
const CALL: Duration = Duration::from_secs(10);
const BUILD: Duration = Duration::from_secs(120);
const START_LIMIT: Duration = Duration::from_secs(60);
/// One whole test, builds included.
const TEST_LIMIT: Duration = Duration::from_secs(240);
const LABEL: &str = "opsdeck.second-engine-test";
const SENTINEL: &str = "opsdeck-second-engine-sentinel";
const SENTINEL_IMAGE: &str = "opsdeck-second-engine/probe:test";

/// Whether the test can run here; panics under CI when it cannot.
fn engine_available() -> bool {
    support::engines::second_engine_available("second engine test", true)
}

async fn client(socket: &Path) -> Client {
    let endpoint = DockerEndpoint { url: format!("unix://{}", socket.display()), tls: None, timeout: CALL };
    connect(&endpoint).await.unwrap_or_else(|e| panic!("connect to {}: {e}", socket.display()))
}

async fn start_engine(dir: &Path, name: &str) -> Engine {
    let started = Instant::now();
    let engine = tokio::time::timeout(START_LIMIT, Engine::start(dir, name))
        .await
        .expect("the engine starts within a minute")
        .unwrap_or_else(|e| panic!("the second engine does not start: {e:#}"));
    eprintln!("{name}: started in {:.1}s", started.elapsed().as_secs_f64());
    engine
}

/// The demo service image, built from the static binary on `docker` (nothing is pulled).
async fn build_probe(docker: &Client, tag: &str) {
    let binary = opsdeck::demo::binary::locate(None).await.expect("the static demo-service binary");
    let binary = std::fs::read(&binary).expect("read the demo-service binary");
    let spec = BuildSpec {
        files: vec![
            ContextFile { path: "Dockerfile".into(), contents: DOCKERFILE.as_bytes().to_vec(), mode: 0o644 },
            ContextFile { path: "demo-service".into(), contents: binary, mode: 0o755 },
        ],
        tags: vec![tag.to_string()],
        labels: BTreeMap::from([(LABEL.to_string(), "probe".to_string())]),
        ..BuildSpec::default()
    };
    lifecycle::build_image(docker, &spec, BUILD).await.expect("build the probe image");
}

/// Runs `image` as `name`, published on 127.0.0.1; returns (container id, host port).
async fn run_probe(docker: &Client, name: &str, image: &str) -> (String, u16) {
    let port = stack::free_port().expect("a free port");
    let spec = SlotSpec {
        name: name.into(),
        image: image.into(),
        labels: BTreeMap::from([(LABEL.to_string(), name.to_string())]),
        env: BTreeMap::new(),
        container_port: 8080,
        host_port: port,
        host_ip: "127.0.0.1".into(),
    };
    let id = lifecycle::create_container(docker, &spec, CALL).await.expect("create the probe");
    lifecycle::start_container(docker, name, CALL).await.expect("start the probe");
    wait_healthy(port).await;
    (id, port)
}

/// Until GET /health on 127.0.0.1:`port` answers 200 (30 s at most).
async fn wait_healthy(port: u16) {
    let http = stack::loopback_client(Duration::from_secs(2)).expect("http client");
    let url = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    loop {
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => return,
            other if started.elapsed() > Duration::from_secs(30) => panic!("{url} never answered 200: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Asserts nothing of an engine whose files were in `dir` and socket was `socket` is left: no
/// process naming either, no process in the cgroup of `container`, no mount, no bridge.
fn assert_nothing_left(dir: &Path, socket: &Path, bridge: &str, container: &str) {
    let runtime = socket.parent().expect("the socket is in a directory").to_path_buf();
    let roots = [dir.display().to_string(), runtime.display().to_string()];
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if !stack::is_alive(pid) {
            // A zombie holds nothing but its pid until its parent (here perhaps init) reaps it.
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(!roots.iter().any(|r| cmdline.contains(r.as_str())), "process {pid} left: {cmdline}");
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        assert!(!cgroup.contains(container), "container process {pid} left: {cmdline}");
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    let mounted: Vec<&str> = mountinfo.lines().filter(|l| roots.iter().any(|r| l.contains(r.as_str()))).collect();
    assert!(mounted.is_empty(), "mounts left: {mounted:#?}");
    assert!(!Path::new("/sys/class/net").join(bridge).exists(), "bridge {bridge} left");
    assert!(!runtime.exists(), "{} left", runtime.display());
}

/// Removes the sentinel container and its image from the first engine with the CLI, when dropped
/// (panics included); on the good path the test has removed them already.
struct FirstEngineLeftovers;

impl Drop for FirstEngineLeftovers {
    fn drop(&mut self) {
        // coreutils' timeout bounds each call: Drop cannot use the runtime's.
        let _ = Command::new("timeout").args(["10", "/usr/bin/docker", "rm", "-f", "-v", SENTINEL]).output();
        let _ = Command::new("timeout").args(["10", "/usr/bin/docker", "rmi", "-f", SENTINEL_IMAGE]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_engine_runs_beside_the_first_and_leaves_nothing_behind() {
    if !engine_available() {
        return;
    }
    let body = async {
        let tmp = tempfile::Builder::new().prefix("opsdeck-engine-").tempdir().expect("tempdir");
        let first = client(Path::new(stack::DOCKER_SOCKET)).await;
        let engine = start_engine(tmp.path(), "second").await;
        assert!(engine.url().starts_with("unix:///run/opsdeck-"), "{}", engine.url());
        let second = client(&engine.socket()).await;

        let (one, two) = (first.info().await.expect("first info"), second.info().await.expect("second info"));
        assert_ne!(one.id, two.id, "the engines must not share an ID");
        assert_eq!(
            two.docker_root_dir.map(PathBuf::from),
            Some(tmp.path().canonicalize().expect("tmp").join("second/data"))
        );
        assert_ne!(one.docker_root_dir, Some(engine.marker()));

        // A container on the first engine, which must run through all of this untouched.
        let _leftovers = FirstEngineLeftovers;
        build_probe(&first, SENTINEL_IMAGE).await;
        let (_, first_port) = run_probe(&first, SENTINEL, SENTINEL_IMAGE).await;

        build_probe(&second, "probe:test").await;
        let (container, _) = run_probe(&second, "probe", "probe:test").await;
        let names =
            |all: Vec<opsdeck_backends::types::ContainerInfo>| all.into_iter().map(|c| c.name).collect::<Vec<_>>();
        let on_second = lifecycle::list_containers_by_label(&second, &[], CALL).await.expect("list");
        assert_eq!(names(on_second), ["probe"], "the second engine has only its own container");

        let (socket, bridge) = (engine.socket(), engine.bridge().to_string());
        let stopping = Instant::now();
        engine.stop().await.expect("the second engine stops cleanly");
        eprintln!("stopped in {:.1}s", stopping.elapsed().as_secs_f64());
        assert_nothing_left(tmp.path(), &socket, &bridge, &container);
        stack::stop_engine_in(tmp.path(), "second", CALL).await.expect("stopping it again is fine");

        wait_healthy(first_port).await;
        let running = lifecycle::list_containers_by_label(&first, &[(LABEL, Some(SENTINEL))], CALL)
            .await
            .expect("list the first engine");
        assert!(running.iter().all(|c| c.state == "running") && running.len() == 1, "{running:?}");
        lifecycle::remove_container(&first, SENTINEL, CALL).await.expect("remove the sentinel");
        lifecycle::remove_image(&first, SENTINEL_IMAGE, CALL).await.expect("remove its image");
    };
    tokio::time::timeout(TEST_LIMIT, body).await.expect("the test finishes within its limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_engine_is_stopped_later_by_dir_and_name_even_when_dockerd_was_killed() {
    if !engine_available() {
        return;
    }
    let body = async {
        let tmp = tempfile::Builder::new().prefix("opsdeck-engine-").tempdir().expect("tempdir");
        for (round, kill_first) in [(1, false), (2, true)] {
            let engine = start_engine(tmp.path(), "detached").await;
            let docker = client(&engine.socket()).await;
            // A cached build from round 2 on: the data root is kept between runs.
            build_probe(&docker, "probe:test").await;
            let (container, port) = run_probe(&docker, "probe", "probe:test").await;
            let (socket, bridge) = (engine.socket(), engine.bridge().to_string());
            let pid = engine.detach();
            wait_healthy(port).await;
            if kill_first {
                // The worst case for `down`: dockerd died outright, its shim and container did not.
                let pid = libc::pid_t::try_from(pid).expect("pid");
                // SAFETY: kill has no memory effects.
                assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0, "kill dockerd");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let stopping = Instant::now();
            stack::stop_engine_in(tmp.path(), "detached", stack::ENGINE_STOP_GRACE)
                .await
                .unwrap_or_else(|e| panic!("round {round}: stop_engine_in: {e:#}"));
            eprintln!("round {round}: stopped by dir and name in {:.1}s", stopping.elapsed().as_secs_f64());
            assert_nothing_left(tmp.path(), &socket, &bridge, &container);
        }
    };
    tokio::time::timeout(TEST_LIMIT, body).await.expect("the test finishes within its limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_cannot_start_says_why_and_leaves_nothing_behind() {
    if !engine_available() {
        return;
    }
    let tmp = tempfile::Builder::new().prefix("opsdeck-engine-").tempdir().expect("tempdir");
    // A file where the data root should be: dockerd exits at once.
    std::fs::create_dir_all(tmp.path().join("broken")).expect("mkdir");
    std::fs::write(tmp.path().join("broken/data"), "not a directory").expect("write");
    let failed = tokio::time::timeout(START_LIMIT, Engine::start(tmp.path(), "broken")).await.expect("bounded");
    let error = format!("{:#}", failed.err().expect("the start fails"));
    eprintln!("{error}");
    assert!(error.contains("dockerd exited at start") && error.contains("dockerd.log"), "{error}");
    let leftovers: Vec<_> = std::fs::read_dir("/sys/class/net")
        .expect("read /sys/class/net")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("od-") && n.ends_with("-broke"))
        .collect();
    assert!(leftovers.is_empty(), "bridges left: {leftovers:?}");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    assert!(!mountinfo.contains(&tmp.path().display().to_string()), "mounts left under {}", tmp.path().display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_engine_is_stopped_and_cleaned_up() {
    if !engine_available() {
        return;
    }
    let tmp = tempfile::Builder::new().prefix("opsdeck-engine-").tempdir().expect("tempdir");
    let engine = start_engine(tmp.path(), "dropped").await;
    let (socket, bridge) = (engine.socket(), engine.bridge().to_string());
    assert!(Path::new("/sys/class/net").join(&bridge).exists(), "bridge {bridge} made");
    drop(engine);
    assert_nothing_left(tmp.path(), &socket, &bridge, "no container");
}
