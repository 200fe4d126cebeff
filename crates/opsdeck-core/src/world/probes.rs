//! What to probe: every running slot container with its `/health` URL, derived from the world
//! (the console schedules these; `gather` probes them once).

use super::{HostId, SlotId, World};
use opsdeck_backends::types::{labels, ContainerInfo};

impl World {
    /// Every running slot container (on `only_host`, or everywhere), with its `/health` URL.
    pub fn probe_targets(&self, only_host: Option<&HostId>) -> Vec<(SlotId, String)> {
        self.hosts
            .iter()
            .filter(|(id, _)| only_host.is_none_or(|h| h == *id))
            .flat_map(|(id, host)| {
                host.containers().values().filter(|c| c.is_running()).filter_map(move |c| self.probe_target(id, c))
            })
            .collect()
    }

    fn probe_target(&self, host_id: &HostId, c: &ContainerInfo) -> Option<(SlotId, String)> {
        let service = self.config.service(c.label(labels::SERVICE)?)?;
        let host = self.config.environment(&host_id.env)?.hosts.iter().find(|h| h.name == host_id.host)?;
        let port = c.ports.get(&service.container_port)?;
        // In a replicated environment each task is probed and recorded on its own.
        let slot = self.slot_id(host_id, &service.name, c.label(labels::SLOT)?, Some(c));
        let url = format!("http://{}:{port}{}", host.probe_address(), service.health_path);
        Some((slot, url))
    }
}
