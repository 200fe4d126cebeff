//! A Docker Swarm cluster as a [`Platform`]: the environment's one host is a manager; each slot
//! is a Swarm service `<service>-<env>-<slot>` of `replicas` tasks, each task publishing the
//! service's port in host mode on a port Swarm picks. The traffic switch's servers follow the
//! tasks through [`Platform::slot_endpoints`].
//!
//! A slot "created, not started" is a service at 0 replicas whose labels say how many it runs
//! when started; a stopped slot is the same (its spec kept: a cold rollback starts it again).
//! Swarm's nodes pull images themselves when their tasks start, with the registry credentials
//! handed over on create and update. The acting calls share one client to the manager, opened
//! on first use; the watching calls open their own.

mod acting;
pub mod admin;
mod logs;
mod read;
mod rows;
mod spec;
mod tasks;
#[cfg(test)]
mod tests;
mod watching;

use crate::docker::{connect, DockerEndpoint};
use crate::platform::{Endpoint, LogSession, OpsResult, Platform, SlotNews, SlotSpec};
use crate::types::{ContainerDetail, ContainerInfo};
use crate::BackendResult;
use bollard::Docker;
use futures::stream::BoxStream;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The label on a slot's service holding how many tasks it runs once started (its replica
/// count is 0 while it is created or stopped).
pub const REPLICAS_LABEL: &str = "opsdeck.replicas";
/// The label on a listed task's row naming the node it runs on.
pub const NODE_LABEL: &str = "opsdeck.node";

const SYSTEM: &str = "swarm";
/// Calls that change the swarm (create, update, remove) may take a few seconds on a busy
/// manager, longer than a read should; they get at least this long.
const CHANGE_FLOOR: Duration = Duration::from_secs(20);

/// Where a service's slots run: how many tasks, and on which nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub replicas: u32,
    /// Swarm constraints, `node.role==worker`.
    pub constraints: Vec<String>,
}

impl Default for Placement {
    fn default() -> Self {
        Placement { replicas: 1, constraints: Vec::new() }
    }
}

/// The manager the environment reaches its swarm through.
#[derive(Debug, Clone)]
pub struct SwarmManager {
    /// The host's name in the config.
    pub name: String,
    pub endpoint: DockerEndpoint,
    /// Where the manager's own published ports answer.
    pub probe_address: String,
}

/// One swarm, reached through its manager.
#[derive(Debug)]
pub struct SwarmCluster {
    pub manager: SwarmManager,
    /// By service name; a service not named here runs one task anywhere.
    pub placement: HashMap<String, Placement>,
    /// The registry's host and credentials, handed to Swarm for its nodes' pulls.
    pub registry_auth: Option<(String, crate::registry::RegistryCredentials)>,
    /// Labels every service made here, and its tasks' containers, carry besides opsdeck's own
    /// (the demo's directory).
    pub extra_labels: BTreeMap<String, String>,
    /// The acting calls' client, connected on first use.
    client: OnceCell<Docker>,
}

impl SwarmCluster {
    /// A client for the swarm `manager`; nothing is contacted yet.
    pub fn new(manager: SwarmManager, placement: HashMap<String, Placement>) -> SwarmCluster {
        SwarmCluster { manager, placement, registry_auth: None, extra_labels: BTreeMap::new(), client: OnceCell::new() }
    }

    /// The manager's client, after checking `host` names the manager.
    async fn docker(&self, host: &str) -> OpsResult<&Docker> {
        self.check_host(host)?;
        self.client.get_or_try_init(|| connect(&self.manager.endpoint)).await.map_err(|e| format!("{host}: {e}"))
    }

    fn check_host(&self, host: &str) -> OpsResult<()> {
        match host == self.manager.name {
            true => Ok(()),
            false => Err(format!("no host named {host} in the config (this swarm's manager is {})", self.manager.name)),
        }
    }

    fn endpoint(&self, host: &str) -> BackendResult<&DockerEndpoint> {
        self.check_host(host).map_err(|reason| crate::BackendError::Other { system: SYSTEM, reason })?;
        Ok(&self.manager.endpoint)
    }

    fn read_timeout(&self) -> Duration {
        self.manager.endpoint.timeout
    }

    fn change_timeout(&self) -> Duration {
        self.manager.endpoint.timeout.max(CHANGE_FLOOR)
    }
}

/// The service a slot argument names: the service itself (`api-prod-blue`), or one of its tasks
/// as [`Platform::list_slots`] names them (`api-prod-blue.2`), which is all of the service here.
pub(crate) fn service_name(slot: &str) -> &str {
    match slot.rsplit_once('.') {
        Some((service, n)) if !service.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => service,
        _ => slot,
    }
}

#[async_trait::async_trait]
impl Platform for SwarmCluster {
    fn probe_address(&self, _host: &str) -> OpsResult<String> {
        Ok(self.manager.probe_address.clone())
    }
    async fn has_image(&self, host: &str, _image: &str) -> OpsResult<bool> {
        // Swarm's nodes pull when their tasks start: there is nothing to pull beforehand.
        self.check_host(host).map(|()| true)
    }
    async fn pull(&self, host: &str, _image: &str) -> OpsResult<()> {
        self.check_host(host)
    }
    async fn slot_digest(&self, host: &str, slot: &str) -> OpsResult<Option<String>> {
        self.raw_slot_digest(host, service_name(slot)).await
    }
    async fn is_running(&self, host: &str, slot: &str) -> OpsResult<bool> {
        self.raw_is_running(host, service_name(slot)).await
    }
    async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        self.raw_recreate(spec).await
    }
    async fn start(&self, host: &str, slot: &str) -> OpsResult<()> {
        self.raw_start(host, service_name(slot)).await
    }
    async fn stop(&self, host: &str, slot: &str, grace: Duration) -> OpsResult<()> {
        self.raw_stop(host, service_name(slot), grace).await
    }
    async fn remove(&self, host: &str, slot: &str) -> OpsResult<()> {
        self.raw_remove(host, service_name(slot)).await
    }
    async fn verdict(&self, host: &str, slot: &str) -> Option<String> {
        self.raw_verdict(host, service_name(slot)).await
    }
    async fn slot_endpoints(&self, host: &str, slot: &str) -> OpsResult<Option<Vec<Endpoint>>> {
        self.raw_endpoints(host, service_name(slot)).await.map(Some)
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
        logs::inspect(self.endpoint(host)?, slot).await
    }
    async fn log_session(&self, host: &str) -> BackendResult<Box<dyn LogSession>> {
        let endpoint = self.endpoint(host)?;
        let docker = connect(endpoint).await?;
        Ok(Box::new(logs::ServiceLogs { docker, timeout: endpoint.timeout }))
    }
}
