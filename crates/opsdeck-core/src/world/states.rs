//! What one Docker engine and one HAProxy last said, each with the index the views look things up
//! by. Drawing asks "the container of this slot on this host" and "the server of this slot on this
//! host" for every cell of every pane; scanning every container's labels and every server's name
//! for each made a frame of a large fleet take a quarter of a second. The indexes are kept by the
//! only methods that change the data, so they cannot go stale.

use super::Reach;
use opsdeck_backends::types::{labels, ContainerInfo, ServerStat};
use std::collections::{BTreeMap, HashMap};

/// Container ids by service, environment and slot label, in id order.
type SlotIndex = HashMap<String, HashMap<String, HashMap<String, Vec<String>>>>;

/// What one Docker engine last told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostState {
    pub reach: Reach,
    /// Containers carrying opsdeck's labels, by container id.
    containers: BTreeMap<String, ContainerInfo>,
    /// For each slot, its containers in id order: one, unless someone started a stray copy by
    /// hand, or the slot is a Swarm service with a task per replica.
    slots: SlotIndex,
}

fn slot_key(c: &ContainerInfo) -> Option<(&str, &str, &str)> {
    Some((c.label(labels::SERVICE)?, c.label(labels::ENV)?, c.label(labels::SLOT)?))
}

impl HostState {
    /// Every container, by id.
    pub fn containers(&self) -> &BTreeMap<String, ContainerInfo> {
        &self.containers
    }

    /// The container of `service`'s `slot` in `env` on this engine.
    pub fn slot_container(&self, service: &str, env: &str, slot: &str) -> Option<&ContainerInfo> {
        self.slot_containers_all(service, env, slot).next()
    }

    /// Every container of `service`'s `slot` in `env` on this engine, in id order (a replicated
    /// slot's tasks).
    pub fn slot_containers_all<'a>(
        &'a self,
        service: &str,
        env: &str,
        slot: &str,
    ) -> impl Iterator<Item = &'a ContainerInfo> + 'a {
        let ids = self.slots.get(service).and_then(|e| e.get(env)).and_then(|s| s.get(slot));
        ids.into_iter().flatten().filter_map(|id| self.containers.get(id))
    }

    /// A full list replaces what was known.
    pub fn set_containers(&mut self, list: impl IntoIterator<Item = ContainerInfo>) {
        self.containers = list.into_iter().map(|c| (c.id.clone(), c)).collect();
        self.slots.clear();
        for c in self.containers.values() {
            if let Some((service, env, slot)) = slot_key(c) {
                let ids = self.slots.entry(service.into()).or_default().entry(env.into()).or_default();
                // Ids come in order, so the list stays in id order.
                ids.entry(slot.into()).or_default().push(c.id.clone());
            }
        }
    }

    /// One container changed (or appeared).
    pub fn insert(&mut self, container: ContainerInfo) {
        let old = self.containers.insert(container.id.clone(), container.clone());
        for c in old.iter().chain(Some(&container)) {
            self.reindex(c);
        }
    }

    /// One container is gone.
    pub fn remove(&mut self, id: &str) {
        if let Some(old) = self.containers.remove(id) {
            self.reindex(&old);
        }
    }

    /// Keeps the containers `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&ContainerInfo) -> bool) {
        let list: Vec<ContainerInfo> = std::mem::take(&mut self.containers).into_values().filter(|c| keep(c)).collect();
        self.set_containers(list);
    }

    /// Finds again the containers of `c`'s slot, by a scan of this engine's containers (a few
    /// dozen: only an event pays it, never a frame).
    fn reindex(&mut self, c: &ContainerInfo) {
        let Some((service, env, slot)) = slot_key(c) else { return };
        let all: Vec<String> = self
            .containers
            .values()
            .filter(|o| slot_key(o) == Some((service, env, slot)))
            .map(|o| o.id.clone())
            .collect();
        let ids = self.slots.entry(service.into()).or_default().entry(env.into()).or_default();
        if all.is_empty() {
            ids.remove(slot);
        } else {
            ids.insert(slot.into(), all);
        }
    }
}

/// What an environment's HAProxy last told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LbState {
    pub reach: Reach,
    servers: Vec<ServerStat>,
    /// Positions in `servers` by backend and server name (the first, should HAProxy repeat one).
    index: HashMap<String, HashMap<String, usize>>,
}

impl LbState {
    /// Every server of every backend, in HAProxy's order.
    pub fn servers(&self) -> &[ServerStat] {
        &self.servers
    }

    /// The servers, to change their state in place (a plan's "as it will be"; tests). Names
    /// must not change through it: they are what the index is by.
    pub fn servers_mut(&mut self) -> &mut [ServerStat] {
        &mut self.servers
    }

    /// `server` of `backend`.
    pub fn server(&self, backend: &str, server: &str) -> Option<&ServerStat> {
        let at = *self.index.get(backend)?.get(server)?;
        self.servers.get(at)
    }

    /// A new answer replaces the old one.
    pub fn set_servers(&mut self, servers: Vec<ServerStat>) {
        self.servers = servers;
        self.index.clear();
        for (at, s) in self.servers.iter().enumerate() {
            self.index.entry(s.backend.clone()).or_default().entry(s.server.clone()).or_insert(at);
        }
    }

    /// Keeps the servers `keep` says yes to.
    pub fn retain(&mut self, keep: impl FnMut(&ServerStat) -> bool) {
        let mut servers = std::mem::take(&mut self.servers);
        servers.retain(keep);
        self.set_servers(servers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str, service: &str, slot: &str) -> ContainerInfo {
        let labels = [(labels::SERVICE, service), (labels::ENV, "prod"), (labels::SLOT, slot)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ContainerInfo { id: id.into(), name: format!("{service}-prod-{slot}"), labels, ..Default::default() }
    }

    #[test]
    fn the_slot_index_follows_every_change_and_prefers_the_first_id() {
        let mut h = HostState::default();
        h.set_containers([
            container("b", "api", "blue"),
            container("a", "api", "blue"),
            container("c", "api", "green"),
        ]);
        assert_eq!(h.slot_container("api", "prod", "blue").map(|c| c.id.as_str()), Some("a"));
        let all: Vec<&str> = h.slot_containers_all("api", "prod", "blue").map(|c| c.id.as_str()).collect();
        assert_eq!(all, ["a", "b"]);
        h.remove("a");
        assert_eq!(h.slot_container("api", "prod", "blue").map(|c| c.id.as_str()), Some("b"));
        // A container whose labels changed leaves its old slot.
        h.insert(container("c", "api", "blue"));
        assert_eq!(h.slot_container("api", "prod", "green"), None);
        assert_eq!(h.slot_container("api", "prod", "blue").map(|c| c.id.as_str()), Some("b"));
        h.retain(|c| c.id != "b");
        assert_eq!(h.slot_container("api", "prod", "blue").map(|c| c.id.as_str()), Some("c"));
        assert_eq!(h.slot_container("web", "prod", "blue"), None);
    }

    #[test]
    fn the_server_index_follows_every_change() {
        let server = |backend: &str, name: &str| crate::testing::gen_server(backend, name, true);
        let mut lb = LbState::default();
        lb.set_servers(vec![server("api_prod", "blue"), server("api_prod", "green"), server("web_prod", "blue")]);
        assert_eq!(lb.server("web_prod", "blue").map(|s| s.backend.as_str()), Some("web_prod"));
        lb.retain(|s| s.backend != "api_prod");
        assert_eq!(lb.server("api_prod", "blue"), None);
        assert_eq!(lb.server("web_prod", "blue").map(|s| s.server.as_str()), Some("blue"));
    }
}
