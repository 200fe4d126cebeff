//! Approval requests: a promote or rollback on an environment that requires approval, waiting in
//! the store for another person's decision, and every change of its state audited with it.
//!
//! A request is decided once. Each change re-reads the request inside an IMMEDIATE transaction,
//! so of two approvers deciding at the same moment (two processes, two users) one changes it and
//! the other is refused; the audit record of a change commits in the same transaction, so the
//! trail never shows a decision that did not happen, nor misses one that did.
//!
//! What may be decided by whom is checked here too (nobody approves their own request; only the
//! environment's approvers decide), with the approvers' list passed in from the config: the rules
//! that need the live environment (is the request still what prod would do?) are in
//! [`crate::approvals`].

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;
use std::path::Path;

use super::audit::{append_in, AuditEntry};
use super::error::{corrupt, sql, StoreError};
use super::journal::{ActionId, ImageRef};
use super::{time, Store};

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
    fn attempt(self) -> &'static str {
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

const SELECT: &str = "SELECT id, created_at, expires_at, requested_by, kind, service, env, from_tag, from_digest,
    to_tag, to_digest, hosts, reason, plan, state, decided_by, decided_at, decision_reason, action_id FROM requests";

impl Store {
    /// Files `new` as a pending request, with its `request` audit record in the same transaction.
    pub fn create_request(&mut self, new: &NewRequest) -> Result<Request, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin request"))?;
        let hosts = serde_json::Value::from(new.hosts.clone()).to_string();
        let id: i64 = tx
            .query_row(
                "INSERT INTO requests (created_at, expires_at, requested_by, kind, service, env, from_tag, from_digest,
                                       to_tag, to_digest, hosts, reason, plan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
                params![
                    time::to_text(new.created_at),
                    time::to_text(new.expires_at),
                    new.requested_by,
                    new.kind,
                    new.service,
                    new.env,
                    new.from.as_ref().map(|f| &f.tag),
                    new.from.as_ref().map(|f| &f.digest),
                    new.to.tag,
                    new.to.digest,
                    hosts,
                    new.reason,
                    new.plan.to_string(),
                ],
                |r| r.get(0),
            )
            .map_err(sql(path, "file request"))?;
        let request = select_one(&tx, path, RequestId(id))?
            .ok_or_else(|| corrupt(path, format!("request {id} vanished while being filed")))?;
        let mut detail = what(&request);
        detail["reason"] = json!(request.reason);
        detail["expires_at"] = json!(time::to_text(request.expires_at));
        let entry = audit_entry(&request, new.created_at, &request.requested_by, "request", detail, "pending");
        append_in(&tx, path, entry)?;
        tx.commit().map_err(sql(path, "commit request"))?;
        Ok(request)
    }

    /// Requests matching `filter`, newest first, as stored (an overdue one still reads `pending`
    /// until [`Store::expire_due`] or a decision marks it).
    pub fn requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let path = &self.path;
        let op = "list requests";
        let mut clauses = Vec::new();
        let mut values: Vec<String> = Vec::new();
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter
                .states
                .iter()
                .map(|st| {
                    values.push(st.as_str().to_string());
                    format!("?{}", values.len())
                })
                .collect();
            clauses.push(format!("state IN ({})", marks.join(", ")));
        }
        for (column, value) in [("service", &filter.service), ("env", &filter.env)] {
            if let Some(v) = value {
                values.push(v.clone());
                clauses.push(format!("{column} = ?{}", values.len()));
            }
        }
        let filter_sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let mut stmt = self.conn.prepare(&format!("{SELECT}{filter_sql} ORDER BY id DESC")).map_err(sql(path, op))?;
        let rows = stmt.query_map(params_from_iter(values.iter()), raw_request).map_err(sql(path, op))?;
        rows.map(|r| r.map_err(sql(path, op)).and_then(|raw| raw.into_request(path))).collect()
    }

    /// The request `id`, if there is one.
    pub fn request(&self, id: RequestId) -> Result<Option<Request>, StoreError> {
        select_one(&self.conn, &self.path, id)
    }

    /// The approved request whose action is `action`, if one is still waiting for its end: crash
    /// recovery settles it with the action, so it does not stay "approved" forever.
    pub fn approved_request_for(&self, action: ActionId) -> Result<Option<Request>, StoreError> {
        let path = &self.path;
        self.conn
            .query_row(&format!("{SELECT} WHERE action_id = ?1 AND state = 'approved'"), [action.0], raw_request)
            .optional()
            .map_err(sql(path, "read request of action"))?
            .map(|raw| raw.into_request(path))
            .transpose()
    }

    /// Decides request `id`, once. Refused (and audited as a `refusal`, the request unchanged)
    /// when it is not pending, when it has expired (then it is marked expired, audited as an
    /// `expiry`, in the same transaction), when the approver is its requester, when the decider is
    /// not among `decision.approvers` (a requester may still reject, that is withdraw, their own),
    /// or when a rejection or refusal comes without a reason. Otherwise the state changes and an
    /// `approval`, `rejection` or `refusal` record is appended with it.
    pub fn decide(&mut self, id: RequestId, decision: &Decision) -> Result<Decided, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin decision"))?;
        let Some(mut request) = select_one(&tx, path, id)? else {
            return Ok(Decided::Unknown);
        };
        if request.is_overdue(decision.at) {
            request = expire_in(&tx, path, request)?;
        }
        if let Some(reason) = refusal(&request, decision) {
            append_in(&tx, path, refusal_entry(&request, decision, &reason))?;
            tx.commit().map_err(sql(path, "commit refusal"))?;
            return Ok(Decided::Refused { request, reason });
        }
        let (state, kind) = match decision.verdict {
            Verdict::Approve => (RequestState::Approved, "approval"),
            Verdict::Reject => (RequestState::Rejected, "rejection"),
            Verdict::Refuse => (RequestState::Refused, "refusal"),
        };
        let reason = decision.reason.trim();
        let changed = tx
            .execute(
                "UPDATE requests SET state = ?1, decided_by = ?2, decided_at = ?3, decision_reason = ?4
                 WHERE id = ?5 AND state = 'pending'",
                params![state.as_str(), decision.by, time::to_text(decision.at), non_empty(reason), id.0],
            )
            .map_err(sql(path, "decide request"))?;
        if changed != 1 {
            // The IMMEDIATE transaction read it pending a moment ago; no other writer could run since.
            return Err(corrupt(path, format!("request {id} changed inside a decision's transaction")));
        }
        let mut detail = what(&request);
        detail["requested_by"] = json!(request.requested_by);
        detail["reason"] = json!(reason);
        append_in(&tx, path, audit_entry(&request, decision.at, &decision.by, kind, detail, state.as_str()))?;
        let request =
            select_one(&tx, path, id)?.ok_or_else(|| corrupt(path, format!("request {id} vanished while decided")))?;
        tx.commit().map_err(sql(path, "commit decision"))?;
        Ok(Decided::Changed(request))
    }

    /// Audits a refused attempt on request `id` (`reason` as the caller found it) without deciding
    /// it; an overdue request is marked expired on the way. `None` when there is no such request.
    pub fn record_refusal(
        &mut self,
        id: RequestId,
        decision: &Decision,
        reason: &str,
    ) -> Result<Option<Request>, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin refusal"))?;
        let Some(mut request) = select_one(&tx, path, id)? else {
            return Ok(None);
        };
        if request.is_overdue(decision.at) {
            request = expire_in(&tx, path, request)?;
        }
        append_in(&tx, path, refusal_entry(&request, decision, reason))?;
        tx.commit().map_err(sql(path, "commit refusal"))?;
        Ok(Some(request))
    }

    /// Marks every pending request whose expiry is at or before `now` expired, each with an
    /// `expiry` audit record (in the requester's name: it is their request that lapsed), and
    /// returns them.
    pub fn expire_due(&mut self, now: DateTime<Utc>) -> Result<Vec<Request>, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin expiry"))?;
        let due: Vec<RawRequest> = {
            let mut stmt = tx
                .prepare(&format!("{SELECT} WHERE state = 'pending' AND expires_at <= ?1 ORDER BY id"))
                .map_err(sql(path, "find expired requests"))?;
            let rows = stmt.query_map([time::to_text(now)], raw_request).map_err(sql(path, "find expired requests"))?;
            rows.collect::<Result<_, _>>().map_err(sql(path, "find expired requests"))?
        };
        let mut expired = Vec::with_capacity(due.len());
        for raw in due {
            expired.push(expire_in(&tx, path, raw.into_request(path)?)?);
        }
        tx.commit().map_err(sql(path, "commit expiry"))?;
        Ok(expired)
    }

    /// Links an approved request to the action it runs, as soon as the action is journaled, so
    /// that every console can follow it. `false` if the request is not (or no longer) approved.
    pub fn attach_action(&mut self, id: RequestId, action: ActionId) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("UPDATE requests SET action_id = ?1 WHERE id = ?2 AND state = 'approved'", params![action.0, id.0])
            .map_err(sql(&self.path, "link request to action"))?;
        Ok(n == 1)
    }

    /// Records how an approved request's action ended (`done`, `failed`, or `refused` when it
    /// could not start), with a `request` audit record naming `by` (who ran it). `None` when the
    /// request is not approved: an end is written once.
    pub fn finish_request(
        &mut self,
        id: RequestId,
        end: &RequestEnd,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Request>, StoreError> {
        let path = &self.path;
        if !matches!(end.state, RequestState::Done | RequestState::Failed | RequestState::Refused) {
            return Err(corrupt(path, format!("request {id}: {} is not how an action ends", end.state)));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(path, "begin request end"))?;
        let n = tx
            .execute(
                "UPDATE requests SET state = ?1, decision_reason = ?2, action_id = COALESCE(?3, action_id)
                 WHERE id = ?4 AND state = 'approved'",
                params![end.state.as_str(), non_empty(&end.reason), end.action_id.map(|a| a.0), id.0],
            )
            .map_err(sql(path, "end request"))?;
        if n == 0 {
            return Ok(None);
        }
        let request =
            select_one(&tx, path, id)?.ok_or_else(|| corrupt(path, format!("request {id} vanished while ended")))?;
        let detail = json!({
            "request": id.0,
            "requested_by": request.requested_by,
            "action_id": request.action_id.map(|a| a.0),
            "reason": end.reason,
        });
        append_in(&tx, path, audit_entry(&request, at, by, "request", detail, end.state.as_str()))?;
        tx.commit().map_err(sql(path, "commit request end"))?;
        Ok(Some(request))
    }
}

/// Why `decision` may not be applied to `request`, if it may not.
fn refusal(request: &Request, decision: &Decision) -> Option<String> {
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

/// `None` for empty text: an approval without a reason, an action that ended as asked.
fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}

/// The `refusal` record of an attempt that did not change the request.
fn refusal_entry(request: &Request, decision: &Decision, reason: &str) -> AuditEntry {
    let detail = json!({
        "request": request.id.0,
        "attempt": decision.verdict.attempt(),
        "state": request.state.as_str(),
        "requested_by": request.requested_by,
        "reason": reason,
    });
    audit_entry(request, decision.at, &decision.by, "refusal", detail, "refused")
}

/// Marks a pending `request` expired inside the caller's transaction, with its audit record.
fn expire_in(tx: &Transaction<'_>, path: &Path, request: Request) -> Result<Request, StoreError> {
    tx.execute(
        "UPDATE requests SET state = 'expired', decided_at = expires_at WHERE id = ?1 AND state = 'pending'",
        [request.id.0],
    )
    .map_err(sql(path, "expire request"))?;
    let mut detail = what(&request);
    detail["expires_at"] = json!(time::to_text(request.expires_at));
    // The record's time is the expiry itself, whenever it is noticed: the chain's order is the
    // order of appending, and `at` says when it happened.
    let entry = audit_entry(&request, request.expires_at, &request.requested_by, "expiry", detail, "expired");
    append_in(tx, path, entry)?;
    select_one(tx, path, request.id)?.ok_or_else(|| corrupt(path, format!("request {} vanished", request.id)))
}

/// What a request asks for, as its audit records describe it.
fn what(request: &Request) -> serde_json::Value {
    json!({
        "request": request.id.0,
        "action": request.kind,
        "from": request.from.as_ref().map(|f| json!({"tag": f.tag, "digest": f.digest})),
        "to": {"tag": request.to.tag, "digest": request.to.digest},
        "hosts": request.hosts,
    })
}

fn audit_entry(
    request: &Request,
    at: DateTime<Utc>,
    user: &str,
    kind: &str,
    detail: serde_json::Value,
    outcome: &str,
) -> AuditEntry {
    AuditEntry { at, user: user.into(), kind: kind.into(), subject: request.subject(), detail, outcome: outcome.into() }
}

fn select_one(conn: &Connection, path: &Path, id: RequestId) -> Result<Option<Request>, StoreError> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id.0], raw_request)
        .optional()
        .map_err(sql(path, "read request"))?
        .map(|raw| raw.into_request(path))
        .transpose()
}

/// A row as stored; parsed in [`RawRequest::into_request`], where a bad value is reported.
struct RawRequest {
    id: i64,
    created_at: String,
    expires_at: String,
    requested_by: String,
    kind: String,
    service: String,
    env: String,
    from_tag: Option<String>,
    from_digest: Option<String>,
    to_tag: String,
    to_digest: String,
    hosts: String,
    reason: String,
    plan: String,
    state: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_reason: Option<String>,
    action_id: Option<i64>,
}

fn raw_request(r: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok(RawRequest {
        id: r.get(0)?,
        created_at: r.get(1)?,
        expires_at: r.get(2)?,
        requested_by: r.get(3)?,
        kind: r.get(4)?,
        service: r.get(5)?,
        env: r.get(6)?,
        from_tag: r.get(7)?,
        from_digest: r.get(8)?,
        to_tag: r.get(9)?,
        to_digest: r.get(10)?,
        hosts: r.get(11)?,
        reason: r.get(12)?,
        plan: r.get(13)?,
        state: r.get(14)?,
        decided_by: r.get(15)?,
        decided_at: r.get(16)?,
        decision_reason: r.get(17)?,
        action_id: r.get(18)?,
    })
}

impl RawRequest {
    fn into_request(self, path: &Path) -> Result<Request, StoreError> {
        let id = self.id;
        let bad = |what: String| corrupt(path, format!("request {id}: {what}"));
        let from = match (self.from_tag, self.from_digest) {
            (Some(tag), Some(digest)) => Some(ImageRef { tag, digest }),
            (None, None) => None,
            _ => return Err(bad("from has a tag or a digest but not both".into())),
        };
        Ok(Request {
            id: RequestId(id),
            created_at: time::from_text(path, "requests.created_at", &self.created_at)?,
            expires_at: time::from_text(path, "requests.expires_at", &self.expires_at)?,
            requested_by: self.requested_by,
            kind: self.kind,
            service: self.service,
            env: self.env,
            from,
            to: ImageRef { tag: self.to_tag, digest: self.to_digest },
            hosts: serde_json::from_str(&self.hosts).map_err(|e| bad(format!("hosts: {e}")))?,
            reason: self.reason,
            plan: serde_json::from_str(&self.plan).map_err(|e| bad(format!("plan: {e}")))?,
            state: RequestState::parse(&self.state).ok_or_else(|| bad(format!("unknown state {:?}", self.state)))?,
            decided_by: self.decided_by,
            decided_at: self.decided_at.map(|t| time::from_text(path, "requests.decided_at", &t)).transpose()?,
            decision_reason: self.decision_reason,
            action_id: self.action_id.map(ActionId),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::action;
    use super::*;
    use chrono::Duration;
    use std::sync::{Arc, Barrier};

    /// A fresh store in a folder of its own (mode 0700: the store refuses a folder others can use).
    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    fn new_request(by: &str, now: DateTime<Utc>) -> NewRequest {
        NewRequest {
            created_at: now,
            expires_at: now + Duration::hours(1),
            requested_by: by.into(),
            kind: "promote".into(),
            service: "api".into(),
            env: "prod".into(),
            from: Some(ImageRef { tag: "v1.4.0".into(), digest: "sha256:3f9c2e1".into() }),
            to: ImageRef { tag: "v1.5.0".into(), digest: "sha256:8a1b0c7".into() },
            hosts: vec!["prod-1".into(), "prod-2".into()],
            reason: "release 1.5".into(),
            plan: json!({"steps": ["start", "switch"]}),
        }
    }

    fn decision(verdict: Verdict, by: &str, reason: &str, at: DateTime<Utc>) -> Decision {
        Decision { verdict, by: by.into(), reason: reason.into(), at, approvers: vec!["ann".into(), "bob".into()] }
    }

    fn kinds(store: &Store) -> Vec<(String, String, String)> {
        store.audit(None).unwrap().into_iter().map(|r| (r.entry.kind, r.entry.user, r.entry.outcome)).collect()
    }

    fn triple(kind: &str, user: &str, outcome: &str) -> (String, String, String) {
        (kind.into(), user.into(), outcome.into())
    }

    #[test]
    fn a_filed_request_reads_back_lists_and_is_audited() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let filed = store.create_request(&new_request("ann", now)).unwrap();
        assert_eq!(filed.state, RequestState::Pending);
        assert_eq!(filed.created_at, time::stored(now));
        assert_eq!((filed.decided_by.as_deref(), filed.action_id), (None, None));
        assert_eq!(store.request(filed.id).unwrap(), Some(filed.clone()));
        assert_eq!(store.request(RequestId(99)).unwrap(), None);
        let other = store.create_request(&NewRequest { env: "staging".into(), ..new_request("bob", now) }).unwrap();
        let ids = |f: &RequestFilter| store.requests(f).unwrap().iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&RequestFilter::default()), vec![other.id, filed.id], "newest first");
        assert_eq!(ids(&RequestFilter { env: Some("prod".into()), ..RequestFilter::default() }), vec![filed.id]);
        let rejected = RequestFilter { states: vec![RequestState::Rejected], ..RequestFilter::default() };
        assert!(ids(&rejected).is_empty());
        assert_eq!(ids(&RequestFilter::pending()).len(), 2);
        let audit = store.audit(None).unwrap();
        assert_eq!(audit[0].entry.kind, "request");
        assert_eq!(audit[0].entry.user, "ann");
        assert_eq!(audit[0].entry.subject, "api/prod");
        assert_eq!(audit[0].entry.detail["reason"], "release 1.5");
        assert_eq!(audit[0].entry.detail["to"]["tag"], "v1.5.0");
    }

    #[test]
    fn an_approver_approves_once_and_the_end_is_recorded() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        let Decided::Changed(approved) = store.decide(id, &decision(Verdict::Approve, "bob", "", now)).unwrap() else {
            panic!("not approved")
        };
        assert_eq!((approved.state, approved.decided_by.as_deref()), (RequestState::Approved, Some("bob")));
        let again = store.decide(id, &decision(Verdict::Approve, "bob", "", now)).unwrap();
        assert!(
            matches!(&again, Decided::Refused { reason, .. } if reason.contains("no longer pending: approved by bob"))
        );

        let action = store.journal_begin(&action("promote", "api", "prod")).unwrap();
        assert!(store.attach_action(id, action).unwrap());
        assert_eq!(store.approved_request_for(action).unwrap().map(|r| r.id), Some(id));
        let end = RequestEnd { state: RequestState::Done, action_id: None, reason: String::new() };
        let done = store.finish_request(id, &end, "bob", now).unwrap().unwrap();
        assert_eq!((done.state, done.action_id), (RequestState::Done, Some(action)));
        assert_eq!(store.finish_request(id, &end, "bob", now).unwrap(), None, "an end is written once");
        assert!(!store.attach_action(id, action).unwrap());
        assert_eq!(store.approved_request_for(action).unwrap(), None, "an ended request is not waiting");
        assert_eq!(
            kinds(&store),
            vec![
                triple("request", "ann", "pending"),
                triple("approval", "bob", "approved"),
                triple("refusal", "bob", "refused"),
                triple("request", "bob", "done"),
            ]
        );
        assert!(store.verify_audit().unwrap().is_ok());
    }

    #[test]
    fn nobody_approves_their_own_request() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        let answer = store.decide(id, &decision(Verdict::Approve, "ann", "", now)).unwrap();
        let Decided::Refused { request, reason } = answer else { panic!("approved own request") };
        assert!(reason.contains("nobody approves their own request"), "{reason}");
        assert_eq!(request.state, RequestState::Pending, "a refused attempt changes nothing");
        let refused = store.audit(None).unwrap().pop().unwrap();
        assert_eq!((refused.entry.kind.as_str(), refused.entry.user.as_str()), ("refusal", "ann"));
        assert_eq!(refused.entry.detail["attempt"], "approve");
        // Nor may they make it refused in an approver's place.
        let refuse = store.decide(id, &decision(Verdict::Refuse, "ann", "stale", now)).unwrap();
        assert!(matches!(refuse, Decided::Refused { .. }));
        assert_eq!(store.request(id).unwrap().unwrap().state, RequestState::Pending);
    }

    #[test]
    fn a_refused_attempt_is_audited_without_deciding_anything() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let request = store.create_request(&new_request("ann", now)).unwrap();
        let own = decision(Verdict::Approve, "ann", "", now);
        let why = request.refusal_for(&own).unwrap();
        assert!(why.contains("nobody approves their own request"), "{why}");
        assert_eq!(request.refusal_for(&decision(Verdict::Approve, "bob", "", now)), None);
        let after = store.record_refusal(request.id, &own, &why).unwrap().unwrap();
        assert_eq!(after.state, RequestState::Pending);
        let later = decision(Verdict::Approve, "bob", "", now + Duration::hours(2));
        assert!(request.refusal_for(&later).unwrap().contains("expired at"));
        let after = store.record_refusal(request.id, &later, "expired").unwrap().unwrap();
        assert_eq!(after.state, RequestState::Expired, "marked on the way");
        assert_eq!(store.record_refusal(RequestId(9), &later, "x").unwrap(), None);
        assert_eq!(
            kinds(&store),
            vec![
                triple("request", "ann", "pending"),
                triple("refusal", "ann", "refused"),
                triple("expiry", "ann", "expired"),
                triple("refusal", "bob", "refused"),
            ]
        );
    }

    #[test]
    fn a_non_approver_is_refused_with_the_list() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        for verdict in [Verdict::Approve, Verdict::Reject] {
            let Decided::Refused { reason, request } = store.decide(id, &decision(verdict, "eve", "no", now)).unwrap()
            else {
                panic!("eve decided")
            };
            assert!(reason.contains("eve is not an approver of prod (approvers: ann, bob)"), "{reason}");
            assert_eq!(request.state, RequestState::Pending);
        }
        assert_eq!(store.decide(RequestId(42), &decision(Verdict::Approve, "bob", "", now)).unwrap(), Decided::Unknown);
    }

    #[test]
    fn a_rejection_needs_a_reason_and_a_requester_may_withdraw() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        let Decided::Refused { reason, .. } = store.decide(id, &decision(Verdict::Reject, "bob", "  ", now)).unwrap()
        else {
            panic!("rejected without a reason")
        };
        assert_eq!(reason, "a rejection needs a reason");
        let Decided::Changed(r) = store.decide(id, &decision(Verdict::Reject, "bob", "not on a Friday", now)).unwrap()
        else {
            panic!("not rejected")
        };
        assert_eq!(r.state, RequestState::Rejected);
        assert_eq!(r.decision_reason.as_deref(), Some("not on a Friday"));
        let rejection = store.audit(None).unwrap().pop().unwrap();
        assert_eq!((rejection.entry.kind.as_str(), rejection.entry.outcome.as_str()), ("rejection", "rejected"));
        assert_eq!(rejection.entry.detail["reason"], "not on a Friday");

        let mine = store.create_request(&new_request("carol", now)).unwrap().id;
        let withdrawn = store.decide(mine, &decision(Verdict::Reject, "carol", "wrong tag", now)).unwrap();
        assert!(matches!(withdrawn, Decided::Changed(r) if r.state == RequestState::Rejected));
    }

    #[test]
    fn an_expired_request_is_marked_and_cannot_be_approved() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let id = store.create_request(&new_request("ann", now)).unwrap().id;
        let later = now + Duration::hours(2);
        let Decided::Refused { request, reason } =
            store.decide(id, &decision(Verdict::Approve, "bob", "", later)).unwrap()
        else {
            panic!("approved after expiry")
        };
        assert_eq!(request.state, RequestState::Expired);
        assert_eq!(request.decided_at, Some(request.expires_at));
        assert!(reason.contains("expired at"), "{reason}");
        let tail: Vec<_> = kinds(&store).into_iter().skip(1).collect();
        assert_eq!(tail, vec![triple("expiry", "ann", "expired"), triple("refusal", "bob", "refused")]);
    }

    #[test]
    fn expire_due_marks_only_what_is_due() {
        let (_dir, mut store) = temp_store();
        let now = Utc::now();
        let due = store.create_request(&NewRequest { expires_at: now, ..new_request("ann", now) }).unwrap().id;
        let fresh = store.create_request(&new_request("ann", now)).unwrap().id;
        let expired = store.expire_due(now).unwrap();
        assert_eq!(expired.iter().map(|r| (r.id, r.state)).collect::<Vec<_>>(), vec![(due, RequestState::Expired)]);
        assert!(store.expire_due(now).unwrap().is_empty(), "expired once");
        assert_eq!(store.request(fresh).unwrap().unwrap().state, RequestState::Pending);
        assert!(!store.request(due).unwrap().unwrap().is_overdue(now), "expired is no longer overdue");
    }

    #[test]
    fn two_approvers_at_once_decide_it_once() {
        let (dir, mut store) = temp_store();
        let path = dir.path().join("state.db");
        for round in 0..20 {
            let now = Utc::now();
            let id = store.create_request(&new_request("ann", now)).unwrap().id;
            let barrier = Arc::new(Barrier::new(2));
            let threads: Vec<_> = [(Verdict::Approve, "bob"), (Verdict::Reject, "carol")]
                .into_iter()
                .map(|(verdict, by)| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let mut store = Store::open(&path).unwrap();
                        let d = Decision {
                            verdict,
                            by: by.into(),
                            reason: "no".into(),
                            at: now,
                            approvers: vec!["bob".into(), "carol".into()],
                        };
                        barrier.wait();
                        store.decide(id, &d).unwrap()
                    })
                })
                .collect();
            let answers: Vec<Decided> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let changed: Vec<&Request> =
                answers.iter().filter_map(|a| if let Decided::Changed(r) = a { Some(r) } else { None }).collect();
            assert_eq!(changed.len(), 1, "round {round}: {answers:?}");
            let refused = answers.iter().find(|a| matches!(a, Decided::Refused { .. })).unwrap();
            let Decided::Refused { reason, .. } = refused else { unreachable!() };
            let winner = changed[0].decided_by.clone().unwrap();
            assert!(reason.contains(&format!("by {winner}")), "{reason}");
            assert_eq!(store.request(id).unwrap().unwrap().decided_by, Some(winner));
        }
        assert!(store.verify_audit().unwrap().is_ok());
    }
}
