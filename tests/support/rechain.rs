//! What anyone in the store's group can do to the audit table: change one record and recompute,
//! with the README's recipe, the hash of it and of every record after it, and the head. The local
//! walk then says "intact"; only the registry's anchors tell.

use super::recipe::recipe_hash;
use std::path::Path;

/// The SQL that rewrites record `from` as made by `user` and rechains everything after it (the
/// guards dropped first). Computed from the store at `db`; run it as whoever forges.
pub fn script(db: &Path, from: i64, user: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("read the store");
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, user, kind, subject, detail, outcome, prev_hash FROM audit WHERE seq >= ?1 ORDER BY seq",
        )
        .expect("select");
    let mut rows: Vec<serde_json::Value> = stmt
        .query_map([from], |r| {
            Ok(serde_json::json!({
                "seq": r.get::<_, i64>(0)?, "at": r.get::<_, String>(1)?, "user": r.get::<_, String>(2)?,
                "kind": r.get::<_, String>(3)?, "subject": r.get::<_, String>(4)?,
                "detail": serde_json::from_str::<serde_json::Value>(&r.get::<_, String>(5)?).unwrap_or_default(),
                "outcome": r.get::<_, String>(6)?, "prev_hash": r.get::<_, String>(7)?,
            }))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert!(!rows.is_empty(), "no audit record {from}");
    rows[0]["user"] = serde_json::json!(user);
    let mut sql = String::from("DROP TRIGGER IF EXISTS audit_no_update;\nDROP TRIGGER IF EXISTS audit_head_forward;\n");
    let mut prev = rows[0]["prev_hash"].as_str().expect("prev").to_string();
    for row in &mut rows {
        row["prev_hash"] = serde_json::json!(prev);
        let hash = recipe_hash(row);
        let user = row["user"].as_str().expect("user").replace('\'', "''");
        let seq = row["seq"].as_i64().expect("seq");
        sql.push_str(&format!(
            "UPDATE audit SET user = '{user}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq};\n"
        ));
        prev = hash;
    }
    sql.push_str(&format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1;\n"));
    sql
}
