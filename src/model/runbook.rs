//! The console's runbooks: the catalog read from the config's folders, and the runbook overlay
//! (`b` lists them; Enter on an alert opens its runbook): which step is current, how each ended,
//! the step being confirmed or run and its streaming output.

use opsdeck_core::runbook::run::PreparedStep;
use opsdeck_core::runbook::Runbook;
use std::collections::{BTreeMap, VecDeque};

/// Lines of a running step's output kept in the view (the rest are counted as dropped).
pub const VIEW_LINES: usize = 200;

/// The alert a runbook was opened from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertRef {
    pub name: String,
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
}

/// The runbook overlay: the list, or one runbook.
#[derive(Debug, Clone, PartialEq)]
pub enum RunbookUi {
    List { row: usize },
    View(Box<RunbookView>),
}

/// Where the current step is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum StepPhase {
    /// Waiting for the operator (Enter runs, s skips).
    Idle,
    /// Working out exactly what will run (planning an action reads the live state).
    Preparing,
    /// Showing exactly what will run; `typed` is what must be typed (an environment's name)
    /// where a plain y is not enough.
    Confirm {
        prepared: Box<PreparedStep>,
        what: String,
        typed: Option<String>,
        input: String,
    },
    Running {
        what: String,
    },
    /// Typing why the step is skipped.
    SkipReason {
        input: String,
    },
}

/// How the last run step ended, for the line under its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResultLine {
    pub step: usize,
    pub outcome: String,
    pub summary: String,
    pub millis: u64,
}

/// One runbook, open.
#[derive(Debug, Clone, PartialEq)]
pub struct RunbookView {
    pub runbook: Runbook,
    pub alert: Option<AlertRef>,
    /// False until the store said where this run stands.
    pub loaded: bool,
    /// Per step, its last outcome.
    pub outcomes: Vec<Option<String>>,
    /// 0-based; `steps.len()` once every step is done.
    pub current: usize,
    pub phase: StepPhase,
    pub output: VecDeque<String>,
    pub dropped: u64,
    pub last: Option<StepResultLine>,
    /// Who last moved this run, and who started it (another user may have).
    pub updated_by: Option<String>,
    pub error: Option<String>,
}

impl RunbookView {
    pub fn new(runbook: Runbook, alert: Option<AlertRef>) -> RunbookView {
        let n = runbook.steps.len();
        RunbookView {
            runbook,
            alert,
            loaded: false,
            outcomes: vec![None; n],
            current: 0,
            phase: StepPhase::Idle,
            output: VecDeque::new(),
            dropped: 0,
            last: None,
            updated_by: None,
            error: None,
        }
    }

    /// The progress key: the alert's fingerprint, empty without one.
    pub fn alert_key(&self) -> String {
        self.alert.as_ref().map(|a| a.fingerprint.clone()).unwrap_or_default()
    }

    pub fn finished(&self) -> bool {
        self.current >= self.runbook.steps.len()
    }

    pub fn push_line(&mut self, line: String) {
        if self.output.len() == VIEW_LINES {
            self.output.pop_front();
            self.dropped += 1;
        }
        self.output.push_back(line);
    }
}
