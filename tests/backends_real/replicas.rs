//! A replicated slot's servers following its replicas on a real HAProxy 2.6: a
//! `server-template blue 1-4 127.0.0.1:1 check disabled` backend, small local HTTP servers as the
//! replicas, and a fake platform saying which run. No Docker.

use crate::common::{bounded, COMPONENT_LIMIT};
use crate::support;
use futures::stream::BoxStream;
use opsdeck::stack::{self, free_port, Haproxy};
use opsdeck_backends::haproxy::HaproxyClient;
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::platform::{Endpoint, LogSession, OpsResult, Platform, SlotNews, SlotSpec, TrafficSwitch};
use opsdeck_backends::types::{AdminState, ContainerDetail, ContainerInfo, ServerStat};
use opsdeck_backends::{BackendError, BackendResult};
use opsdeck_core::outside::{Outside, Parts};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One replica: answers `/health` (healthy or 503 as told) and counts the other requests.
struct Replica {
    port: u16,
    healthy: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Replica {
    async fn start(name: &'static str, healthy: bool) -> Replica {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (healthy, served) = (Arc::new(AtomicBool::new(healthy)), Arc::new(AtomicU64::new(0)));
        let (h, s) = (healthy.clone(), served.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (h, s) = (h.clone(), s.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let (status, body) = if request.starts_with(b"GET /health ") {
                        if h.load(Ordering::SeqCst) {
                            ("200 OK", r#"{"status":"healthy"}"#.to_string())
                        } else {
                            ("503 Service Unavailable", r#"{"status":"starting"}"#.to_string())
                        }
                    } else {
                        s.fetch_add(1, Ordering::SeqCst);
                        ("200 OK", name.to_string())
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Replica { port, healthy, served, task }
    }

    fn endpoint(&self, name: &str) -> Endpoint {
        Endpoint { address: "127.0.0.1".into(), port: self.port, name: name.into() }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

/// A platform that only says where a slot's replicas run (what the test tells it).
#[derive(Debug, Default)]
struct Replicas(Mutex<HashMap<String, Vec<Endpoint>>>);

impl Replicas {
    fn run(&self, slot: &str, endpoints: Vec<Endpoint>) {
        self.0.lock().expect("replicas").insert(slot.to_string(), endpoints);
    }
}

fn not_here<T>() -> BackendResult<T> {
    Err(BackendError::Other { system: "test", reason: "not in this test".into() })
}

#[async_trait::async_trait]
impl Platform for Replicas {
    fn probe_address(&self, _host: &str) -> OpsResult<String> {
        Ok("127.0.0.1".into())
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
    async fn is_running(&self, _host: &str, _slot: &str) -> OpsResult<bool> {
        Ok(true)
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
    async fn inspect(&self, _host: &str, _slot: &str) -> BackendResult<ContainerDetail> {
        not_here()
    }
    async fn log_session(&self, _host: &str) -> BackendResult<Box<dyn LogSession>> {
        not_here()
    }
    async fn slot_endpoints(&self, _host: &str, slot: &str) -> OpsResult<Option<Vec<Endpoint>>> {
        Ok(Some(self.0.lock().expect("replicas").get(slot).cloned().unwrap_or_default()))
    }
}

fn find(servers: &[ServerStat], backend: &str, name: &str) -> ServerStat {
    servers
        .iter()
        .find(|s| s.backend == backend && s.server == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {backend}/{name} in {servers:?}"))
}

async fn status(client: &HaproxyClient, name: &str) -> ServerStat {
    find(&client.servers().await.expect("servers"), "be_api", name)
}

/// Sends `n` requests through the frontend; returns how many were answered 200.
async fn send(http: &reqwest::Client, front: u16, n: usize) -> usize {
    let mut ok = 0;
    for _ in 0..n {
        let answer = http.get(format!("http://127.0.0.1:{front}/")).send().await.expect("request via haproxy");
        ok += usize::from(answer.status().as_u16() == 200);
    }
    ok
}

/// Waits (up to 5 s) until `name`'s status is `want`.
async fn until_status(client: &HaproxyClient, name: &str, want: &str) -> Duration {
    let started = Instant::now();
    loop {
        let s = status(client, name).await;
        if s.status == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{name} never {want}: {s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test]
async fn servers_follow_replicas_on_real_haproxy() {
    // HAProxy alone: no Docker here.
    if !std::path::Path::new("/usr/sbin/haproxy").exists() {
        assert!(!support::in_ci(), "/usr/sbin/haproxy missing (package haproxy)");
        eprintln!("SKIP: /usr/sbin/haproxy missing (package haproxy); run ./scripts/test.sh");
        return;
    }
    bounded("haproxy replicas", COMPONENT_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-replicas-").tempdir().expect("tempdir");
        let front = free_port().expect("port");
        let config = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
             frontend fe_api\n    bind 127.0.0.1:{front}\n    default_backend be_api\n\n\
             backend be_api\n    balance roundrobin\n    option httpchk GET /health\n    \
             default-server inter 200ms rise 2 fall 2\n    \
             server-template blue 1-4 127.0.0.1:1 check disabled\n    \
             server-template green 1-4 127.0.0.1:1 check disabled\n\n\
             backend be_big\n    balance roundrobin\n    option httpchk GET /health\n    \
             server-template blue 1-8 127.0.0.1:1 check disabled\n"
        );
        let haproxy = Haproxy::start(dir.path(), &config).await.expect("start haproxy");
        let socket = format!("unix://{}", haproxy.socket().display());
        let client = HaproxyClient::new(&socket, Duration::from_secs(3)).expect("haproxy client");
        let opsdeck_config = format!(
            "state_path = \"s.db\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n\
             [[environments]]\nname = \"prod\"\nplatform = \"swarm\"\nhaproxy = \"{socket}\"\n\
             hosts = [{{ name = \"manager-1\", url = \"unix:///nonexistent/docker.sock\" }}]\n\
             [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
             [services.environments.prod]\nbackend = \"be_api\"\nurl = \"http://127.0.0.1:{front}\"\nreplicas = 2\n\
             [[services]]\nname = \"big\"\ncontainer_port = 8080\n\
             [services.environments.prod]\nbackend = \"be_big\"\nurl = \"http://127.0.0.1:1\"\nreplicas = 8\n"
        );
        let config = Arc::new(opsdeck_core::config::parse_str(&opsdeck_config).expect("config"));
        let platform = Arc::new(Replicas::default());
        let parts = Parts {
            platforms: [("prod".to_string(), platform.clone() as Arc<dyn Platform>)].into(),
            switches: [("prod".to_string(), Arc::new(client.clone()) as Arc<dyn TrafficSwitch>)].into(),
            probe: Arc::new(HealthProber::new(Duration::from_secs(2)).expect("prober")),
            alerts: Err("none".into()),
            images: Err("none".into()),
        };
        let ops = Outside::from_parts(config, parts);
        let http = stack::loopback_client(Duration::from_secs(5)).expect("http client");
        let (a, b, c, d) = (
            Replica::start("a", true).await,
            Replica::start("b", true).await,
            Replica::start("c", false).await,
            Replica::start("d", true).await,
        );

        // What HAProxy 2.6 does with a freshly addressed server readied plainly: `UP 1/2` at once,
        // taking traffic before any check (c's `/health` fails all along).
        client.set_address("be_api", "green4", "127.0.0.1", c.port).await.expect("addr");
        client.set_state("be_api", "green4", AdminState::Ready).await.expect("ready");
        let plain = status(&client, "green4").await;
        eprintln!("plain maint -> ready of a new address: {:?} (op says {:?})", plain.status, plain.admin);
        assert!(plain.status.starts_with("UP"), "{plain:?}");
        assert_eq!(send(&http, front, 4).await, 4);
        assert!(c.served() > 0, "the unchecked replica took traffic: the reason for ready_when_checked");
        client.set_state("be_api", "green4", AdminState::Maint).await.expect("maint");
        c.served.store(0, Ordering::SeqCst);

        // Two replicas; readying the slot points blue1 and blue2 at them, held DOWN until checked.
        platform.run("api-prod-blue", vec![a.endpoint("a"), b.endpoint("b")]);
        ops.set_slot("prod", "be_api", "blue", AdminState::Ready).await.expect("ready blue");
        let (blue1, blue2) = (status(&client, "blue1").await, status(&client, "blue2").await);
        eprintln!("right after set_slot(ready): blue1 {:?}, blue2 {:?}", blue1.status, blue2.status);
        assert!(blue1.status.starts_with("DOWN") && blue2.status.starts_with("DOWN"), "{blue1:?} {blue2:?}");
        assert_eq!((blue1.admin, blue1.address.clone()), (AdminState::Ready, format!("127.0.0.1:{}", a.port)));
        assert_eq!(blue2.address, format!("127.0.0.1:{}", b.port));
        // opsdeck's own probe marks them up at once (the switch step does this).
        ops.mark_up("prod", "be_api", &["blue1", "blue2"]).await.expect("mark up");
        assert_eq!(status(&client, "blue1").await.status, "UP");
        assert_eq!(send(&http, front, 10).await, 10);
        assert_eq!((a.served(), b.served()), (5, 5), "round robin over both replicas");
        assert!(ops.health(&spec()).await.healthy);

        // A third replica, not healthy yet: blue3 takes it, DOWN, and no request reaches it until
        // its check passes.
        platform.run("api-prod-blue", vec![a.endpoint("a"), b.endpoint("b"), c.endpoint("c")]);
        let synced = ops.follow_replicas("prod", "be_api", "blue").await.expect("sync");
        assert_eq!(synced.live, ["blue1", "blue2", "blue3"]);
        let blue3 = status(&client, "blue3").await;
        eprintln!("right after the sync took a new replica: blue3 {:?}", blue3.status);
        assert!(blue3.status.starts_with("DOWN"), "{blue3:?}");
        let health = ops.health(&spec()).await;
        assert!(!health.healthy && health.reason.starts_with("c (http://127.0.0.1:"), "{}", health.reason);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(send(&http, front, 12).await, 12);
        assert_eq!(c.served(), 0, "c is not checked healthy: {:?}", status(&client, "blue3").await);
        c.healthy.store(true, Ordering::SeqCst);
        let up = until_status(&client, "blue3", "UP").await;
        eprintln!("blue3 UP {:.0} ms after c turned healthy (inter 200ms, rise 2)", millis(up));
        send(&http, front, 12).await;
        assert!(c.served() > 0, "c takes traffic once checked");

        // b replaced by d: blue2 follows, keeping its state; c gone: blue3 is freed.
        platform.run("api-prod-blue", vec![a.endpoint("a"), d.endpoint("d")]);
        let synced = ops.follow_replicas("prod", "be_api", "blue").await.expect("sync");
        assert_eq!((synced.live.as_slice(), synced.held.len()), (&["blue1".to_string(), "blue2".into()][..], 0));
        let servers = client.servers().await.expect("servers");
        assert_eq!(find(&servers, "be_api", "blue2").address, format!("127.0.0.1:{}", d.port));
        assert_eq!(find(&servers, "be_api", "blue2").admin, AdminState::Ready);
        assert_eq!(find(&servers, "be_api", "blue3").admin, AdminState::Maint);
        until_status(&client, "blue2", "UP").await;
        let before = (a.served(), b.served(), d.served());
        assert_eq!(send(&http, front, 10).await, 10);
        assert_eq!((a.served() - before.0, b.served() - before.1, d.served() - before.2), (5, 0, 5));

        // Five replicas on four servers: the error says what to raise.
        let many: Vec<Endpoint> =
            (0..5).map(|i| Endpoint { address: "127.0.0.1".into(), port: 40_000 + i, name: format!("t{i}") }).collect();
        platform.run("api-prod-blue", many);
        let err = ops.follow_replicas("prod", "be_api", "blue").await.expect_err("too few servers");
        assert!(err.contains("server-template blue 1-4"), "{err}");

        // How long a sync takes on 8 servers: taking 7 new replicas (state from blue1), the
        // steady state (one look), and all 8 replaced.
        let ports = |base: u16| {
            (0..8)
                .map(|i| Endpoint { address: "127.0.0.1".into(), port: base + i, name: format!("t{i}") })
                .collect::<Vec<_>>()
        };
        let mut timings: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for round in 0..5u16 {
            ops.set_slot("prod", "be_big", "blue", AdminState::Maint).await.ok();
            let first = ports(41_000 + round * 100);
            platform.run("big-prod-blue", first[..1].to_vec());
            ops.set_slot("prod", "be_big", "blue", AdminState::Ready).await.expect("ready one");
            platform.run("big-prod-blue", first.clone());
            let started = Instant::now();
            let synced = ops.follow_replicas("prod", "be_big", "blue").await.expect("take 7");
            timings.entry("take 7 new").or_default().push(millis(started.elapsed()));
            assert_eq!(synced.live.len(), 8);
            let started = Instant::now();
            ops.follow_replicas("prod", "be_big", "blue").await.expect("steady");
            timings.entry("steady").or_default().push(millis(started.elapsed()));
            platform.run("big-prod-blue", ports(51_000 + round * 100));
            let started = Instant::now();
            let synced = ops.follow_replicas("prod", "be_big", "blue").await.expect("replace 8");
            timings.entry("replace 8").or_default().push(millis(started.elapsed()));
            assert_eq!(synced.live.len(), 8);
        }
        for (what, mut ms) in timings {
            ms.sort_by(f64::total_cmp);
            eprintln!("sync of 8 servers, {what}: median {:.1} ms, max {:.1} ms", ms[ms.len() / 2], ms[ms.len() - 1]);
        }

        haproxy.stop().await.expect("stop haproxy");
        for r in [a, b, c, d] {
            r.task.abort();
        }
    })
    .await;
}

fn spec() -> SlotSpec {
    SlotSpec {
        service: "api".into(),
        env: "prod".into(),
        slot: "blue".into(),
        host: "manager-1".into(),
        image: "127.0.0.1:5000/api:v1".into(),
        digest: "sha256:aa".into(),
        container_port: 8080,
        host_port: 0,
        env_vars: BTreeMap::new(),
    }
}
