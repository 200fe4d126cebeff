//! Crash recovery: an action whose journal has no end (opsdeck was killed, the SSH session
//! dropped, the bastion rebooted) is finished or undone the next time any opsdeck starts, so
//! traffic never stays on a slot that is not healthy and no environment stays half-switched.

use super::executor::{drain, switch_back, undo, wait_healthy, Executor, Progress};
use super::plan::ActionPlan;
use crate::config::Config;
use crate::outside::Outside;
use crate::store::{
    is_stale, ActionOutcome, AuditEntry, BreakMode, JournalEntry, LockOutcome, RequestEnd, RequestState, StepPhase,
};
use chrono::Utc;
use opsdeck_backends::types::AdminState;
use std::time::Duration;

/// A lock whose holder has not refreshed it for this long is taken for dead (the holder
/// refreshes every [`super::executor::HEARTBEAT_EVERY`]).
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(30);

/// Finishes or undoes every unfinished action whose holder is gone; returns one line per action
/// saying what was done (for the status bar or stderr).
pub async fn recover(exec: &Executor, config: &Config) -> Vec<String> {
    let entries = match exec.store.lock().map_err(|_| ()).and_then(|mut s| s.unfinished_actions().map_err(|_| ())) {
        Ok(e) => e,
        Err(()) => return vec!["recovery: cannot read the journal".into()],
    };
    let mut lines = Vec::new();
    for entry in entries {
        let line = match recover_one(exec, config, &entry).await {
            Ok(Some(line)) => line,
            Ok(None) => continue,
            Err(e) => {
                format!("action #{} ({}/{}): recovery failed: {e}", entry.id.0, entry.action.service, entry.action.env)
            }
        };
        lines.push(line);
    }
    lines
}

async fn recover_one(exec: &Executor, config: &Config, entry: &JournalEntry) -> Result<Option<String>, String> {
    let (service, env) = (&entry.action.service, &entry.action.env);
    let plan: ActionPlan = match serde_json::from_value(entry.action.plan.clone()) {
        Ok(p) => p,
        Err(e) => return Ok(Some(left_alone(entry, &format!("its journaled plan cannot be read: {e}")))),
    };
    let lock = exec.with_store(|s| s.lock(service, env))?;
    if lock.as_ref().is_some_and(|l| is_stale(l, Utc::now(), HEARTBEAT_TIMEOUT).is_none()) {
        // Its holder is alive and still running it.
        return Ok(None);
    }
    // Nothing read back from the group-writable store is acted on before it is checked.
    if let Err(why) = trusted(exec, config, entry, &plan).await {
        return Ok(Some(left_alone(entry, &why)));
    }
    if lock.is_some() {
        let reason = format!("recovering unfinished action #{}", entry.id.0);
        exec.with_store(|s| {
            s.break_lock(
                service,
                env,
                &exec.holder,
                &reason,
                BreakMode::IfStale { heartbeat_timeout: HEARTBEAT_TIMEOUT },
            )
        })?;
    }
    let mut plan = plan;
    if let Some(svc) = config.service(service) {
        // Environment values are never journaled; they come back from the config.
        for spec in
            plan.new_slots.iter_mut().chain(plan.old_slots.iter_mut()).chain(plan.idle_before.iter_mut().flatten())
        {
            spec.env_vars = svc.env_vars();
        }
    }
    let lock_id = match exec
        .with_store(|s| s.try_acquire(service, env, &exec.holder, &format!("recover action #{}", entry.id.0)))?
    {
        LockOutcome::Acquired(id) => id,
        LockOutcome::Held(info) => {
            return Ok(Some(format!("action #{}: {} holds the lock; left alone", entry.id.0, info.holder)))
        }
    };
    let result = if let Some(percent) = canary_midway(entry, &plan) {
        // A canary stopped before its last stage: all the weight goes back on the stable slot.
        match switch_back(&exec.ops, &plan).await {
            Ok(()) => Ok((
                ActionOutcome::RolledBack,
                format!("canary stopped at {percent} %: all traffic back on {}", plan.from_slot),
            )),
            Err(e) => Err(e),
        }
    } else if switched(entry, &plan) {
        resume_after_switch(&exec.ops, &plan).await
    } else {
        undo_before_switch(&exec.ops, &plan).await
    };
    let (outcome, mut what) = match result {
        Ok(r) => r,
        Err(e) => (ActionOutcome::Failed, format!("recovery could not settle it: {e}")),
    };
    if let Some(sid) = left_silence(&plan, entry) {
        what.push_str(&match exec.ops.expire_silence(&sid).await {
            Ok(()) => format!("; silence {sid} expired"),
            Err(e) => format!("; silence {sid} not expired: {e} (it ends by itself)"),
        });
    }
    let reason = format!("recovered after opsdeck stopped mid-action: {what}");
    exec.with_store(|s| s.journal_finish(entry.id, outcome, &reason))?;
    let audit = AuditEntry {
        at: Utc::now(),
        user: exec.holder.user.clone(),
        kind: "recovery".into(),
        subject: plan.subject(),
        detail: serde_json::json!({ "id": entry.id.0, "action": plan.kind.as_str(), "started_by": entry.action.user, "what": what }),
        outcome: match outcome {
            ActionOutcome::Succeeded => "completed",
            ActionOutcome::Undone => "undone",
            _ => "failed",
        }
        .into(),
    };
    let audited = exec.with_store(|s| s.append_audit(audit).map(|_| ()));
    settle_request(exec, entry, outcome, &reason);
    let _ = exec.with_store(|s| s.release(lock_id).map(|_| ()));
    audited?;
    Ok(Some(format!("action #{} ({}): {reason}", entry.id.0, plan.summary())))
}

/// The journal rows are in the audit chain as written, the plan is one the config allows, and the
/// registry knows its images; before the switch, the slot to undo takes no traffic.
async fn trusted(exec: &Executor, config: &Config, entry: &JournalEntry, plan: &ActionPlan) -> Result<(), String> {
    exec.with_store(|s| Ok(s.journal_in_chain(entry)))??;
    super::recover_check::matches_config(config, entry, plan)?;
    super::recover_check::images_known(&exec.ops, config, plan).await?;
    if !switched(entry, plan) {
        super::recover_check::target_is_idle(&exec.ops, plan).await?;
    }
    Ok(())
}

/// The share a canary had reached when its process died, when it had started a stage and not yet
/// the switch to 100 % (None otherwise: not a canary, not that far, or past it).
fn canary_midway(entry: &JournalEntry, plan: &ActionPlan) -> Option<u8> {
    use super::plan::Step;
    let started = |index: u32| plan.steps.get(index as usize);
    let mut percent = None;
    for s in entry.steps.iter().filter(|s| s.phase == StepPhase::Started) {
        match started(s.step_index) {
            Some(Step::CanaryStage { percent: p }) => percent = Some(*p),
            Some(Step::Switch) => return None,
            _ => {}
        }
    }
    percent
}

/// Whether a step after the switch had started: traffic may have moved.
fn switched(entry: &JournalEntry, plan: &ActionPlan) -> bool {
    entry.steps.iter().any(|s| {
        s.phase == StepPhase::Started && plan.steps.get(s.step_index as usize).is_some_and(|st| st.after_switch())
    })
}

/// The line for an unfinished action recovery does not touch: it stays in the journal, unfinished,
/// and is reported again at every start until someone looks at it.
fn left_alone(entry: &JournalEntry, why: &str) -> String {
    format!(
        "action #{} ({}/{}, by {}): not recovered, left alone: {why}",
        entry.id.0, entry.action.service, entry.action.env, entry.action.user
    )
}

/// Ends the approved request the recovered action ran for (its approver's opsdeck died with it),
/// so the Approvals pane shows how it ended instead of "approved" forever. Best effort: the
/// action is settled either way, and a store error here leaves the request as it was.
fn settle_request(exec: &Executor, entry: &JournalEntry, outcome: ActionOutcome, reason: &str) {
    let Ok(Some(request)) = exec.with_store(|s| s.approved_request_for(entry.id)) else { return };
    let state = if outcome == ActionOutcome::Succeeded { RequestState::Done } else { RequestState::Failed };
    let end = RequestEnd { state, action_id: Some(entry.id), reason: reason.to_string() };
    let _ = exec.with_store(|s| s.finish_request(request.id, &end, &exec.holder.user, Utc::now()).map(|_| ()));
}

/// The silence the action set and did not expire, from the journal: the note of its finished
/// [`super::plan::Step::Silence`] step starts `silence <id>`.
fn left_silence(plan: &ActionPlan, entry: &JournalEntry) -> Option<String> {
    use super::plan::Step;
    let set = plan.steps.iter().position(|s| *s == Step::Silence)? as u32;
    let unset = plan.steps.iter().position(|s| *s == Step::Unsilence).map(|i| i as u32);
    let expired = entry.steps.iter().any(|s| Some(s.step_index) == unset && s.phase == StepPhase::Finished);
    if expired {
        return None;
    }
    entry
        .steps
        .iter()
        .find(|s| s.step_index == set && s.phase == StepPhase::Finished)
        .and_then(|s| s.detail.strip_prefix("silence "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
}

/// Before the switch traffic never moved: remove what the action created, give the idle slot
/// back what it held.
async fn undo_before_switch(ops: &Outside, plan: &ActionPlan) -> Result<(ActionOutcome, String), String> {
    let progress = Progress { prepared: plan.hosts.clone(), ..Default::default() };
    undo(ops, plan, &progress).await?;
    Ok((ActionOutcome::Undone, "undone before the switch; traffic never moved".into()))
}

/// After the switch: if the new slot is healthy everywhere, finish (old server drained and
/// retired, old container stopped); otherwise switch back.
async fn resume_after_switch(ops: &Outside, plan: &ActionPlan) -> Result<(ActionOutcome, String), String> {
    let t = plan.timing;
    let mut healthy = true;
    for spec in &plan.new_slots {
        let running = ops.is_running(&spec.host, &spec.container_name()).await.unwrap_or(false);
        if !running || wait_healthy(ops, spec, Duration::from_secs(10).min(t.health_wait), None).await.is_err() {
            healthy = false;
        }
    }
    if !healthy {
        switch_back(ops, plan).await?;
        return Ok((
            ActionOutcome::Undone,
            format!("the new slot {} was not healthy: switched back to {}", plan.to_slot, plan.from_slot),
        ));
    }
    ops.set_slot(&plan.env, &plan.backend, &plan.to_slot, AdminState::Ready).await?;
    ops.set_slot(&plan.env, &plan.backend, &plan.from_slot, AdminState::Drain).await?;
    drain(ops, plan, &plan.from_slot, t.drain_wait).await?;
    ops.set_slot(&plan.env, &plan.backend, &plan.from_slot, AdminState::Maint).await?;
    // A plan that keeps the old slot warm leaves it running: the warm period's end stops it.
    if !plan.steps.contains(&super::plan::Step::KeepWarm) {
        for old in &plan.old_slots {
            ops.stop(&old.host, &old.container_name(), t.stop_grace).await?;
        }
    }
    Ok((ActionOutcome::Succeeded, format!("completed: traffic on {} ({})", plan.to_slot, plan.to.tag)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ActionKind;
    use crate::testing::{gen_journal_entry, gen_now, gen_plan, GenRun};

    #[test]
    fn a_killed_actions_silence_is_found_in_its_journal() {
        let plan = gen_plan(ActionKind::Promote, "api", "prod").with_silence();
        let running = gen_journal_entry(7, &plan, "alice", gen_now(), GenRun::Running { done: 3 });
        assert_eq!(left_silence(&plan, &running).as_deref(), Some("3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11"));
        let ended = gen_journal_entry(7, &plan, "alice", gen_now(), GenRun::Succeeded);
        assert_eq!(left_silence(&plan, &ended), None, "expired already");
        let plain = gen_plan(ActionKind::Promote, "api", "prod");
        let running = gen_journal_entry(7, &plain, "alice", gen_now(), GenRun::Running { done: 3 });
        assert_eq!(left_silence(&plain, &running), None);
    }
}
