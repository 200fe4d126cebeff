//! One container's detail, on demand (the detail overlay), through its environment's platform:
//! bounded by the engine timeout for each call, so a dead host answers with an error, never a
//! hang.

use crate::config::Config;
use crate::outside::platform_for;
use crate::world::HostId;
use opsdeck_backends::types::ContainerDetail;
use opsdeck_backends::BackendError;

/// Inspects `container_id` (an id or a name) on `host`.
pub async fn inspect_container(
    config: &Config,
    host: &HostId,
    container_id: &str,
) -> Result<Box<ContainerDetail>, BackendError> {
    let env = config.environment(&host.env).filter(|e| e.hosts.iter().any(|h| h.name == host.host));
    let Some(env) = env else {
        return Err(BackendError::Other { system: "docker", reason: format!("no host {} in {}", host.host, host.env) });
    };
    platform_for(config, env).inspect(&host.host, container_id).await.map(Box::new)
}
