//! Bringing a store file up to this opsdeck's schema, tracked by `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

use super::error::{corrupt, sql, StoreError};

/// Applies the migrations the file lacks, each in its own IMMEDIATE transaction that re-reads the
/// version first: two processes opening a fresh file at once take turns, and the second finds
/// nothing left to do. A failed migration rolls back whole, leaving the previous version.
/// Returns the version the file is at.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, migrations: &[&str]) -> Result<i64, StoreError> {
    let latest = migrations.len() as i64;
    loop {
        let tx =
            conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(path, "begin migration"))?;
        let current: i64 =
            tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql(path, "read schema version"))?;
        if current < 0 {
            return Err(corrupt(path, format!("schema version {current} is negative")));
        }
        if current > latest {
            return Err(StoreError::TooNew { path: path.to_path_buf(), found: current, supported: latest });
        }
        if current == latest {
            return Ok(current);
        }
        let version = current + 1;
        let step = |source| StoreError::Migration { path: path.to_path_buf(), version, source };
        // `current` is in 0..latest here, so the index is in range.
        tx.execute_batch(migrations[current as usize]).map_err(step)?;
        tx.pragma_update(None, "user_version", version).map_err(step)?;
        tx.commit().map_err(step)?;
    }
}

/// The schema version of an open connection.
pub(crate) fn version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql(path, "read schema version"))
}

#[cfg(test)]
mod tests {
    use super::super::schema::MIGRATIONS;
    use super::super::Store;
    use super::*;

    fn raw(path: &Path) -> Connection {
        Connection::open(path).unwrap()
    }

    #[test]
    fn opening_twice_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.db");
        let first = Store::open(&path).unwrap();
        assert_eq!(first.schema_version().unwrap(), MIGRATIONS.len() as i64);
        drop(first);
        let second = Store::open(&path).unwrap();
        assert_eq!(second.schema_version().unwrap(), MIGRATIONS.len() as i64);
    }

    #[test]
    fn an_older_file_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let mut conn = raw(&path);
            assert_eq!(migrate(&mut conn, &path, &MIGRATIONS[..1]).unwrap(), 1);
            conn.execute(
                "INSERT INTO locks (service, env, holder_user, holder_host, holder_pid, what, since, heartbeat)
                 VALUES ('api', 'prod', 'ann', 'bastion', 1, 'promote', '2026-01-01T00:00:00.000000Z',
                         '2026-01-01T00:00:00.000000Z')",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let locks = store.locks().unwrap();
        assert_eq!(locks.len(), 1);
        assert_eq!(locks[0].holder.user, "ann");
        // The later migrations ran: the audit trail works.
        assert!(store.verify_audit().unwrap().is_ok());
    }

    #[test]
    fn a_failing_migration_rolls_back_and_keeps_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut conn = raw(&path);
        let good = "CREATE TABLE a (x INTEGER);";
        let bad = "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;";
        let err = migrate(&mut conn, &path, &[good, bad]).unwrap_err();
        assert!(matches!(err, StoreError::Migration { version: 2, .. }), "{err}");
        assert!(err.to_string().contains("state.db"), "{err}");
        assert_eq!(version(&conn, &path).unwrap(), 1);
        let b_exists: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'b'", [], |r| r.get(0)).unwrap();
        assert_eq!(b_exists, 0);
    }

    #[test]
    fn a_newer_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        raw(&path).pragma_update(None, "user_version", 999).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
    }

    #[test]
    fn processes_opening_a_fresh_file_at_once_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::open(&path).map(|s| s.schema_version().unwrap())
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), MIGRATIONS.len() as i64);
        }
    }
}
