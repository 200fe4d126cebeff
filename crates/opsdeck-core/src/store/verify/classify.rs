//! Naming what happened to a record whose hash does not match: changed, moved, deleted or inserted.

use super::super::audit::StoredRow;
use super::super::chain::record_hash;
use super::report::{problem, AuditProblem, ProblemKind};

/// Names what happened to `r`, whose hash does not match its fields at its own seq, by trying its
/// content at other places: `others` reads every record again, `max_seq` the highest seq the chain knew.
/// Every record before `r` passed the walk, so they sit where they were written.
pub(super) fn classify(
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
