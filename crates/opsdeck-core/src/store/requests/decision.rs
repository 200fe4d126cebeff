//! Deciding a request: the verdicts, a decision and its answer, how an approved action ended, and the
//! rules of who may decide what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::journal::ActionId;
#[cfg(doc)]
use super::super::Store;
use super::model::{Request, RequestState};

/// What a decision does to a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It runs (the caller runs it at once and reports the end with [`Store::finish_request`]).
    Approve,
    /// It will not run; needs a reason.
    Reject,
    /// An approver found that it no longer matches the environment; needs a reason.
    Refuse,
}

impl Verdict {
    pub(super) fn attempt(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
            Verdict::Refuse => "refuse",
        }
    }
}

/// One person's decision on a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub by: String,
    /// Required for `Reject` and `Refuse`; may be empty for `Approve`.
    pub reason: String,
    pub at: DateTime<Utc>,
    /// Who may decide: the environment's approvers, from the config.
    pub approvers: Vec<String>,
}

/// The answer to [`Store::decide`].
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// The decision took effect; here is the request after it.
    Changed(Request),
    /// The decision was refused and audited as a refusal; the request is as shown (it may just
    /// have expired).
    Refused { request: Request, reason: String },
    /// No request has this id.
    Unknown,
}

/// How an approved request's action ended, for [`Store::finish_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEnd {
    /// `Done`, `Failed`, or `Refused` (the action could not start: lock held, gate closed).
    pub state: RequestState,
    pub action_id: Option<ActionId>,
    pub reason: String,
}

/// Why `decision` may not be applied to `request`, if it may not.
pub(super) fn refusal(request: &Request, decision: &Decision) -> Option<String> {
    let id = request.id;
    match request.state {
        RequestState::Pending => {}
        RequestState::Expired => {
            return Some(format!(
                "request {id} expired at {}; ask again",
                request.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            ))
        }
        state => {
            let by = request.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
            return Some(format!("request {id} is no longer pending: {state}{by}"));
        }
    }
    let is_requester = decision.by == request.requested_by;
    let is_approver = decision.approvers.iter().any(|a| a == &decision.by);
    match decision.verdict {
        Verdict::Approve | Verdict::Refuse if is_requester => {
            return Some(format!("nobody approves their own request: {} asked for request {id}", request.requested_by))
        }
        Verdict::Reject if is_requester => {}
        _ if !is_approver => {
            return Some(format!(
                "{} is not an approver of {} (approvers: {})",
                decision.by,
                request.env,
                decision.approvers.join(", ")
            ))
        }
        _ => {}
    }
    if decision.verdict != Verdict::Approve && decision.reason.trim().is_empty() {
        return Some(format!(
            "a {} needs a reason",
            if decision.verdict == Verdict::Reject { "rejection" } else { "refusal" }
        ));
    }
    None
}
