//! The shared state store: one SQLite file (at the config's `state_path`) that every opsdeck process
//! and every user of the bastion opens, holding the locks, the action journal and the audit trail.
//!
//! The API is synchronous: async callers run it in `tokio::task::spawn_blocking`, each task or
//! process with its own `Store` (one connection each; a `Store` is `Send`, not shared). Concurrency
//! between them is SQLite's: WAL so readers never wait for a writer, a busy timeout so writers queue
//! instead of failing, and IMMEDIATE transactions wherever a read decides a write.
//!
//! Nothing secret is stored: callers pass text that every user of the bastion may read.
//! File permissions: the opsdeck users of a bastion share the store through a group, since SQLite
//! needs write access to the file and its `-wal` and `-shm` companions even to read. `open`
//! creates what it creates for that (folder 2770, file 660); a store whose folder or files others
//! may use is refused when the config naming it is loaded ([`permissions::check`]), before any
//! command or the console starts.

mod anchor_state;
mod audit;
mod audit_latest;
mod chain;
mod columns;
mod error;
mod heartbeat;
mod holder;
mod journal;
pub mod journal_chain;
mod journal_store;
mod locks;
mod migrate;
pub mod permissions;
mod requests;
mod runbook_runs;
mod schema;
mod stale;
mod time;
mod verify;

#[cfg(test)]
mod test_util;

pub use anchor_state::AnchorState;
pub use audit::{AuditEntry, AuditRecord};
pub use audit_latest::CheckedRecord;
pub use error::StoreError;
pub use heartbeat::HeartbeatKeeper;
pub use holder::{hostname, process_start, Holder};
pub use journal::{ActionFinish, ActionId, ActionOutcome, ActionRecord, ImageRef, JournalEntry, StepPhase, StepRecord};
pub use locks::{BreakMode, LockId, LockInfo, LockOutcome};
pub use requests::{
    Decided, Decision, NewRequest, Request, RequestEnd, RequestFilter, RequestId, RequestState, Verdict,
};
pub use runbook_runs::RunbookRun;
pub use stale::{is_stale, StaleReason};
pub use verify::{AuditProblem, ProblemKind, VerifyReport};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

use error::sql;

/// How long a writer waits for another process's transaction before giving up. Transactions here
/// are a few statements long, so reaching this means something is wrong, not busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection to the state store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed, with its folder) the store at `path` and brings its schema up to
    /// date. Safe to call from several processes at once.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        permissions::prepare(&path).map_err(|source| StoreError::CreateDir { path: path.clone(), source })?;
        let mut conn = Connection::open(&path).map_err(sql(&path, "open"))?;
        // First, so that even switching to WAL waits for other processes instead of failing.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql(&path, "set busy timeout"))?;
        let mode = switch_to_wal(&conn).map_err(sql(&path, "switch to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal { path, mode });
        }
        // synchronous stays FULL (the default): an audit record must survive a power cut once the
        // action has reported success.
        conn.pragma_update(None, "foreign_keys", true).map_err(sql(&path, "enable foreign keys"))?;
        migrate::migrate(&mut conn, &path, schema::MIGRATIONS)?;
        Ok(Store { conn, path })
    }

    /// The file this store is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the file is at (after `open`, this opsdeck's).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::version(&self.conn, &self.path)
    }
}

/// Sets WAL mode and returns the mode now in force. Switching a fresh file needs an exclusive lock
/// taken while holding a shared one, and SQLite answers BUSY at once there rather than risk a
/// deadlock (the busy handler is skipped), so when several processes open a new file together,
/// the losers retry here until [`BUSY_TIMEOUT`].
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_can_move_to_a_blocking_task() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<Store>();
    }

    #[test]
    fn open_sets_wal_foreign_keys_and_the_busy_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("a/b/state.db")).unwrap();
        let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store.conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let busy: i64 = store.conn.pragma_query_value(None, "busy_timeout", |r| r.get(0)).unwrap();
        assert_eq!(busy, 5000);
        assert_eq!(store.path(), dir.path().join("a/b/state.db"));
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let err = Store::open(blocker.join("state.db")).unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
        assert!(err.to_string().contains("file/state.db"), "{err}");
    }
}
