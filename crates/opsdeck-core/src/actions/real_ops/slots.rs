//! The slot calls of [`RealOps`]: images, containers and their health, on the environment's
//! Docker hosts.

use super::*;

/// The calls themselves; [`SlotOps`] masks what they hand back.
impl RealOps {
    pub(super) async fn raw_has_image(&self, host: &str, image: &str) -> OpsResult<bool> {
        let (_, client) = self.docker(host).await?;
        let found =
            lifecycle::local_image(client, image, self.read_timeout()).await.map_err(|e| format!("{host}: {e}"))?;
        Ok(found.is_some())
    }

    pub(super) async fn raw_pull(&self, host: &str, image: &str) -> OpsResult<()> {
        let (_, client) = self.docker(host).await?;
        lifecycle::pull_image(client, image, self.pull_timeout).await.map_err(|e| format!("{host}: {e}"))
    }

    pub(super) async fn raw_slot_digest(&self, host: &str, container: &str) -> OpsResult<Option<String>> {
        let found = self.inspect(host, container).await?;
        Ok(found
            .map(|c| c.config.and_then(|c| c.labels).and_then(|l| l.get(labels::DIGEST).cloned()).unwrap_or_default()))
    }

    pub(super) async fn raw_is_running(&self, host: &str, container: &str) -> OpsResult<bool> {
        let found = self.inspect(host, container).await?;
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
        lifecycle::remove_container(client, &name, self.change_timeout())
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
        lifecycle::create_container(client, &create, self.change_timeout())
            .await
            .map(|_| ())
            .map_err(|e| format!("{host}: create {name} from {}: {e}", spec.image))
    }

    pub(super) async fn raw_start(&self, host: &str, container: &str) -> OpsResult<()> {
        let (_, client) = self.docker(host).await?;
        lifecycle::start_container(client, container, self.change_timeout())
            .await
            .map_err(|e| format!("{host}: start {container}: {e}"))
    }

    pub(super) async fn raw_stop(&self, host: &str, container: &str, grace: Duration) -> OpsResult<()> {
        let (_, client) = self.docker(host).await?;
        match lifecycle::stop_container(client, container, grace, grace + self.change_timeout()).await {
            Ok(()) => Ok(()),
            // Nothing to stop is what was asked for.
            Err(opsdeck_backends::error::BackendError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(format!("{host}: stop {container}: {e}")),
        }
    }

    pub(super) async fn raw_remove(&self, host: &str, container: &str) -> OpsResult<()> {
        let (_, client) = self.docker(host).await?;
        let found = self.foreign_labels(host, container).await?;
        self.keep_labels(host, container, found);
        lifecycle::remove_container(client, container, self.change_timeout())
            .await
            .map_err(|e| format!("{host}: remove {container}: {e}"))
    }

    pub(super) async fn raw_health(&self, spec: &SlotSpec) -> SlotHealth {
        let url = match self.health_url(spec) {
            Ok(url) => url,
            Err(reason) => return SlotHealth { healthy: false, reason },
        };
        let (report, docker) = tokio::join!(self.prober.probe(&url), self.docker_verdict(spec));
        let http = match report.verdict {
            HealthVerdict::Healthy => None,
            _ if report.reason.is_empty() => Some(format!("{url}: unhealthy")),
            _ => Some(format!("{url}: {}", report.reason)),
        };
        match (http, docker) {
            (None, None) => SlotHealth { healthy: true, reason: String::new() },
            (Some(h), None) => SlotHealth { healthy: false, reason: h },
            (None, Some(d)) => SlotHealth { healthy: false, reason: d },
            (Some(h), Some(d)) => SlotHealth { healthy: false, reason: format!("{h}; {d}") },
        }
    }
}
