//! The traffic switch in front of an environment's slots: which servers take traffic, and what
//! they have served.

use super::OpsResult;
use crate::types::{AdminState, ServerStat};
use crate::BackendResult;

/// One server as an action reads it: whether its checks pass, its sessions, and the request and
/// 5xx counters for an error rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerCounters {
    /// The switch says UP with nothing pending (or that it does not check): it takes traffic once
    /// ready, and one failed check does not take it out (HAProxy's `UP`, not `UP 1/2`).
    pub up: bool,
    pub requests: u64,
    pub errors_5xx: u64,
    pub current_sessions: u64,
}

/// One environment's traffic switch (HAProxy today). Servers are addressed by backend and name.
#[async_trait::async_trait]
pub trait TrafficSwitch: Send + Sync + std::fmt::Debug {
    /// Sets a server's administrative state.
    async fn set_server(&self, backend: &str, server: &str, state: AdminState) -> OpsResult<()>;
    /// One server's state and counters, read at one instant.
    async fn counters(&self, backend: &str, server: &str) -> OpsResult<ServerCounters>;
    /// Tells the switch a server is healthy (opsdeck has just seen it so), so that it takes
    /// traffic without waiting for the switch's own next check. A switch without checks of its
    /// own needs nothing.
    async fn mark_up(&self, _backend: &str, _server: &str) -> OpsResult<()> {
        Ok(())
    }
    /// Sets a server's weight for a canary's stage: its slot's share of the traffic, `percent`
    /// (the stable slot's servers get `100 - percent`); 100 gives it its configured weight back. A
    /// switch that cannot weigh traffic cannot run a canary.
    async fn set_share(&self, _backend: &str, _server: &str, _percent: u8) -> OpsResult<()> {
        Err("this traffic switch cannot weigh traffic (a canary needs weights)".into())
    }
    /// Points a server at `address:port` (a replica that moved: servers follow a platform's
    /// replicas, see [`super::Platform::slot_endpoints`]).
    async fn set_address(&self, _backend: &str, _server: &str, _address: &str, _port: u16) -> OpsResult<()> {
        Err("this traffic switch cannot readdress servers (replicated slots need it)".into())
    }
    /// Sets a server's weight as an absolute number (a server taking a replica's place gets the
    /// weight its slot's other servers have).
    async fn set_weight(&self, _backend: &str, _server: &str, _weight: u32) -> OpsResult<()> {
        Err("this traffic switch cannot weigh traffic".into())
    }
    /// Readies a server so that it takes traffic only once a check of it passes: the switch's
    /// own, or opsdeck's ([`Self::mark_up`]). For a server just pointed at a replica that may
    /// not answer yet. A switch without checks of its own readies it as [`Self::set_server`] does.
    async fn ready_when_checked(&self, backend: &str, server: &str) -> OpsResult<()> {
        self.set_server(backend, server, AdminState::Ready).await
    }
    /// Closes the sessions still open on a server.
    async fn shutdown_sessions(&self, backend: &str, server: &str) -> OpsResult<()>;
    /// Every server of every backend, for the screen.
    async fn servers(&self) -> BackendResult<Vec<ServerStat>>;
}
