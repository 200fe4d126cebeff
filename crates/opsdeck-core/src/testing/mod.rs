//! Fixtures for the core's tests and the console's snapshot tests (feature `testing`): a
//! three-environment config and a world filled as the demo stack fills it, at a fixed time, with
//! no Docker daemon or network. Test code: a panic here is a broken fixture.

mod actions;
mod approvals;
mod detail;
mod swarm;
mod world;

pub use actions::*;
pub use approvals::*;
pub use detail::*;
pub use swarm::*;
pub use world::*;

use crate::config::Config;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

pub const CONFIG: &str = r#"
state_path = "state.db"
[registry]
url = "http://127.0.0.1:5000"
[alertmanager]
url = "http://127.0.0.1:9093"

[[environments]]
name = "dev"
haproxy = "unix:///tmp/demo/haproxy.sock"
hosts = [{ name = "dev-1", url = "unix:///var/run/docker.sock" }]

[[environments]]
name = "staging"
haproxy = "unix:///tmp/demo/haproxy.sock"
hosts = [{ name = "staging-1", url = "unix:///var/run/docker.sock" }]

[[environments]]
name = "prod"
haproxy = "unix:///tmp/demo/haproxy.sock"
approval = "required"
approvers = ["alice", "bob"]
hosts = [
  { name = "prod-1", url = "unix:///var/run/docker.sock" },
  { name = "prod-2", url = "tcp://10.9.9.9:2375", address = "127.0.0.1" },
]

[[services]]
name = "api"
container_port = 8080
[services.environments.dev]
backend = "api_dev"
url = "http://127.0.0.1:18001"
[services.environments.staging]
backend = "api_staging"
url = "http://127.0.0.1:18002"
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:18003"

[[services]]
name = "web"
container_port = 8080
[services.environments.dev]
backend = "web_dev"
url = "http://127.0.0.1:18004"
[services.environments.staging]
backend = "web_staging"
url = "http://127.0.0.1:18005"
[services.environments.prod]
backend = "web_prod"
url = "http://127.0.0.1:18006"
"#;

/// 2026-11-23 03:12:00 UTC: the page in the design's story.
pub fn gen_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 12, 0).single().unwrap_or_default()
}

pub fn gen_config() -> Arc<Config> {
    Arc::new(crate::config::parse_str(CONFIG).expect("fixture config parses"))
}

pub fn gen_digest(version: &str) -> String {
    let seed: u32 = version.bytes().map(u32::from).sum();
    format!("sha256:{:08x}{}", seed.wrapping_mul(2_654_435_761), "ab12".repeat(14))
}
