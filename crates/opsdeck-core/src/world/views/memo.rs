//! Views derived once per change of the world instead of once per frame: which slot is live for
//! every service in every environment. A frame drawn after a key (the world unchanged) looks them
//! up; [`World::apply`] forgets them, so they are never older than the world.

use super::World;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The derived views, each made on first use after a change.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// env -> service -> the live slot.
    live: OnceLock<BTreeMap<String, BTreeMap<String, Option<String>>>>,
}

impl Memo {
    /// The world changed: every view is made again when next asked for.
    pub(crate) fn forget(&mut self) {
        *self = Memo::default();
    }
}

impl World {
    /// The slot taking `service`'s traffic in `env` (see [`World::derive_live_slot`]), derived
    /// once per change of the world.
    pub fn live_slot(&self, env: &str, service: &str) -> Option<String> {
        let live = self.memo.live.get_or_init(|| {
            let mut all: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
            for e in &self.config.environments {
                let services = all.entry(e.name.clone()).or_default();
                for svc in self.config.services.iter().filter(|s| s.environments.contains_key(&e.name)) {
                    services.insert(svc.name.clone(), self.derive_live_slot(&e.name, &svc.name));
                }
            }
            all
        });
        live.get(env)?.get(service)?.clone()
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
        assert_eq!(world.live_slot("prod", "nothing"), None);
    }
}
