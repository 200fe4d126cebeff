//! What a host's watcher knows of its slots between list calls, so that an event that says
//! enough on its own (a health status) costs no call to the engine, and a burst of events costs
//! one list call for the containers it names.

use crate::docker::inventory::{health_of, slots};
use crate::platform::SlotNews;
use crate::types::{ContainerInfo, DockerEvent};
use bollard::Docker;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Default)]
pub(super) struct Known {
    slots: HashMap<String, ContainerInfo>,
}

impl Known {
    /// The whole picture, from a full list.
    pub(super) fn replace(&mut self, listed: &[ContainerInfo]) {
        self.slots = listed.iter().map(|c| (c.id.clone(), c.clone())).collect();
    }

    /// What `batch` changed, in order: health changes of known containers from the events
    /// themselves, then one list call for the rest.
    pub(super) async fn news(&mut self, docker: &Docker, timeout: Duration, batch: Vec<DockerEvent>) -> Vec<SlotNews> {
        let (mut out, relist) = self.apply_events(batch);
        if relist.is_empty() {
            return out;
        }
        match slots(docker, &relist, timeout).await {
            Ok(found) => {
                for id in relist {
                    match found.iter().find(|c| c.id == id) {
                        Some(c) => {
                            self.slots.insert(id, c.clone());
                            out.push(SlotNews::Changed(c.clone()));
                        }
                        None => {
                            self.slots.remove(&id);
                            out.push(SlotNews::Removed(id));
                        }
                    }
                }
            }
            Err(e) => out.push(SlotNews::Snapshot(Err(e))),
        }
        out
    }

    /// The news the events say on their own, and the containers to list again (each once).
    fn apply_events(&mut self, batch: Vec<DockerEvent>) -> (Vec<SlotNews>, Vec<String>) {
        let (mut out, mut relist) = (Vec::new(), Vec::<String>::new());
        for DockerEvent::Container { id, action } in batch {
            if relist.contains(&id) {
                continue;
            }
            match (health_of(&action), self.slots.get_mut(&id)) {
                (Some(health), Some(known)) => {
                    known.health = health;
                    out.push(SlotNews::Changed(known.clone()));
                }
                _ => relist.push(id),
            }
        }
        (out, relist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DockerHealth;

    fn event(id: &str, action: &str) -> DockerEvent {
        DockerEvent::Container { id: id.into(), action: action.into() }
    }

    #[test]
    fn a_health_change_needs_no_call_and_a_burst_lists_each_container_once() {
        let mut known = Known::default();
        let blue = ContainerInfo { id: "b1".into(), name: "api-prod-blue".into(), ..ContainerInfo::default() };
        known.replace(std::slice::from_ref(&blue));
        let (news, relist) = known.apply_events(vec![event("b1", "health_status: unhealthy")]);
        assert!(relist.is_empty(), "said by the event");
        assert!(
            matches!(&news[..], [SlotNews::Changed(c)] if c.health == DockerHealth::Unhealthy && c.name == "api-prod-blue")
        );
        // A new container (unknown), started then healthy: listed once; a die of a known one too.
        let burst = vec![
            event("g2", "create"),
            event("g2", "start"),
            event("g2", "health_status: healthy"),
            event("b1", "die"),
        ];
        let (news, relist) = known.apply_events(burst);
        assert!(news.is_empty());
        assert_eq!(relist, ["g2", "b1"]);
    }
}
