//! Waiting, with a bound, until a freshly started component answers; if its process dies
//! first, the error carries the end of its log instead of a bare timeout.

use super::process::{log_tail, Managed};
use color_eyre::eyre::{eyre, Result};
use opsdeck_backends::haproxy::HaproxyClient;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a component may take to come up. Alertmanager is the slowest, at about a second.
pub const READY_LIMIT: Duration = Duration::from_secs(20);
const ATTEMPT: Duration = Duration::from_millis(500);
const PAUSE: Duration = Duration::from_millis(100);

/// A client for loopback only: proxies from the environment must not see demo traffic.
pub fn loopback_client(timeout: Duration) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().timeout(timeout).build()?)
}

/// Until GET `url` answers 200.
pub async fn wait_http(process: &mut Managed, name: &str, url: &str) -> Result<()> {
    let client = loopback_client(ATTEMPT)?;
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    while started.elapsed() < READY_LIMIT {
        process.check_running()?;
        match client.get(url).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(PAUSE).await;
    }
    Err(not_ready(name, process.log(), &last))
}

/// Until the HAProxy runtime API at `socket` answers `show info`.
pub async fn wait_haproxy(process: &mut Managed, socket: &Path) -> Result<()> {
    let started = Instant::now();
    let mut last = String::from("no socket yet");
    while started.elapsed() < READY_LIMIT {
        process.check_running()?;
        match runtime_client(socket, ATTEMPT)?.command("show info").await {
            Ok(answer) if answer.contains("Name: HAProxy") => return Ok(()),
            Ok(answer) => last = answer.lines().next().unwrap_or("empty answer").to_string(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(PAUSE).await;
    }
    Err(not_ready("haproxy", process.log(), &last))
}

/// A client for the HAProxy runtime API at `socket` (the backends crate's, so there is one
/// implementation of the protocol).
pub fn runtime_client(socket: &Path, timeout: Duration) -> Result<HaproxyClient> {
    HaproxyClient::new(&format!("unix://{}", socket.display()), timeout).map_err(|e| eyre!("{e}"))
}

fn not_ready(name: &str, log: &Path, last: &str) -> color_eyre::Report {
    eyre!(
        "{name} did not become ready within {}s ({last}); the end of {}:\n{}",
        READY_LIMIT.as_secs(),
        log.display(),
        log_tail(log, 15)
    )
}
