//! `opsdeck` steps on the action layer: `rollback` and `promote` are planned from the live state,
//! gated and run by the same executor as the keys (locks, journal, audit), or filed as a request
//! where the environment requires approval; `silence` goes to Alertmanager; `health` probes the
//! service's slots; `restart` restarts one slot's containers under the service's lock.
//!
//! A step is [`prepare`]d first (resolving `$label`s, planning, gating) so that its confirmation
//! shows exactly what will run, then [`execute`]d.

use super::{LineSink, StepContext, StepOutcome, StepReport};
use crate::actions::{ActionKind, ActionPlan, Target};
use crate::config::{ApprovalPolicy, Config};
use crate::runbook::OpsdeckAction;
use crate::store::{HeartbeatKeeper, Holder, LockOutcome, Store};
use opsdeck_backends::types::{HealthVerdict, Matcher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An `opsdeck` step, worked out and ready to confirm.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// Rollback or promote; `request` when the environment requires approval (a request is filed
    /// instead of running).
    Action {
        plan: Box<ActionPlan>,
        request: bool,
    },
    Health {
        service: String,
        env: String,
    },
    Silence {
        alert: String,
        matchers: Vec<Matcher>,
        duration: Duration,
    },
    Restart {
        service: String,
        env: String,
        slot: String,
    },
}

impl Prepared {
    /// Exactly what will happen, for the confirmation.
    pub fn summary(&self) -> String {
        match self {
            Prepared::Action { plan, request: false } => plan.summary(),
            Prepared::Action { plan, request: true } => {
                format!("{}\n{} requires approval: this files a request for an approver", plan.summary(), plan.env)
            }
            Prepared::Health { service, env } => format!("probe /health of every {service} slot in {env}"),
            Prepared::Silence { matchers, duration, .. } => {
                let m: Vec<String> = matchers.iter().map(|m| format!("{}=\"{}\"", m.name, m.value)).collect();
                format!("silence {{{}}} for {} in Alertmanager", m.join(", "), humantime::format_duration(*duration))
            }
            Prepared::Restart { service, env, slot } => {
                format!(
                    "restart the {slot} slot of {service} in {env} (stop, then start; under the {service}/{env} lock)"
                )
            }
        }
    }

    /// Where confirming needs the environment's name typed (as the keys ask on an environment
    /// that requires approval), that name.
    pub fn typed_confirmation(&self, config: &Config) -> Option<String> {
        let env = match self {
            Prepared::Action { request: true, .. } | Prepared::Health { .. } | Prepared::Silence { .. } => return None,
            Prepared::Action { plan, .. } => &plan.env,
            Prepared::Restart { env, .. } => env,
        };
        config.environment(env).filter(|e| e.approval == ApprovalPolicy::Required).map(|e| e.name.clone())
    }
}

/// Resolves the action's `$label`s and works out what it will do.
pub async fn prepare(ctx: &StepContext, action: &OpsdeckAction) -> Result<Prepared, String> {
    let action = action.resolve(&ctx.labels)?;
    let config = &ctx.config;
    let known = |service: &str, env: &str| -> Result<(), String> {
        if config.service(service).is_none() {
            return Err(format!("no service `{}` in the config", crate::text::clean(service)));
        }
        if config.environment(env).is_none() {
            return Err(format!("no environment `{}` in the config", crate::text::clean(env)));
        }
        Ok(())
    };
    match action {
        OpsdeckAction::Rollback { service, env, tag } => {
            known(&service, &env)?;
            plan_action(ctx, Target { kind: ActionKind::Rollback, service, env, image: tag, force: false }).await
        }
        OpsdeckAction::Promote { service, env, image } => {
            known(&service, &env)?;
            plan_action(ctx, Target { kind: ActionKind::Promote, service, env, image, force: false }).await
        }
        OpsdeckAction::Canary { service, env, image } => {
            known(&service, &env)?;
            plan_action(ctx, Target { kind: ActionKind::Canary, service, env, image, force: false }).await
        }
        OpsdeckAction::Health { service, env } => {
            known(&service, &env)?;
            Ok(Prepared::Health { service, env })
        }
        OpsdeckAction::Restart { service, env, slot } => {
            known(&service, &env)?;
            Ok(Prepared::Restart { service, env, slot })
        }
        OpsdeckAction::Silence { alert, duration } => {
            if config.alertmanager.is_none() {
                return Err("the config names no Alertmanager to silence in".into());
            }
            let eq = |name: &str, value: &str| Matcher {
                name: name.into(),
                value: value.into(),
                is_regex: false,
                is_equal: true,
            };
            let mut matchers = vec![eq("alertname", &alert)];
            // From the alert itself: silence this alert's service and environment, not every one.
            if ctx.labels.get("alertname") == Some(&alert) {
                for key in ["service", "env"] {
                    if let Some(v) = ctx.labels.get(key) {
                        matchers.push(eq(key, v));
                    }
                }
            }
            Ok(Prepared::Silence { alert, matchers, duration })
        }
    }
}

async fn plan_action(ctx: &StepContext, target: Target) -> Result<Prepared, String> {
    let config = ctx.config.clone();
    let (exec, _recovered, _events) = crate::actions::setup::executor(&config, &ctx.user).await?;
    let world = crate::watch::gather(config.clone(), ctx.user.clone()).await;
    let plan = crate::actions::plan(&world, &target, config.actions.timing(None))?;
    let request = crate::approvals::needs_approval(&config, &plan);
    if let Some(reason) = crate::actions::gate::gate(&config, &exec, &world, &plan) {
        return Err(reason);
    }
    Ok(Prepared::Action { plan: Box::new(plan), request })
}

/// Carries out a prepared (and confirmed) step.
pub async fn execute(ctx: &StepContext, prepared: &Prepared) -> StepReport {
    let started = Instant::now();
    let mut sink = LineSink::new(ctx);
    let (outcome, summary) = match prepared {
        Prepared::Action { plan, request } => run_action(ctx, plan, *request, &mut sink).await,
        Prepared::Health { service, env } => health(ctx, service, env, &mut sink).await,
        Prepared::Silence { alert, matchers, duration } => silence(ctx, alert, matchers, *duration, &mut sink).await,
        Prepared::Restart { service, env, slot } => restart(ctx, service, env, slot, &mut sink).await,
    };
    StepReport { outcome, exit_code: None, duration: started.elapsed(), summary, output: sink.tail }
}

async fn run_action(
    ctx: &StepContext,
    plan: &ActionPlan,
    request: bool,
    sink: &mut LineSink<'_>,
) -> (StepOutcome, String) {
    let (exec, recovered, mut events) = match crate::actions::setup::executor(&ctx.config, &ctx.user).await {
        Ok(x) => x,
        Err(e) => return (StepOutcome::Failed, e),
    };
    for line in recovered {
        sink.line(&format!("recovery: {line}"));
    }
    if request {
        let why = format!("runbook {} step {}", ctx.runbook, ctx.step + 1);
        let filed = match exec.store.lock() {
            Ok(mut store) => crate::approvals::file(&mut store, &ctx.config, plan, &ctx.user, &why, chrono::Utc::now()),
            Err(_) => Err("state store unavailable (a thread panicked)".into()),
        };
        return match filed {
            Ok(f) => {
                let line = format!("request {} pending approval by {}", f.request.id, f.deciders.join(", "));
                sink.line(&line);
                (StepOutcome::Requested, line)
            }
            Err(e) => {
                let report = exec.refuse(plan, e);
                sink.line(&report.reason);
                (StepOutcome::Failed, report.reason)
            }
        };
    }
    let mut lines = crate::actions::events::Lines::default();
    let report = {
        let run = exec.run(plan.clone(), ctx.cancel.clone());
        tokio::pin!(run);
        loop {
            tokio::select! {
                Some(event) = events.recv() => if let Some(line) = lines.of(&event) { sink.line(&line) },
                report = &mut run => break report,
            }
        }
    };
    drop(exec);
    while let Some(event) = events.recv().await {
        if let Some(line) = lines.of(&event) {
            sink.line(&line);
        }
    }
    let outcome = if report.succeeded() { StepOutcome::Succeeded } else { StepOutcome::Failed };
    let summary = match (report.id, report.outcome) {
        (Some(id), Some(o)) => format!("action #{id} {}", crate::actions::events::outcome_word(o)),
        _ => format!("refused: {}", report.reason),
    };
    (outcome, summary)
}

async fn health(ctx: &StepContext, service: &str, env: &str, sink: &mut LineSink<'_>) -> (StepOutcome, String) {
    let world = crate::watch::gather(ctx.config.clone(), ctx.user.clone()).await;
    let live = world.live_slot(env, service);
    let mut verdicts = Vec::new();
    for slot in ["blue", "green"] {
        let role = if live.as_deref() == Some(slot) { "live" } else { "idle" };
        for (host, container) in world.slot_tasks(env, service, slot) {
            let id = world.slot_id(host, service, slot, container);
            // A task is named with its host: there are several per host.
            let host_name =
                if id.replica.is_empty() { host.host.clone() } else { format!("{} ({})", host.host, id.replica) };
            let Some(c) = container else {
                sink.line(&format!("{slot} ({role}) on {host_name}: no container"));
                continue;
            };
            let line = match world.health.get(&id) {
                Some(entry) => {
                    let r = &entry.report;
                    let verdict = match r.verdict {
                        HealthVerdict::Healthy => "healthy",
                        HealthVerdict::Unhealthy => "UNHEALTHY",
                        HealthVerdict::Unreachable => "UNREACHABLE",
                    };
                    if role == "live" {
                        verdicts.push(verdict);
                    }
                    let status = r.http_status.map(|s| format!(" HTTP {s}")).unwrap_or_default();
                    let why = if r.reason.is_empty() { String::new() } else { format!(": {}", r.reason) };
                    format!(
                        "{slot} ({role}) on {host_name}: {verdict}{status} in {}ms{why} [{}]",
                        r.latency.as_millis(),
                        c.image
                    )
                }
                None => format!("{slot} ({role}) on {host_name}: {} (not probed) [{}]", c.state, c.image),
            };
            sink.line(&line);
        }
    }
    match live {
        None => (StepOutcome::Failed, format!("{service} in {env}: no live slot found")),
        Some(slot) if verdicts.is_empty() => (StepOutcome::Failed, format!("live slot {slot}: no health answer")),
        Some(slot) => {
            let all_ok = verdicts.iter().all(|v| *v == "healthy");
            (StepOutcome::Succeeded, format!("live slot {slot}: {}", if all_ok { "healthy" } else { "NOT healthy" }))
        }
    }
}

async fn silence(
    ctx: &StepContext,
    alert: &str,
    matchers: &[Matcher],
    duration: Duration,
    sink: &mut LineSink<'_>,
) -> (StepOutcome, String) {
    let Some(am) = &ctx.config.alertmanager else {
        return (StepOutcome::Failed, "the config names no Alertmanager".into());
    };
    let client =
        match opsdeck_backends::alertmanager::AlertmanagerClient::new(&am.url, ctx.config.timeouts.alertmanager) {
            Ok(c) => c,
            Err(e) => return (StepOutcome::Failed, e.to_string()),
        };
    let now = chrono::Utc::now();
    // Parsing bounds it already; bounded again so no duration can overflow the clock here.
    let bounded = duration.min(crate::actions::silences::MAX_SILENCE);
    let ends = now + chrono::Duration::from_std(bounded).unwrap_or(chrono::Duration::hours(1));
    let silence = opsdeck_backends::alertmanager::NewSilence {
        matchers: matchers.to_vec(),
        starts_at: now,
        ends_at: ends,
        created_by: ctx.user.clone(),
        comment: format!("opsdeck runbook {} step {}", ctx.runbook, ctx.step + 1),
    };
    match client.create_silence(&silence).await {
        Ok(id) => {
            let line = format!("silence {id} on {alert} until {}", ends.format("%Y-%m-%d %H:%M UTC"));
            sink.line(&line);
            (StepOutcome::Succeeded, line)
        }
        Err(e) => {
            sink.line(&e.to_string());
            (StepOutcome::Failed, e.to_string())
        }
    }
}

async fn restart(
    ctx: &StepContext,
    service: &str,
    env: &str,
    slot: &str,
    sink: &mut LineSink<'_>,
) -> (StepOutcome, String) {
    let path = ctx.config.state_path.clone();
    let holder = Holder::this_process(&ctx.user);
    let what = format!("restart {slot} (runbook {})", ctx.runbook);
    let (svc, e, h) = (service.to_string(), env.to_string(), holder.clone());
    let taken = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        match store.try_acquire(&svc, &e, &h, &what).map_err(|e| e.to_string())? {
            LockOutcome::Acquired(id) => Ok((store, id)),
            LockOutcome::Held(info) => {
                Err(format!("{svc}/{e} is locked by {} since {} ({})", info.holder, info.since, info.what))
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err("the store task panicked".into()));
    let (store, lock) = match taken {
        Ok((store, lock)) => (Arc::new(Mutex::new(store)), lock),
        Err(e) => {
            sink.line(&e);
            return (StepOutcome::Failed, e);
        }
    };
    // Stopping a slot with a long grace can outlast the stale bound: the lock stays fresh.
    let keeper = HeartbeatKeeper::start(store.clone(), vec![lock], crate::actions::executor::HEARTBEAT_EVERY);
    let result = restart_containers(ctx, service, env, slot, sink).await;
    let _ = tokio::task::spawn_blocking(move || {
        keeper.stop();
        store.lock().map(|mut s| s.release(lock)).ok()
    })
    .await;
    match result {
        Ok(n) => (StepOutcome::Succeeded, format!("restarted {n} container(s) of {service} {slot} in {env}")),
        Err(e) => {
            sink.line(&e);
            (StepOutcome::Failed, e)
        }
    }
}

async fn restart_containers(
    ctx: &StepContext,
    service: &str,
    env: &str,
    slot: &str,
    sink: &mut LineSink<'_>,
) -> Result<usize, String> {
    let world = crate::watch::gather(ctx.config.clone(), ctx.user.clone()).await;
    let Some(env_config) = ctx.config.environment(env) else {
        return Err(format!("no environment named {env} in the config"));
    };
    let platform = crate::outside::platform_for(&ctx.config, env_config);
    let grace = ctx.config.actions.stop_grace;
    let mut n = 0;
    for (host, container) in world.slot_containers(env, service, slot) {
        let Some(c) = container else { continue };
        if !env_config.hosts.iter().any(|h| h.name == host.host) {
            continue;
        }
        sink.line(&format!("{}: stopping {}", host.host, c.name));
        platform.stop(&host.host, &c.name, grace).await?;
        sink.line(&format!("{}: starting {}", host.host, c.name));
        platform.start(&host.host, &c.name).await?;
        n += 1;
    }
    if n == 0 {
        return Err(format!("no {slot} container of {service} in {env}"));
    }
    Ok(n)
}
