//! Carrying out the console's approval commands through the same flow the command line uses
//! ([`opsdeck_core::approvals`]): filing a request, approving one (then running it at once, here, on the
//! process's executor, so the Actions pane shows its progress), rejecting one, and auditing an
//! attempt the console refused up front. Store work runs on blocking threads, never on the UI's;
//! each result comes back as a [`Msg::Approval`].

use super::actions::ActionRunner;
use crate::msg::{ApprovalResult, Msg};
use chrono::Utc;
use opsdeck_core::actions::gate::confirm_closed;
use opsdeck_core::actions::{ActionPlan, ActionReport, Executor};
use opsdeck_core::approvals;
use opsdeck_core::store::{Request, RequestId, Store, Verdict};
use opsdeck_core::world::World;
use std::sync::MutexGuard;

impl ActionRunner {
    /// Files `plan` as a request for `reason`, after the promotion gate (as the command line
    /// does). A refusal is audited and reported like any refused action.
    pub fn file_request(&mut self, plan: ActionPlan, reason: String, world: &World) {
        let Some(exec) = self.executor(&plan.subject()) else { return };
        // The live state's verdict is made here (pure); the store is read in the task.
        let closed = opsdeck_core::actions::plan::gate(world, &plan, false);
        let (config, tx) = (self.config.clone(), self.tx.clone());
        self.chores.spawn(async move {
            let filed = tokio::task::spawn_blocking(move || {
                if let Some(why) = confirm_closed(&config, &exec, &plan, closed) {
                    exec.refuse(&plan, why);
                    return None;
                }
                let filed = lock(&exec).and_then(|mut store| {
                    approvals::file(&mut store, &config, &plan, &exec.holder.user, &reason, Utc::now())
                });
                match filed {
                    Ok(f) => Some(ApprovalResult::Filed {
                        id: f.request.id,
                        subject: f.request.subject(),
                        deciders: f.deciders,
                        expires_at: f.request.expires_at,
                    }),
                    Err(why) => {
                        // Reported through the executor's refusal event, audited.
                        exec.refuse(&plan, why);
                        None
                    }
                }
            })
            .await;
            let result = filed.unwrap_or_else(|e| Some(failed(None, e)));
            if let Some(result) = result {
                let _ = tx.send(Msg::Approval(result));
            }
        });
    }

    /// Approves request `id` and runs it at once: plans it again from `world` (the live state,
    /// looked at here and only here: the task gets the plan, not the world), then checks it
    /// against the store, records the approval, and runs it through the executor like any action.
    pub fn approve_request(&mut self, id: RequestId, world: &World) {
        let Some(exec) = self.executor(&format!("request #{id}")) else { return };
        let request = world.approvals.requests.iter().find(|r| r.id == id);
        let seen = request.map(|r| approvals::outlook(world, r, self.config.actions.timing(None), None));
        let (config, tx) = (self.config.clone(), self.tx.clone());
        let cancel = self.cancel.child_token();
        // `C` aborts it like any action this console runs (one action per service and env).
        let hand = opsdeck_core::actions::Hand::new();
        if let Some(r) = request {
            self.hands.insert((r.service.clone(), r.env.clone()), hand.clone());
        }
        self.tasks.spawn(async move {
            let ex = exec.clone();
            let decided = tokio::task::spawn_blocking(move || -> Result<(Request, ActionPlan), String> {
                let user = ex.holder.user.clone();
                let mut store = lock(&ex)?;
                let prepared = approvals::prepare_with(&mut store, &config, &user, id, seen, Utc::now())?;
                let request = approvals::approve(&mut store, &config, &prepared.request, &user, Utc::now())?;
                Ok((request, prepared.plan))
            })
            .await
            .unwrap_or_else(|e| Err(format!("the approval stopped: {e}")));
            let (request, plan) = match decided {
                Ok(done) => done,
                Err(reason) => {
                    let _ = tx.send(Msg::Approval(ApprovalResult::Refused { id: Some(id), reason: reason.clone() }));
                    return ActionReport { id: None, outcome: None, reason };
                }
            };
            let _ = tx.send(Msg::Approval(ApprovalResult::Approved {
                id,
                subject: format!("{} {}", request.kind, request.subject()),
                requested_by: request.requested_by.clone(),
            }));
            let (report, ended) = approvals::run_abortable(&exec, &request, plan, cancel, hand).await;
            let state = ended.map(|r| r.state);
            let _ = tx.send(Msg::Approval(ApprovalResult::Ended { id, state, reason: report.reason.clone() }));
            report
        });
    }

    /// Rejects request `id` for `reason`.
    pub fn reject_request(&mut self, id: RequestId, reason: String) {
        let Some(exec) = self.executor(&format!("request #{id}")) else { return };
        let (config, tx) = (self.config.clone(), self.tx.clone());
        self.chores.spawn(async move {
            let done = tokio::task::spawn_blocking(move || {
                let user = exec.holder.user.clone();
                let rejected = lock(&exec)
                    .and_then(|mut store| approvals::reject(&mut store, &config, id, &user, &reason, Utc::now()));
                match rejected {
                    Ok(r) => ApprovalResult::Rejected { id, subject: r.subject() },
                    Err(reason) => ApprovalResult::Refused { id: Some(id), reason },
                }
            })
            .await;
            let _ = tx.send(Msg::Approval(done.unwrap_or_else(|e| failed(Some(id), e))));
        });
    }

    /// Audits an attempt (`verdict` on request `id`) the console refused up front for `reason`.
    pub fn record_refusal(&mut self, id: RequestId, verdict: Verdict, reason: String) {
        let Some(exec) = self.executor(&format!("request #{id}")) else { return };
        let (config, tx) = (self.config.clone(), self.tx.clone());
        self.chores.spawn(async move {
            let done = tokio::task::spawn_blocking(move || -> Result<(), String> {
                let user = exec.holder.user.clone();
                let mut store = lock(&exec)?;
                let Some(request) = store.request(id).map_err(|e| e.to_string())? else { return Ok(()) };
                let attempt = approvals::decision(&config, &request, verdict, &user, "", Utc::now());
                store.record_refusal(id, &attempt, &reason).map(|_| ()).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            if let Err(e) = done {
                let _ = tx.send(Msg::Notice(format!("refused, but the refusal could not be audited: {e}")));
            }
        });
    }

    /// The executor, or (when actions are disabled) a notice saying why `what` was not done.
    fn executor(&self, what: &str) -> Option<Executor> {
        match &self.exec {
            Ok(e) => Some(e.clone()),
            Err(e) => {
                let _ = self.tx.send(Msg::Notice(format!("{what}: not done: actions disabled: {e}")));
                None
            }
        }
    }
}

fn lock(exec: &Executor) -> Result<MutexGuard<'_, Store>, String> {
    exec.store.lock().map_err(|_| "state store unavailable (a thread panicked)".to_string())
}

fn failed(id: Option<RequestId>, e: tokio::task::JoinError) -> ApprovalResult {
    ApprovalResult::Refused { id, reason: format!("the store work stopped: {e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gen_config, gen_demo_model_all_up, gen_plan};
    use opsdeck_core::actions::ActionKind;
    use opsdeck_core::store::RequestState;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

    /// The next approval result, skipping other messages.
    async fn next_result(rx: &mut UnboundedReceiver<Msg>) -> ApprovalResult {
        let wait = async {
            loop {
                match rx.recv().await {
                    Some(Msg::Approval(r)) => return r,
                    Some(_) => continue,
                    None => panic!("the runner went away"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait).await.expect("a result in time")
    }

    /// Filing, an own approval refused, a refusal audited, and another approver's rejection: the
    /// runtime drives the same flow as the command line, on a real store, as two users.
    #[tokio::test(flavor = "multi_thread")]
    async fn requests_are_filed_refused_and_rejected_through_the_flow() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
        let mut config = (*gen_config()).clone();
        config.state_path = dir.path().join("state.db");
        let config = Arc::new(config);
        let mut model = gen_demo_model_all_up();
        model.world.config = config.clone();
        let (tx, mut rx) = unbounded_channel();
        let mut alice = ActionRunner::start(config.clone(), "alice", &tx);
        let mut bob = ActionRunner::start(config.clone(), "bob", &tx);

        alice.file_request(gen_plan(ActionKind::Promote, "api", "prod"), "release 1.3".into(), &model.world);
        let ApprovalResult::Filed { id, deciders, subject, .. } = next_result(&mut rx).await else {
            panic!("not filed")
        };
        assert_eq!((deciders, subject.as_str()), (vec!["bob".to_string()], "api/prod"));

        alice.approve_request(id, &model.world);
        let ApprovalResult::Refused { reason, .. } = next_result(&mut rx).await else { panic!("approved own") };
        assert!(reason.contains("nobody approves their own request"), "{reason}");

        alice.record_refusal(id, Verdict::Approve, "nobody approves their own request".into());
        bob.reject_request(id, "not during the freeze".into());
        assert_eq!(next_result(&mut rx).await, ApprovalResult::Rejected { id, subject: "api/prod".into() });
        alice.settle().await;
        bob.settle().await;

        let store = Store::open(&config.state_path).expect("store");
        let request = store.request(id).expect("read").expect("request");
        assert_eq!((request.state, request.decided_by.as_deref()), (RequestState::Rejected, Some("bob")));
        let mut trail: Vec<(String, String)> =
            store.audit(None).expect("audit").into_iter().map(|r| (r.entry.kind, r.entry.user)).collect();
        // The request comes first; the refusal alice records and bob's rejection run in tasks of
        // their own, so their order is not fixed.
        trail[1..].sort();
        let want = [("request", "alice"), ("refusal", "alice"), ("refusal", "alice"), ("rejection", "bob")];
        assert_eq!(trail, want.map(|(k, u)| (k.to_string(), u.to_string())));
    }
}
