//! Following slots' logs for the Logs view: one task per slot, started by `Cmd::FollowLogs` and
//! all stopped together (a new follow, the view closing, quit). Lines are sent in batches (every
//! [`BATCH_EVERY`] or [`BATCH_LINES`] lines), so a container printing 10,000 lines a second
//! costs the UI loop ~10 messages (and draws) a second; a batch never holds more than the ring keeps, the
//! rest counted as dropped. An unreachable engine is reported and retried; the other slots keep
//! streaming.

use super::{docker::endpoint, pause, MsgTx};
use crate::config::Config;
use crate::model::SlotId;
use crate::msg::{LogEvent, Msg};
use futures::StreamExt;
use opsdeck_backends::docker::logs::{follow, LogLine};
use opsdeck_backends::docker::{connect, DockerEndpoint};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Lines wait at most this long before they are sent.
pub const BATCH_EVERY: Duration = Duration::from_millis(100);
/// A batch this long is sent at once.
pub const BATCH_LINES: usize = 1000;
const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The running followers: cancelling the token stops them all.
pub struct LogFollowers {
    parent: CancellationToken,
    current: Option<CancellationToken>,
}

impl LogFollowers {
    /// Followers stop when `parent` is cancelled (quit) too.
    pub fn new(parent: &CancellationToken) -> LogFollowers {
        LogFollowers { parent: parent.clone(), current: None }
    }

    /// Stops what was followed and follows `slots` instead.
    pub fn follow(&mut self, config: &Config, generation: u64, slots: Vec<SlotId>, tail: usize, tx: &MsgTx) {
        self.stop();
        let token = self.parent.child_token();
        for slot in slots {
            let Some(host) = config.environment(&slot.env).and_then(|e| e.hosts.iter().find(|h| h.name == slot.host))
            else {
                continue;
            };
            let endpoint = endpoint(host, config.timeouts.docker);
            let container = format!("{}-{}-{}", slot.service, slot.env, slot.slot);
            let task = Follower { generation, slot, endpoint, container, tail, tx: tx.clone(), cancel: token.clone() };
            tokio::spawn(task.run());
        }
        self.current = Some(token);
    }

    pub fn stop(&mut self) {
        if let Some(token) = self.current.take() {
            token.cancel();
        }
    }
}

struct Follower {
    generation: u64,
    slot: SlotId,
    endpoint: DockerEndpoint,
    container: String,
    tail: usize,
    tx: MsgTx,
    cancel: CancellationToken,
}

impl Follower {
    fn send(&self, event: LogEvent) -> bool {
        self.tx.send(Msg::Logs(self.generation, self.slot.clone(), event)).is_ok()
    }

    async fn run(self) {
        let mut retry = FIRST_RETRY;
        let docker = loop {
            let connected = tokio::select! {
                _ = self.cancel.cancelled() => return,
                c = connect(&self.endpoint) => c,
            };
            match connected {
                Ok(d) => break d,
                Err(e) => {
                    if !self.send(LogEvent::Failed(e)) || !pause(retry, &self.cancel).await {
                        return;
                    }
                    retry = (retry * 2).min(MAX_RETRY);
                }
            }
        };
        self.send(LogEvent::Streaming);
        let mut lines = Box::pin(follow(&docker, &self.container, self.tail));
        let mut batch = Batch::new(self.tail);
        let mut tick = tokio::time::interval(BATCH_EVERY);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tick.tick() => {
                    if !batch.is_empty() && !self.send(batch.take()) {
                        return;
                    }
                }
                item = lines.next() => match item {
                    Some(Ok(new)) => {
                        batch.extend(new);
                        if batch.lines.len() >= BATCH_LINES && !self.send(batch.take()) {
                            return;
                        }
                    }
                    Some(Err(e)) => {
                        if !batch.is_empty() {
                            self.send(batch.take());
                        }
                        self.send(LogEvent::Failed(e));
                        return;
                    }
                    None => {
                        if !batch.is_empty() {
                            self.send(batch.take());
                        }
                        self.send(LogEvent::Ended);
                        return;
                    }
                },
            }
        }
    }
}

/// Lines waiting to be sent: never more than the ring keeps, the older ones counted instead.
struct Batch {
    lines: Vec<LogLine>,
    dropped: u64,
    limit: usize,
}

impl Batch {
    fn new(limit: usize) -> Batch {
        Batch { lines: Vec::new(), dropped: 0, limit: limit.max(1) }
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.dropped == 0
    }

    fn extend(&mut self, new: Vec<LogLine>) {
        self.lines.extend(new);
        if self.lines.len() > self.limit {
            let excess = self.lines.len() - self.limit;
            self.lines.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    fn take(&mut self) -> LogEvent {
        LogEvent::Lines { lines: std::mem::take(&mut self.lines), dropped: std::mem::take(&mut self.dropped) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdeck_backends::docker::logs::LogSource;

    fn line(i: usize) -> LogLine {
        LogLine { at: None, source: LogSource::Stdout, text: i.to_string(), cut: 0 }
    }

    #[test]
    fn a_batch_keeps_at_most_the_ring_and_counts_the_rest() {
        let mut b = Batch::new(3);
        b.extend((0..5).map(line).collect());
        b.extend(vec![line(5)]);
        match b.take() {
            LogEvent::Lines { lines, dropped } => {
                assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["3", "4", "5"]);
                assert_eq!(dropped, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(b.is_empty());
    }
}
