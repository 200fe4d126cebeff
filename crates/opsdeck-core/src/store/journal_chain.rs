//! Journal rows in the audit hash chain. Recovery after a crash acts on a plan read back from the
//! group-writable store, so each journal row (an action begun with its plan, each step's phase,
//! the end) is also an audit record (kind `journal`) written in the same transaction, holding the
//! SHA-256 of what the row says. Before recovery acts it asks [`Store::journal_in_chain`]: a row
//! someone wrote or changed by hand has no intact record that matches it.

use rusqlite::{params, Transaction};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

use super::audit::{append_in, stored_row, AuditEntry, SELECT};
use super::chain::{canonical_json, record_hash};
use super::error::{sql, StoreError};
use super::journal::{ActionId, ActionOutcome, ActionRecord, JournalEntry, StepPhase};
use super::Store;

/// The audit kind of a journal row's record.
pub const KIND: &str = "journal";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// What a begun action's record holds of it: enough to tell its row was not changed.
fn begin_detail(id: ActionId, action: &ActionRecord) -> Value {
    json!({
        "id": id.0, "event": "begin", "action": action.kind, "user": action.user,
        "to": action.to.digest, "hosts": action.hosts, "plan": sha256(&canonical_json(&action.plan)),
    })
}

fn step_detail(id: ActionId, index: u32, name: &str, phase: StepPhase, note: &str) -> Value {
    json!({ "id": id.0, "event": "step", "step": index, "name": name, "phase": phase.as_str(), "note": sha256(note) })
}

fn entry(subject: String, user: &str, detail: Value, outcome: &str) -> AuditEntry {
    AuditEntry {
        at: chrono::Utc::now(),
        user: user.into(),
        kind: KIND.into(),
        subject,
        detail,
        outcome: outcome.into(),
    }
}

pub(crate) fn chain_begin(tx: &Transaction<'_>, path: &Path, id: ActionId, a: &ActionRecord) -> Result<(), StoreError> {
    let subject = format!("{}/{}", a.service, a.env);
    append_in(tx, path, entry(subject, &a.user, begin_detail(id, a), "begun")).map(|_| ())
}

/// The step's record, under the name of the action's user (the one whose action it is).
pub(crate) fn chain_step(
    tx: &Transaction<'_>,
    path: &Path,
    id: ActionId,
    (index, name, phase, note): (u32, &str, StepPhase, &str),
) -> Result<(), StoreError> {
    let (subject, user) = subject_and_user(tx, path, id)?;
    append_in(tx, path, entry(subject, &user, step_detail(id, index, name, phase, note), phase.as_str())).map(|_| ())
}

pub(crate) fn chain_finish(
    tx: &Transaction<'_>,
    path: &Path,
    id: ActionId,
    outcome: ActionOutcome,
    reason: &str,
) -> Result<(), StoreError> {
    let (subject, user) = subject_and_user(tx, path, id)?;
    let detail = json!({ "id": id.0, "event": "finish", "reason": sha256(reason) });
    append_in(tx, path, entry(subject, &user, detail, outcome.as_str())).map(|_| ())
}

fn subject_and_user(tx: &Transaction<'_>, path: &Path, id: ActionId) -> Result<(String, String), StoreError> {
    tx.query_row("SELECT service || '/' || env, user FROM actions WHERE id = ?1", [id.0], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .map_err(sql(path, "read action"))
}

impl Store {
    /// Whether every row of `entry` (the action and each step so far) has its intact record in the
    /// audit chain, saying what the row says. `Err`: the first row that does not, in one line.
    pub fn journal_in_chain(&self, entry: &JournalEntry) -> Result<(), String> {
        let id = entry.id;
        let records = self.journal_records(id).map_err(|e| e.to_string())?;
        let mut intact = Vec::new();
        for (detail, ok) in records {
            if !ok {
                return Err(format!("a journal record of action #{} in the audit chain was changed", id.0));
            }
            intact.push(detail);
        }
        let begun = begin_detail(id, &entry.action);
        if !intact.contains(&begun) {
            return Err(format!("action #{}'s journal row has no matching record in the audit chain", id.0));
        }
        let mut steps: Vec<&Value> = intact.iter().filter(|d| d["event"] == "step").collect();
        for s in &entry.steps {
            let want = step_detail(id, s.step_index, &s.step_name, s.phase, &s.detail);
            match steps.iter().position(|d| **d == want) {
                Some(i) => {
                    steps.remove(i);
                }
                None => {
                    return Err(format!(
                        "action #{}: step {} ({}) {} has no matching record in the audit chain",
                        id.0,
                        s.step_index + 1,
                        s.step_name,
                        s.phase.as_str()
                    ))
                }
            }
        }
        if !steps.is_empty() {
            return Err(format!("action #{}: {} journaled steps are missing from its journal", id.0, steps.len()));
        }
        Ok(())
    }

    /// The `journal` records of action `id`: each one's detail and whether its hash still holds.
    fn journal_records(&self, id: ActionId) -> Result<Vec<(Value, bool)>, StoreError> {
        let path = &self.path;
        let op = "read the journal's audit records";
        let query = format!("{SELECT} WHERE kind = ?1 AND json_extract(detail, '$.id') = ?2 ORDER BY seq");
        let mut stmt = self.conn.prepare(&query).map_err(sql(path, op))?;
        let rows = stmt.query_map(params![KIND, id.0], stored_row).map_err(sql(path, op))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(sql(path, op))?;
            let ok = record_hash(&row.prev_hash, &row.fields_at(row.seq)) == row.hash;
            out.push((serde_json::from_str(&row.detail).unwrap_or(Value::Null), ok));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{action, temp_store};
    use super::super::StepPhase;

    #[test]
    fn journaled_rows_are_in_the_chain_and_rows_written_by_hand_are_not() {
        let (_dir, mut store) = temp_store();
        let id = store.journal_begin(&action("promote", "api", "prod")).unwrap();
        store.journal_step(id, 0, "prepare prod-1", StepPhase::Started, "").unwrap();
        store.journal_step(id, 0, "prepare prod-1", StepPhase::Finished, "pulled").unwrap();
        let entry = store.unfinished_actions().unwrap().remove(0);
        store.journal_in_chain(&entry).expect("as written");
        assert!(store.verify_audit().unwrap().is_ok(), "the chain holds the journal's records");

        // A step added by hand: no record says so.
        store
            .conn
            .execute(
                "INSERT INTO action_steps (action_id, step_index, step_name, phase, at, detail)
                 VALUES (?1, 8, 'switch', 'started', '2026-01-01T00:00:00.000000Z', '')",
                [id.0],
            )
            .unwrap();
        let entry = store.unfinished_actions().unwrap().remove(0);
        let err = store.journal_in_chain(&entry).unwrap_err();
        assert!(err.contains("step 9 (switch) started has no matching record"), "{err}");

        // A whole action written by hand.
        let forged = store
            .conn
            .query_row(
                "INSERT INTO actions (kind, service, env, to_tag, to_digest, hosts, user, started_at, plan)
                 VALUES ('promote', 'api', 'prod', 'evil', 'sha256:e', '[]', 'ann', '2026-01-01T00:00:00.000000Z', '{}')
                 RETURNING id",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap();
        let entry = store.unfinished_actions().unwrap().into_iter().find(|e| e.id.0 == forged).expect("forged row");
        let err = store.journal_in_chain(&entry).unwrap_err();
        assert!(err.contains("has no matching record in the audit chain"), "{err}");

        // The plan of a real action changed by hand.
        store.conn.execute("UPDATE actions SET plan = '{\"steps\":[]}' WHERE id = ?1", [id.0]).unwrap();
        let entry = store.unfinished_actions().unwrap().into_iter().find(|e| e.id == id).expect("row");
        assert!(store.journal_in_chain(&entry).is_err());
    }
}
