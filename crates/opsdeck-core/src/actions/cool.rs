//! The end of a warm period: the old slot a switch left running out of traffic (`keep_warm`) is
//! stopped once its time is up, and kept for a cold rollback as before. Every action command runs
//! [`sweep`] before it plans, and the console every minute; several processes may sweep at once
//! (each stop takes the service's lock, and a slot already stopped is left alone).

use super::plan::{ActionPlan, Step};
use crate::outside::Outside;
use crate::store::{ActionOutcome, AuditEntry, Holder, JournalEntry, LockOutcome, Store};
use chrono::{DateTime, Utc};
use opsdeck_backends::types::AdminState;
use std::sync::Mutex;
use std::time::Duration;

/// A slot left warm by the newest action of its service and environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Warm {
    pub service: String,
    pub env: String,
    pub backend: String,
    pub slot: String,
    pub hosts: Vec<String>,
    pub until: DateTime<Utc>,
    pub stop_grace: Duration,
    pub step_timeout: Duration,
}

/// The warm slots `recent` (the journal, newest first) tells of: per service and environment,
/// the newest action, when it succeeded with a [`Step::KeepWarm`]. A running action says nothing
/// (it holds the lock; what it leaves is for the next sweep).
pub fn warm_slots(recent: &[JournalEntry]) -> Vec<Warm> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for entry in recent {
        if !seen.insert((entry.action.service.clone(), entry.action.env.clone())) {
            continue;
        }
        let Some(finish) = &entry.finish else { continue };
        if finish.outcome != ActionOutcome::Succeeded {
            continue;
        }
        let Ok(plan) = serde_json::from_value::<ActionPlan>(entry.action.plan.clone()) else { continue };
        if !plan.steps.contains(&Step::KeepWarm) || plan.timing.keep_warm.is_zero() {
            continue;
        }
        out.push(Warm {
            until: finish.at + chrono::Duration::from_std(plan.timing.keep_warm).unwrap_or_default(),
            service: plan.service,
            env: plan.env,
            backend: plan.backend,
            slot: plan.from_slot,
            hosts: plan.hosts,
            stop_grace: plan.timing.stop_grace,
            step_timeout: plan.timing.step_timeout,
        });
    }
    out
}

/// Stops every warm slot whose time is up; returns a line for each one stopped or left (why).
pub async fn sweep(ops: &Outside, store: &Mutex<Store>, holder: &Holder) -> Vec<String> {
    let recent = match store
        .lock()
        .map_err(|_| "the store's lock is poisoned".to_string())
        .and_then(|mut s| s.recent_actions(50).map_err(|e| e.to_string()))
    {
        Ok(recent) => recent,
        Err(e) => return vec![format!("warm slots: {e}")],
    };
    let now = Utc::now();
    let mut out = Vec::new();
    for warm in warm_slots(&recent).into_iter().filter(|w| w.until <= now) {
        match cool(ops, store, holder, &warm).await {
            Ok(Some(line)) => out.push(line),
            Ok(None) => {}
            Err(e) => out.push(format!("{}/{}: warm {} not stopped: {e}", warm.service, warm.env, warm.slot)),
        }
    }
    out
}

/// Stops one warm slot (None: nothing of it runs any more).
async fn cool(ops: &Outside, store: &Mutex<Store>, holder: &Holder, warm: &Warm) -> Result<Option<String>, String> {
    let name = format!("{}-{}-{}", warm.service, warm.env, warm.slot);
    let mut running = Vec::new();
    for host in &warm.hosts {
        let bounded = tokio::time::timeout(warm.step_timeout, ops.is_running(host, &name)).await;
        if bounded.map_err(|_| format!("{host}: no answer"))?? {
            running.push(host.clone());
        }
    }
    if running.is_empty() {
        return Ok(None);
    }
    // Never stop a slot that takes traffic (a change made by hand, a re-apply since).
    let servers = ops.servers(&warm.env).await?;
    let env = ops.config().environment(&warm.env).ok_or("no such environment")?;
    if servers
        .iter()
        .any(|s| s.backend == warm.backend && env.is_slot_server(&warm.slot, &s.server) && s.admin != AdminState::Maint)
    {
        return Err(format!("HAProxy has {} out of maint: left running", warm.slot));
    }
    let lock = {
        let mut s = store.lock().map_err(|_| "the store's lock is poisoned")?;
        match s.try_acquire(&warm.service, &warm.env, holder, "end of warm period").map_err(|e| e.to_string())? {
            LockOutcome::Acquired(id) => id,
            LockOutcome::Held(_) => return Ok(None),
        }
    };
    let mut result = Ok(());
    for host in &running {
        let stop = ops.stop(host, &name, warm.stop_grace);
        match tokio::time::timeout(warm.stop_grace + warm.step_timeout, stop).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(_) => result = Err(format!("{host}: stop: no answer")),
        }
    }
    let outcome = if result.is_ok() { "succeeded" } else { "failed" };
    if let Ok(mut s) = store.lock() {
        let _ = s.append_audit(AuditEntry {
            at: Utc::now(),
            user: holder.user.clone(),
            kind: "keep_warm_end".into(),
            subject: format!("{}/{}", warm.service, warm.env),
            detail: serde_json::json!({ "slot": warm.slot, "hosts": running, "warm_until": warm.until }),
            outcome: outcome.into(),
        });
        let _ = s.release(lock);
    }
    result?;
    Ok(Some(format!(
        "{}/{}: warm {} stopped on {} (kept for a cold rollback)",
        warm.service,
        warm.env,
        warm.slot,
        running.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{plan, ActionKind, Target, Timing};
    use crate::testing::{gen_demo_world_all_up, gen_journal_entry, gen_now, GenRun};

    fn warm_plan(keep_warm: Duration) -> ActionPlan {
        let target =
            Target { kind: ActionKind::Rollback, service: "api".into(), env: "prod".into(), image: None, force: false };
        plan(&gen_demo_world_all_up(), &target, Timing { keep_warm, ..Timing::default() }).expect("plan")
    }

    /// With `keep_warm` the old slot is kept running instead of stopped; without, stopped as before.
    #[test]
    fn a_plan_keeps_the_old_slot_warm_or_stops_it() {
        let warm = warm_plan(Duration::from_secs(3600));
        assert!(warm.steps.contains(&Step::KeepWarm) && !warm.steps.iter().any(|s| matches!(s, Step::StopOld { .. })));
        let label = Step::KeepWarm.label(&warm);
        assert_eq!(label, "keep blue warm for 1h");
        let cold = warm_plan(Duration::ZERO);
        assert!(!cold.steps.contains(&Step::KeepWarm));
        assert_eq!(cold.steps.iter().filter(|s| matches!(s, Step::StopOld { .. })).count(), 2, "both prod hosts");
    }

    /// The newest action of each service and environment says which slot is warm until when; a
    /// failed one, or one that stopped the old slot, leaves nothing warm.
    #[test]
    fn the_journal_tells_which_slot_is_warm_until_when() {
        let plan = warm_plan(Duration::from_secs(600));
        let done = gen_journal_entry(2, &plan, "alice", gen_now(), GenRun::Succeeded);
        let warm = warm_slots(std::slice::from_ref(&done));
        assert_eq!(warm.len(), 1, "{warm:?}");
        let finished = done.finish.as_ref().map(|f| f.at).expect("finished");
        assert_eq!((warm[0].slot.as_str(), warm[0].until), ("blue", finished + chrono::Duration::minutes(10)));
        assert_eq!(warm[0].hosts, ["prod-1", "prod-2"]);
        let failed = GenRun::Ended { at: 3, outcome: ActionOutcome::RolledBack, reason: "5xx" };
        let newer_failed = gen_journal_entry(3, &plan, "alice", gen_now(), failed);
        assert!(warm_slots(&[newer_failed, done.clone()]).is_empty(), "only the newest action counts");
        let cold = gen_journal_entry(4, &warm_plan(Duration::ZERO), "alice", gen_now(), GenRun::Succeeded);
        assert!(warm_slots(&[cold, done]).is_empty());
    }
}
