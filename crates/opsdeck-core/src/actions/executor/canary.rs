//! A canary stage: the new slot's servers take a share of the traffic by weight on every host,
//! held while the environment's gate passes. A failure (its 5xx share over the gate, `/health`
//! failing three times in a row on a host, too few requests for too long) ends the action, and
//! the executor's undo puts all the weight back on the stable slot at once.

use super::*;

/// A stage waits at most this many holds for `min_requests`, then fails as inconclusive.
const MAX_HOLDS: u32 = 3;

/// Runs the stage at `percent`; returns the line for the journal, or why the canary fails.
pub(crate) async fn stage(
    ops: &Outside,
    plan: &ActionPlan,
    percent: u8,
    progress: &mut Progress,
    abort: &CancellationToken,
) -> Result<String, String> {
    let t = plan.timing;
    let (env, backend) = (&plan.env, &plan.backend);
    // Weights before the new servers come in: they never take more than their share.
    bounded(t.step_timeout, "weight", ops.set_slot_share(env, backend, &plan.to_slot, percent)).await?;
    bounded(t.step_timeout, "weight", ops.set_slot_share(env, backend, &plan.from_slot, 100 - percent)).await?;
    progress.switched = true;
    ready_and_up(ops, plan, &plan.to_slot, t).await?;
    let counters = || async {
        bounded(t.step_timeout, "show stat", ops.slot_traffic(env, backend, &plan.to_slot)).await.map(|c| c.total())
    };
    let base = counters().await?;
    let start = tokio::time::Instant::now();
    let mut failures = vec![0u32; plan.new_slots.len()];
    loop {
        tokio::select! {
            _ = abort.cancelled() => return Err(format!("aborted at {percent} %: all weight back on {}", plan.from_slot)),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        for (spec, failures) in plan.new_slots.iter().zip(failures.iter_mut()) {
            let h = ops.health(spec).await;
            *failures = if h.healthy { 0 } else { *failures + 1 };
            if *failures >= WATCH_FAILURES {
                return Err(format!("rolled back by itself at {percent} %: {} unhealthy: {}", spec.host, h.reason));
            }
        }
        let now = counters().await?;
        let (requests, errors) =
            (now.requests.saturating_sub(base.requests), now.errors_5xx.saturating_sub(base.errors_5xx));
        let share = if requests == 0 { 0.0 } else { 100.0 * errors as f64 / requests as f64 };
        if over_gate(requests, errors, &t) {
            return Err(format!("rolled back by itself at {percent} %: {share:.1} % 5xx ({errors} of {requests})"));
        }
        let held = start.elapsed();
        if held >= t.canary_hold && requests >= t.min_requests {
            return Ok(format!("{share:.1} % 5xx ({errors} of {requests}) over {}", secs(held)));
        }
        if held >= t.canary_hold * MAX_HOLDS {
            return Err(format!(
                "inconclusive at {percent} %: {requests} requests in {}, {} needed to judge",
                secs(held),
                t.min_requests
            ));
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.0}s", d.as_secs_f64())
}
