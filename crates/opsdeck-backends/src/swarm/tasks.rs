//! Reading one service's tasks: which task stands for each of its slot numbers (Swarm keeps the
//! shut-down ones as history), whether they run, the platform's verdict on the service as one
//! line, and where its running tasks answer. Pure functions over what the manager said.

use super::spec::{replicas_now, swarm_busy};
use crate::platform::Endpoint;
use bollard::models::{Node, NodeSpecAvailabilityEnum, NodeState, Service, Task, TaskState};
use std::collections::BTreeMap;

/// At most this many tasks are described in a verdict line; the rest are counted.
const DESCRIBED: usize = 3;

/// The task standing for each slot number of the service `service_id`: the newest one Swarm
/// still wants running, else (a slot Swarm has given up on) the newest of all.
pub(super) fn current<'a>(tasks: &'a [Task], service_id: &str) -> BTreeMap<i64, &'a Task> {
    let mut by_slot: BTreeMap<i64, &Task> = BTreeMap::new();
    for task in tasks.iter().filter(|t| t.service_id.as_deref() == Some(service_id)) {
        let slot = task.slot.unwrap_or(0);
        let newer = |kept: &Task| (wanted(task), task.created_at) > (wanted(kept), kept.created_at);
        if by_slot.get(&slot).is_none_or(|kept| newer(kept)) {
            by_slot.insert(slot, task);
        }
    }
    by_slot
}

/// Whether Swarm still wants the task to run (not one it shut down or is removing).
pub(super) fn wanted(task: &Task) -> bool {
    !matches!(task.desired_state, Some(TaskState::SHUTDOWN | TaskState::REMOVE | TaskState::COMPLETE) | None)
}

pub(super) fn state(task: &Task) -> Option<TaskState> {
    task.status.as_ref().and_then(|s| s.state)
}

/// Whether a task in this state has (or is about to have) a container on a node.
pub(super) fn has_container(state: Option<TaskState>) -> bool {
    matches!(
        state,
        Some(
            TaskState::ASSIGNED
                | TaskState::ACCEPTED
                | TaskState::PREPARING
                | TaskState::READY
                | TaskState::STARTING
                | TaskState::RUNNING
        )
    )
}

/// Swarm's error for the task, else its message (`no suitable node (...)`, `task: non-zero exit
/// (1)`).
pub(super) fn error_of(task: &Task) -> Option<&str> {
    let status = task.status.as_ref()?;
    status.err.as_deref().filter(|e| !e.is_empty())
}

/// The newest failed or rejected task of slot `slot` (why the current one is a retry).
pub(super) fn last_failure<'a>(tasks: &'a [Task], service_id: &str, slot: i64) -> Option<&'a Task> {
    tasks
        .iter()
        .filter(|t| t.service_id.as_deref() == Some(service_id) && t.slot.unwrap_or(0) == slot)
        .filter(|t| matches!(state(t), Some(TaskState::FAILED | TaskState::REJECTED)) && error_of(t).is_some())
        .max_by_key(|t| t.created_at)
}

/// A node as a task's row and verdict show it.
pub(super) struct NodeView<'a> {
    pub hostname: &'a str,
    pub addr: &'a str,
    /// Why tasks there cannot be trusted to run: `node down (heartbeat failure)`, `node drained`.
    pub trouble: Option<String>,
    /// Down, disconnected or unknown: its tasks do not answer.
    pub lost: bool,
}

pub(super) fn node_view<'a>(nodes: &'a [Node], task: &'a Task) -> Option<NodeView<'a>> {
    let id = task.node_id.as_deref().filter(|id| !id.is_empty())?;
    let Some(node) = nodes.iter().find(|n| n.id.as_deref() == Some(id)) else {
        return Some(NodeView {
            hostname: id,
            addr: "",
            trouble: Some("node unknown to the manager".into()),
            lost: true,
        });
    };
    let hostname = node.description.as_ref().and_then(|d| d.hostname.as_deref()).unwrap_or(id);
    let status = node.status.as_ref();
    let addr = status.and_then(|s| s.addr.as_deref()).unwrap_or("");
    let message = status.and_then(|s| s.message.as_deref()).filter(|m| !m.is_empty());
    let node_state = status.and_then(|s| s.state).unwrap_or(NodeState::UNKNOWN);
    let lost = node_state != NodeState::READY;
    let trouble = if lost {
        Some(match message {
            Some(m) => format!("node {node_state} ({m})"),
            None => format!("node {node_state}"),
        })
    } else {
        match node.spec.as_ref().and_then(|s| s.availability) {
            Some(NodeSpecAvailabilityEnum::DRAIN) => Some("node drained".into()),
            Some(NodeSpecAvailabilityEnum::PAUSE) => Some("node paused".into()),
            _ => None,
        }
    };
    Some(NodeView { hostname, addr, trouble, lost })
}

/// Whether the task runs on a node that is up.
pub(super) fn runs(task: &Task, nodes: &[Node]) -> bool {
    state(task) == Some(TaskState::RUNNING) && !node_view(nodes, task).is_some_and(|n| n.lost)
}

pub(super) fn service_name(service: &Service) -> &str {
    service.spec.as_ref().and_then(|s| s.name.as_deref()).unwrap_or("the service")
}

/// The platform's verdict on the service: None when every task it wants runs (a task whose
/// HEALTHCHECK has not passed yet is `starting`, not running) and Swarm is not rolling it back;
/// else one line, `1 of 2 tasks running; api-prod-blue.2: no suitable node (...)`.
pub(super) fn verdict(service: &Service, tasks: &[Task], nodes: &[Node]) -> Option<String> {
    let name = service_name(service);
    let id = service.id.as_deref().unwrap_or_default();
    let desired = replicas_now(service);
    let busy = swarm_busy(service);
    if desired == 0 {
        let mut line = format!("{name} is stopped (0 tasks wanted)");
        if let Some(b) = busy {
            line = format!("{line}; {b}");
        }
        return Some(line);
    }
    let (mut running, mut problems) = (0u32, Vec::new());
    for (slot, task) in current(tasks, id).into_iter().filter(|(_, t)| wanted(t)) {
        if runs(task, nodes) {
            running += 1;
        } else {
            problems.push(problem(&format!("{name}.{slot}"), task, last_failure(tasks, id, slot), nodes));
        }
    }
    if running >= desired && busy.is_none() {
        return None;
    }
    let mut line = format!("{running} of {desired} tasks running");
    for p in problems.iter().take(DESCRIBED) {
        line.push_str("; ");
        line.push_str(p);
    }
    if problems.len() > DESCRIBED {
        line.push_str(&format!("; {} more", problems.len() - DESCRIBED));
    }
    if let Some(b) = busy {
        line.push_str("; ");
        line.push_str(&b);
    }
    Some(line)
}

/// Why one task does not run, `api-prod-blue.2: no suitable node (...)`.
fn problem(name: &str, task: &Task, failed: Option<&Task>, nodes: &[Node]) -> String {
    let node = node_view(nodes, task);
    let on = node.as_ref().map(|n| format!(" on {}", n.hostname)).unwrap_or_default();
    let last = failed.and_then(error_of).map(|e| format!(" (last attempt: {e})")).unwrap_or_default();
    match state(task) {
        Some(TaskState::RUNNING) => {
            let trouble = node.and_then(|n| n.trouble).unwrap_or_else(|| "node lost".into());
            format!("{name}: running{on}, {trouble}")
        }
        Some(TaskState::NEW | TaskState::ALLOCATED | TaskState::PENDING) | None => {
            // Swarm's message here says no more than the state (`created`, `pending task scheduling`).
            let why = error_of(task).unwrap_or("waiting to be scheduled");
            format!("{name}: {why}{last}")
        }
        // Swarm holds a task with a HEALTHCHECK in `starting` until the check passes.
        Some(TaskState::STARTING) if last.is_empty() => format!("{name}: starting{on} (waiting for its HEALTHCHECK)"),
        Some(s) => match error_of(task) {
            Some(e) => format!("{name}: {s}{on}: {e}"),
            None => format!("{name}: {s}{on}{last}"),
        },
    }
}

/// The container port the service publishes (its first port).
pub(super) fn target_port(service: &Service) -> Option<u16> {
    let spec = service.spec.as_ref()?.endpoint_spec.as_ref()?;
    let port = spec.ports.as_ref()?.first()?.target_port?;
    u16::try_from(port).ok()
}

/// Host ports the task publishes, by container port: the first one listed for each. Docker
/// (20.10) binds a host-mode port twice, IPv4 (`0.0.0.0`, listed first) then IPv6 (`::`), each
/// on a port of its own; the IPv6 one may even be another task's IPv4 port. Loopback and node
/// addresses are IPv4, so the first is the one that answers.
pub(super) fn published(task: &Task) -> BTreeMap<u16, u16> {
    let ports = task.status.as_ref().and_then(|s| s.port_status.as_ref()).and_then(|p| p.ports.as_ref());
    let mut out = BTreeMap::new();
    for p in ports.into_iter().flatten() {
        let target = p.target_port.and_then(|t| u16::try_from(t).ok());
        let host = p.published_port.and_then(|h| u16::try_from(h).ok()).filter(|h| *h > 0);
        if let (Some(target), Some(host)) = (target, host) {
            out.entry(target).or_insert(host);
        }
    }
    out
}

/// Where the service's running tasks answer, by slot number: the node's address (`fallback`,
/// the manager's probe address, when the node gives none) and the port Swarm published there.
pub(super) fn endpoints(service: &Service, tasks: &[Task], nodes: &[Node], fallback: &str) -> Vec<Endpoint> {
    let name = service_name(service);
    let id = service.id.as_deref().unwrap_or_default();
    let Some(port) = target_port(service) else { return Vec::new() };
    current(tasks, id)
        .into_iter()
        .filter(|(_, t)| wanted(t) && runs(t, nodes))
        .filter_map(|(slot, task)| {
            let published = *published(task).get(&port)?;
            let node = node_view(nodes, task);
            let addr = node.as_ref().map(|n| n.addr).filter(|a| !a.is_empty() && *a != "0.0.0.0").unwrap_or(fallback);
            let on = node.as_ref().map(|n| n.hostname).unwrap_or("an unknown node");
            Some(Endpoint { address: addr.to_string(), port: published, name: format!("{name}.{slot} on {on}") })
        })
        .collect()
}
