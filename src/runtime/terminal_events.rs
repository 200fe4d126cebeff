//! Terminal events (keys, clicks, resizes) read on a thread of their own and handed to the loop
//! over a channel. crossterm's `EventStream` polls its shared reader on every turn of the loop
//! while its own helper thread holds the reader's lock, waiting for input: each poll spun on that
//! lock (about 80 `sched_yield` calls a second on an idle console, measured with `strace -c`). A
//! thread blocked in `read` costs nothing until a key arrives.

use crossterm::event::Event;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Starts the reader. The channel ends after the first error (which it carries) or when the
/// loop has gone; the thread, blocked in `read`, ends with the process.
pub fn spawn() -> std::io::Result<UnboundedReceiver<std::io::Result<Event>>> {
    let (tx, rx) = unbounded_channel();
    std::thread::Builder::new().name("terminal-events".into()).spawn(move || loop {
        let event = crossterm::event::read();
        let failed = event.is_err();
        if tx.send(event).is_err() || failed {
            break;
        }
    })?;
    Ok(rx)
}
