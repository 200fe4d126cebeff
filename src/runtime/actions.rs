//! Running the actions the operator confirms: one executor for the process (its own store
//! connection, the real outside world), each action its own task, progress forwarded as
//! messages. On quit every running action is asked to settle (undo before the switch, complete
//! after it) and waited for, after the terminal is given back.

use super::MsgTx;
use crate::msg::Msg;
use opsdeck_core::actions::recover::recover;
use opsdeck_core::actions::{ActionPlan, ActionReport, Executor};
use opsdeck_core::config::Config;
use opsdeck_core::outside::Outside;
use opsdeck_core::store::{Holder, Store};
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often the console looks for warm slots whose time is up.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

pub struct ActionRunner {
    pub(super) exec: Result<Executor, String>,
    pub(super) config: Arc<Config>,
    /// Running actions (an approved request's included): settled on quit.
    pub(super) tasks: JoinSet<ActionReport>,
    /// Short store work (filing, rejecting, auditing a refusal): waited for on quit.
    pub(super) chores: JoinSet<()>,
    pub(super) cancel: CancellationToken,
    pub(super) tx: MsgTx,
    /// Each running action's "abort back" (`C`), by (service, environment): one action each.
    pub(super) hands: std::collections::HashMap<(String, String), opsdeck_core::actions::Hand>,
}

impl ActionRunner {
    /// Opens the store and the outside world for actions, forwards their progress to `tx`, and
    /// settles in the background any action a dead opsdeck left unfinished.
    pub fn start(config: Arc<Config>, user: &str, tx: &MsgTx) -> ActionRunner {
        let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
        let exec = Store::open(&config.state_path).map_err(|e| e.to_string()).and_then(|store| {
            let ops = Outside::new(config.clone())?;
            Ok(Executor {
                ops: Arc::new(ops),
                store: Arc::new(Mutex::new(store)),
                events: events_tx,
                holder: Holder::this_process(user),
            })
        });
        let forward = tx.clone();
        let log = opsdeck_core::log::LogFile::for_config(&config, user);
        let recovery_log = log.clone();
        tokio::spawn(async move {
            let mut lines = opsdeck_core::actions::events::Lines::default();
            while let Some(event) = events_rx.recv().await {
                if let Some(refused) = lines.of(&event).and_then(|line| log.line(&line)) {
                    let _ = forward.send(Msg::Notice(refused));
                }
                if forward.send(Msg::Action(event)).is_err() {
                    return;
                }
            }
        });
        let cancel = CancellationToken::new();
        match &exec {
            Ok(exec) => {
                let (exec, config, tx, recovery_log) = (exec.clone(), config.clone(), tx.clone(), recovery_log);
                let quit = cancel.clone();
                tokio::spawn(async move {
                    for line in recover(&exec, &config).await {
                        recovery_log.line(&format!("recovery: {line}"));
                        let _ = tx.send(Msg::Notice(line));
                    }
                    // Warm slots whose time is up are stopped while the console runs.
                    loop {
                        for line in exec.sweep_warm().await {
                            recovery_log.line(&line);
                            let _ = tx.send(Msg::Notice(line));
                        }
                        tokio::select! {
                            _ = quit.cancelled() => return,
                            _ = tokio::time::sleep(SWEEP_EVERY) => {}
                        }
                    }
                });
            }
            Err(e) => {
                let _ = tx.send(Msg::Notice(format!("actions disabled: {e}")));
            }
        }
        ActionRunner {
            exec,
            config,
            tasks: JoinSet::new(),
            chores: JoinSet::new(),
            cancel,
            tx: tx.clone(),
            hands: std::collections::HashMap::new(),
        }
    }

    /// Runs `plan` after the promotion gate, in its own task.
    pub fn run(&mut self, plan: ActionPlan, world: &opsdeck_core::world::World) {
        let exec = match &self.exec {
            Ok(e) => e.clone(),
            Err(e) => {
                let _ = self.tx.send(Msg::Notice(format!("{}: not run: actions disabled: {e}", plan.subject())));
                return;
            }
        };
        // The live state's verdict is pure and made here; the store's memory of the gate, and
        // a refusal's audit record, are the action's own task's work, never the drawing task's.
        let closed = opsdeck_core::actions::plan::gate(world, &plan, false);
        let config = self.config.clone();
        let cancel = self.cancel.child_token();
        let hand = opsdeck_core::actions::Hand::new();
        self.hands.insert((plan.service.clone(), plan.env.clone()), hand.clone());
        self.tasks.spawn(async move {
            if let Some(reason) = opsdeck_core::actions::gate::confirm_closed(&config, &exec, &plan, closed) {
                return exec.refuse(&plan, reason);
            }
            exec.run_by_hand(plan, cancel, hand).await
        });
    }

    /// Asks every running action to settle and waits for them, printing progress on stderr.
    pub async fn settle(mut self) {
        while self.chores.join_next().await.is_some() {}
        if self.tasks.is_empty() {
            return;
        }
        eprintln!("opsdeck: settling {} running action(s) before exiting…", self.tasks.len());
        self.cancel.cancel();
        while let Some(done) = self.tasks.join_next().await {
            if let Ok(report) = done {
                eprintln!(
                    "opsdeck: action {} ended: {}",
                    report.id.map(|i| format!("#{i}")).unwrap_or_default(),
                    report.reason
                );
            }
        }
    }
}
