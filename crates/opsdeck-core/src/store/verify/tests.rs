//! The audit chain's tests: each kind of tampering an attacker with the sqlite3 shell could do, named.

use rusqlite::Connection;

use super::super::audit::{stored_row, StoredRow, SELECT};
use super::super::chain::{record_hash, Fields};
use super::super::test_util::{entry, temp_store};
use super::super::Store;
use super::{AuditProblem, ProblemKind, VerifyReport};

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
