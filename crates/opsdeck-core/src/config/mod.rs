//! `opsdeck.toml`: the model of what opsdeck watches (registry, Alertmanager, environments with
//! their hosts, HAProxy socket and approval policy, services, state path) and how it polls them.
//! `load` finds and parses the file; `validate` checks what serde cannot.

mod approval;
mod bounded_command;
mod canary;
pub mod docker_hosts;
mod env;
pub mod keys;
mod load;
mod logs;
mod look;
pub mod notify;
mod probe_address;
pub mod registry_auth;
pub mod secret_source;
mod servers;
mod validate;

pub use approval::{Approval, ApprovalPolicy, RollbackApproval};
pub use canary::CanaryConfig;
pub use env::{is_secret_name, EnvValue, SecretSource};
pub use keys::KeysConfig;
pub use load::{default_state_path, find_config_path, load, load_file, parse as parse_str, ConfigError, ConfigProblem};
pub use logs::LogsConfig;
pub use look::{is_theme_path, EnvColor, BUILTIN_THEMES};
pub use notify::{NotifyConfig, NotifyEvent, NotifyFormat};
pub use servers::{fits_server_name, replica_number, SLOTS};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The whole configuration, as written in `opsdeck.toml`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the shared state store lives. Relative paths are relative to the config file; left
    /// out, the user's state folder ([`default_state_path`]), filled in when the file is loaded.
    #[serde(default)]
    pub state_path: PathBuf,
    /// The console takes the mouse (click to focus and select, wheel to scroll); `mouse = false`
    /// leaves it to the terminal, for selecting text.
    #[serde(default = "mouse_default", skip_serializing_if = "is_true")]
    pub mouse: bool,
    pub registry: RegistryConfig,
    pub alertmanager: Option<AlertmanagerConfig>,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub intervals: Intervals,
    #[serde(default)]
    pub actions: ActionsConfig,
    /// The Logs view's ring of lines per slot.
    #[serde(default)]
    pub logs: LogsConfig,
    /// Ordered: the promotion ladder runs from the first to the last.
    pub environments: Vec<EnvironmentConfig>,
    pub services: Vec<ServiceConfig>,
    /// Folders of runbooks (`*.md`). Relative paths are relative to the config file; none
    /// given means the config's own folder's `runbooks/`.
    #[serde(default)]
    pub runbooks: Vec<PathBuf>,
    /// Webhooks told of actions and approvals (`[[notify]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<NotifyConfig>,
    /// The console's key rebindings (`[keys]`), checked by the console ([`keys`] says why).
    #[serde(default, skip_serializing_if = "KeysConfig::is_empty")]
    pub keys: KeysConfig,
    /// The console's theme: a built-in name ([`BUILTIN_THEMES`]) or a theme file (relative to
    /// the config file). Left out, `default`; `NO_COLOR` overrides it with `mono`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Base URL of the OCI Distribution endpoint, e.g. `http://127.0.0.1:5000`.
    pub url: String,
    /// A user for a private registry, its password from `password`. Without one, what `docker
    /// login` stored for the registry's host is used, if anything ([`registry_auth`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password: a string, or read from a source (`{ from_env }`, `{ file }`, `{ command }`).
    /// Always secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<EnvValue>,
    /// A CA (PEM) that signs the registry's certificate; relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
}

impl RegistryConfig {
    /// The credentials to send, once the config is loaded.
    pub fn credentials(&self) -> Option<opsdeck_backends::registry::RegistryCredentials> {
        let username = self.username.clone()?;
        let password = self.password.as_ref().map(|p| p.value.clone()).unwrap_or_default();
        Some(opsdeck_backends::registry::RegistryCredentials { username, password })
    }

    /// `host:port` of the registry, as image references name it.
    pub fn host(&self) -> &str {
        let rest = self.url.split_once("://").map(|(_, h)| h).unwrap_or(&self.url);
        rest.trim_end_matches('/')
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// Base URL, e.g. `http://127.0.0.1:9093`.
    pub url: String,
}

/// Every call to the outside has a deadline; these are them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    #[serde(with = "humantime_serde")]
    pub docker: Duration,
    #[serde(with = "humantime_serde")]
    pub registry: Duration,
    #[serde(with = "humantime_serde")]
    pub haproxy: Duration,
    #[serde(with = "humantime_serde")]
    pub alertmanager: Duration,
    #[serde(with = "humantime_serde")]
    pub health: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            docker: Duration::from_secs(3),
            registry: Duration::from_secs(5),
            haproxy: Duration::from_secs(2),
            alertmanager: Duration::from_secs(3),
            health: Duration::from_secs(2),
        }
    }
}

/// How often each background task looks again. Docker is followed through its events stream;
/// `reconcile` is only the slow safety net behind it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Intervals {
    #[serde(with = "humantime_serde")]
    pub reconcile: Duration,
    #[serde(with = "humantime_serde")]
    pub health: Duration,
    #[serde(with = "humantime_serde")]
    pub haproxy: Duration,
    #[serde(with = "humantime_serde")]
    pub registry: Duration,
    #[serde(with = "humantime_serde")]
    pub alerts: Duration,
}

impl Default for Intervals {
    fn default() -> Self {
        Intervals {
            reconcile: Duration::from_secs(60),
            health: Duration::from_secs(5),
            haproxy: Duration::from_secs(2),
            registry: Duration::from_secs(30),
            alerts: Duration::from_secs(10),
        }
    }
}

/// How promotes and rollbacks wait. Each bound ends a wait with a failure (and an undo), never
/// a hang.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ActionsConfig {
    /// How long a new slot may take to turn healthy.
    #[serde(with = "humantime_serde")]
    pub health_wait: Duration,
    /// How long the old server may take to finish its sessions before they are shut down.
    #[serde(with = "humantime_serde")]
    pub drain_wait: Duration,
    /// SIGTERM to SIGKILL when stopping the old container.
    #[serde(with = "humantime_serde")]
    pub stop_grace: Duration,
    /// How long the new slot is watched after the switch (a failure rolls back by itself).
    #[serde(with = "humantime_serde")]
    pub watch: Duration,
    /// How long a request for approval waits for a decision before it expires.
    #[serde(with = "humantime_serde")]
    pub approval_ttl: Duration,
    /// How long the old slot stays running, out of traffic, after a switch (a rollback meanwhile
    /// is a switch, in well under a second); then it is stopped, kept for a cold rollback. `0s`
    /// stops it at once.
    #[serde(with = "humantime_serde")]
    pub keep_warm: Duration,
}

/// An hour: long enough for a release's first problems to show, short enough not to run two
/// releases' containers for the rest of the day.
pub const DEFAULT_KEEP_WARM: Duration = Duration::from_secs(3600);

/// How long the new slot is watched after a switch unless the config or `--watch` says otherwise:
/// long enough for a bad release's errors to show at ordinary traffic.
pub const DEFAULT_WATCH: Duration = Duration::from_secs(300);

/// The most tasks a slot may run: each needs a numbered HAProxy server (`server-template`).
pub const MAX_REPLICAS: u32 = 64;

/// A request nobody decided within an hour is likely forgotten; asking again is cheap.
pub const DEFAULT_APPROVAL_TTL: Duration = Duration::from_secs(3600);

impl Default for ActionsConfig {
    fn default() -> Self {
        let t = crate::actions::Timing::default();
        ActionsConfig {
            health_wait: t.health_wait,
            drain_wait: t.drain_wait,
            stop_grace: t.stop_grace,
            watch: DEFAULT_WATCH,
            approval_ttl: DEFAULT_APPROVAL_TTL,
            keep_warm: DEFAULT_KEEP_WARM,
        }
    }
}

impl ActionsConfig {
    /// The executor's timing from the config, with `watch` overridden when given.
    pub fn timing(&self, watch: Option<Duration>) -> crate::actions::Timing {
        crate::actions::Timing {
            health_wait: self.health_wait,
            drain_wait: self.drain_wait,
            stop_grace: self.stop_grace,
            watch: watch.unwrap_or(self.watch),
            keep_warm: self.keep_warm,
            ..crate::actions::Timing::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: String,
    /// What the environment's services run on (`docker`, the default: Docker hosts).
    #[serde(default)]
    pub platform: PlatformKind,
    pub hosts: Vec<HostConfig>,
    /// HAProxy runtime API: `unix:///run/haproxy.sock` or `tcp://127.0.0.1:9999`.
    pub haproxy: String,
    /// Who must agree before a promote, canary or rollback here ([`approval`]).
    #[serde(default)]
    pub approval: Approval,
    #[serde(default)]
    pub approvers: Vec<String>,
    /// The error gate of every switch here, and how a canary walks (`[environments.canary]`).
    #[serde(default)]
    pub canary: CanaryConfig,
    /// The environment's colour (`color = "red"` for prod): its column header, the frame of
    /// every confirmation and overlay acting on it, and the title line while it is selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<EnvColor>,
}

/// The platforms an environment can run on: each is one implementation of
/// [`opsdeck_backends::platform::Platform`], picked in [`crate::outside`].
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// Docker hosts, each reached by its `url`.
    #[default]
    Docker,
    /// A Docker Swarm cluster: the environment's one host is a manager; each slot is a Swarm
    /// service (`<service>-<env>-<slot>`) of `replicas` tasks publishing their port in host
    /// mode, HAProxy's servers `<slot>1`, `<slot>2`, ... following the tasks.
    Swarm,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    pub name: String,
    /// Docker engine: `unix:///var/run/docker.sock`, `tcp://host:2376` (TLS when `tls` is set),
    /// `ssh://[user@]host[:port]`, or `env` (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
    /// `DOCKER_CERT_PATH`). Empty when `context` names the engine; both are resolved into a URL
    /// (and TLS files) when the config is loaded ([`docker_hosts`]).
    #[serde(default)]
    pub url: String,
    /// A Docker context (`docker context ls`) instead of a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Address where this host's published ports answer (for `/health`). Defaults to 127.0.0.1
    /// for unix sockets and to the URL's host otherwise.
    pub address: Option<String>,
    pub tls: Option<TlsConfig>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    /// Repository in the registry (defaults to the service's name).
    pub repository: Option<String>,
    /// The port the container listens on.
    pub container_port: u16,
    #[serde(default = "default_health_path")]
    pub health_path: String,
    /// How many images to keep in the registry; older ones are prunable.
    #[serde(default = "default_keep_images")]
    pub keep_images: usize,
    /// Per environment: the HAProxy backend and the service's address through the load balancer.
    pub environments: BTreeMap<String, ServiceRoute>,
    /// Environment variables given to the service's containers: `NAME = "value"` or
    /// `NAME = { value = "...", secret = true }`; names like `*_TOKEN` are secret too.
    #[serde(default, deserialize_with = "env::deserialize_env")]
    pub env: BTreeMap<String, EnvValue>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceRoute {
    /// HAProxy backend holding this service's servers: `blue` and `green`, or with several hosts
    /// `blue-<host>` and `green-<host>` for each (see [`EnvironmentConfig::server_name`]).
    pub backend: String,
    /// The service's address through the load balancer (for smoke checks and `status`).
    pub url: String,
    /// Swarm only: how many tasks each slot runs (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Swarm only: placement constraints of the slots' tasks (`node.role==worker`,
    /// `node.labels.zone==a`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
}

fn default_health_path() -> String {
    "/health".into()
}

fn default_keep_images() -> usize {
    10
}

impl Config {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentConfig> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn service(&self, name: &str) -> Option<&ServiceConfig> {
        self.services.iter().find(|s| s.name == name)
    }
}

impl ServiceConfig {
    pub fn repository(&self) -> &str {
        self.repository.as_deref().unwrap_or(&self.name)
    }

    /// The environment the service's containers get (secret values included: for Docker only).
    pub fn env_vars(&self) -> BTreeMap<String, String> {
        self.env.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// The values of this service's secret variables (marked, or named like a secret).
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.env
            .iter()
            .filter(|(k, v)| v.secret || is_secret_name(k) || env::is_secret_value(&v.value))
            .map(|(_, v)| v.value.as_str())
    }
}

fn mouse_default() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}
