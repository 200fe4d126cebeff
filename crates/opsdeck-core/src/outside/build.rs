//! Which implementation of each seam the config asks for: an environment's `platform` picks its
//! [`Platform`], its `haproxy` address its [`TrafficSwitch`]. Adding a platform is one variant of
//! [`PlatformKind`] and one arm here.

use super::{Alerts, HealthProbe, Images, Parts, Platform, TrafficSwitch, NO_ALERTMANAGER};
use crate::config::{Config, EnvironmentConfig, HostConfig, PlatformKind};
use opsdeck_backends::alertmanager::AlertmanagerClient;
use opsdeck_backends::docker::platform::{DockerHost, DockerHosts};
use opsdeck_backends::docker::{DockerEndpoint, DockerTls};
use opsdeck_backends::haproxy::HaproxyClient;
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::registry::{RegistryClient, RegistryOptions};
use opsdeck_backends::swarm::{Placement, SwarmCluster, SwarmManager};
use opsdeck_backends::BackendResult;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The platform `env` runs on. Nothing is contacted yet.
pub fn platform_for(config: &Config, env: &EnvironmentConfig) -> Arc<dyn Platform> {
    match env.platform {
        PlatformKind::Docker => {
            let mut hosts = DockerHosts::new(env.hosts.iter().map(|h| docker_host(config, h)).collect());
            // Pulls from the config's registry send its credentials.
            hosts.registry_auth = config.registry.credentials().map(|c| (config.registry.host().to_string(), c));
            Arc::new(hosts)
        }
        PlatformKind::Swarm => {
            let placement = config
                .services
                .iter()
                .filter_map(|svc| {
                    let route = svc.environments.get(&env.name)?;
                    let placement =
                        Placement { replicas: route.replicas.unwrap_or(1), constraints: route.constraints.clone() };
                    Some((svc.name.clone(), placement))
                })
                .collect();
            // Validation makes sure there is exactly one host, the manager.
            let manager = env.hosts.first().map(|h| docker_host(config, h)).unwrap_or_else(|| DockerHost {
                name: String::new(),
                endpoint: DockerEndpoint { url: String::new(), tls: None, timeout: config.timeouts.docker },
                probe_address: "127.0.0.1".into(),
            });
            let manager =
                SwarmManager { name: manager.name, endpoint: manager.endpoint, probe_address: manager.probe_address };
            let mut cluster = SwarmCluster::new(manager, placement);
            cluster.registry_auth = config.registry.credentials().map(|c| (config.registry.host().to_string(), c));
            Arc::new(cluster)
        }
    }
}

/// A client for the config's registry, with its credentials and CA. Nothing is contacted yet.
pub fn registry_client(config: &Config) -> BackendResult<RegistryClient> {
    let options = RegistryOptions { credentials: config.registry.credentials(), ca: config.registry.ca.clone() };
    RegistryClient::with_options(&config.registry.url, config.timeouts.registry, options)
}

/// The traffic switch in front of `env` (its HAProxy runtime API).
pub fn switch_for(config: &Config, env: &EnvironmentConfig) -> BackendResult<Arc<dyn TrafficSwitch>> {
    Ok(Arc::new(HaproxyClient::new(&env.haproxy, config.timeouts.haproxy)?))
}

/// The `/health` probe, each probe bounded by `timeout`.
pub fn health_probe(timeout: Duration) -> BackendResult<Arc<dyn HealthProbe>> {
    Ok(Arc::new(HealthProber::new(timeout)?))
}

/// The config's alert manager (None: the config names none).
pub fn alert_manager(config: &Config) -> Option<BackendResult<Arc<dyn Alerts>>> {
    let am = config.alertmanager.as_ref()?;
    Some(AlertmanagerClient::new(&am.url, config.timeouts.alertmanager).map(|c| Arc::new(c) as Arc<dyn Alerts>))
}

fn docker_host(config: &Config, host: &HostConfig) -> DockerHost {
    let endpoint = DockerEndpoint {
        url: host.url.clone(),
        tls: host.tls.as_ref().map(|t| DockerTls { ca: t.ca.clone(), cert: t.cert.clone(), key: t.key.clone() }),
        timeout: config.timeouts.docker,
    };
    DockerHost { name: host.name.clone(), endpoint, probe_address: host.probe_address() }
}

/// Every seam for `config`. Errors: a host name used twice for different engines, or a traffic
/// switch address that cannot be used.
pub(super) fn parts(config: &Config) -> Result<Parts, String> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut platforms = HashMap::new();
    let mut switches = HashMap::new();
    for env in &config.environments {
        for host in &env.hosts {
            match seen.get(host.name.as_str()) {
                Some(url) if *url != host.url => {
                    return Err(format!(
                        "host {} names two engines ({url} and {}); host names must be unique",
                        host.name, host.url
                    ));
                }
                _ => {
                    seen.insert(&host.name, &host.url);
                }
            }
        }
        platforms.insert(env.name.clone(), platform_for(config, env));
        let switch = switch_for(config, env).map_err(|e| format!("{}: {e}", env.name))?;
        switches.insert(env.name.clone(), switch);
    }
    let probe = health_probe(config.timeouts.health).map_err(|e| e.to_string())?;
    let alerts = match alert_manager(config) {
        None => Err(NO_ALERTMANAGER.to_string()),
        Some(found) => found.map_err(|e| e.to_string()),
    };
    let images = registry_client(config).map(|c| Arc::new(c) as Arc<dyn Images>).map_err(|e| e.to_string());
    Ok(Parts { platforms, switches, probe, alerts, images })
}
