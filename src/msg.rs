//! Messages into `update` (keys, ticks, and owned results from background tasks) and the
//! commands `update` hands back for the runtime to carry out.

use crate::actions::{ActionEvent, ActionPlan};
use crate::model::{HostId, SlotId};
use crate::store::{JournalEntry, LockInfo};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use opsdeck_backends::types::{Alert, ContainerInfo, HealthReport, RegistryImage, ServerStat};
use opsdeck_backends::BackendError;

/// Everything that can change the model.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal was resized: redraw.
    Resize,
    /// The clock moved: ages on screen change, and scheduled probes may be due.
    Tick(DateTime<Utc>),
    /// A Docker engine's full list of slot containers, or why it could not be had.
    HostSnapshot(HostId, Result<Vec<ContainerInfo>, BackendError>),
    /// One container changed (from the events stream).
    ContainerChanged(HostId, ContainerInfo),
    /// One container is gone.
    ContainerRemoved(HostId, String),
    /// An environment's HAProxy servers.
    Lb(String, Result<Vec<ServerStat>, BackendError>),
    /// One slot's `/health`.
    Health(SlotId, HealthReport),
    /// One service's image history from the registry.
    Images(String, Result<Vec<RegistryImage>, BackendError>),
    Alerts(Result<Vec<Alert>, BackendError>),
    /// Recent actions and held locks from the shared state store, or why it could not be read.
    Store(Result<(Vec<JournalEntry>, Vec<LockInfo>), String>),
    /// Progress of an action this process runs.
    Action(ActionEvent),
    /// A line to show once in the status bar (crash recovery, refusals).
    Notice(String),
    /// SIGTERM, SIGINT or SIGHUP: leave cleanly.
    Signal(&'static str),
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// Probe these slots' `/health` (each: the slot and its URL).
    ProbeHealth(Vec<(SlotId, String)>),
    /// Run this plan on the executor (the operator confirmed it).
    RunAction(Box<ActionPlan>),
    /// Read the state store again now (an action moved).
    RefreshStore,
    Quit,
}
