//! Deciding a pending request: approval, rejection or refusal, a refused attempt, and expiry, each
//! with its audit record in the same IMMEDIATE transaction.

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction, TransactionBehavior};
use serde_json::json;
use std::path::Path;

use super::super::audit::append_in;
use super::super::error::{corrupt, sql, StoreError};
use super::super::{time, Store};
use super::decision::{refusal, Decided, Decision, Verdict};
use super::model::{Request, RequestId, RequestState};
use super::rows::{raw_request, select_one, RawRequest, SELECT};
use super::trail::{audit_entry, refusal_entry, what};

impl Store {
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
}

/// `None` for empty text: an approval without a reason, an action that ended as asked.
pub(super) fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}

/// Marks a pending `request` expired inside the caller's transaction, with its audit record.
pub(super) fn expire_in(tx: &Transaction<'_>, path: &Path, request: Request) -> Result<Request, StoreError> {
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
