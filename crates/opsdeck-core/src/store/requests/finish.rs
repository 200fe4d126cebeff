//! After an approval: linking the request to the action it runs, and recording how that action ended.

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};
use serde_json::json;

use super::super::audit::append_in;
use super::super::error::{corrupt, sql, StoreError};
use super::super::journal::ActionId;
use super::super::Store;
use super::decide::non_empty;
use super::decision::RequestEnd;
use super::model::{Request, RequestId, RequestState};
use super::rows::select_one;
use super::trail::audit_entry;

impl Store {
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
