//! The backends crate against the real components: a `docker-registry`, HAProxy, Alertmanager and
//! the Docker engine, each test starting its own on free loopback ports and taking it all down
//! again (also when an assertion fails halfway). Without the components a test prints why and
//! passes, except under `CI=true`, where it fails.
//!
//! The images are built FROM scratch from the static demo-service binary:
//! `$OPSDECK_DEMO_BINARY`, else `target/x86_64-unknown-linux-gnu/release/demo-service`, else it is
//! built here (`./scripts/test.sh` builds it and sets the variable).

mod support;

use bollard::Docker;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use opsdeck::stack::{self, free_port, Alertmanager, Haproxy, Registry};
use opsdeck_backends::alertmanager::{AlertmanagerClient, NewAlert, NewSilence};
use opsdeck_backends::docker::lifecycle::{self, BuildSpec, ContextFile, SlotSpec};
use opsdeck_backends::docker::{self as backend_docker, inventory, DockerEndpoint};
use opsdeck_backends::haproxy::HaproxyClient;
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::registry::RegistryClient;
use opsdeck_backends::types::{labels, AdminState, DockerEvent, DockerHealth, HealthVerdict, Matcher, ServerStat};
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
const DOCKERFILE: &str = include_str!("../crates/demo-service/Dockerfile");
/// Label on every image and container these tests make; its value is unique per test run.
const TEST_LABEL: &str = "opsdeck.backends-real";
/// One backend call.
const CALL: Duration = Duration::from_secs(10);
const BUILD: Duration = Duration::from_secs(120);
const PUSH: Duration = Duration::from_secs(60);
/// The whole of one test that builds images (a cold engine is slow to build the first one).
const TEST_LIMIT: Duration = Duration::from_secs(120);
/// The whole of one test on a component alone.
const COMPONENT_LIMIT: Duration = Duration::from_secs(60);
/// Static demo-service builds go here when nothing else names one.
const TARGET: &str = "x86_64-unknown-linux-gnu";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs a test body with a deadline; guards inside it clean up when it is cut short.
async fn bounded<F: Future<Output = ()>>(name: &str, limit: Duration, body: F) {
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
fn unique_hex(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&format!("{:016x}", unique_bits()));
    }
    s.truncate(len);
    s
}

async fn docker() -> Docker {
    let endpoint = DockerEndpoint { url: format!("unix://{}", stack::DOCKER_SOCKET), tls: None, timeout: CALL };
    backend_docker::connect(&endpoint).await.expect("connect to the local Docker engine")
}

/// The static demo-service binary, built once if nothing names one.
fn demo_binary() -> Vec<u8> {
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
async fn build_demo_image(docker: &Docker, tags: &[String], args: &[(&str, &str)], run: &str) -> String {
    let spec = BuildSpec {
        files: vec![
            ContextFile { path: "Dockerfile".into(), contents: DOCKERFILE.as_bytes().to_vec(), mode: 0o644 },
            ContextFile { path: "demo-service".into(), contents: demo_binary(), mode: 0o755 },
        ],
        tags: tags.to_vec(),
        build_args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        labels: BTreeMap::from([(TEST_LABEL.to_string(), run.to_string())]),
    };
    let id = lifecycle::build_image(docker, &spec, BUILD).await.expect("build the demo image");
    assert!(id.starts_with("sha256:"), "image id {id:?}");
    id
}

/// Removes, when dropped, every container and image labelled with this run's id (with the Docker
/// CLI, so it works from `Drop` and after a panic). On the good path the test has removed them
/// already through the backends and this finds nothing.
struct DockerLeftovers {
    run: String,
}

impl DockerLeftovers {
    fn new() -> DockerLeftovers {
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
struct EventTap {
    rx: mpsc::UnboundedReceiver<Result<DockerEvent, BackendError>>,
    task: tokio::task::JoinHandle<()>,
}

impl EventTap {
    async fn subscribe(docker: &Docker) -> EventTap {
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
    async fn expect(&mut self, id: &str, actions: &[&str], within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Err(_) => panic!("no {actions:?} event for {id} within {within:?}; saw {seen:?}"),
                Ok(None) => panic!("the event stream ended; saw {seen:?}"),
                Ok(Some(Err(e))) => panic!("the event stream failed: {e}"),
                Ok(Some(Ok(DockerEvent::Container { id: got, action }))) => {
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
async fn probe_until_answered(url: &str, within: Duration) -> opsdeck_backends::types::HealthReport {
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
async fn slot_until(
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

// ---------------------------------------------------------------------------------------------
// 1. The registry
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn registry_history_groups_pushed_tags_by_digest_and_deletes() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("registry", TEST_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-registry-").tempdir().expect("tempdir");
        let registry = Registry::start(dir.path()).await.expect("start docker-registry");
        let repo = format!("{}/svc", registry.host());
        let docker = docker().await;
        let started = Utc::now();

        // Three releases, built one after the other (so creation times increase), with unique
        // sha tags so that no earlier run's build cache can hand back an old image.
        let releases: Vec<(&str, String, bool)> =
            vec![("v1.0.0", unique_hex(7), false), ("v1.1.0", unique_hex(7), false), ("v1.2.0", unique_hex(7), true)];
        let mut pushed: Vec<(String, Vec<String>)> = Vec::new(); // (digest, tags), oldest first
        let mut all_refs = Vec::new();
        for (version, sha, latest) in &releases {
            let mut tags = vec![version.to_string(), sha.clone()];
            if *latest {
                tags.push("latest".into());
            }
            let refs: Vec<String> = tags.iter().map(|t| format!("{repo}:{t}")).collect();
            build_demo_image(
                &docker,
                &refs,
                &[("DEMO_VERSION", version), ("DEMO_IMAGE_TAG", sha), ("DEMO_SERVICE", "svc")],
                &leftovers.run,
            )
            .await;
            let mut digest = None::<String>;
            for reference in &refs {
                let reported = lifecycle::push_image(&docker, reference, PUSH).await.expect("push");
                let reported = reported.unwrap_or_else(|| panic!("push of {reference} reported no digest"));
                if let Some(d) = &digest {
                    assert_eq!(&reported, d, "every tag of one image pushes the same manifest");
                }
                digest = Some(reported);
            }
            let digest = digest.expect("pushed");
            for reference in &refs {
                let repo_digest = lifecycle::repo_digest(&docker, reference, &repo, CALL).await.expect("repo digest");
                assert_eq!(repo_digest.as_deref(), Some(digest.as_str()), "RepoDigests of {reference}");
            }
            all_refs.extend(refs);
            pushed.push((digest, tags));
        }
        let digests: BTreeSet<&String> = pushed.iter().map(|(d, _)| d).collect();
        assert_eq!(digests.len(), 3, "three builds, three digests: {pushed:?}");

        let client = RegistryClient::new(&registry.url(), CALL).expect("registry client");
        let all_tags: BTreeSet<String> = pushed.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
        let listed = client.list_tags("svc").await.expect("list tags");
        assert_eq!(listed.len(), all_tags.len(), "no duplicates: {listed:?}");
        assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), all_tags);
        assert_eq!(client.list_repositories().await.expect("catalog"), ["svc"]);
        assert_eq!(client.manifest_digest("svc", "latest").await.expect("latest"), pushed[2].0);

        let history = client.history("svc").await.expect("history");
        let got: Vec<(&str, Vec<&str>)> =
            history.iter().map(|i| (i.digest.as_str(), i.tags.iter().map(String::as_str).collect())).collect();
        let (a, b, c) = (&releases[0].1, &releases[1].1, &releases[2].1);
        let want: Vec<(&str, Vec<&str>)> = vec![
            (pushed[2].0.as_str(), vec!["v1.2.0", c.as_str(), "latest"]),
            (pushed[1].0.as_str(), vec!["v1.1.0", b.as_str()]),
            (pushed[0].0.as_str(), vec!["v1.0.0", a.as_str()]),
        ];
        assert_eq!(got, want, "newest first, tags grouped and ordered");
        let mut previous: Option<DateTime<Utc>> = None;
        for image in &history {
            let created = image.created.unwrap_or_else(|| panic!("no created time for {}", image.digest));
            assert!(created > started - chrono::Duration::seconds(5) && created <= Utc::now(), "{created}");
            if let Some(p) = previous {
                assert!(created < p, "newest first: {created} after {p}");
            }
            previous = Some(created);
            // The same instant Docker recorded in the image config.
            let reference = format!("{repo}:{}", image.tags[0]);
            let inspected = docker.inspect_image(&reference).await.expect("inspect");
            assert_eq!(inspected.created, Some(created), "{reference}");
        }

        // More tags than one page (the client asks for 100 a page and follows `Link`): 150 more
        // on the middle image, put straight into the registry by manifest.
        let http = stack::loopback_client(CALL).expect("http client");
        let manifest_url = |reference: &str| format!("{}/v2/svc/manifests/{reference}", registry.url());
        let manifest = http
            .get(manifest_url(&pushed[1].0))
            .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
            .send()
            .await
            .expect("get manifest");
        assert!(manifest.status().is_success(), "{}", manifest.status());
        let media_type = manifest.headers().get("content-type").cloned().expect("content type");
        let body = manifest.bytes().await.expect("manifest body");
        let extra: Vec<String> = (0..150).map(|i| format!("extra-{i:03}")).collect();
        for tag in &extra {
            let put = http
                .put(manifest_url(tag))
                .header("Content-Type", media_type.clone())
                .body(body.clone())
                .send()
                .await
                .expect("put manifest");
            assert!(put.status().is_success(), "PUT {tag}: {}", put.status());
        }
        let listed = client.list_tags("svc").await.expect("list tags over pages");
        assert_eq!(listed.len(), all_tags.len() + extra.len(), "no tag lost or repeated across pages");
        let history = client.history("svc").await.expect("history over pages");
        assert_eq!(history.len(), 3);
        let mut want_b = vec!["v1.1.0".to_string(), b.clone()];
        want_b.extend(extra.iter().cloned());
        assert_eq!(history[1].digest, pushed[1].0);
        assert_eq!(history[1].tags, want_b);

        // Deleting the oldest image by digest takes its tags with it.
        client.delete_manifest("svc", &pushed[0].0).await.expect("delete the oldest manifest");
        let history = client.history("svc").await.expect("history after delete");
        let left: Vec<&str> = history.iter().map(|i| i.digest.as_str()).collect();
        assert_eq!(left, [pushed[2].0.as_str(), pushed[1].0.as_str()]);
        let listed: BTreeSet<String> = client.list_tags("svc").await.expect("tags after delete").into_iter().collect();
        let want_tags: BTreeSet<String> =
            pushed[1..].iter().flat_map(|(_, t)| t.iter().cloned()).chain(extra.iter().cloned()).collect();
        assert_eq!(listed, want_tags, "the deleted image's tags are gone");
        let gone = client.manifest_digest("svc", "v1.0.0").await;
        assert!(matches!(gone, Err(BackendError::Status { status: 404, .. })), "{gone:?}");
        let again = client.delete_manifest("svc", &pushed[0].0).await;
        assert!(matches!(again, Err(BackendError::Status { status: 404, .. })), "{again:?}");
        assert!(client.delete_manifest("svc", "v1.1.0").await.is_err(), "a tag is not a digest");

        // Local clean-up through the backends: each reference, then nothing is left.
        for reference in &all_refs {
            lifecycle::remove_image(&docker, reference, CALL).await.expect("remove image");
        }
        for reference in &all_refs {
            assert_eq!(lifecycle::local_image(&docker, reference, CALL).await.expect("inspect"), None, "{reference}");
        }
        registry.stop().await.expect("stop the registry");
    })
    .await;
    drop(leftovers);
}

// ---------------------------------------------------------------------------------------------
// 2. HAProxy
// ---------------------------------------------------------------------------------------------

fn find<'a>(servers: &'a [ServerStat], name: &str) -> &'a ServerStat {
    servers
        .iter()
        .find(|s| s.backend == "be_app" && s.server == name)
        .unwrap_or_else(|| panic!("no be_app/{name} in {servers:?}"))
}

#[tokio::test]
async fn haproxy_servers_states_and_weights() {
    if !support::stack_available() {
        return;
    }
    bounded("haproxy", COMPONENT_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-haproxy-").tempdir().expect("tempdir");
        // blue: a server that answers every request 500; green: `disabled` in the config; red:
        // health-checked, on a port nothing listens on, so its checks take it DOWN.
        let blue_server = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let blue_port = blue_server.local_addr().expect("addr").port();
        let answer_500 = tokio::spawn(async move {
            while let Ok((mut stream, _)) = blue_server.accept().await {
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut request = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let reply = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let [front, green_port, red_port] = [(); 3].map(|()| free_port().expect("port"));
        let config = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
             frontend fe_app\n    bind 127.0.0.1:{front}\n    default_backend be_app\n\n\
             backend be_app\n    balance roundrobin\n    \
             server blue 127.0.0.1:{blue_port} weight 100\n    \
             server green 127.0.0.1:{green_port} weight 100 disabled\n    \
             server red 127.0.0.1:{red_port} weight 100 check inter 200ms fall 2 rise 2\n"
        );
        let haproxy = Haproxy::start(dir.path(), &config).await.expect("start haproxy");
        let client = HaproxyClient::new(&format!("unix://{}", haproxy.socket().display()), Duration::from_secs(3))
            .expect("haproxy client");

        let deadline = Instant::now() + Duration::from_secs(10);
        let servers = loop {
            let servers = client.servers().await.expect("servers");
            if find(&servers, "red").status.starts_with("DOWN") || Instant::now() >= deadline {
                break servers;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(servers.len(), 3, "servers only, no FRONTEND/BACKEND rows: {servers:?}");
        let (blue, green, red) = (find(&servers, "blue"), find(&servers, "green"), find(&servers, "red"));
        assert_eq!(blue.admin, AdminState::Ready, "{blue:?}");
        assert_eq!(blue.status, "no check", "{blue:?}");
        assert_eq!(blue.address, format!("127.0.0.1:{blue_port}"));
        assert_eq!(blue.weight, 100);
        assert!(blue.takes_traffic(), "{blue:?}");
        assert_eq!(green.admin, AdminState::Maint, "{green:?}");
        assert!(green.status.starts_with("MAINT"), "{green:?}");
        assert!(!green.takes_traffic());
        assert_eq!(green.address, format!("127.0.0.1:{green_port}"));
        assert!(red.status.starts_with("DOWN"), "red's checks fail: {red:?}");
        assert_eq!(red.admin, AdminState::Ready, "down is not an admin state: {red:?}");
        assert!(!red.takes_traffic(), "{red:?}");

        // Real traffic through the frontend: all of it to blue, which answers 500.
        let http = stack::loopback_client(Duration::from_secs(5)).expect("http client");
        for _ in 0..3 {
            let response = http.get(format!("http://127.0.0.1:{front}/")).send().await.expect("request via haproxy");
            assert_eq!(response.status().as_u16(), 500);
        }
        let servers = client.servers().await.expect("servers");
        let blue = find(&servers, "blue");
        assert_eq!((blue.total_sessions, blue.http_5xx, blue.current_sessions), (3, 3, 0), "{blue:?}");
        assert_eq!(blue.requests, 3, "req_tot, the base of the console's req/s: {blue:?}");
        assert_eq!(find(&servers, "red").total_sessions, 0);
        client.shutdown_sessions("be_app", "blue").await.expect("shutdown sessions");

        // Every switch shows in the very next read.
        let steps = [
            ("blue", AdminState::Drain, AdminState::Drain, AdminState::Maint),
            ("green", AdminState::Ready, AdminState::Drain, AdminState::Ready),
            ("blue", AdminState::Maint, AdminState::Maint, AdminState::Ready),
            ("blue", AdminState::Ready, AdminState::Ready, AdminState::Ready),
            ("green", AdminState::Drain, AdminState::Ready, AdminState::Drain),
            ("green", AdminState::Maint, AdminState::Ready, AdminState::Maint),
            ("green", AdminState::Ready, AdminState::Ready, AdminState::Ready),
        ];
        for (server, to, want_blue, want_green) in steps {
            client.set_state("be_app", server, to).await.unwrap_or_else(|e| panic!("{server} -> {to:?}: {e}"));
            let servers = client.servers().await.expect("servers");
            let (blue, green) = (find(&servers, "blue"), find(&servers, "green"));
            assert_eq!((blue.admin, green.admin), (want_blue, want_green), "after {server} -> {to:?}: {servers:?}");
            for s in [blue, green] {
                assert_eq!(s.takes_traffic(), s.admin == AdminState::Ready, "{s:?}");
            }
        }

        client.set_weight("be_app", "blue", 42).await.expect("set weight");
        client.set_weight("be_app", "green", 0).await.expect("set weight 0");
        let servers = client.servers().await.expect("servers");
        assert_eq!(find(&servers, "blue").weight, 42, "{servers:?}");
        assert_eq!(find(&servers, "green").weight, 0, "{servers:?}");
        client.set_weight("be_app", "green", 256).await.expect("set the maximum weight");
        assert_eq!(find(&client.servers().await.expect("servers"), "green").weight, 256);
        let over = client.set_weight("be_app", "blue", 257).await;
        assert!(matches!(over, Err(BackendError::Other { .. })), "{over:?}");

        // Refusals: unknown backend, unknown server, unknown command.
        let unknown = client.set_state("be_nope", "blue", AdminState::Drain).await;
        assert!(
            matches!(&unknown, Err(BackendError::Protocol { reason, .. }) if reason.contains("No such backend")),
            "{unknown:?}"
        );
        let unknown = client.set_weight("be_app", "purple", 10).await;
        assert!(
            matches!(&unknown, Err(BackendError::Protocol { reason, .. }) if reason.contains("No such server")),
            "{unknown:?}"
        );
        let unknown = client.command("show no-such-thing").await;
        assert!(matches!(unknown, Err(BackendError::Protocol { .. })), "{unknown:?}");
        let bad_name = client.set_state("be_app", "blue; shutdown", AdminState::Drain).await;
        assert!(matches!(bad_name, Err(BackendError::Other { .. })), "{bad_name:?}");
        // Nothing of the above changed a server.
        let servers = client.servers().await.expect("servers");
        let admins: Vec<AdminState> = ["blue", "green", "red"].iter().map(|n| find(&servers, n).admin).collect();
        assert_eq!(admins, [AdminState::Ready; 3]);

        // A socket that is not there: a connect error at once, not a timeout.
        let missing = dir.path().join("no-such-dir/haproxy.sock");
        let nowhere =
            HaproxyClient::new(&format!("unix://{}", missing.display()), Duration::from_secs(5)).expect("client");
        let started = Instant::now();
        let result = nowhere.servers().await;
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        let reason = match &result {
            Err(BackendError::Connect { system: "haproxy", reason }) => reason.clone(),
            other => panic!("want a haproxy connect error, got {other:?}"),
        };
        assert!(reason.contains("no such socket"), "{reason}");

        haproxy.stop().await.expect("stop haproxy");
        answer_500.abort();
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 3. Alertmanager
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn alertmanager_alerts_and_silences() {
    if !support::stack_available() {
        return;
    }
    bounded("alertmanager", COMPONENT_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-am-").tempdir().expect("tempdir");
        let am = Alertmanager::start(dir.path()).await.expect("start alertmanager");
        let client = AlertmanagerClient::new(&am.url(), CALL).expect("alertmanager client");
        let name = format!("OpsdeckTest{}", unique_hex(8));

        assert!(client.alerts().await.expect("alerts").is_empty());
        let fired = Utc::now();
        let alert = NewAlert {
            labels: BTreeMap::from([
                ("alertname".to_string(), name.clone()),
                ("service".to_string(), "api".to_string()),
                ("severity".to_string(), "critical".to_string()),
            ]),
            annotations: BTreeMap::from([
                ("summary".to_string(), "api 5xx over 2%".to_string()),
                ("runbook".to_string(), "api-5xx".to_string()),
            ]),
            // Alertmanager takes a missing startsAt to be endsAt when endsAt is given: say now.
            starts_at: Some(fired),
            ends_at: Some(fired + chrono::Duration::minutes(10)),
            generator_url: Some("http://127.0.0.1/graph".to_string()),
        };
        client.post_alerts(std::slice::from_ref(&alert)).await.expect("post alert");

        let alert_state = |want: &'static str| {
            let client = &client;
            let name = name.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let alerts = client.alerts().await.expect("alerts");
                    let found = alerts.into_iter().find(|a| a.name == name);
                    if found.as_ref().is_some_and(|a| a.state == want) || Instant::now() >= deadline {
                        return found.unwrap_or_else(|| panic!("alert {name} never listed"));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        let got = alert_state("active").await;
        assert_eq!(got.state, "active", "{got:?}");
        assert_eq!(got.labels, alert.labels);
        assert_eq!(got.annotations, alert.annotations);
        assert!(!got.fingerprint.is_empty());
        let starts_at = got.starts_at.expect("starts_at");
        assert!((starts_at - fired).num_milliseconds().abs() < 1000, "starts_at {starts_at} vs fired {fired}");

        let silence = NewSilence {
            matchers: vec![Matcher { name: "alertname".into(), value: name.clone(), is_regex: false, is_equal: true }],
            starts_at: Utc::now(),
            ends_at: Utc::now() + chrono::Duration::hours(1),
            created_by: "backends_real".into(),
            comment: "integration test".into(),
        };
        let id = client.create_silence(&silence).await.expect("create silence");
        let got = alert_state("suppressed").await;
        assert_eq!(got.state, "suppressed", "{got:?}");

        let silences = client.silences().await.expect("silences");
        let listed = silences.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("silence {id} not in {silences:?}"));
        assert_eq!(listed.state, "active");
        assert_eq!(listed.matchers, silence.matchers);
        assert_eq!(listed.created_by, "backends_real");
        assert_eq!(listed.comment, "integration test");
        assert!((listed.ends_at - silence.ends_at).num_seconds().abs() <= 1, "{listed:?}");

        // Refusals come back as statuses with Alertmanager's own words.
        let backwards = NewSilence { ends_at: silence.starts_at - chrono::Duration::hours(1), ..silence.clone() };
        let refused = client.create_silence(&backwards).await;
        let reason = match &refused {
            Err(BackendError::Status { status: 400, reason, .. }) => reason.clone(),
            other => panic!("want a 400, got {other:?}"),
        };
        assert!(reason.contains("start time must be before end time"), "{reason}");
        let refused = client.create_silence(&NewSilence { matchers: Vec::new(), ..silence.clone() }).await;
        assert!(
            matches!(&refused, Err(BackendError::Status { status: 422, reason, .. }) if reason.contains("matchers")),
            "{refused:?}"
        );
        let unknown = client.expire_silence("00000000-0000-0000-0000-000000000000").await;
        assert!(
            matches!(&unknown, Err(BackendError::Status { reason, .. }) if reason.contains("silence not found")),
            "{unknown:?}"
        );
        assert_eq!(client.silences().await.expect("silences").len(), 1, "refusals created nothing");

        client.expire_silence(&id).await.expect("expire silence");
        let deadline = Instant::now() + Duration::from_secs(5);
        let state = loop {
            let silences = client.silences().await.expect("silences");
            let state = silences.iter().find(|s| s.id == id).map(|s| s.state.clone()).unwrap_or_default();
            if state == "expired" || Instant::now() >= deadline {
                break state;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(state, "expired");
        let got = alert_state("active").await;
        assert_eq!(got.state, "active", "unsilenced again: {got:?}");
        assert!(client.expire_silence("not a uuid/..").await.is_err(), "checked before it reaches a URL");

        am.stop().await.expect("stop alertmanager");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 4. Docker
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn docker_slot_lifecycle_events_inventory_and_health() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("docker", TEST_LIMIT, async {
        let docker = docker().await;
        inventory::ping(&docker, CALL).await.expect("ping");
        let run = leftovers.run.clone();
        let image = format!("opsdeck-backends-test/svc:{run}");
        build_demo_image(
            &docker,
            std::slice::from_ref(&image),
            &[("DEMO_VERSION", "v3.1.4"), ("DEMO_SERVICE", "svc")],
            &run,
        )
        .await;
        let local = lifecycle::local_image(&docker, &image, CALL).await.expect("inspect").expect("built");
        assert_eq!(local.labels.get(TEST_LABEL), Some(&run));

        let port = free_port().expect("port");
        let name = format!("svc-test-blue-{run}");
        let slot_labels = BTreeMap::from([
            (labels::SERVICE.to_string(), "svc".to_string()),
            (labels::ENV.to_string(), "test".to_string()),
            (labels::SLOT.to_string(), "blue".to_string()),
            (labels::IMAGE.to_string(), image.clone()),
            (TEST_LABEL.to_string(), run.clone()),
        ]);
        let spec = SlotSpec {
            name: name.clone(),
            image: image.clone(),
            labels: slot_labels.clone(),
            env: BTreeMap::from([("DEMO_IMAGE_TAG".to_string(), "abc1234".to_string())]),
            container_port: 8080,
            host_port: port,
            host_ip: "127.0.0.1".into(),
        };

        let mut events = EventTap::subscribe(&docker).await;
        let id = lifecycle::create_container(&docker, &spec, CALL).await.expect("create");
        events.expect(&id, &["create"], Duration::from_secs(10)).await;
        let created = inventory::slot(&docker, &id, CALL).await.expect("slot").expect("created");
        assert_eq!(created.state, "created");
        assert!(!created.is_running());

        lifecycle::start_container(&docker, &id, CALL).await.expect("start");
        events.expect(&id, &["start"], Duration::from_secs(10)).await;

        let slots = inventory::list_slots(&docker, CALL).await.expect("list slots");
        let mine: Vec<_> = slots.iter().filter(|s| s.label(TEST_LABEL) == Some(run.as_str())).collect();
        assert_eq!(mine.len(), 1, "{slots:?}");
        let slot = mine[0];
        assert_eq!(slot.id, id);
        assert_eq!(slot.name, name);
        assert_eq!(slot.image, image);
        assert_eq!(slot.state, "running");
        assert!(slot.is_running());
        assert_eq!(slot.ports, BTreeMap::from([(8080, port)]));
        assert_eq!(slot.label(labels::SERVICE), Some("svc"));
        assert_eq!(slot.label(labels::SLOT), Some("blue"));
        for (k, v) in &slot_labels {
            assert_eq!(slot.labels.get(k), Some(v), "label {k}");
        }
        assert!(slot.created.is_some_and(|t| (Utc::now() - t).num_seconds().abs() < 60), "{slot:?}");
        let by_label = lifecycle::list_containers_by_label(
            &docker,
            &[(TEST_LABEL, Some(run.as_str())), (labels::SERVICE, None)],
            CALL,
        )
        .await
        .expect("list by label");
        assert_eq!(by_label.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
        assert_eq!(by_label[0].ports, slot.ports);

        let url = format!("http://127.0.0.1:{port}/health");
        let report = probe_until_answered(&url, Duration::from_secs(15)).await;
        assert_eq!(report.verdict, HealthVerdict::Healthy, "{report:?}");
        assert_eq!(report.http_status, Some(200));
        assert_eq!(report.reason, "");
        assert_eq!(report.status_field.as_deref(), Some("healthy"));
        assert_eq!(report.services.get("database").map(String::as_str), Some("connected"));
        assert!(report.uptime_secs.is_some(), "{report:?}");

        // The image's HEALTHCHECK (the binary's probe mode) turns Docker's verdict healthy.
        let healthy = slot_until(&docker, &id, Duration::from_secs(15), |s| s.health == DockerHealth::Healthy).await;
        assert_eq!(healthy.health, DockerHealth::Healthy, "{healthy:?}");
        assert!(healthy.status.contains("(healthy)"), "{healthy:?}");

        lifecycle::stop_container(&docker, &id, Duration::from_secs(5), Duration::from_secs(20)).await.expect("stop");
        events.expect(&id, &["die", "stop"], Duration::from_secs(10)).await;
        let stopped = inventory::slot(&docker, &id, CALL).await.expect("slot").expect("still there");
        assert_eq!(stopped.state, "exited", "{stopped:?}");
        assert!(!stopped.is_running());
        assert_eq!(stopped.health, DockerHealth::None, "{stopped:?}");
        // Stopping again, or starting and stopping by name, is not an error.
        lifecycle::stop_container(&docker, &name, Duration::from_secs(5), Duration::from_secs(20))
            .await
            .expect("stop a stopped container");

        lifecycle::remove_container(&docker, &id, CALL).await.expect("remove");
        events.expect(&id, &["destroy"], Duration::from_secs(10)).await;
        assert_eq!(inventory::slot(&docker, &id, CALL).await.expect("slot"), None);
        lifecycle::remove_container(&docker, &id, CALL).await.expect("removing a removed container");
        drop(events);

        lifecycle::remove_image(&docker, &image, CALL).await.expect("remove image");
        assert_eq!(lifecycle::local_image(&docker, &image, CALL).await.expect("inspect"), None);
    })
    .await;
    drop(leftovers);
}

#[tokio::test]
async fn docker_connect_fails_fast_on_refused_and_times_out_on_silence() {
    if !support::stack_available() {
        return;
    }
    bounded("docker connect", Duration::from_secs(30), async {
        // Nothing listens: refused at once.
        let refused = free_port().expect("port");
        let endpoint =
            DockerEndpoint { url: format!("tcp://127.0.0.1:{refused}"), tls: None, timeout: Duration::from_secs(5) };
        let started = Instant::now();
        let result = backend_docker::connect(&endpoint).await;
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert!(
            matches!(&result, Err(BackendError::Connect { system: "docker", reason }) if reason.contains("refused")),
            "{:?}",
            result.as_ref().err()
        );

        // Accepts and never answers: the endpoint's timeout, as a Timeout.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hole = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let timeout = Duration::from_secs(2);
        let endpoint = DockerEndpoint { url: format!("tcp://{addr}"), tls: None, timeout };
        let started = Instant::now();
        let result = backend_docker::connect(&endpoint).await;
        let took = started.elapsed();
        hole.abort();
        assert!(
            took >= timeout - Duration::from_millis(100) && took < timeout + Duration::from_secs(1),
            "took {took:?}"
        );
        assert!(
            matches!(&result, Err(BackendError::Timeout { system: "docker", after }) if *after == timeout),
            "{:?}",
            result.as_ref().err()
        );

        // An engine URL opsdeck does not know.
        let endpoint = DockerEndpoint { url: "http://127.0.0.1:1".into(), tls: None, timeout };
        let result = backend_docker::connect(&endpoint).await;
        assert!(matches!(result, Err(BackendError::Connect { .. })), "{:?}", result.as_ref().err());
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 5. /health of a real unhealthy service
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn health_probe_of_a_service_started_unhealthy() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("health", TEST_LIMIT, async {
        let docker = docker().await;
        let run = leftovers.run.clone();
        let image = format!("opsdeck-backends-test/sick:{run}");
        build_demo_image(
            &docker,
            std::slice::from_ref(&image),
            &[("DEMO_VERSION", "v0.0.1"), ("DEMO_SERVICE", "sick")],
            &run,
        )
        .await;
        let port = free_port().expect("port");
        let spec = SlotSpec {
            name: format!("sick-test-green-{run}"),
            image: image.clone(),
            labels: BTreeMap::from([
                (labels::SERVICE.to_string(), "sick".to_string()),
                (labels::ENV.to_string(), "test".to_string()),
                (labels::SLOT.to_string(), "green".to_string()),
                (TEST_LABEL.to_string(), run.clone()),
            ]),
            env: BTreeMap::from([("DEMO_START_UNHEALTHY".to_string(), "1".to_string())]),
            container_port: 8080,
            host_port: port,
            host_ip: "127.0.0.1".into(),
        };
        let id = lifecycle::create_container(&docker, &spec, CALL).await.expect("create");
        lifecycle::start_container(&docker, &id, CALL).await.expect("start");

        let report = probe_until_answered(&format!("http://127.0.0.1:{port}/health"), Duration::from_secs(15)).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy, "{report:?}");
        assert_eq!(report.http_status, Some(503), "{report:?}");
        assert!(report.reason.contains("HTTP 503"), "{report:?}");
        assert_eq!(report.status_field.as_deref(), Some("unhealthy"), "{report:?}");
        assert_eq!(report.services.get("database").map(String::as_str), Some("disconnected"), "{report:?}");

        // Docker agrees after its retries (3 failures, 2 s apart).
        let slot = slot_until(&docker, &id, Duration::from_secs(20), |s| s.health == DockerHealth::Unhealthy).await;
        assert_eq!(slot.health, DockerHealth::Unhealthy, "{slot:?}");
        assert!(slot.is_running(), "unhealthy, not dead: {slot:?}");

        // Nothing on the port once it is gone.
        lifecycle::remove_container(&docker, &id, CALL).await.expect("remove");
        let report = HealthProber::new(Duration::from_secs(2))
            .expect("prober")
            .probe(&format!("http://127.0.0.1:{port}/health"))
            .await;
        assert_eq!(report.verdict, HealthVerdict::Unreachable, "{report:?}");
        lifecycle::remove_image(&docker, &image, CALL).await.expect("remove image");
    })
    .await;
    drop(leftovers);
}
