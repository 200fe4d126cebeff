//! The one pass over the chain in seq order, and what it finds: a problem, or a record to classify.

use rusqlite::OptionalExtension;

use super::super::audit::{stored_row, StoredRow, SELECT};
use super::super::chain::record_hash;
use super::super::error::{sql, StoreError};
use super::super::schema::GENESIS_HASH;
use super::super::Store;
use super::classify::classify;
use super::report::{problem, AuditProblem, ProblemKind, VerifyReport};

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
