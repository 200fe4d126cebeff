//! The `status --json` document. Field names here are public: rename nothing.

use chrono::{DateTime, Utc};
use opsdeck_core::world::views::{ImageRow, ServiceCell};
use opsdeck_core::world::{Reach, World};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct StatusJson {
    pub generated_at: DateTime<Utc>,
    pub environments: Vec<EnvJson>,
    /// Image history per service, newest first.
    pub images: BTreeMap<String, Vec<ImageRow>>,
    pub alerts: Vec<AlertJson>,
    pub registry: ReachJson,
    pub alertmanager: Option<ReachJson>,
    /// Running and recent actions (from every opsdeck process sharing the state store), newest first.
    pub actions: Vec<ActionJson>,
    /// Held locks: one action per service and environment at a time.
    pub locks: Vec<LockJson>,
    /// Why the state store could not be read, if it could not.
    pub store_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionJson {
    pub id: i64,
    pub kind: String,
    pub service: String,
    pub env: String,
    pub from: Option<opsdeck_core::store::ImageRef>,
    pub to: opsdeck_core::store::ImageRef,
    pub hosts: Vec<String>,
    pub user: String,
    pub started_at: DateTime<Utc>,
    pub running: bool,
    /// The last step journaled, and its phase.
    pub step: Option<String>,
    pub outcome: Option<opsdeck_core::store::ActionOutcome>,
    pub reason: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct LockJson {
    pub service: String,
    pub env: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub what: String,
    pub since: DateTime<Utc>,
    pub heartbeat: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct EnvJson {
    pub name: String,
    pub approval: opsdeck_core::config::ApprovalPolicy,
    pub hosts: Vec<HostJson>,
    pub haproxy: ReachJson,
    pub services: Vec<ServiceCell>,
}

#[derive(Debug, Serialize)]
pub struct HostJson {
    pub name: String,
    pub url: String,
    #[serde(flatten)]
    pub reach: ReachJson,
}

/// Whether a system answered; when it did not, why and since when.
#[derive(Debug, Serialize)]
pub struct ReachJson {
    pub reachable: bool,
    pub reason: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct AlertJson {
    /// The alert's `alertname`.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub state: String,
    pub since: Option<DateTime<Utc>>,
}

fn reach(r: &Reach) -> ReachJson {
    match r {
        Reach::Up { .. } => ReachJson { reachable: true, reason: None, since: None },
        Reach::Pending => ReachJson { reachable: false, reason: Some("not asked yet".into()), since: None },
        Reach::Down { reason, since } => {
            ReachJson { reachable: false, reason: Some(reason.clone()), since: Some(*since) }
        }
    }
}

/// The status document for `world`.
pub fn to_json(world: &World) -> StatusJson {
    let environments = world
        .config
        .environments
        .iter()
        .map(|env| EnvJson {
            name: env.name.clone(),
            approval: env.approval.policy,
            hosts: env
                .hosts
                .iter()
                .map(|h| {
                    let state = world
                        .hosts
                        .iter()
                        .find(|(id, _)| id.env == env.name && id.host == h.name)
                        .map(|(_, s)| &s.reach);
                    HostJson {
                        name: h.name.clone(),
                        url: h.url.clone(),
                        reach: reach(state.unwrap_or(&Reach::Pending)),
                    }
                })
                .collect(),
            haproxy: reach(world.lbs.get(&env.name).map(|l| &l.reach).unwrap_or(&Reach::Pending)),
            services: world.config.services.iter().filter_map(|s| world.service_cell(&env.name, &s.name)).collect(),
        })
        .collect();
    let images = world.config.services.iter().map(|s| (s.name.clone(), world.image_rows(&s.name))).collect();
    let alerts = world
        .alert_rows()
        .into_iter()
        .map(|a| AlertJson {
            name: a.name.clone(),
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            state: a.state.clone(),
            since: a.starts_at,
        })
        .collect();
    let actions = world
        .actions
        .recent
        .iter()
        .map(|e| ActionJson {
            id: e.id.0,
            kind: e.action.kind.clone(),
            service: e.action.service.clone(),
            env: e.action.env.clone(),
            from: e.action.from.clone(),
            to: e.action.to.clone(),
            hosts: e.action.hosts.clone(),
            user: e.action.user.clone(),
            started_at: e.action.started_at,
            running: e.finish.is_none(),
            step: e
                .steps
                .last()
                .map(|s| format!("{} ({})", s.step_name, opsdeck_core::actions::events::phase_word(s.phase))),
            outcome: e.finish.as_ref().map(|f| f.outcome),
            reason: e.finish.as_ref().map(|f| f.reason.clone()),
            finished_at: e.finish.as_ref().map(|f| f.at),
        })
        .collect();
    let locks = world
        .actions
        .locks
        .iter()
        .map(|l| LockJson {
            service: l.service.clone(),
            env: l.env.clone(),
            user: l.holder.user.clone(),
            host: l.holder.host.clone(),
            pid: l.holder.pid,
            what: l.what.clone(),
            since: l.since,
            heartbeat: l.heartbeat,
        })
        .collect();
    StatusJson {
        actions,
        locks,
        store_error: world.actions.error.clone(),
        generated_at: world.now,
        environments,
        images,
        alerts,
        registry: reach(&world.registry.reach),
        alertmanager: world.alerts.configured.then(|| reach(&world.alerts.reach)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gen_demo_world;

    #[test]
    fn the_public_fields_are_there() {
        let v = serde_json::to_value(to_json(&gen_demo_world())).expect("serializes");
        let prod = &v["environments"][2];
        assert_eq!(prod["name"], "prod");
        let api = &prod["services"][0];
        assert_eq!(api["name"], "api");
        assert_eq!(api["url"], "http://127.0.0.1:18003");
        assert_eq!(api["live_slot"], "blue");
        assert_eq!(api["image"]["tag"], "v1.2.0");
        assert!(api["image"]["digest"].as_str().is_some_and(|d| d.starts_with("sha256:")));
        // prod-2 does not answer: the service is unreachable there, and says why.
        assert_eq!(api["health"], "unreachable");
        assert!(api["reason"].as_str().is_some_and(|r| r.contains("prod-2")), "{api}");
        assert_eq!(api["drift"], 1);
        let staging_web = &v["environments"][1]["services"][1];
        assert_eq!(staging_web["health"], "unhealthy");
        let images = &v["images"]["api"];
        assert_eq!(images.as_array().map(Vec::len), Some(4));
        assert_eq!(images[0]["tags"][0], "v1.3.0");
        assert_eq!(images[0]["deployed_in"], serde_json::json!(["dev", "staging"]));
        assert!(images[0]["created"].is_string());
        assert_eq!(v["alerts"][0]["name"], "HighErrorRate");
        assert_eq!(v["alerts"][0]["state"], "active");
        assert_eq!(v["alerts"][0]["labels"]["service"], "api");
        assert!(v["alerts"][0]["since"].is_string());
    }
}
