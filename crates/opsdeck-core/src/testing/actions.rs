//! Plans, journal entries and locks, as the executor writes them.

use super::{gen_demo_world_all_up, gen_now};
use crate::actions::{ActionKind, ActionPlan, Step, Target, Timing};
use crate::store::{
    ActionFinish, ActionId, ActionOutcome, ActionRecord, Holder, ImageRef, JournalEntry, LockId, LockInfo, StepPhase,
    StepRecord,
};
use chrono::{DateTime, Utc};

/// The plan `p` (`Promote`) or `r` (`Rollback`) would build for `service` in `env` with default
/// timing, on [`gen_demo_model_all_up`].
pub fn gen_plan(kind: ActionKind, service: &str, env: &str) -> ActionPlan {
    let target = Target { kind, service: service.into(), env: env.into(), image: None, force: false };
    crate::actions::plan(&gen_demo_world_all_up(), &target, Timing::default()).expect("fixture plan")
}

/// The plan that brought `plan.from` in, e.g. the earlier promote a rollback undoes.
pub fn gen_reversed_plan(plan: &ActionPlan) -> ActionPlan {
    let mut p = plan.clone();
    p.kind = ActionKind::Promote;
    std::mem::swap(&mut p.from_slot, &mut p.to_slot);
    std::mem::swap(&mut p.new_slots, &mut p.old_slots);
    p.to = plan.from.clone().unwrap_or_default();
    p.from = Some(plan.to.clone());
    p.reuse_idle = false;
    p
}

/// How far a fixture action got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenRun<'a> {
    /// Steps before `done` finished; step `done` has started and not ended.
    Running { done: usize },
    /// Every step finished.
    Succeeded,
    /// Step `at` failed with `reason`, and the action ended with `outcome`.
    Ended { at: usize, outcome: ActionOutcome, reason: &'a str },
}

/// How long a step of a fixture action takes, and the note the executor writes when it finishes.
fn gen_step_run(plan: &ActionPlan, step: &Step) -> (chrono::Duration, String) {
    let ms = chrono::Duration::milliseconds;
    match step {
        Step::Prepare { .. } if plan.reuse_idle => (ms(40), "idle slot already holds it: no pull, no create".into()),
        Step::Prepare { .. } => (ms(4_200), "pulled; created".into()),
        Step::Start { .. } => (ms(800), String::new()),
        Step::WaitHealthy { .. } => (ms(2_100), "healthy after 2.1s".into()),
        Step::CanaryStage { .. } => (chrono::Duration::seconds(60), "0.4 % 5xx (2 of 480) over 60s".into()),
        Step::Switch => (ms(300), format!("{} ready, {} draining", plan.to_slot, plan.from_slot)),
        Step::Drain => (ms(300), "drained in 0.3s".into()),
        Step::Retire => (ms(100), String::new()),
        Step::StopOld { .. } => (ms(1_500), "kept for rollback".into()),
        Step::KeepWarm => (
            ms(1),
            format!(
                "{} stays running out of traffic until 11:12 UTC: a rollback until then is a switch",
                plan.from_slot
            ),
        ),
        Step::Watch => (chrono::Duration::seconds(60), "stayed healthy".into()),
        Step::Silence => {
            (ms(30), "silence 3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11 until 10:42:10 UTC at the latest".into())
        }
        Step::Unsilence => (ms(20), "silence 3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11 expired".into()),
    }
}

/// A journal entry for `plan` run by `user` from `started`, as the executor writes it: each step
/// started then finished (or failed), one after the other, and the end if it ended.
pub fn gen_journal_entry(
    id: i64,
    plan: &ActionPlan,
    user: &str,
    started: DateTime<Utc>,
    run: GenRun<'_>,
) -> JournalEntry {
    let image = |im: &crate::world::views::ImageRef| ImageRef { tag: im.tag.clone(), digest: im.digest.clone() };
    let action = ActionRecord {
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: plan.from.as_ref().map(image),
        to: image(&plan.to),
        hosts: plan.hosts.clone(),
        user: user.into(),
        started_at: started,
        plan: serde_json::to_value(plan).expect("plan serializes"),
    };
    let (last, failed) = match run {
        GenRun::Running { done } => (done.min(plan.steps.len()), None),
        GenRun::Succeeded => (plan.steps.len(), None),
        GenRun::Ended { at, reason, .. } => (at.min(plan.steps.len()), Some(reason)),
    };
    let mut steps = Vec::new();
    let mut at = started;
    let record = |index: usize, phase: StepPhase, at: DateTime<Utc>, detail: &str| StepRecord {
        step_index: index as u32,
        step_name: plan.steps[index].label(plan),
        phase,
        at,
        detail: detail.into(),
    };
    for (index, step) in plan.steps.iter().enumerate().take(last) {
        let (took, note) = gen_step_run(plan, step);
        steps.push(record(index, StepPhase::Started, at, ""));
        at += took;
        steps.push(record(index, StepPhase::Finished, at, &note));
    }
    if last < plan.steps.len() && !matches!(run, GenRun::Succeeded) {
        steps.push(record(last, StepPhase::Started, at, ""));
        if let Some(reason) = failed {
            at += chrono::Duration::seconds(12);
            steps.push(record(last, StepPhase::Failed, at, reason));
        }
    }
    let finish = match run {
        GenRun::Running { .. } => None,
        GenRun::Succeeded => Some(ActionFinish { at, outcome: ActionOutcome::Succeeded, reason: String::new() }),
        GenRun::Ended { at: index, outcome, reason } => {
            let label = plan.steps.get(index).map(|s| s.label(plan)).unwrap_or_default();
            // Undoing takes a few seconds more after the failure.
            Some(ActionFinish { at: at + chrono::Duration::seconds(3), outcome, reason: format!("{label}: {reason}") })
        }
    };
    JournalEntry { id: ActionId(id), action, steps, finish }
}

/// The lock the action journaled as `entry` (planned as `plan`) holds while it runs, taken by
/// opsdeck pid 4242 on the bastion.
pub fn gen_lock(id: i64, plan: &ActionPlan, entry: &JournalEntry) -> LockInfo {
    let a = &entry.action;
    LockInfo {
        id: LockId(id),
        service: a.service.clone(),
        env: a.env.clone(),
        holder: Holder { user: a.user.clone(), host: "bastion".into(), pid: 4242, process_start: None },
        what: plan.summary(),
        since: a.started_at,
        heartbeat: gen_now(),
    }
}
