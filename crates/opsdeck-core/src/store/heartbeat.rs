//! Keeping held locks alive: a lock whose heartbeat is older than the stale bound may be broken by
//! the next action, so whatever holds one for longer than that (an action, a prune waiting for its
//! confirmation, a runbook's restart) refreshes it from a thread of its own until it lets go.

use super::{LockId, Store};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Refreshes the heartbeats of some locks every so often until dropped. A thread, not a task: it
/// works from synchronous code and from a runtime alike, and a busy runtime cannot starve it.
pub struct HeartbeatKeeper {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HeartbeatKeeper {
    /// Starts refreshing `ids` in `store` every `every`. A lock found no longer held is left alone:
    /// whoever holds the work notices when it releases or journals.
    pub fn start(store: Arc<Mutex<Store>>, ids: Vec<LockId>, every: Duration) -> HeartbeatKeeper {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("opsdeck-heartbeat".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if let Ok(mut s) = store.lock() {
                        for id in &ids {
                            let _ = s.heartbeat(*id);
                        }
                    }
                }
            })
            .ok();
        HeartbeatKeeper { stop: Some(stop), thread }
    }

    /// Stops refreshing (also what dropping it does); returns once the thread has ended, so no
    /// heartbeat is written after the caller releases its locks.
    pub fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for HeartbeatKeeper {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Holder, LockOutcome};

    #[test]
    fn a_kept_lock_stays_fresh_and_stops_being_refreshed_when_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path().join("s.db")).expect("store");
        let holder = Holder::this_process("ann");
        let LockOutcome::Acquired(id) = store.try_acquire("api", "prod", &holder, "test").expect("lock") else {
            panic!("not acquired")
        };
        let first = store.locks().expect("locks")[0].heartbeat;
        let store = Arc::new(Mutex::new(store));
        let keeper = HeartbeatKeeper::start(store.clone(), vec![id], Duration::from_millis(20));
        // Real time has to pass for a heartbeat to be newer than the lock's start.
        std::thread::sleep(Duration::from_millis(120));
        keeper.stop();
        let kept = store.lock().expect("store").locks().expect("locks")[0].heartbeat;
        assert!(kept > first, "{kept} > {first}");
        std::thread::sleep(Duration::from_millis(60));
        let after = store.lock().expect("store").locks().expect("locks")[0].heartbeat;
        assert_eq!(after, kept, "no heartbeat after stop");
    }
}
