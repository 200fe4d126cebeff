//! One container's `docker inspect`, on demand (the detail overlay): its own task, bounded by
//! the engine timeout for each call, so a dead host answers with an error, never a hang.

use super::MsgTx;
use crate::config::Config;
use crate::model::HostId;
use crate::msg::Msg;
use opsdeck_backends::docker::{connect, inspect::inspect};
use opsdeck_backends::BackendError;
use std::sync::Arc;

/// Inspects `container_id` (an id or a name) on `host` and sends [`Msg::ContainerDetail`].
pub fn spawn_inspect(config: &Arc<Config>, host: HostId, container_id: String, tx: &MsgTx) {
    let found = config.environment(&host.env).and_then(|e| e.hosts.iter().find(|h| h.name == host.host));
    let Some(host_config) = found else {
        let e = BackendError::Other { system: "docker", reason: format!("no host {} in {}", host.host, host.env) };
        let _ = tx.send(Msg::ContainerDetail(container_id, Err(e)));
        return;
    };
    let timeout = config.timeouts.docker;
    let endpoint = super::docker::endpoint(host_config, timeout);
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = match connect(&endpoint).await {
            Ok(docker) => inspect(&docker, &container_id, timeout).await.map(Box::new),
            Err(e) => Err(e),
        };
        let _ = tx.send(Msg::ContainerDetail(container_id, result));
    });
}
