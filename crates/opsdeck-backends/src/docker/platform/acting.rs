//! What an action does to a Docker host: images, slot containers and their own health verdict.

use super::{DockerHosts, SlotSpec};
use crate::docker::lifecycle;
use crate::platform::OpsResult;
use crate::types::labels;
use bollard::models::HealthStatusEnum;
use std::collections::BTreeMap;
use std::time::Duration;

/// The labels opsdeck writes on a slot; every other label a slot carries (put there by whoever
/// set the slot up, e.g. `opsdeck.demo`) is kept when the slot is made anew.
pub(crate) const SLOT_LABELS: [&str; 5] = [labels::SERVICE, labels::ENV, labels::SLOT, labels::IMAGE, labels::DIGEST];

impl DockerHosts {
    pub(super) async fn raw_has_image(&self, host: &str, image: &str) -> OpsResult<bool> {
        let (engine, client) = self.docker(host).await?;
        let found = lifecycle::local_image(client, image, self.read_timeout(engine))
            .await
            .map_err(|e| format!("{host}: {e}"))?;
        Ok(found.is_some())
    }

    pub(super) async fn raw_pull(&self, host: &str, image: &str) -> OpsResult<()> {
        let (_, client) = self.docker(host).await?;
        // Credentials go only with pulls from the registry they are for.
        let auth = self.registry_auth.as_ref().filter(|(server, _)| image.starts_with(&format!("{server}/")));
        lifecycle::pull_image_as(client, image, self.pull_timeout, auth).await.map_err(|e| format!("{host}: {e}"))
    }

    pub(super) async fn raw_slot_digest(&self, host: &str, container: &str) -> OpsResult<Option<String>> {
        let found = self.inspect_raw(host, container).await?;
        Ok(found
            .map(|c| c.config.and_then(|c| c.labels).and_then(|l| l.get(labels::DIGEST).cloned()).unwrap_or_default()))
    }

    pub(super) async fn raw_is_running(&self, host: &str, container: &str) -> OpsResult<bool> {
        let found = self.inspect_raw(host, container).await?;
        Ok(found.and_then(|c| c.state).and_then(|s| s.running).unwrap_or(false))
    }

    pub(super) async fn raw_recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        let host = &spec.host;
        let name = spec.container_name();
        let (engine, client) = self.docker(host).await?;
        // Foreign labels of the container replaced here, or of the one removed before (undo).
        let mut extra = self.foreign_labels(host, &name).await?;
        if extra.is_empty() {
            extra = self.kept_labels(host, &name);
        }
        lifecycle::remove_container(client, &name, self.change_timeout(engine))
            .await
            .map_err(|e| format!("{host}: remove {name}: {e}"))?;
        let mut slot_labels = extra;
        slot_labels.extend([
            (labels::SERVICE.to_string(), spec.service.clone()),
            (labels::ENV.to_string(), spec.env.clone()),
            (labels::SLOT.to_string(), spec.slot.clone()),
            (labels::IMAGE.to_string(), spec.image.clone()),
            (labels::DIGEST.to_string(), spec.digest.clone()),
        ]);
        let create = lifecycle::SlotSpec {
            name: name.clone(),
            image: spec.image.clone(),
            labels: slot_labels,
            env: spec.env_vars.clone(),
            container_port: spec.container_port,
            host_port: spec.host_port,
            host_ip: engine.publish_ip.clone(),
        };
        lifecycle::create_container(client, &create, self.change_timeout(engine))
            .await
            .map(|_| ())
            .map_err(|e| format!("{host}: create {name} from {}: {e}", spec.image))
    }

    pub(super) async fn raw_start(&self, host: &str, container: &str) -> OpsResult<()> {
        let (engine, client) = self.docker(host).await?;
        lifecycle::start_container(client, container, self.change_timeout(engine))
            .await
            .map_err(|e| format!("{host}: start {container}: {e}"))
    }

    pub(super) async fn raw_stop(&self, host: &str, container: &str, grace: Duration) -> OpsResult<()> {
        let (engine, client) = self.docker(host).await?;
        match lifecycle::stop_container(client, container, grace, grace + self.change_timeout(engine)).await {
            Ok(()) => Ok(()),
            // Nothing to stop is what was asked for.
            Err(crate::error::BackendError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(format!("{host}: stop {container}: {e}")),
        }
    }

    pub(super) async fn raw_remove(&self, host: &str, container: &str) -> OpsResult<()> {
        let (engine, client) = self.docker(host).await?;
        let found = self.foreign_labels(host, container).await?;
        self.keep_labels(host, container, found);
        lifecycle::remove_container(client, container, self.change_timeout(engine))
            .await
            .map_err(|e| format!("{host}: remove {container}: {e}"))
    }

    /// Docker's HEALTHCHECK verdict and whether the container runs: None when it is fine (or has
    /// no HEALTHCHECK), else why not.
    pub(super) async fn raw_verdict(&self, host: &str, name: &str) -> Option<String> {
        let found = match self.inspect_raw(host, name).await {
            Ok(Some(found)) => found,
            Ok(None) => return Some(format!("no container {name}")),
            Err(e) => return Some(e),
        };
        let state = found.state.unwrap_or_default();
        if state.running != Some(true) {
            let word = state.status.map(|s| s.to_string()).unwrap_or_else(|| "not running".into());
            return Some(format!("container {word}"));
        }
        // A HEALTHCHECK that has not run yet (`starting`) does not hold a slot back: `/health`
        // is probed beside it, and waiting for the image's check interval is what made a cold
        // rollback take seconds. One that failed (`unhealthy`) does.
        match state.health.and_then(|h| h.status) {
            Some(HealthStatusEnum::UNHEALTHY) => Some("docker health: unhealthy".into()),
            _ => None,
        }
    }

    /// The container as the engine sees it, or None when there is none.
    async fn inspect_raw(
        &self,
        host: &str,
        container: &str,
    ) -> OpsResult<Option<bollard::models::ContainerInspectResponse>> {
        let (engine, client) = self.docker(host).await?;
        let limit = self.read_timeout(engine);
        match tokio::time::timeout(limit, client.inspect_container(container, None)).await {
            Err(_) => Err(format!("{host}: docker: inspect {container}: no answer within {}", secs(limit))),
            Ok(Ok(found)) => Ok(Some(found)),
            Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => Ok(None),
            Ok(Err(e)) => Err(format!("{host}: docker: inspect {container}: {}", bollard_reason(&e))),
        }
    }

    /// Labels on the container that opsdeck does not manage (empty when there is none).
    async fn foreign_labels(&self, host: &str, container: &str) -> OpsResult<BTreeMap<String, String>> {
        let found = self.inspect_raw(host, container).await?;
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
