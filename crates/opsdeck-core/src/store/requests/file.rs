//! Filing a request: the pending row and its `request` audit record, in one transaction.

use rusqlite::{params, TransactionBehavior};
use serde_json::json;

use super::super::audit::append_in;
use super::super::error::{corrupt, sql, StoreError};
use super::super::{time, Store};
use super::model::{NewRequest, Request, RequestId};
use super::rows::select_one;
use super::trail::{audit_entry, what};

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
}
