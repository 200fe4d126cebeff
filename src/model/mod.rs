//! The console's state: what each outside system last said (cleaned of control characters),
//! where the operator's focus is, and what overlay is open. Only `update` changes it; panes and
//! `status` read it through the derived views in [`views`].

pub mod actions;
pub mod approvals;
pub mod container;
pub mod history;
pub mod logs;
pub mod palette;
pub mod prune;
mod reach;
pub mod runbook;
pub mod silence;
pub mod views;

pub use reach::{short_age, Reach};

use crate::config::Config;
use chrono::{DateTime, Utc};
use opsdeck_backends::types::{Alert, ContainerInfo, HealthReport, RegistryImage, ServerStat};
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
}

/// What one Docker engine last told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostState {
    pub reach: Reach,
    /// Containers carrying opsdeck's labels, by container id.
    pub containers: BTreeMap<String, ContainerInfo>,
}

/// What an environment's HAProxy last told us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LbState {
    pub reach: Reach,
    pub servers: Vec<ServerStat>,
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

/// The panes of the main screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Environments,
    Images,
    Health,
    Alerts,
    Actions,
    Approvals,
}

impl Pane {
    pub const ALL: [Pane; 6] =
        [Pane::Environments, Pane::Images, Pane::Health, Pane::Alerts, Pane::Actions, Pane::Approvals];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Environments => "Environments",
            Pane::Images => "Images",
            Pane::Health => "Health",
            Pane::Alerts => "Alerts",
            Pane::Actions => "Actions",
            Pane::Approvals => "Approvals",
        }
    }

    pub fn next(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// Where the operator is: focused pane, selections, open overlay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UiState {
    pub focus: Pane,
    /// Environments pane: selected service (row) and environment (column).
    pub service_row: usize,
    pub env_col: usize,
    pub image_row: usize,
    pub health_row: usize,
    pub alert_row: usize,
    pub action_row: usize,
    /// Approvals pane: the selected request, in [`Model::request_rows`] order.
    pub approval_row: usize,
    pub help_open: bool,
    /// The open confirmation, if a destructive key asked for one.
    pub confirm: Option<actions::Confirm>,
    /// The approval view `a` opened, if any.
    pub approval: Option<approvals::ApprovalView>,
    /// The reason `x` asks for, if it is being typed.
    pub reject: Option<approvals::RejectInput>,
    /// The Audit view (`A`).
    pub audit: approvals::AuditView,
    /// The Logs view (`L`).
    pub logs: logs::LogsView,
    /// A one-line notice for the status bar (errors, "nothing to do").
    pub notice: Option<String>,
    /// The health chart view (`v`): the slot it charts.
    pub health_chart: Option<SlotId>,
    /// The container detail overlay (Enter on a slot).
    pub container: Option<container::ContainerView>,
    /// The silence form `s` opened on an alert, if any.
    pub silence_form: Option<silence::SilenceForm>,
    /// The silences list (`S`).
    pub silences: silence::SilencesView,
    /// The confirmation `C` opened before aborting a running action, if any.
    pub abort: Option<actions::AbortConfirm>,
    /// The runbook overlay (`b`, or Enter on an alert), if open.
    pub runbook: Option<runbook::RunbookUi>,
    /// The prune overlay (`P` in the Images pane), if open.
    pub prune: Option<prune::PruneView>,
    /// The command palette (`:`), if open.
    pub palette: Option<palette::PaletteState>,
}

/// Everything the console knows.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: Arc<Config>,
    pub hosts: BTreeMap<HostId, HostState>,
    pub lbs: BTreeMap<String, LbState>,
    pub health: BTreeMap<SlotId, HealthEntry>,
    pub registry: RegistryState,
    pub alerts: AlertsState,
    /// Alertmanager's silences.
    pub silences: silence::SilencesState,
    pub actions: actions::ActionsState,
    /// Approval requests from the shared store.
    pub approvals: approvals::ApprovalsState,
    /// The end of the audit trail.
    pub audit: approvals::AuditState,
    pub ui: UiState,
    /// The clock as of the last tick: views compute ages from it, so rendering is pure.
    pub now: DateTime<Utc>,
    /// Who is at the keyboard (shown in the status bar).
    pub user: String,
    pub should_quit: bool,
    /// When `/health` was last scheduled, and which probes have not answered yet.
    pub probes: ProbeSchedule,
    /// The config's secret values, masked in every outside string `update` takes in.
    pub secrets: Arc<crate::secrets::Secrets>,
    /// Latency and traffic over the last minutes, per slot (bounded).
    pub history: history::History,
    /// The runbooks read from the config's folders.
    pub runbooks: runbook::RunbooksState,
}

/// Bookkeeping that keeps `/health` probes from piling up on a slow service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeSchedule {
    pub last: Option<DateTime<Utc>>,
    pub in_flight: std::collections::BTreeSet<SlotId>,
}

impl Model {
    /// A model for `config` with every system still pending.
    pub fn new(config: Arc<Config>, user: String, now: DateTime<Utc>) -> Model {
        let hosts = config
            .environments
            .iter()
            .flat_map(|e| e.hosts.iter().map(|h| HostId { env: e.name.clone(), host: h.name.clone() }))
            .map(|id| (id, HostState::default()))
            .collect();
        let lbs = config.environments.iter().map(|e| (e.name.clone(), LbState::default())).collect();
        let alerts = AlertsState { configured: config.alertmanager.is_some(), ..Default::default() };
        let secrets = Arc::new(crate::secrets::Secrets::from_config(&config));
        Model {
            config,
            hosts,
            lbs,
            health: BTreeMap::new(),
            registry: RegistryState::default(),
            alerts,
            silences: silence::SilencesState::default(),
            actions: actions::ActionsState::default(),
            approvals: approvals::ApprovalsState::default(),
            audit: approvals::AuditState::default(),
            ui: UiState::default(),
            now,
            user,
            should_quit: false,
            probes: ProbeSchedule::default(),
            secrets,
            history: history::History::default(),
            runbooks: runbook::RunbooksState::default(),
        }
    }
}
