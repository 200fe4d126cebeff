//! Facts: what a watcher learned from one outside system, as owned data, and how each changes the
//! world. [`World::apply`] is the only place the world changes.

use super::views::memo::Scope;
use super::{HealthEntry, HostId, Reach, SlotId, World};
use crate::store::{AuditRecord, JournalEntry, LockInfo, Request};
use crate::text::{cleaned, Sanitize};
use opsdeck_backends::types::{Alert, ContainerInfo, HealthReport, HealthVerdict, RegistryImage, ServerStat, Silence};
use opsdeck_backends::BackendError;

/// One thing an outside system said.
#[derive(Debug, Clone)]
pub enum Fact {
    /// A Docker engine's full list of slot containers, or why it could not be had.
    HostSnapshot(HostId, Result<Vec<ContainerInfo>, BackendError>),
    /// One container changed (from the events stream).
    ContainerChanged(HostId, ContainerInfo),
    /// One container is gone.
    ContainerRemoved(HostId, String),
    /// An environment's HAProxy servers.
    Lb(String, Result<Vec<ServerStat>, BackendError>),
    /// One slot's `/health`.
    Health(SlotId, HealthReport),
    /// One service's image history from the registry.
    Images(String, Result<Vec<RegistryImage>, BackendError>),
    Alerts(Result<Vec<Alert>, BackendError>),
    /// Alertmanager's silences (expired ones included).
    Silences(Result<Vec<Silence>, BackendError>),
    /// Recent actions and held locks from the shared state store, or why it could not be read.
    Store(Result<(Vec<JournalEntry>, Vec<LockInfo>), String>),
    /// Approval requests from the shared state store (every state, pending ones all, the rest the
    /// newest few), newest first; or why they could not be read.
    Requests(Result<Vec<Request>, String>),
    /// The end of the audit trail (chain order), sent when it changed; or why it could not be read.
    Audit(Result<Vec<AuditRecord>, String>),
}

impl World {
    /// Folds `fact` in. Every outside string taken in is cleaned of control characters and has
    /// the config's secret values masked (under [`crate::text::masking`]).
    pub fn apply(&mut self, fact: Fact) {
        // The scope borrows the world (a removed container's labels), so the memo is taken out
        // while it forgets.
        let mut memo = std::mem::take(&mut self.memo);
        memo.forget_in(&self.config, self.scope(&fact));
        self.memo = memo;
        let secrets = self.secrets.clone();
        crate::text::masking(&secrets, || self.fold(fact))
    }

    /// What `fact` can change of the views derived from the world (see [`Memo`]).
    ///
    /// [`Memo`]: super::views::memo::Memo
    fn scope<'a>(&'a self, fact: &'a Fact) -> Scope<'a> {
        let service_of = |env: &'a str, c: &'a ContainerInfo| match c.label(opsdeck_backends::types::labels::SERVICE) {
            Some(service) => Scope::Service { env, service },
            None => Scope::Env(env),
        };
        match fact {
            Fact::ContainerChanged(id, c) => service_of(&id.env, c),
            Fact::ContainerRemoved(id, container_id) => {
                let known = self.hosts.get(id).and_then(|h| h.containers().get(container_id));
                known.map_or(Scope::Nothing, |c| service_of(&id.env, c))
            }
            Fact::HostSnapshot(id, _) => Scope::Env(&id.env),
            Fact::Lb(env, _) => Scope::Env(env),
            Fact::Health(slot, _) => Scope::Service { env: &slot.env, service: &slot.service },
            Fact::Images(service, _) => Scope::Images(service),
            Fact::Alerts(_) | Fact::Silences(_) | Fact::Requests(_) | Fact::Audit(_) => Scope::Nothing,
            // The journal says which slot is live and which is warm; a lock hides a mismatch.
            Fact::Store(_) => Scope::Everything,
        }
    }

    fn fold(&mut self, fact: Fact) {
        let now = self.now;
        match fact {
            Fact::HostSnapshot(id, result) => {
                let host = self.hosts.entry(id).or_default();
                match result {
                    Ok(list) => {
                        host.reach = Reach::Up { at: now };
                        host.set_containers(list.into_iter().map(Sanitize::sanitized));
                    }
                    Err(e) => host.reach = host.reach.failed(cleaned(&e.to_string()), now),
                }
            }
            Fact::ContainerChanged(id, container) => {
                let host = self.hosts.entry(id).or_default();
                let container = container.sanitized();
                host.insert(container);
            }
            Fact::ContainerRemoved(id, container_id) => {
                if let Some(host) = self.hosts.get_mut(&id) {
                    host.remove(&container_id);
                }
            }
            Fact::Lb(env, result) => {
                let lb = self.lbs.entry(env.clone()).or_default();
                match result {
                    Ok(servers) => {
                        lb.reach = Reach::Up { at: now };
                        let servers = servers.sanitized();
                        lb.set_servers(servers.clone());
                        self.record_lb(&env, &servers);
                    }
                    Err(e) => lb.reach = lb.reach.failed(cleaned(&e.to_string()), now),
                }
            }
            Fact::Health(slot, report) => {
                if report.verdict != HealthVerdict::Unreachable {
                    let ms = report.latency.as_secs_f64() * 1000.0;
                    self.history.record_latency(&slot, now, ms);
                }
                self.health.insert(slot, HealthEntry { report: report.sanitized(), at: now });
            }
            Fact::Images(service, result) => match result {
                Ok(images) => {
                    self.registry.reach = Reach::Up { at: now };
                    self.registry.images.insert(service, images.sanitized());
                }
                Err(e) => self.registry.reach = self.registry.reach.failed(cleaned(&e.to_string()), now),
            },
            Fact::Alerts(result) => match result {
                Ok(alerts) => {
                    self.alerts.reach = Reach::Up { at: now };
                    self.alerts.alerts = alerts.sanitized();
                }
                Err(e) => self.alerts.reach = self.alerts.reach.failed(cleaned(&e.to_string()), now),
            },
            Fact::Silences(result) => match result {
                Ok(silences) => {
                    self.silences.reach = Reach::Up { at: now };
                    self.silences.silences = silences.sanitized();
                }
                Err(e) => self.silences.reach = self.silences.reach.failed(cleaned(&e.to_string()), now),
            },
            Fact::Store(Ok((recent, locks))) => {
                self.actions.set_recent(recent.sanitized());
                self.actions.locks = locks.sanitized();
                self.actions.error = None;
            }
            Fact::Store(Err(e)) => self.actions.error = Some(cleaned(&e)),
            Fact::Requests(result) => match result {
                Ok(requests) => {
                    self.approvals.requests = requests.sanitized();
                    self.approvals.error = None;
                    self.approvals.loaded = true;
                }
                Err(e) => self.approvals.error = Some(cleaned(&e)),
            },
            Fact::Audit(result) => match result {
                Ok(records) => {
                    self.audit.rows = records.sanitized().iter().rev().map(super::approvals::AuditRow::of).collect();
                    self.audit.error = None;
                    self.audit.loaded = true;
                }
                Err(e) => self.audit.error = Some(cleaned(&e)),
            },
        }
    }

    /// Each server of a service's backend in `env` (one per slot and host).
    fn record_lb(&mut self, env: &str, servers: &[ServerStat]) {
        let now = self.now;
        let Some(env_config) = self.config.environment(env).cloned() else { return };
        // Replicated slots have several servers under one key: their counters add up.
        let mut totals: std::collections::BTreeMap<super::history::ServerKey, (u64, u64)> = Default::default();
        for s in servers {
            let Some((slot, host)) = env_config.server_slot(&s.server) else { continue };
            let service = self
                .config
                .services
                .iter()
                .find(|svc| svc.environments.get(env).is_some_and(|r| r.backend == s.backend));
            let Some(service) = service else { continue };
            let key = super::history::ServerKey {
                env: env.to_string(),
                service: service.name.clone(),
                slot: slot.to_string(),
                host: host.to_string(),
            };
            let total = totals.entry(key).or_default();
            total.0 += s.requests;
            total.1 += s.http_5xx;
        }
        for (key, (requests, errors)) in totals {
            self.history.record_counters(key, now, requests, errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{gen_config, gen_container, gen_now};

    fn gen_world() -> World {
        World::new(gen_config(), "alice".into(), gen_now())
    }

    /// A host that fails keeps the time of its first failure; an answer brings it back with its
    /// containers, cleaned of control characters; its running slots become probe targets.
    #[test]
    fn a_host_snapshot_sets_reach_and_containers() {
        let mut w = gen_world();
        let id = HostId { env: "dev".into(), host: "dev-1".into() };
        let err = || BackendError::Other { system: "docker", reason: "refused\x1b[2J".into() };
        w.apply(Fact::HostSnapshot(id.clone(), Err(err())));
        let since = gen_now();
        w.tick(since + chrono::Duration::seconds(30));
        w.apply(Fact::HostSnapshot(id.clone(), Err(err())));
        let Reach::Down { reason, since: first } = &w.hosts[&id].reach else { panic!("{:?}", w.hosts[&id].reach) };
        assert_eq!(*first, since, "down since the first failure");
        assert!(!reason.contains('\x1b'), "{reason}");
        let mut c = gen_container("dev", "api", "blue", "v1.3.0", true);
        c.status = "Up\x07 2 hours".into();
        w.apply(Fact::HostSnapshot(id.clone(), Ok(vec![c.clone()])));
        assert!(matches!(w.hosts[&id].reach, Reach::Up { .. }));
        assert_eq!(w.hosts[&id].containers()[&c.id].status, "Up 2 hours");
        let targets = w.probe_targets(Some(&id));
        assert_eq!(targets.len(), 1, "{targets:?}");
        assert!(targets[0].1.ends_with("/health"), "{targets:?}");
        w.apply(Fact::ContainerRemoved(id.clone(), c.id.clone()));
        assert!(w.hosts[&id].containers().is_empty());
    }

    /// Secret values are masked as facts come in; a store that cannot be read says why.
    #[test]
    fn facts_are_masked_and_store_errors_kept() {
        let text = crate::testing::CONFIG.replacen(
            "container_port = 8080",
            "container_port = 8080\nenv = { API_TOKEN = \"s3cr3t-Val-42\" }",
            1,
        );
        let config = std::sync::Arc::new(crate::config::parse_str(&text).expect("config"));
        let mut w = World::new(config, "alice".into(), gen_now());
        w.apply(Fact::Alerts(Err(BackendError::Other {
            system: "alertmanager",
            reason: "token s3cr3t-Val-42".into(),
        })));
        let Reach::Down { reason, .. } = &w.alerts.reach else { panic!("{:?}", w.alerts.reach) };
        assert!(!reason.contains("s3cr3t-Val-42") && reason.contains(crate::secrets::MASK), "{reason}");
        w.apply(Fact::Store(Err("database is locked".into())));
        assert_eq!(w.actions.error.as_deref(), Some("database is locked"));
    }
}
