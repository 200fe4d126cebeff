//! Keeping the audit chain anchored while the console runs: every so often, an anchor for the
//! records written since the last (by this console's actions or anyone else's). Sends no facts:
//! how far behind the anchors are is doctor's to say.

use super::pause;
use crate::config::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the console pushes an anchor when records are waiting.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(30);

pub(super) async fn watch(config: Arc<Config>, cancel: CancellationToken) {
    loop {
        // Bounded by the registry timeout per call and by the anchors per catch-up.
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = crate::audit::anchors::catch_up(&config) => {}
        }
        if !pause(ANCHOR_EVERY, &cancel).await {
            return;
        }
    }
}
