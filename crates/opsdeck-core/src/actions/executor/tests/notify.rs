//! The webhooks hear of an action from the executor itself: started, then how it ended, and a
//! break-glass rollback as it starts. (What reaches a receiver is `crate::notify`'s tests.)

use super::*;
use crate::config::{NotifyConfig, NotifyEvent, NotifyFormat};

/// The harness with one webhook (on the discard port: nothing listens, nothing waits).
fn notified(user: &str) -> Harness {
    notified_at(user, "http://127.0.0.1:9/hook")
}

/// The harness with one webhook at `url`.
fn notified_at(user: &str, url: &str) -> Harness {
    let mut config = (*crate::testing::gen_config()).clone();
    for env in config.environments.iter_mut() {
        env.hosts.truncate(1);
    }
    let url = url.to_string();
    config.notify = vec![NotifyConfig { url, format: NotifyFormat::Json, events: NotifyEvent::all() }];
    harness_with(gen_world(), user, Arc::new(config))
}

/// What was sent for `user`'s actions (the list is shared by every test of the process).
fn sent(user: &str) -> Vec<crate::notify::Note> {
    let all = crate::notify::SENT.lock().expect("sent");
    all.iter().filter(|n| n.user == user).cloned().collect()
}

#[tokio::test(start_paused = true)]
async fn a_run_tells_the_webhooks_it_started_and_succeeded() {
    let h = notified("notify-promoter");
    let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let notes = sent("notify-promoter");
    let events: Vec<NotifyEvent> = notes.iter().map(|n| n.event).collect();
    assert_eq!(events, [NotifyEvent::ActionStarted, NotifyEvent::ActionSucceeded]);
    assert!(notes.iter().all(|n| n.action_id == report.id && n.service == "api" && n.env == "prod"));
    assert_eq!(notes[1].outcome.as_deref(), Some("succeeded"));
    assert_eq!(notes[0].summary, "promote api/prod: v1.2.0 -> v1.3.0");
}

#[tokio::test(start_paused = true)]
async fn a_break_glass_rollback_is_told_as_it_starts() {
    let h = notified("notify-breaker");
    let plan = ActionPlan { break_glass: true, ..gen_plan("v1.1.0") };
    let report = h.exec.run(plan, CancellationToken::new()).await;
    assert!(report.succeeded(), "{report:?}");
    let events: Vec<NotifyEvent> = sent("notify-breaker").iter().map(|n| n.event).collect();
    assert!(events.contains(&NotifyEvent::BreakGlass), "{events:?}");
    assert_eq!(events.first(), Some(&NotifyEvent::ActionStarted));
    assert_eq!(events.last(), Some(&NotifyEvent::ActionSucceeded));
}

#[tokio::test(start_paused = true)]
async fn a_webhook_that_never_answers_does_not_slow_the_action() {
    // Accepts every connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    let timed = |h: Harness| async move {
        let started = tokio::time::Instant::now();
        let report = h.exec.run(gen_plan("v1.3.0"), CancellationToken::new()).await;
        assert!(report.succeeded(), "{report:?}");
        started.elapsed()
    };
    let plain = timed(harness(gen_world(), "notify-plain")).await;
    let hung = timed(notified_at("notify-hung", &url)).await;
    assert_eq!(hung, plain, "the action's own time, with and without a hung webhook");
    assert_eq!(sent("notify-hung").len(), 2);
    held.abort();
}
