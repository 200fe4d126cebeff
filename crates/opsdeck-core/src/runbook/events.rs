//! What the console asks of runbook runs (commands from `update`) and what comes back (events
//! for `update`): owned data, so the runner task and the model share nothing.

use super::run::{PreparedStep, StepReport};
use super::session::Session;
use super::Catalog;
use crate::store::RunbookRun;

/// For the runtime: `update` decided this.
#[derive(Debug, Clone, PartialEq)]
pub enum RunbookCmd {
    /// Read the runbook folders again.
    Load,
    /// Read where this run stands.
    LoadProgress(Box<Session>),
    /// Start a finished run again from its first step (outcomes cleared).
    Restart(Box<Session>),
    /// Work out exactly what step `step` will run.
    Prepare { session: Box<Session>, step: usize },
    /// Run it (the operator confirmed `prepared`).
    Execute { session: Box<Session>, step: usize, prepared: Box<PreparedStep>, what: String },
    /// Record the skip of step `step`, and why.
    Skip { session: Box<Session>, step: usize, reason: String },
    /// Cancel the running step (its process group is killed; an action settles).
    Cancel,
}

/// For `update`: the runner did this.
#[derive(Debug, Clone, PartialEq)]
pub enum RunbookEvent {
    Loaded(Catalog),
    /// Where the run of `runbook` for `alert` stands (None: never started).
    Progress {
        runbook: String,
        alert: String,
        run: Result<Option<RunbookRun>, String>,
    },
    Prepared {
        runbook: String,
        step: usize,
        result: Result<PreparedStep, String>,
    },
    /// A line of the running step's output (cleaned, masked).
    Line {
        runbook: String,
        step: usize,
        line: String,
    },
    /// The step ended and was recorded (or recording failed: `run` says why).
    Ended {
        runbook: String,
        step: usize,
        report: StepReport,
        run: Result<RunbookRun, String>,
    },
    Skipped {
        runbook: String,
        step: usize,
        run: Result<RunbookRun, String>,
    },
}
