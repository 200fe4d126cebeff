//! Messages into `update` (keys, ticks, and owned results from background tasks) and the
//! commands `update` hands back for the runtime to carry out.

use crate::model::{HostId, SlotId};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use opsdeck_backends::types::ContainerDetail;
use opsdeck_backends::BackendError;
use opsdeck_core::actions::{ActionEvent, ActionPlan};
use opsdeck_core::store::{RequestId, RequestState};
pub use opsdeck_core::watch::LogEvent;
use opsdeck_core::world::Fact;

/// Everything that can change the model.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A click or a turn of the wheel, with the layout of the frame it landed on.
    Mouse(MouseEvent, std::sync::Arc<crate::ui::hits::Hits>),
    /// The terminal was resized: redraw.
    Resize,
    /// The clock moved: ages on screen change, and scheduled probes may be due.
    Tick(DateTime<Utc>),
    /// What an outside system said (a watcher's news), for the world.
    Fact(Fact),
    /// How a request this console filed, approved or rejected went.
    Approval(ApprovalResult),
    /// Progress of an action this process runs.
    Action(ActionEvent),
    /// News from a followed slot's logs, for the Logs view opening `generation`.
    Logs(u64, SlotId, LogEvent),
    /// A line to show once in the status bar (crash recovery, refusals).
    Notice(String),
    /// `docker inspect` of the container with this id (for the detail overlay), or why not.
    ContainerDetail(String, Result<Box<ContainerDetail>, BackendError>),
    /// SIGTERM, SIGINT or SIGHUP: leave cleanly.
    Signal(&'static str),
    /// From the runbook runner: the catalog, a run's progress, a step's output and end.
    Runbook(opsdeck_core::runbook::events::RunbookEvent),
    /// How a console prune of this service ended: what the fresh plan allowed and how each
    /// deletion went, or why nothing was deleted.
    Pruned(
        String,
        Result<(opsdeck_core::actions::prune::PrunePlan, Vec<opsdeck_core::actions::prune::Pruned>), String>,
    ),
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// Probe these slots' `/health` (each: the slot and its URL), their starts spread evenly
    /// `over` this long (zero: all at once), so a round of many slots is not one burst of
    /// connections and answers.
    ProbeHealth {
        targets: Vec<(SlotId, String)>,
        over: std::time::Duration,
    },
    /// Run this plan on the executor (the operator confirmed it).
    RunAction(Box<ActionPlan>),
    /// File this plan as a request for approval, for this reason (the operator confirmed it on an
    /// environment that requires approval).
    FileRequest {
        plan: Box<ActionPlan>,
        reason: String,
    },
    /// Approve this request and run it at once, here (the operator looked at the approval view).
    ApproveRequest(RequestId),
    /// Reject this request for this reason.
    RejectRequest {
        id: RequestId,
        reason: String,
    },
    /// Audit an attempt the console refused up front (the operator's own request, not an
    /// approver, expired): `verdict` is what was attempted.
    RecordRefusal {
        id: RequestId,
        verdict: opsdeck_core::store::Verdict,
        reason: String,
    },
    /// Follow these slots' logs (stopping any followed before), each keeping its last `tail`
    /// lines; their news comes back tagged with `generation`.
    FollowLogs {
        generation: u64,
        slots: Vec<SlotId>,
        tail: usize,
    },
    /// Stop following logs (the Logs view closed).
    StopLogs,
    /// Read the state store again now (an action moved).
    RefreshStore,
    /// Inspect this container on this host, for the detail overlay (answers with
    /// [`Msg::ContainerDetail`]).
    InspectContainer {
        host: HostId,
        container_id: String,
    },
    /// Create this silence in Alertmanager (the operator confirmed the form), and audit it.
    CreateSilence(opsdeck_backends::alertmanager::NewSilence),
    /// Expire this silence (the operator confirmed it in the silences list), and audit it.
    ExpireSilence(String),
    /// Abort our running action on this service and environment (`C`, confirmed): switch
    /// traffic back while it drains, cancel it at other steps.
    AbortAction {
        id: i64,
        service: String,
        env: String,
    },
    /// Pause, resume or pass the stage of our running canary on this service and environment
    /// (Space, `>`).
    SteerCanary {
        id: i64,
        service: String,
        env: String,
        steer: Steer,
    },
    /// Load, prepare, run, skip or cancel a runbook step (the operator confirmed what runs).
    Runbook(opsdeck_core::runbook::events::RunbookCmd),
    /// Prune these images (digests) of this service, as far as the state read again under its
    /// locks still allows (the operator confirmed them); answers with [`Msg::Pruned`].
    Prune {
        service: String,
        digests: Vec<String>,
    },
    /// Put this text (cleaned of control characters) on the operator's clipboard: the runtime
    /// writes it to the terminal as OSC 52 (`y`, `Y`).
    Copy(String),
    Quit,
}

/// What became of an approval command, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalResult {
    /// The request is pending; `deciders` can approve it.
    Filed {
        id: RequestId,
        subject: String,
        deciders: Vec<String>,
        expires_at: DateTime<Utc>,
    },
    /// Approved by this console's user: its action is starting here.
    Approved {
        id: RequestId,
        subject: String,
        requested_by: String,
    },
    /// The approved request's action ended (`state` as recorded: done, failed or refused).
    Ended {
        id: RequestId,
        state: Option<RequestState>,
        reason: String,
    },
    Rejected {
        id: RequestId,
        subject: String,
    },
    /// Refused (and audited): nothing changed, or the request was refused for good.
    Refused {
        id: Option<RequestId>,
        reason: String,
    },
}

/// The operator's keys on a canary holding a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steer {
    /// Stop the stage's clock (it is still judged).
    Pause,
    Resume,
    /// Pass the stage now.
    Next,
}
