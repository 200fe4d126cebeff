//! Runbook progress: which step a run of a runbook (for one alert) is at, and how each step
//! ended. Each step's outcome is written with its audit record in one transaction, so the trail
//! and the progress never disagree.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::audit::append_in;
use super::error::{corrupt, sql, StoreError};
use super::{time, AuditEntry, Store};

/// Where a run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookRun {
    pub runbook: String,
    /// The alert's fingerprint; empty for a run without an alert.
    pub alert: String,
    /// 0-based; equal to the number of steps once every step is done.
    pub next_step: usize,
    /// One entry per step: its last outcome (`succeeded`, `skipped`, `failed`, ...), if it ran.
    pub outcomes: Vec<Option<String>>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl RunbookRun {
    pub fn finished(&self) -> bool {
        self.next_step >= self.outcomes.len()
    }
}

const SELECT: &str = "SELECT runbook, alert, next_step, outcomes, started_by, started_at, updated_by, updated_at
                      FROM runbook_runs WHERE runbook = ?1 AND alert = ?2";

impl Store {
    /// The run of `runbook` for `alert`, if one was started.
    pub fn runbook_run(&self, runbook: &str, alert: &str) -> Result<Option<RunbookRun>, StoreError> {
        read(&self.conn, &self.path, runbook, alert)
    }

    /// Records that step `step` (0-based) of a `steps`-step runbook ended with `outcome`, moving
    /// the run to `next_step`, together with `audit`. Creates the run if needed.
    #[allow(clippy::too_many_arguments)]
    pub fn record_runbook_step(
        &mut self,
        runbook: &str,
        alert: &str,
        steps: usize,
        step: usize,
        outcome: &str,
        next_step: usize,
        user: &str,
        audit: AuditEntry,
    ) -> Result<RunbookRun, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "begin runbook step"))?;
        let mut run = read(&tx, &path, runbook, alert)?.unwrap_or_else(|| new_run(runbook, alert, user));
        run.outcomes.resize(steps, None);
        if let Some(slot) = run.outcomes.get_mut(step) {
            *slot = Some(outcome.to_string());
        }
        run.next_step = next_step.min(steps);
        run.updated_by = user.to_string();
        run.updated_at = time::stored(Utc::now());
        write(&tx, &path, &run)?;
        append_in(&tx, &path, audit)?;
        tx.commit().map_err(sql(&path, "commit runbook step"))?;
        Ok(run)
    }

    /// Moves the run to `next_step` (0-based), e.g. `--from-step`, or back to the start of a
    /// finished run; outcomes from there on are cleared.
    pub fn set_runbook_step(
        &mut self,
        runbook: &str,
        alert: &str,
        steps: usize,
        next_step: usize,
        user: &str,
    ) -> Result<RunbookRun, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "begin runbook restart"))?;
        let mut run = read(&tx, &path, runbook, alert)?.unwrap_or_else(|| new_run(runbook, alert, user));
        run.outcomes.resize(steps, None);
        run.next_step = next_step.min(steps);
        for o in run.outcomes.iter_mut().skip(run.next_step) {
            *o = None;
        }
        run.updated_by = user.to_string();
        run.updated_at = time::stored(Utc::now());
        write(&tx, &path, &run)?;
        tx.commit().map_err(sql(&path, "commit runbook restart"))?;
        Ok(run)
    }
}

fn new_run(runbook: &str, alert: &str, user: &str) -> RunbookRun {
    let now = time::stored(Utc::now());
    RunbookRun {
        runbook: runbook.into(),
        alert: alert.into(),
        next_step: 0,
        outcomes: Vec::new(),
        started_by: user.into(),
        started_at: now,
        updated_by: user.into(),
        updated_at: now,
    }
}

fn read(
    conn: &rusqlite::Connection,
    path: &std::path::Path,
    runbook: &str,
    alert: &str,
) -> Result<Option<RunbookRun>, StoreError> {
    let op = "read runbook run";
    let row = conn
        .query_row(SELECT, params![runbook, alert], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })
        .optional()
        .map_err(sql(path, op))?;
    let Some((runbook, alert, next, outcomes, started_by, started_at, updated_by, updated_at)) = row else {
        return Ok(None);
    };
    let outcomes: Vec<Option<String>> = serde_json::from_str(&outcomes)
        .map_err(|e| corrupt(path, format!("runbook_runs.outcomes of {runbook}: not a JSON list ({e})")))?;
    Ok(Some(RunbookRun {
        next_step: usize::try_from(next).map_err(|_| corrupt(path, format!("runbook_runs.next_step {next}")))?,
        outcomes,
        started_at: time::from_text(path, "runbook_runs.started_at", &started_at)?,
        updated_at: time::from_text(path, "runbook_runs.updated_at", &updated_at)?,
        runbook,
        alert,
        started_by,
        updated_by,
    }))
}

fn write(tx: &rusqlite::Transaction<'_>, path: &std::path::Path, run: &RunbookRun) -> Result<(), StoreError> {
    let outcomes = serde_json::to_string(&run.outcomes).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO runbook_runs (runbook, alert, next_step, outcomes, started_by, started_at, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (runbook, alert) DO UPDATE SET next_step = ?3, outcomes = ?4, updated_by = ?7, updated_at = ?8",
        params![
            run.runbook,
            run.alert,
            run.next_step as i64,
            outcomes,
            run.started_by,
            time::to_text(run.started_at),
            run.updated_by,
            time::to_text(run.updated_at)
        ],
    )
    .map_err(sql(path, "write runbook run"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{entry, temp_store};

    #[test]
    fn progress_is_kept_per_runbook_and_alert_with_its_audit_record() {
        let (dir, mut store) = temp_store();
        assert_eq!(store.runbook_run("rb", "fp1").unwrap(), None);
        store.record_runbook_step("rb", "fp1", 4, 0, "succeeded", 1, "ann", entry("ann", "s1")).unwrap();
        let run = store.record_runbook_step("rb", "fp1", 4, 1, "skipped", 2, "ann", entry("ann", "s2")).unwrap();
        assert_eq!(run.next_step, 2);
        assert_eq!(run.outcomes, [Some("succeeded".into()), Some("skipped".into()), None, None]);
        // Another user, another process: the same progress.
        let other = crate::store::Store::open(dir.path().join("state.db")).unwrap();
        let seen = other.runbook_run("rb", "fp1").unwrap().unwrap();
        assert_eq!((seen.next_step, seen.started_by.as_str()), (2, "ann"));
        assert_eq!(other.runbook_run("rb", "fp2").unwrap(), None);
        assert_eq!(store.audit(None).unwrap().len(), 2);
        let bob = store.record_runbook_step("rb", "fp1", 4, 2, "failed", 2, "bob", entry("bob", "s3")).unwrap();
        assert_eq!((bob.next_step, bob.updated_by.as_str(), bob.finished()), (2, "bob", false));
        let restarted = store.set_runbook_step("rb", "fp1", 4, 1, "bob").unwrap();
        assert_eq!(restarted.outcomes, [Some("succeeded".into()), None, None, None]);
        let done = store.set_runbook_step("rb", "fp1", 4, 9, "bob").unwrap();
        assert!(done.finished());
    }
}
