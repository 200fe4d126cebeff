//! How far the audit chain is anchored in the registry: the last anchored record, when, and why
//! the last push failed. A group member can change this row; that only changes what is pushed
//! next (at worst, anchors again), never what `audit verify` compares against.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::audit::{stored_row, SELECT};
use super::error::{corrupt, sql, StoreError};
use super::{time, Store};

/// The row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorState {
    /// The last record anchored (0: none yet).
    pub seq: u64,
    pub tag: String,
    pub pushed_at: Option<DateTime<Utc>>,
    pub tried_at: Option<DateTime<Utc>>,
    /// Why the last push failed.
    pub error: Option<String>,
    /// The chain's head now: how many records there are.
    pub head: u64,
}

impl AnchorState {
    /// Records not anchored yet.
    pub fn behind(&self) -> u64 {
        self.head.saturating_sub(self.seq)
    }
}

impl Store {
    pub fn anchor_state(&self) -> Result<AnchorState, StoreError> {
        let path = &self.path;
        let op = "read the anchor state";
        let row: (i64, String, Option<String>, Option<String>, Option<String>) = self
            .conn
            .query_row("SELECT seq, tag, pushed_at, tried_at, error FROM audit_anchor WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(sql(path, op))?;
        let head: i64 =
            self.conn.query_row("SELECT seq FROM audit_head WHERE id = 1", [], |r| r.get(0)).map_err(sql(path, op))?;
        let when = |t: Option<String>| t.map(|t| time::from_text(path, "audit_anchor", &t)).transpose();
        Ok(AnchorState {
            seq: u64::try_from(row.0).map_err(|_| corrupt(path, "anchor seq is negative"))?,
            tag: row.1,
            pushed_at: when(row.2)?,
            tried_at: when(row.3)?,
            error: row.4,
            head: u64::try_from(head).unwrap_or(0),
        })
    }

    /// `(seq, hash)` of the records after `after`, at most `limit`, in chain order.
    pub fn audit_hashes_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        let path = &self.path;
        let op = "read audit hashes";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let mut stmt =
            self.conn.prepare(&format!("{SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2")).map_err(sql(path, op))?;
        let rows = stmt.query_map(params![after, limit], stored_row).map_err(sql(path, op))?;
        rows.map(|r| r.map_err(sql(path, op)).map(|row| (u64::try_from(row.seq).unwrap_or(0), row.hash))).collect()
    }

    /// The stored hash of record `seq`, if there is one.
    pub fn audit_hash_at(&self, seq: u64) -> Result<Option<String>, StoreError> {
        let path = &self.path;
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        self.conn
            .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()
            .map_err(sql(path, "read an audit hash"))
    }

    /// Records that the chain is anchored up to `seq` (never moves back).
    pub fn anchored(&mut self, seq: u64, hash: &str, tag: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "UPDATE audit_anchor SET seq = ?1, hash = ?2, tag = ?3, pushed_at = ?4, tried_at = ?4, error = NULL
                 WHERE id = 1 AND seq < ?1",
                params![seq, hash, tag, time::to_text(at)],
            )
            .map_err(sql(&self.path, "record an anchor"))?;
        Ok(())
    }

    /// Records that a push failed, and why (no secret in `error`: it is shown by doctor).
    pub fn anchor_failed(&mut self, error: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE audit_anchor SET tried_at = ?1, error = ?2 WHERE id = 1",
                params![time::to_text(at), error],
            )
            .map_err(sql(&self.path, "record an anchor failure"))?;
        Ok(())
    }
}
