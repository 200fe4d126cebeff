//! The world as the demo stack fills it: slot containers, HAProxy servers and `/health` reports.

use super::{gen_config, gen_digest, gen_now};
use crate::world::{HealthEntry, Reach, SlotId, World};
use opsdeck_backends::types::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// A slot container as Docker would list it.
pub fn gen_container(env: &str, service: &str, slot: &str, version: &str, running: bool) -> ContainerInfo {
    let reference = format!("127.0.0.1:5000/{service}:{version}");
    let labels: BTreeMap<String, String> = [
        (labels::SERVICE, service.to_string()),
        (labels::ENV, env.to_string()),
        (labels::SLOT, slot.to_string()),
        (labels::IMAGE, reference.clone()),
        (labels::DIGEST, gen_digest(version)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let port = 20000 + (env.len() * 100 + service.len() * 10 + slot.len()) as u16;
    ContainerInfo {
        id: format!("{service}-{env}-{slot}-id"),
        name: format!("{service}-{env}-{slot}"),
        labels,
        image: reference,
        state: if running { "running" } else { "exited" }.into(),
        status: if running { "Up 2 hours (healthy)" } else { "Exited (0) 2 hours ago" }.into(),
        health: if running { DockerHealth::Healthy } else { DockerHealth::None },
        ports: [(8080, port)].into(),
        created: Some(gen_now() - chrono::Duration::hours(2)),
    }
}

pub fn gen_server(backend: &str, server: &str, live: bool) -> ServerStat {
    ServerStat {
        backend: backend.into(),
        server: server.into(),
        status: if live { "UP" } else { "MAINT" }.into(),
        admin: if live { AdminState::Ready } else { AdminState::Maint },
        current_sessions: if live { 3 } else { 0 },
        total_sessions: if live { 1200 } else { 0 },
        weight: 1,
        http_5xx: if live { 2 } else { 0 },
        requests: if live { 1180 } else { 0 },
        address: "127.0.0.1:20001".into(),
    }
}

pub fn gen_report(healthy: bool, latency_ms: u64) -> HealthReport {
    HealthReport {
        verdict: if healthy { HealthVerdict::Healthy } else { HealthVerdict::Unhealthy },
        reason: if healthy { String::new() } else { "HTTP 503: {\"status\":\"unhealthy\"}".into() },
        http_status: Some(if healthy { 200 } else { 503 }),
        latency: Duration::from_millis(latency_ms),
        status_field: Some(if healthy { "healthy" } else { "unhealthy" }.into()),
        services: [("database".to_string(), "connected".to_string()), ("redis".to_string(), "connected".to_string())]
            .into(),
        uptime_secs: Some(7200),
    }
}

/// The demo stack as the console sees it: dev and staging on v1.3.0, prod on v1.2.0 with one
/// prod host unreachable, four releases in the registry, one alert firing.
pub fn gen_demo_world() -> World {
    let mut m = World::new(gen_config(), "alice".into(), gen_now());
    let now = m.now;
    let releases = [
        ("dev", "v1.3.0", "v1.2.0", "blue"),
        ("staging", "v1.3.0", "v1.2.0", "green"),
        ("prod", "v1.2.0", "v1.1.0", "blue"),
    ];
    for (env, live_v, idle_v, live_slot) in releases {
        let idle_slot = crate::world::views::other_slot(live_slot);
        for (id, host) in m.hosts.iter_mut().filter(|(id, _)| id.env == env) {
            if id.host == "prod-2" {
                host.reach = Reach::Down {
                    reason: "docker: no answer within 3s".into(),
                    since: now - chrono::Duration::seconds(42),
                };
                continue;
            }
            host.reach = Reach::Up { at: now };
            for service in ["api", "web"] {
                for c in [
                    gen_container(env, service, live_slot, live_v, true),
                    gen_container(env, service, idle_slot, idle_v, false),
                ] {
                    host.insert(c);
                }
            }
        }
        let lb = m.lbs.entry(env.to_string()).or_default();
        lb.reach = Reach::Up { at: now };
        let mut servers = lb.servers().to_vec();
        for service in ["api", "web"] {
            let backend = format!("{service}_{env}");
            // One server per slot and host, as the config names them.
            let env_config = m.config.environment(env).expect("demo env").clone();
            for (slot, live) in [(live_slot, true), (idle_slot, false)] {
                for (_, server) in env_config.slot_servers(slot) {
                    servers.push(gen_server(&backend, &server, live));
                }
            }
            let slot = SlotId {
                env: env.into(),
                service: service.into(),
                slot: live_slot.into(),
                host: format!("{env}-1"),
                replica: String::new(),
            };
            let healthy = !(env == "staging" && service == "web");
            m.health.insert(
                slot,
                HealthEntry {
                    report: gen_report(healthy, 3 + service.len() as u64),
                    at: now - chrono::Duration::seconds(2),
                },
            );
        }
        lb.set_servers(servers);
    }
    m.registry.reach = Reach::Up { at: now };
    for service in ["api", "web"] {
        let images =
            [("v1.3.0", "3f9c2e1", 1), ("v1.2.0", "8a1b0c7", 3), ("v1.1.0", "5d4e3f2", 9), ("v1.0.0", "1a2b3c4", 30)]
                .into_iter()
                .map(|(v, sha, days)| RegistryImage {
                    digest: gen_digest(v),
                    tags: if v == "v1.3.0" {
                        vec![v.into(), sha.into(), "latest".into()]
                    } else {
                        vec![v.into(), sha.into()]
                    },
                    created: Some(now - chrono::Duration::days(days)),
                    platforms: Vec::new(),
                })
                .collect();
        m.registry.images.insert(service.into(), images);
    }
    m.alerts.reach = Reach::Up { at: now };
    m.alerts.alerts = vec![
        Alert {
            name: "HighErrorRate".into(),
            labels: [("alertname", "HighErrorRate"), ("service", "api"), ("env", "prod"), ("severity", "critical")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [("summary".to_string(), "prod api 5xx > 2%".to_string())].into(),
            state: "active".into(),
            starts_at: Some(now - chrono::Duration::minutes(7)),
            fingerprint: "a1b2c3".into(),
        },
        Alert {
            name: "DiskFilling".into(),
            labels: [("alertname", "DiskFilling"), ("env", "staging"), ("severity", "warning")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [("summary".to_string(), "staging-1 disk 91% full".to_string())].into(),
            state: "suppressed".into(),
            starts_at: Some(now - chrono::Duration::hours(3)),
            fingerprint: "d4e5f6".into(),
        },
    ];
    m
}

/// The demo model with prod-2 answering (its slots as on prod-1), so that plans for prod can be
/// built: `plan()` refuses an environment with a host down.
pub fn gen_demo_world_all_up() -> World {
    let mut m = gen_demo_world();
    let now = m.now;
    for (id, host) in m.hosts.iter_mut().filter(|(id, _)| id.host == "prod-2") {
        host.reach = Reach::Up { at: now };
        for service in ["api", "web"] {
            for c in [
                gen_container(&id.env, service, "blue", "v1.2.0", true),
                gen_container(&id.env, service, "green", "v1.1.0", false),
            ] {
                host.insert(c);
            }
        }
    }
    for service in ["api", "web"] {
        let slot = SlotId {
            env: "prod".into(),
            service: service.into(),
            slot: "blue".into(),
            host: "prod-2".into(),
            replica: String::new(),
        };
        let at = now - chrono::Duration::seconds(2);
        m.health.insert(slot, HealthEntry { report: gen_report(true, 4 + service.len() as u64), at });
    }
    m
}
