//! Watching a swarm: its slot rows listed every [`POLL`] through the manager, sent when they
//! changed (and at least every `reconcile`), and a failed snapshot, retried with backoff, while
//! the manager cannot be reached. Swarm's event stream says little about tasks on Docker 20.10
//! (no task events), hence the polling; each poll is three list calls.

use super::read::picture;
use super::rows::rows;
use crate::docker::{connect, DockerEndpoint};
use crate::platform::SlotNews;
use crate::types::ContainerInfo;
use crate::BackendResult;
use bollard::Docker;
use futures::stream::BoxStream;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How often the manager is asked.
const POLL: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The swarm's slot rows, once, on a connection of its own.
pub(super) async fn snapshot(endpoint: &DockerEndpoint) -> BackendResult<Vec<ContainerInfo>> {
    let docker = connect(endpoint).await?;
    list(&docker, endpoint.timeout).await
}

async fn list(docker: &Docker, timeout: Duration) -> BackendResult<Vec<ContainerInfo>> {
    Ok(rows(&picture(docker, timeout).await?))
}

/// Follows the swarm in a task of its own, which ends when the stream is dropped.
pub(super) fn follow(endpoint: DockerEndpoint, reconcile: Duration) -> BoxStream<'static, SlotNews> {
    crate::platform::news::spawned(move |tx| watch(endpoint, reconcile, tx))
}

/// Sends what the manager says until nobody listens.
async fn watch(endpoint: DockerEndpoint, reconcile: Duration, tx: UnboundedSender<SlotNews>) {
    let mut retry = FIRST_RETRY;
    let mut docker: Option<Docker> = None;
    // What was sent last, and when.
    let mut sent: Option<(Vec<ContainerInfo>, Instant)> = None;
    loop {
        let listed = match &docker {
            Some(d) => list(d, endpoint.timeout).await,
            None => match connect(&endpoint).await {
                Ok(d) => {
                    let listed = list(&d, endpoint.timeout).await;
                    docker = Some(d);
                    listed
                }
                Err(e) => Err(e),
            },
        };
        match listed {
            Ok(now) => {
                retry = FIRST_RETRY;
                let due = match &sent {
                    Some((before, at)) => *before != now || at.elapsed() >= reconcile,
                    None => true,
                };
                if due {
                    if tx.send(SlotNews::Snapshot(Ok(now.clone()))).is_err() {
                        return;
                    }
                    sent = Some((now, Instant::now()));
                }
                tokio::time::sleep(POLL).await;
            }
            Err(e) => {
                // A new connection next time; and the next good answer is sent whatever it is.
                (docker, sent) = (None, None);
                if tx.send(SlotNews::Snapshot(Err(e))).is_err() {
                    return;
                }
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(MAX_RETRY);
            }
        }
    }
}
