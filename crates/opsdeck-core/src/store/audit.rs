//! The audit trail: appending records to the hash chain, reading them back, exporting JSON lines.
//!
//! Records hold what callers give them. Nothing secret may be passed (no environment variable
//! values, tokens or passwords): the trail is readable by every user of the bastion and is exported.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

use super::chain::{canonical_json, record_hash, Fields};
use super::error::{corrupt, sql, StoreError};
use super::{time, Store};

/// What happened, as a caller reports it. All text must already be free of secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user: String,
    /// e.g. "action", "step", "lock_break", "refusal", "request", "approval".
    pub kind: String,
    /// What it was about, e.g. "api/prod".
    pub subject: String,
    pub detail: serde_json::Value,
    /// e.g. "succeeded", "failed", "refused", "broken".
    pub outcome: String,
}

/// An entry as the chain holds it: its place (`seq`, from 1) and the hashes that link it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl Store {
    /// Appends `entry` to the chain. Serialized across processes: an IMMEDIATE transaction reads the
    /// chain's head, so no two appends link to the same record. `at` is kept to the microsecond.
    pub fn append_audit(&mut self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin audit"))?;
        let record = append_in(&tx, path, entry)?;
        tx.commit().map_err(sql(path, "commit audit"))?;
        Ok(record)
    }

    /// Records in chain order, those at or after `since` if given.
    pub fn audit(&self, since: Option<DateTime<Utc>>) -> Result<Vec<AuditRecord>, StoreError> {
        let path = &self.path;
        let op = "read audit trail";
        let mut stmt = self.conn.prepare(&format!("{SELECT} WHERE at >= ?1 ORDER BY seq")).map_err(sql(path, op))?;
        // The empty string sorts before every stored time.
        let from = since.map(time::to_text).unwrap_or_default();
        let rows = stmt.query_map([from], stored_row).map_err(sql(path, op))?;
        rows.map(|r| r.map_err(sql(path, op)).and_then(|row| row.into_record(path))).collect()
    }

    /// Writes the whole trail as JSON lines, in chain order, `detail` exactly as hashed (see
    /// [`super::chain`] for how to check it elsewhere). Returns how many records were written.
    pub fn export_jsonl(&self, mut out: impl Write) -> Result<u64, StoreError> {
        let path = &self.path;
        let op = "export audit trail";
        let mut stmt = self.conn.prepare(&format!("{SELECT} ORDER BY seq")).map_err(sql(path, op))?;
        let rows = stmt.query_map([], stored_row).map_err(sql(path, op))?;
        let mut n = 0;
        for row in rows {
            let line = row.map_err(sql(path, op))?.json_line();
            out.write_all(line.as_bytes()).map_err(|source| StoreError::Export { path: path.clone(), source })?;
            n += 1;
        }
        out.flush().map_err(|source| StoreError::Export { path: path.clone(), source })?;
        Ok(n)
    }
}

impl Store {
    /// The last `limit` records, in chain order (oldest of them first), the journal's own records
    /// left out: what the console's Audit view shows, read without walking the whole trail.
    pub fn audit_tail(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let path = &self.path;
        let op = "read the end of the audit trail";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let query = format!("{SELECT} WHERE kind != ?2 ORDER BY seq DESC LIMIT ?1");
        let mut stmt = self.conn.prepare(&query).map_err(sql(path, op))?;
        let rows = stmt.query_map(params![limit, super::journal_chain::KIND], stored_row).map_err(sql(path, op))?;
        let mut records = rows
            .map(|r| r.map_err(sql(path, op)).and_then(|row| row.into_record(path)))
            .collect::<Result<Vec<_>, _>>()?;
        records.reverse();
        Ok(records)
    }
}

/// Appends inside the caller's IMMEDIATE transaction, so a record can commit together with the
/// change it describes (a broken lock, say).
pub(crate) fn append_in(tx: &Transaction<'_>, path: &Path, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
    let (head_seq, prev_hash): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(sql(path, "read audit head"))?
        .ok_or_else(|| corrupt(path, "the audit head is missing"))?;
    let seq = head_seq + 1;
    let at = time::to_text(entry.at);
    let detail = canonical_json(&entry.detail);
    let fields = Fields {
        seq,
        at: &at,
        user: &entry.user,
        kind: &entry.kind,
        subject: &entry.subject,
        detail: &detail,
        outcome: &entry.outcome,
    };
    let hash = record_hash(&prev_hash, &fields);
    tx.execute(
        "INSERT INTO audit (seq, at, user, kind, subject, detail, outcome, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, at, entry.user, entry.kind, entry.subject, detail, entry.outcome, prev_hash, hash],
    )
    .map_err(sql(path, "append audit record"))?;
    tx.execute("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1", params![seq, hash])
        .map_err(sql(path, "move audit head"))?;
    let seq = u64::try_from(seq).map_err(|_| corrupt(path, format!("audit head seq {head_seq} is negative")))?;
    Ok(AuditRecord { seq, entry: AuditEntry { at: time::stored(entry.at), ..entry }, prev_hash, hash })
}

pub(crate) const SELECT: &str = "SELECT seq, at, user, kind, subject, detail, outcome, prev_hash, hash FROM audit";

/// A record exactly as stored, before any parsing: what the chain hashes and `verify` checks.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub seq: i64,
    pub at: String,
    pub user: String,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

pub(crate) fn stored_row(r: &Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        seq: r.get(0)?,
        at: r.get(1)?,
        user: r.get(2)?,
        kind: r.get(3)?,
        subject: r.get(4)?,
        detail: r.get(5)?,
        outcome: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

impl StoredRow {
    /// The hashed fields, with `seq` as given (verify tries other places for a moved record).
    pub(crate) fn fields_at(&self, seq: i64) -> Fields<'_> {
        Fields {
            seq,
            at: &self.at,
            user: &self.user,
            kind: &self.kind,
            subject: &self.subject,
            detail: &self.detail,
            outcome: &self.outcome,
        }
    }

    pub(crate) fn into_record(self, path: &Path) -> Result<AuditRecord, StoreError> {
        let seq = u64::try_from(self.seq).map_err(|_| corrupt(path, format!("audit seq {} is negative", self.seq)))?;
        let detail = serde_json::from_str(&self.detail)
            .map_err(|e| corrupt(path, format!("audit record {seq}: detail is not JSON ({e})")))?;
        Ok(AuditRecord {
            seq,
            entry: AuditEntry {
                at: time::from_text(path, "audit.at", &self.at)?,
                user: self.user,
                kind: self.kind,
                subject: self.subject,
                detail,
                outcome: self.outcome,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }

    /// One export line. `detail` goes out byte for byte when it is the canonical JSON that was
    /// hashed; anything else (a hand edit) goes out as a JSON string, so the line stays one valid
    /// JSON object and an outside check fails on that record, as it should.
    fn json_line(&self) -> String {
        let canonical = serde_json::from_str(&self.detail).is_ok_and(|v| canonical_json(&v) == self.detail);
        let detail =
            if canonical { self.detail.clone() } else { serde_json::Value::from(self.detail.as_str()).to_string() };
        let s = |v: &str| serde_json::Value::from(v).to_string();
        format!(
            "{{\"seq\":{},\"at\":{},\"user\":{},\"kind\":{},\"subject\":{},\"detail\":{},\"outcome\":{},\"prev_hash\":{},\"hash\":{}}}\n",
            self.seq,
            s(&self.at),
            s(&self.user),
            s(&self.kind),
            s(&self.subject),
            detail,
            s(&self.outcome),
            s(&self.prev_hash),
            s(&self.hash)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::GENESIS_HASH;
    use super::super::test_util::{entry, temp_store};
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_link_each_record_to_the_one_before() {
        let (_dir, mut store) = temp_store();
        let a = store.append_audit(entry("ann", "promote")).unwrap();
        let b = store.append_audit(entry("bob", "rollback")).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(a.prev_hash, GENESIS_HASH);
        assert_eq!(b.prev_hash, a.hash);
        assert_eq!(store.audit(None).unwrap(), vec![a.clone(), b.clone()]);
    }

    #[test]
    fn the_tail_is_the_last_records_in_chain_order() {
        let (_dir, mut store) = temp_store();
        assert!(store.audit_tail(3).unwrap().is_empty());
        for i in 0..5 {
            store.append_audit(entry("ann", &format!("k{i}"))).unwrap();
        }
        let seqs: Vec<u64> = store.audit_tail(3).unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(store.audit_tail(50).unwrap(), store.audit(None).unwrap());
    }

    #[test]
    fn since_filters_by_time() {
        let (_dir, mut store) = temp_store();
        let t0 = Utc::now();
        let old = AuditEntry { at: t0 - chrono::Duration::hours(2), ..entry("ann", "old") };
        store.append_audit(old).unwrap();
        let new = store.append_audit(AuditEntry { at: t0, ..entry("ann", "new") }).unwrap();
        assert_eq!(store.audit(Some(t0 - chrono::Duration::hours(1))).unwrap(), vec![new]);
        assert_eq!(store.audit(None).unwrap().len(), 2);
    }

    #[test]
    fn the_table_refuses_update_and_delete() {
        let (dir, mut store) = temp_store();
        store.append_audit(entry("ann", "promote")).unwrap();
        let raw = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        let err = raw.execute("UPDATE audit SET user = 'mallory'", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        assert!(raw.execute("DELETE FROM audit", []).is_err());
        assert!(raw.execute("DELETE FROM audit_head", []).is_err());
        assert!(raw.execute("UPDATE audit_head SET seq = 0", []).is_err());
        let forged = raw.execute("INSERT INTO audit VALUES (5, 'x', 'mallory', 'k', 's', '{}', 'o', 'p', 'h')", []);
        assert!(forged.is_err(), "an insert off the head is refused");
        assert_eq!(store.audit(None).unwrap().len(), 1);
    }

    #[test]
    fn export_writes_one_json_object_per_line_with_the_hashes() {
        let (_dir, mut store) = temp_store();
        let detail = json!({"z": 1, "a": {"to": "v1.5.0", "from": "v1.4.0"}});
        let rec = store.append_audit(AuditEntry { detail: detail.clone(), ..entry("ann", "promote") }).unwrap();
        store.append_audit(entry("bob", "rollback")).unwrap();
        let mut out = Vec::new();
        assert_eq!(store.export_jsonl(&mut out).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["seq"], 1);
        assert_eq!(first["detail"], detail);
        assert_eq!(first["hash"], rec.hash.as_str());
        assert!(lines[0].contains(r#""detail":{"a":{"from":"v1.4.0","to":"v1.5.0"},"z":1}"#), "{}", lines[0]);
        // The exported line carries everything needed to recompute its hash.
        let parsed: AuditRecord = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(parsed, rec);
    }

    #[test]
    fn eight_threads_appending_at_once_make_one_unbroken_chain() {
        let (dir, _store) = temp_store();
        let path = dir.path().join("state.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    barrier.wait();
                    (0..50)
                        .map(|i| store.append_audit(entry(&format!("user{t}"), &format!("{i}"))).unwrap().seq)
                        .count()
                })
            })
            .collect();
        let appended: usize = threads.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(appended, 400);
        let mut store = Store::open(&path).unwrap();
        let seqs: Vec<u64> = store.audit(None).unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=400).collect::<Vec<u64>>());
        let report = store.verify_audit().unwrap();
        assert!(report.is_ok(), "{report}");
        assert_eq!(report.records, 400);
    }
}
