//! What a slot's service is made of (from a [`SlotSpec`] and the service's [`Placement`]), and
//! what a service's own state says about acting on it: its replica counts, and whether Swarm
//! itself is busy rolling it back.

use super::{Placement, REPLICAS_LABEL};
use crate::docker::platform::SLOT_LABELS;
use crate::platform::SlotSpec;
use crate::types::labels;
use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum, EndpointSpec, Service,
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum, ServiceUpdateStatusStateEnum, TaskSpec,
    TaskSpecContainerSpec, TaskSpecPlacement, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// SIGTERM to SIGKILL when Swarm stops a task. Short: traffic has left a slot before it is
/// stopped (the switch drains it first), so what is left to finish is quick.
pub(super) const STOP_GRACE: Duration = Duration::from_secs(10);
/// A task that exits is started again after this long (by Swarm, on the same or another node).
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// The service for `spec`, created not started (0 replicas; its labels say how many it runs
/// when started). `kept` are labels of the service it replaces that opsdeck does not manage.
pub(super) fn service_spec(spec: &SlotSpec, placement: &Placement, kept: &BTreeMap<String, String>) -> ServiceSpec {
    let mut slot_labels: HashMap<String, String> = kept.clone().into_iter().collect();
    slot_labels.extend([
        (labels::SERVICE.to_string(), spec.service.clone()),
        (labels::ENV.to_string(), spec.env.clone()),
        (labels::SLOT.to_string(), spec.slot.clone()),
        (labels::IMAGE.to_string(), spec.image.clone()),
        (labels::DIGEST.to_string(), spec.digest.clone()),
    ]);
    let mut service_labels = slot_labels.clone();
    service_labels.insert(REPLICAS_LABEL.to_string(), placement.replicas.to_string());
    let container = TaskSpecContainerSpec {
        image: Some(spec.image.clone()),
        labels: Some(slot_labels),
        env: Some(spec.env_vars.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        stop_grace_period: Some(nanos(STOP_GRACE)),
        ..Default::default()
    };
    let task = TaskSpec {
        container_spec: Some(container),
        restart_policy: Some(TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
            delay: Some(nanos(RESTART_DELAY)),
            max_attempts: Some(0),
            window: Some(0),
        }),
        placement: (!placement.constraints.is_empty())
            .then(|| TaskSpecPlacement { constraints: Some(placement.constraints.clone()), ..Default::default() }),
        ..Default::default()
    };
    // No published port: Swarm picks a free one on the node for each task, so several tasks of
    // a slot (and both slots) can share a node.
    let port = EndpointPortConfig {
        protocol: Some(EndpointPortConfigProtocolEnum::TCP),
        target_port: Some(i64::from(spec.container_port)),
        publish_mode: Some(EndpointPortConfigPublishModeEnum::HOST),
        ..Default::default()
    };
    ServiceSpec {
        name: Some(spec.container_name()),
        labels: Some(service_labels),
        task_template: Some(task),
        mode: Some(replicated(0)),
        // opsdeck changes a service only while it runs no task, so an update replaces nothing;
        // should one ever run, it replaces every task at once and stops where it fails.
        update_config: Some(ServiceSpecUpdateConfig {
            parallelism: Some(0),
            delay: Some(0),
            failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE),
            order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
            ..Default::default()
        }),
        endpoint_spec: Some(EndpointSpec { ports: Some(vec![port]), ..Default::default() }),
        ..Default::default()
    }
}

/// `spec` running `replicas` tasks.
pub(super) fn with_replicas(mut spec: ServiceSpec, replicas: u32) -> ServiceSpec {
    spec.mode = Some(replicated(replicas));
    spec
}

fn replicated(replicas: u32) -> ServiceSpecMode {
    ServiceSpecMode {
        replicated: Some(ServiceSpecModeReplicated { replicas: Some(i64::from(replicas)) }),
        ..Default::default()
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// The service's labels that opsdeck does not manage (kept when it is made anew).
pub(super) fn foreign_labels(service: &Service) -> BTreeMap<String, String> {
    service_labels(service)
        .filter(|(k, _)| !SLOT_LABELS.contains(&k.as_str()) && k.as_str() != REPLICAS_LABEL)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The service's own labels.
pub(super) fn service_labels(service: &Service) -> impl Iterator<Item = (&String, &String)> {
    service.spec.as_ref().and_then(|s| s.labels.as_ref()).into_iter().flatten()
}

/// One label of the service.
pub(super) fn label<'a>(service: &'a Service, key: &str) -> Option<&'a str> {
    service.spec.as_ref()?.labels.as_ref()?.get(key).map(String::as_str)
}

/// How many tasks the service runs now (0: created or stopped).
pub(super) fn replicas_now(service: &Service) -> u32 {
    let replicas = service.spec.as_ref().and_then(|s| s.mode.as_ref()).and_then(|m| m.replicated.as_ref());
    replicas.and_then(|r| r.replicas).and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// How many tasks the service runs once started: its label, else `placement`'s count, else 1.
pub(super) fn replicas_wanted(service: &Service, placement: &HashMap<String, Placement>) -> u32 {
    let from_label = label(service, REPLICAS_LABEL).and_then(|n| n.parse::<u32>().ok());
    let from_config = || label(service, labels::SERVICE).and_then(|s| placement.get(s)).map(|p| p.replicas);
    from_label.or_else(from_config).unwrap_or(1).max(1)
}

/// The service's object version, which an update must quote.
pub(super) fn version(service: &Service, name: &str) -> Result<i32, String> {
    let index =
        service.version.as_ref().and_then(|v| v.index).ok_or_else(|| format!("{name}: Swarm gave no version"))?;
    i32::try_from(index).map_err(|_| format!("{name}: version {index} is past what Docker's API can quote"))
}

/// What Swarm itself is doing to the service that opsdeck must not fight: rolling it back, or
/// holding a paused update or rollback (`Swarm paused the update of api-prod-blue (update paused
/// due to failure or early termination of task …)`). None: Swarm is not acting on it.
pub(super) fn swarm_busy(service: &Service) -> Option<String> {
    let name = service.spec.as_ref().and_then(|s| s.name.as_deref()).unwrap_or("the service");
    let status = service.update_status.as_ref()?;
    let message = status.message.as_deref().filter(|m| !m.is_empty()).unwrap_or("no message");
    let doing = match status.state? {
        ServiceUpdateStatusStateEnum::ROLLBACK_STARTED => format!("Swarm is rolling back {name}"),
        ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED => format!("Swarm paused its rollback of {name}"),
        ServiceUpdateStatusStateEnum::PAUSED => format!("Swarm paused the update of {name}"),
        _ => return None,
    };
    Some(format!("{doing} ({message})"))
}

/// [`swarm_busy`] as the reason an action is refused.
pub(super) fn refusal(busy: &str) -> String {
    format!("{busy}; opsdeck does not act on it until Swarm is done")
}
