//! A canary stage: the new slot's servers take a share of the traffic by weight on every host,
//! held while the environment's gate passes. A failure (its 5xx share over the gate, `/health`
//! failing three times in a row on a host, too few requests for too long) ends the action, and
//! the executor's undo puts all the weight back on the stable slot at once. The operator's
//! [`Hand`] pauses the stage's clock (it is still judged) or passes it now.

use super::*;

/// A stage waits at most this many holds for `min_requests`, then fails as inconclusive.
const MAX_HOLDS: u32 = 3;

/// What a stage's look saw, for the operator's view: answers and 5xx since the stage began,
/// the time held so far (paused time does not count), and whether the clock is paused.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Look {
    pub requests: u64,
    pub errors: u64,
    pub held: Duration,
    pub paused: bool,
}

/// Runs the stage at `percent`, calling `tick` after every look; returns the line for the
/// journal, or why the canary fails. `hand` aborts it, pauses its clock, or passes it now.
pub(crate) async fn stage(
    ops: &Outside,
    plan: &ActionPlan,
    percent: u8,
    progress: &mut Progress,
    hand: &Hand,
    mut tick: impl FnMut(Look),
) -> Result<String, String> {
    let t = plan.timing;
    let (env, backend) = (&plan.env, &plan.backend);
    // Weights before the new servers come in: they never take more than their share.
    bounded(t.step_timeout, "weight", ops.set_slot_share(env, backend, &plan.to_slot, percent)).await?;
    bounded(t.step_timeout, "weight", ops.set_slot_share(env, backend, &plan.from_slot, 100 - percent)).await?;
    progress.switched = true;
    ready_and_up(ops, plan, &plan.to_slot, t).await?;
    let mut judge = Judge::start(ops, plan).await?;
    // A `>` pressed before this stage began was meant for an earlier one.
    hand.take_next();
    let (mut held, mut last) = (Duration::ZERO, tokio::time::Instant::now());
    loop {
        tokio::select! {
            _ = hand.abort.cancelled() => return Err(format!("aborted at {percent} %: all weight back on {}", plan.from_slot)),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = hand.nudged() => {}
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
        let now = tokio::time::Instant::now();
        let paused = hand.is_paused();
        if !paused {
            held += now - last;
        }
        last = now;
        tick(Look { requests: seen.requests, errors: seen.errors, held, paused });
        let (share, errors, requests) = (seen.share(), seen.errors, seen.requests);
        if hand.take_next() {
            return Ok(format!("{share:.1} % 5xx ({errors} of {requests}); passed by hand after {}", secs(held)));
        }
        if held >= t.canary_hold && seen.requests >= t.min_requests {
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
