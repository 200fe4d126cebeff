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
    let mut judge = Judge::start(ops, plan).await?;
    let start = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = abort.cancelled() => return Err(format!("aborted at {percent} %: all weight back on {}", plan.from_slot)),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let seen = match judge.look().await {
            Ok(seen) => seen,
            Err(Failed::Unhealthy { host, reason }) => {
                return Err(format!("rolled back by itself at {percent} %: {host} unhealthy: {reason}"))
            }
            Err(Failed::OverGate(s)) => {
                let (share, errors, requests) = (s.share(), s.errors, s.requests);
                return Err(format!("rolled back by itself at {percent} %: {share:.1} % 5xx ({errors} of {requests})"));
            }
            Err(Failed::Outside(e)) => return Err(e),
        };
        let held = start.elapsed();
        if held >= t.canary_hold && seen.requests >= t.min_requests {
            let (share, errors, requests) = (seen.share(), seen.errors, seen.requests);
            return Ok(format!("{share:.1} % 5xx ({errors} of {requests}) over {}", secs(held)));
        }
        if held >= t.canary_hold * MAX_HOLDS {
            return Err(format!(
                "inconclusive at {percent} %: {} requests in {}, {} needed to judge",
                seen.requests,
                secs(held),
                t.min_requests
            ));
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.0}s", d.as_secs_f64())
}
