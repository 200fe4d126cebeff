//! `opsdeck demo up` and `down` on the real stack: Docker, docker-registry, HAProxy and
//! Alertmanager. Without them the test prints why and passes, except under `CI=true`, where a
//! missing component is a failure (CI must run it, not skip it).

use opsdeck::demo::{self, DemoInfo, DemoOptions, DEMO_LABEL};
use opsdeck::stack;
use opsdeck_backends::docker::{connect, lifecycle, DockerEndpoint};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A cold run builds the demo service and ten images; warm runs take seconds.
const UP_LIMIT: Duration = Duration::from_secs(600);
const DOWN_LIMIT: Duration = Duration::from_secs(60);
const CALL: Duration = Duration::from_secs(10);

/// Whether the test can run here; panics under CI when it cannot.
async fn stack_available() -> bool {
    let problem = match stack::check_installed() {
        Err(e) => Some(e.to_string()),
        Ok(()) => stack::ensure_docker().await.err().map(|e| e.to_string()),
    };
    let Some(problem) = problem else { return true };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and the demo stack cannot run:\n{problem}");
    }
    eprintln!("skipping the demo stack test:\n{problem}");
    false
}

/// Takes the demo down even when an assertion fails halfway (`None` once down already ran).
struct DownOnDrop(Option<PathBuf>);

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        let Some(dir) = self.0.take() else { return };
        // Drop cannot await; a thread with its own runtime can.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Runtime::new() {
                let _ = rt.block_on(async { tokio::time::timeout(DOWN_LIMIT, demo::down(&dir)).await });
            }
        })
        .join();
    }
}

async fn docker() -> opsdeck_backends::docker::Client {
    let endpoint = DockerEndpoint { url: format!("unix://{}", stack::DOCKER_SOCKET), tls: None, timeout: CALL };
    connect(&endpoint).await.expect("docker")
}

fn http() -> reqwest::Client {
    stack::loopback_client(CALL).expect("client")
}

async fn get_json(url: &str) -> serde_json::Value {
    let response = http().get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    response.json().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

async fn demo_containers(
    docker: &opsdeck_backends::docker::Client,
    dir: &Path,
) -> Vec<opsdeck_backends::types::ContainerInfo> {
    let dir = dir.display().to_string();
    lifecycle::list_containers_by_label(docker, &[(DEMO_LABEL, Some(&dir))], CALL).await.expect("list")
}

/// The two tests of this file run one at a time: both start HAProxy processes and bind ports.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_up_then_down() {
    let _serial = SERIAL.lock().await;
    if !stack_available().await {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions { dir: tmp.path().join("demo"), approvers: vec!["alice".into()], ..DemoOptions::default() };
    let mut guard = DownOnDrop(Some(opts.dir.clone()));
    let info = tokio::time::timeout(UP_LIMIT, demo::up(&opts)).await.expect("demo up in time").expect("demo up");
    let docker = docker().await;

    check_containers(&docker, &info).await;
    check_registry(&info).await;
    check_haproxy(&info).await;
    check_alertmanager(&info).await;
    check_config(&info);
    check_status_json(&info).await;

    // Through the load balancer, prod answers with the release behind staging's.
    let prod = info.frontend("api", "prod").expect("api/prod frontend");
    let answer = get_json(&format!("{}/", prod.url)).await;
    assert_eq!(answer["version"], "v1.2.0", "{answer}");
    assert_eq!(answer["service"], "api", "{answer}");
    let staging = info.frontend("web", "staging").expect("web/staging frontend");
    assert_eq!(get_json(&format!("{}/", staging.url)).await["version"], "v1.3.0");

    guard.0 = None;
    tokio::time::timeout(DOWN_LIMIT, demo::down(&info.dir)).await.expect("down in time").expect("down");
    assert!(demo_containers(&docker, &info.dir).await.is_empty(), "containers left after down");
    for pid in info.pids() {
        assert!(!stack::is_alive(pid), "pid {pid} still alive after down");
    }
    assert_eq!(DemoInfo::read(&info.dir).expect("read"), None, "demo.json left after down");
}

async fn check_containers(docker: &opsdeck_backends::docker::Client, info: &DemoInfo) {
    let containers = demo_containers(docker, &info.dir).await;
    assert_eq!(containers.len(), 12, "{:?}", containers.iter().map(|c| &c.name).collect::<Vec<_>>());
    for c in &containers {
        let (service, env, slot) = (c.label("opsdeck.service"), c.label("opsdeck.env"), c.label("opsdeck.slot"));
        let (Some(service), Some(env), Some(slot)) = (service, env, slot) else {
            panic!("{} lacks slot labels: {:?}", c.name, c.labels)
        };
        assert_eq!(c.name, format!("{service}-{env}-{slot}"));
        let image = c.label("opsdeck.image").expect("image label");
        assert!(image.starts_with(&info.registry.as_ref().expect("registry").address[7..]), "{image}");
        assert!(c.label("opsdeck.digest").expect("digest label").starts_with("sha256:"), "{:?}", c.labels);
        let record = info.slots.iter().find(|s| s.name == c.name).expect("recorded slot");
        assert_eq!(c.is_running(), record.live, "{} running={} live={}", c.name, c.is_running(), record.live);
        assert!(image.ends_with(&format!(":{}", record.version)), "{image} vs {}", record.version);
    }
    let prod_live = info.slots.iter().find(|s| s.service == "api" && s.env == "prod" && s.live).expect("live");
    assert_eq!(prod_live.version, "v1.2.0");
    let prod_idle = info.slots.iter().find(|s| s.service == "api" && s.env == "prod" && !s.live).expect("idle");
    assert_eq!(prod_idle.version, "v1.1.0");
}

async fn check_registry(info: &DemoInfo) {
    let url = &info.registry.as_ref().expect("registry").address;
    for repo in ["api", "web"] {
        let tags = get_json(&format!("{url}/v2/{repo}/tags/list")).await;
        let tags: Vec<&str> = tags["tags"].as_array().expect("tags").iter().filter_map(|t| t.as_str()).collect();
        assert!(tags.len() >= 4, "{repo}: {tags:?}");
        for wanted in ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "latest", "v1.4.0-rc.1"] {
            assert!(tags.contains(&wanted), "{repo} lacks {wanted}: {tags:?}");
        }
    }
}

async fn check_haproxy(info: &DemoInfo) {
    let stat = stack::runtime_client(&info.haproxy_socket(), CALL)
        .expect("client")
        .command("show stat")
        .await
        .expect("show stat");
    let backends: Vec<&str> = stat.lines().filter_map(|l| l.split_once(",BACKEND,").map(|(name, _)| name)).collect();
    for service in ["api", "web"] {
        for env in ["dev", "staging", "prod"] {
            assert!(backends.contains(&format!("{service}_{env}").as_str()), "{backends:?}");
        }
    }
    assert_eq!(backends.len(), 6, "{backends:?}");
    // The idle server takes no traffic.
    let idle = info.slots.iter().find(|s| s.service == "api" && s.env == "prod" && !s.live).expect("idle");
    let line =
        stat.lines().find(|l| l.starts_with(&format!("api_prod,{},", idle.slot))).expect("idle server in show stat");
    assert!(line.contains(",MAINT,"), "{line}");
}

async fn check_alertmanager(info: &DemoInfo) {
    let url = &info.alertmanager.as_ref().expect("alertmanager").address;
    let alerts = get_json(&format!("{url}/api/v2/alerts")).await;
    let firing = alerts.as_array().expect("alerts").iter().find(|a| a["labels"]["alertname"] == "HighErrorRate");
    let alert = firing.unwrap_or_else(|| panic!("no HighErrorRate in {alerts}"));
    assert_eq!(alert["labels"]["service"], "api");
    assert_eq!(alert["labels"]["env"], "prod");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert!(alert["annotations"]["summary"].is_string());
}

fn check_config(info: &DemoInfo) {
    let config = opsdeck_core::config::load(&info.config_path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.registry.url, info.registry.as_ref().expect("registry").address);
    let envs: Vec<&str> = config.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["dev", "staging", "prod"]);
    assert_eq!(config.environment("prod").expect("prod").approvers, ["alice"]);
    let api = config.service("api").expect("api");
    assert_eq!(api.environments["prod"].url, info.frontend("api", "prod").expect("frontend").url);
    assert_eq!(api.environments["prod"].backend, "api_prod");
}

/// `gather` on the demo stack gives the `status --json` that opsdeck gave before the core was
/// split off the console: `golden/status-demo.json` was recorded then, from the binary of commit
/// 0f0be9a on a demo like this one, with times, ports and digests written as what they stand for.
/// Since then fields were only added, never renamed: `hosts` under each service (issue 13); and
/// the demo registry gained a release candidate, `v1.4.0-rc.1` (issue 14), first in `images`.
async fn check_status_json(info: &DemoInfo) {
    let config = std::sync::Arc::new(opsdeck_core::config::load(&info.config_path).expect("config"));
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("golden/status-demo.json")).expect("golden status");
    let head = demo::binary::head_sha().await;
    let mut seen = serde_json::Value::Null;
    for _ in 0..20 {
        let world = opsdeck_core::watch::gather(config.clone(), "alice".into()).await;
        let json = serde_json::to_value(opsdeck::status::to_json(&world)).expect("status json");
        seen = normalized(json, None, &head, &mut Vec::new());
        if seen == golden {
            return;
        }
        // A slot whose first HEALTHCHECK has not run yet: let it run.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let seen = serde_json::to_string_pretty(&seen).expect("pretty");
    panic!("status --json differs from the one recorded before the split:\n{seen}");
}

/// `value` with times as `TIME`, loopback ports as `PORT`, the commit tag as `COMMIT` and each
/// digest as `DIGEST-n` (numbered in the order met, keys in sorted order), so two demos compare
/// equal.
fn normalized(
    value: serde_json::Value,
    key: Option<&str>,
    head: &Option<String>,
    digests: &mut Vec<String>,
) -> serde_json::Value {
    use serde_json::Value;
    const TIMES: [&str; 7] = ["generated_at", "since", "created", "started_at", "finished_at", "heartbeat", "at"];
    match value {
        Value::Object(map) => {
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort();
            let mut map = map;
            let mut out = serde_json::Map::new();
            for k in keys {
                let v = map.remove(&k).unwrap_or(Value::Null);
                out.insert(k.clone(), normalized(v, Some(&k), head, digests));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| normalized(v, None, head, digests)).collect()),
        Value::String(_) if key.is_some_and(|k| TIMES.contains(&k)) => Value::String("TIME".into()),
        // The demo tags its newest image with the commit it was built from, too.
        Value::String(s) if Some(&s) == head.as_ref() => Value::String("COMMIT".into()),
        Value::String(s) => Value::String(normalized_text(&s, digests)),
        other => other,
    }
}

fn normalized_text(text: &str, digests: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let port = rest.find("127.0.0.1:").map(|i| (i, "127.0.0.1:".len()));
        let digest = rest.find("sha256:").map(|i| (i, "sha256:".len()));
        let next = match (port, digest) {
            (Some(p), Some(d)) => Some(if p.0 < d.0 { (p, true) } else { (d, false) }),
            (Some(p), None) => Some((p, true)),
            (None, Some(d)) => Some((d, false)),
            (None, None) => None,
        };
        let Some(((at, len), is_port)) = next else { break };
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        if is_port {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 {
                out.push_str("PORT");
            }
            rest = &rest[digits..];
        } else {
            let hex = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_hexdigit()).len();
            if hex == 64 {
                let digest = format!("sha256:{}", &rest[..64]);
                let n = digests.iter().position(|d| *d == digest).unwrap_or_else(|| {
                    digests.push(digest);
                    digests.len() - 1
                });
                out.truncate(out.len() - "sha256:".len());
                out.push_str(&format!("sha256:DIGEST-{}", n + 1));
                rest = &rest[64..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A reload (new config, SIGUSR2) keeps what the runtime API changed, through the state file.
#[tokio::test]
async fn haproxy_reload_keeps_server_state() {
    let _serial = SERIAL.lock().await;
    if !stack_available().await {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = stack::free_port().expect("port");
    let config = |extra: &str| {
        format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    \
             load-server-state-from-file global\n\
             frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
             backend be\n    server blue 127.0.0.1:9\n    server green 127.0.0.1:9 disabled\n{extra}"
        )
    };
    let haproxy = stack::Haproxy::start(tmp.path(), &config("")).await.expect("haproxy");
    assert!(stack::is_alive(haproxy.pid()));
    let state = |answer: &str, server: &str| {
        answer
            .lines()
            .find(|l| l.starts_with(&format!("be,{server},")))
            .and_then(|l| l.split(',').nth(17))
            .unwrap_or_default()
            .to_string()
    };
    haproxy.command("set server be/blue state maint").await.expect("maint");
    haproxy.command("set server be/green state ready").await.expect("ready");
    haproxy.reload(&config("    # reloaded\n")).await.expect("reload");
    let stat = haproxy.command("show stat").await.expect("show stat");
    assert_eq!(state(&stat, "blue"), "MAINT", "{stat}");
    assert_ne!(state(&stat, "green"), "MAINT", "{stat}");
    let pid = haproxy.pid();
    haproxy.stop().await.expect("stop");
    assert!(!stack::is_alive(pid));
    assert!(
        !tmp.path().join("haproxy.sock").exists()
            || tokio::net::UnixStream::connect(tmp.path().join("haproxy.sock")).await.is_err()
    );
}
