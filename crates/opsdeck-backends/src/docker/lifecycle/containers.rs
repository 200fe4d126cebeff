//! Slot containers: create, start, stop, remove, and list by label.

use super::{bounded, is_not_found};
use crate::docker::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendResult};
use crate::types::{ContainerInfo, DockerHealth};
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A slot container to create.
#[derive(Debug, Clone)]
pub struct SlotSpec {
    /// `<service>-<env>-<slot>`.
    pub name: String,
    /// Full image reference.
    pub image: String,
    pub labels: BTreeMap<String, String>,
    /// Values may be secrets: they go to Docker and nowhere else (not into errors or logs).
    pub env: BTreeMap<String, String>,
    pub container_port: u16,
    /// Published on `host_ip:host_port`.
    pub host_port: u16,
    /// `127.0.0.1` unless the service must be reached from another machine.
    pub host_ip: String,
}

/// Creates (does not start) a slot container; returns its id. Restart policy `no`: opsdeck, not
/// Docker, decides when a slot runs.
pub async fn create_container(docker: &Docker, spec: &SlotSpec, timeout: Duration) -> BackendResult<String> {
    let docker = bounded(docker, timeout);
    let port_key = format!("{}/tcp", spec.container_port);
    let bindings = HashMap::from([(
        port_key.clone(),
        Some(vec![PortBinding { host_ip: Some(spec.host_ip.clone()), host_port: Some(spec.host_port.to_string()) }]),
    )]);
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        exposed_ports: Some(vec![port_key]),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            restart_policy: Some(RestartPolicy { name: Some(RestartPolicyNameEnum::NO), maximum_retry_count: None }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&spec.name).build();
    with_timeout(SYSTEM, timeout, async {
        let created = docker.create_container(Some(options), body).await.map_err(|e| docker_error(&e))?;
        Ok(created.id)
    })
    .await
}

/// Starts a container; one already running is left as it is.
pub async fn start_container(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async { docker.start_container(name, None).await.map_err(|e| docker_error(&e)) })
        .await
}

/// Stops a container: SIGTERM, then SIGKILL after `grace`. One already stopped is left as it
/// is. `timeout` bounds the whole call and should exceed `grace`.
pub async fn stop_container(docker: &Docker, name: &str, grace: Duration, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    let grace_secs = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
    with_timeout(SYSTEM, timeout, async {
        let options = StopContainerOptionsBuilder::default().t(grace_secs).build();
        docker.stop_container(name, Some(options)).await.map_err(|e| docker_error(&e))
    })
    .await
}

/// Removes a container, running or not. One that does not exist is not an error.
pub async fn remove_container(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match docker.remove_container(name, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// Every container, running or not, carrying all of `labels`: `("opsdeck.demo", Some(dir))`
/// matches the value, `("opsdeck.service", None)` only the key; no labels, every container.
pub async fn list_containers_by_label(
    docker: &Docker,
    labels: &[(&str, Option<&str>)],
    timeout: Duration,
) -> BackendResult<Vec<ContainerInfo>> {
    let docker = bounded(docker, timeout);
    let filter: Vec<String> = labels
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => (*k).to_string(),
        })
        .collect();
    let mut options = ListContainersOptionsBuilder::default().all(true);
    // No labels: every container (an empty filter list is not something to rely on).
    if !filter.is_empty() {
        options = options.filters(&HashMap::from([("label".to_string(), filter)]));
    }
    let options = options.build();
    with_timeout(SYSTEM, timeout, async {
        let found = docker.list_containers(Some(options)).await.map_err(|e| docker_error(&e))?;
        Ok(found.into_iter().map(container_info).collect())
    })
    .await
}

fn container_info(c: bollard::models::ContainerSummary) -> ContainerInfo {
    let status = c.status.unwrap_or_default();
    let ports = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.public_port.map(|public| (p.private_port, public)))
        .collect();
    ContainerInfo {
        id: c.id.unwrap_or_default(),
        name: c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string(),
        labels: c.labels.unwrap_or_default().into_iter().collect(),
        image: c.image.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        health: health_in_status(&status),
        status,
        ports,
        created: c.created.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
    }
}

/// API 1.41 lists no health field; the status text carries it (`Up 3 minutes (healthy)`).
fn health_in_status(status: &str) -> DockerHealth {
    if !status.starts_with("Up") {
        DockerHealth::None
    } else if status.contains("(healthy)") {
        DockerHealth::Healthy
    } else if status.contains("(unhealthy)") {
        DockerHealth::Unhealthy
    } else if status.contains("(health: starting)") {
        DockerHealth::Starting
    } else {
        DockerHealth::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_from_the_status_text() {
        assert_eq!(health_in_status("Up 3 minutes (healthy)"), DockerHealth::Healthy);
        assert_eq!(health_in_status("Up 1 second (health: starting)"), DockerHealth::Starting);
        assert_eq!(health_in_status("Up 2 hours (unhealthy)"), DockerHealth::Unhealthy);
        assert_eq!(health_in_status("Exited (0) 5 seconds ago"), DockerHealth::None);
    }
}
