//! The demo world with prod as a Docker Swarm: one manager host, each slot a service whose
//! tasks run on a node, HAProxy's numbered servers following the tasks' published ports.

use super::{gen_container, gen_demo_world, gen_report, gen_server};
use crate::world::{HealthEntry, HostId, World};
use opsdeck_backends::swarm::NODE_LABEL;
use opsdeck_backends::types::ContainerInfo;

/// A task of `service`'s `slot` in prod (its `n`th replica) on `node`, published on `port`.
pub fn gen_task(service: &str, slot: &str, version: &str, n: u32, node: &str, port: u16) -> ContainerInfo {
    let mut c = gen_container("prod", service, slot, version, true);
    c.id = format!("{}.{n}", c.id);
    c.name = format!("{}.{n}", c.name);
    c.labels.insert(NODE_LABEL.into(), node.into());
    c.ports = [(8080, port)].into();
    c
}

/// [`gen_demo_world`] with prod replicated on its first host (`prod-1`, the manager): the live
/// blue slot of each service has two tasks on `node-1`, each probed on its own; web's second
/// task answers 503. The idle green services have no task (a stopped row each).
pub fn gen_swarm_world() -> World {
    let mut m = gen_demo_world();
    let mut config = (*m.config).clone();
    if let Some(prod) = config.environments.iter_mut().find(|e| e.name == "prod") {
        prod.platform = crate::config::PlatformKind::Swarm;
        prod.hosts.truncate(1);
    }
    m.config = std::sync::Arc::new(config);
    m.hosts.retain(|id, _| id.host != "prod-2");
    m.health.retain(|id, _| id.env != "prod");
    let manager = HostId { env: "prod".into(), host: "prod-1".into() };
    let mut containers = Vec::new();
    let mut servers = Vec::new();
    for (i, service) in ["api", "web"].into_iter().enumerate() {
        let backend = format!("{service}_prod");
        for n in 1..=2u32 {
            let port = 30000 + 10 * i as u16 + n as u16;
            let task = gen_task(service, "blue", "v1.2.0", n, "node-1", port);
            let id = m.slot_id(&manager, service, "blue", Some(&task));
            let healthy = !(service == "web" && n == 2);
            let at = m.now - chrono::Duration::seconds(2);
            m.health.insert(id, HealthEntry { report: gen_report(healthy, 3 + u64::from(n)), at });
            // HAProxy's numbering need not follow the tasks': blue1 serves task 2.
            let mut server = gen_server(&backend, &format!("blue{}", 3 - n), true);
            server.address = format!("127.0.0.1:{port}");
            servers.push(server);
            containers.push(task);
        }
        let mut idle = gen_container("prod", service, "green", "v1.1.0", false);
        idle.state = "stopped".into();
        containers.push(idle);
        for n in 1..=2 {
            servers.push(gen_server(&backend, &format!("green{n}"), false));
        }
    }
    if let Some(host) = m.hosts.get_mut(&manager) {
        host.set_containers(containers);
    }
    if let Some(lb) = m.lbs.get_mut("prod") {
        lb.set_servers(servers);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::views::Health;

    /// Each task is its own row with its own health, server and node.
    #[test]
    fn two_tasks_give_two_rows_with_their_own_health() {
        let m = gen_swarm_world();
        let rows: Vec<_> = m.slot_rows(Some("prod")).into_iter().filter(|r| r.id.service == "web").collect();
        let names: Vec<&str> = rows.iter().map(|r| r.id.replica.as_str()).collect();
        assert_eq!(names, ["web-prod-blue.1", "web-prod-blue.2", "web-prod-green"]);
        assert_eq!(rows[0].health, Health::Healthy);
        assert_eq!(rows[1].health, Health::Unhealthy);
        assert!(rows[1].reason.starts_with("web-prod-blue.2: HTTP 503"), "{}", rows[1].reason);
        let server = |i: usize| rows[i].server.as_ref().map(|s| s.server.as_str());
        assert_eq!((server(0), server(1)), (Some("blue2"), Some("blue1")));
        assert_eq!(rows[1].container.as_ref().and_then(|c| c.label(NODE_LABEL)), Some("node-1"));
        // Every task is probed under its own key.
        let probed: Vec<String> = m.probe_targets(None).into_iter().map(|(id, _)| id.replica).collect();
        assert!(probed.contains(&"web-prod-blue.1".into()) && probed.contains(&"web-prod-blue.2".into()));
    }

    /// The cell is healthy only when every task of the live slot is.
    #[test]
    fn one_unhealthy_task_makes_the_cell_unhealthy() {
        let m = gen_swarm_world();
        let api = m.service_cell("prod", "api").expect("api cell");
        assert_eq!(api.health, Health::Healthy);
        let web = m.service_cell("prod", "web").expect("web cell");
        assert_eq!(web.health, Health::Unhealthy);
        assert!(web.reason.starts_with("web-prod-blue.2:"), "{}", web.reason);
        assert_eq!(web.hosts.len(), 1, "one manager host, its tasks folded into it");
        assert_eq!(web.hosts[0].health, Health::Unhealthy);
    }

    /// A slot with no container at all still has a row, without a replica.
    #[test]
    fn a_slot_without_tasks_keeps_one_row() {
        let mut m = gen_swarm_world();
        let manager = HostId { env: "prod".into(), host: "prod-1".into() };
        if let Some(h) = m.hosts.get_mut(&manager) {
            h.retain(|c| c.name != "api-prod-green");
        }
        let keys = m.slot_keys(Some("prod"));
        let green: Vec<_> = keys.iter().filter(|k| k.id.service == "api" && k.id.slot == "green").collect();
        assert_eq!(green.len(), 1);
        assert!(green[0].id.replica.is_empty());
    }
}
