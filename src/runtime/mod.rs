//! The console's loop: terminal events, background messages and a one-second tick go through
//! `update`; commands are started; the screen is drawn only when something changed, after every
//! queued message has been folded in: at once after a key, at most ten times a second for news
//! from outside, and for the clock only when no frame was drawn within the second. Nothing here
//! waits on the outside world.

mod actions;
mod approvals;
mod inbox;
mod inspect;
mod prune;
mod runbooks;
mod screen;
mod silences;
mod terminal_events;

use crate::model::Model;
use crate::msg::{Cmd, Msg};
use crate::terminal::TerminalGuard;
use crate::update::update;
use actions::ActionRunner;
use crossterm::event::Event;
use inbox::Senders;
use inspect::spawn_inspect;
use opsdeck_core::config::Config;
use opsdeck_core::watch::{spawn_store_watcher, spawn_watchers, FactTx, Probes};
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// Where the console's own tasks (actions, answers to commands, signals) send their news.
pub type MsgTx = tokio::sync::mpsc::UnboundedSender<Msg>;

const TICK: Duration = Duration::from_secs(1);

/// The least time between two frames drawn for news from outside (keys are drawn at once): ten
/// frames a second at most, however many answers arrive.
const NEWS_FRAME: Duration = Duration::from_millis(100);

/// A tick draws only when the last frame is at least this old: ages move on at least every
/// second and a half, and a console whose news already draws it every second or two draws no
/// extra frame per tick.
const TICK_FRAME: Duration = Duration::from_millis(900);

/// Runs the console until the operator quits or a signal arrives; the terminal is restored on
/// every way out.
pub async fn run(config: Arc<Config>, user: String) -> color_eyre::Result<()> {
    // Checked when the config was loaded (`commands::dispatch`); checked again here for the
    // configs that come another way (the demo's), before the terminal is taken.
    let keymap = crate::keymap::Keymap::from_config(&config.keys).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("{}:{}: {}", p.line, p.column, p.message)).collect();
        color_eyre::eyre::eyre!("the config's [keys]: {}", lines.join("; "))
    })?;
    // Read before the terminal is taken, so a broken theme file is reported like a config error.
    let no_color = crate::theme::no_color(std::env::var_os("NO_COLOR").as_deref());
    let theme = crate::theme::choose(config.theme.as_deref(), no_color).map_err(|e| color_eyre::eyre::eyre!(e))?;
    // The watchers' facts and the log followers' news come on their own channels (they know
    // nothing of the console's messages); the inbox hands them to `update` as messages.
    let (mut inbox, senders) = inbox::Inbox::new();
    let Senders { msgs: tx, facts: fact_tx, logs: log_tx } = senders;
    let cancel = CancellationToken::new();
    spawn_signal_listener(&tx)?;
    let mut guard = TerminalGuard::enter(config.mouse)?;
    spawn_watchers(&config, &fact_tx, &cancel);
    let store_wake = spawn_store_watcher(config.state_path.clone(), &fact_tx, &cancel);
    let mut actions = ActionRunner::start(config.clone(), &user, &tx);
    let mut logs = opsdeck_core::watch::LogFollowers::new(&cancel);
    let mut runbooks = runbooks::RunbookRunner::start(config.clone(), &user, &tx);
    let probes = Probes::new(config.timeouts.health);

    let mut model = Model::new(config.clone(), user, chrono::Utc::now());
    model.keymap = keymap;
    model.theme = theme;
    let mut events = terminal_events::spawn()?;
    let mut tick = tokio::time::interval(TICK);
    let (mut dirty, mut forced) = (true, true);
    let size = guard.terminal.size()?;
    let mut screen = screen::Screen::new(size.width, size.height);
    let mut drawn_at = tokio::time::Instant::now();
    let result = loop {
        // A key is drawn at once; news from outside at most every `NEWS_FRAME`, so a burst of
        // answers (a round of probes, a poll of every engine) is folded into one frame.
        if dirty && (forced || drawn_at.elapsed() >= NEWS_FRAME) {
            drawn_at = tokio::time::Instant::now();
            // Drawn once, into memory; written when it changed, or after a key or a resize.
            let frame = match screen.changed(&model) {
                Some(frame) => Some(frame),
                None if forced => screen.last(),
                None => None,
            };
            if let Some(frame) = frame {
                if let Err(e) = guard.terminal.draw(|f| f.buffer_mut().clone_from(frame)) {
                    break Err(e.into());
                }
            }
            (dirty, forced) = (false, false);
        }
        // Keys first: under a flood of log batches an operator's key is never queued behind them.
        let msg = tokio::select! {
            biased;
            event = events.recv() => match event {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                // Clicks and the wheel only: moves and drags change nothing (nor are they asked
                // for, see `terminal`).
                Some(Ok(Event::Mouse(mouse))) if wanted(&mouse) => Msg::Mouse(mouse, screen.hits()),
                Some(Ok(Event::Resize(width, height))) => {
                    screen.resize(width, height);
                    if let Err(e) = guard.terminal.resize(ratatui::layout::Rect::new(0, 0, width, height)) {
                        break Err(e.into());
                    }
                    Msg::Resize
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(msg) = inbox.recv() => msg,
            // News waiting to be drawn: its frame is due.
            _ = tokio::time::sleep_until(drawn_at + NEWS_FRAME), if dirty => continue,
            _ = tick.tick() => Msg::Tick(chrono::Utc::now()),
        };
        let mut cx = Context {
            config: &config,
            tx: &tx,
            fact_tx: &fact_tx,
            log_tx: &log_tx,
            actions: &mut actions,
            store_wake: &store_wake,
            logs: &mut logs,
            runbooks: &mut runbooks,
            probes: &probes,
            out: guard.terminal.backend_mut(),
        };
        let key = matches!(msg, Msg::Key(_) | Msg::Mouse(..) | Msg::Resize);
        // A tick only moves ages and clocks on: not worth a frame when one was drawn within the
        // second anyway (news every second or two, on a watched fleet).
        let mut worth_a_frame = !matches!(msg, Msg::Tick(_)) || drawn_at.elapsed() >= TICK_FRAME;
        forced |= key;
        apply(&mut model, msg, &mut cx);
        // Fold in everything already queued before drawing once; but a key is drawn at once, and
        // what queued meanwhile waits for the next turn (or the next news frame).
        if !key {
            while let Some(msg) = inbox.try_recv() {
                apply(&mut model, msg, &mut cx);
                worth_a_frame = true;
            }
        }
        dirty |= worth_a_frame;
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

/// The mouse events the console acts on: a left click and the wheel.
fn wanted(mouse: &crossterm::event::MouseEvent) -> bool {
    use crossterm::event::{MouseButton, MouseEventKind as K};
    matches!(mouse.kind, K::Down(MouseButton::Left) | K::ScrollUp | K::ScrollDown)
}

/// What carrying out a command needs.
struct Context<'a> {
    config: &'a Arc<Config>,
    tx: &'a MsgTx,
    fact_tx: &'a FactTx,
    log_tx: &'a opsdeck_core::watch::LogTx,
    actions: &'a mut ActionRunner,
    store_wake: &'a tokio::sync::Notify,
    logs: &'a mut opsdeck_core::watch::LogFollowers,
    runbooks: &'a mut runbooks::RunbookRunner,
    /// One `/health` prober for the console's life (its connections kept between looks).
    probes: &'a Probes,
    /// The terminal, for what is written to it besides frames (OSC 52 copies).
    out: &'a mut dyn std::io::Write,
}

fn apply(model: &mut Model, msg: Msg, cx: &mut Context<'_>) {
    for cmd in update(model, msg) {
        match cmd {
            Cmd::ProbeHealth { targets, over } => cx.probes.probe_all(targets, over, cx.fact_tx),
            Cmd::RunAction(plan) => {
                cx.actions.run(*plan, &model.world);
                cx.store_wake.notify_one();
            }
            Cmd::FileRequest { plan, reason } => cx.actions.file_request(*plan, reason, &model.world),
            Cmd::ApproveRequest(id) => {
                cx.actions.approve_request(id, &model.world);
                cx.store_wake.notify_one();
            }
            Cmd::RejectRequest { id, reason } => cx.actions.reject_request(id, reason),
            Cmd::RecordRefusal { id, verdict, reason } => cx.actions.record_refusal(id, verdict, reason),
            Cmd::RefreshStore => cx.store_wake.notify_one(),
            Cmd::InspectContainer { host, container_id } => spawn_inspect(cx.config, host, container_id, cx.tx),
            Cmd::CreateSilence(silence) => cx.actions.create_silence(silence),
            Cmd::ExpireSilence(id) => cx.actions.expire_silence(id, &model.world),
            Cmd::AbortAction { id, service, env } => cx.actions.abort(id, service, env),
            Cmd::SteerCanary { id, service, env, steer } => cx.actions.steer(id, service, env, steer),
            Cmd::FollowLogs { generation, slots, tail } => {
                cx.logs.follow(cx.config, generation, slots, tail, cx.log_tx)
            }
            Cmd::StopLogs => cx.logs.stop(),
            Cmd::Runbook(cmd) => cx.runbooks.handle(cmd),
            Cmd::Prune { service, digests } => cx.actions.prune(service, digests, model.world.user.clone()),
            Cmd::Copy(text) => {
                // The clipboard is the terminal's: the sequence goes where the screen goes.
                if let Err(e) = crate::clipboard::copy(cx.out, &text) {
                    model.ui.notice = Some(format!("could not copy: {e}"));
                }
            }
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
