//! Docker hosts as a [`Platform`]: each host one engine, each slot one container named
//! `<service>-<env>-<slot>` and labelled with what it runs. The acting calls share one client per
//! engine, opened on first use and kept; the watching calls open their own.
//!
//! Secret environment values go to `create` and nowhere else; masking what comes back is the
//! caller's (it knows the secrets).

mod acting;

pub(crate) use acting::SLOT_LABELS;
mod known;
mod watching;

use super::{connect, DockerEndpoint};
use crate::platform::{LogSession, OpsResult, Platform, SlotNews, SlotSpec};
use crate::types::{ContainerDetail, ContainerInfo};
use crate::BackendResult;
use bollard::Docker;
use futures::stream::BoxStream;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::OnceCell;

/// A pull moves whole images over the network: it gets this long unless set otherwise.
pub const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(300);
/// Calls that change an engine (create, start, remove) may take a few seconds on a busy engine,
/// longer than a read should; they get at least this long.
const CHANGE_FLOOR: Duration = Duration::from_secs(20);

/// One host as the config names it.
#[derive(Debug, Clone)]
pub struct DockerHost {
    pub name: String,
    pub endpoint: DockerEndpoint,
    /// Where the host's published ports answer.
    pub probe_address: String,
}

/// One engine and its client, connected on first use.
struct Engine {
    host: DockerHost,
    /// Where slot ports are published: loopback for a local engine, every address otherwise.
    publish_ip: String,
    client: OnceCell<Docker>,
}

/// An environment's Docker hosts.
pub struct DockerHosts {
    /// By host name.
    engines: HashMap<String, Engine>,
    /// Bound of one image pull.
    pub pull_timeout: Duration,
    /// The registry's host and credentials, given to the engines for pulls from it.
    pub registry_auth: Option<(String, crate::registry::RegistryCredentials)>,
    /// Foreign labels of slot containers this process removed, by (host, container), so a slot
    /// made again (an undo restoring the idle slot) carries them as before.
    kept_labels: Mutex<HashMap<(String, String), BTreeMap<String, String>>>,
}

impl std::fmt::Debug for DockerHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.engines.keys().collect();
        hosts.sort();
        f.debug_struct("DockerHosts").field("hosts", &hosts).finish_non_exhaustive()
    }
}

impl DockerHosts {
    /// Clients for `hosts`; nothing is contacted yet.
    pub fn new(hosts: Vec<DockerHost>) -> DockerHosts {
        let engines = hosts
            .into_iter()
            .map(|host| {
                let publish_ip = if host.endpoint.url.starts_with("unix://") { "127.0.0.1" } else { "0.0.0.0" };
                let engine = Engine { host, publish_ip: publish_ip.into(), client: OnceCell::new() };
                (engine.host.name.clone(), engine)
            })
            .collect();
        DockerHosts {
            engines,
            pull_timeout: DEFAULT_PULL_TIMEOUT,
            registry_auth: None,
            kept_labels: Mutex::new(HashMap::new()),
        }
    }

    fn engine(&self, host: &str) -> OpsResult<&Engine> {
        self.engines.get(host).ok_or_else(|| format!("no host named {host} in the config"))
    }

    fn endpoint(&self, host: &str) -> BackendResult<&DockerEndpoint> {
        self.engines.get(host).map(|e| &e.host.endpoint).ok_or_else(|| crate::BackendError::Other {
            system: super::SYSTEM,
            reason: format!("no host named {host} in the config"),
        })
    }

    /// The engine's client, connected (and its API version negotiated) on first use.
    async fn docker(&self, host: &str) -> OpsResult<(&Engine, &Docker)> {
        let engine = self.engine(host)?;
        let client = engine
            .client
            .get_or_try_init(|| async { connect(&engine.host.endpoint).await })
            .await
            .map_err(|e| format!("{host}: {e}"))?;
        Ok((engine, client))
    }

    fn read_timeout(&self, engine: &Engine) -> Duration {
        engine.host.endpoint.timeout
    }

    fn change_timeout(&self, engine: &Engine) -> Duration {
        engine.host.endpoint.timeout.max(CHANGE_FLOOR)
    }
}

#[async_trait::async_trait]
impl Platform for DockerHosts {
    fn probe_address(&self, host: &str) -> OpsResult<String> {
        Ok(self.engine(host)?.host.probe_address.clone())
    }
    async fn has_image(&self, host: &str, image: &str) -> OpsResult<bool> {
        self.raw_has_image(host, image).await
    }
    async fn pull(&self, host: &str, image: &str) -> OpsResult<()> {
        self.raw_pull(host, image).await
    }
    async fn slot_digest(&self, host: &str, slot: &str) -> OpsResult<Option<String>> {
        self.raw_slot_digest(host, slot).await
    }
    async fn is_running(&self, host: &str, slot: &str) -> OpsResult<bool> {
        self.raw_is_running(host, slot).await
    }
    async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        self.raw_recreate(spec).await
    }
    async fn start(&self, host: &str, slot: &str) -> OpsResult<()> {
        self.raw_start(host, slot).await
    }
    async fn stop(&self, host: &str, slot: &str, grace: Duration) -> OpsResult<()> {
        self.raw_stop(host, slot, grace).await
    }
    async fn remove(&self, host: &str, slot: &str) -> OpsResult<()> {
        self.raw_remove(host, slot).await
    }
    async fn verdict(&self, host: &str, slot: &str) -> Option<String> {
        self.raw_verdict(host, slot).await
    }
    async fn list_slots(&self, host: &str) -> BackendResult<Vec<ContainerInfo>> {
        watching::snapshot(self.endpoint(host)?).await
    }
    fn follow(&self, host: &str, reconcile: Duration) -> BoxStream<'static, SlotNews> {
        match self.endpoint(host) {
            Ok(endpoint) => watching::follow(endpoint.clone(), reconcile),
            Err(e) => crate::platform::news::failed(e),
        }
    }
    async fn inspect(&self, host: &str, slot: &str) -> BackendResult<ContainerDetail> {
        let endpoint = self.endpoint(host)?;
        let docker = connect(endpoint).await?;
        super::inspect::inspect(&docker, slot, endpoint.timeout).await
    }
    async fn log_session(&self, host: &str) -> BackendResult<Box<dyn LogSession>> {
        let endpoint = self.endpoint(host)?;
        let docker = connect(endpoint).await?;
        Ok(Box::new(watching::Logs { docker, timeout: endpoint.timeout }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, url: &str) -> DockerHost {
        let endpoint = DockerEndpoint { url: url.into(), tls: None, timeout: Duration::from_secs(1) };
        DockerHost { name: name.into(), endpoint, probe_address: "127.0.0.1".into() }
    }

    #[test]
    fn engines_publish_by_their_url() {
        let hosts =
            DockerHosts::new(vec![host("dev-1", "unix:///var/run/docker.sock"), host("dev-2", "tcp://10.0.0.7:2375")]);
        assert_eq!(hosts.engine("dev-1").expect("dev-1").publish_ip, "127.0.0.1");
        assert_eq!(hosts.engine("dev-2").expect("dev-2").publish_ip, "0.0.0.0");
        assert_eq!(hosts.engine("nowhere").err().as_deref(), Some("no host named nowhere in the config"));
    }
}
