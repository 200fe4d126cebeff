//! What the console loop receives besides the terminal: its own messages (action progress,
//! answers to commands, signals), the watchers' facts and the log followers' news, each on the
//! channel of the layer that sends it, seen by the loop as one stream of [`Msg`].

use crate::msg::Msg;
use opsdeck_core::watch::{FactTx, LogNews, LogTx};
use opsdeck_core::world::Fact;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// The receiving ends.
pub struct Inbox {
    msgs: UnboundedReceiver<Msg>,
    facts: UnboundedReceiver<Fact>,
    logs: UnboundedReceiver<LogNews>,
}

/// The sending ends, cloned into the tasks that send.
pub struct Senders {
    pub msgs: UnboundedSender<Msg>,
    pub facts: FactTx,
    pub logs: LogTx,
}

impl Inbox {
    pub fn new() -> (Inbox, Senders) {
        let (msgs_tx, msgs) = unbounded_channel();
        let (facts_tx, facts) = unbounded_channel();
        let (logs_tx, logs) = unbounded_channel();
        (Inbox { msgs, facts, logs }, Senders { msgs: msgs_tx, facts: facts_tx, logs: logs_tx })
    }

    /// The next message from any channel; None once every sender is gone.
    pub async fn recv(&mut self) -> Option<Msg> {
        tokio::select! {
            Some(msg) = self.msgs.recv() => Some(msg),
            Some(fact) = self.facts.recv() => Some(Msg::Fact(fact)),
            Some(news) = self.logs.recv() => Some(logs(news)),
            else => None,
        }
    }

    /// A message already queued, if any.
    pub fn try_recv(&mut self) -> Option<Msg> {
        self.msgs
            .try_recv()
            .ok()
            .or_else(|| self.facts.try_recv().ok().map(Msg::Fact))
            .or_else(|| self.logs.try_recv().ok().map(logs))
    }
}

fn logs(news: LogNews) -> Msg {
    Msg::Logs(news.generation, news.slot, news.event)
}
