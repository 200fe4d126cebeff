//! A slot's logs and detail on a swarm: the logs of all its tasks through the manager (Swarm
//! gathers them from the nodes), and one task's container in detail when it runs on the
//! manager's own engine (the only engine opsdeck reaches).

use super::read::one;
use super::tasks::{current, runs, wanted};
use super::{service_name, SYSTEM};
use crate::docker::logs::{follow_options, lines_of, LogLine, Start};
use crate::docker::{connect, docker_error, DockerEndpoint};
use crate::error::{with_timeout, BackendError, BackendResult};
use crate::platform::LogSession;
use crate::types::ContainerDetail;
use bollard::models::Task;
use bollard::Docker;
use futures::stream::BoxStream;
use std::time::Duration;

/// The manager's connection for following services' logs.
pub(super) struct ServiceLogs {
    pub(super) docker: Docker,
    pub(super) timeout: Duration,
}

#[async_trait::async_trait]
impl LogSession for ServiceLogs {
    async fn running(&self, slot: &str) -> BackendResult<Option<bool>> {
        let Some(p) = one(&self.docker, service_name(slot), self.timeout).await? else { return Ok(None) };
        let id = p.services.first().and_then(|s| s.id.clone()).unwrap_or_default();
        Ok(Some(current(&p.tasks, &id).values().any(|t| wanted(t) && runs(t, &p.nodes))))
    }

    fn follow(&self, slot: &str, start: Start) -> BoxStream<'static, BackendResult<Vec<LogLine>>> {
        let frames = self.docker.clone().service_logs(service_name(slot), Some(follow_options(start)));
        Box::pin(lines_of(frames))
    }
}

/// One task (by id, or as `<service>.<n>`; a service name means its first running task) and its
/// container, inspected on the manager's engine.
pub(super) async fn inspect(endpoint: &DockerEndpoint, slot: &str) -> BackendResult<ContainerDetail> {
    let docker = connect(endpoint).await?;
    let timeout = endpoint.timeout;
    let task = find_task(&docker, slot, timeout).await?;
    let task_name = task.id.as_deref().unwrap_or(slot).to_string();
    let container = task.status.as_ref().and_then(|s| s.container_status.as_ref()).and_then(|c| c.container_id.clone());
    let Some(container) = container.filter(|c| !c.is_empty()) else {
        return Err(other(format!("task {task_name} of {slot} has no container (not started yet)")));
    };
    let info = with_timeout(SYSTEM, timeout, async { docker.info().await.map_err(|e| docker_error(&e)) }).await?;
    let here = info.swarm.and_then(|s| s.node_id).unwrap_or_default();
    if task.node_id.as_deref() != Some(here.as_str()) {
        let node = task.node_id.unwrap_or_default();
        return Err(other(format!(
            "{slot} runs on node {node}, not on the manager: opsdeck reaches only the manager's engine"
        )));
    }
    crate::docker::inspect::inspect(&docker, &container, timeout).await
}

async fn find_task(docker: &Docker, slot: &str, timeout: Duration) -> BackendResult<Task> {
    let by_id = with_timeout(SYSTEM, timeout, async {
        match docker.inspect_task(slot).await {
            Ok(task) => Ok(Some(task)),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await?;
    if let Some(task) = by_id {
        return Ok(task);
    }
    let service = service_name(slot);
    let number = slot.strip_prefix(service).and_then(|n| n.strip_prefix('.')).and_then(|n| n.parse::<i64>().ok());
    let Some(p) = one(docker, service, timeout).await? else {
        return Err(other(format!("no task or service {slot}")));
    };
    let id = p.services.first().and_then(|s| s.id.clone()).unwrap_or_default();
    let tasks = current(&p.tasks, &id);
    let found = match number {
        Some(n) => tasks.get(&n).copied(),
        None => tasks.values().find(|t| runs(t, &p.nodes)).or_else(|| tasks.values().next()).copied(),
    };
    found.cloned().ok_or_else(|| other(format!("{slot}: no task (the service runs none)")))
}

fn other(reason: String) -> BackendError {
    BackendError::Other { system: SYSTEM, reason }
}
