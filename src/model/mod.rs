//! The console's state: the [`World`] (what each outside system last said), where the operator's
//! focus is, and what overlay is open. Only `update` changes it; panes read it through the
//! world's derived views.

pub mod actions;
pub mod approvals;
pub mod container;
pub mod logs;
pub mod overlays;
pub use overlays::{Overlay, OverlayKind};
pub mod palette;
pub mod prune;
pub mod runbook;
pub mod silence;

pub use opsdeck_core::world::{
    history, short_age, views, AlertsState, HealthEntry, HostId, HostState, LbState, Reach, RegistryState, SlotId,
    World,
};

use chrono::{DateTime, Utc};
use opsdeck_core::config::Config;
use std::sync::Arc;

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
    /// The open overlays and views, bottom to top: the top one gets the keys.
    pub overlays: overlays::Overlays,
    /// The Audit view's filter and selection (`A`), kept between openings.
    pub audit: approvals::AuditView,
    /// The Logs view's slots, lines and choices (`L`).
    pub logs: logs::LogsView,
    /// A one-line notice for the status bar (errors, "nothing to do").
    pub notice: Option<String>,
    /// The silences list's selection (`S`).
    pub silences: silence::SilencesView,
    /// The fingerprint of the alert whose runbook was asked for before the folders were read:
    /// it opens as soon as they are.
    pub pending_runbook_alert: Option<String>,
}

/// Everything the console knows: the world as the outside systems last said it, and where the
/// operator is.
#[derive(Debug, Clone)]
pub struct Model {
    pub world: World,
    pub ui: UiState,
    /// The key bindings in force: the defaults with the config's `[keys]` applied.
    pub keymap: crate::keymap::Keymap,
    pub should_quit: bool,
    /// When `/health` was last scheduled, and which probes have not answered yet.
    pub probes: ProbeSchedule,
    /// What the screen is drawn with, chosen once at start ([`crate::theme::choose`]).
    pub theme: crate::theme::Theme,
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
        Model {
            world: World::new(config, user, now),
            ui: UiState::default(),
            keymap: crate::keymap::Keymap::default(),
            should_quit: false,
            probes: ProbeSchedule::default(),
            theme: crate::theme::Theme::default(),
        }
    }

    /// The service selected in the Environments pane.
    pub fn selected_service(&self) -> Option<&str> {
        self.world.config.services.get(self.ui.service_row).map(|s| s.name.as_str())
    }

    /// The colour `env` carries in the config, if any.
    pub fn env_color(&self, env: &str) -> Option<opsdeck_core::config::EnvColor> {
        self.world.config.environment(env).and_then(|e| e.color)
    }

    /// The environment selected in the Environments pane.
    pub fn selected_env(&self) -> Option<&str> {
        self.world.config.environments.get(self.ui.env_col).map(|e| e.name.as_str())
    }
}
