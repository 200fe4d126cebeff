//! What a request is: its number, its states, the request as filed and as held, and the filter that lists them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::super::journal::{ActionId, ImageRef};
#[cfg(doc)]
use super::super::Store;
use super::decision::{refusal, Decision};

/// A request's number, as people quote it (`opsdeck approve 7`); never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub i64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a request is. `Pending` is the only state a decision starts from; `Approved` only moves
/// on to how its action ended (`Done`, `Failed`, or `Refused` when the action could not start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
    Expired,
    /// It no longer matched the environment when approved, or its action could not start.
    Refused,
    /// Approved, and its action succeeded.
    Done,
    /// Approved, and its action failed (and was undone or switched back).
    Failed,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Expired,
        RequestState::Refused,
        RequestState::Done,
        RequestState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Expired => "expired",
            RequestState::Refused => "refused",
            RequestState::Done => "done",
            RequestState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request as its requester files it. All text is shown to every user of the bastion and
/// audited: no secrets (the plan's environment values are never serialized).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRequest {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub requested_by: String,
    /// "promote" or "rollback".
    pub kind: String,
    pub service: String,
    pub env: String,
    /// What was live when the request was made; `None` for a first deploy.
    pub from: Option<ImageRef>,
    pub to: ImageRef,
    pub hosts: Vec<String>,
    /// Why, in the requester's words.
    pub reason: String,
    /// The plan as the requester saw it.
    pub plan: serde_json::Value,
}

/// A request as the store holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub requested_by: String,
    pub kind: String,
    pub service: String,
    pub env: String,
    pub from: Option<ImageRef>,
    pub to: ImageRef,
    pub hosts: Vec<String>,
    pub reason: String,
    pub plan: serde_json::Value,
    pub state: RequestState,
    /// Who approved, rejected or refused it (none for an expiry).
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it ended where it is: the rejection's reason, the refusal's, or how its action ended.
    pub decision_reason: Option<String>,
    /// The action an approval ran, once it started.
    pub action_id: Option<ActionId>,
}

impl Request {
    /// `api/prod`, as audit records and locks name it.
    pub fn subject(&self) -> String {
        format!("{}/{}", self.service, self.env)
    }

    /// Pending, but past its expiry at `now` (the store marks it so at the next look).
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == RequestState::Pending && self.expires_at <= now
    }

    /// Why `decision` may not be applied to this request as it stands, if it may not: the rules
    /// [`Store::decide`] enforces, for a caller that wants to know before it does more work.
    pub fn refusal_for(&self, decision: &Decision) -> Option<String> {
        let overdue = self.is_overdue(decision.at);
        let expired = Request { state: RequestState::Expired, ..self.clone() };
        refusal(if overdue { &expired } else { self }, decision)
    }
}

/// Which requests [`Store::requests`] returns; the default is all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Empty: any state.
    pub states: Vec<RequestState>,
    pub service: Option<String>,
    pub env: Option<String>,
}

impl RequestFilter {
    pub fn pending() -> RequestFilter {
        RequestFilter { states: vec![RequestState::Pending], ..RequestFilter::default() }
    }
}
