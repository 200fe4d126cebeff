//! Filing, deciding and running requests: the store's atomic decisions joined to the live state
//! and to the executor. Each step that refuses leaves an audit record saying why.
//!
//! Approving is three steps so that a person can look before the action runs: [`prepare`] checks
//! who is asking and plans again from the live state (a request that no longer matches is
//! refused for good), [`approve`] records the approval (once, whoever else tries at the same
//! moment), and [`run`] runs it at once, in the approver's process, through the normal executor.

use super::policy;
use crate::actions::{ActionEvent, ActionPlan, ActionReport, Executor, Timing};
use crate::config::{Config, NotifyEvent};
use crate::store::{
    ActionOutcome, Decided, Decision, Request, RequestEnd, RequestId, RequestState, Store, StoreError, Verdict,
};
use crate::world::views::ImageRef;
use crate::world::World;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

/// A filed request, and who can decide it.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub request: Request,
    /// The approvers other than the requester.
    pub deciders: Vec<String>,
}

/// A request that `prepare` found ready to approve, and the plan that will run.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub request: Request,
    pub plan: ActionPlan,
}

/// Files `plan` as a pending request by `requester`, for `why`.
pub fn file(
    store: &mut Store,
    config: &Config,
    plan: &ActionPlan,
    requester: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Filed, String> {
    let new = policy::new_request(config, plan, requester, why, now)?;
    let request = store.create_request(&new).map_err(|e| e.to_string())?;
    crate::notify::send(config, crate::notify::of_request(NotifyEvent::ApprovalRequested, &request, requester));
    let deciders = config.environment(&plan.env).map(|e| policy::deciders(e, requester)).unwrap_or_default();
    Ok(Filed { request, deciders })
}

/// `by`'s decision on `request`, with the approvers the config names for its environment.
pub fn decision(
    config: &Config,
    request: &Request,
    verdict: Verdict,
    by: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Decision {
    let approvers = config.environment(&request.env).map(|e| e.approvers.clone()).unwrap_or_default();
    Decision { verdict, by: by.into(), reason: reason.into(), at, approvers }
}

/// What the live state says about a request, taken where the world is (the console's drawing
/// task, or a command's one look) so that the rest of [`prepare`] runs with the store alone: the
/// environment's live image, and the plan the request would run now.
#[derive(Debug, Clone)]
pub struct Outlook {
    pub id: RequestId,
    pub live: Option<ImageRef>,
    pub planned: Result<ActionPlan, String>,
}

/// The [`Outlook`] of `request` in `world`, with the requester's timing (`fallback` when the
/// request has none; `watch` overrides its watch). Pure and cheap.
pub fn outlook(world: &World, request: &Request, fallback: Timing, watch: Option<std::time::Duration>) -> Outlook {
    let cell = world.service_cell(&request.env, &request.service);
    let live = cell.and_then(|c| c.image);
    // The requester's timing (their `--watch`), unless the approver overrides the watch.
    let mut timing = policy::timing(request, fallback);
    timing.watch = watch.unwrap_or(timing.watch);
    let planned = policy::target(request, world).and_then(|target| crate::actions::plan(world, &target, timing));
    Outlook { id: request.id, live, planned }
}

/// Gets request `id` ready for `by` to approve, from `world` (the live state and its config),
/// with the requester's timing (`fallback` when the request has none; `watch` overrides its
/// watch). Refused, with an
/// audited refusal, when `by` may not approve it (their own, not an approver, not pending,
/// expired) or when it cannot be planned now (a host down, the registry silent: it stays pending
/// and can be approved later). Refused for good (state `refused`) when it no longer matches the
/// environment: someone else changed it meanwhile, or its tag now means another image.
pub fn prepare(
    store: &mut Store,
    world: &World,
    by: &str,
    id: RequestId,
    now: DateTime<Utc>,
    fallback: Timing,
    watch: Option<std::time::Duration>,
) -> Result<Prepared, String> {
    let request = store.request(id).map_err(|e| e.to_string())?.ok_or_else(|| format!("no request {id}"))?;
    let seen = outlook(world, &request, fallback, watch);
    prepare_seen(store, &world.config, by, request, now, Some(seen))
}

/// [`prepare`] with the live state already looked at: `seen` is the [`Outlook`] of request `id`
/// (what it says of the request's environment and plan does not change once it is filed), or
/// None when the caller's world does not show the request yet (then only who may approve it is
/// checked, and a request that passes is left for a moment later).
pub fn prepare_with(
    store: &mut Store,
    config: &Config,
    by: &str,
    id: RequestId,
    seen: Option<Outlook>,
    now: DateTime<Utc>,
) -> Result<Prepared, String> {
    let request = store.request(id).map_err(|e| e.to_string())?.ok_or_else(|| format!("no request {id}"))?;
    prepare_seen(store, config, by, request, now, seen)
}

fn prepare_seen(
    store: &mut Store,
    config: &Config,
    by: &str,
    request: Request,
    now: DateTime<Utc>,
    seen: Option<Outlook>,
) -> Result<Prepared, String> {
    let id = request.id;
    let attempt = decision(config, &request, Verdict::Approve, by, "", now);
    if let Some(reason) = request.refusal_for(&attempt) {
        return Err(refused_attempt(store, id, &attempt, reason));
    }
    let Some(seen) = seen.filter(|s| s.id == id) else {
        return Err(format!("request {id} is not in this console's list yet: try again in a moment"));
    };
    let live = seen.live.as_ref();
    let live_digest = live.map(|i| i.digest.as_str());
    if live_digest.is_some() && live_digest != request.from.as_ref().map(|f| f.digest.as_str()) {
        // Checked before planning: a plan for an image that is already live is refused outright,
        // and that too means the environment moved on.
        let now_runs = live.map(|i| format!("{} ({})", i.tag, i.short_digest())).unwrap_or_default();
        let asked = request.from.as_ref().map(|f| f.tag.clone()).unwrap_or_else(|| "nothing".into());
        let reason = format!(
            "someone else changed {} meanwhile: {} now runs {now_runs}, the request was made when it ran {asked}",
            request.env,
            request.subject()
        );
        return Err(refuse_for_good(store, config, &request, by, now, reason));
    }
    let plan = match seen.planned {
        Ok(plan) => plan,
        Err(e) => {
            return Err(refused_attempt(store, id, &attempt, format!("cannot plan request {id} now: {e}")));
        }
    };
    if let Err(reason) = policy::still_matches(&request, &plan) {
        return Err(refuse_for_good(store, config, &request, by, now, reason));
    }
    Ok(Prepared { request, plan })
}

/// Records `by`'s approval of a prepared request. Refused (audited) when someone decided it in
/// the meantime or it expired while `by` was looking.
pub fn approve(
    store: &mut Store,
    config: &Config,
    request: &Request,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Request, String> {
    let d = decision(config, request, Verdict::Approve, by, "", now);
    match store.decide(request.id, &d).map_err(|e| e.to_string())? {
        Decided::Changed(r) => Ok(decided(config, r, by)),
        Decided::Refused { reason, .. } => Err(reason),
        Decided::Unknown => Err(format!("no request {}", request.id)),
    }
}

/// `by` rejects request `id` for `why` (required).
pub fn reject(
    store: &mut Store,
    config: &Config,
    id: RequestId,
    by: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Request, String> {
    let request = store.request(id).map_err(|e| e.to_string())?.ok_or_else(|| format!("no request {id}"))?;
    // An empty reason goes to the store as empty, which refuses it and audits the attempt.
    let why = policy::reason(why).unwrap_or_default();
    let d = decision(config, &request, Verdict::Reject, by, &why, now);
    match store.decide(id, &d).map_err(|e| e.to_string())? {
        Decided::Changed(r) => Ok(decided(config, r, by)),
        Decided::Refused { reason, .. } => Err(reason),
        Decided::Unknown => Err(format!("no request {id}")),
    }
}

/// Runs an approved request's plan on `exec` (its lock, journal and audit), links the request to
/// the action as soon as it is journaled, and records how it ended: `done`, `failed`, or
/// `refused` when the action could not start (the lock held, the store down).
pub async fn run(
    exec: &Executor,
    request: &Request,
    plan: ActionPlan,
    cancel: CancellationToken,
) -> (ActionReport, Option<Request>) {
    run_abortable(exec, request, plan, cancel, crate::actions::Hand::new()).await
}

/// [`run`], with the operator's hand on it: "abort back" (`C`; see [`Executor::run_abortable`]),
/// and a canary's pause and next stage.
pub async fn run_abortable(
    exec: &Executor,
    request: &Request,
    plan: ActionPlan,
    cancel: CancellationToken,
    hand: crate::actions::Hand,
) -> (ActionReport, Option<Request>) {
    // The action's events pass through here on their way to the caller, to catch its id.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let relay = Executor { ops: exec.ops.clone(), store: exec.store.clone(), events: tx, holder: exec.holder.clone() };
    let (store, onward, id) = (exec.store.clone(), exec.events.clone(), request.id);
    let linker = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let ActionEvent::Started { id: action, .. } = &event {
                if let Ok(mut s) = store.lock() {
                    // Only a convenience for watchers: the end below records the id again.
                    let _ = s.attach_action(id, crate::store::ActionId(*action));
                }
            }
            let _ = onward.send(event);
        }
    });
    let report = relay.run_by_hand(plan, cancel, hand).await;
    drop(relay);
    let _ = linker.await;
    let end = RequestEnd {
        state: match report.outcome {
            Some(ActionOutcome::Succeeded) => RequestState::Done,
            None => RequestState::Refused,
            Some(_) => RequestState::Failed,
        },
        action_id: report.id.map(crate::store::ActionId),
        reason: report.reason.clone(),
    };
    let ended = exec.with_store(|s| s.finish_request(id, &end, &exec.holder.user, Utc::now()));
    (report, ended.ok().flatten())
}

/// Tells the webhooks that `by` decided `request` (see [`crate::notify`]); returns it.
fn decided(config: &Config, request: Request, by: &str) -> Request {
    crate::notify::send(config, crate::notify::of_request(NotifyEvent::ApprovalDecided, &request, by));
    request
}

/// Audits a refused attempt and returns its reason (with the store's trouble, if any).
fn refused_attempt(store: &mut Store, id: RequestId, attempt: &Decision, reason: String) -> String {
    match store.record_refusal(id, attempt, &reason) {
        Ok(_) => reason,
        Err(e) => unaudited(reason, e),
    }
}

/// Marks `request` refused (it no longer matches the environment), as `by`'s decision.
fn refuse_for_good(
    store: &mut Store,
    config: &Config,
    request: &Request,
    by: &str,
    now: DateTime<Utc>,
    reason: String,
) -> String {
    let d = decision(config, request, Verdict::Refuse, by, &reason, now);
    match store.decide(request.id, &d) {
        Ok(Decided::Changed(_)) => format!("{reason}; request {} is refused", request.id),
        // Someone decided it first, or it expired: that is the answer now.
        Ok(Decided::Refused { reason: other, .. }) => other,
        Ok(Decided::Unknown) => format!("no request {}", request.id),
        Err(e) => unaudited(reason, e),
    }
}

fn unaudited(reason: String, e: StoreError) -> String {
    format!("{reason}; and the audit record could not be written: {e}")
}

#[cfg(test)]
mod tests;
