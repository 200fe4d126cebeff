//! The moves of a blue-green switch, each bounded: wait until healthy, switch (never a moment
//! with no server taking traffic), drain, watch, and the undo and switch back after a failure.

use super::*;

/// Runs `fut` with a deadline, naming what timed out.
pub(crate) async fn bounded<T>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("{what}: no answer within {}", humantime::format_duration(limit))),
    }
}

/// Polls the slot's health until it passes, or the limit (or a cancel) ends the wait.
pub(crate) async fn wait_healthy(
    ops: &Outside,
    spec: &SlotSpec,
    limit: Duration,
    cancel: Option<&CancellationToken>,
) -> Result<String, String> {
    let start = tokio::time::Instant::now();
    let mut last = String::from("no answer yet");
    loop {
        let health = ops.health(spec).await;
        if health.healthy {
            return Ok(format!("healthy after {:.1}s", start.elapsed().as_secs_f64()));
        }
        last = if health.reason.is_empty() { last } else { health.reason };
        if start.elapsed() >= limit {
            return Err(format!("not healthy within {}: {last}", humantime::format_duration(limit)));
        }
        if cancel.is_some_and(CancellationToken::is_cancelled) {
            return Err(format!("cancelled while waiting for health ({last})"));
        }
        tokio::time::sleep(HEALTH_POLL).await;
    }
}

/// Every `to` server ready (one per host), wait until HAProxy sees all of them up, then every
/// `from` server drain: at no moment is there no server taking traffic, and no old server drains
/// before every new one takes traffic. In a canary the weights go back to the configured ones:
/// `to` takes all it should, and `from` has its own back for whatever comes next.
pub(crate) async fn switch(
    ops: &Outside,
    plan: &ActionPlan,
    to: &str,
    from: &str,
    t: crate::actions::plan::Timing,
) -> Result<String, String> {
    let canary = plan.kind == crate::actions::ActionKind::Canary;
    if canary {
        bounded(t.step_timeout, "weight", ops.set_slot_share(&plan.env, &plan.backend, to, 100)).await?;
    }
    ready_and_up(ops, plan, to, t).await?;
    bounded(t.step_timeout, "drain", ops.set_slot(&plan.env, &plan.backend, from, AdminState::Drain)).await?;
    if canary {
        bounded(t.step_timeout, "weight", ops.set_slot_share(&plan.env, &plan.backend, from, 100)).await?;
    }
    Ok(format!("{to} ready, {from} draining"))
}

/// Every server of `slot` ready, then waits until HAProxy sees all of them up (bounded by
/// `health_wait`).
pub(crate) async fn ready_and_up(
    ops: &Outside,
    plan: &ActionPlan,
    slot: &str,
    t: crate::actions::plan::Timing,
) -> Result<(), String> {
    bounded(t.step_timeout, "ready", ops.set_slot(&plan.env, &plan.backend, slot, AdminState::Ready)).await?;
    let start = tokio::time::Instant::now();
    let mut told = false;
    loop {
        let traffic = bounded(t.step_timeout, "show stat", ops.slot_traffic(&plan.env, &plan.backend, slot)).await?;
        if traffic.all_up() {
            return Ok(());
        }
        // The slot was seen healthy just before (or is the old one, healthy a moment ago): tell
        // HAProxy so once, rather than wait for its next check. Also when HAProxy says `UP 1/2`
        // (a server just out of maintenance): one failed check would take it down, and the old
        // slot drains next.
        if !told {
            told = true;
            bounded(t.step_timeout, "health up", ops.mark_up(&plan.env, &plan.backend, &traffic.not_up())).await?;
            continue;
        }
        if start.elapsed() >= t.health_wait {
            return Err(format!(
                "HAProxy did not see {} up within {}",
                traffic.not_up().join(", "),
                humantime::format_duration(t.health_wait)
            ));
        }
        tokio::time::sleep(HEALTH_POLL).await;
    }
}

/// Waits for the sessions of every server of slot `server` to reach zero; past the limit, shuts the
/// rest down and says how many.
pub(crate) async fn drain(ops: &Outside, plan: &ActionPlan, server: &str, limit: Duration) -> Result<String, String> {
    drain_watched(ops, plan, server, limit, None, |_, _| {}).await
}

/// [`drain`], telling `report` the sessions left at each look, and giving up (an error) when
/// `abort` fires.
pub(crate) async fn drain_watched(
    ops: &Outside,
    plan: &ActionPlan,
    server: &str,
    limit: Duration,
    abort: Option<&CancellationToken>,
    mut report: impl FnMut(u64, Duration),
) -> Result<String, String> {
    let start = tokio::time::Instant::now();
    let step = plan.timing.step_timeout;
    loop {
        let c = bounded(step, "show stat", ops.slot_traffic(&plan.env, &plan.backend, server)).await?.total();
        report(c.current_sessions, start.elapsed());
        if c.current_sessions == 0 {
            return Ok(format!("drained in {:.1}s", start.elapsed().as_secs_f64()));
        }
        if start.elapsed() >= limit {
            bounded(step, "shutdown sessions", ops.shutdown_slot(&plan.env, &plan.backend, server)).await?;
            return Ok(format!(
                "{} sessions still open after {}: shut down",
                c.current_sessions,
                humantime::format_duration(limit)
            ));
        }
        match abort {
            Some(abort) => tokio::select! {
                _ = abort.cancelled() => {
                    return Err(format!("aborted with {} sessions left on {server}", c.current_sessions))
                }
                _ = tokio::time::sleep(POLL) => {}
            },
            None => tokio::time::sleep(POLL).await,
        }
    }
}

/// Watches the new slot: health every second and HAProxy's 5xx share. Cancel ends it early
/// (the switch is complete; the operator left).
pub(crate) async fn watch(ops: &Outside, plan: &ActionPlan, cancel: &CancellationToken) -> Result<String, String> {
    let mut judge = Judge::start(ops, plan).await?;
    let start = tokio::time::Instant::now();
    while start.elapsed() < plan.timing.watch {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(format!("cut short after {:.0}s", start.elapsed().as_secs_f64())),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        match judge.look().await {
            Ok(_) => {}
            Err(Failed::Unhealthy { host, reason }) => {
                return Err(format!("{host}: unhealthy {WATCH_FAILURES} times in a row: {reason}"))
            }
            Err(Failed::OverGate(seen)) => {
                return Err(format!(
                    "{} of {} requests answered 5xx ({:.1} %, over the {} % gate)",
                    seen.errors,
                    seen.requests,
                    seen.share(),
                    f64::from(plan.timing.max_error_bp) / 100.0
                ))
            }
            Err(Failed::Outside(e)) => return Err(e),
        }
    }
    Ok("stayed healthy".into())
}

/// Undoes a failed action. Before the switch: the new slot is stopped and removed and the idle
/// slot gets back what it held (traffic never moved). After it: the old slot is started if it was
/// stopped, made healthy, given traffic back, and the new slot is drained, retired and stopped.
pub(crate) async fn undo(ops: &Outside, plan: &ActionPlan, progress: &Progress) -> Result<ActionOutcome, String> {
    let t = plan.timing;
    if !progress.switched {
        for host in &progress.prepared {
            let Some(new) = plan.new_slot(host) else { continue };
            let name = new.container_name();
            bounded(t.stop_grace + t.step_timeout, "stop new slot", ops.stop(host, &name, t.stop_grace)).await?;
            if !plan.reuse_idle {
                bounded(t.step_timeout, "remove new slot", ops.remove(host, &name)).await?;
                if let Some(Some(before)) =
                    plan.idle_before.iter().find(|s| s.as_ref().is_some_and(|s| &s.host == host))
                {
                    bounded(t.step_timeout, "restore idle slot", ops.recreate(before)).await?;
                }
            }
        }
        return Ok(ActionOutcome::Failed);
    }
    switch_back(ops, plan).await?;
    Ok(ActionOutcome::RolledBack)
}

/// Puts traffic back on the old slot (starting it again if it was stopped), then retires and
/// stops the new one.
pub(crate) async fn switch_back(ops: &Outside, plan: &ActionPlan) -> Result<(), String> {
    let t = plan.timing;
    for old in &plan.old_slots {
        let name = old.container_name();
        if !bounded(t.step_timeout, "inspect old slot", ops.is_running(&old.host, &name)).await? {
            bounded(t.step_timeout, "start old slot", ops.start(&old.host, &name)).await?;
        }
        wait_healthy(ops, old, t.health_wait, None).await?;
    }
    switch(ops, plan, &plan.from_slot, &plan.to_slot, t).await?;
    drain(ops, plan, &plan.to_slot, t.drain_wait).await?;
    bounded(t.step_timeout, "maint", ops.set_slot(&plan.env, &plan.backend, &plan.to_slot, AdminState::Maint)).await?;
    for new in &plan.new_slots {
        bounded(
            t.stop_grace + t.step_timeout,
            "stop new slot",
            ops.stop(&new.host, &new.container_name(), t.stop_grace),
        )
        .await?;
    }
    Ok(())
}
