//! One run of one runbook (for one alert): its progress in the state store and its audit
//! records. The console and `opsdeck runbook run` both go through here, so a run left in one is
//! resumed in the other, by the same or another user.

use super::run::{StepOutcome, StepReport, AUDIT_LINES};
use super::Runbook;
use crate::store::{AuditEntry, RunbookRun, Store};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The audit record kind of every runbook step record.
pub const AUDIT_KIND: &str = "runbook_step";

/// A `runbook_step` record's detail in a few words: "health api prod" for a start, "live slot
/// blue: healthy in 0.4s" for an end, "skipped: already rolled back" for a skip.
pub fn audit_summary(detail: &serde_json::Value) -> Option<String> {
    let s = |k: &str| detail.get(k).and_then(serde_json::Value::as_str);
    let title = s("title").unwrap_or_default();
    let what = match s("phase")? {
        "start" => s("what")?.lines().last().unwrap_or_default().to_string(),
        "skip" => format!("skipped: {}", s("reason").unwrap_or_default()),
        _ => {
            let ms = detail.get("duration_ms").and_then(serde_json::Value::as_u64).unwrap_or(0);
            format!("{} in {:.1}s", s("summary").unwrap_or_default(), ms as f64 / 1000.0)
        }
    };
    Some(format!("{title}: {what}"))
}

/// A run's identity: which runbook, for which alert, by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub runbook: Runbook,
    /// The alert's fingerprint (empty without an alert): progress is kept per (runbook, alert).
    pub alert: String,
    pub labels: BTreeMap<String, String>,
    pub user: String,
    pub state_path: PathBuf,
}

impl Session {
    /// The progress key for a run without an alert but with `--label`s: the labels themselves.
    pub fn key_for_labels(labels: &BTreeMap<String, String>) -> String {
        if labels.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("labels:{}", pairs.join(","))
    }

    fn store(&self) -> Result<Store, String> {
        Store::open(&self.state_path).map_err(|e| e.to_string())
    }

    /// Where the run stands (a fresh run when none was started).
    pub fn progress(&self) -> Result<Option<RunbookRun>, String> {
        self.store()?.runbook_run(&self.runbook.name, &self.alert).map_err(|e| e.to_string())
    }

    /// The step to run next: the stored one, or the first when the run finished or never began.
    pub fn next_step(&self) -> Result<usize, String> {
        Ok(match self.progress()? {
            Some(run) if !run.finished() => run.next_step.min(self.runbook.steps.len()),
            _ => 0,
        })
    }

    /// Moves the run to `step` (0-based), clearing outcomes from there on.
    pub fn restart_at(&self, step: usize) -> Result<RunbookRun, String> {
        self.store()?
            .set_runbook_step(&self.runbook.name, &self.alert, self.runbook.steps.len(), step, &self.user)
            .map_err(|e| e.to_string())
    }

    fn entry(&self, step: usize, outcome: &str, extra: serde_json::Value) -> AuditEntry {
        let s = &self.runbook.steps[step.min(self.runbook.steps.len().saturating_sub(1))];
        let mut detail = json!({
            "runbook": self.runbook.name,
            "step": step + 1,
            "title": crate::text::clean(&s.title),
            "block": s.block.kind(),
            "alert": self.alert,
            "alertname": self.labels.get("alertname").cloned().unwrap_or_default(),
        });
        if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                d.insert(k.clone(), v.clone());
            }
        }
        AuditEntry {
            at: chrono::Utc::now(),
            user: self.user.clone(),
            kind: AUDIT_KIND.into(),
            subject: format!("{}#{}", self.runbook.name, step + 1),
            detail,
            outcome: outcome.into(),
        }
    }

    /// The line `opsdeck.log` gets when step `step` ends.
    pub fn log_line(&self, step: usize, report: &StepReport) -> String {
        format!(
            "runbook {} step {} ({}) {}: {} in {}ms",
            self.runbook.name,
            step + 1,
            if self.alert.is_empty() { "no alert" } else { self.alert.as_str() },
            report.outcome.as_str(),
            report.summary,
            report.duration.as_millis()
        )
    }

    /// Audits the start of step `step`; `what` is exactly what runs (already masked).
    pub fn record_start(&self, step: usize, what: &str) -> Result<(), String> {
        let entry = self.entry(step, "started", json!({ "phase": "start", "what": what }));
        self.store()?.append_audit(entry).map(|_| ()).map_err(|e| e.to_string())
    }

    /// Records how step `step` ended (its audit record with the bounded output, and the progress).
    pub fn record_end(&self, step: usize, report: &StepReport) -> Result<RunbookRun, String> {
        let extra = json!({
            "phase": "end",
            "summary": report.summary,
            "exit_code": report.exit_code,
            "duration_ms": report.duration.as_millis() as u64,
            "output": report.output.last(AUDIT_LINES),
        });
        let next = if report.outcome.moves_on() { step + 1 } else { step };
        self.record(step, report.outcome, next, extra)
    }

    /// Records that step `step` was skipped, and why.
    pub fn record_skip(&self, step: usize, reason: &str) -> Result<RunbookRun, String> {
        let reason = crate::text::clean(reason).trim().to_string();
        if reason.is_empty() {
            return Err("say why the step is skipped".into());
        }
        self.record(step, StepOutcome::Skipped, step + 1, json!({ "phase": "skip", "reason": reason }))
    }

    fn record(
        &self,
        step: usize,
        outcome: StepOutcome,
        next: usize,
        extra: serde_json::Value,
    ) -> Result<RunbookRun, String> {
        let entry = self.entry(step, outcome.as_str(), extra);
        let steps = self.runbook.steps.len();
        self.store()?
            .record_runbook_step(
                &self.runbook.name,
                &self.alert,
                steps,
                step,
                outcome.as_str(),
                next,
                &self.user,
                entry,
            )
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::run::OutputTail;
    use std::time::Duration;

    fn session(dir: &std::path::Path, user: &str) -> Session {
        let text = "---\nname: rb\nsummary: s\n---\n## one\n## two\n## three\n## four\n";
        Session {
            runbook: crate::runbook::parse(std::path::Path::new("rb.md"), text).unwrap(),
            alert: "fp".into(),
            labels: [("alertname".to_string(), "X".to_string())].into(),
            user: user.into(),
            state_path: dir.join("state.db"),
        }
    }

    #[test]
    fn a_run_left_at_step_2_resumes_at_step_3_for_another_user() {
        let dir = crate::store::permissions::private_tempdir();
        let ann = session(dir.path(), "ann");
        assert_eq!(ann.next_step().unwrap(), 0);
        let ok = StepReport {
            outcome: StepOutcome::Succeeded,
            exit_code: Some(0),
            duration: Duration::from_millis(5),
            summary: "exit 0".into(),
            output: OutputTail::new(3),
        };
        ann.record_start(0, "sh -c true").unwrap();
        ann.record_end(0, &ok).unwrap();
        ann.record_start(1, "sh -c true").unwrap();
        ann.record_end(1, &ok).unwrap();
        // ann leaves; bob opens the same runbook for the same alert.
        let bob = session(dir.path(), "bob");
        assert_eq!(bob.next_step().unwrap(), 2);
        let failed = StepReport { outcome: StepOutcome::Failed, ..ok.clone() };
        assert_eq!(bob.record_end(2, &failed).unwrap().next_step, 2, "a failed step is run again");
        assert!(bob.record_skip(2, "  ").is_err());
        assert_eq!(bob.record_skip(2, "not needed tonight").unwrap().next_step, 3);
        let trail = Store::open(dir.path().join("state.db")).unwrap().audit(None).unwrap();
        let seen: Vec<(String, String, String)> =
            trail.iter().map(|r| (r.entry.user.clone(), r.entry.subject.clone(), r.entry.outcome.clone())).collect();
        assert_eq!(
            seen,
            [
                ("ann".into(), "rb#1".into(), "started".into()),
                ("ann".into(), "rb#1".into(), "succeeded".into()),
                ("ann".into(), "rb#2".into(), "started".into()),
                ("ann".into(), "rb#2".into(), "succeeded".into()),
                ("bob".into(), "rb#3".into(), "failed".into()),
                ("bob".into(), "rb#3".into(), "skipped".into()),
            ]
        );
        assert_eq!(trail[5].entry.detail["reason"], "not needed tonight");
        let summaries: Vec<String> =
            trail.iter().map(|r| crate::audit::text::short_detail(&r.entry.kind, &r.entry.detail)).collect();
        assert_eq!(summaries[0], "one: sh -c true");
        assert_eq!(summaries[1], "one: exit 0 in 0.0s");
        assert_eq!(summaries[5], "three: skipped: not needed tonight");
        assert_eq!(trail[1].entry.detail["exit_code"], 0);
    }
}
