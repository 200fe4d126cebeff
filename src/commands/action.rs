//! `opsdeck promote` and `opsdeck rollback`: plan from the live state, confirm (or `--yes`), run
//! on the executor with progress on stderr. Exit code 0 only when the action ended as asked.

use crate::actions::real_ops::RealOps;
use crate::actions::recover::recover;
use crate::actions::{plan, Executor, Target};
use crate::config::{ApprovalPolicy, Config};
use crate::store::{ActionOutcome, Holder, Store};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// Exit code when the action was refused (lock held, gate closed, not confirmed).
pub const EXIT_REFUSED: u8 = 3;

/// An executor for this process, with the real outside world; unfinished actions of dead
/// processes are settled first.
pub async fn executor(
    config: &Arc<Config>,
    user: &str,
) -> Result<(Executor<RealOps>, Vec<String>, tokio::sync::mpsc::UnboundedReceiver<crate::actions::ActionEvent>), String>
{
    let store = Store::open(&config.state_path).map_err(|e| e.to_string())?;
    let ops = RealOps::new(config.clone())?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let exec = Executor {
        ops: Arc::new(ops),
        store: Arc::new(Mutex::new(store)),
        events: tx,
        holder: Holder::this_process(user),
    };
    let recovered = recover(&exec, config).await;
    Ok((exec, recovered, rx))
}

/// Settles unfinished actions of dead opsdeck processes, printing what was done on stderr.
/// Without a usable store or outside world there is nothing to settle: it says why and goes on.
pub async fn recover_unfinished(config: &Arc<Config>, user: &str) {
    if !config.state_path.exists() {
        return;
    }
    match executor(config, user).await {
        Ok((_, lines, _)) => {
            let log = crate::log::LogFile::for_config(config, user);
            for l in lines {
                log.line(&format!("recovery: {l}"));
                eprintln!("opsdeck: {l}");
            }
        }
        Err(e) => eprintln!("opsdeck: cannot check for unfinished actions: {e}"),
    }
}

/// The promotion gate with the store's memory: open when the digest runs healthy in the
/// environment before this one now, or was promoted there successfully before. Why not, else.
pub fn gate<O: crate::actions::SlotOps>(
    config: &Config,
    exec: &Executor<O>,
    model: &crate::model::Model,
    plan: &crate::actions::ActionPlan,
) -> Option<String> {
    let prev = config
        .environments
        .iter()
        .position(|e| e.name == plan.env)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| config.environments.get(i))
        .map(|e| e.name.clone());
    let remembered = match (&prev, exec.store.lock()) {
        (Some(prev), Ok(mut store)) => ran_healthy_in(&mut store, prev, &plan.to.digest),
        _ => false,
    };
    crate::actions::plan::gate(model, plan, remembered)
}

/// Whether `digest` was promoted into `env` by an action that succeeded (the gate's memory, for
/// an environment that has since moved on).
pub fn ran_healthy_in(store: &mut Store, env: &str, digest: &str) -> bool {
    store
        .recent_actions(500)
        .map(|entries| {
            entries.iter().any(|e| {
                e.action.env == env
                    && e.action.to.digest == digest
                    && e.finish.as_ref().is_some_and(|f| f.outcome == ActionOutcome::Succeeded)
            })
        })
        .unwrap_or(false)
}

/// Runs `target`, or, where its environment requires approval, files it as a request (`reason`
/// is then required) and prints the request's id.
pub async fn run(
    config: Arc<Config>,
    user: String,
    target: Target,
    yes: bool,
    watch: Option<std::time::Duration>,
    reason: Option<String>,
    silence: bool,
) -> ExitCode {
    let reason = reason.unwrap_or_default();
    if silence && config.alertmanager.is_none() {
        eprintln!("opsdeck: --silence: the config names no Alertmanager ([alertmanager] url)");
        return ExitCode::from(EXIT_REFUSED);
    }
    let needs_request = crate::approvals::requires_approval(&config, target.kind, &target.env);
    if needs_request && crate::approvals::policy::reason(&reason).is_err() {
        eprintln!("opsdeck: {} requires approval: say why with --reason TEXT (it goes into the request)", target.env);
        return ExitCode::from(EXIT_REFUSED);
    }
    let (exec, recovered, mut events) = match executor(&config, &user).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = crate::log::LogFile::for_config(&config, &user);
    for line in recovered {
        log.line(&format!("recovery: {line}"));
        eprintln!("opsdeck: {line}");
    }
    let model = crate::collect::gather_once(config.clone(), user.clone()).await;
    let timing = config.actions.timing(watch);
    let plan = match plan(&model, &target, timing) {
        Ok(p) if silence => p.with_silence(),
        Ok(p) => p,
        Err(e) => {
            eprintln!("opsdeck: {e}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    if let Some(reason) = gate(&config, &exec, &model, &plan) {
        eprintln!("opsdeck: {reason}");
        return ExitCode::from(EXIT_REFUSED);
    }
    if needs_request {
        // Filing changes nothing in the environment, so it asks no confirmation: the approver's does.
        return super::approvals::request(&exec, &config, &user, &plan, &reason);
    }
    let approval = config.environment(&plan.env).is_some_and(|e| e.approval == ApprovalPolicy::Required);
    if !yes && !confirm(&plan, approval) {
        eprintln!("opsdeck: not confirmed; nothing done");
        return ExitCode::from(EXIT_REFUSED);
    }
    let printer = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            log.line(&event.line());
            eprintln!("{}", event.line());
        }
    });
    let cancel = CancellationToken::new();
    spawn_cancel_on_signals(&cancel);
    let report = exec.run(plan, cancel).await;
    drop(exec);
    let _ = printer.await;
    match report.outcome {
        Some(ActionOutcome::Succeeded) => ExitCode::SUCCESS,
        None => ExitCode::from(EXIT_REFUSED),
        Some(_) => ExitCode::FAILURE,
    }
}

/// Asks on the terminal: y/N, or the environment's name where approval is required.
fn confirm(plan: &crate::actions::ActionPlan, approval: bool) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        eprintln!("opsdeck: {}\nopsdeck: not a terminal: pass --yes to run it", plan.summary());
        return false;
    }
    eprintln!("{}", plan.summary());
    if plan.silences() {
        eprintln!("and silence {}'s alerts in {} while it runs (expired when it ends)", plan.service, plan.env);
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
        eprintln!("opsdeck: signal received: settling the action before exiting");
        cancel.cancel();
    });
}

/// `opsdeck unlock`: breaks a stale lock (or any lock with `force`), audited in the same
/// transaction.
pub fn unlock(config: &Config, user: &str, service: &str, env: &str, force: bool) -> ExitCode {
    let mut store = match Store::open(&config.state_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = if force {
        crate::store::BreakMode::Force
    } else {
        crate::store::BreakMode::IfStale { heartbeat_timeout: crate::actions::recover::HEARTBEAT_TIMEOUT }
    };
    let reason = if force { "forced from the command line" } else { "holder gone" };
    match store.break_lock(service, env, &Holder::this_process(user), reason, mode) {
        Ok(lock) => {
            eprintln!(
                "opsdeck: broke the lock on {service}/{env} held by {} since {} ({})",
                lock.holder, lock.since, lock.what
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("opsdeck: {e}");
            ExitCode::from(EXIT_REFUSED)
        }
    }
}
