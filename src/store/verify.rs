//! Checking the audit chain, and naming the first record that is wrong and how.
//!
//! The walk is one pass in seq order. Only when a record fails does a second pass look at the
//! others, to tell a changed record from one that was moved, or one renumbered because a record
//! before it was deleted or inserted. What it cannot catch: someone who rewrites the whole chain and
//! its head with the recipe in [`super::chain`]. Exported copies kept elsewhere catch that.

use rusqlite::OptionalExtension;
use std::fmt;

use super::audit::{stored_row, StoredRow, SELECT};
use super::chain::record_hash;
use super::error::{sql, StoreError};
use super::schema::GENESIS_HASH;
use super::Store;

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many records the trail holds.
    pub records: u64,
    /// The first thing wrong, or `None` when the chain is intact.
    pub problem: Option<AuditProblem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => write!(f, "audit trail intact: {} records", self.records),
            Some(p) => write!(f, "audit trail broken: {p}"),
        }
    }
}

/// The first bad record: its seq, what kind of tampering it shows, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProblem {
    pub seq: i64,
    pub kind: ProblemKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A field of the record was changed.
    Changed,
    /// The record is missing (cut out, or cut from the end).
    Deleted,
    /// The record is not one the chain ever held.
    Inserted,
    /// The record holds another record's content or place.
    Reordered,
    /// The chain's head (last seq and hash) is gone, so cuts from the end cannot be ruled out.
    HeadMissing,
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ProblemKind::Changed => "changed",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::HeadMissing => "head missing",
        };
        write!(f, "record {}: {kind}: {}", self.seq, self.detail)
    }
}

fn problem(seq: i64, kind: ProblemKind, detail: impl Into<String>) -> AuditProblem {
    AuditProblem { seq, kind, detail: detail.into() }
}

impl Store {
    /// Walks the chain from the first record: seqs must run 1, 2, 3…, each record's hash must match
    /// its fields and the hash before it, and the last must be the recorded head. Tampering is a
    /// report, not an error; errors are for a store that cannot be read.
    pub fn verify_audit(&mut self) -> Result<VerifyReport, StoreError> {
        let path = &self.path;
        let op = "verify audit trail";
        // One read transaction: every pass sees the same snapshot while others append.
        let tx = self.conn.transaction().map_err(sql(path, op))?;
        let head: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sql(path, op))?;
        let (records, max_seq): (i64, i64) = tx
            .query_row("SELECT count(*), coalesce(max(seq), 0) FROM audit", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql(path, op))?;
        let mut stmt = tx.prepare(&format!("{SELECT} ORDER BY seq")).map_err(sql(path, op))?;

        let mut walk = Walk { head: head.clone(), expected_seq: 1, expected_prev: GENESIS_HASH.into(), last: None };
        let mut broken = None;
        let mut found = None;
        for row in stmt.query_map([], stored_row).map_err(sql(path, op))? {
            match walk.step(row.map_err(sql(path, op))?) {
                Ok(()) => {}
                Err(Finding::Problem(p)) => {
                    found = Some(p);
                    break;
                }
                Err(Finding::Broken(row)) => {
                    broken = Some(row);
                    break;
                }
            }
        }
        if let Some(row) = broken {
            let others = stmt.query_map([], stored_row).map_err(sql(path, op))?;
            found = Some(classify(&row, max_seq.max(head.map_or(0, |h| h.0)), others).map_err(sql(path, op))?);
        } else if found.is_none() {
            found = walk.finish();
        }
        Ok(VerifyReport { records: records.max(0) as u64, problem: found })
    }
}

enum Finding {
    Problem(AuditProblem),
    /// The record's hash does not match its fields at its seq: needs a look at the others.
    Broken(Box<StoredRow>),
}

/// The state of the one pass in seq order.
struct Walk {
    head: Option<(i64, String)>,
    expected_seq: i64,
    expected_prev: String,
    /// The last good record's seq and hash.
    last: Option<(i64, String)>,
}

impl Walk {
    fn step(&mut self, r: StoredRow) -> Result<(), Finding> {
        if let Some((head_seq, _)) = &self.head {
            if r.seq > *head_seq {
                let d = format!("it lies past the head of the chain (record {head_seq})");
                return Err(Finding::Problem(problem(r.seq, ProblemKind::Inserted, d)));
            }
        }
        if r.seq < self.expected_seq {
            let d = format!("seq {} comes before the chain starts at 1", r.seq);
            return Err(Finding::Problem(problem(r.seq, ProblemKind::Inserted, d)));
        }
        if r.seq > self.expected_seq {
            let gap = match r.seq - self.expected_seq {
                1 => "it is missing".to_string(),
                _ => format!("it and the records up to {} are missing", r.seq - 1),
            };
            return Err(Finding::Problem(problem(self.expected_seq, ProblemKind::Deleted, gap)));
        }
        if record_hash(&r.prev_hash, &r.fields_at(r.seq)) != r.hash {
            return Err(Finding::Broken(Box::new(r)));
        }
        if r.prev_hash != self.expected_prev {
            // This record is self-consistent but does not link to the one before it, which was
            // also self-consistent: that one was rewritten and its hash recomputed.
            return Err(Finding::Problem(match &self.last {
                Some((seq, _)) => problem(
                    *seq,
                    ProblemKind::Changed,
                    format!("its hash was recomputed: record {} links to a different hash", r.seq),
                ),
                None => problem(r.seq, ProblemKind::Changed, "the first record does not link to the chain's start"),
            }));
        }
        self.expected_seq = r.seq + 1;
        self.expected_prev = r.hash.clone();
        self.last = Some((r.seq, r.hash));
        Ok(())
    }

    /// After the last record: it must be the head.
    fn finish(self) -> Option<AuditProblem> {
        let last_seq = self.last.as_ref().map_or(0, |l| l.0);
        match (self.head, self.last) {
            (None, _) => Some(problem(last_seq, ProblemKind::HeadMissing, "the chain's head record is gone")),
            (Some((head_seq, _)), _) if head_seq > last_seq => {
                let d =
                    format!("the chain ends at {last_seq} but its head says {head_seq}: records were cut from the end");
                Some(problem(last_seq + 1, ProblemKind::Deleted, d))
            }
            (Some((_, head_hash)), Some((seq, hash))) if head_hash != hash => Some(problem(
                seq,
                ProblemKind::Changed,
                "its hash was recomputed: it differs from the one the chain's head recorded",
            )),
            _ => None,
        }
    }
}

/// Names what happened to `r`, whose hash does not match its fields at its own seq, by trying its
/// content at other places: `others` reads every record again, `max_seq` the highest seq the chain knew.
/// Every record before `r` passed the walk, so they sit where they were written.
fn classify(
    r: &StoredRow,
    max_seq: i64,
    others: impl Iterator<Item = rusqlite::Result<StoredRow>>,
) -> rusqlite::Result<AuditProblem> {
    let verifies_at = |row: &StoredRow, content: &StoredRow, seq: i64| {
        record_hash(&row.prev_hash, &content.fields_at(seq)) == row.hash
    };
    // Where r, hashes and all, would verify: the place it was written at.
    let home = (1..=max_seq).filter(|&s| s != r.seq).find(|&s| verifies_at(r, r, s));
    let mut content_of = None;
    let mut original_here = None;
    for o in others {
        let o = o?;
        if o.seq == r.seq {
            continue;
        }
        // r's fields, in o's place, verify against o's hashes: fields were moved, hashes stayed.
        if content_of.is_none() && verifies_at(&o, r, o.seq) {
            content_of = Some(o.seq);
        }
        // o, hashes and all, was written at r's place: the record that belongs here still exists.
        if original_here.is_none() && verifies_at(&o, &o, r.seq) {
            original_here = Some(o.seq);
        }
    }
    let seq = r.seq;
    Ok(match (home, original_here, content_of) {
        (Some(from), Some(now_at), _) if from > seq => problem(
            seq,
            ProblemKind::Reordered,
            format!("it was written as record {from}; the record written here is now at {now_at}"),
        ),
        (Some(from), None, _) if from > seq => problem(
            seq,
            ProblemKind::Deleted,
            format!("it is missing: record {from} was renumbered down into its place"),
        ),
        // Written at an earlier place, where the walk found another, intact record: that one is new.
        (Some(from), _, _) => problem(
            from,
            ProblemKind::Inserted,
            format!("it (and any up to {}) was inserted: the original record {from} was renumbered to {seq}", seq - 1),
        ),
        (None, _, Some(from)) => problem(seq, ProblemKind::Reordered, format!("it holds the content of record {from}")),
        (None, _, None) => {
            problem(seq, ProblemKind::Changed, "its hash does not match its fields: a field was changed")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::chain::Fields;
    use super::super::test_util::{entry, temp_store};
    use super::*;
    use rusqlite::Connection;

    /// A store with five records, and a raw connection to its file with the guards dropped, as an
    /// attacker with write access and the sqlite3 shell would have.
    fn five_records_and_an_attacker() -> (tempfile::TempDir, Store, Connection) {
        let (dir, mut store) = temp_store();
        for i in 1..=5 {
            store.append_audit(entry(&format!("user{i}"), &format!("action {i}"))).unwrap();
        }
        let report = store.verify_audit().unwrap();
        assert_eq!(report, VerifyReport { records: 5, problem: None });
        let raw = Connection::open(dir.path().join("state.db")).unwrap();
        raw.execute_batch(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_append_at_head;
             DROP TRIGGER audit_head_forward; DROP TRIGGER audit_head_no_delete;",
        )
        .unwrap();
        (dir, store, raw)
    }

    fn found(store: &mut Store) -> AuditProblem {
        let report = store.verify_audit().unwrap();
        assert!(!report.is_ok());
        report.problem.unwrap()
    }

    fn row(raw: &Connection, seq: i64) -> StoredRow {
        raw.query_row(&format!("{SELECT} WHERE seq = ?1"), [seq], stored_row).unwrap()
    }

    /// Inserts a forged record at `seq`, hashed by the published recipe off `prev_hash`.
    fn forge(raw: &Connection, seq: i64, prev_hash: &str) -> String {
        let at = "2026-01-01T00:00:00.000000Z";
        let f = Fields { seq, at, user: "mallory", kind: "approval", subject: "api/prod", detail: "{}", outcome: "ok" };
        let hash = record_hash(prev_hash, &f);
        raw.execute(
            "INSERT INTO audit VALUES (?1, ?2, 'mallory', 'approval', 'api/prod', '{}', 'ok', ?3, ?4)",
            rusqlite::params![seq, at, prev_hash, hash],
        )
        .unwrap();
        hash
    }

    #[test]
    fn a_changed_field_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("UPDATE audit SET outcome = 'refused' WHERE seq = 3", []).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (3, ProblemKind::Changed), "{p}");
        let report = store.verify_audit().unwrap().to_string();
        assert!(report.starts_with("audit trail broken: record 3: changed"), "{report}");
    }

    #[test]
    fn a_changed_detail_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("UPDATE audit SET detail = '{\"n\":\"action 9\"}' WHERE seq = 4", []).unwrap();
        assert_eq!(found(&mut store).seq, 4);
    }

    #[test]
    fn a_changed_and_rehashed_record_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        let r = row(&raw, 2);
        let hash = record_hash(&r.prev_hash, &Fields { user: "mallory", ..r.fields_at(2) });
        raw.execute("UPDATE audit SET user = 'mallory', hash = ?1 WHERE seq = 2", [hash]).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (2, ProblemKind::Changed), "{p}");
    }

    #[test]
    fn a_deleted_record_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (3, ProblemKind::Deleted), "{p}");
    }

    #[test]
    fn a_deleted_record_with_the_rest_renumbered_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute_batch(
            "DELETE FROM audit WHERE seq = 3;
             UPDATE audit SET seq = seq + 100 WHERE seq > 3; UPDATE audit SET seq = seq - 101 WHERE seq > 100;
             UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4);",
        )
        .unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (3, ProblemKind::Deleted), "{p}");
    }

    #[test]
    fn records_cut_from_the_end_are_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("DELETE FROM audit WHERE seq >= 4", []).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (4, ProblemKind::Deleted), "{p}");
    }

    #[test]
    fn swapped_contents_are_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        // Swap every field but seq and the hashes.
        let cols = "at, user, kind, subject, detail, outcome";
        raw.execute_batch(&format!(
            "CREATE TEMP TABLE t AS SELECT seq, {cols} FROM audit WHERE seq IN (2, 4);
             UPDATE audit SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = 6 - audit.seq) WHERE seq IN (2, 4);"
        ))
        .unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (2, ProblemKind::Reordered), "{p}");
        assert!(p.detail.contains("record 4"), "{p}");
    }

    #[test]
    fn swapped_rows_are_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        // Swap whole rows, hashes included: as if the seqs had been exchanged.
        raw.execute_batch(
            "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4;
             UPDATE audit SET seq = 4 WHERE seq = -2;",
        )
        .unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (2, ProblemKind::Reordered), "{p}");
    }

    #[test]
    fn a_forged_record_past_the_end_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        // Even hashed by the recipe off the real last record, it lies past the head.
        let last = row(&raw, 5).hash;
        forge(&raw, 6, &last);
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (6, ProblemKind::Inserted), "{p}");
    }

    #[test]
    fn a_forged_record_with_a_bad_hash_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("INSERT INTO audit VALUES (6, 'x', 'mallory', 'approval', 's', '{}', 'ok', 'p', 'h')", []).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (6, ProblemKind::Inserted), "{p}");
    }

    #[test]
    fn a_forged_record_in_the_middle_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        // Make room at 3, then forge a record there that links correctly to record 2.
        raw.execute_batch(
            "UPDATE audit SET seq = seq + 100 WHERE seq >= 3; UPDATE audit SET seq = seq - 99 WHERE seq > 100;",
        )
        .unwrap();
        let prev = row(&raw, 2).hash;
        forge(&raw, 3, &prev);
        raw.execute("UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit WHERE seq = 6)", []).unwrap();
        let p = found(&mut store);
        assert_eq!((p.seq, p.kind), (3, ProblemKind::Inserted), "{p}");
    }

    #[test]
    fn a_deleted_head_is_named() {
        let (_dir, mut store, raw) = five_records_and_an_attacker();
        raw.execute("DELETE FROM audit_head", []).unwrap();
        assert_eq!(found(&mut store).kind, ProblemKind::HeadMissing);
    }

    #[test]
    fn an_empty_trail_verifies() {
        let (_dir, mut store) = temp_store();
        assert_eq!(store.verify_audit().unwrap(), VerifyReport { records: 0, problem: None });
    }
}
