//! [`SlotOps`] against the real world: Docker engines (one client per configured host, opened on
//! first use and kept), the environment's HAProxy runtime API, and the slots' `/health`. Every
//! call is bounded by the config's timeouts (`timeouts.docker`, `.haproxy`, `.health`); the
//! slow Docker calls (pull, stop with its grace period) get their own, longer bounds.
//!
//! Secret environment values go to `create` and nowhere else: every error line and health reason
//! handed back (which the executor journals and shows) has them masked.

mod slots;
mod traffic;

use super::ops::{OpsResult, ServerCounters, SlotHealth, SlotOps, SlotSpec};
use crate::config::{Config, HostConfig};
use crate::secrets::Secrets;
use bollard::models::HealthStatusEnum;
use bollard::Docker;
use opsdeck_backends::alertmanager::{AlertmanagerClient, NewSilence};
use opsdeck_backends::docker::{self, lifecycle, DockerEndpoint, DockerTls};
use opsdeck_backends::haproxy::{parse_request_totals, parse_show_stat, HaproxyClient};
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::types::{labels, AdminState, HealthVerdict};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// A pull moves whole images over the network: it gets this long unless set otherwise.
pub const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(300);
/// Calls that change an engine (create, start, remove) may take a few seconds on a busy engine,
/// longer than a read should; they get at least this long.
const CHANGE_FLOOR: Duration = Duration::from_secs(20);

/// The labels opsdeck writes on a slot; every other label a slot carries (put there by whoever
/// set the slot up, e.g. `opsdeck.demo`) is kept when the slot is made anew.
const SLOT_LABELS: [&str; 5] = [labels::SERVICE, labels::ENV, labels::SLOT, labels::IMAGE, labels::DIGEST];

/// One Docker engine as the config names it.
struct Engine {
    endpoint: DockerEndpoint,
    /// Where the host's published ports answer.
    probe_address: String,
    /// Where slot ports are published: loopback for a local engine, every address otherwise.
    publish_ip: String,
    client: OnceCell<Docker>,
}

/// Docker, HAProxy and `/health` for the executor.
pub struct RealOps {
    config: Arc<Config>,
    /// By host name (unique across environments).
    engines: HashMap<String, Engine>,
    /// By environment name.
    lbs: HashMap<String, HaproxyClient>,
    prober: HealthProber,
    /// Bound of one image pull.
    pub pull_timeout: Duration,
    /// Foreign labels of slot containers this process removed, by (host, container), so a slot
    /// made again (an undo restoring the idle slot) carries them as before.
    kept_labels: Mutex<HashMap<(String, String), BTreeMap<String, String>>>,
    /// The config's secret values, masked in every line this hands back.
    secrets: Secrets,
}

impl std::fmt::Debug for RealOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.engines.keys().collect();
        hosts.sort();
        f.debug_struct("RealOps").field("hosts", &hosts).finish_non_exhaustive()
    }
}

impl RealOps {
    /// Clients for every host and HAProxy in `config`. Nothing is contacted yet: engines are
    /// connected on first use. Errors: a host name used twice for different engines, or an
    /// HAProxy address that is not `unix://` or `tcp://`.
    pub fn new(config: Arc<Config>) -> Result<RealOps, String> {
        let mut engines: HashMap<String, Engine> = HashMap::new();
        let mut lbs = HashMap::new();
        for env in &config.environments {
            for host in &env.hosts {
                if let Some(seen) = engines.get(&host.name) {
                    if seen.endpoint.url != host.url {
                        return Err(format!(
                            "host {} names two engines ({} and {}); host names must be unique",
                            host.name, seen.endpoint.url, host.url
                        ));
                    }
                    continue;
                }
                engines.insert(host.name.clone(), engine(host, config.timeouts.docker));
            }
            let lb =
                HaproxyClient::new(&env.haproxy, config.timeouts.haproxy).map_err(|e| format!("{}: {e}", env.name))?;
            lbs.insert(env.name.clone(), lb);
        }
        let prober = HealthProber::new(config.timeouts.health).map_err(|e| e.to_string())?;
        Ok(RealOps {
            engines,
            lbs,
            prober,
            pull_timeout: DEFAULT_PULL_TIMEOUT,
            kept_labels: Mutex::new(HashMap::new()),
            secrets: Secrets::from_config(&config),
            config,
        })
    }

    /// `result` with any secret value in its error line masked.
    fn masked<T>(&self, result: OpsResult<T>) -> OpsResult<T> {
        result.map_err(|e| self.secrets.mask_owned(e))
    }

    fn engine(&self, host: &str) -> OpsResult<&Engine> {
        self.engines.get(host).ok_or_else(|| format!("no host named {host} in the config"))
    }

    /// The engine's client, connected (and its API version negotiated) on first use.
    async fn docker(&self, host: &str) -> OpsResult<(&Engine, &Docker)> {
        let engine = self.engine(host)?;
        let client = engine
            .client
            .get_or_try_init(|| async { docker::connect(&engine.endpoint).await })
            .await
            .map_err(|e| format!("{host}: {e}"))?;
        Ok((engine, client))
    }

    fn lb(&self, env: &str) -> OpsResult<&HaproxyClient> {
        self.lbs.get(env).ok_or_else(|| format!("no environment named {env} in the config"))
    }

    fn read_timeout(&self) -> Duration {
        self.config.timeouts.docker
    }

    fn change_timeout(&self) -> Duration {
        self.config.timeouts.docker.max(CHANGE_FLOOR)
    }

    /// The container as the engine sees it, or None when there is none.
    async fn inspect(
        &self,
        host: &str,
        container: &str,
    ) -> OpsResult<Option<bollard::models::ContainerInspectResponse>> {
        let (_, client) = self.docker(host).await?;
        let limit = self.read_timeout();
        match tokio::time::timeout(limit, client.inspect_container(container, None)).await {
            Err(_) => Err(format!("{host}: docker: inspect {container}: no answer within {}", secs(limit))),
            Ok(Ok(found)) => Ok(Some(found)),
            Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => Ok(None),
            Ok(Err(e)) => Err(format!("{host}: docker: inspect {container}: {}", bollard_reason(&e))),
        }
    }

    /// Labels on the container that opsdeck does not manage (empty when there is none).
    async fn foreign_labels(&self, host: &str, container: &str) -> OpsResult<BTreeMap<String, String>> {
        let found = self.inspect(host, container).await?;
        Ok(found
            .and_then(|c| c.config)
            .and_then(|c| c.labels)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !SLOT_LABELS.contains(&k.as_str()))
            .collect())
    }

    fn keep_labels(&self, host: &str, container: &str, found: BTreeMap<String, String>) {
        if found.is_empty() {
            return;
        }
        if let Ok(mut kept) = self.kept_labels.lock() {
            kept.insert((host.to_string(), container.to_string()), found);
        }
    }

    fn kept_labels(&self, host: &str, container: &str) -> BTreeMap<String, String> {
        self.kept_labels
            .lock()
            .ok()
            .and_then(|kept| kept.get(&(host.to_string(), container.to_string())).cloned())
            .unwrap_or_default()
    }

    /// Docker's HEALTHCHECK verdict and whether the container runs: None when it is fine (or has
    /// no HEALTHCHECK), else why not.
    async fn docker_verdict(&self, spec: &SlotSpec) -> Option<String> {
        let name = spec.container_name();
        let found = match self.inspect(&spec.host, &name).await {
            Ok(Some(found)) => found,
            Ok(None) => return Some(format!("no container {name}")),
            Err(e) => return Some(e),
        };
        let state = found.state.unwrap_or_default();
        if state.running != Some(true) {
            let word = state.status.map(|s| s.to_string()).unwrap_or_else(|| "not running".into());
            return Some(format!("container {word}"));
        }
        match state.health.and_then(|h| h.status) {
            Some(HealthStatusEnum::STARTING) => Some("docker health: starting".into()),
            Some(HealthStatusEnum::UNHEALTHY) => Some("docker health: unhealthy".into()),
            _ => None,
        }
    }

    fn health_url(&self, spec: &SlotSpec) -> OpsResult<String> {
        let engine = self.engine(&spec.host)?;
        let path = self.config.service(&spec.service).map(|s| s.health_path.as_str()).unwrap_or("/health");
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        let address = &engine.probe_address;
        let address =
            if address.contains(':') && !address.starts_with('[') { format!("[{address}]") } else { address.clone() };
        Ok(format!("http://{address}:{}{path}", spec.host_port))
    }
}

fn engine(host: &HostConfig, timeout: Duration) -> Engine {
    let endpoint = DockerEndpoint {
        url: host.url.clone(),
        tls: host.tls.as_ref().map(|t| DockerTls { ca: t.ca.clone(), cert: t.cert.clone(), key: t.key.clone() }),
        timeout,
    };
    let publish_ip = if host.url.starts_with("unix://") { "127.0.0.1" } else { "0.0.0.0" };
    Engine { endpoint, probe_address: host.probe_address(), publish_ip: publish_ip.into(), client: OnceCell::new() }
}

/// A bollard error as one line (a server error as its status and message).
fn bollard_reason(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, message } => {
            format!("{status_code}: {message}")
        }
        bollard::errors::Error::RequestTimeoutError => "no answer within the engine timeout".into(),
        other => other.to_string(),
    }
}

fn secs(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

impl SlotOps for RealOps {
    async fn has_image(&self, host: &str, image: &str) -> OpsResult<bool> {
        self.masked(self.raw_has_image(host, image).await)
    }

    async fn pull(&self, host: &str, image: &str) -> OpsResult<()> {
        self.masked(self.raw_pull(host, image).await)
    }

    async fn slot_digest(&self, host: &str, container: &str) -> OpsResult<Option<String>> {
        self.masked(self.raw_slot_digest(host, container).await)
    }

    async fn is_running(&self, host: &str, container: &str) -> OpsResult<bool> {
        self.masked(self.raw_is_running(host, container).await)
    }

    async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        self.masked(self.raw_recreate(spec).await)
    }

    async fn start(&self, host: &str, container: &str) -> OpsResult<()> {
        self.masked(self.raw_start(host, container).await)
    }

    async fn stop(&self, host: &str, container: &str, grace: Duration) -> OpsResult<()> {
        self.masked(self.raw_stop(host, container, grace).await)
    }

    async fn remove(&self, host: &str, container: &str) -> OpsResult<()> {
        self.masked(self.raw_remove(host, container).await)
    }

    async fn health(&self, spec: &SlotSpec) -> SlotHealth {
        let health = self.raw_health(spec).await;
        SlotHealth { reason: self.secrets.mask_owned(health.reason), ..health }
    }

    async fn set_server(&self, env: &str, backend: &str, server: &str, state: AdminState) -> OpsResult<()> {
        self.masked(self.raw_set_server(env, backend, server, state).await)
    }

    async fn counters(&self, env: &str, backend: &str, server: &str) -> OpsResult<ServerCounters> {
        self.masked(self.raw_counters(env, backend, server).await)
    }

    async fn shutdown_sessions(&self, env: &str, backend: &str, server: &str) -> OpsResult<()> {
        self.masked(self.raw_shutdown_sessions(env, backend, server).await)
    }

    async fn create_silence(&self, silence: &NewSilence) -> OpsResult<String> {
        let result = match self.alertmanager() {
            Ok(am) => am.create_silence(silence).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    async fn expire_silence(&self, id: &str) -> OpsResult<()> {
        let result = match self.alertmanager() {
            Ok(am) => am.expire_silence(id).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        self.masked(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text_hosts: &str) -> Arc<Config> {
        let text = format!(
            "state_path = \"s.db\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n\
             [[environments]]\nname = \"dev\"\nhaproxy = \"unix:///tmp/h.sock\"\nhosts = [{text_hosts}]\n\
             [[services]]\nname = \"api\"\ncontainer_port = 8080\nhealth_path = \"/healthz\"\n\
             [services.environments.dev]\nbackend = \"api_dev\"\nurl = \"http://127.0.0.1:1\"\n"
        );
        Arc::new(crate::config::parse_str(&text).expect("config"))
    }

    fn spec(host: &str) -> SlotSpec {
        SlotSpec {
            service: "api".into(),
            env: "dev".into(),
            slot: "blue".into(),
            host: host.into(),
            image: "127.0.0.1:5000/api:v1".into(),
            digest: "sha256:aa".into(),
            container_port: 8080,
            host_port: 41000,
            env_vars: BTreeMap::new(),
        }
    }

    #[test]
    fn engines_publish_and_probe_by_their_url() {
        let ops = RealOps::new(config(
            "{ name = \"dev-1\", url = \"unix:///var/run/docker.sock\" }, { name = \"dev-2\", url = \"tcp://10.0.0.7:2375\" }",
        ))
        .expect("ops");
        assert_eq!(ops.engine("dev-1").expect("dev-1").publish_ip, "127.0.0.1");
        assert_eq!(ops.engine("dev-2").expect("dev-2").publish_ip, "0.0.0.0");
        assert_eq!(ops.health_url(&spec("dev-1")).expect("url"), "http://127.0.0.1:41000/healthz");
        assert_eq!(ops.health_url(&spec("dev-2")).expect("url"), "http://10.0.0.7:41000/healthz");
        assert!(ops.health_url(&spec("nowhere")).is_err());
    }

    #[test]
    fn a_host_name_naming_two_engines_is_refused() {
        let mut twice = (*config("{ name = \"h\", url = \"unix:///var/run/docker.sock\" }")).clone();
        let mut prod = twice.environments[0].clone();
        prod.name = "prod".into();
        prod.hosts[0].url = "tcp://10.0.0.7:2375".into();
        twice.environments.push(prod.clone());
        let err = RealOps::new(Arc::new(twice.clone()));
        assert!(err.is_err_and(|e| e.contains("host names must be unique")));
        // The same engine under the same name in two environments is one engine.
        twice.environments[1].hosts[0].url = "unix:///var/run/docker.sock".into();
        assert!(RealOps::new(Arc::new(twice)).is_ok());
    }

    #[tokio::test]
    async fn secret_values_in_error_lines_and_health_reasons_are_masked() {
        let mut config = (*config("{ name = \"dev-1\", url = \"unix:///nonexistent/docker.sock\" }")).clone();
        config.services[0].env.insert("API_TOKEN".into(), crate::config::EnvValue::plain("s3cr3t-Val-42"));
        let ops = RealOps::new(Arc::new(config)).expect("ops");
        // An engine that echoes what it was given: here, a host named like the value.
        let err = ops.has_image("s3cr3t-Val-42", "x:1").await.expect_err("no such host");
        assert_eq!(err, format!("no host named {} in the config", crate::secrets::MASK));
        let health = ops.health(&spec("s3cr3t-Val-42")).await;
        assert!(!health.healthy && !health.reason.contains("s3cr3t-Val-42"), "{}", health.reason);
        assert!(!format!("{ops:?}").contains("s3cr3t-Val-42"));
    }

    #[tokio::test]
    async fn an_engine_that_is_not_there_is_a_line_not_a_hang() {
        let ops = RealOps::new(config("{ name = \"dev-1\", url = \"unix:///nonexistent/docker.sock\" }")).expect("ops");
        let err = ops.has_image("dev-1", "x:1").await.expect_err("no engine");
        assert!(err.starts_with("dev-1: docker"), "{err}");
        let health = ops.health(&spec("dev-1")).await;
        assert!(!health.healthy);
        assert!(health.reason.contains("http://127.0.0.1:41000/healthz"), "{}", health.reason);
    }
}
