//! The pure parts of the Swarm platform against answers shaped as Docker 20.10 gives them
//! (trimmed from a real swarm): slot rows, verdict lines, endpoints, the service spec.

use super::read::Picture;
use super::rows::rows;
use super::spec::{refusal, replicas_wanted, service_spec, swarm_busy};
use super::tasks::{current, endpoints, verdict};
use super::{service_name, Placement, NODE_LABEL, REPLICAS_LABEL};
use crate::platform::{Endpoint, SlotSpec};
use crate::types::{labels, DockerHealth};
use bollard::models::{Node, Service, Task};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

fn service(id: &str, name: &str, replicas: u32, wanted: u32) -> Service {
    serde_json::from_value(json!({
        "ID": id, "Version": {"Index": 21}, "CreatedAt": "2026-12-06T05:12:57.257330218Z",
        "Spec": {
            "Name": name,
            "Labels": {"opsdeck.service": "api", "opsdeck.env": "prod", "opsdeck.slot": "blue",
                "opsdeck.image": "127.0.0.1:5000/api:v1.3.0", "opsdeck.digest": "sha256:abc",
                "opsdeck.replicas": wanted.to_string(), "team": "web"},
            "TaskTemplate": {"ContainerSpec": {"Image": "127.0.0.1:5000/api:v1.3.0"}},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}]}
        }
    }))
    .expect("service fixture")
}

fn node(id: &str, hostname: &str, state: &str, message: &str, addr: &str, availability: &str) -> Node {
    serde_json::from_value(json!({
        "ID": id, "Spec": {"Role": "worker", "Availability": availability},
        "Description": {"Hostname": hostname},
        "Status": {"State": state, "Message": message, "Addr": addr}
    }))
    .expect("node fixture")
}

fn running(id: &str, service: &str, slot: i64, node: &str, port: u16, created: &str) -> Task {
    task(
        id,
        service,
        slot,
        Some(node),
        ("running", "running"),
        // As Docker 20.10 records it: the IPv4 binding first, then the IPv6 one on a port of
        // its own (here one lower: another task's IPv4 port, as it happens on a real engine).
        json!({"Message": "started",
        "PortStatus": {"Ports": [
            {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": port, "PublishMode": "host"},
            {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": port - 1, "PublishMode": "host"}]}}),
        created,
    )
}

fn task(
    id: &str,
    service: &str,
    slot: i64,
    node: Option<&str>,
    (state, desired): (&str, &str),
    status: Value,
    created: &str,
) -> Task {
    let mut status = status;
    status["State"] = json!(state);
    serde_json::from_value(json!({
        "ID": id, "ServiceID": service, "Slot": slot, "NodeID": node, "CreatedAt": created,
        "Spec": {"ContainerSpec": {"Image": "127.0.0.1:5000/api:v1.3.0@sha256:abc"}},
        "Status": status, "DesiredState": desired
    }))
    .expect("task fixture")
}

const UNPLACEABLE: &str = "no suitable node (scheduling constraints not satisfied on 1 node)";

fn nodes() -> Vec<Node> {
    vec![
        node("n1", "vm", "ready", "", "127.0.0.1", "active"),
        node("n2", "node-2", "down", "heartbeat failure", "10.0.0.2", "active"),
        node("n3", "node-3", "ready", "", "0.0.0.0", "drain"),
    ]
}

/// Blue: 2 tasks running on vm (slot 2 after a failed attempt); green: 2 tasks Swarm cannot place.
fn picture() -> Picture {
    let pending = json!({"Message": "pending task scheduling", "Err": UNPLACEABLE, "PortStatus": {}});
    let failed = json!({"Message": "started", "Err": "task: non-zero exit (1)", "PortStatus": {}});
    Picture {
        services: vec![service("s-blue", "api-prod-blue", 2, 2), service("s-green", "api-prod-green", 2, 2)],
        tasks: vec![
            running("t1", "s-blue", 1, "n1", 32770, "2026-12-06T05:13:07Z"),
            task("t2-old", "s-blue", 2, Some("n1"), ("failed", "shutdown"), failed, "2026-12-06T05:13:00Z"),
            running("t2", "s-blue", 2, "n1", 32771, "2026-12-06T05:13:07Z"),
            task("g1", "s-green", 1, None, ("pending", "running"), pending.clone(), "2026-12-06T05:12:57Z"),
            task("g2", "s-green", 2, None, ("pending", "running"), pending, "2026-12-06T05:12:57Z"),
        ],
        nodes: nodes(),
    }
}

#[test]
fn each_slot_number_is_one_row_naming_its_node_and_history_is_skipped() {
    let listed = rows(&picture());
    let names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["api-prod-blue.1", "api-prod-blue.2", "api-prod-green.1", "api-prod-green.2"]);
    let blue2 = &listed[1];
    assert_eq!((blue2.id.as_str(), blue2.state.as_str(), blue2.health), ("t2", "running", DockerHealth::Healthy));
    assert_eq!(blue2.status, "running on vm");
    assert_eq!(blue2.ports, BTreeMap::from([(8080, 32771)]));
    assert_eq!(blue2.label(NODE_LABEL), Some("vm"));
    assert_eq!(blue2.label(labels::SLOT), Some("blue"));
    assert_eq!(blue2.label(labels::DIGEST), Some("sha256:abc"));
    assert_eq!(blue2.label("team"), None, "only opsdeck's labels");
    assert!(blue2.created.is_some());
    let green = &listed[2];
    assert_eq!((green.state.as_str(), green.health), ("pending", DockerHealth::None));
    assert_eq!(green.status, format!("pending: {UNPLACEABLE}"));
    assert_eq!(green.label(NODE_LABEL), None, "not placed anywhere");
    assert!(green.ports.is_empty());
}

#[test]
fn a_slot_swarm_gave_up_on_shows_its_last_task() {
    let failed = json!({"Message": "started", "Err": "task: non-zero exit (1)"});
    let tasks = vec![
        task("old", "s", 1, Some("n1"), ("failed", "shutdown"), failed.clone(), "2026-12-06T05:00:00Z"),
        task("new", "s", 1, Some("n1"), ("failed", "shutdown"), failed, "2026-12-06T05:01:00Z"),
    ];
    assert_eq!(current(&tasks, "s").get(&1).and_then(|t| t.id.as_deref()), Some("new"));
    let p = Picture { services: vec![service("s", "api-prod-blue", 1, 1)], tasks, nodes: nodes() };
    let listed = rows(&p);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, "failed on vm: task: non-zero exit (1)");
}

#[test]
fn rows_say_when_a_node_is_down_or_drained() {
    let p = Picture {
        services: vec![service("s", "api-prod-blue", 2, 2)],
        tasks: vec![
            running("a", "s", 1, "n2", 30001, "2026-12-06T05:13:07Z"),
            running("b", "s", 2, "n3", 30002, "2026-12-06T05:13:07Z"),
        ],
        nodes: nodes(),
    };
    let listed = rows(&p);
    assert_eq!(listed[0].status, "running on node-2; node down (heartbeat failure)");
    assert_eq!(listed[0].health, DockerHealth::Unhealthy);
    assert_eq!(listed[1].status, "running on node-3; node drained");
    assert_eq!(listed[1].label(NODE_LABEL), Some("node-3"));
}

#[test]
fn a_service_running_no_task_is_one_row_that_keeps_its_image_in_view() {
    let p = Picture { services: vec![service("s", "api-prod-blue", 0, 2)], tasks: vec![], nodes: nodes() };
    let listed = rows(&p);
    assert_eq!(listed.len(), 1);
    let row = &listed[0];
    assert_eq!((row.id.as_str(), row.name.as_str(), row.state.as_str()), ("s", "api-prod-blue", "stopped"));
    assert_eq!(row.status, "stopped (starts 2 tasks)");
    assert_eq!(row.image, "127.0.0.1:5000/api:v1.3.0");
    assert_eq!(row.label(REPLICAS_LABEL), Some("2"));
}

#[test]
fn the_verdict_is_none_when_every_task_runs_and_names_what_does_not() {
    let p = picture();
    assert_eq!(verdict(&p.services[0], &p.tasks, &p.nodes), None);
    assert_eq!(
        verdict(&p.services[1], &p.tasks, &p.nodes).as_deref(),
        Some(
            format!("0 of 2 tasks running; api-prod-green.1: {UNPLACEABLE}; api-prod-green.2: {UNPLACEABLE}").as_str()
        )
    );
    // One task placeable, one not: the brief's example line.
    let mut tasks = p.tasks.clone();
    tasks.retain(|t| t.id.as_deref() != Some("g1"));
    tasks.push(running("g1b", "s-green", 1, "n1", 32800, "2026-12-06T05:14:00Z"));
    assert_eq!(
        verdict(&p.services[1], &tasks, &p.nodes).as_deref(),
        Some(format!("1 of 2 tasks running; api-prod-green.2: {UNPLACEABLE}").as_str())
    );
}

#[test]
fn a_starting_task_a_lost_node_and_a_crash_loop_are_not_running() {
    let svc = service("s", "api-prod-blue", 2, 2);
    let starting = json!({"Message": "starting"});
    let crashed = json!({"Message": "started", "Err": "task: non-zero exit (1)"});
    let tasks = vec![
        task("a", "s", 1, Some("n1"), ("starting", "running"), starting.clone(), "2026-12-06T05:13:07Z"),
        running("b", "s", 2, "n2", 30002, "2026-12-06T05:13:07Z"),
    ];
    assert_eq!(
        verdict(&svc, &tasks, &nodes()).as_deref(),
        Some(
            "0 of 2 tasks running; api-prod-blue.1: starting on vm (waiting for its HEALTHCHECK); \
             api-prod-blue.2: running on node-2, node down (heartbeat failure)"
        )
    );
    let tasks = vec![
        task("a0", "s", 1, Some("n1"), ("failed", "shutdown"), crashed, "2026-12-06T05:13:00Z"),
        task("a", "s", 1, Some("n1"), ("starting", "running"), starting, "2026-12-06T05:13:07Z"),
        running("b", "s", 2, "n1", 30002, "2026-12-06T05:13:07Z"),
    ];
    assert_eq!(
        verdict(&svc, &tasks, &nodes()).as_deref(),
        Some("1 of 2 tasks running; api-prod-blue.1: starting on vm (last attempt: task: non-zero exit (1))")
    );
    let stopped = service("s", "api-prod-blue", 0, 2);
    assert_eq!(verdict(&stopped, &[], &nodes()).as_deref(), Some("api-prod-blue is stopped (0 tasks wanted)"));
}

#[test]
fn a_rollback_swarm_started_is_named_and_refused() {
    let mut svc = service("s", "api-prod-blue", 2, 2);
    let p = picture();
    assert_eq!(swarm_busy(&svc), None);
    svc.update_status = serde_json::from_value(
        json!({"State": "rollback_started", "Message": "update rolled back due to failure or early termination of task t1"}),
    )
    .expect("status");
    let busy = swarm_busy(&svc).expect("busy");
    assert_eq!(
        refusal(&busy),
        "Swarm is rolling back api-prod-blue (update rolled back due to failure or early termination of task t1); \
         opsdeck does not act on it until Swarm is done"
    );
    let line = verdict(&svc, &p.tasks, &p.nodes).expect("not fine while Swarm rolls back");
    assert!(line.starts_with("0 of 2 tasks running; Swarm is rolling back api-prod-blue"), "{line}");
    for (state, words) in
        [("paused", "Swarm paused the update of"), ("rollback_paused", "Swarm paused its rollback of")]
    {
        svc.update_status = serde_json::from_value(json!({"State": state, "Message": "m"})).expect("status");
        assert_eq!(swarm_busy(&svc), Some(format!("{words} api-prod-blue (m)")));
    }
    for state in ["updating", "completed", "rollback_completed"] {
        svc.update_status = serde_json::from_value(json!({"State": state})).expect("status");
        assert_eq!(swarm_busy(&svc), None, "{state}");
    }
}

#[test]
fn endpoints_are_the_running_tasks_on_live_nodes_with_their_published_ports() {
    let p = picture();
    let found = endpoints(&p.services[0], &p.tasks, &p.nodes, "192.0.2.1");
    assert_eq!(
        found,
        [
            Endpoint { address: "127.0.0.1".into(), port: 32770, name: "api-prod-blue.1 on vm".into() },
            Endpoint { address: "127.0.0.1".into(), port: 32771, name: "api-prod-blue.2 on vm".into() },
        ]
    );
    assert!(endpoints(&p.services[1], &p.tasks, &p.nodes, "192.0.2.1").is_empty(), "nothing placed");
    // A node that gives no usable address is reached at the manager's probe address; a task on
    // a node that is down is no endpoint.
    let tasks = vec![
        running("a", "s", 1, "n3", 30001, "2026-12-06T05:13:07Z"),
        running("b", "s", 2, "n2", 30002, "2026-12-06T05:13:07Z"),
    ];
    let found = endpoints(&service("s", "api-prod-blue", 2, 2), &tasks, &nodes(), "192.0.2.1");
    assert_eq!(
        found,
        [Endpoint { address: "192.0.2.1".into(), port: 30001, name: "api-prod-blue.1 on node-3".into() }]
    );
}

fn slot_spec() -> SlotSpec {
    SlotSpec {
        service: "api".into(),
        env: "prod".into(),
        slot: "green".into(),
        host: "manager".into(),
        image: "127.0.0.1:5000/api:v1.4.0".into(),
        digest: "sha256:def".into(),
        container_port: 8080,
        host_port: 0,
        env_vars: BTreeMap::from([("LOG_LEVEL".into(), "info".into())]),
    }
}

#[test]
fn a_slot_is_a_service_created_at_zero_replicas_publishing_in_host_mode_on_a_port_swarm_picks() {
    let placement = Placement { replicas: 3, constraints: vec!["node.role==worker".into()] };
    let kept = BTreeMap::from([("team".to_string(), "web".to_string())]);
    let made = serde_json::to_value(service_spec(&slot_spec(), &placement, &kept)).expect("serialize");
    assert_eq!(made["Name"], "api-prod-green");
    assert_eq!(made["Mode"], json!({"Replicated": {"Replicas": 0}}));
    assert_eq!(made["Labels"][REPLICAS_LABEL], "3");
    assert_eq!(made["Labels"]["team"], "web");
    assert_eq!(made["EndpointSpec"]["Ports"], json!([{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}]));
    let task = &made["TaskTemplate"];
    assert_eq!(task["Placement"]["Constraints"], json!(["node.role==worker"]));
    assert_eq!(task["RestartPolicy"]["Condition"], "any");
    let container = &task["ContainerSpec"];
    assert_eq!(container["Image"], "127.0.0.1:5000/api:v1.4.0");
    assert_eq!(container["Env"], json!(["LOG_LEVEL=info"]));
    for (key, value) in [
        (labels::SERVICE, "api"),
        (labels::ENV, "prod"),
        (labels::SLOT, "green"),
        (labels::IMAGE, "127.0.0.1:5000/api:v1.4.0"),
        (labels::DIGEST, "sha256:def"),
    ] {
        assert_eq!(container["Labels"][key], value, "{key} on the container");
        assert_eq!(made["Labels"][key], value, "{key} on the service");
    }
    assert_eq!(container["StopGracePeriod"], 10_000_000_000i64);
    let anywhere = serde_json::to_value(service_spec(&slot_spec(), &Placement::default(), &BTreeMap::new()));
    assert_eq!(anywhere.expect("serialize")["TaskTemplate"].get("Placement"), None);
}

#[test]
fn a_slot_starts_the_tasks_its_label_says_else_the_config_s_else_one() {
    let placement = HashMap::from([("api".to_string(), Placement { replicas: 4, constraints: vec![] })]);
    assert_eq!(replicas_wanted(&service("s", "api-prod-blue", 0, 2), &placement), 2);
    let mut unlabelled = service("s", "api-prod-blue", 0, 2);
    if let Some(l) = unlabelled.spec.as_mut().and_then(|s| s.labels.as_mut()) {
        l.remove(REPLICAS_LABEL);
    }
    assert_eq!(replicas_wanted(&unlabelled, &placement), 4);
    assert_eq!(replicas_wanted(&unlabelled, &HashMap::new()), 1);
}

#[test]
fn a_task_s_name_means_its_service() {
    assert_eq!(service_name("api-prod-blue"), "api-prod-blue");
    assert_eq!(service_name("api-prod-blue.2"), "api-prod-blue");
    assert_eq!(service_name("api-v1.prod"), "api-v1.prod");
    assert_eq!(service_name(".2"), ".2");
}
