//! What HAProxy's servers say about a service: which slot takes traffic, and whether HAProxy
//! agrees with the slot that runs. A slot has one server per host (see
//! [`crate::config::EnvironmentConfig::server_name`]).

use super::{LbMismatch, World, SLOTS};
use opsdeck_backends::types::{AdminState, ContainerInfo, ServerStat};

impl World {
    /// The server of `slot` on `host` in `env`'s switch.
    pub(crate) fn server(&self, env: &str, backend: &str, slot: &str, host: &str) -> Option<&ServerStat> {
        let name = self.config.environment(env)?.server_name(slot, host);
        self.lbs.get(env)?.server(backend, &name)
    }

    /// Every server of `slot` in `env` that HAProxy has, in the config's host order (replicated:
    /// every numbered server of the slot, free ones in maint included).
    pub(crate) fn slot_servers(&self, env: &str, backend: &str, slot: &str) -> Vec<&ServerStat> {
        let Some(e) = self.config.environment(env) else { return Vec::new() };
        if e.replicated() {
            let Some(lb) = self.lbs.get(env) else { return Vec::new() };
            return lb
                .servers()
                .iter()
                .filter(|s| s.backend == backend && crate::config::replica_number(slot, &s.server).is_some())
                .collect();
        }
        e.hosts.iter().filter_map(|h| self.server(env, backend, slot, &h.name)).collect()
    }

    /// The slot taking traffic: the one whose servers HAProxy has ready (preferring one whose
    /// servers are up) when HAProxy answers with them, else the one with running containers (so
    /// the screen still says something useful while HAProxy is down).
    pub(crate) fn derive_live_slot(&self, env: &str, service: &str) -> Option<String> {
        let route = self.config.service(service)?.environments.get(env)?;
        let lb_known = self.lbs.get(env).is_some_and(|lb| !lb.servers().is_empty() && !lb.reach.is_down());
        // A backend without the servers the config names (a host just added to the config, a
        // renamed backend) says nothing about the slots: doctor names what is missing.
        let named = SLOTS.iter().any(|slot| !self.slot_servers(env, &route.backend, slot).is_empty());
        if lb_known && named {
            let ready: Vec<(&str, bool)> = SLOTS
                .iter()
                .filter_map(|slot| {
                    let servers = self.slot_servers(env, &route.backend, slot);
                    let ready: Vec<&&ServerStat> = servers.iter().filter(|s| s.admin == AdminState::Ready).collect();
                    (!ready.is_empty()).then(|| (*slot, ready.iter().any(|s| s.status.starts_with("UP"))))
                })
                .collect();
            let live = ready.iter().find(|(_, up)| *up).or(ready.first());
            return live.map(|(slot, _)| slot.to_string());
        }
        SLOTS
            .iter()
            .find(|slot| {
                self.slot_containers(env, service, slot).any(|(_, c)| c.is_some_and(ContainerInfo::is_running))
            })
            .map(|s| s.to_string())
    }

    /// When exactly one slot's containers run (or two, one of them left warm by the newest
    /// switch) and no action holds the lock, HAProxy should have the live slot's server ready on
    /// every host, and no other.
    pub(super) fn lb_mismatch(&self, env: &str, service: &str, backend: &str) -> Option<LbMismatch> {
        let lb = self.lbs.get(env)?;
        if lb.reach.is_down() || lb.servers().is_empty() || self.actions.lock(service, env).is_some() {
            return None;
        }
        let running: Vec<&str> = SLOTS
            .iter()
            .copied()
            .filter(|slot| {
                self.slot_containers(env, service, slot).any(|(_, c)| c.is_some_and(ContainerInfo::is_running))
            })
            .collect();
        let running = match running.as_slice() {
            [one] => *one,
            // Both run: the newest switch left one warm, and the other is the live one.
            [_, _] => {
                let warm = self.actions.warm.iter().find(|w| w.env == env && w.service == service)?;
                super::other_slot(&warm.slot)
            }
            _ => return None,
        };
        let running = &running;
        let is_ready = |s: &&ServerStat| s.admin == AdminState::Ready;
        let ready: Vec<String> = SLOTS
            .iter()
            .flat_map(|slot| self.slot_servers(env, backend, slot))
            .filter(is_ready)
            .map(|s| s.server.clone())
            .collect();
        let replicated = self.config.environment(env).is_some_and(|e| e.replicated());
        let hosts = self.config.environment(env).map(|e| e.hosts.len()).unwrap_or(1);
        let mut running_servers = self.slot_servers(env, backend, running);
        if replicated {
            // Free numbered servers wait in maint for a replica: only the ones in use count.
            running_servers.retain(|s| s.admin != AdminState::Maint);
        }
        let hosts = if replicated { running_servers.len().max(1) } else { hosts };
        let agrees = running_servers.len() == hosts
            && running_servers.iter().all(is_ready)
            && ready.len() == running_servers.len();
        if agrees {
            return None;
        }
        let sends = if ready.is_empty() { "no server".to_string() } else { ready.join(" and ") };
        Some(LbMismatch {
            running_slot: running.to_string(),
            message: format!("HAProxy has {sends} ready, but {running} is the running slot; R re-applies it"),
            haproxy_ready: ready,
        })
    }

    /// Until when `slot` stays warm (running, out of traffic) by the newest action's
    /// `keep_warm`, while any of its containers runs.
    pub(super) fn warm_until(&self, env: &str, service: &str, slot: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let warm = self.actions.warm.iter().find(|w| w.env == env && w.service == service && w.slot == slot)?;
        let runs = self.slot_containers(env, service, slot).any(|(_, c)| c.is_some_and(ContainerInfo::is_running));
        (runs && warm.until > self.now).then_some(warm.until)
    }
}
