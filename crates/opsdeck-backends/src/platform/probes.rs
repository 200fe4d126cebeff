//! The small seams: a slot's `/health`, the alert manager's silences and alerts, and what the
//! image registry knows.

use crate::alertmanager::{NewAlert, NewSilence};
use crate::types::{Alert, HealthReport, Silence};
use crate::BackendResult;

/// Probes a `/health` URL; always ends in a report (an unreachable slot is a verdict, not an
/// error), within the implementation's timeout.
#[async_trait::async_trait]
pub trait HealthProbe: Send + Sync + std::fmt::Debug {
    async fn probe(&self, url: &str) -> HealthReport;
}

/// The alert manager (Alertmanager's v2 API today).
#[async_trait::async_trait]
pub trait Alerts: Send + Sync + std::fmt::Debug {
    async fn alerts(&self) -> BackendResult<Vec<Alert>>;
    async fn silences(&self) -> BackendResult<Vec<Silence>>;
    /// Creates a silence; returns its id.
    async fn create_silence(&self, silence: &NewSilence) -> BackendResult<String>;
    /// Expires the silence `id` now.
    async fn expire_silence(&self, id: &str) -> BackendResult<()>;
    /// Posts an alert (firing from its `startsAt` to its `endsAt`). An alert manager that takes
    /// none accepts it and does nothing.
    async fn post_alert(&self, _alert: &NewAlert) -> BackendResult<()> {
        Ok(())
    }
}

/// The image registry, as actions ask it (the OCI Distribution API today).
#[async_trait::async_trait]
pub trait Images: Send + Sync + std::fmt::Debug {
    /// The digest `reference` (a tag, or a digest) names in `repo`; an error when the registry
    /// does not know it or cannot be asked.
    async fn digest_of(&self, repo: &str, reference: &str) -> BackendResult<String>;
}
