//! Reading an engine's opsdeck slots: one list call for the whole picture, one filtered list call
//! for the containers that changed, and the events stream that says which did (only the events
//! that change what opsdeck shows: an idle engine's HEALTHCHECK execs are not followed). Nothing
//! here polls per container, so an idle engine stays idle.

use super::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendResult};
use crate::types::{labels, ContainerInfo, DockerEvent, DockerHealth};
use bollard::models::{ContainerSummary, ContainerSummaryHealthStatusEnum};
use bollard::query_parameters::{EventsOptionsBuilder, ListContainersOptionsBuilder};
use bollard::Docker;
use futures::{Stream, StreamExt};
use std::collections::HashMap;
use std::time::Duration;

/// Every container (running or not) that carries the `opsdeck.service` label.
pub async fn list_slots(docker: &Docker, timeout: Duration) -> BackendResult<Vec<ContainerInfo>> {
    list(docker, timeout, HashMap::from([("label", vec![labels::SERVICE.to_string()])])).await
}

/// Whether the container named `name` runs: `None` when there is no such container.
pub async fn running(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<Option<bool>> {
    with_timeout(SYSTEM, timeout, async {
        match docker.inspect_container(name, None).await {
            Ok(c) => Ok(Some(c.state.and_then(|s| s.running).unwrap_or(false))),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// One container by id, or `None` when it no longer exists.
pub async fn slot(docker: &Docker, id: &str, timeout: Duration) -> BackendResult<Option<ContainerInfo>> {
    Ok(slots(docker, &[id.to_string()], timeout).await?.into_iter().next())
}

/// Some containers by id, in one list call; those missing no longer exist.
pub async fn slots(docker: &Docker, ids: &[String], timeout: Duration) -> BackendResult<Vec<ContainerInfo>> {
    let found = list(docker, timeout, HashMap::from([("id", ids.to_vec())])).await?;
    Ok(found.into_iter().filter(|c| ids.contains(&c.id)).collect())
}

/// The container events that change what opsdeck shows of a slot. Not `exec_*`: every
/// HEALTHCHECK run is an exec (three events each), and following them made an idle console list
/// containers all day. `health_status` comes only when the status changes.
pub const WATCHED_EVENTS: [&str; 12] = [
    "create",
    "start",
    "restart",
    "die",
    "kill",
    "oom",
    "stop",
    "pause",
    "unpause",
    "destroy",
    "rename",
    "health_status",
];

/// What a `health_status: healthy` (or `unhealthy`, `starting`) event says, on its own.
pub fn health_of(action: &str) -> Option<DockerHealth> {
    match action.strip_prefix("health_status:")?.trim() {
        "healthy" => Some(DockerHealth::Healthy),
        "unhealthy" => Some(DockerHealth::Unhealthy),
        "starting" => Some(DockerHealth::Starting),
        _ => None,
    }
}

async fn list(
    docker: &Docker,
    timeout: Duration,
    filters: HashMap<&str, Vec<String>>,
) -> BackendResult<Vec<ContainerInfo>> {
    let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
    with_timeout(SYSTEM, timeout, async {
        let list = docker.list_containers(Some(options)).await.map_err(|e| docker_error(&e))?;
        Ok(list.into_iter().filter_map(from_summary).collect())
    })
    .await
}

/// Container events for opsdeck's slots, as they happen. The stream ends (or yields an error)
/// when the engine goes away; the caller reconnects and reconciles.
pub fn slot_events(docker: &Docker) -> impl Stream<Item = BackendResult<DockerEvent>> + Send + 'static {
    let filters = HashMap::from([
        ("type", vec!["container".to_string()]),
        ("label", vec![labels::SERVICE.to_string()]),
        ("event", WATCHED_EVENTS.iter().map(|e| e.to_string()).collect()),
    ]);
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    docker.events(Some(options)).filter_map(|event| async move {
        match event {
            Ok(e) => {
                let id = e.actor.and_then(|a| a.id)?;
                Some(Ok(DockerEvent::Container { id, action: e.action.unwrap_or_default() }))
            }
            Err(e) => Some(Err(docker_error(&e))),
        }
    })
}

/// Checks that the engine answers at all.
pub async fn ping(docker: &Docker, timeout: Duration) -> BackendResult<()> {
    with_timeout(SYSTEM, timeout, async { docker.ping().await.map(|_| ()).map_err(|e| docker_error(&e)) }).await
}

fn from_summary(c: ContainerSummary) -> Option<ContainerInfo> {
    let id = c.id?;
    let status = c.status.unwrap_or_default();
    let health = match c.health.and_then(|h| h.status) {
        Some(ContainerSummaryHealthStatusEnum::HEALTHY) => DockerHealth::Healthy,
        Some(ContainerSummaryHealthStatusEnum::UNHEALTHY) => DockerHealth::Unhealthy,
        Some(ContainerSummaryHealthStatusEnum::STARTING) => DockerHealth::Starting,
        // Engines before API 1.52 put health only in the status text.
        _ => health_from_status(&status),
    };
    let ports =
        c.ports.unwrap_or_default().into_iter().filter_map(|p| Some((p.private_port, p.public_port?))).collect();
    let name = c.names.unwrap_or_default().into_iter().next().unwrap_or_default();
    Some(ContainerInfo {
        id,
        name: name.trim_start_matches('/').to_string(),
        labels: c.labels.unwrap_or_default().into_iter().collect(),
        image: c.image.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        status,
        health,
        ports,
        created: c.created.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
    })
}

/// `Up 3 minutes (healthy)` -> healthy; `(health: starting)` -> starting.
fn health_from_status(status: &str) -> DockerHealth {
    if status.contains("(healthy)") {
        DockerHealth::Healthy
    } else if status.contains("(unhealthy)") {
        DockerHealth::Unhealthy
    } else if status.contains("health: starting") {
        DockerHealth::Starting
    } else {
        DockerHealth::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_from_old_engines_status_text() {
        assert_eq!(health_from_status("Up 3 minutes (healthy)"), DockerHealth::Healthy);
        assert_eq!(health_from_status("Up 1 second (health: starting)"), DockerHealth::Starting);
        assert_eq!(health_from_status("Up 9 minutes (unhealthy)"), DockerHealth::Unhealthy);
        assert_eq!(health_from_status("Exited (0) 2 hours ago"), DockerHealth::None);
    }

    #[test]
    fn health_events_say_the_status_and_execs_are_not_followed() {
        assert_eq!(health_of("health_status: healthy"), Some(DockerHealth::Healthy));
        assert_eq!(health_of("health_status: unhealthy"), Some(DockerHealth::Unhealthy));
        assert_eq!(health_of("health_status: starting"), Some(DockerHealth::Starting));
        assert_eq!(health_of("health_status: bogus"), None);
        assert_eq!(health_of("start"), None);
        assert!(!WATCHED_EVENTS.iter().any(|e| e.starts_with("exec")), "a HEALTHCHECK run is three exec events");
        for needed in ["start", "die", "destroy", "health_status", "rename", "create"] {
            assert!(WATCHED_EVENTS.contains(&needed), "{needed}");
        }
    }

    #[test]
    fn a_summary_becomes_a_slot() {
        let json = r#"{"Id":"abc","Names":["/api-prod-blue"],"Image":"127.0.0.1:5000/api:v1.2.0",
            "State":"running","Status":"Up 2 minutes (healthy)","Created":1700000000,
            "Ports":[{"IP":"127.0.0.1","PrivatePort":8080,"PublicPort":41000,"Type":"tcp"},{"PrivatePort":9000,"Type":"tcp"}],
            "Labels":{"opsdeck.service":"api","opsdeck.slot":"blue"}}"#;
        let summary: ContainerSummary = serde_json::from_str(json).expect("fixture");
        let c = from_summary(summary).expect("has id");
        assert_eq!(c.name, "api-prod-blue");
        assert_eq!(c.state, "running");
        assert_eq!(c.health, DockerHealth::Healthy);
        assert_eq!(c.ports.get(&8080), Some(&41000));
        assert_eq!(c.ports.len(), 1);
        assert_eq!(c.label(labels::SLOT), Some("blue"));
    }
}
