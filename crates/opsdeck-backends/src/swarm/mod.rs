//! A Docker Swarm cluster as a [`Platform`]: the environment's one host is a manager; each slot
//! is a Swarm service `<service>-<env>-<slot>` of `replicas` tasks, each task publishing the
//! service's port in host mode on a port Swarm picks. The traffic switch's servers follow the
//! tasks through [`Platform::slot_endpoints`].

pub mod admin;

use crate::docker::DockerEndpoint;
use crate::platform::{LogSession, OpsResult, Platform, SlotNews, SlotSpec};
use crate::types::{ContainerDetail, ContainerInfo};
use crate::BackendResult;
use futures::stream::BoxStream;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

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
    /// Labels every service made here carries besides opsdeck's own (the demo's directory).
    pub extra_labels: BTreeMap<String, String>,
}

impl SwarmCluster {
    /// A client for the swarm `manager`; nothing is contacted yet.
    pub fn new(manager: SwarmManager, placement: HashMap<String, Placement>) -> SwarmCluster {
        SwarmCluster { manager, placement, registry_auth: None, extra_labels: BTreeMap::new() }
    }
}

const NOT_YET: &str = "the swarm platform is being built";

#[async_trait::async_trait]
impl Platform for SwarmCluster {
    fn probe_address(&self, _host: &str) -> OpsResult<String> {
        Ok(self.manager.probe_address.clone())
    }
    async fn has_image(&self, _host: &str, _image: &str) -> OpsResult<bool> {
        Err(NOT_YET.into())
    }
    async fn pull(&self, _host: &str, _image: &str) -> OpsResult<()> {
        Err(NOT_YET.into())
    }
    async fn slot_digest(&self, _host: &str, _slot: &str) -> OpsResult<Option<String>> {
        Err(NOT_YET.into())
    }
    async fn is_running(&self, _host: &str, _slot: &str) -> OpsResult<bool> {
        Err(NOT_YET.into())
    }
    async fn recreate(&self, _spec: &SlotSpec) -> OpsResult<()> {
        Err(NOT_YET.into())
    }
    async fn start(&self, _host: &str, _slot: &str) -> OpsResult<()> {
        Err(NOT_YET.into())
    }
    async fn stop(&self, _host: &str, _slot: &str, _grace: Duration) -> OpsResult<()> {
        Err(NOT_YET.into())
    }
    async fn remove(&self, _host: &str, _slot: &str) -> OpsResult<()> {
        Err(NOT_YET.into())
    }
    async fn verdict(&self, _host: &str, _slot: &str) -> Option<String> {
        Some(NOT_YET.into())
    }
    async fn list_slots(&self, _host: &str) -> BackendResult<Vec<ContainerInfo>> {
        Err(crate::BackendError::Other { system: "swarm", reason: NOT_YET.into() })
    }
    fn follow(&self, _host: &str, _reconcile: Duration) -> BoxStream<'static, SlotNews> {
        Box::pin(futures::stream::once(async {
            SlotNews::Snapshot(Err(crate::BackendError::Other { system: "swarm", reason: NOT_YET.into() }))
        }))
    }
    async fn inspect(&self, _host: &str, _slot: &str) -> BackendResult<ContainerDetail> {
        Err(crate::BackendError::Other { system: "swarm", reason: NOT_YET.into() })
    }
    async fn log_session(&self, _host: &str) -> BackendResult<Box<dyn LogSession>> {
        Err(crate::BackendError::Other { system: "swarm", reason: NOT_YET.into() })
    }
}
