//! Against a receiver on 127.0.0.1 started here: what arrives, that no secret does, and that a
//! receiver that never answers delays nobody.

use super::*;
use crate::config::{EnvValue, NotifyFormat};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "hunter22-s3cret";
const TOKEN: &str = "t0ken-in-the-url";

/// A receiver that answers 200 to each request and hands over its body.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(body) = read_request(&mut socket).await {
                    let _ =
                        socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                    let _ = tx.send(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null));
                }
            });
        }
    });
    (format!("http://127.0.0.1:{}/hook?token={TOKEN}", addr.port()), rx)
}

/// A receiver that accepts, reads nothing, answers nothing and holds every connection open:
/// its URL and its task (to abort).
async fn hanging_receiver() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    (format!("http://127.0.0.1:{port}/hook"), held)
}

/// The body of one HTTP/1.1 request (by its content-length).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some(buf[end + 4..end + 4 + length].to_vec());
            }
        }
    }
}

/// The fixture config with a secret env value and one webhook at `url`.
fn config_with(url: &str, format: NotifyFormat, events: Vec<NotifyEvent>) -> Config {
    let mut config = (*crate::testing::gen_config()).clone();
    let secret = EnvValue { value: SECRET.into(), secret: true, source: None };
    config.services[0].env.insert("DB_PASSWORD".into(), secret);
    config.notify = vec![NotifyConfig { url: url.into(), format, events }];
    config
}

fn note(event: NotifyEvent) -> Note {
    let mut n = Note::new(event, "api", "prod", "alice", "rollback api prod v1.3.0 -> v1.2.0".into());
    n.action_id = Some(7);
    n.reason = format!("health said {SECRET} and {TOKEN}");
    n
}

#[tokio::test]
async fn the_receiver_gets_the_event_with_no_secret_in_it() {
    let (url, mut bodies) = receiver().await;
    let config = config_with(&url, NotifyFormat::Json, vec![NotifyEvent::AutoRollback]);
    let task = send(&config, note(NotifyEvent::AutoRollback)).expect("a webhook wants it");
    let body = tokio::time::timeout(Duration::from_secs(10), bodies.recv()).await.expect("in time").expect("a body");
    let _ = task.await;
    assert_eq!(body["event"], "auto_rollback");
    assert_eq!((body["service"].as_str(), body["env"].as_str()), (Some("api"), Some("prod")));
    assert_eq!(body["action_id"], 7);
    assert_eq!(body["user"], "alice");
    let text = body.to_string();
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn a_slack_webhook_gets_text() {
    let (url, mut bodies) = receiver().await;
    let config = config_with(&url, NotifyFormat::Slack, NotifyEvent::all());
    let _task = send(&config, note(NotifyEvent::BreakGlass));
    let body = tokio::time::timeout(Duration::from_secs(10), bodies.recv()).await.expect("in time").expect("a body");
    let text = body["text"].as_str().expect("text");
    assert!(text.starts_with("[opsdeck] break_glass: rollback api prod"), "{text}");
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn an_event_nobody_wants_is_not_sent() {
    let config = config_with("http://127.0.0.1:9/hook", NotifyFormat::Json, vec![NotifyEvent::ActionFailed]);
    assert!(send(&config, note(NotifyEvent::ActionStarted)).is_none());
}

#[tokio::test]
async fn a_receiver_that_never_answers_delays_nothing() {
    let (url, held) = hanging_receiver().await;
    let config = config_with(&url, NotifyFormat::Json, NotifyEvent::all());
    let started = Instant::now();
    let task = send(&config, note(NotifyEvent::ActionStarted)).expect("sent");
    assert!(started.elapsed() < Duration::from_millis(50), "send returned in {:?}", started.elapsed());
    assert!(!task.is_finished(), "the POST waits in its own task");
    task.abort();
    // And the POST itself gives up within its bounds: every attempt timed out, said without the URL.
    let body = serde_json::json!({"event": "action_started"});
    let short = Duration::from_millis(200);
    let started = Instant::now();
    let e = post::with_retries_bounded(&url, &body, short, Duration::from_millis(10)).await.expect_err("no answer");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(e.starts_with("no answer within 200ms (attempt 3 of 3)"), "{e}");
    held.abort();
}

#[tokio::test]
async fn a_4xx_is_not_retried_and_the_error_has_no_url() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let counted = tokio::spawn(async move {
        let mut n = 0;
        while let Ok(Ok((mut socket, _))) = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await {
            n += 1;
            let _ = read_request(&mut socket).await;
            let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        }
        n
    });
    let url = format!("http://127.0.0.1:{port}/services/T1/B2/{TOKEN}");
    let body = serde_json::json!({});
    let e = post::with_retries_bounded(&url, &body, Duration::from_secs(2), Duration::from_millis(10))
        .await
        .expect_err("404");
    assert_eq!(e, "HTTP 404 Not Found (attempt 1 of 3)");
    assert_eq!(counted.await.expect("counted"), 1);
}

#[tokio::test]
async fn settle_waits_for_what_is_under_way_and_no_longer_than_its_bound() {
    let (url, mut bodies) = receiver().await;
    let config = config_with(&url, NotifyFormat::Json, NotifyEvent::all());
    let _task = send(&config, note(NotifyEvent::ActionSucceeded)).expect("sent");
    assert!(settle(Duration::from_secs(20)).await, "settled");
    // Settled means delivered: the body is there without waiting any longer.
    let body = bodies.try_recv().expect("delivered before settle returned");
    assert_eq!(body["event"], "action_succeeded");

    // A receiver that never answers: settle gives up at its bound.
    let (url, held) = hanging_receiver().await;
    let config = config_with(&url, NotifyFormat::Json, NotifyEvent::all());
    let task = send(&config, note(NotifyEvent::ActionFailed)).expect("sent");
    let started = Instant::now();
    assert!(!settle(Duration::from_millis(300)).await, "a hanging receiver is not waited for past the bound");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    task.abort();
    held.abort();
}
