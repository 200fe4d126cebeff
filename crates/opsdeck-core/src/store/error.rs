//! `StoreError`: every way the state store can fail, each saying which file and which operation.

use std::path::PathBuf;

use super::holder::Holder;
use super::journal::ActionId;
use super::locks::LockId;

/// Why a store operation failed. Messages name the store's file and what was being done, so a line
/// in a log or on the status bar is enough to act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store {}: cannot create its folder: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },

    #[error("state store {}: {op}: {source}", path.display())]
    Sqlite { path: PathBuf, op: &'static str, source: rusqlite::Error },

    /// WAL is what lets readers (every open console) run beside a writer; without it they would block.
    #[error("state store {}: journal mode is {mode:?}, not \"wal\" (is it on a network file system?)", path.display())]
    NotWal { path: PathBuf, mode: String },

    /// A newer opsdeck migrated the file; this one must not guess at a schema it does not know.
    #[error(
        "state store {}: schema version {found} is newer than this opsdeck knows ({supported}); upgrade opsdeck",
        path.display()
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },

    #[error("state store {}: migration to schema version {version} failed: {source}", path.display())]
    Migration { path: PathBuf, version: i64, source: rusqlite::Error },

    /// A value read back is not one this code writes: someone edited the file by hand, or it is damaged.
    #[error("state store {}: {what}", path.display())]
    Corrupt { path: PathBuf, what: String },

    /// The lock was broken (or released) under its holder: the action must stop.
    #[error("state store {}: lock {id} is no longer held (it was released or broken)", path.display())]
    LockLost { path: PathBuf, id: LockId },

    #[error("state store {}: no lock on {service}/{env}", path.display())]
    NoLock { path: PathBuf, service: String, env: String },

    #[error(
        "state store {}: the lock on {service}/{env} held by {holder} is not stale; force it to break it",
        path.display()
    )]
    // Boxed: keeps every `Result<_, StoreError>` small (clippy::result_large_err).
    NotStale { path: PathBuf, service: String, env: String, holder: Box<Holder> },

    #[error("state store {}: no journaled action {id}", path.display())]
    UnknownAction { path: PathBuf, id: ActionId },

    #[error("state store {}: action {id} has already finished", path.display())]
    ActionFinished { path: PathBuf, id: ActionId },

    #[error("state store {}: exporting the audit trail: {source}", path.display())]
    Export { path: PathBuf, source: std::io::Error },
}

/// Maps a rusqlite error into [`StoreError::Sqlite`] naming the file and the operation.
pub(crate) fn sql<'a>(path: &'a std::path::Path, op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Sqlite { path: path.to_path_buf(), op, source }
}

/// A [`StoreError::Corrupt`] for `path`.
pub(crate) fn corrupt(path: &std::path::Path, what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { path: path.to_path_buf(), what: what.into() }
}
