//! Derived views of the world: which slot is live, what it runs, how healthy it is, what each
//! image is deployed as. Pure functions shared by the panes and by `opsdeck status`, so the
//! screen and the JSON always agree.

use super::{HostId, SlotId, World};
use opsdeck_backends::types::{labels, ContainerInfo, DockerHealth, HealthVerdict, ServerStat};
use serde::Serialize;

/// The health of a service in an environment, as `status --json` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Unhealthy,
    Unknown,
    Unreachable,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Unknown => "unknown",
            Health::Unreachable => "unreachable",
        }
    }

    /// The worse of two verdicts: one bad host makes the service bad.
    fn worst(self, other: Health) -> Health {
        fn rank(h: Health) -> u8 {
            match h {
                Health::Healthy => 0,
                Health::Unknown => 1,
                Health::Unhealthy => 2,
                Health::Unreachable => 3,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// An image reference split into what an operator reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub struct ImageRef {
    /// The full reference the container was created from.
    pub reference: String,
    pub tag: String,
    pub digest: String,
}

impl ImageRef {
    fn of(container: &ContainerInfo) -> ImageRef {
        let reference = container.label(labels::IMAGE).unwrap_or(&container.image).to_string();
        let digest = container.label(labels::DIGEST).unwrap_or_default().to_string();
        ImageRef { tag: tag_of(&reference), reference, digest }
    }

    /// `3f9c2e1`: the first hex characters of the digest, as people quote them.
    pub fn short_digest(&self) -> &str {
        short_digest(&self.digest)
    }
}

/// The tag part of `host:port/repo:tag` (empty when there is none).
pub fn tag_of(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    let last = last.split('@').next().unwrap_or(last);
    last.split_once(':').map(|(_, t)| t.to_string()).unwrap_or_default()
}

/// First 7 hex characters of a `sha256:...` digest.
pub fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    hex.get(..7).unwrap_or(hex)
}

/// One service in one environment: the cell of the Environments pane and, serialized, an entry
/// of `status --json`'s `environments[].services[]` (a public interface: rename nothing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCell {
    /// Implied by the environment the entry sits in.
    #[serde(skip)]
    pub env: String,
    #[serde(rename = "name")]
    pub service: String,
    /// Its address through the load balancer.
    pub url: String,
    pub backend: String,
    pub live_slot: Option<String>,
    pub image: Option<ImageRef>,
    /// What the idle slot holds (the instant-rollback target).
    pub idle_image: Option<ImageRef>,
    pub health: Health,
    pub reason: String,
    /// How many releases this environment is behind the one before it on the ladder.
    pub drift: Option<usize>,
    /// HAProxy disagrees with the slot that runs (after a reload, or a change made by hand).
    pub lb_mismatch: Option<LbMismatch>,
    /// The live slot on each host of the environment, in the config's order.
    pub hosts: Vec<HostHealth>,
    /// Until when the idle slot stays running out of traffic after the last switch (a rollback
    /// meanwhile is a switch); absent when it is stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_warm_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl ServiceCell {
    /// How many hosts' live slot is healthy, of how many: the `2/2` of a multi-host cell.
    pub fn healthy_hosts(&self) -> (usize, usize) {
        (self.hosts.iter().filter(|h| h.health == Health::Healthy).count(), self.hosts.len())
    }
}

/// The live slot of a service on one host: an entry of `status --json`'s `hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostHealth {
    pub name: String,
    pub health: Health,
    /// Why not healthy (empty, and left out of the JSON, when it is).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// HAProxy's traffic does not go to the environment's running slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LbMismatch {
    /// The slot whose containers run (the live one by opsdeck's record).
    pub running_slot: String,
    /// The servers HAProxy has ready.
    pub haproxy_ready: Vec<String>,
    pub message: String,
}

/// One slot on one host: a row of the Health pane.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRow {
    pub id: SlotId,
    pub live: bool,
    pub container: Option<ContainerInfo>,
    pub server: Option<ServerStat>,
    pub health: Health,
    pub reason: String,
    pub latency_ms: Option<u128>,
    pub checked_age: Option<String>,
    pub fields: Vec<(String, String)>,
}

/// One image of a service's history: a row of the Images pane and of `status`'s `images`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRow {
    pub digest: String,
    pub tags: Vec<String>,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// A multi-platform image's platforms (`linux/amd64`); empty (and left out of `status
    /// --json`) for one platform.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Environments whose live slot runs it.
    pub deployed_in: Vec<String>,
    /// Environments whose idle slot holds it.
    pub idle_in: Vec<String>,
    /// Within the service's `keep_images`, or in use: not prunable.
    pub kept: bool,
}

use crate::config::SLOTS;

impl World {
    /// The containers of `service`'s `slot` in `env`, one per host, with the host's id.
    pub(crate) fn slot_containers<'a>(
        &'a self,
        env: &'a str,
        service: &'a str,
        slot: &'a str,
    ) -> impl Iterator<Item = (&'a HostId, Option<&'a ContainerInfo>)> + 'a {
        self.hosts
            .iter()
            .filter(move |(id, _)| id.env == env)
            .map(move |(id, host)| (id, host.slot_container(service, env, slot)))
    }

    /// Whether `env`'s slots are Swarm services, each task its own probe and row.
    pub(crate) fn replicated(&self, env: &str) -> bool {
        self.config.environment(env).is_some_and(|e| e.replicated())
    }

    /// What is probed and shown of `slot` on `host`: in a replicated environment, one entry
    /// per task (or one without a container when the slot has none); elsewhere, the one
    /// container of each host, as [`World::slot_containers`] gives it.
    pub(crate) fn slot_tasks<'a>(
        &'a self,
        env: &'a str,
        service: &'a str,
        slot: &'a str,
    ) -> Vec<(&'a HostId, Option<&'a ContainerInfo>)> {
        if !self.replicated(env) {
            return self.slot_containers(env, service, slot).collect();
        }
        let mut out = Vec::new();
        for (id, host) in self.hosts.iter().filter(|(id, _)| id.env == env) {
            let before = out.len();
            out.extend(host.slot_containers_all(service, env, slot).map(|c| (id, Some(c))));
            if out.len() == before {
                out.push((id, None));
            }
        }
        out
    }

    /// The key of `slot`'s `container` on `host`: the task's name is part of it in a
    /// replicated environment, so each task's `/health` is kept apart.
    pub fn slot_id(&self, host: &HostId, service: &str, slot: &str, container: Option<&ContainerInfo>) -> SlotId {
        let replica = match container {
            Some(c) if self.replicated(&host.env) => c.name.clone(),
            _ => String::new(),
        };
        SlotId { env: host.env.clone(), service: service.into(), slot: slot.into(), host: host.host.clone(), replica }
    }

    /// The health of one slot on one host, and why.
    fn slot_health(&self, id: &SlotId, container: Option<&ContainerInfo>) -> (Health, String) {
        let host = self.hosts.get(&HostId { env: id.env.clone(), host: id.host.clone() });
        if let Some(reason) = host.and_then(|h| h.reach.down_reason()) {
            return (Health::Unreachable, format!("{}: {reason}", id.host));
        }
        // A task's trouble is named by the task: the host is the same for all of them.
        let who = if id.replica.is_empty() { &id.host } else { &id.replica };
        let Some(c) = container else {
            return match host.map(|h| &h.reach) {
                Some(super::Reach::Up { .. }) => (Health::Unhealthy, format!("{who}: no container")),
                _ => (Health::Unknown, String::new()),
            };
        };
        if !c.is_running() {
            return (Health::Unhealthy, format!("{who}: container {}", c.state));
        }
        if c.health == DockerHealth::Unhealthy {
            return (Health::Unhealthy, format!("{who}: docker healthcheck failing"));
        }
        match self.health.get(id) {
            None => (Health::Unknown, String::new()),
            Some(e) => match e.report.verdict {
                HealthVerdict::Healthy => (Health::Healthy, String::new()),
                HealthVerdict::Unhealthy => (Health::Unhealthy, format!("{who}: {}", e.report.reason)),
                HealthVerdict::Unreachable => (Health::Unreachable, format!("{who}: {}", e.report.reason)),
            },
        }
    }

    /// The Environments pane's cell and `status`'s entry for `service` in `env`.
    pub fn service_cell(&self, env: &str, service: &str) -> Option<ServiceCell> {
        let svc = self.config.service(service)?;
        let route = svc.environments.get(env)?;
        let live_slot = self.live_slot(env, service);
        let image_in = |slot: &str| self.slot_containers(env, service, slot).find_map(|(_, c)| c).map(ImageRef::of);
        let image = live_slot.as_deref().and_then(image_in);
        let idle_image = live_slot.as_deref().map(other_slot).and_then(image_in);
        let (mut health, mut reason) = (Health::Unknown, String::new());
        let mut hosts: Vec<HostHealth> = Vec::new();
        if let Some(slot) = &live_slot {
            let mut first = true;
            for (host, c) in self.slot_tasks(env, service, slot) {
                let (h, r) = self.slot_health(&self.slot_id(host, service, slot, c), c);
                health = if first { h } else { health.worst(h) };
                first = false;
                if reason.is_empty() && !r.is_empty() {
                    reason = r.clone();
                }
                // A host with several tasks is as healthy as its worst one.
                match hosts.last_mut() {
                    Some(last) if last.name == host.host => {
                        last.health = last.health.worst(h);
                        if last.reason.is_empty() {
                            last.reason = r;
                        }
                    }
                    _ => hosts.push(HostHealth { name: host.host.clone(), health: h, reason: r }),
                }
            }
        } else if let Some((_, r)) =
            self.hosts.iter().filter(|(id, _)| id.env == env).find_map(|(id, h)| h.reach.down_reason().map(|r| (id, r)))
        {
            health = Health::Unreachable;
            reason = r.to_string();
        } else if let Some(r) = self.lbs.get(env).and_then(|lb| lb.reach.down_reason()) {
            reason = r.to_string();
        }
        let drift = self.drift(env, service, image.as_ref());
        let lb_mismatch = self.lb_mismatch(env, service, &route.backend);
        let idle_warm_until = live_slot.as_deref().and_then(|l| self.warm_until(env, service, other_slot(l)));
        Some(ServiceCell {
            env: env.into(),
            service: service.into(),
            url: route.url.clone(),
            backend: route.backend.clone(),
            live_slot,
            image,
            idle_image,
            health,
            reason,
            drift,
            lb_mismatch,
            hosts,
            idle_warm_until,
        })
    }

    /// Releases between this environment's live image and the previous environment's, counted
    /// in the registry history (newest first). None when either is unknown or this one is ahead.
    fn drift(&self, env: &str, service: &str, image: Option<&ImageRef>) -> Option<usize> {
        let envs = &self.config.environments;
        let i = envs.iter().position(|e| e.name == env)?;
        let prev = envs.get(i.checked_sub(1)?)?;
        let prev_slot = self.live_slot(&prev.name, service)?;
        let prev_image =
            self.slot_containers(&prev.name, service, &prev_slot).find_map(|(_, c)| c).map(ImageRef::of)?;
        let history = self.registry.images.get(service)?;
        let pos = |d: &str| history.iter().position(|im| im.digest == d);
        let (here, there) = (pos(&image?.digest)?, pos(&prev_image.digest)?);
        here.checked_sub(there)
    }
}

/// The other slot of the pair.
pub fn other_slot(slot: &str) -> &'static str {
    if slot == "blue" {
        "green"
    } else {
        "blue"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_digests_read_like_people_quote_them() {
        assert_eq!(tag_of("127.0.0.1:5000/api:v1.2.0"), "v1.2.0");
        assert_eq!(tag_of("127.0.0.1:5000/api"), "");
        assert_eq!(tag_of("api:3f9c2e1@sha256:abcd"), "3f9c2e1");
        assert_eq!(short_digest("sha256:3f9c2e1aa"), "3f9c2e1");
        assert_eq!(short_digest("abc"), "abc");
    }
}

mod images;
pub mod memo;
#[cfg(test)]
mod memo_tests;
mod servers;
mod slots;

pub use slots::SlotKey;

#[cfg(test)]
mod mismatch_tests;
