//! The world: what each outside system last said (Docker hosts and their slots, the load
//! balancers' servers and counters, `/health`, the registry's history, alerts, silences, and the
//! shared store's actions, locks, requests and audit trail), cleaned of control characters and
//! with secret values masked. Changed only by [`World::apply`] with a [`Fact`]; read through the
//! derived views in [`views`] by the console's panes, by `opsdeck status` and by the planners.

pub mod actions;
pub mod approvals;
pub mod detail;
mod fact;
pub mod history;
mod probes;
mod reach;
pub mod runbooks;
pub mod silences;
mod states;
pub mod views;

pub use fact::Fact;
pub use reach::{short_age, Reach};
pub use states::{HostState, LbState};

use crate::config::Config;
use crate::secrets::Secrets;
use chrono::{DateTime, Utc};
use opsdeck_backends::types::{Alert, HealthReport, RegistryImage};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One Docker engine of one environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId {
    pub env: String,
    pub host: String,
}

/// One slot of one service on one host: the unit `/health` is probed for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId {
    pub env: String,
    pub service: String,
    pub slot: String,
    pub host: String,
    /// In a replicated environment, the one task of the slot (its container's name): each task
    /// is probed and shown on its own. Empty elsewhere, and for a slot with no task at all.
    pub replica: String,
}

/// The last `/health` probe of a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthEntry {
    pub report: HealthReport,
    pub at: DateTime<Utc>,
}

/// The registry's image history per service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryState {
    pub reach: Reach,
    pub images: BTreeMap<String, Vec<RegistryImage>>,
}

/// Alertmanager's alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsState {
    pub reach: Reach,
    pub alerts: Vec<Alert>,
    /// False when the config names no Alertmanager.
    pub configured: bool,
}

/// Everything opsdeck knows of the outside, as of `now`.
#[derive(Debug, Clone)]
pub struct World {
    pub config: Arc<Config>,
    pub hosts: BTreeMap<HostId, HostState>,
    pub lbs: BTreeMap<String, LbState>,
    pub health: BTreeMap<SlotId, HealthEntry>,
    pub registry: RegistryState,
    pub alerts: AlertsState,
    /// Alertmanager's silences.
    pub silences: silences::SilencesState,
    /// Recent actions and held locks from the shared store.
    pub actions: actions::ActionsState,
    /// Approval requests from the shared store.
    pub approvals: approvals::ApprovalsState,
    /// The end of the audit trail.
    pub audit: approvals::AuditState,
    /// The clock as of the last tick: views compute ages from it, so they stay pure.
    pub now: DateTime<Utc>,
    /// Who is looking (the identity actions and requests are made as).
    pub user: String,
    /// The config's secret values, masked in every outside string [`World::apply`] takes in.
    pub secrets: Arc<Secrets>,
    /// Latency and traffic over the last minutes, per slot (bounded).
    pub history: history::History,
    /// The runbooks read from the config's folders.
    pub runbooks: runbooks::RunbooksState,
    /// Views derived once per change (forgotten by [`World::apply`] and [`World::touched`]).
    memo: views::memo::Memo,
}

impl World {
    /// A world for `config` with every system still pending.
    pub fn new(config: Arc<Config>, user: String, now: DateTime<Utc>) -> World {
        let hosts = config
            .environments
            .iter()
            .flat_map(|e| e.hosts.iter().map(|h| HostId { env: e.name.clone(), host: h.name.clone() }))
            .map(|id| (id, HostState::default()))
            .collect();
        let lbs = config.environments.iter().map(|e| (e.name.clone(), LbState::default())).collect();
        let alerts = AlertsState { configured: config.alertmanager.is_some(), ..Default::default() };
        let secrets = Arc::new(Secrets::from_config(&config));
        World {
            config,
            hosts,
            lbs,
            health: BTreeMap::new(),
            registry: RegistryState::default(),
            alerts,
            silences: silences::SilencesState::default(),
            actions: actions::ActionsState::default(),
            approvals: approvals::ApprovalsState::default(),
            audit: approvals::AuditState::default(),
            now,
            user,
            secrets,
            history: history::History::default(),
            runbooks: runbooks::RunbooksState::default(),
            memo: views::memo::Memo::default(),
        }
    }

    /// The clock moved: ages change, and history older than its window is dropped. A warm idle
    /// slot whose window ended meanwhile is no longer shown warm (the only view that depends on
    /// the clock), so the derived views are made again.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if self.actions.warm.iter().any(|w| w.until > self.now && w.until <= now) {
            self.memo.forget();
        }
        self.now = now;
        self.history.prune(now);
    }
}
