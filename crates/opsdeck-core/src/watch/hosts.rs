//! Following one host's slots through its environment's [`Platform`]: the platform sends a
//! snapshot, then changes, and reconciles and retries on its own; this turns what it says into
//! facts. A dead host is reported at once; it never blocks anything else.

use super::FactTx;
use crate::outside::Platform;
use crate::world::{Fact, HostId};
use futures::StreamExt;
use opsdeck_backends::platform::SlotNews;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The slots on one host, once.
pub(super) async fn snapshot(id: HostId, platform: Arc<dyn Platform>) -> Fact {
    let listed = platform.list_slots(&id.host).await;
    Fact::HostSnapshot(id, listed)
}

pub(super) async fn watch_host(
    id: HostId,
    platform: Arc<dyn Platform>,
    reconcile: Duration,
    tx: FactTx,
    cancel: CancellationToken,
) {
    let mut news = platform.follow(&id.host, reconcile);
    loop {
        let said = tokio::select! {
            _ = cancel.cancelled() => return,
            said = news.next() => said,
        };
        let fact = match said {
            None => return,
            Some(SlotNews::Snapshot(listed)) => Fact::HostSnapshot(id.clone(), listed),
            Some(SlotNews::Changed(c)) => Fact::ContainerChanged(id.clone(), c),
            Some(SlotNews::Removed(cid)) => Fact::ContainerRemoved(id.clone(), cid),
        };
        if tx.send(fact).is_err() {
            return;
        }
    }
}
