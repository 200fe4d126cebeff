//! The executor: runs a plan's steps in order on tokio, each bounded and journaled before and
//! after it runs, reports progress as [`ActionEvent`]s, undoes itself on failure (removing the new
//! slot before the switch, switching back after it), and ends in an audit record. One action per
//! service and environment at a time, through the store's lock.

use super::events::ActionEvent;
use super::plan::{ActionPlan, Step};
use super::steer::Hand;
use crate::outside::{Outside, SlotSpec};
use crate::store::{
    ActionId, ActionOutcome, ActionRecord, AuditEntry, Holder, ImageRef, LockOutcome, StepPhase, Store,
};
use chrono::Utc;
use opsdeck_backends::types::AdminState;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// How often a running action refreshes its lock's heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// How often bounded waits look again.
const POLL: Duration = Duration::from_millis(250);
/// How often a slot's `/health` and HAProxy's view of a new server are looked at while an action
/// waits for them: the first healthy answer switches, so this bounds a rollback's time.
const HEALTH_POLL: Duration = Duration::from_millis(100);
/// Consecutive failed health checks in the watch window that fail the action.
const WATCH_FAILURES: u32 = 3;

/// How an action ended, for the caller (exit code, status line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    pub id: Option<i64>,
    pub outcome: Option<ActionOutcome>,
    pub reason: String,
}

impl ActionReport {
    /// Ended as asked: every step done and the audit record written.
    pub fn succeeded(&self) -> bool {
        self.outcome == Some(ActionOutcome::Succeeded)
    }
}

/// Runs actions against `ops`, recording them in the store.
pub struct Executor {
    pub ops: Arc<Outside>,
    pub store: Arc<Mutex<Store>>,
    pub events: UnboundedSender<ActionEvent>,
    pub holder: Holder,
}

impl Executor {
    /// Stops the warm slots whose time is up ([`crate::actions::cool`]); a line for each.
    pub async fn sweep_warm(&self) -> Vec<String> {
        crate::actions::cool::sweep(&self.ops, &self.store, &self.holder).await
    }
}

impl Clone for Executor {
    fn clone(&self) -> Self {
        Executor {
            ops: self.ops.clone(),
            store: self.store.clone(),
            events: self.events.clone(),
            holder: self.holder.clone(),
        }
    }
}

/// Where a running action is, for undo.
#[derive(Default)]
pub(crate) struct Progress {
    /// Hosts whose idle slot was prepared (created or started).
    pub(crate) prepared: Vec<String>,
    /// Traffic may point at the new slot.
    pub(crate) switched: bool,
    /// Hosts whose old container was stopped.
    pub(crate) stopped_old: Vec<String>,
}

impl Executor {
    pub(crate) fn emit(&self, event: ActionEvent) {
        let _ = self.events.send(event);
    }

    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, String> {
        let mut store = self.store.lock().map_err(|_| "state store unavailable (a thread panicked)".to_string())?;
        f(&mut store).map_err(|e| e.to_string())
    }

    pub(crate) fn audit(
        &self,
        kind: &str,
        subject: &str,
        detail: serde_json::Value,
        outcome: &str,
    ) -> Result<(), String> {
        let entry = AuditEntry {
            at: Utc::now(),
            user: self.holder.user.clone(),
            kind: kind.into(),
            subject: subject.into(),
            detail,
            outcome: outcome.into(),
        };
        self.with_store(|s| s.append_audit(entry).map(|_| ()))
    }

    /// Records and reports an action that will not run (lock held, gate closed, store down).
    pub fn refuse(&self, plan: &ActionPlan, reason: String) -> ActionReport {
        let detail = serde_json::json!({ "action": plan.kind.as_str(), "summary": plan.summary(), "reason": reason });
        let reason = match self.audit("refusal", &plan.subject(), detail, "refused") {
            Ok(()) => reason,
            Err(e) => format!("{reason}; and the audit record could not be written: {e}"),
        };
        self.emit(ActionEvent::Refused { subject: plan.subject(), reason: reason.clone(), at: Utc::now() });
        ActionReport { id: None, outcome: None, reason }
    }

    /// Runs `plan` to its end. `cancel` asks it to stop: before the switch it undoes itself; after
    /// the switch it completes (cutting the watch short), so a dropped session never leaves traffic
    /// half-switched.
    pub async fn run(&self, plan: ActionPlan, cancel: CancellationToken) -> ActionReport {
        self.run_abortable(plan, cancel, CancellationToken::new()).await
    }

    /// [`Executor::run`], with `abort`: the operator's "abort back" (`C`). While the old server
    /// drains, or any time after the switch and before the old slot is stopped, it switches
    /// traffic back and the action ends "aborted by <user>"; at any other step it does what
    /// `cancel` does.
    pub async fn run_abortable(
        &self,
        plan: ActionPlan,
        cancel: CancellationToken,
        abort: CancellationToken,
    ) -> ActionReport {
        self.run_by_hand(plan, cancel, Hand::with_abort(abort)).await
    }

    /// [`Executor::run_abortable`], with the whole [`Hand`]: a canary's stages also pause and
    /// pass on the operator's keys.
    pub async fn run_by_hand(&self, plan: ActionPlan, cancel: CancellationToken, hand: Hand) -> ActionReport {
        let what = plan.summary();
        let lock = match self.with_store(|s| s.try_acquire(&plan.service, &plan.env, &self.holder, &what)) {
            Ok(LockOutcome::Acquired(id)) => id,
            Ok(LockOutcome::Held(info)) => {
                let stale = crate::store::is_stale(&info, Utc::now(), super::recover::HEARTBEAT_TIMEOUT)
                    .map(|why| {
                        format!(
                            "; the holder looks gone ({why}): `opsdeck unlock {} --env {}` breaks it",
                            plan.service, plan.env
                        )
                    })
                    .unwrap_or_default();
                let reason = format!(
                    "locked by {} since {} ({}){stale}",
                    info.holder,
                    info.since.format("%Y-%m-%d %H:%M:%S UTC"),
                    info.what
                );
                return self.refuse(&plan, reason);
            }
            Err(e) => return self.refuse(&plan, format!("cannot take the lock: {e}")),
        };
        let report = self.run_locked(plan.clone(), lock, cancel, hand).await;
        if let Err(e) = self.with_store(|s| s.release(lock).map(|_| ())) {
            self.emit(ActionEvent::Undoing {
                id: report.id.unwrap_or(0),
                reason: format!("lock release failed: {e}"),
                at: Utc::now(),
            });
        }
        report
    }

    async fn run_locked(
        &self,
        plan: ActionPlan,
        lock: crate::store::LockId,
        cancel: CancellationToken,
        hand: Hand,
    ) -> ActionReport {
        let started = Instant::now();
        let abort = hand.abort.clone();
        let record = ActionRecord {
            kind: plan.kind.as_str().into(),
            service: plan.service.clone(),
            env: plan.env.clone(),
            from: plan.from.as_ref().map(|f| ImageRef { tag: f.tag.clone(), digest: f.digest.clone() }),
            to: ImageRef { tag: plan.to.tag.clone(), digest: plan.to.digest.clone() },
            hosts: plan.hosts.clone(),
            user: self.holder.user.clone(),
            started_at: Utc::now(),
            plan: serde_json::to_value(&plan).unwrap_or(serde_json::Value::Null),
        };
        let id = match self.with_store(|s| s.journal_begin(&record)) {
            Ok(id) => id,
            Err(e) => return self.refuse(&plan, format!("cannot write the journal: {e}")),
        };
        self.emit(ActionEvent::Started {
            id: id.0,
            plan: Box::new(plan.clone()),
            user: self.holder.user.clone(),
            at: Utc::now(),
        });
        self.notify(crate::config::NotifyEvent::ActionStarted, &plan, id, None, "");
        let heartbeat = self.keep_alive(lock);
        // The team hears of a break-glass rollback as it starts, without the rollback waiting.
        let announced = plan.break_glass.then(|| {
            let (exec, plan) = (self.clone(), plan.clone());
            tokio::spawn(async move { exec.announce_break_glass(&plan, id).await })
        });

        let mut progress = Progress::default();
        let mut failure: Option<String> = None;
        // Steps wait on `stop`: a cancel, or an abort (which also cancels what a cancel would).
        let stop = cancel.child_token();
        let linker = {
            let (abort, stop) = (abort.clone(), stop.clone());
            tokio::spawn(async move {
                abort.cancelled().await;
                stop.cancel();
            })
        };
        let aborted = || format!("aborted by {}", self.holder.user);
        // Each step's outcome also goes into the action's audit record (the journal holds the
        // timing detail; the audit trail is what nobody can quietly change).
        let mut steps_done: Vec<serde_json::Value> = Vec::new();
        let mut silence: Option<String> = None;
        for (index, step) in plan.steps.iter().enumerate() {
            if *step == Step::Unsilence {
                // Run below, however the action ends.
                continue;
            }
            let label = step.label(&plan);
            if abort.is_cancelled() && (!progress.switched || progress.stopped_old.is_empty()) {
                // Before the old slot is stopped, an abort goes back: undo, or switch back.
                failure = Some(aborted());
                break;
            }
            if stop.is_cancelled() && !progress.switched {
                failure = Some("cancelled before the switch".into());
                break;
            }
            if let Err(e) = self.journal(id, index, &label, StepPhase::Started, "") {
                failure = Some(e);
                break;
            }
            let result = match step {
                Step::Silence => self.silence(id, &plan).await.map(|(sid, note)| {
                    silence = Some(sid);
                    note
                }),
                _ => self.run_step(id, &plan, step, &mut progress, &stop, &hand).await,
            };
            let (phase, note) = match &result {
                Ok(note) => (StepPhase::Finished, note.clone()),
                Err(reason) => (StepPhase::Failed, reason.clone()),
            };
            let journaled = self.journal(id, index, &label, phase, &note);
            let word = if result.is_ok() { "done" } else { "failed" };
            steps_done.push(serde_json::json!({ "step": label, "outcome": word, "note": note }));
            match result {
                // Alertmanager down must not stop a rollback mid-incident: the step says it
                // failed and the action goes on.
                Err(_) if *step == Step::Silence => {}
                Err(_) if abort.is_cancelled() => {
                    failure = Some(format!("{} during {label}", aborted()));
                    break;
                }
                Err(reason) => {
                    failure = Some(format!("{label}: {reason}"));
                    break;
                }
                Ok(_) => {}
            }
            if let Err(e) = journaled {
                failure = Some(e);
                break;
            }
        }
        heartbeat.stop();
        linker.abort();

        let (outcome, mut reason) = match failure {
            None => (ActionOutcome::Succeeded, String::new()),
            Some(reason) => {
                self.emit(ActionEvent::Undoing { id: id.0, reason: reason.clone(), at: Utc::now() });
                match undo(&self.ops, &plan, &progress).await {
                    // Nobody asked for this one: the team hears of it.
                    Ok(ActionOutcome::RolledBack) if !stop.is_cancelled() => {
                        match self.announce_auto_rollback(&plan, id, &reason).await {
                            Some(line) => (ActionOutcome::RolledBack, format!("{reason}; {line}")),
                            None => (ActionOutcome::RolledBack, reason),
                        }
                    }
                    Ok(outcome) => (outcome, reason),
                    Err(undo_err) => (ActionOutcome::Failed, format!("{reason}; undo failed: {undo_err}")),
                }
            }
        };
        if let Some(Ok(Some(line))) = match announced {
            Some(task) => Some(task.await),
            None => None,
        } {
            reason = if reason.is_empty() { line } else { format!("{reason}; {line}") };
        }
        if let Some(index) = plan.steps.iter().position(|s| *s == Step::Unsilence) {
            let label = Step::Unsilence.label(&plan);
            let _ = self.journal(id, index, &label, StepPhase::Started, "");
            let result = match &silence {
                Some(sid) => bounded(plan.timing.step_timeout, "expire silence", self.ops.expire_silence(sid))
                    .await
                    .map(|()| format!("silence {sid} expired")),
                None => Ok("no silence was set".into()),
            };
            let (phase, note) = match &result {
                Ok(note) => (StepPhase::Finished, note.clone()),
                Err(e) => {
                    let sid = silence.as_deref().unwrap_or_default();
                    let line = format!("silence {sid} not expired: {e} (it ends by itself)");
                    reason = if reason.is_empty() { line.clone() } else { format!("{reason}; {line}") };
                    (StepPhase::Failed, e.clone())
                }
            };
            let _ = self.journal(id, index, &label, phase, &note);
            let word = if result.is_ok() { "done" } else { "failed" };
            steps_done.push(serde_json::json!({ "step": label, "outcome": word, "note": note, "silence": silence }));
        }
        self.finish(&plan, id, outcome, reason, started.elapsed(), steps_done)
    }
}

mod announce;
mod canary;
mod finish;
mod judge;
mod moves;
mod steps;

#[cfg(test)]
pub(crate) use judge::over_gate;
pub(crate) use judge::{Failed, Judge};
pub(crate) use moves::*;

#[cfg(test)]
mod tests;
