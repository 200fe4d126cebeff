//! Running one step of a runbook: `sh` in its own process group with a timeout, `http` GET, the
//! built-in `opsdeck` actions on the action layer. Output comes out line by line (cleaned of
//! control characters, secrets masked) and the step keeps a bounded tail of it for the audit.

pub mod builtin;
pub mod http;
pub mod sh;

use crate::config::Config;
use crate::secrets::Secrets;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// How many lines of a step's output are kept (the view shows them; the audit gets fewer).
pub const OUTPUT_LINES: usize = 200;
/// How many of those the audit record keeps.
pub const AUDIT_LINES: usize = 20;
/// The longest line kept; a longer one is cut (a binary blob is not a log line).
pub const MAX_LINE_CHARS: usize = 500;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    Skipped,
    /// The action needs approval: a request was filed instead.
    Requested,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Succeeded => "succeeded",
            StepOutcome::Failed => "failed",
            StepOutcome::TimedOut => "timed_out",
            StepOutcome::Cancelled => "cancelled",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Requested => "requested",
        }
    }

    /// Whether the runbook may go on to the next step.
    pub fn moves_on(self) -> bool {
        matches!(self, StepOutcome::Succeeded | StepOutcome::Skipped | StepOutcome::Requested)
    }
}

/// The last lines of a step's output, and how many were dropped before them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputTail {
    pub lines: VecDeque<String>,
    pub dropped: u64,
    cap: usize,
}

impl OutputTail {
    pub fn new(cap: usize) -> OutputTail {
        OutputTail { lines: VecDeque::new(), dropped: 0, cap: cap.max(1) }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// The last `n` lines, with a first line saying how many came before them.
    pub fn last(&self, n: usize) -> Vec<String> {
        let skip = self.lines.len().saturating_sub(n);
        let before = self.dropped + skip as u64;
        let mut out = Vec::new();
        if before > 0 {
            out.push(format!("… {before} earlier lines dropped"));
        }
        out.extend(self.lines.iter().skip(skip).cloned());
        out
    }
}

/// What a step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub outcome: StepOutcome,
    /// `sh`: the exit status.
    pub exit_code: Option<i32>,
    pub duration: Duration,
    /// One line: "exit 0", "HTTP 200 OK", "timed out after 5s", the action's result.
    pub summary: String,
    pub output: OutputTail,
}

/// Everything a step needs from its run.
#[derive(Clone)]
pub struct StepContext {
    pub config: Arc<Config>,
    pub user: String,
    pub runbook: String,
    /// 0-based.
    pub step: usize,
    /// The alert's labels (empty when run without one).
    pub labels: BTreeMap<String, String>,
    pub secrets: Arc<Secrets>,
    pub cancel: CancellationToken,
    /// Each output line as it comes (already cleaned and masked).
    pub lines: UnboundedSender<String>,
}

/// Collects a step's lines: cleans and masks each, sends it on, keeps the tail.
pub(crate) struct LineSink<'a> {
    ctx: &'a StepContext,
    pub tail: OutputTail,
}

impl<'a> LineSink<'a> {
    pub fn new(ctx: &'a StepContext) -> LineSink<'a> {
        LineSink { ctx, tail: OutputTail::new(OUTPUT_LINES) }
    }

    pub fn line(&mut self, raw: &str) {
        let mut line = self.ctx.secrets.mask_owned(crate::text::clean(raw).into_owned());
        if line.chars().count() > MAX_LINE_CHARS {
            line = format!("{}…", line.chars().take(MAX_LINE_CHARS).collect::<String>());
        }
        let _ = self.ctx.lines.send(line.clone());
        self.tail.push(line);
    }
}

/// The environment variable for an alert label: `OPSDECK_ALERT_` + the name upper-cased, every
/// character but ASCII letters and digits turned into `_`.
pub fn label_var(label: &str) -> String {
    let name: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("OPSDECK_ALERT_{name}")
}

/// Parses `NAME=VALUE` pairs (the `--label` flag).
pub fn parse_labels(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("--label `{p}`: expected NAME=VALUE"))
        })
        .collect()
}

/// A step worked out and ready to confirm: what the confirmation shows is what runs.
#[derive(Debug, Clone, PartialEq)]
pub enum PreparedStep {
    Manual,
    Sh { command: String, timeout: Duration },
    Http { url: String, timeout: Duration },
    Builtin(builtin::Prepared),
}

impl PreparedStep {
    /// Exactly what will run (for the confirmation and the audit record).
    pub fn what(&self) -> String {
        match self {
            PreparedStep::Manual => "a manual check: confirm when done".into(),
            PreparedStep::Sh { command, timeout } => {
                super::StepBlock::Sh { command: command.clone(), timeout: *timeout }.describe()
            }
            PreparedStep::Http { url, timeout } => {
                super::StepBlock::Http { url: url.clone(), timeout: *timeout }.describe()
            }
            PreparedStep::Builtin(p) => p.summary(),
        }
    }

    /// The environment name to type to confirm, where the keys would ask for it.
    pub fn typed_confirmation(&self, config: &Config) -> Option<String> {
        match self {
            PreparedStep::Builtin(p) => p.typed_confirmation(config),
            _ => None,
        }
    }
}

/// Works out what `block` will do (resolving an `opsdeck` step's `$label`s, planning it).
pub async fn prepare(ctx: &StepContext, block: &super::StepBlock) -> Result<PreparedStep, String> {
    Ok(match block {
        super::StepBlock::Manual => PreparedStep::Manual,
        super::StepBlock::Sh { command, timeout } => PreparedStep::Sh { command: command.clone(), timeout: *timeout },
        super::StepBlock::Http { url, timeout } => PreparedStep::Http { url: url.clone(), timeout: *timeout },
        super::StepBlock::Opsdeck { action, .. } => PreparedStep::Builtin(builtin::prepare(ctx, action).await?),
    })
}

/// Runs a prepared, confirmed step. A manual step is "confirmed" by being run.
pub async fn execute(ctx: &StepContext, step: &PreparedStep) -> StepReport {
    let started = std::time::Instant::now();
    match step {
        PreparedStep::Sh { command, timeout } => sh::run(ctx, command, *timeout).await,
        PreparedStep::Http { url, timeout } => http::run(ctx, url, *timeout).await,
        PreparedStep::Builtin(p) => builtin::execute(ctx, p).await,
        PreparedStep::Manual => StepReport {
            outcome: StepOutcome::Succeeded,
            exit_code: None,
            duration: started.elapsed(),
            summary: "confirmed".into(),
            output: OutputTail::new(1),
        },
    }
}

/// A step that could not even be prepared, as a failed report.
pub fn failed(reason: &str) -> StepReport {
    let mut output = OutputTail::new(OUTPUT_LINES);
    output.push(crate::text::cleaned(reason));
    StepReport {
        outcome: StepOutcome::Failed,
        exit_code: None,
        duration: Duration::ZERO,
        summary: crate::text::cleaned(reason),
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_become_variable_names() {
        assert_eq!(label_var("service"), "OPSDECK_ALERT_SERVICE");
        assert_eq!(label_var("k8s.io/app-name"), "OPSDECK_ALERT_K8S_IO_APP_NAME");
    }

    #[test]
    fn the_tail_keeps_the_last_lines_and_counts_the_rest() {
        let mut t = OutputTail::new(3);
        for i in 0..10 {
            t.push(format!("l{i}"));
        }
        assert_eq!(t.lines, ["l7", "l8", "l9"]);
        assert_eq!(t.dropped, 7);
        assert_eq!(t.last(2), ["… 8 earlier lines dropped", "l8", "l9"]);
        assert_eq!(OutputTail::new(5).last(2), Vec::<String>::new());
    }

    #[test]
    fn labels_parse_from_pairs() {
        let l = parse_labels(&["service=api".into(), "env=prod".into(), "x=a=b".into()]).unwrap();
        assert_eq!(l["x"], "a=b");
        assert!(parse_labels(&["novalue".into()]).is_err());
    }
}
