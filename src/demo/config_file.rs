//! `DIR/opsdeck.toml` for the demo stack, in the schema of [`opsdeck_core::config`]: the registry,
//! Alertmanager, dev/staging/prod on the local engine behind the demo HAProxy, and the two
//! services with their backends and frontend URLs.

use super::plan::{CONTAINER_PORT, ENVS, SERVICES, SERVICE_ENV};
use super::state::DemoInfo;
use std::fmt::Write;

/// The state store's file name, in the demo directory.
pub const STATE_DB: &str = "state.db";

/// The config text. `approvers` non-empty makes prod require approval from them.
pub fn config_text(info: &DemoInfo, approvers: &[String]) -> String {
    let mut out = format!("# Written by `opsdeck demo up`; rewritten on every `up`.\nstate_path = \"{STATE_DB}\"\n");
    if let Some(registry) = &info.registry {
        let _ = write!(out, "\n[registry]\nurl = {}\n", quote(&registry.address));
    }
    if let Some(am) = &info.alertmanager {
        let _ = write!(out, "\n[alertmanager]\nurl = {}\n", quote(&am.address));
    }
    let socket = format!("unix://{}", info.haproxy_socket().display());
    let local = format!("unix://{}", crate::stack::DOCKER_SOCKET);
    for env in ENVS {
        let mut hosts = info.hosts_of(env);
        if hosts.is_empty() {
            hosts.push(format!("{env}-1"));
        }
        // The first host is the local engine; the others each the engine the demo started.
        let hosts: Vec<String> = hosts
            .iter()
            .map(|h| {
                let url = info.engines.iter().find(|e| &e.host == h).map(|e| e.url.as_str()).unwrap_or(&local);
                format!("{{ name = {}, url = {} }}", quote(h), quote(url))
            })
            .collect();
        let _ = write!(
            out,
            "\n[[environments]]\nname = {}\nhaproxy = {}\nhosts = [{}]\n",
            quote(env),
            quote(&socket),
            hosts.join(", "),
        );
        if info.swarm.is_some() && env == super::swarm::SWARM_ENV {
            out.push_str("platform = \"swarm\"\n");
        }
        // prod in red: the demo shows where keys act (see the README's Themes).
        if env == "prod" {
            out.push_str("color = \"red\"\n");
        }
        if env == "prod" && !approvers.is_empty() {
            let list: Vec<String> = approvers.iter().map(|a| quote(a)).collect();
            let _ = write!(out, "approval = \"required\"\napprovers = [{}]\n", list.join(", "));
        }
    }
    for service in SERVICES {
        let _ = write!(out, "\n[[services]]\nname = {}\ncontainer_port = {CONTAINER_PORT}\n", quote(service));
        let env: Vec<String> = SERVICE_ENV
            .iter()
            .map(|(name, value, secret)| {
                if *secret {
                    format!("{name} = {{ value = {}, secret = true }}", quote(value))
                } else {
                    format!("{name} = {}", quote(value))
                }
            })
            .collect();
        let _ = writeln!(out, "env = {{ {} }}", env.join(", "));
        for env in ENVS {
            if let Some(fe) = info.frontend(service, env) {
                let _ = write!(
                    out,
                    "[services.environments.{env}]\nbackend = {}\nurl = {}\n",
                    quote(&fe.backend),
                    quote(&fe.url)
                );
                if info.swarm.is_some() && env == super::swarm::SWARM_ENV {
                    let _ = writeln!(out, "replicas = {}", super::swarm::REPLICAS);
                }
            }
        }
    }
    out
}

/// A TOML basic string (escapes quotes, backslashes and control characters).
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::state::{Component, FrontendRecord};

    fn info(dir: &std::path::Path) -> DemoInfo {
        let component = |address: &str| Some(Component { pid: 1, address: address.into(), marker: String::new() });
        let frontends = SERVICES
            .iter()
            .flat_map(|s| ENVS.iter().map(move |e| (*s, *e)))
            .enumerate()
            .map(|(i, (s, e))| FrontendRecord {
                service: s.into(),
                env: e.into(),
                backend: format!("{s}_{e}"),
                port: 9000 + i as u16,
                url: format!("http://127.0.0.1:{}", 9000 + i),
            })
            .collect();
        DemoInfo {
            dir: dir.to_path_buf(),
            registry: component("http://127.0.0.1:5000"),
            alertmanager: component("http://127.0.0.1:9093"),
            haproxy: component("unix:///x"),
            frontends,
            ..DemoInfo::default()
        }
    }

    #[test]
    fn the_written_config_loads() {
        let dir = opsdeck_core::store::permissions::private_tempdir();
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, config_text(&info(dir.path()), &[])).expect("write");
        let config = opsdeck_core::config::load(&path).expect("loads");
        assert_eq!(config.environments.len(), 3);
        assert_eq!(config.environments[2].approval, opsdeck_core::config::ApprovalPolicy::None);
        assert_eq!(config.environments[2].color, Some(opsdeck_core::config::EnvColor::Red));
        assert_eq!(config.services[0].environments["prod"].backend, "api_prod");
        assert_eq!(config.state_path, dir.path().join("state.db"));
        assert!(config.environments[0].haproxy.ends_with("/haproxy.sock"));
        let api = config.service("api").expect("api");
        assert_eq!(api.env["LOG_LEVEL"], opsdeck_core::config::EnvValue::plain("info"));
        assert!(api.env["API_TOKEN"].secret, "the demo shows a secret value");
        assert_eq!(
            opsdeck_core::secrets::Secrets::from_config(&config).mask("API_TOKEN=s3cr3t-Val-42"),
            "API_TOKEN=••••"
        );
    }

    #[test]
    fn a_second_prod_host_is_its_own_engine() {
        let dir = opsdeck_core::store::permissions::private_tempdir();
        let mut info = info(dir.path());
        for (host, env) in [("dev-1", "dev"), ("staging-1", "staging"), ("prod-1", "prod"), ("prod-2", "prod")] {
            info.slots.push(crate::demo::state::SlotRecord {
                name: format!("api-{env}-blue"),
                service: "api".into(),
                env: env.into(),
                host: host.into(),
                slot: "blue".into(),
                image: String::new(),
                digest: String::new(),
                version: String::new(),
                host_port: 1,
                live: true,
            });
        }
        info.engines.push(crate::demo::state::EngineRecord {
            host: "prod-2".into(),
            pid: 1,
            url: "unix:///demo/prod-2/docker.sock".into(),
            marker: String::new(),
        });
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, config_text(&info, &[])).expect("write");
        let config = opsdeck_core::config::load(&path).expect("loads");
        let prod = config.environment("prod").expect("prod");
        let hosts: Vec<(&str, &str)> = prod.hosts.iter().map(|h| (h.name.as_str(), h.url.as_str())).collect();
        assert_eq!(hosts, [("prod-1", "unix:///var/run/docker.sock"), ("prod-2", "unix:///demo/prod-2/docker.sock")]);
        assert_eq!(prod.server_name("blue", "prod-2"), "blue-prod-2");
        assert_eq!(config.environment("dev").expect("dev").hosts.len(), 1);
    }

    #[test]
    fn approvers_make_prod_require_approval() {
        let dir = opsdeck_core::store::permissions::private_tempdir();
        let path = dir.path().join("opsdeck.toml");
        let approvers = vec!["alice".to_string(), "bob \"the builder\"".to_string()];
        std::fs::write(&path, config_text(&info(dir.path()), &approvers)).expect("write");
        let config = opsdeck_core::config::load(&path).expect("loads");
        let prod = config.environment("prod").expect("prod");
        assert_eq!(prod.approval, opsdeck_core::config::ApprovalPolicy::Required);
        assert_eq!(prod.approvers, approvers);
        assert_eq!(
            config.environment("staging").expect("staging").approval,
            opsdeck_core::config::ApprovalPolicy::None
        );
    }

    #[test]
    fn swarm_puts_prod_on_the_swarm_with_two_replicas() {
        let dir = opsdeck_core::store::permissions::private_tempdir();
        let mut info = info(dir.path());
        info.swarm = Some(crate::demo::swarm::SwarmRecord { created: true, gwbridge_created: true });
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, config_text(&info, &[])).expect("write");
        let config = opsdeck_core::config::load(&path).expect("loads");
        let prod = config.environment("prod").expect("prod");
        assert_eq!(prod.platform, opsdeck_core::config::PlatformKind::Swarm);
        assert!(prod.replicated());
        assert_eq!(config.service("api").expect("api").environments["prod"].replicas, Some(2));
        let dev = config.environment("dev").expect("dev");
        assert_eq!(dev.platform, opsdeck_core::config::PlatformKind::Docker);
        assert_eq!(config.service("api").expect("api").environments["dev"].replicas, None);
    }
}
