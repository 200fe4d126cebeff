//! The seam between the action executor and the outside world: everything a promote or rollback
//! does to a host, a load balancer or a slot, as one trait. [`super::real_ops::RealOps`] does it
//! with Docker, HAProxy and `/health`; tests use fakes with paused time.

use opsdeck_backends::alertmanager::NewSilence;
use opsdeck_backends::types::AdminState;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// What a slot container is made from.
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
    /// Host port the slot publishes (HAProxy's server for this slot points at it).
    pub host_port: u16,
    /// Never written to the journal (values may be secret): filled from the config when a plan
    /// is read back.
    #[serde(skip)]
    pub env_vars: BTreeMap<String, String>,
}

impl SlotSpec {
    /// `<service>-<env>-<slot>`: the container's name.
    pub fn container_name(&self) -> String {
        format!("{}-{}-{}", self.service, self.env, self.slot)
    }
}

/// A slot's health as the executor judges it: both Docker's HEALTHCHECK (when the image has
/// one) and `/health` must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotHealth {
    pub healthy: bool,
    /// Why not, in one line (HTTP status, body excerpt, Docker's verdict).
    pub reason: String,
}

/// One HAProxy server as the executor reads it: whether its checks pass, its sessions, and the
/// request and 5xx counters for the watch window's error rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerCounters {
    /// `show stat` says UP (or `no check`): it takes traffic once ready.
    pub up: bool,
    pub requests: u64,
    pub errors_5xx: u64,
    pub current_sessions: u64,
}

/// Errors from [`SlotOps`]: a line for the operator.
pub type OpsResult<T> = Result<T, String>;

/// Everything an action does outside the process. Each call is bounded by the implementation's
/// own timeouts; the executor adds a deadline per step on top.
pub trait SlotOps: Send + Sync + 'static {
    /// Whether the host already has `image` (no pull needed).
    fn has_image(&self, host: &str, image: &str) -> impl Future<Output = OpsResult<bool>> + Send;
    /// Pulls `image` onto `host` from the registry.
    fn pull(&self, host: &str, image: &str) -> impl Future<Output = OpsResult<()>> + Send;
    /// The digest of the image the slot container on `host` was made from (None: no container).
    fn slot_digest(&self, host: &str, container: &str) -> impl Future<Output = OpsResult<Option<String>>> + Send;
    /// Whether the slot container is running.
    fn is_running(&self, host: &str, container: &str) -> impl Future<Output = OpsResult<bool>> + Send;
    /// Removes the slot container if there is one, and creates it anew from `spec` (not started).
    fn recreate(&self, spec: &SlotSpec) -> impl Future<Output = OpsResult<()>> + Send;
    fn start(&self, host: &str, container: &str) -> impl Future<Output = OpsResult<()>> + Send;
    /// SIGTERM, then kill after `grace`.
    fn stop(&self, host: &str, container: &str, grace: Duration) -> impl Future<Output = OpsResult<()>> + Send;
    fn remove(&self, host: &str, container: &str) -> impl Future<Output = OpsResult<()>> + Send;
    /// One health check of the slot (Docker health and `/health` on `host_port`).
    fn health(&self, spec: &SlotSpec) -> impl Future<Output = SlotHealth> + Send;
    /// Sets a server's administrative state in the environment's HAProxy.
    fn set_server(
        &self,
        env: &str,
        backend: &str,
        server: &str,
        state: AdminState,
    ) -> impl Future<Output = OpsResult<()>> + Send;
    fn counters(
        &self,
        env: &str,
        backend: &str,
        server: &str,
    ) -> impl Future<Output = OpsResult<ServerCounters>> + Send;
    fn shutdown_sessions(&self, env: &str, backend: &str, server: &str) -> impl Future<Output = OpsResult<()>> + Send;
    /// Creates a silence in the config's Alertmanager; returns its id. Without an Alertmanager
    /// (the default) it says so.
    fn create_silence(&self, silence: &NewSilence) -> impl Future<Output = OpsResult<String>> + Send {
        let _ = silence;
        std::future::ready(Err(NO_ALERTMANAGER.to_string()))
    }
    /// Expires the silence `id` now.
    fn expire_silence(&self, id: &str) -> impl Future<Output = OpsResult<()>> + Send {
        let _ = id;
        std::future::ready(Err(NO_ALERTMANAGER.to_string()))
    }
}

/// Why a silence cannot be set: the config names no Alertmanager.
pub const NO_ALERTMANAGER: &str = "the config names no Alertmanager";
