//! Making an engine a swarm and leaving it again, and removing services by label: what a stack
//! that brings its own swarm (the demo, tests) does around opsdeck's platform.

use crate::docker::Client;
use crate::error::{BackendError, BackendResult};
use std::collections::HashMap;
use std::time::Duration;

const SYSTEM: &str = "swarm";

fn other(reason: String) -> BackendError {
    BackendError::Other { system: SYSTEM, reason }
}

async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> BackendResult<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(other(format!("{what}: {e}"))),
        Err(_) => Err(other(format!("{what}: no answer within {}s", limit.as_secs()))),
    }
}

/// Whether the engine is an active swarm member.
pub async fn is_member(docker: &Client, limit: Duration) -> BackendResult<bool> {
    let info = bounded(limit, "docker info", docker.info()).await?;
    let state = info.swarm.and_then(|s| s.local_node_state);
    Ok(matches!(state, Some(bollard::models::LocalNodeState::ACTIVE)))
}

/// `docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:<port>`: a single-node
/// swarm that listens on loopback only.
pub async fn init_local(docker: &Client, listen_port: u16, limit: Duration) -> BackendResult<()> {
    let request = bollard::models::SwarmInitRequest {
        listen_addr: Some(format!("127.0.0.1:{listen_port}")),
        advertise_addr: Some("127.0.0.1".into()),
        ..Default::default()
    };
    bounded(limit, "docker swarm init", docker.init_swarm(request)).await.map(|_| ())
}

/// `docker swarm leave --force`; an engine that is not a swarm member has left already.
pub async fn leave(docker: &Client, limit: Duration) -> BackendResult<()> {
    let options = bollard::query_parameters::LeaveSwarmOptions { force: true };
    match bounded(limit, "docker swarm leave", docker.leave_swarm(Some(options))).await {
        Err(e) if e.to_string().contains("not part of a swarm") => Ok(()),
        other => other,
    }
}

/// Removes every service with label `key=value`; returns their names.
pub async fn remove_labelled(docker: &Client, key: &str, value: &str, limit: Duration) -> BackendResult<Vec<String>> {
    if !is_member(docker, limit).await? {
        return Ok(Vec::new());
    }
    let options = bollard::query_parameters::ListServicesOptions {
        filters: Some(HashMap::from([("label".to_string(), vec![format!("{key}={value}")])])),
        status: None,
    };
    let services = bounded(limit, "docker service ls", docker.list_services(Some(options))).await?;
    let mut removed = Vec::new();
    for service in &services {
        let Some(name) = service.spec.as_ref().and_then(|s| s.name.as_deref()) else { continue };
        bounded(limit, &format!("docker service rm {name}"), docker.delete_service(name)).await?;
        removed.push(name.to_string());
    }
    Ok(removed)
}

/// The bridge Swarm makes for its tasks' host traffic on the first `swarm init` and leaves behind
/// after `swarm leave`.
pub const GWBRIDGE: &str = "docker_gwbridge";

/// Whether the engine has a network named `name`.
pub async fn has_network(docker: &Client, name: &str, limit: Duration) -> BackendResult<bool> {
    let found = tokio::time::timeout(
        limit,
        docker.inspect_network(name, None::<bollard::query_parameters::InspectNetworkOptions>),
    )
    .await;
    match found {
        Err(_) => Err(other(format!("docker network inspect {name}: no answer within {}s", limit.as_secs()))),
        Ok(Ok(_)) => Ok(true),
        Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => Ok(false),
        Ok(Err(e)) => Err(other(format!("docker network inspect {name}: {e}"))),
    }
}

/// Removes the network `name`; one that is not there is gone already.
pub async fn remove_network(docker: &Client, name: &str, limit: Duration) -> BackendResult<()> {
    match tokio::time::timeout(limit, docker.remove_network(name)).await {
        Err(_) => Err(other(format!("docker network rm {name}: no answer within {}s", limit.as_secs()))),
        Ok(Ok(())) | Ok(Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })) => Ok(()),
        Ok(Err(e)) => Err(other(format!("docker network rm {name}: {e}"))),
    }
}
