//! Runbooks: Markdown pages ("if alert X fires, do Y") that opsdeck runs step by step. This module
//! owns the format (types), the parser, the loader over the config's folders and the matching of
//! alerts to runbooks.

mod block;
pub mod events;
mod load;
mod matcher;
mod parse;
pub mod run;
pub mod session;
pub mod shipped;

pub use block::{parse_opsdeck, OpsdeckAction};
pub use load::{load_all, Catalog, LoadError};
pub use matcher::{AlertMatcher, LabelMatcher, MatchOp};
pub use parse::{parse, ParseError, MAX_FILE_BYTES};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How long a `sh` or `http` step may run when neither its block nor the front matter says.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// One runbook, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    /// From the front matter: how commands and the console name it.
    pub name: String,
    pub summary: String,
    /// The alerts it answers (any one matching is enough).
    pub alerts: Vec<AlertMatcher>,
    /// The file it came from.
    pub path: PathBuf,
    /// The `#` heading, if any.
    pub title: Option<String>,
    /// Markdown before the first step.
    pub intro: String,
    pub steps: Vec<Step>,
}

/// One `##` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    /// The section's Markdown without its block, as written.
    pub prose: String,
    pub block: StepBlock,
    /// 1-based line of the heading in the file.
    pub line: usize,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepBlock {
    /// No block: a check for a person to make and confirm.
    Manual,
    /// A command on this machine, run by `sh -c` in its own process group.
    Sh { command: String, timeout: Duration },
    /// A built-in action, through the same locks, approvals and confirmations as the keys.
    Opsdeck { action: OpsdeckAction, text: String },
    /// A GET whose status and body excerpt are shown.
    Http { url: String, timeout: Duration },
}

impl StepBlock {
    /// The block's kind as the fence names it (`manual` when there is none).
    pub fn kind(&self) -> &'static str {
        match self {
            StepBlock::Manual => "manual",
            StepBlock::Sh { .. } => "sh",
            StepBlock::Opsdeck { .. } => "opsdeck",
            StepBlock::Http { .. } => "http",
        }
    }

    /// Exactly what will run, as shown in a confirmation.
    pub fn describe(&self) -> String {
        match self {
            StepBlock::Manual => "a manual check: confirm when done".into(),
            StepBlock::Sh { command, timeout } => {
                format!("sh -c (timeout {}):\n{}", humantime::format_duration(*timeout), command.trim_end())
            }
            StepBlock::Opsdeck { text, .. } => format!("opsdeck {}", text.trim()),
            StepBlock::Http { url, timeout } => format!("GET {url} (timeout {})", humantime::format_duration(*timeout)),
        }
    }
}

impl Runbook {
    /// Whether this runbook answers an alert with these labels and annotations: a `runbook`
    /// annotation naming it, or any of its matchers.
    pub fn answers(&self, labels: &BTreeMap<String, String>, annotations: &BTreeMap<String, String>) -> bool {
        if annotations.get("runbook").is_some_and(|r| r.trim() == self.name) {
            return true;
        }
        self.alerts.iter().any(|m| m.matches(labels))
    }
}
