//! A platform's [`SlotNews`] as a stream fed by a task of its own: the task ends when the stream
//! is dropped (nobody listens), and a platform that cannot follow a host says why once.

use super::SlotNews;
use crate::BackendError;
use futures::stream::BoxStream;
use std::future::Future;
use tokio::sync::mpsc::UnboundedSender;

/// Runs `watch` in a task of its own, sending into the returned stream, until the stream is
/// dropped or `watch` ends.
pub fn spawned<F, Fut>(watch: F) -> BoxStream<'static, SlotNews>
where
    F: FnOnce(UnboundedSender<SlotNews>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let closed = tx.clone();
    let watching = watch(tx);
    tokio::spawn(async move {
        tokio::select! {
            _ = closed.closed() => {}
            _ = watching => {}
        }
    });
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// A stream that says once why the host cannot be followed.
pub fn failed(e: BackendError) -> BoxStream<'static, SlotNews> {
    Box::pin(futures::stream::once(async move { SlotNews::Snapshot(Err(e)) }))
}
