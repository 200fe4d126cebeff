//! A `requests` row: the columns selected, reading one, and parsing it into a [`Request`].

use rusqlite::{Connection, OptionalExtension, Row};
use std::path::Path;

use super::super::columns::{json, RawImages};
use super::super::error::{corrupt, sql, StoreError};
use super::super::journal::ActionId;
use super::super::time;
use super::model::{Request, RequestId, RequestState};

pub(super) const SELECT: &str =
    "SELECT id, created_at, expires_at, requested_by, kind, service, env, from_tag, from_digest,
    to_tag, to_digest, hosts, reason, plan, state, decided_by, decided_at, decision_reason, action_id FROM requests";

pub(super) fn select_one(conn: &Connection, path: &Path, id: RequestId) -> Result<Option<Request>, StoreError> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id.0], raw_request)
        .optional()
        .map_err(sql(path, "read request"))?
        .map(|raw| raw.into_request(path))
        .transpose()
}

/// A row as stored; parsed in [`RawRequest::into_request`], where a bad value is reported.
pub(super) struct RawRequest {
    id: i64,
    created_at: String,
    expires_at: String,
    requested_by: String,
    kind: String,
    service: String,
    env: String,
    images: RawImages,
    hosts: String,
    reason: String,
    plan: String,
    state: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_reason: Option<String>,
    action_id: Option<i64>,
}

pub(super) fn raw_request(r: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok(RawRequest {
        id: r.get(0)?,
        created_at: r.get(1)?,
        expires_at: r.get(2)?,
        requested_by: r.get(3)?,
        kind: r.get(4)?,
        service: r.get(5)?,
        env: r.get(6)?,
        images: RawImages::read(r, 7)?,
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
    pub(super) fn into_request(self, path: &Path) -> Result<Request, StoreError> {
        let id = self.id;
        let bad = |what: String| corrupt(path, format!("request {id}: {what}"));
        let (from, to) = self.images.parse(bad)?;
        Ok(Request {
            id: RequestId(id),
            created_at: time::from_text(path, "requests.created_at", &self.created_at)?,
            expires_at: time::from_text(path, "requests.expires_at", &self.expires_at)?,
            requested_by: self.requested_by,
            kind: self.kind,
            service: self.service,
            env: self.env,
            from,
            to,
            hosts: json("hosts", &self.hosts, bad)?,
            reason: self.reason,
            plan: json("plan", &self.plan, bad)?,
            state: RequestState::parse(&self.state).ok_or_else(|| bad(format!("unknown state {:?}", self.state)))?,
            decided_by: self.decided_by,
            decided_at: self.decided_at.map(|t| time::from_text(path, "requests.decided_at", &t)).transpose()?,
            decision_reason: self.decision_reason,
            action_id: self.action_id.map(ActionId),
        })
    }
}
