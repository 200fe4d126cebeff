//! The service's own log lines (one per request, and the start and stop lines), written by a
//! thread of their own so that no request ever waits on stderr.
//!
//! Why: Docker reads a container's output through a pipe. While the daemon is busy (starting or
//! stopping another container) it stops reading for a moment, the pipe fills, and a write to
//! stderr blocks. A request thread blocked there had already answered, but its connection still
//! counted as open; at a few thousand requests a second the count reached the cap in a fraction
//! of a second and new connections were answered `503 too many connections` (issue 14, point 7:
//! bursts of 5xx through HAProxy around a container start or stop). Now a line that finds the
//! queue full is dropped and counted, and the count is written once the pipe drains.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Lines queued for the writer before new ones are dropped: seconds of a busy service's log,
/// far more than a moment's stall of the pipe.
const QUEUE: usize = 8192;

/// A line, and how many were dropped just before it (so the notice is written where they were).
type Queued = (u64, String);

pub struct AccessLog {
    tx: Mutex<Option<SyncSender<Queued>>>,
    dropped: Arc<AtomicU64>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl AccessLog {
    /// A log written to stderr.
    pub fn to_stderr() -> AccessLog {
        AccessLog::new(std::io::stderr(), QUEUE)
    }

    /// A log written to `out` by a thread of its own, at most `queue` lines waiting.
    pub fn new(out: impl Write + Send + 'static, queue: usize) -> AccessLog {
        let (tx, rx) = sync_channel(queue);
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = {
            let dropped = Arc::clone(&dropped);
            std::thread::Builder::new().name("log".into()).spawn(move || write_all(out, &rx, &dropped)).ok()
        };
        AccessLog { tx: Mutex::new(Some(tx)), dropped, writer: Mutex::new(writer) }
    }

    /// Queues `line`; never waits. Dropped (and counted) when the queue is full.
    pub fn line(&self, line: String) {
        let Ok(tx) = self.tx.lock() else { return };
        let Some(tx) = tx.as_ref() else { return };
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if let Err(TrySendError::Full(_)) = tx.try_send((lost, line)) {
            self.dropped.fetch_add(lost + 1, Ordering::Relaxed);
        }
    }

    /// Writes what is queued and stops the writer, waiting at most `limit` for a stalled pipe.
    pub fn close(&self, limit: Duration) {
        // The writer says, once the queue is written, how many were dropped after the last line.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let Some(writer) = self.writer.lock().ok().and_then(|mut w| w.take()) else { return };
        let waited = std::time::Instant::now();
        while !writer.is_finished() && waited.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The writer thread: each line as it comes, after how many were dropped before it, if any; at
/// the end, how many were dropped after the last.
fn write_all(mut out: impl Write, rx: &Receiver<Queued>, dropped: &AtomicU64) {
    let notice = |out: &mut dyn Write, lost: u64| {
        if lost > 0 {
            let _ = writeln!(out, "{} {lost} log lines dropped: the output was not read", crate::clock::now_rfc3339());
        }
    };
    for (lost, line) in rx {
        notice(&mut out, lost);
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    notice(&mut out, dropped.swap(0, Ordering::Relaxed));
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that blocks until the test lets it go, then keeps what it is given.
    struct Gate {
        open: Arc<(Mutex<bool>, std::sync::Condvar)>,
        kept: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (lock, cvar) = &*self.open;
            let mut open = lock.lock().expect("gate");
            while !*open {
                open = cvar.wait(open).expect("gate");
            }
            self.kept.lock().expect("kept").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_never_holds_a_request_and_the_loss_is_told() {
        let open = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let log = AccessLog::new(Gate { open: Arc::clone(&open), kept: Arc::clone(&kept) }, 4);
        let started = std::time::Instant::now();
        // The writer holds one line at the gate, four wait in the queue, the rest are dropped.
        for i in 0..100 {
            log.line(format!("GET / 200 line {i}"));
        }
        assert!(started.elapsed() < Duration::from_secs(1), "a line never waits on the output");
        *open.0.lock().expect("gate") = true;
        open.1.notify_all();
        log.close(Duration::from_secs(5));
        let text = String::from_utf8(kept.lock().expect("kept").clone()).expect("utf-8");
        assert!(text.starts_with("GET / 200 line 0\n"), "{text}");
        assert!(text.contains("log lines dropped: the output was not read"), "{text}");
        let written = text.lines().filter(|l| l.starts_with("GET /")).count();
        let dropped: u64 = text
            .lines()
            .filter(|l| l.contains("dropped"))
            .filter_map(|l| l.split_whitespace().nth(1).and_then(|n| n.parse::<u64>().ok()))
            .sum();
        assert_eq!(written as u64 + dropped, 100, "every line written or counted: {text}");
    }
}
