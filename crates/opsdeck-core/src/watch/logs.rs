//! Following slots' logs for the Logs view: one task per slot, started by `Cmd::FollowLogs` and
//! all stopped together (a new follow, the view closing, quit). Lines are sent in batches (every
//! [`BATCH_EVERY`] or [`BATCH_LINES`] lines), so a container printing 10,000 lines a second
//! costs the UI loop ~10 messages (and draws) a second; a batch never holds more than the ring keeps, the
//! rest counted as dropped. Lines are cleaned and masked here (`log_text`), before they are sent. An unreachable engine is reported and retried; the other slots keep
//! streaming. A stream that ends (container stopped or replaced, engine gone) is followed again,
//! from its last line, once the container runs.

use super::log_text::{shown, ShownLine};
use super::pause;
use crate::config::Config;
use crate::outside::{platform_for, Platform};
use crate::secrets::Secrets;
use crate::world::SlotId;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use opsdeck_backends::docker::logs::{LogLine, Start};
use opsdeck_backends::platform::LogSession;
use opsdeck_backends::BackendError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Lines wait at most this long before they are sent.
pub const BATCH_EVERY: Duration = Duration::from_millis(100);
/// A batch this long is sent at once.
pub const BATCH_LINES: usize = 1000;
const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// How often a stopped container is looked at again, to follow it once it runs.
const RECHECK: Duration = Duration::from_secs(2);

/// What a followed slot's log stream says.
#[derive(Debug, Clone)]
pub enum LogEvent {
    /// The engine answered; lines follow.
    Streaming,
    /// A batch of lines, oldest first, already cleaned and masked, and how many lines before
    /// them were dropped on the way (a burst longer than the ring).
    Lines { lines: Vec<ShownLine>, dropped: u64 },
    /// The engine cannot be reached (retried), or refused.
    Failed(BackendError),
    /// The stream ended (the container stopped); it is followed again once the container runs.
    Ended,
}

/// News from one followed slot, for the Logs view opening `generation`.
#[derive(Debug, Clone)]
pub struct LogNews {
    pub generation: u64,
    pub slot: SlotId,
    pub event: LogEvent,
}

/// Where followers send their news.
pub type LogTx = UnboundedSender<LogNews>;

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
    pub fn follow(&mut self, config: &Config, generation: u64, slots: Vec<SlotId>, tail: usize, tx: &LogTx) {
        self.stop();
        let token = self.parent.child_token();
        let secrets = Arc::new(Secrets::from_config(config));
        for slot in slots {
            let env = config.environment(&slot.env).filter(|e| e.hosts.iter().any(|h| h.name == slot.host));
            let Some(env) = env else {
                continue;
            };
            let platform = platform_for(config, env);
            let container = format!("{}-{}-{}", slot.service, slot.env, slot.slot);
            let task = Follower {
                generation,
                slot,
                platform,
                container,
                tail,
                secrets: secrets.clone(),
                tx: tx.clone(),
                cancel: token.clone(),
            };
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
    /// The slot's environment's platform: it opens the host's log session.
    platform: Arc<dyn Platform>,
    container: String,
    tail: usize,
    /// Masked in every line before it is sent.
    secrets: Arc<Secrets>,
    tx: LogTx,
    cancel: CancellationToken,
}

impl Follower {
    fn send(&self, event: LogEvent) -> bool {
        self.tx.send(LogNews { generation: self.generation, slot: self.slot.clone(), event }).is_ok()
    }

    /// Connects (retrying), follows, and when the stream ends (the container stopped, was
    /// replaced by a promote, or its engine went away) waits for the container to run again and
    /// follows it from where it left off.
    async fn run(self) {
        let mut newest: Option<DateTime<Utc>> = None;
        let mut first = true;
        let mut retry = FIRST_RETRY;
        // Kept between streams: an ssh:// engine is not dialled again every recheck.
        let mut client: Option<Arc<dyn LogSession>> = None;
        loop {
            let docker = match client.clone() {
                Some(d) => d,
                None => {
                    let connected: opsdeck_backends::BackendResult<Arc<dyn LogSession>> = tokio::select! {
                        _ = self.cancel.cancelled() => return,
                        c = self.platform.log_session(&self.slot.host) => c.map(Arc::from),
                    };
                    match connected {
                        Ok(d) => {
                            client = Some(d.clone());
                            d
                        }
                        Err(e) => {
                            if !self.send(LogEvent::Failed(e)) || !pause(retry, &self.cancel).await {
                                return;
                            }
                            retry = (retry * 2).min(MAX_RETRY);
                            continue;
                        }
                    }
                }
            };
            if !first {
                // Only a running container is followed again: a stopped one would end at once.
                let state = tokio::select! {
                    _ = self.cancel.cancelled() => return,
                    r = docker.running(&self.container) => r,
                };
                match state {
                    Ok(Some(true)) => {}
                    Ok(_) => {
                        if !pause(RECHECK, &self.cancel).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        client = None;
                        if !self.send(LogEvent::Failed(e)) || !pause(retry, &self.cancel).await {
                            return;
                        }
                        retry = (retry * 2).min(MAX_RETRY);
                        continue;
                    }
                }
            }
            retry = FIRST_RETRY;
            let start = match (first, newest) {
                (false, Some(at)) => Start::Since(at),
                _ => Start::Tail(self.tail),
            };
            first = false;
            match self.stream(docker.as_ref(), start, &mut newest).await {
                Some(end) => {
                    if matches!(end, LogEvent::Failed(_)) {
                        client = None;
                    }
                    if !self.send(end) || !pause(RECHECK, &self.cancel).await {
                        return;
                    }
                }
                None => return,
            }
        }
    }

    /// One stream, until it ends: the event that says how (`None`: cancelled, or the console is
    /// gone). Lines not newer than `newest` as it was when the stream started were already sent
    /// (a stream followed again starts at the second of the last line) and are skipped.
    async fn stream(
        &self,
        docker: &dyn LogSession,
        start: Start,
        newest: &mut Option<DateTime<Utc>>,
    ) -> Option<LogEvent> {
        if !self.send(LogEvent::Streaming) {
            return None;
        }
        let cutoff = *newest;
        let mut lines = docker.follow(&self.container, start);
        let mut batch = Batch::new(self.tail);
        let mut tick = tokio::time::interval(BATCH_EVERY);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return None,
                _ = tick.tick() => {
                    if !batch.is_empty() && !self.send(batch.take(&self.secrets)) {
                        return None;
                    }
                }
                item = lines.next() => match item {
                    Some(Ok(new)) => {
                        let new = after_cutoff(new, cutoff);
                        *newest = newest_of(*newest, &new);
                        batch.extend(new);
                        if batch.lines.len() >= BATCH_LINES && !self.send(batch.take(&self.secrets)) {
                            return None;
                        }
                    }
                    Some(Err(e)) => {
                        if !batch.is_empty() && !self.send(batch.take(&self.secrets)) {
                            return None;
                        }
                        return Some(LogEvent::Failed(e));
                    }
                    None => {
                        if !batch.is_empty() && !self.send(batch.take(&self.secrets)) {
                            return None;
                        }
                        return Some(LogEvent::Ended);
                    }
                },
            }
        }
    }
}

/// The lines of a stream followed again that come after `cutoff` (the newest line of the streams
/// before: Docker starts again at its second, so what was seen of that second comes again). A line
/// without a timestamp is kept. Within one stream nothing is dropped: stdout and stderr lines
/// arrive in their own order, not always by time.
fn after_cutoff(lines: Vec<LogLine>, cutoff: Option<DateTime<Utc>>) -> Vec<LogLine> {
    match cutoff {
        None => lines,
        Some(cutoff) => lines.into_iter().filter(|l| l.at.is_none_or(|at| at > cutoff)).collect(),
    }
}

/// The newest of `newest` and the lines' times.
fn newest_of(newest: Option<DateTime<Utc>>, lines: &[LogLine]) -> Option<DateTime<Utc>> {
    lines.iter().filter_map(|l| l.at).chain(newest).max()
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

    /// The waiting lines, made fit for the screen here, in the follower's task.
    fn take(&mut self, secrets: &Secrets) -> LogEvent {
        let lines = std::mem::take(&mut self.lines).into_iter().map(|l| shown(l, secrets)).collect();
        LogEvent::Lines { lines, dropped: std::mem::take(&mut self.dropped) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsdeck_backends::docker::logs::LogSource;

    fn line(i: usize) -> LogLine {
        LogLine { at: None, source: LogSource::Stdout, text: i.to_string(), cut: 0 }
    }

    fn at(i: usize, second: i64, nanos: u32) -> LogLine {
        LogLine { at: chrono::DateTime::from_timestamp(second, nanos), ..line(i) }
    }

    #[test]
    fn a_stream_followed_again_skips_the_lines_already_sent() {
        // The first stream: stderr's line may come after a newer stdout line; all are kept.
        let first = vec![at(0, 100, 0), at(1, 100, 700), at(2, 100, 500), line(3)];
        assert_eq!(after_cutoff(first.clone(), None).len(), 4);
        let newest = newest_of(None, &first);
        assert_eq!(newest, chrono::DateTime::from_timestamp(100, 700));
        // Docker starts again at second 100: what was seen of it comes again and is dropped.
        let again = vec![at(0, 100, 0), at(1, 100, 700), at(4, 100, 900), at(5, 101, 0), line(6)];
        let kept = after_cutoff(again, newest);
        assert_eq!(kept.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["4", "5", "6"]);
        assert_eq!(newest_of(newest, &kept), chrono::DateTime::from_timestamp(101, 0));
    }

    #[test]
    fn a_batch_keeps_at_most_the_ring_and_counts_the_rest() {
        let mut b = Batch::new(3);
        b.extend((0..5).map(line).collect());
        b.extend(vec![line(5)]);
        match b.take(&Secrets::default()) {
            LogEvent::Lines { lines, dropped } => {
                assert_eq!(lines.iter().map(|l| l.2.as_str()).collect::<Vec<_>>(), ["3", "4", "5"]);
                assert_eq!(dropped, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(b.is_empty());
    }
}
