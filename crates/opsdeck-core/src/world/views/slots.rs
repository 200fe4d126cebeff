//! The Health pane's rows: every slot of an environment on every host, live ones first per
//! service. Their order and liveness ([`SlotKey`]) are cheap; the details of a row
//! ([`World::slot_row`]) are looked up only for the rows a frame shows.

use super::{Health, SlotRow, World};
use crate::config::SLOTS;
use crate::world::SlotId;
use opsdeck_backends::types::{ContainerInfo, ServerStat};

/// One slot of one host in the Health pane's order, before its details are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotKey {
    pub id: SlotId,
    /// Whether the slot takes the service's traffic in its environment.
    pub live: bool,
}

impl World {
    /// Every slot of `env`, live ones first per service (made once per change: see
    /// [`World::slot_keys`]).
    #[cfg(test)]
    pub(crate) fn derive_slot_keys(&self, env: &str) -> Vec<SlotKey> {
        self.config.services.iter().flat_map(|s| self.derive_service_keys(env, &s.name)).collect()
    }

    /// `service`'s slots in `env`, the live one first: a row per host and slot, or per task.
    pub(crate) fn derive_service_keys(&self, env: &str, service: &str) -> Vec<SlotKey> {
        let mut keys = Vec::new();
        let Some(e) = self.config.environment(env) else { return keys };
        let Some(svc) = self.config.service(service).filter(|s| s.environments.contains_key(env)) else { return keys };
        let live = self.live_slot(&e.name, &svc.name);
        let mut slots: Vec<&str> = SLOTS.to_vec();
        slots.sort_by_key(|s| live.as_deref() != Some(*s));
        for slot in slots {
            let is_live = live.as_deref() == Some(slot);
            if e.replicated() {
                // A row per task; a slot with none still has its row.
                for (host, c) in self.slot_tasks(&e.name, &svc.name, slot) {
                    keys.push(SlotKey { id: self.slot_id(host, &svc.name, slot, c), live: is_live });
                }
                continue;
            }
            for host in self.hosts.keys().filter(|h| h.env == e.name) {
                let id = SlotId {
                    env: e.name.clone(),
                    service: svc.name.clone(),
                    slot: slot.into(),
                    host: host.host.clone(),
                    replica: String::new(),
                };
                keys.push(SlotKey { id, live: is_live });
            }
        }
        keys
    }

    /// The health of one slot (as its row would say, without the rest of the row).
    pub fn slot_key_health(&self, key: &SlotKey) -> Health {
        self.slot_health(&key.id, self.container_of(&key.id)).0
    }

    /// Everything the Health pane shows of one slot.
    pub fn slot_row(&self, key: &SlotKey) -> SlotRow {
        let id = &key.id;
        let c = self.container_of(id);
        let backend = self.config.service(&id.service).and_then(|s| s.environments.get(&id.env)).map(|r| &r.backend);
        let (health, reason) = self.slot_health(id, c);
        let entry = self.health.get(id);
        SlotRow {
            live: key.live,
            container: c.cloned(),
            server: backend.and_then(|b| self.row_server(id, b, c)).cloned(),
            health,
            reason,
            latency_ms: entry.map(|e| e.report.latency.as_millis()),
            checked_age: entry.map(|en| crate::world::short_age(en.at, self.now)),
            fields: entry
                .map(|e| e.report.services.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            id: id.clone(),
        }
    }

    /// Every slot of `env` (all environments when None) with its details, live ones first per
    /// service.
    pub fn slot_rows(&self, env: Option<&str>) -> Vec<SlotRow> {
        self.slot_keys(env).iter().map(|k| self.slot_row(k)).collect()
    }

    fn container_of(&self, id: &SlotId) -> Option<&ContainerInfo> {
        let host = crate::world::HostId { env: id.env.clone(), host: id.host.clone() };
        let host = self.hosts.get(&host)?;
        if id.replica.is_empty() {
            return host.slot_container(&id.service, &id.env, &id.slot);
        }
        host.slot_containers_all(&id.service, &id.env, &id.slot).find(|c| c.name == id.replica)
    }

    /// The server of a row: a task's is the numbered server of its slot that HAProxy sends to
    /// the task's published port (servers follow tasks, so the number says nothing by itself).
    fn row_server(&self, id: &SlotId, backend: &str, c: Option<&ContainerInfo>) -> Option<&ServerStat> {
        if id.replica.is_empty() {
            return self.server(&id.env, backend, &id.slot, &id.host);
        }
        let container_port = self.config.service(&id.service)?.container_port;
        let published = *c?.ports.get(&container_port)?;
        let port_of = |s: &ServerStat| s.address.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
        self.slot_servers(&id.env, backend, &id.slot).into_iter().find(|s| port_of(s) == Some(published))
    }
}
