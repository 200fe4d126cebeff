//! The newest audit record of a kind, read with its own hash checked: how a record that settles
//! something (the approval policy) is found again, and how an edit of just that row is caught.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::audit::{append_in, stored_row, AuditEntry, AuditRecord, SELECT};
use super::chain::record_hash;
use super::error::sql;
use super::Store;

/// A record as read back, and whether its hash still matches what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRecord {
    pub record: AuditRecord,
    /// False when the row was changed after it was written (its hash no longer matches it).
    pub intact: bool,
}

impl Store {
    /// The newest record whose kind is `kind`, if any.
    pub fn latest_audit_of(&self, kind: &str) -> Result<Option<CheckedRecord>, super::StoreError> {
        let path = &self.path;
        let op = "read the newest audit record of a kind";
        let row = self
            .conn
            .query_row(&format!("{SELECT} WHERE kind = ?1 ORDER BY seq DESC LIMIT 1"), params![kind], stored_row)
            .optional()
            .map_err(sql(path, op))?;
        let Some(row) = row else { return Ok(None) };
        let intact = record_hash(&row.prev_hash, &row.fields_at(row.seq)) == row.hash;
        Ok(Some(CheckedRecord { record: row.into_record(path)?, intact }))
    }

    /// Appends `entry` only when no record of its kind exists yet, in one IMMEDIATE transaction
    /// (two processes setting something up at once: the first one writes it). Returns the record
    /// written, or `None` when one was there.
    pub fn append_audit_if_first(&mut self, entry: AuditEntry) -> Result<Option<AuditRecord>, super::StoreError> {
        let path = &self.path;
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin audit"))?;
        let exists: Option<i64> = tx
            .query_row("SELECT seq FROM audit WHERE kind = ?1 LIMIT 1", params![entry.kind], |r| r.get(0))
            .optional()
            .map_err(sql(path, "look for an audit record"))?;
        if exists.is_some() {
            return Ok(None);
        }
        let record = append_in(&tx, path, entry)?;
        tx.commit().map_err(sql(path, "commit audit"))?;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{entry, temp_store};
    use super::AuditEntry;

    fn of(kind: &str, user: &str) -> AuditEntry {
        AuditEntry { kind: kind.into(), ..entry(user, "x") }
    }

    #[test]
    fn the_newest_of_a_kind_is_found_and_an_edit_of_it_is_caught() {
        let (_dir, mut store) = temp_store();
        assert_eq!(store.latest_audit_of("promote").unwrap(), None);
        store.append_audit(of("promote", "ann")).unwrap();
        let second = store.append_audit(of("promote", "bob")).unwrap();
        store.append_audit(of("rollback", "bob")).unwrap();
        let found = store.latest_audit_of("promote").unwrap().expect("found");
        assert_eq!((found.record.seq, found.intact), (second.seq, true));
        // As anyone in the group can: drop the guard, then edit.
        store.conn.execute_batch("DROP TRIGGER audit_no_update; UPDATE audit SET user = 'eve' WHERE seq = 2").unwrap();
        let edited = store.latest_audit_of("promote").unwrap().expect("found");
        assert_eq!((edited.record.entry.user.as_str(), edited.intact), ("eve", false));
    }

    #[test]
    fn only_the_first_of_a_kind_is_appended() {
        let (_dir, mut store) = temp_store();
        assert!(store.append_audit_if_first(of("policy", "ann")).unwrap().is_some());
        assert!(store.append_audit_if_first(of("policy", "bob")).unwrap().is_none());
        assert_eq!(store.audit(None).unwrap().len(), 1);
    }
}
