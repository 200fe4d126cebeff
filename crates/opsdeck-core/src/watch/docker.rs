//! Watching one Docker engine: a full list at start, then the events stream (one filtered list
//! per changed container), and a slow reconcile behind it in case an event was missed. A dead
//! engine is reported at once and retried with backoff; it never blocks anything else.

use super::{pause, FactTx};
use crate::config::HostConfig;
use crate::world::Fact;
use crate::world::HostId;
use futures::StreamExt;
use opsdeck_backends::docker::inventory::{list_slots, slot, slot_events};
use opsdeck_backends::docker::{connect, DockerEndpoint, DockerTls};
use opsdeck_backends::types::DockerEvent;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The engine endpoint for a configured host.
pub(super) fn endpoint(host: &HostConfig, timeout: Duration) -> DockerEndpoint {
    DockerEndpoint {
        url: host.url.clone(),
        tls: host.tls.as_ref().map(|t| DockerTls { ca: t.ca.clone(), cert: t.cert.clone(), key: t.key.clone() }),
        timeout,
    }
}

/// The slots on one engine, once.
pub(super) async fn snapshot(id: HostId, endpoint: &DockerEndpoint) -> Fact {
    let result = match connect(endpoint).await {
        Ok(docker) => list_slots(&docker, endpoint.timeout).await,
        Err(e) => Err(e),
    };
    Fact::HostSnapshot(id, result)
}

pub(super) async fn watch_host(
    id: HostId,
    endpoint: DockerEndpoint,
    reconcile: Duration,
    tx: FactTx,
    cancel: CancellationToken,
) {
    let mut retry = FIRST_RETRY;
    loop {
        let docker = match connect(&endpoint).await {
            Ok(d) => d,
            Err(e) => {
                let _ = tx.send(Fact::HostSnapshot(id.clone(), Err(e)));
                if !pause(retry, &cancel).await {
                    return;
                }
                retry = (retry * 2).min(MAX_RETRY);
                continue;
            }
        };
        // Subscribe before listing, so nothing that happens in between is missed.
        let mut events = Box::pin(slot_events(&docker));
        let listed = list_slots(&docker, endpoint.timeout).await;
        let failed = listed.is_err();
        let _ = tx.send(Fact::HostSnapshot(id.clone(), listed));
        if failed {
            if !pause(retry, &cancel).await {
                return;
            }
            retry = (retry * 2).min(MAX_RETRY);
            continue;
        }
        retry = FIRST_RETRY;
        let mut reconcile_timer = tokio::time::interval(reconcile);
        reconcile_timer.tick().await;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = reconcile_timer.tick() => {
                    let listed = list_slots(&docker, endpoint.timeout).await;
                    let failed = listed.is_err();
                    let _ = tx.send(Fact::HostSnapshot(id.clone(), listed));
                    if failed { break; }
                }
                event = events.next() => match event {
                    Some(Ok(DockerEvent::Container { id: cid, .. })) => match slot(&docker, &cid, endpoint.timeout).await {
                        Ok(Some(c)) => { let _ = tx.send(Fact::ContainerChanged(id.clone(), c)); }
                        Ok(None) => { let _ = tx.send(Fact::ContainerRemoved(id.clone(), cid)); }
                        Err(e) => { let _ = tx.send(Fact::HostSnapshot(id.clone(), Err(e))); break; }
                    },
                    Some(Err(e)) => { let _ = tx.send(Fact::HostSnapshot(id.clone(), Err(e))); break; }
                    None => break,
                },
            }
        }
        if !pause(retry, &cancel).await {
            return;
        }
    }
}
