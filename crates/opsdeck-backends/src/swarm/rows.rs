//! opsdeck's services as the slot rows the console lists: one row per slot number of each
//! service (the task standing for it), labelled with the node it runs on; a service running no
//! task at all (created, or stopped) is one row of its own, so its image stays in view.

use super::read::Picture;
use super::spec::{replicas_now, replicas_wanted, service_labels, swarm_busy};
use super::tasks::{current, error_of, has_container, last_failure, node_view, published, service_name, state, wanted};
use super::NODE_LABEL;
use crate::types::{ContainerInfo, DockerHealth};
use bollard::models::{Node, Service, Task, TaskState};
use std::collections::{BTreeMap, HashMap};

/// Every row of the picture, sorted by name (then id), so two pictures compare equal when
/// nothing changed.
pub(super) fn rows(picture: &Picture) -> Vec<ContainerInfo> {
    let mut out = Vec::new();
    for service in &picture.services {
        let Some(id) = service.id.as_deref() else { continue };
        let tasks = current(&picture.tasks, id);
        if tasks.is_empty() {
            out.push(service_row(service));
        }
        for (slot, task) in tasks {
            let failed = last_failure(&picture.tasks, id, slot);
            out.push(task_row(service, slot, task, failed, &picture.nodes));
        }
    }
    out.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    out
}

/// The service's labels opsdeck put there (its slot labels, the replica count).
fn opsdeck_labels(service: &Service) -> BTreeMap<String, String> {
    service_labels(service).filter(|(k, _)| k.starts_with("opsdeck.")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn service_image(service: &Service) -> String {
    let spec = service.spec.as_ref().and_then(|s| s.task_template.as_ref()).and_then(|t| t.container_spec.as_ref());
    spec.and_then(|c| c.image.clone()).unwrap_or_default()
}

fn task_row(service: &Service, slot: i64, task: &Task, failed: Option<&Task>, nodes: &[Node]) -> ContainerInfo {
    let mut labels = opsdeck_labels(service);
    let node = node_view(nodes, task);
    if let Some(n) = &node {
        labels.insert(NODE_LABEL.to_string(), n.hostname.to_string());
    }
    let task_state = state(task);
    let word = task_state.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into());
    let lost = node.as_ref().is_some_and(|n| n.lost);
    let health = match task_state {
        Some(TaskState::RUNNING) if lost => DockerHealth::Unhealthy,
        Some(TaskState::RUNNING) => DockerHealth::Healthy,
        Some(TaskState::STARTING) => DockerHealth::Starting,
        _ => DockerHealth::None,
    };
    let on = node.as_ref().map(|n| format!(" on {}", n.hostname)).unwrap_or_default();
    let mut status = match task_state {
        Some(TaskState::NEW | TaskState::ALLOCATED | TaskState::PENDING) | None => {
            format!("{word}: {}", error_of(task).unwrap_or("waiting to be scheduled"))
        }
        _ => match error_of(task) {
            Some(e) => format!("{word}{on}: {e}"),
            None => format!("{word}{on}"),
        },
    };
    if !wanted(task) && has_container(task_state) {
        status.push_str(", being stopped");
    }
    if let Some(e) = failed.and_then(error_of).filter(|_| task_state != Some(TaskState::RUNNING)) {
        if error_of(task) != Some(e) {
            status.push_str(&format!(" (last attempt: {e})"));
        }
    }
    if let Some(trouble) = node.as_ref().and_then(|n| n.trouble.as_ref()) {
        status.push_str(&format!("; {trouble}"));
    }
    let image = task.spec.as_ref().and_then(|s| s.container_spec.as_ref()).and_then(|c| c.image.clone());
    ContainerInfo {
        id: task.id.clone().unwrap_or_default(),
        name: format!("{}.{slot}", service_name(service)),
        labels,
        image: image.unwrap_or_else(|| service_image(service)),
        state: word,
        status,
        health,
        ports: published(task),
        created: task.created_at,
    }
}

/// A service that runs no task: `stopped`, or `pending` while Swarm has yet to make its tasks.
fn service_row(service: &Service) -> ContainerInfo {
    let now = replicas_now(service);
    let (state, mut status) = match now {
        0 => {
            let wanted = replicas_wanted(service, &HashMap::new());
            ("stopped", format!("stopped (starts {wanted} task{})", if wanted == 1 { "" } else { "s" }))
        }
        n => ("pending", format!("pending: no task yet ({n} wanted)")),
    };
    if let Some(busy) = swarm_busy(service) {
        status.push_str(&format!("; {busy}"));
    }
    ContainerInfo {
        id: service.id.clone().unwrap_or_default(),
        name: service_name(service).to_string(),
        labels: opsdeck_labels(service),
        image: service_image(service),
        state: state.into(),
        status,
        health: DockerHealth::None,
        ports: BTreeMap::new(),
        created: service.created_at,
    }
}
