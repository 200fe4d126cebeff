//! The outside world as the core's actions and watchers see it: each environment's
//! [`Platform`] and [`TrafficSwitch`], the `/health` probe and the alert manager, all behind the
//! traits of [`opsdeck_backends::platform`]. [`build`] picks the implementations the config
//! names; tests hand in fakes through [`Outside::from_parts`].
//!
//! Every line handed back (which the executor journals and shows) has the config's secret
//! values masked: the implementations do not know them.

mod build;
mod replicas;
mod traffic;
pub use replicas::SlotServers;
pub use traffic::SlotTraffic;

pub use build::{alert_manager, health_probe, platform_for, registry_client, switch_for};
pub use opsdeck_backends::platform::{
    Alerts, HealthProbe, Images, OpsResult, Platform, ServerCounters, SlotHealth, SlotSpec, TrafficSwitch,
};

use crate::config::Config;
use crate::secrets::Secrets;
use opsdeck_backends::alertmanager::NewSilence;
use opsdeck_backends::types::HealthVerdict;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Why a silence cannot be set: the config names no Alertmanager.
pub const NO_ALERTMANAGER: &str = "the config names no Alertmanager";

/// Every outside system an action touches, by environment.
pub struct Outside {
    config: Arc<Config>,
    /// By environment name.
    platforms: HashMap<String, Arc<dyn Platform>>,
    /// Host name -> environment name (host names are unique across environments).
    host_env: HashMap<String, String>,
    /// By environment name.
    switches: HashMap<String, Arc<dyn TrafficSwitch>>,
    probe: Arc<dyn HealthProbe>,
    /// `Err`: why there is none (no Alertmanager in the config, or no client for it).
    alerts: Result<Arc<dyn Alerts>, String>,
    /// The config's registry; `Err`: why there is no client for it.
    images: Result<Arc<dyn Images>, String>,
    /// The config's secret values, masked in every line this hands back.
    secrets: Secrets,
}

impl std::fmt::Debug for Outside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.host_env.keys().collect();
        hosts.sort();
        f.debug_struct("Outside").field("hosts", &hosts).finish_non_exhaustive()
    }
}

/// The parts [`Outside::from_parts`] puts together.
pub struct Parts {
    pub platforms: HashMap<String, Arc<dyn Platform>>,
    pub switches: HashMap<String, Arc<dyn TrafficSwitch>>,
    pub probe: Arc<dyn HealthProbe>,
    pub alerts: Result<Arc<dyn Alerts>, String>,
    pub images: Result<Arc<dyn Images>, String>,
}

impl Outside {
    /// The real systems `config` names. Nothing is contacted yet. Errors: a host name used twice
    /// for different engines, or a traffic switch address that cannot be used.
    pub fn new(config: Arc<Config>) -> Result<Outside, String> {
        let parts = build::parts(&config)?;
        Ok(Outside::from_parts(config, parts))
    }

    /// `parts` for the environments and hosts of `config`.
    pub fn from_parts(config: Arc<Config>, parts: Parts) -> Outside {
        let host_env =
            config.environments.iter().flat_map(|e| e.hosts.iter().map(|h| (h.name.clone(), e.name.clone()))).collect();
        Outside {
            platforms: parts.platforms,
            host_env,
            switches: parts.switches,
            probe: parts.probe,
            alerts: parts.alerts,
            images: parts.images,
            secrets: Secrets::from_config(&config),
            config,
        }
    }

    /// The config these systems were made from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `result` with any secret value in its error line masked.
    fn masked<T>(&self, result: OpsResult<T>) -> OpsResult<T> {
        result.map_err(|e| self.secrets.mask_owned(e))
    }

    /// The platform `host` belongs to.
    fn platform(&self, host: &str) -> OpsResult<&Arc<dyn Platform>> {
        self.host_env
            .get(host)
            .and_then(|env| self.platforms.get(env))
            .ok_or_else(|| format!("no host named {host} in the config"))
    }

    pub(crate) fn switch(&self, env: &str) -> OpsResult<&Arc<dyn TrafficSwitch>> {
        self.switches.get(env).ok_or_else(|| format!("no environment named {env} in the config"))
    }

    /// Whether `host` already has `image` (no pull needed).
    pub async fn has_image(&self, host: &str, image: &str) -> OpsResult<bool> {
        let result = match self.platform(host) {
            Ok(p) => p.has_image(host, image).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// Pulls `image` onto `host` from the registry.
    pub async fn pull(&self, host: &str, image: &str) -> OpsResult<()> {
        let result = match self.platform(host) {
            Ok(p) => p.pull(host, image).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// The digest of the image the slot on `host` was made from (None: no such slot).
    pub async fn slot_digest(&self, host: &str, slot: &str) -> OpsResult<Option<String>> {
        let result = match self.platform(host) {
            Ok(p) => p.slot_digest(host, slot).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// Whether the slot runs.
    pub async fn is_running(&self, host: &str, slot: &str) -> OpsResult<bool> {
        let result = match self.platform(host) {
            Ok(p) => p.is_running(host, slot).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// Removes the slot if there is one, and creates it anew from `spec` (not started).
    pub async fn recreate(&self, spec: &SlotSpec) -> OpsResult<()> {
        let result = match self.platform(&spec.host) {
            Ok(p) => p.recreate(spec).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    pub async fn start(&self, host: &str, slot: &str) -> OpsResult<()> {
        let result = match self.platform(host) {
            Ok(p) => p.start(host, slot).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// SIGTERM, then kill after `grace`.
    pub async fn stop(&self, host: &str, slot: &str, grace: Duration) -> OpsResult<()> {
        let result = match self.platform(host) {
            Ok(p) => p.stop(host, slot, grace).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    pub async fn remove(&self, host: &str, slot: &str) -> OpsResult<()> {
        let result = match self.platform(host) {
            Ok(p) => p.remove(host, slot).await,
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// One health check of the slot: the platform's own verdict and `/health` on `host_port`.
    pub async fn health(&self, spec: &SlotSpec) -> SlotHealth {
        let health = self.raw_health(spec).await;
        SlotHealth { reason: self.secrets.mask_owned(health.reason), ..health }
    }

    async fn raw_health(&self, spec: &SlotSpec) -> SlotHealth {
        let platform = match self.platform(&spec.host) {
            Ok(p) => p,
            Err(reason) => return SlotHealth { healthy: false, reason },
        };
        let name = spec.container_name();
        let http = async {
            // A slot of replicas is probed on each; the switch's servers follow them, not a port.
            match platform.slot_endpoints(&spec.host, &name).await {
                Ok(Some(endpoints)) => self.replicas_health(&endpoints, self.health_path(spec)).await,
                Ok(None) => match self.health_url(spec) {
                    Ok(url) => {
                        let report = self.probe.probe(&url).await;
                        match report.verdict {
                            HealthVerdict::Healthy => None,
                            _ if report.reason.is_empty() => Some(format!("{url}: unhealthy")),
                            _ => Some(format!("{url}: {}", report.reason)),
                        }
                    }
                    Err(reason) => Some(reason),
                },
                Err(reason) => Some(format!("{name}: {reason}")),
            }
        };
        let (http, verdict) = tokio::join!(http, platform.verdict(&spec.host, &name));
        match (http, verdict) {
            (None, None) => SlotHealth { healthy: true, reason: String::new() },
            (Some(h), None) => SlotHealth { healthy: false, reason: h },
            (None, Some(d)) => SlotHealth { healthy: false, reason: d },
            (Some(h), Some(d)) => SlotHealth { healthy: false, reason: format!("{h}; {d}") },
        }
    }

    /// The service's health path (`/health` when the service is not in the config).
    fn health_path(&self, spec: &SlotSpec) -> &str {
        self.config.service(&spec.service).map(|s| s.health_path.as_str()).unwrap_or("/health")
    }

    /// `http://<host's probe address>:<slot port><service's health path>`.
    fn health_url(&self, spec: &SlotSpec) -> OpsResult<String> {
        let address = self.platform(&spec.host)?.probe_address(&spec.host)?;
        Ok(replicas::url(&address, spec.host_port, self.health_path(spec)))
    }

    /// The digest `reference` (tag or digest) names in the registry's `repo`; an error when the
    /// registry does not know it or cannot be asked.
    pub async fn image_digest(&self, repo: &str, reference: &str) -> OpsResult<String> {
        let result = match &self.images {
            Ok(images) => images.digest_of(repo, reference).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.masked(result)
    }

    /// Every server of the environment's traffic switch, as it says now.
    pub async fn servers(&self, env: &str) -> OpsResult<Vec<opsdeck_backends::types::ServerStat>> {
        let result = match self.switch(env) {
            Ok(s) => s.servers().await.map_err(|e| format!("{env}: {e}")),
            Err(e) => Err(e),
        };
        self.masked(result)
    }

    /// Creates a silence in the config's Alertmanager; returns its id.
    pub async fn create_silence(&self, silence: &NewSilence) -> OpsResult<String> {
        let result = match &self.alerts {
            Ok(am) => am.create_silence(silence).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.masked(result)
    }

    /// Posts an alert to the config's Alertmanager.
    pub async fn post_alert(&self, alert: &opsdeck_backends::alertmanager::NewAlert) -> OpsResult<()> {
        let result = match &self.alerts {
            Ok(am) => am.post_alert(alert).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.masked(result)
    }

    /// Expires the silence `id` now.
    pub async fn expire_silence(&self, id: &str) -> OpsResult<()> {
        let result = match &self.alerts {
            Ok(am) => am.expire_silence(id).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.masked(result)
    }
}

#[cfg(any(test, feature = "testing"))]
impl Outside {
    /// Every environment of `config` on `fake`, one object playing every seam (tests).
    pub fn faked<F>(config: Arc<Config>, fake: Arc<F>) -> Outside
    where
        F: Platform + TrafficSwitch + HealthProbe + Alerts + Images + 'static,
    {
        let platforms = config.environments.iter().map(|e| (e.name.clone(), fake.clone() as Arc<dyn Platform>));
        let switches = config.environments.iter().map(|e| (e.name.clone(), fake.clone() as Arc<dyn TrafficSwitch>));
        let parts = Parts {
            platforms: platforms.collect(),
            switches: switches.collect(),
            probe: fake.clone(),
            alerts: Ok(fake.clone()),
            images: Ok(fake),
        };
        Outside::from_parts(config, parts)
    }
}

#[cfg(test)]
mod tests;
