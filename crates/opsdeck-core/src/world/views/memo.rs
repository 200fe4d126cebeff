//! Views derived once per change of the world instead of once per frame: which slot is live for
//! every service in every environment, the Environments pane's cells, and the Health pane's slots
//! and live problems per environment. A frame drawn after a key (the world unchanged) looks them up; [`World::apply`]
//! forgets them, so they are never older than the world.

use super::{Health, ServiceCell, SlotKey, World};
use std::sync::{Arc, OnceLock};

/// The derived views, each made on first use after a change, per environment (and per service
/// for the live slot): a frame pays only for what it shows.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// One per environment, in the config's order.
    envs: OnceLock<Vec<EnvMemo>>,
}

#[derive(Debug, Clone, Default)]
struct EnvMemo {
    /// The live slot of each service, in the config's order.
    live: Vec<OnceLock<Option<String>>>,
    /// The Environments pane's cell of each service, in the config's order.
    cells: Vec<OnceLock<Option<Arc<ServiceCell>>>>,
    /// The environment's slots in the Health pane's order.
    keys: OnceLock<Arc<Vec<SlotKey>>>,
    /// How many of its live slots are not healthy.
    problems: OnceLock<usize>,
}

impl Memo {
    /// The world changed: every view is made again when next asked for.
    pub(crate) fn forget(&mut self) {
        *self = Memo::default();
    }
}

impl World {
    /// The memo of environment `env`, if the config has it.
    fn env_memo(&self, env: &str) -> Option<&EnvMemo> {
        let envs = self.memo.envs.get_or_init(|| {
            let services = self.config.services.len();
            let empty = || EnvMemo {
                live: (0..services).map(|_| OnceLock::new()).collect(),
                cells: (0..services).map(|_| OnceLock::new()).collect(),
                ..Default::default()
            };
            self.config.environments.iter().map(|_| empty()).collect()
        });
        envs.get(self.config.environments.iter().position(|e| e.name == env)?)
    }

    /// The slot taking `service`'s traffic in `env` (see [`World::derive_live_slot`]), derived
    /// once per change of the world.
    pub fn live_slot(&self, env: &str, service: &str) -> Option<String> {
        let at = self.config.services.iter().position(|s| s.name == service)?;
        let cell = self.env_memo(env)?.live.get(at)?;
        cell.get_or_init(|| self.derive_live_slot(env, service)).clone()
    }

    /// The Environments pane's cell for `service` in `env` (see [`World::service_cell`]), derived
    /// once per change of the world (or of a warm slot's window, see [`World::tick`]).
    pub fn cell(&self, env: &str, service: &str) -> Option<Arc<ServiceCell>> {
        let at = self.config.services.iter().position(|s| s.name == service)?;
        let cell = self.env_memo(env)?.cells.get(at)?;
        cell.get_or_init(|| self.service_cell(env, service).map(Arc::new)).clone()
    }

    /// Every slot of `env` (all environments when None), live ones first per service, derived
    /// once per change of the world.
    pub fn slot_keys(&self, env: Option<&str>) -> Arc<Vec<SlotKey>> {
        let of = |name: &str| match self.env_memo(name) {
            Some(m) => m.keys.get_or_init(|| Arc::new(self.derive_slot_keys(name))).clone(),
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
    /// change of the world.
    pub fn live_problems(&self, env: &str) -> usize {
        let Some(memo) = self.env_memo(env) else { return 0 };
        *memo.problems.get_or_init(|| {
            let keys = self.slot_keys(Some(env));
            keys.iter().filter(|k| k.live && self.slot_key_health(k) != Health::Healthy).count()
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
