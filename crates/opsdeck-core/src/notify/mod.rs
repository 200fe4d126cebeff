//! Telling the team's webhooks (`[[notify]]`, see [`crate::config::notify`]) what the action
//! layer did: an action started, succeeded or failed, rolled back by itself, a break-glass
//! rollback, an approval asked for or decided.
//!
//! [`send`] never delays or fails what called it: it spawns one task for all the webhooks that
//! want the event and returns at once; each POST is bounded ([`post::TIMEOUT`]) and retried a
//! few times ([`post::ATTEMPTS`]); a webhook that cannot be told is logged, not raised. Every
//! string in a body is cleaned and has the config's secrets masked; a URL is shown masked.

pub mod body;
pub mod post;

use crate::config::{Config, NotifyConfig, NotifyEvent};
use crate::secrets::Secrets;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What happened, as every webhook is told it.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub event: NotifyEvent,
    pub service: String,
    pub env: String,
    /// The action's id in the journal (for approvals, the action that ran, if one did).
    pub action_id: Option<i64>,
    /// Who did it (the requester or the approver, for approvals).
    pub user: String,
    /// How it ended, where it has ended (`succeeded`, `rolled_back`, `approved`, ...).
    pub outcome: Option<String>,
    pub reason: String,
    /// One line for a person (the Slack text): what, from -> to.
    pub summary: String,
    pub time: DateTime<Utc>,
}

impl Note {
    /// A note of `event` on `service` in `env` by `user`, now; the rest is filled by the caller.
    pub fn new(event: NotifyEvent, service: &str, env: &str, user: &str, summary: String) -> Note {
        Note {
            event,
            service: service.into(),
            env: env.into(),
            action_id: None,
            user: user.into(),
            outcome: None,
            reason: String::new(),
            summary,
            time: Utc::now(),
        }
    }
}

/// The note of `event` on approval request `request`, by `by` (the requester or the decider).
pub fn of_request(event: NotifyEvent, request: &crate::store::Request, by: &str) -> Note {
    let from = request.from.as_ref().map_or("nothing", |f| f.tag.as_str());
    let summary =
        format!("request {}: {} {}: {from} -> {}", request.id, request.kind, request.subject(), request.to.tag);
    let mut note = Note::new(event, &request.service, &request.env, by, summary);
    note.action_id = request.action_id.map(|a| a.0);
    note.outcome = Some(request.state.as_str().to_string());
    note.reason = request.decision_reason.clone().unwrap_or_else(|| request.reason.clone());
    note
}

/// Notes [`send`] was given, for tests that drive the action layer (the console's and the
/// CLI's paths to a webhook are the same function).
#[cfg(test)]
pub(crate) static SENT: std::sync::Mutex<Vec<Note>> = std::sync::Mutex::new(Vec::new());

/// Sends `note` to every webhook of `config` that wants it, in a task of its own: returns at
/// once, with the task (None when no webhook wants it, or when there is no async runtime to
/// send from, which is logged).
pub fn send(config: &Config, note: Note) -> Option<tokio::task::JoinHandle<()>> {
    let hooks: Vec<NotifyConfig> = config.notify.iter().filter(|n| n.wants(note.event)).cloned().collect();
    if hooks.is_empty() {
        return None;
    }
    #[cfg(test)]
    if let Ok(mut sent) = SENT.lock() {
        sent.push(note.clone());
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(event = note.event.as_str(), "notification not sent: no async runtime");
        return None;
    };
    let secrets = Arc::new(Secrets::from_config(config));
    let under_way = UnderWay::start();
    Some(runtime.spawn(async move {
        let _under_way = under_way;
        let sends = hooks.iter().map(|hook| send_one(hook, &note, &secrets));
        futures::future::join_all(sends).await;
    }))
}

/// How many notifications are being sent. A process that ends drops its tasks, so a command
/// waits for them, bounded, before it exits ([`settle`]): else the CLI's "succeeded" would never
/// leave the machine.
fn under_way() -> &'static tokio::sync::watch::Sender<usize> {
    static UNDER_WAY: std::sync::OnceLock<tokio::sync::watch::Sender<usize>> = std::sync::OnceLock::new();
    UNDER_WAY.get_or_init(|| tokio::sync::watch::Sender::new(0))
}

/// One send counted while it lives (counted down even when its task is dropped).
struct UnderWay;

impl UnderWay {
    fn start() -> UnderWay {
        under_way().send_modify(|n| *n += 1);
        UnderWay
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        under_way().send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Waits until every notification under way is sent (or given up on), at most `limit`. True
/// when none is left; false, logged, when some were still being sent.
pub async fn settle(limit: std::time::Duration) -> bool {
    let mut count = under_way().subscribe();
    let settled = tokio::time::timeout(limit, count.wait_for(|n| *n == 0)).await.is_ok();
    if !settled {
        let left = *under_way().borrow();
        tracing::warn!(left, "notifications still being sent when the command ended: given up");
    }
    settled
}

/// One webhook, retried, its outcome logged.
async fn send_one(hook: &NotifyConfig, note: &Note, secrets: &Secrets) {
    let body = body::of(hook.format, note, secrets);
    let shown = hook.shown_url();
    match post::with_retries(&hook.url, &body).await {
        Ok(attempts) => tracing::debug!(url = %shown, event = note.event.as_str(), attempts, "notification sent"),
        Err(e) => tracing::warn!(
            url = %shown,
            event = note.event.as_str(),
            "notification not sent: {}",
            secrets.mask(&e)
        ),
    }
}

#[cfg(test)]
mod tests;
