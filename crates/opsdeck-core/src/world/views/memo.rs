//! Views derived once per change of the world instead of once per frame: which slot is live for
//! every service in every environment, the Environments pane's cells, and the Health pane's slots
//! and live problems per environment. A frame drawn after a key (the world unchanged) looks them
//! up; [`World::apply`] forgets what its fact can have changed (one service in one environment,
//! one environment, or everything), so they are never older than the world and a probe's answer
//! costs the next frame one service's views, not the fleet's.

use super::{Health, ServiceCell, SlotKey, World};
use crate::config::Config;
use std::sync::{Arc, OnceLock};

/// The derived views, each made on first use after a change, per environment and per service:
/// a frame pays only for what it shows and what changed.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// One per environment, in the config's order.
    envs: OnceLock<Vec<EnvMemo>>,
}

#[derive(Debug, Clone, Default)]
struct EnvMemo {
    /// One per service, in the config's order.
    services: Vec<ServiceMemo>,
    /// The environment's slots in the Health pane's order: every service's, one after another.
    keys: OnceLock<Arc<Vec<SlotKey>>>,
    /// How many of its live slots are not healthy.
    problems: OnceLock<usize>,
}

#[derive(Debug, Clone, Default)]
struct ServiceMemo {
    live: OnceLock<Option<String>>,
    /// The Environments pane's cell.
    cell: OnceLock<Option<Arc<ServiceCell>>>,
    /// The service's slots in the Health pane's order.
    keys: OnceLock<Arc<Vec<SlotKey>>>,
    /// How many of its live slots are not healthy.
    problems: OnceLock<usize>,
}

/// What a fact can have changed of the derived views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// Nothing they derive from (alerts, silences, requests, the audit trail).
    Nothing,
    /// One service in one environment (a container, a probe's answer).
    Service {
        env: &'a str,
        service: &'a str,
    },
    /// One service's images: its cells everywhere (their drift).
    Images(&'a str),
    /// One environment (a host's list or reach, its HAProxy).
    Env(&'a str),
    Everything,
}

impl Memo {
    /// The world changed: every view is made again when next asked for.
    pub(crate) fn forget(&mut self) {
        *self = Memo::default();
    }

    /// Forgets what a change within `scope` can have changed. A cell's drift compares its
    /// environment with the one before it on the ladder, so a change in one environment also
    /// forgets the same service's cells further up the ladder.
    pub(crate) fn forget_in(&mut self, config: &Config, scope: Scope<'_>) {
        let Some(envs) = self.envs.get_mut() else { return };
        // The memo was made from this config; an index past its end (a config swapped under it)
        // finds nothing, and everything is forgotten.
        let made = envs.len();
        let env_at = |env: &str| config.environments.iter().position(|e| e.name == env).filter(|i| *i < made);
        let service_at = |service: &str| config.services.iter().position(|s| s.name == service);
        match scope {
            Scope::Nothing => {}
            Scope::Everything => self.forget(),
            Scope::Images(service) => match service_at(service) {
                Some(k) => forget_cells(envs, 0, Some(k)),
                None => self.forget(),
            },
            Scope::Env(env) => {
                let Some(i) = env_at(env) else { return self.forget() };
                let e = &mut envs[i];
                *e = EnvMemo { services: vec![ServiceMemo::default(); e.services.len()], ..Default::default() };
                forget_cells(envs, i + 1, None);
            }
            Scope::Service { env, service } => {
                let (Some(i), Some(k)) = (env_at(env), service_at(service)) else { return self.forget() };
                let e = &mut envs[i];
                if let Some(s) = e.services.get_mut(k) {
                    *s = ServiceMemo::default();
                }
                (e.keys, e.problems) = (OnceLock::new(), OnceLock::new());
                forget_cells(envs, i + 1, Some(k));
            }
        }
    }
}

/// Forgets the cells of service `service` (every service when None) in the environments from
/// index `from` on: what a change below them on the ladder can change is their drift.
fn forget_cells(envs: &mut [EnvMemo], from: usize, service: Option<usize>) {
    for e in envs.iter_mut().skip(from) {
        for (k, s) in e.services.iter_mut().enumerate() {
            if service.is_none_or(|only| only == k) {
                s.cell = OnceLock::new();
            }
        }
    }
}

impl World {
    /// The memo of environment `env`, if the config has it.
    fn env_memo(&self, env: &str) -> Option<&EnvMemo> {
        let envs = self.memo.envs.get_or_init(|| {
            let empty =
                EnvMemo { services: vec![ServiceMemo::default(); self.config.services.len()], ..Default::default() };
            vec![empty; self.config.environments.len()]
        });
        envs.get(self.config.environments.iter().position(|e| e.name == env)?)
    }

    /// The memo of `service` in `env`, if the config has both.
    fn service_memo(&self, env: &str, service: &str) -> Option<&ServiceMemo> {
        let at = self.config.services.iter().position(|s| s.name == service)?;
        self.env_memo(env)?.services.get(at)
    }

    /// The slot taking `service`'s traffic in `env` (see [`World::derive_live_slot`]), derived
    /// once per change.
    pub fn live_slot(&self, env: &str, service: &str) -> Option<String> {
        self.service_memo(env, service)?.live.get_or_init(|| self.derive_live_slot(env, service)).clone()
    }

    /// The Environments pane's cell for `service` in `env` (see [`World::service_cell`]), derived
    /// once per change (or of a warm slot's window, see [`World::tick`]).
    pub fn cell(&self, env: &str, service: &str) -> Option<Arc<ServiceCell>> {
        let memo = self.service_memo(env, service)?;
        memo.cell.get_or_init(|| self.service_cell(env, service).map(Arc::new)).clone()
    }

    /// `service`'s slots in `env` in the Health pane's order, derived once per change.
    fn service_keys(&self, env: &str, service: &str) -> Arc<Vec<SlotKey>> {
        match self.service_memo(env, service) {
            Some(m) => m.keys.get_or_init(|| Arc::new(self.derive_service_keys(env, service))).clone(),
            None => Arc::default(),
        }
    }

    /// Every slot of `env` (all environments when None), live ones first per service, derived
    /// once per change.
    pub fn slot_keys(&self, env: Option<&str>) -> Arc<Vec<SlotKey>> {
        let of = |name: &str| match self.env_memo(name) {
            Some(m) => m
                .keys
                .get_or_init(|| {
                    let services = self.config.services.iter();
                    Arc::new(services.flat_map(|s| self.service_keys(name, &s.name).to_vec()).collect())
                })
                .clone(),
            None => Arc::default(),
        };
        match env {
            Some(e) => of(e),
            None => Arc::new(
                self.config.environments.iter().flat_map(|e| of(&e.name).iter().cloned().collect::<Vec<_>>()).collect(),
            ),
        }
    }

    /// How many live slots of `env` are not healthy (the Health pane's title), derived once per
    /// change, per service.
    pub fn live_problems(&self, env: &str) -> usize {
        let Some(memo) = self.env_memo(env) else { return 0 };
        *memo.problems.get_or_init(|| {
            let of_service = |service: &str| {
                let Some(m) = self.service_memo(env, service) else { return 0 };
                *m.problems.get_or_init(|| {
                    let keys = self.service_keys(env, service);
                    keys.iter().filter(|k| k.live && self.slot_key_health(k) != Health::Healthy).count()
                })
            };
            self.config.services.iter().map(|s| of_service(&s.name)).sum()
        })
    }

    /// Forgets the derived views: for code (tests, mostly) that changes the world's fields
    /// directly instead of through [`World::apply`].
    pub fn touched(&mut self) {
        self.memo.forget();
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::gen_demo_world;

    #[test]
    fn the_live_slot_is_derived_again_after_a_change_and_only_then() {
        let world = gen_demo_world();
        let before = world.live_slot("prod", "api");
        assert!(before.is_some());
        assert_eq!(before, world.derive_live_slot("prod", "api"));
        // No HAProxy and no container left: nothing is live.
        let mut changed = world.clone();
        changed.lbs.clear();
        for host in changed.hosts.values_mut() {
            host.retain(|_| false);
        }
        assert_eq!(changed.derive_live_slot("prod", "api"), None);
        assert_eq!(changed.live_slot("prod", "api"), before, "changed behind the world's back: still the memo");
        changed.touched();
        assert_eq!(changed.live_slot("prod", "api"), changed.derive_live_slot("prod", "api"));
        assert_eq!(world.live_slot("nowhere", "api"), None);
        assert_eq!(world.slot_keys(Some("prod")).as_slice(), world.derive_slot_keys("prod").as_slice());
        let all: Vec<_> = ["dev", "staging", "prod"].iter().flat_map(|e| world.derive_slot_keys(e)).collect();
        assert_eq!(world.slot_keys(None).as_slice(), all.as_slice());
        assert!(world.slot_keys(Some("nowhere")).is_empty());
        let live_unhealthy = |w: &crate::world::World, env: &str| {
            let keys = w.derive_slot_keys(env);
            keys.iter().filter(|k| k.live && w.slot_key_health(k) != super::Health::Healthy).count()
        };
        for env in ["dev", "staging", "prod"] {
            assert_eq!(world.live_problems(env), live_unhealthy(&world, env), "{env}");
        }
        assert_eq!(world.live_slot("prod", "nothing"), None);
        for env in ["dev", "staging", "prod"] {
            for service in ["api", "web", "nothing"] {
                let cell = world.cell(env, service);
                assert_eq!(cell.as_deref(), world.service_cell(env, service).as_ref(), "{service} in {env}");
            }
        }
    }
}
