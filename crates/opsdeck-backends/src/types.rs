//! Plain data the backends return: containers, images, HAProxy servers, alerts, health reports.
//! Strings in here are exactly what the outside system said; the app strips control characters
//! before anything reaches the screen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Container labels opsdeck puts on every slot it manages.
pub mod labels {
    pub const SERVICE: &str = "opsdeck.service";
    pub const ENV: &str = "opsdeck.env";
    pub const SLOT: &str = "opsdeck.slot";
    pub const IMAGE: &str = "opsdeck.image";
    pub const DIGEST: &str = "opsdeck.digest";
}

/// Docker's own HEALTHCHECK verdict for a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DockerHealth {
    /// The image has no HEALTHCHECK, or the container is not running.
    #[default]
    None,
    Starting,
    Healthy,
    Unhealthy,
}

/// One container that carries opsdeck's slot labels, as a Docker engine reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInfo {
    pub id: String,
    /// Name without Docker's leading `/`.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// The image reference the container was created from (`127.0.0.1:5000/api:v1.2.0`).
    pub image: String,
    /// Docker's state word: `running`, `exited`, `created`, `restarting`, ...
    pub state: String,
    /// Docker's human status (`Up 3 minutes (healthy)`).
    pub status: String,
    pub health: DockerHealth,
    /// Host ports published on 127.0.0.1 (or any address), keyed by container port.
    pub ports: BTreeMap<u16, u16>,
    pub created: Option<DateTime<Utc>>,
}

impl ContainerInfo {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// A change on a Docker engine that concerns opsdeck's slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEvent {
    /// Something happened to this container: fetch it again (or drop it if gone).
    Container { id: String, action: String },
}

/// One image in a registry repository: a digest with every tag that points at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryImage {
    pub digest: String,
    /// Tags sorted: versions newest first, then git shas, then others.
    pub tags: Vec<String>,
    /// The image config's `created` time, when the registry could tell.
    pub created: Option<DateTime<Utc>>,
    /// For an image index (a multi-platform image), the platforms it offers (`linux/amd64`);
    /// empty for a single-platform image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// HAProxy's view of one server in a backend (merged from `show stat` and `show servers state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStat {
    pub backend: String,
    pub server: String,
    /// `show stat` status: `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, `UP 1/2`, ...
    pub status: String,
    /// Administrative state: ready, drain or maint.
    pub admin: AdminState,
    /// Sessions open right now.
    pub current_sessions: u64,
    pub total_sessions: u64,
    pub weight: u32,
    /// HTTP responses 5xx since start (0 for TCP backends).
    pub http_5xx: u64,
    /// Requests answered since start: `req_tot`, or `stot` where HAProxy leaves it empty (TCP
    /// backends). Like every counter here it restarts from zero when HAProxy reloads.
    pub requests: u64,
    /// Address and port HAProxy sends this server's traffic to.
    pub address: String,
}

/// HAProxy's administrative state of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AdminState {
    #[default]
    Ready,
    Drain,
    Maint,
}

impl ServerStat {
    /// Whether this server takes new traffic: ready and not down.
    pub fn takes_traffic(&self) -> bool {
        self.admin == AdminState::Ready && (self.status.starts_with("UP") || self.status == "no check")
    }
}

/// An alert as Alertmanager's v2 API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The `alertname` label.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `active`, `suppressed` or `unprocessed`.
    pub state: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub fingerprint: String,
}

/// What a `/health` probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    pub verdict: HealthVerdict,
    /// Why it is not healthy (empty when healthy).
    pub reason: String,
    pub http_status: Option<u16>,
    pub latency: Duration,
    /// The body's `status` field, and each entry of its `services` object, as reported.
    pub status_field: Option<String>,
    pub services: BTreeMap<String, String>,
    pub uptime_secs: Option<u64>,
}

/// The verdict of one `/health` probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthVerdict {
    Healthy,
    Unhealthy,
    /// Nothing answered (refused, timed out).
    Unreachable,
}

/// A silence as Alertmanager's v2 API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    /// `active`, `pending` or `expired`.
    pub state: String,
}

/// One label matcher of a silence: `name=value`, `name!=value`, `name=~regex`, `name!~regex`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    /// False for the negative forms (`!=`, `!~`).
    pub is_equal: bool,
}

/// One container as `docker inspect` shows it (with its image's inspect), for the detail view.
/// Strings are exactly what the engine said, environment values included: the app masks
/// secrets and strips control characters before anything is kept or shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetail {
    pub id: String,
    /// Name without Docker's leading `/`.
    pub name: String,
    /// The reference the container was created from (`Config.Image`).
    pub image: String,
    /// The local image id (`sha256:…` of the image config).
    pub image_id: String,
    /// The image's registry digests (`repo@sha256:…`), as the engine knows them.
    pub repo_digests: Vec<String>,
    /// When the image was built.
    pub image_created: Option<DateTime<Utc>>,
    /// When the container was created.
    pub created: Option<DateTime<Utc>>,
    /// `running`, `exited`, ...
    pub state: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i64>,
    /// The engine's error for the last start, if any.
    pub error: String,
    pub restart_count: i64,
    /// HEALTHCHECK status word (`healthy`, `unhealthy`, `starting`), when the image has one.
    pub health: Option<String>,
    pub failing_streak: i64,
    /// The last HEALTHCHECK runs, oldest first (Docker keeps five).
    pub health_log: Vec<HealthProbe>,
    /// `8080/tcp -> 127.0.0.1:41000`, or `8080/tcp` when not published.
    pub ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// `Config.Env`, in order.
    pub env: Vec<EnvVar>,
}

/// One run of a container's HEALTHCHECK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthProbe {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub exit_code: i64,
    pub output: String,
}

/// One environment variable of a container.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

// The value may be a secret: a debug print shows the name only.
impl std::fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvVar({})", self.name)
    }
}
