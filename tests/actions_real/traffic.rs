//! Traffic through the load balancer: one GET, the version it answers with, and a load of many
//! clients tallied.

use opsdeck_core::config::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// One request of the load or of a check.
const REQUEST: Duration = Duration::from_secs(5);

/// The service's address through the load balancer in `env`.
pub fn lb_addr(config: &Config, service: &str, env: &str) -> SocketAddr {
    let url = &config.service(service).expect("service").environments[env].url;
    url.trim_start_matches("http://").trim_end_matches('/').parse().expect("lb url is ip:port")
}

/// One HTTP/1.1 GET with `Connection: close` on a fresh connection: (status, body).
pub async fn http_get(addr: SocketAddr, path: &str, limit: Duration) -> Result<(u16, String), String> {
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
pub async fn lb_version(addr: SocketAddr, n: usize) -> String {
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
pub struct Tally {
    ok: u64,
    /// Every non-200 and every connection error, with its text.
    pub failures: Vec<String>,
    pub versions: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.ok += other.ok;
        self.failures.extend(other.failures);
        for (v, n) in other.versions {
            *self.versions.entry(v).or_insert(0) += n;
        }
    }

    pub fn total(&self) -> u64 {
        self.ok + self.failures.len() as u64
    }
}

/// `tasks` clients, each sending `GET /` then pausing, until stopped or `limit` passes.
pub struct Load {
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<Tally>>,
}

impl Load {
    pub fn start(addr: SocketAddr, tasks: usize, pause: Duration, limit: Duration) -> Load {
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

    pub async fn finish(self) -> Tally {
        self.stop.cancel();
        let mut tally = Tally::default();
        for task in self.tasks {
            tally.add(task.await.expect("load task"));
        }
        tally
    }
}
