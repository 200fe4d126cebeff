//! The trail tampered with by hand in `sqlite3` (a changed field, a deleted row, two rows swapped,
//! a forged row): `audit verify` names the record and exits 1.

use crate::recipe::recipe_hash;
use crate::trail::{sqlite3_available, Trail};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

#[test]
fn a_changed_field_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    // The failed rollback made to look like a success.
    let case = trail.copy();
    case.tamper("UPDATE audit SET outcome = 'succeeded' WHERE seq = 4;");
    case.assert_found("record 4: changed");

    // Someone else's name on the lock break.
    let case = trail.copy();
    case.tamper("UPDATE audit SET user = 'ann' WHERE seq = 3;");
    case.assert_found("record 3: changed");

    // A detail that is no longer JSON: named by verify, and the listing still shows the trail.
    let case = trail.copy();
    case.tamper("UPDATE audit SET detail = 'nothing to see' WHERE seq = 2;");
    case.assert_found("record 2: changed");
    let (code, out, err) = case.opsdeck(&["audit"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(out.contains("nothing to see"), "{out}");
    let (_, out, _) = case.opsdeck(&["audit", "--json"]);
    let records: Vec<Value> = serde_json::from_str(&out).expect("JSON");
    assert_ne!(records[1]["hash"].as_str(), Some(recipe_hash(&records[1]).as_str()), "the offline check fails too");
}

#[test]
fn a_deleted_row_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let case = trail.copy();
    case.tamper("DELETE FROM audit WHERE seq = 3;");
    case.assert_found("record 3: deleted");

    // Cut from the end: the chain's head still remembers it.
    let case = trail.copy();
    case.tamper("DELETE FROM audit WHERE seq = 6;");
    case.assert_found("record 6: deleted");
}

#[test]
fn two_swapped_rows_are_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    // Whole rows, hashes and all, exchanged.
    let case = trail.copy();
    case.tamper(
        "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 5;
         UPDATE audit SET seq = 5 WHERE seq = -2;",
    );
    case.assert_found("record 2: reordered");

    // Contents exchanged, hashes left in place.
    let case = trail.copy();
    let cols = "at, user, kind, subject, detail, outcome";
    case.tamper(&format!(
        "CREATE TEMP TABLE t AS SELECT seq, {cols} FROM audit WHERE seq IN (2, 5);
         UPDATE audit SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = 7 - audit.seq) WHERE seq IN (2, 5);"
    ));
    case.assert_found("record 2: reordered");
}

#[test]
fn a_forged_row_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let forged = |seq: i64, prev: &str| {
        let at = (Utc::now() - Duration::minutes(25)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let record = json!({
            "seq": seq, "at": at, "user": "mallory", "kind": "approval", "subject": "api/prod",
            "detail": {"request": 9}, "outcome": "approved", "prev_hash": prev,
        });
        // Hashed by the published recipe, so only its place gives it away.
        let hash = recipe_hash(&record);
        format!(
            "INSERT INTO audit VALUES ({seq}, '{at}', 'mallory', 'approval', 'api/prod', '{{\"request\":9}}', \
             'approved', '{prev}', '{hash}');"
        )
    };

    // Past the end, linked to the real last record.
    let case = trail.copy();
    let insert = forged(7, &case.hash_of(6));
    case.tamper(&insert);
    case.assert_found("record 7: inserted");

    // In the middle: the records after it renumbered, the head moved along.
    let case = trail.copy();
    let insert = forged(3, &case.hash_of(2));
    case.tamper(&format!(
        "UPDATE audit SET seq = seq + 100 WHERE seq >= 3; UPDATE audit SET seq = seq - 99 WHERE seq > 100;
         {insert}
         UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit WHERE seq = 7);"
    ));
    case.assert_found("record 3: inserted");

    // The untouched copy still verifies.
    let (code, out, err) = trail.copy().opsdeck(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
}
