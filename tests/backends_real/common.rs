//! Helpers shared by the backends_real scenarios: the test clock, unique names, the Docker
//! connection, the static demo image, and guards that clean up after a test.

use futures::StreamExt;
use opsdeck::stack;
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile};
use opsdeck_backends::docker::Client as Docker;
use opsdeck_backends::docker::{self as backend_docker, inventory, DockerEndpoint};
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::types::{DockerEvent, HealthVerdict};
use opsdeck_backends::BackendError;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The Dockerfile the demo ships its service with.
const DOCKERFILE: &str = include_str!("../../crates/demo-service/Dockerfile");
/// Label on every image and container these tests make; its value is unique per test run.
pub const TEST_LABEL: &str = "opsdeck.backends-real";
/// One backend call.
pub const CALL: Duration = Duration::from_secs(10);
const BUILD: Duration = Duration::from_secs(120);
pub const PUSH: Duration = Duration::from_secs(60);
/// The whole of one test that builds images (a cold engine is slow to build the first one).
pub const TEST_LIMIT: Duration = Duration::from_secs(120);
/// The whole of one test on a component alone.
pub const COMPONENT_LIMIT: Duration = Duration::from_secs(60);
/// Static demo-service builds go here when nothing else names one.
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Runs a test body with a deadline; guards inside it clean up when it is cut short.
pub async fn bounded<F: Future<Output = ()>>(name: &str, limit: Duration, body: F) {
    let started = Instant::now();
    if tokio::time::timeout(limit, body).await.is_err() {
        panic!("{name}: did not finish within {}s", limit.as_secs());
    }
    eprintln!("{name}: {:.1}s", started.elapsed().as_secs_f64());
}

/// 64 bits that differ between calls and between runs (time, pid and a counter, mixed).
fn unique_bits() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut x = (nanos as u64)
        ^ (u64::from(std::process::id()) << 40)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64's finaliser: neighbouring inputs give unrelated outputs.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A unique lowercase hex word (a run id, or a git-sha-like tag when 7 long).
pub fn unique_hex(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&format!("{:016x}", unique_bits()));
    }
    s.truncate(len);
    s
}

pub async fn docker() -> Docker {
    let endpoint = DockerEndpoint { url: format!("unix://{}", stack::DOCKER_SOCKET), tls: None, timeout: CALL };
    backend_docker::connect(&endpoint).await.expect("connect to the local Docker engine")
}

/// The static demo-service binary, built once if nothing names one.
pub fn demo_binary() -> Vec<u8> {
    static BUILT: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.is_none() {
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let default = workspace.join(format!("target/{TARGET}/release/demo-service"));
        let path = match std::env::var_os("OPSDECK_DEMO_BINARY").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => {
                if !default.is_file() {
                    eprintln!("building the static demo service into {}", default.display());
                    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                        .current_dir(&workspace)
                        .env("RUSTFLAGS", "-C target-feature=+crt-static")
                        .env_remove("CARGO_ENCODED_RUSTFLAGS")
                        .args(["build", "--release", "-p", "opsdeck-demo-service", "--target", TARGET])
                        .status()
                        .expect("run cargo build for the demo service");
                    assert!(status.success(), "building the static demo service failed");
                }
                default
            }
        };
        *built = Some(path);
    }
    let path = built.as_ref().expect("set above");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read the demo binary {}: {e}", path.display()));
    assert_eq!(has_interpreter(&bytes), Some(false), "{} must be a static ELF executable", path.display());
    bytes
}

/// Whether a 64-bit little-endian ELF has a `PT_INTERP` header (is dynamically linked).
fn has_interpreter(elf: &[u8]) -> Option<bool> {
    if elf.get(..4)? != b"\x7fELF" || *elf.get(4)? != 2 || *elf.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let phoff = usize::try_from(u64::from_le_bytes(elf.get(0x20..0x28)?.try_into().ok()?)).ok()?;
    let (phentsize, phnum) = (usize::from(u16_at(0x36)?), usize::from(u16_at(0x38)?));
    let mut found = false;
    for i in 0..phnum {
        let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
        found |= u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?) == 3;
    }
    Some(found)
}

/// Builds the demo image with every one of `tags`; returns the image id.
pub async fn build_demo_image(docker: &Docker, tags: &[String], args: &[(&str, &str)], run: &str) -> String {
    let spec = BuildSpec {
        files: vec![
            ContextFile { path: "Dockerfile".into(), contents: DOCKERFILE.as_bytes().to_vec(), mode: 0o644 },
            ContextFile { path: "demo-service".into(), contents: demo_binary(), mode: 0o755 },
        ],
        tags: tags.to_vec(),
        build_args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        labels: BTreeMap::from([(TEST_LABEL.to_string(), run.to_string())]),
    };
    let mut built = lifecycle::build_image(docker, &spec, BUILD).await;
    // The engine's builder shares cached layers between builds, and another test's cleanup
    // (`rmi` prunes untagged parents) may remove one while this build uses it: build once more.
    if matches!(&built, Err(e) if e.to_string().contains("unable to find image")) {
        built = lifecycle::build_image(docker, &spec, BUILD).await;
    }
    let id = built.expect("build the demo image");
    assert!(id.starts_with("sha256:"), "image id {id:?}");
    id
}

/// Removes, when dropped, every container and image labelled with this run's id (with the Docker
/// CLI, so it works from `Drop` and after a panic). On the good path the test has removed them
/// already through the backends and this finds nothing.
pub struct DockerLeftovers {
    pub run: String,
}

impl DockerLeftovers {
    pub fn new() -> DockerLeftovers {
        DockerLeftovers { run: unique_hex(12) }
    }

    fn filter(&self) -> String {
        format!("label={TEST_LABEL}={}", self.run)
    }

    fn ids(&self, what: &[&str]) -> Vec<String> {
        let out = Command::new("/usr/bin/docker").args(what).args(["-q", "--filter", &self.filter()]).output();
        let Ok(out) = out else { return Vec::new() };
        let ids: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        ids.into_iter().collect()
    }
}

impl Drop for DockerLeftovers {
    fn drop(&mut self) {
        let containers = self.ids(&["ps", "-a"]);
        if !containers.is_empty() {
            let _ = Command::new("/usr/bin/docker").args(["rm", "-f", "-v"]).args(&containers).output();
        }
        let images = self.ids(&["image", "ls"]);
        if !images.is_empty() {
            let _ = Command::new("/usr/bin/docker").args(["rmi", "-f"]).args(&images).output();
        }
    }
}

/// Slot events for the containers of interest, forwarded from a task that reads the stream.
pub struct EventTap {
    rx: mpsc::UnboundedReceiver<Result<DockerEvent, BackendError>>,
    task: tokio::task::JoinHandle<()>,
}

impl EventTap {
    pub async fn subscribe(docker: &Docker) -> EventTap {
        let mut events = Box::pin(inventory::slot_events(docker));
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        // The request goes out on the first poll; give the engine a moment to register it.
        tokio::time::sleep(Duration::from_millis(500)).await;
        EventTap { rx, task }
    }

    /// Waits (bounded) for an event on `id` whose action is one of `actions`; returns the action.
    pub async fn expect(&mut self, id: &str, actions: &[&str], within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Err(_) => panic!("no {actions:?} event for {id} within {within:?}; saw {seen:?}"),
                Ok(None) => panic!("the event stream ended; saw {seen:?}"),
                Ok(Some(Err(e))) => panic!("the event stream failed: {e}"),
                Ok(Some(Ok(DockerEvent::Container { id: got, action }))) => {
                    // A HEALTHCHECK run is three exec events: they are filtered out by the engine.
                    assert!(!action.starts_with("exec"), "exec events are not followed: {action}");
                    if got == id && actions.iter().any(|a| action == *a) {
                        return action;
                    }
                    if got == id {
                        seen.push(action);
                    }
                }
            }
        }
    }
}

impl Drop for EventTap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Probes `url` until something answers (the container is starting), bounded.
pub async fn probe_until_answered(url: &str, within: Duration) -> opsdeck_backends::types::HealthReport {
    let prober = HealthProber::new(Duration::from_secs(2)).expect("prober");
    let deadline = Instant::now() + within;
    loop {
        let report = prober.probe(url).await;
        if report.verdict != HealthVerdict::Unreachable || Instant::now() >= deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `slot(id)` until `done` holds for it, bounded; returns the last view.
pub async fn slot_until(
    docker: &Docker,
    id: &str,
    within: Duration,
    done: impl Fn(&opsdeck_backends::types::ContainerInfo) -> bool,
) -> opsdeck_backends::types::ContainerInfo {
    let deadline = Instant::now() + within;
    loop {
        let slot = inventory::slot(docker, id, CALL).await.expect("slot").expect("the container exists");
        if done(&slot) || Instant::now() >= deadline {
            return slot;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
