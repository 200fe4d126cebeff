//! Judging the new slot while it takes traffic, the same way after a switch (the watch) and at a
//! canary's stage: each look checks `/health` on every host (three failures in a row on one host
//! fail it; a healthy host does not hide another) and the slot's 5xx share since the judging began
//! against the environment's gate.

use super::*;
use crate::outside::ServerCounters;

/// Answers and 5xx of the new slot since the judging began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub requests: u64,
    pub errors: u64,
}

impl Seen {
    /// The 5xx share, in percent.
    pub fn share(&self) -> f64 {
        crate::world::actions::share_percent(self.errors, self.requests)
    }
}

/// Why the new slot failed.
#[derive(Debug)]
pub(crate) enum Failed {
    Unhealthy {
        host: String,
        reason: String,
    },
    OverGate(Seen),
    /// HAProxy could not be asked.
    Outside(String),
}

pub(crate) struct Judge<'a> {
    ops: &'a Outside,
    plan: &'a ActionPlan,
    base: ServerCounters,
    failures: Vec<u32>,
}

impl<'a> Judge<'a> {
    /// Starts judging `plan`'s new slot from its counters now.
    pub async fn start(ops: &'a Outside, plan: &'a ActionPlan) -> Result<Judge<'a>, String> {
        let base = counters(ops, plan).await?;
        Ok(Judge { ops, plan, base, failures: vec![0; plan.new_slots.len()] })
    }

    /// One look: every host's health, then the 5xx share against the gate.
    pub async fn look(&mut self) -> Result<Seen, Failed> {
        for (spec, failures) in self.plan.new_slots.iter().zip(self.failures.iter_mut()) {
            let h = self.ops.health(spec).await;
            *failures = if h.healthy { 0 } else { *failures + 1 };
            if *failures >= WATCH_FAILURES {
                return Err(Failed::Unhealthy { host: spec.host.clone(), reason: h.reason });
            }
        }
        let now = counters(self.ops, self.plan).await.map_err(Failed::Outside)?;
        let seen = Seen {
            requests: now.requests.saturating_sub(self.base.requests),
            errors: now.errors_5xx.saturating_sub(self.base.errors_5xx),
        };
        if over_gate(seen.requests, seen.errors, &self.plan.timing) {
            return Err(Failed::OverGate(seen));
        }
        Ok(seen)
    }
}

async fn counters(ops: &Outside, plan: &ActionPlan) -> Result<ServerCounters, String> {
    let traffic = ops.slot_traffic(&plan.env, &plan.backend, &plan.to_slot);
    bounded(plan.timing.step_timeout, "show stat", traffic).await.map(|t| t.total())
}

/// Whether `errors` of `requests` fail the environment's gate: only once enough were answered.
pub(crate) fn over_gate(requests: u64, errors: u64, t: &crate::actions::plan::Timing) -> bool {
    requests >= t.min_requests && errors.saturating_mul(10_000) > u64::from(t.max_error_bp).saturating_mul(requests)
}
