//! The operator's hand on a running action: abort back (`C`), and, while a canary holds a stage,
//! pause and resume the stage's clock (Space) or pass the stage now (`>`). Shared between the
//! console's key handling and the executor's task; the executor looks at it between its looks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default)]
pub struct Hand {
    /// Abort back: switch traffic back while the old slot still runs (see
    /// [`crate::actions::Executor::run_abortable`]).
    pub abort: CancellationToken,
    paused: Arc<AtomicBool>,
    next: Arc<AtomicBool>,
    /// Wakes a stage waiting for its next look, so `>` and Space act at once.
    nudge: Arc<Notify>,
}

impl Hand {
    pub fn new() -> Self {
        Self::default()
    }

    /// A hand whose abort is `abort` (and nothing else pressed).
    pub fn with_abort(abort: CancellationToken) -> Self {
        Hand { abort, ..Self::default() }
    }

    /// Pauses (true) or resumes (false) the stage's clock. A paused stage is still judged: an
    /// error rate over the gate or a failing host rolls it back as before; it only does not pass.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.nudge.notify_one();
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Passes the stage being held now (if it is not over the gate at that look).
    pub fn next_stage(&self) {
        self.next.store(true, Ordering::SeqCst);
        self.nudge.notify_one();
    }

    /// Whether `>` was pressed since the last call (and forgets it).
    pub(crate) fn take_next(&self) -> bool {
        self.next.swap(false, Ordering::SeqCst)
    }

    /// Resolves when a key of the hand was pressed.
    pub(crate) async fn nudged(&self) {
        self.nudge.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_seen_once_and_wake_the_stage() {
        let hand = Hand::new();
        let seen = hand.clone();
        assert!(!seen.is_paused() && !seen.take_next());
        hand.set_paused(true);
        assert!(seen.is_paused());
        hand.next_stage();
        // The nudge wakes a waiting stage at once (a permit is kept if nobody waits yet).
        tokio::time::timeout(std::time::Duration::from_secs(1), seen.nudged()).await.expect("nudged");
        assert!(seen.take_next());
        assert!(!seen.take_next(), "`>` passes one stage, not every one after it");
        hand.set_paused(false);
        assert!(!seen.is_paused());
    }
}
