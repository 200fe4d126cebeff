//! Carrying out runbook commands: reading the folders, reading and writing a run's progress
//! (blocking store work on the blocking pool), working out and running steps in their own tasks
//! with their output forwarded line by line. One step runs at a time; on quit it is cancelled
//! (a `sh` step's process group killed, an action settled) and waited for.

use super::MsgTx;
use crate::msg::Msg;
use opsdeck_core::config::Config;
use opsdeck_core::runbook::events::{RunbookCmd, RunbookEvent};
use opsdeck_core::runbook::run::{execute, prepare, StepContext};
use opsdeck_core::runbook::session::Session;
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct RunbookRunner {
    config: Arc<Config>,
    user: String,
    tx: MsgTx,
    secrets: Arc<opsdeck_core::secrets::Secrets>,
    /// Cancels the running step (a child of `root`).
    step: Option<CancellationToken>,
    root: CancellationToken,
    tasks: JoinSet<()>,
}

impl RunbookRunner {
    /// Starts reading the runbook folders at once.
    pub fn start(config: Arc<Config>, user: &str, tx: &MsgTx) -> RunbookRunner {
        let secrets = Arc::new(opsdeck_core::secrets::Secrets::from_config(&config));
        let mut runner = RunbookRunner {
            config,
            user: user.to_string(),
            tx: tx.clone(),
            secrets,
            step: None,
            root: CancellationToken::new(),
            tasks: JoinSet::new(),
        };
        runner.handle(RunbookCmd::Load);
        runner
    }

    pub fn handle(&mut self, cmd: RunbookCmd) {
        let tx = self.tx.clone();
        let send = move |e: RunbookEvent| {
            let _ = tx.send(Msg::Runbook(e));
        };
        match cmd {
            RunbookCmd::Load => {
                let folders = self.config.runbooks.clone();
                let log = opsdeck_core::log::LogFile::for_config(&self.config, &self.user);
                tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    let catalog = tokio::task::spawn_blocking(move || opsdeck_core::runbook::load_all(&folders))
                        .await
                        .unwrap_or_default();
                    // How long reading took is kept: the console waits for it before an alert's
                    // runbook can open.
                    log.line(&format!(
                        "runbooks read: {} runbooks, {} errors, in {} ms",
                        catalog.runbooks.len(),
                        catalog.errors.len(),
                        started.elapsed().as_millis()
                    ));
                    send(RunbookEvent::Loaded(catalog));
                });
            }
            RunbookCmd::LoadProgress(session) => {
                tokio::spawn(async move {
                    let (runbook, alert) = (session.runbook.name.clone(), session.alert.clone());
                    let run = tokio::task::spawn_blocking(move || session.progress())
                        .await
                        .unwrap_or_else(|_| Err("the store task panicked".into()));
                    send(RunbookEvent::Progress { runbook, alert, run });
                });
            }
            RunbookCmd::Restart(session) => {
                tokio::spawn(async move {
                    let (runbook, alert) = (session.runbook.name.clone(), session.alert.clone());
                    let run = tokio::task::spawn_blocking(move || session.restart_at(0).map(Some))
                        .await
                        .unwrap_or_else(|_| Err("the store task panicked".into()));
                    send(RunbookEvent::Progress { runbook, alert, run });
                });
            }
            RunbookCmd::Prepare { session, step } => {
                let ctx = self.context(&session, step, CancellationToken::new()).0;
                tokio::spawn(async move {
                    let result = match session.runbook.steps.get(step) {
                        Some(s) => prepare(&ctx, &s.block).await,
                        None => Err(format!("no step {}", step + 1)),
                    };
                    send(RunbookEvent::Prepared { runbook: session.runbook.name.clone(), step, result });
                });
            }
            RunbookCmd::Execute { session, step, prepared, what } => {
                while self.tasks.try_join_next().is_some() {}
                if !self.tasks.is_empty() {
                    send(RunbookEvent::Ended {
                        runbook: session.runbook.name.clone(),
                        step,
                        report: opsdeck_core::runbook::run::failed("another runbook step is still running here"),
                        run: Err("not run".into()),
                    });
                    return;
                }
                let cancel = self.root.child_token();
                self.step = Some(cancel.clone());
                let (ctx, mut lines) = self.context(&session, step, cancel);
                let name = session.runbook.name.clone();
                let forward = self.tx.clone();
                let log = opsdeck_core::log::LogFile::for_config(&self.config, &self.user);
                self.tasks.spawn(async move {
                    let session = Arc::new(*session);
                    let s = session.clone();
                    let w = what.clone();
                    let started = tokio::task::spawn_blocking(move || s.record_start(step, &w))
                        .await
                        .unwrap_or_else(|_| Err("the store task panicked".into()));
                    if let Err(e) = started {
                        let report =
                            opsdeck_core::runbook::run::failed(&format!("not run: cannot audit its start: {e}"));
                        send(RunbookEvent::Ended { runbook: name, step, report, run: Err(e) });
                        return;
                    }
                    let n = name.clone();
                    let forwarder = tokio::spawn(async move {
                        while let Some(line) = lines.recv().await {
                            let _ = forward.send(Msg::Runbook(RunbookEvent::Line { runbook: n.clone(), step, line }));
                        }
                    });
                    let report = execute(&ctx, &prepared).await;
                    drop(ctx);
                    let _ = forwarder.await;
                    log.line(&session.log_line(step, &report));
                    let (s, r) = (session.clone(), report.clone());
                    let run = tokio::task::spawn_blocking(move || s.record_end(step, &r))
                        .await
                        .unwrap_or_else(|_| Err("the store task panicked".into()));
                    send(RunbookEvent::Ended { runbook: name, step, report, run });
                });
            }
            RunbookCmd::Skip { session, step, reason } => {
                tokio::spawn(async move {
                    let name = session.runbook.name.clone();
                    let run = tokio::task::spawn_blocking(move || session.record_skip(step, &reason))
                        .await
                        .unwrap_or_else(|_| Err("the store task panicked".into()));
                    send(RunbookEvent::Skipped { runbook: name, step, run });
                });
            }
            RunbookCmd::Cancel => {
                if let Some(c) = &self.step {
                    c.cancel();
                }
            }
        }
    }

    fn context(
        &self,
        session: &Session,
        step: usize,
        cancel: CancellationToken,
    ) -> (StepContext, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let (lines, rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = StepContext {
            config: self.config.clone(),
            user: self.user.clone(),
            runbook: session.runbook.name.clone(),
            step,
            labels: session.labels.clone(),
            secrets: self.secrets.clone(),
            cancel,
            lines,
        };
        (ctx, rx)
    }

    /// Cancels a running step and waits for it to end and be recorded.
    pub async fn settle(mut self) {
        if self.tasks.is_empty() {
            return;
        }
        self.root.cancel();
        eprintln!("opsdeck: cancelling the running runbook step…");
        while self.tasks.join_next().await.is_some() {}
    }
}
