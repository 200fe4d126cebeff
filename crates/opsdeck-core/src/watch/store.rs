//! Watching the shared state store: recent actions (from every opsdeck process and user), held
//! locks, approval requests and the end of the audit trail, read every second, or at once when
//! asked (an action of ours moved).

use super::FactTx;
use crate::store::{RequestFilter, RequestState, Store};
use crate::world::approvals::{AUDIT_TAIL, KEEP_DECIDED};
use crate::world::Fact;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const EVERY: Duration = Duration::from_secs(1);
/// How many recent actions the Actions pane keeps.
pub const RECENT: usize = 20;

/// Starts the watcher; `notify_one` on the returned handle makes it read at once.
pub fn spawn_store_watcher(path: PathBuf, tx: &FactTx, cancel: &CancellationToken) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    let (w, tx, cancel) = (wake.clone(), tx.clone(), cancel.clone());
    tokio::spawn(async move {
        let mut reader = StoreReader::new(path);
        loop {
            // SQLite is local and these reads take microseconds; a busy writer elsewhere is
            // waited for (SQLite's busy timeout) on a blocking thread, never on the UI's.
            let (back, facts) = match tokio::task::spawn_blocking(move || {
                let facts = reader.read_all();
                (reader, facts)
            })
            .await
            {
                Ok(done) => done,
                Err(_) => return,
            };
            reader = back;
            for fact in facts {
                if tx.send(fact).is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = w.notified() => {}
                _ = tokio::time::sleep(EVERY) => {}
            }
        }
    });
    wake
}

/// One connection, opened on first use and again after a failure.
struct StoreReader {
    path: PathBuf,
    store: Option<Store>,
    /// The newest audit record sent (its place and hash; `Some(None)` for an empty trail): the
    /// trail is sent again only when it changed, not every second.
    audit_seen: Option<Option<(u64, String)>>,
}

impl StoreReader {
    fn new(path: PathBuf) -> StoreReader {
        StoreReader { path, store: None, audit_seen: None }
    }

    /// Actions and locks, requests, and the audit trail when it changed.
    fn read_all(&mut self) -> Vec<Fact> {
        let mut facts = vec![self.read()];
        let Some(store) = self.store.as_ref() else { return facts };
        facts.push(Fact::Requests(read_requests(store).map_err(|e| e.to_string())));
        match store.audit_tail(AUDIT_TAIL) {
            Ok(records) => {
                let newest = records.last().map(|r| (r.seq, r.hash.clone()));
                if self.audit_seen.as_ref() != Some(&newest) {
                    self.audit_seen = Some(newest);
                    facts.push(Fact::Audit(Ok(records)));
                }
            }
            Err(e) => {
                self.audit_seen = None;
                facts.push(Fact::Audit(Err(e.to_string())));
            }
        }
        facts
    }

    fn read(&mut self) -> Fact {
        if self.store.is_none() {
            match Store::open(&self.path) {
                Ok(s) => self.store = Some(s),
                Err(e) => return Fact::Store(Err(e.to_string())),
            }
        }
        let Some(store) = self.store.as_mut() else { return Fact::Store(Err("store not open".into())) };
        let read = store.recent_actions(RECENT).and_then(|recent| store.locks().map(|locks| (recent, locks)));
        if read.is_err() {
            self.store = None;
            self.audit_seen = None;
        }
        Fact::Store(read.map_err(|e| e.to_string()))
    }
}

/// Every pending request, and the newest [`KEEP_DECIDED`] of the others, newest first.
fn read_requests(store: &Store) -> Result<Vec<crate::store::Request>, crate::store::StoreError> {
    let all = store.requests(&RequestFilter::default())?;
    let mut decided = 0;
    Ok(all
        .into_iter()
        .filter(|r| {
            if r.state == RequestState::Pending {
                return true;
            }
            decided += 1;
            decided <= KEEP_DECIDED
        })
        .collect())
}

/// Recent actions and locks, once (for `status`).
pub(super) fn read_once(path: &std::path::Path) -> Fact {
    StoreReader::new(path.to_path_buf()).read()
}
