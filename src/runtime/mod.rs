//! The console's loop: terminal events, background messages and a one-second tick go through
//! `update`; commands are started; the screen is drawn only when something changed, after every
//! queued message has been folded in. Nothing here waits on the outside world.

mod actions;
mod approvals;
mod prune;
mod runbooks;
mod silences;

use crate::collect::{probe_all, spawn_inspect, spawn_store_watcher, spawn_watchers, MsgTx};
use crate::config::Config;
use crate::model::Model;
use crate::msg::{Cmd, Msg};
use crate::terminal::TerminalGuard;
use crate::update::update;
use actions::ActionRunner;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

const TICK: Duration = Duration::from_secs(1);

/// Runs the console until the operator quits or a signal arrives; the terminal is restored on
/// every way out.
pub async fn run(config: Arc<Config>, user: String) -> color_eyre::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let cancel = CancellationToken::new();
    spawn_signal_listener(&tx)?;
    let mut guard = TerminalGuard::enter()?;
    spawn_watchers(&config, &tx, &cancel);
    let store_wake = spawn_store_watcher(config.state_path.clone(), &tx, &cancel);
    let mut actions = ActionRunner::start(config.clone(), &user, &tx);
    let mut logs = crate::collect::LogFollowers::new(&cancel);
    let mut runbooks = runbooks::RunbookRunner::start(config.clone(), &user, &tx);

    let mut model = Model::new(config.clone(), user, chrono::Utc::now());
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut dirty = true;
    let result = loop {
        if dirty {
            if let Err(e) = guard.terminal.draw(|f| crate::ui::render(&model, f)) {
                break Err(e.into());
            }
            dirty = false;
        }
        // Keys first: under a flood of log batches an operator's key is never queued behind them.
        let msg = tokio::select! {
            biased;
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick(chrono::Utc::now()),
        };
        let mut cx = Context {
            config: &config,
            tx: &tx,
            actions: &mut actions,
            store_wake: &store_wake,
            logs: &mut logs,
            runbooks: &mut runbooks,
        };
        let key = matches!(msg, Msg::Key(_));
        apply(&mut model, msg, &mut cx);
        // Fold in everything already queued before drawing once; but a key is drawn at once, and
        // what queued meanwhile waits for the next turn.
        if !key {
            while let Ok(msg) = rx.try_recv() {
                apply(&mut model, msg, &mut cx);
            }
        }
        dirty = true;
        if model.should_quit {
            break Ok(());
        }
    };
    cancel.cancel();
    drop(guard);
    // The terminal is back; a running action still settles before the process ends.
    runbooks.settle().await;
    actions.settle().await;
    result
}

/// What carrying out a command needs.
struct Context<'a> {
    config: &'a Arc<Config>,
    tx: &'a MsgTx,
    actions: &'a mut ActionRunner,
    store_wake: &'a tokio::sync::Notify,
    logs: &'a mut crate::collect::LogFollowers,
    runbooks: &'a mut runbooks::RunbookRunner,
}

fn apply(model: &mut Model, msg: Msg, cx: &mut Context<'_>) {
    for cmd in update(model, msg) {
        match cmd {
            Cmd::ProbeHealth(targets) => probe_all(targets, cx.config.timeouts.health, cx.tx),
            Cmd::RunAction(plan) => {
                cx.actions.run(*plan, model);
                cx.store_wake.notify_one();
            }
            Cmd::FileRequest { plan, reason } => cx.actions.file_request(*plan, reason, model),
            Cmd::ApproveRequest(id) => {
                cx.actions.approve_request(id, model);
                cx.store_wake.notify_one();
            }
            Cmd::RejectRequest { id, reason } => cx.actions.reject_request(id, reason),
            Cmd::RecordRefusal { id, verdict, reason } => cx.actions.record_refusal(id, verdict, reason),
            Cmd::RefreshStore => cx.store_wake.notify_one(),
            Cmd::InspectContainer { host, container_id } => spawn_inspect(cx.config, host, container_id, cx.tx),
            Cmd::CreateSilence(silence) => cx.actions.create_silence(silence),
            Cmd::ExpireSilence(id) => cx.actions.expire_silence(id, model),
            Cmd::AbortAction { id, service, env } => cx.actions.abort(id, service, env),
            Cmd::FollowLogs { generation, slots, tail } => cx.logs.follow(cx.config, generation, slots, tail, cx.tx),
            Cmd::StopLogs => cx.logs.stop(),
            Cmd::Runbook(cmd) => cx.runbooks.handle(cmd),
            Cmd::Prune { service, digests } => cx.actions.prune(service, digests, model.user.clone()),
            Cmd::Quit => model.should_quit = true,
        }
    }
}

/// SIGTERM, SIGINT and SIGHUP (a dropped SSH session) become messages, so the loop ends the
/// normal way and the terminal is restored.
fn spawn_signal_listener(tx: &MsgTx) -> color_eyre::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let tx = tx.clone();
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = hup.recv() => "SIGHUP",
            };
            if tx.send(Msg::Signal(name)).is_err() {
                return;
            }
        }
    });
    Ok(())
}
