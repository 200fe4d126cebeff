//! Watching Docker hosts: a full list at start, then the events stream (a health change taken
//! from the event itself, anything else one list call per burst), and a slow reconcile behind it
//! in case an event was missed. A dead engine
//! is reported at once and retried with backoff. Also the logs of a host's slots.

use super::known::Known;
use crate::docker::inventory::{list_slots, running, slot_events};
use crate::docker::logs::{follow as follow_logs, LogLine, Start};
use crate::docker::{connect, DockerEndpoint};
use crate::platform::{LogSession, SlotNews};
use crate::types::ContainerInfo;
use crate::BackendResult;
use bollard::Docker;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How long events are gathered after the first of a burst, so the burst costs one list call.
const BURST: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The slots on one engine, once, on a connection of its own.
pub(super) async fn snapshot(endpoint: &DockerEndpoint) -> BackendResult<Vec<ContainerInfo>> {
    let docker = connect(endpoint).await?;
    list_slots(&docker, endpoint.timeout).await
}

/// Follows one engine in a task of its own, which ends when the stream is dropped.
pub(super) fn follow(endpoint: DockerEndpoint, reconcile: Duration) -> BoxStream<'static, SlotNews> {
    crate::platform::news::spawned(move |tx| watch(endpoint, reconcile, tx))
}

/// Sends what the engine says until nobody listens.
async fn watch(endpoint: DockerEndpoint, reconcile: Duration, tx: UnboundedSender<SlotNews>) {
    let mut retry = FIRST_RETRY;
    loop {
        let docker = match connect(&endpoint).await {
            Ok(d) => d,
            Err(e) => {
                if tx.send(SlotNews::Snapshot(Err(e))).is_err() {
                    return;
                }
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(MAX_RETRY);
                continue;
            }
        };
        // Subscribe before listing, so nothing that happens in between is missed.
        let mut events = Box::pin(slot_events(&docker));
        let listed = list_slots(&docker, endpoint.timeout).await;
        let failed = listed.is_err();
        let listed_copy = listed.as_ref().ok().cloned();
        if tx.send(SlotNews::Snapshot(listed)).is_err() {
            return;
        }
        if failed {
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
            continue;
        }
        retry = FIRST_RETRY;
        let mut known = Known::default();
        if let Some(listed) = &listed_copy {
            known.replace(listed);
        }
        let mut reconcile_timer = tokio::time::interval(reconcile);
        reconcile_timer.tick().await;
        loop {
            let news: Vec<SlotNews> = tokio::select! {
                _ = reconcile_timer.tick() => vec![SlotNews::Snapshot(list_slots(&docker, endpoint.timeout).await)],
                event = events.next() => match event {
                    Some(Ok(event)) => {
                        let mut batch = vec![event];
                        // Events come in bursts (a start is create, start, health_status...):
                        // one list call for the burst.
                        let until = tokio::time::Instant::now() + BURST;
                        while let Ok(Some(Ok(more))) = tokio::time::timeout_at(until, events.next()).await {
                            batch.push(more);
                        }
                        known.news(&docker, endpoint.timeout, batch).await
                    }
                    Some(Err(e)) => vec![SlotNews::Snapshot(Err(e))],
                    None => break,
                },
            };
            let failed = news.iter().any(|n| matches!(n, SlotNews::Snapshot(Err(_))));
            for item in news {
                if let SlotNews::Snapshot(Ok(listed)) = &item {
                    known.replace(listed);
                }
                if tx.send(item).is_err() {
                    return;
                }
            }
            if failed {
                break;
            }
        }
        tokio::time::sleep(retry).await;
    }
}

/// One engine's connection for following logs.
pub(super) struct Logs {
    pub(super) docker: Docker,
    pub(super) timeout: Duration,
}

#[async_trait::async_trait]
impl LogSession for Logs {
    async fn running(&self, slot: &str) -> BackendResult<Option<bool>> {
        running(&self.docker, slot, self.timeout).await
    }

    fn follow(&self, slot: &str, start: Start) -> BoxStream<'static, BackendResult<Vec<LogLine>>> {
        Box::pin(follow_logs(&self.docker, slot, start))
    }
}
