//! Watching the shared state store: recent actions (from every opsdeck process and user) and held
//! locks, read every second, or at once when asked (an action of ours moved).

use super::MsgTx;
use crate::msg::Msg;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const EVERY: Duration = Duration::from_secs(1);
/// How many recent actions the Actions pane keeps.
pub const RECENT: usize = 20;

/// Starts the watcher; `notify_one` on the returned handle makes it read at once.
pub fn spawn_store_watcher(path: PathBuf, tx: &MsgTx, cancel: &CancellationToken) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    let (w, tx, cancel) = (wake.clone(), tx.clone(), cancel.clone());
    tokio::spawn(async move {
        let mut reader = StoreReader { path, store: None };
        loop {
            // SQLite is local and these reads take microseconds; a busy writer elsewhere is
            // waited for (SQLite's busy timeout) on a blocking thread, never on the UI's.
            let (back, msg) = match tokio::task::spawn_blocking(move || {
                let msg = reader.read();
                (reader, msg)
            })
            .await
            {
                Ok(done) => done,
                Err(_) => return,
            };
            reader = back;
            if tx.send(msg).is_err() {
                return;
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
}

impl StoreReader {
    fn read(&mut self) -> Msg {
        if self.store.is_none() {
            match Store::open(&self.path) {
                Ok(s) => self.store = Some(s),
                Err(e) => return Msg::Store(Err(e.to_string())),
            }
        }
        let Some(store) = self.store.as_mut() else { return Msg::Store(Err("store not open".into())) };
        let read = store.recent_actions(RECENT).and_then(|recent| store.locks().map(|locks| (recent, locks)));
        if read.is_err() {
            self.store = None;
        }
        Msg::Store(read.map_err(|e| e.to_string()))
    }
}

/// Recent actions and locks, once (for `status`).
pub(super) fn read_once(path: &std::path::Path) -> Msg {
    StoreReader { path: path.to_path_buf(), store: None }.read()
}
