//! The seams between opsdeck's core and the systems it drives: what an environment's services run
//! on ([`Platform`]), the traffic switch in front of them ([`TrafficSwitch`]), the slots' `/health`
//! ([`HealthProbe`]) and the alert manager ([`Alerts`]). The core's executor and watchers see only
//! these traits; each real system implements one (Docker hosts in [`crate::docker::platform`],
//! HAProxy in [`crate::haproxy::switch`]), and tests implement them with fakes.
//!
//! The traits are object safe (through `async_trait`) because the config picks a platform per
//! environment at run time.

pub mod news;
mod probes;
mod traffic;

pub use probes::{Alerts, HealthProbe, Images};
pub use traffic::{ServerCounters, TrafficSwitch};

use crate::docker::logs::{LogLine, Start};
use crate::types::{ContainerDetail, ContainerInfo};
use crate::BackendResult;
use futures::stream::BoxStream;
use std::collections::BTreeMap;
use std::time::Duration;

/// Errors from an action's calls: a line for the operator.
pub type OpsResult<T> = Result<T, String>;

/// What a slot is made from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlotSpec {
    pub service: String,
    pub env: String,
    pub slot: String,
    pub host: String,
    /// Full image reference, `127.0.0.1:5000/api:v1.3.0`.
    pub image: String,
    pub digest: String,
    pub container_port: u16,
    /// Host port the slot publishes (the traffic switch's server for this slot points at it).
    pub host_port: u16,
    /// Never written to the journal (values may be secret): filled from the config when a plan
    /// is read back.
    #[serde(skip)]
    pub env_vars: BTreeMap<String, String>,
}

impl SlotSpec {
    /// `<service>-<env>-<slot>`: the slot's name on its platform.
    pub fn container_name(&self) -> String {
        format!("{}-{}-{}", self.service, self.env, self.slot)
    }
}

/// A slot's health as an action judges it: both the platform's own verdict (Docker's
/// HEALTHCHECK, when the image has one) and `/health` must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotHealth {
    pub healthy: bool,
    /// Why not, in one line (HTTP status, body excerpt, the platform's verdict).
    pub reason: String,
}

/// Where one replica of a slot answers, on a platform that runs a slot as several replicas at
/// addresses it picks itself (Swarm's tasks, each publishing a port of its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// The node's address, where the replica's published port answers.
    pub address: String,
    pub port: u16,
    /// The replica as the platform names it (`api-prod-blue.1 on node-1`), for messages.
    pub name: String,
}

/// What following one host's slots says.
#[derive(Debug)]
pub enum SlotNews {
    /// Every slot on the host (or why the host could not say).
    Snapshot(BackendResult<Vec<ContainerInfo>>),
    /// One slot changed.
    Changed(ContainerInfo),
    /// The slot with this id is gone.
    Removed(String),
}

/// What an environment's services run on: its hosts and the slots on them. Hosts are named as in
/// the config. The acting calls are bounded by the implementation's own timeouts (an action adds
/// a deadline per step on top); the watching calls open their own connections, so a watcher never
/// waits on an action's.
#[async_trait::async_trait]
pub trait Platform: Send + Sync + std::fmt::Debug {
    /// Where `host`'s published ports answer (the address `/health` is probed on).
    fn probe_address(&self, host: &str) -> OpsResult<String>;
    /// Whether `host` already has `image` (no pull needed).
    async fn has_image(&self, host: &str, image: &str) -> OpsResult<bool>;
    /// Pulls `image` onto `host` from the registry.
    async fn pull(&self, host: &str, image: &str) -> OpsResult<()>;
    /// The digest of the image the slot on `host` was made from (None: no such slot).
    async fn slot_digest(&self, host: &str, slot: &str) -> OpsResult<Option<String>>;
    /// Whether the slot runs.
    async fn is_running(&self, host: &str, slot: &str) -> OpsResult<bool>;
    /// Removes the slot if there is one, and creates it anew from `spec` (not started).
    async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()>;
    async fn start(&self, host: &str, slot: &str) -> OpsResult<()>;
    /// SIGTERM, then kill after `grace`. A slot that is not there is already stopped.
    async fn stop(&self, host: &str, slot: &str, grace: Duration) -> OpsResult<()>;
    async fn remove(&self, host: &str, slot: &str) -> OpsResult<()>;
    /// The platform's own verdict on a slot: None when it runs and its own check (if any)
    /// passes, else why not.
    async fn verdict(&self, host: &str, slot: &str) -> Option<String>;

    /// Every slot on `host`, once.
    async fn list_slots(&self, host: &str) -> BackendResult<Vec<ContainerInfo>>;
    /// `host`'s slots, followed: a snapshot first, then changes, a snapshot again every
    /// `reconcile` in case a change was missed, and a failed snapshot (retried with backoff) while
    /// the host cannot be reached. Ends when the stream is dropped.
    fn follow(&self, host: &str, reconcile: Duration) -> BoxStream<'static, SlotNews>;
    /// One slot (by id or name) in detail.
    async fn inspect(&self, host: &str, slot: &str) -> BackendResult<ContainerDetail>;
    /// A connection to `host` for following logs, kept between streams.
    async fn log_session(&self, host: &str) -> BackendResult<Box<dyn LogSession>>;

    /// Where the slot's running replicas answer, on a platform whose slots are several replicas
    /// at addresses it picks (Swarm): `Some`, and the traffic switch's servers of the slot follow
    /// these endpoints, and `/health` is probed on each. `None` (the default): the slot is one
    /// container on `host` publishing `SlotSpec::host_port`, its server fixed in the switch's
    /// configuration.
    async fn slot_endpoints(&self, _host: &str, _slot: &str) -> OpsResult<Option<Vec<Endpoint>>> {
        Ok(None)
    }
}

/// Logs of one host's slots.
#[async_trait::async_trait]
pub trait LogSession: Send + Sync {
    /// Whether the slot runs (None: there is no such slot).
    async fn running(&self, slot: &str) -> BackendResult<Option<bool>>;
    /// The slot's output from `start` on, as batches of complete lines; ends when the slot stops.
    fn follow(&self, slot: &str, start: Start) -> BoxStream<'static, BackendResult<Vec<LogLine>>>;
}
