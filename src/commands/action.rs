//! `opsdeck promote`, `rollback`, `canary`, `rotate` and `reapply`: plan from the live state,
//! confirm (or `--yes`), run on the executor with progress on stderr (with `--json`, the outcome on
//! stdout: [`super::action_json`]). Exit code 0 only when the action ended as asked.

use super::action_json::{print_outcome, Ended};
pub use opsdeck_core::actions::gate::{gate, ran_healthy_in};
pub use opsdeck_core::actions::setup::executor;
use opsdeck_core::actions::{plan, ActionKind, Target};
use opsdeck_core::config::{ApprovalPolicy, Config};
use opsdeck_core::store::{ActionOutcome, Holder, Store};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// Exit code when the action was refused (lock held, gate closed, not confirmed).
pub const EXIT_REFUSED: u8 = 3;

/// Settles unfinished actions of dead opsdeck processes, printing what was done on stderr.
/// Without a usable store or outside world there is nothing to settle: it says why and goes on.
pub async fn recover_unfinished(config: &Arc<Config>, user: &str) {
    if !config.state_path.exists() {
        return;
    }
    match executor(config, user).await {
        Ok((_, lines, _)) => {
            let log = opsdeck_core::log::LogFile::for_config(config, user);
            for l in lines {
                if let Some(refused) = log.line(&format!("recovery: {l}")) {
                    err!("opsdeck: {refused}");
                }
                err!("opsdeck: {l}");
            }
        }
        Err(e) => err!("opsdeck: cannot check for unfinished actions: {e}"),
    }
}

/// What some actions take beyond the common options: a canary's own ladder and hold, and the
/// outcome as JSON on stdout (see [`super::action_json`]).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub stages: Option<Vec<u8>>,
    pub hold: Option<std::time::Duration>,
    pub json: bool,
}

/// Runs `target`, or, where its environment requires approval, files it as a request (`reason`
/// is then required) and prints the request's id.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    config: Arc<Config>,
    user: String,
    target: Target,
    yes: bool,
    watch: Option<std::time::Duration>,
    reason: Option<String>,
    silence: bool,
    extra: Extra,
) -> ExitCode {
    let reason = reason.unwrap_or_default();
    let (kind, json) = (target.kind, extra.json);
    if silence && config.alertmanager.is_none() {
        return refused(json, kind, "--silence: the config names no Alertmanager ([alertmanager] url)");
    }
    let (exec, recovered, mut events) = match executor(&config, &user).await {
        Ok(x) => x,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = opsdeck_core::log::LogFile::for_config(&config, &user);
    for line in recovered {
        if let Some(refused) = log.line(&format!("recovery: {line}")) {
            err!("opsdeck: {refused}");
        }
        err!("opsdeck: {line}");
    }
    // Warm slots whose time is up are stopped first (kept for a cold rollback).
    for line in exec.sweep_warm().await {
        if let Some(refused) = log.line(&line) {
            err!("opsdeck: {refused}");
        }
        err!("opsdeck: {line}");
    }
    let world = opsdeck_core::watch::gather(config.clone(), user.clone()).await;
    let timing = config.actions.timing(watch);
    let planned = plan(&world, &target, timing).and_then(|p| p.with_canary(extra.stages.as_deref(), extra.hold));
    let plan = match planned {
        Ok(p) if silence => p.with_silence(),
        Ok(p) => p,
        Err(e) => return refused(json, kind, &e.to_string()),
    };
    if let Some(reason) = gate(&config, &exec, &world, &plan) {
        return refused(json, kind, &reason);
    }
    let needs_request = opsdeck_core::approvals::needs_approval(&config, &plan);
    if needs_request && opsdeck_core::approvals::policy::reason(&reason).is_err() {
        let why = format!("{} requires approval: say why with --reason TEXT (it goes into the request)", plan.env);
        return refused(json, kind, &why);
    }
    if plan.break_glass {
        err!(
            "opsdeck: break-glass rollback: back to {} (the release {} ran before) without a second person; \
             the audit trail records it and the team is told",
            plan.to.tag,
            plan.env
        );
    }
    if needs_request {
        // Filing changes nothing in the environment, so it asks no confirmation: the approver's does.
        return super::approvals::request(&exec, &config, &user, &plan, &reason, json);
    }
    let approval = config.environment(&plan.env).is_some_and(|e| e.approval == ApprovalPolicy::Required);
    if !yes && !confirm(&plan, approval) {
        return refused(json, kind, "not confirmed; nothing done");
    }
    let printer = tokio::spawn(async move {
        let mut lines = opsdeck_core::actions::events::Lines::default();
        while let Some(event) = events.recv().await {
            let Some(line) = lines.of(&event) else { continue };
            if let Some(refused) = log.line(&line) {
                err!("opsdeck: {refused}");
            }
            err!("{line}");
        }
    });
    let cancel = CancellationToken::new();
    spawn_cancel_on_signals(&cancel);
    let report = exec.run(plan, cancel).await;
    drop(exec);
    let _ = printer.await;
    print_outcome(json, report.id, kind, Ended::Ran(report.outcome), &report.reason);
    match report.outcome {
        Some(ActionOutcome::Succeeded) => ExitCode::SUCCESS,
        None => ExitCode::from(EXIT_REFUSED),
        Some(_) => ExitCode::FAILURE,
    }
}

/// Refused before anything ran: the reason on stderr, with `json` the outcome on stdout; exit 3.
fn refused(json: bool, kind: ActionKind, why: &str) -> ExitCode {
    err!("opsdeck: {why}");
    print_outcome(json, None, kind, Ended::Refused, why);
    ExitCode::from(EXIT_REFUSED)
}

/// Asks on the terminal: y/N, or the environment's name where approval is required.
fn confirm(plan: &opsdeck_core::actions::ActionPlan, approval: bool) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        err!("opsdeck: {}\nopsdeck: not a terminal: pass --yes to run it", plan.summary());
        return false;
    }
    err!("{}", plan.summary());
    if plan.silences() {
        err!("and silence {}'s alerts in {} while it runs (expired when it ends)", plan.service, plan.env);
    }
    if approval {
        eprint!("{} requires approval: type its name to confirm: ", plan.env);
    } else {
        eprint!("proceed? [y/N] ");
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    let answer = line.trim();
    if approval {
        answer == plan.env
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
}

/// SIGHUP (a dropped SSH session), SIGINT and SIGTERM ask the action to settle: undo before the
/// switch, complete after it. The process exits once it has.
pub(crate) fn spawn_cancel_on_signals(cancel: &CancellationToken) {
    let cancel = cancel.clone();
    tokio::spawn(async move {
        let (Ok(mut hup), Ok(mut int), Ok(mut term)) =
            (signal(SignalKind::hangup()), signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
        else {
            return;
        };
        tokio::select! {
            _ = hup.recv() => {}
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        err!("opsdeck: signal received: settling the action before exiting");
        cancel.cancel();
    });
}

/// `opsdeck unlock`: breaks a stale lock (or any lock with `force`), audited in the same
/// transaction.
pub fn unlock(config: &Config, user: &str, service: &str, env: &str, force: bool) -> ExitCode {
    let mut store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = if force {
        opsdeck_core::store::BreakMode::Force
    } else {
        opsdeck_core::store::BreakMode::IfStale { heartbeat_timeout: opsdeck_core::actions::recover::HEARTBEAT_TIMEOUT }
    };
    let reason = if force { "forced from the command line" } else { "holder gone" };
    match store.break_lock(service, env, &Holder::this_process(user), reason, mode) {
        Ok(lock) => {
            err!(
                "opsdeck: broke the lock on {service}/{env} held by {} since {} ({})",
                lock.holder,
                lock.since,
                lock.what
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            err!("opsdeck: {e}");
            ExitCode::from(EXIT_REFUSED)
        }
    }
}
