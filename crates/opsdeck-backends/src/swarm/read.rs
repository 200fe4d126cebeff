//! Reading a swarm through its manager: opsdeck's services, their tasks and the nodes, each call
//! within the endpoint's timeout.

use super::SYSTEM;
use crate::docker::docker_error;
use crate::error::{with_timeout, BackendResult};
use crate::types::labels;
use bollard::models::{Node, Service, Task};
use bollard::query_parameters::{ListNodesOptions, ListServicesOptionsBuilder, ListTasksOptionsBuilder};
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;

/// What the manager says about opsdeck's services, in one go.
#[derive(Debug, Clone, Default)]
pub(super) struct Picture {
    pub services: Vec<Service>,
    /// Every task of those services, shut-down ones included (Swarm keeps a few per slot).
    pub tasks: Vec<Task>,
    pub nodes: Vec<Node>,
}

/// Every service carrying the `opsdeck.service` label, their tasks and the nodes.
pub(super) async fn picture(docker: &Docker, timeout: Duration) -> BackendResult<Picture> {
    let filters = HashMap::from([("label", vec![labels::SERVICE.to_string()])]);
    let options = ListServicesOptionsBuilder::default().filters(&filters).build();
    let services = with_timeout(SYSTEM, timeout, async {
        docker.list_services(Some(options)).await.map_err(|e| docker_error(&e))
    })
    .await?;
    if services.is_empty() {
        return Ok(Picture::default());
    }
    let ids: Vec<String> = services.iter().filter_map(|s| s.id.clone()).collect();
    let (tasks, nodes) = tokio::join!(tasks(docker, &ids, timeout), nodes(docker, timeout));
    Ok(Picture { services, tasks: tasks?, nodes: nodes? })
}

/// One service and what it needs to be judged: its tasks and the nodes (None: no such service).
pub(super) async fn one(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<Option<Picture>> {
    let Some(service) = service(docker, name, timeout).await? else {
        return Ok(None);
    };
    let ids: Vec<String> = service.id.iter().cloned().collect();
    let (tasks, nodes) = tokio::join!(tasks(docker, &ids, timeout), nodes(docker, timeout));
    Ok(Some(Picture { services: vec![service], tasks: tasks?, nodes: nodes? }))
}

/// The service named `name`, or None when there is none.
pub(super) async fn service(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<Option<Service>> {
    with_timeout(SYSTEM, timeout, async {
        match docker.inspect_service(name, None).await {
            Ok(service) => Ok(Some(service)),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// The tasks of the services with these ids (none asked: none).
pub(super) async fn tasks(docker: &Docker, service_ids: &[String], timeout: Duration) -> BackendResult<Vec<Task>> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    let filters = HashMap::from([("service", service_ids.to_vec())]);
    let options = ListTasksOptionsBuilder::default().filters(&filters).build();
    let listed =
        with_timeout(SYSTEM, timeout, async { docker.list_tasks(Some(options)).await.map_err(|e| docker_error(&e)) })
            .await?;
    // The manager resolves each value as a name or an id prefix: keep only those asked for.
    Ok(listed.into_iter().filter(|t| t.service_id.as_ref().is_some_and(|id| service_ids.contains(id))).collect())
}

pub(super) async fn nodes(docker: &Docker, timeout: Duration) -> BackendResult<Vec<Node>> {
    with_timeout(SYSTEM, timeout, async {
        docker.list_nodes(None::<ListNodesOptions>).await.map_err(|e| docker_error(&e))
    })
    .await
}
