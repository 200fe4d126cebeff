//! One container's `docker inspect`, on demand (the detail overlay): bounded by the engine
//! timeout for each call, so a dead host answers with an error, never a hang.

use crate::config::Config;
use crate::world::HostId;
use opsdeck_backends::docker::{connect, inspect::inspect};
use opsdeck_backends::types::ContainerDetail;
use opsdeck_backends::BackendError;

/// Inspects `container_id` (an id or a name) on `host`.
pub async fn inspect_container(
    config: &Config,
    host: &HostId,
    container_id: &str,
) -> Result<Box<ContainerDetail>, BackendError> {
    let found = config.environment(&host.env).and_then(|e| e.hosts.iter().find(|h| h.name == host.host));
    let Some(host_config) = found else {
        return Err(BackendError::Other { system: "docker", reason: format!("no host {} in {}", host.host, host.env) });
    };
    let timeout = config.timeouts.docker;
    let endpoint = super::docker::endpoint(host_config, timeout);
    let docker = connect(&endpoint).await?;
    inspect(&docker, container_id, timeout).await.map(Box::new)
}
