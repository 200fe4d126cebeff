//! `[[notify]]` (and `--json`) on the demo stack: a webhook receiver started here is told of a real rollback
//! (started, succeeded) and of a canary that rolled back by itself, after the command's own
//! outcome and before the command exits; a Slack-format hook that wants only auto-rollbacks gets
//! only that; no body carries the demo's secret value or the hook's token.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::load::under_load;
use support::{stack_available, Demo};

/// The demo's secret env value (src/demo/config_file.rs) and a token in the hooks' URLs.
const SECRET: &str = "s3cr3t-Val-42";
const TOKEN: &str = "T0KEN-in-url";

/// (path, body) of every POST received.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// An HTTP receiver on 127.0.0.1 answering 200 to every request, one connection at a time,
/// recording each request before it answers (so a command that waited for its notifications
/// finds them here when it exits).
fn receiver() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received: Received = Arc::default();
    let seen = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            seen.lock().expect("lock").push((path, String::from_utf8_lossy(&body).into_owned()));
            let _ = reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, received)
}

fn bodies(received: &Received, path: &str) -> Vec<serde_json::Value> {
    let all = received.lock().expect("lock").clone();
    all.iter()
        .filter(|(p, _)| p.starts_with(path))
        .map(|(_, b)| serde_json::from_str(b).unwrap_or_else(|e| panic!("body is JSON: {e}: {b}")))
        .collect()
}

#[test]
fn a_real_rollback_and_an_auto_rollback_reach_the_webhooks_without_secrets() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let (port, received) = receiver();
    let mut config = std::fs::read_to_string(demo.config()).expect("config");
    config.push_str(&format!(
        "\n[[notify]]\nurl = \"http://127.0.0.1:{port}/json?token={TOKEN}\"\n\n\
         [[notify]]\nurl = \"http://127.0.0.1:{port}/slack/{TOKEN}\"\nformat = \"slack\"\nevents = [\"auto_rollback\"]\n"
    ));
    std::fs::write(demo.config(), config).expect("write config");

    // A rollback: told when it starts and when it succeeds, by the time the command has exited;
    // its `--json` outcome is one line naming the same action.
    let (st, out, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s", "--json"]);
    assert!(st.success(), "{err}");
    let outcome: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        (outcome["action"].as_str(), outcome["outcome"].as_str()),
        (Some("rollback"), Some("succeeded")),
        "{out}"
    );
    let json = bodies(&received, "/json");
    let events: Vec<&str> = json.iter().filter_map(|b| b["event"].as_str()).collect();
    assert_eq!(events, ["action_started", "action_succeeded"], "{json:?}");
    for body in &json {
        assert_eq!((body["service"].as_str(), body["env"].as_str()), (Some("api"), Some("prod")), "{body}");
        assert_eq!(body["action_id"], outcome["id"], "{body}");
    }
    assert!(bodies(&received, "/slack").is_empty(), "the Slack hook wants only auto-rollbacks");

    // The demo's release candidate answers 10 % of its requests with 500: the canary rolls back
    // by itself, and both hooks hear of it.
    let url = demo.status_json()["environments"][2]["services"][0]["url"].as_str().expect("url").to_string();
    let canary = ["canary", "api", "--to", "prod", "--image", "v1.4.0-rc.1", "--force", "--stages", "10,50,100"];
    let args: Vec<&str> = canary.iter().chain(["--hold", "3s", "--yes", "--watch", "0s"].iter()).copied().collect();
    let (ok, out, _, _) = under_load(&demo, &url, &args);
    assert!(!ok, "the canary rolled back: {out}");
    let auto: Vec<serde_json::Value> =
        bodies(&received, "/json").into_iter().filter(|b| b["event"] == "auto_rollback").collect();
    assert_eq!(auto.len(), 1, "{:?}", bodies(&received, "/json"));
    let reason = auto[0]["reason"].as_str().unwrap_or_default();
    // Which stage it rolls back at depends on which requests happen to fail (10 % of a 10 % share
    // may show no 500 in the first stage's hold): that it rolled back by itself is the point here.
    assert!(reason.contains("rolled back by itself at ") && reason.contains("% 5xx ("), "{}", auto[0]);
    let slack = bodies(&received, "/slack");
    assert_eq!(slack.len(), 1, "{slack:?}");
    let text = slack[0]["text"].as_str().expect("slack text");
    assert!(text.starts_with("[opsdeck] auto_rollback"), "{text}");

    // Nothing sent carries a secret: not the demo's secret value, not the hooks' token.
    for (path, body) in received.lock().expect("lock").iter() {
        assert!(!body.contains(SECRET) && !body.contains(TOKEN), "{path}: {body}");
    }
}
