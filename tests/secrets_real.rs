//! A secret environment value on the real demo stack: the demo's config gives api
//! `API_TOKEN = { value = "s3cr3t-Val-42", secret = true }`. After a headless promote and rollback
//! of prod api, with an alert whose annotation carries the value (outside text that leaks it, as
//! a health body or an engine's error could), and the console in a pty showing the Alerts and
//! Health panes, the confirmation and the Actions pane, the value is found nowhere: not in the
//! state store's files, the audit export, `status --json`, or any byte drawn on the terminal.
//! And the containers did get it: that is what the value is for.
//!
//! The console's Logs view on prod api, whose containers print their environment (the value
//! with it) when they start, shows it masked; opsdeck's own log file holds it nowhere.
//!
//! The same holds for secrets read from where they live: the test adds to api's env a value read
//! from a file, one from a command's output and one from opsdeck's environment; the containers
//! get them, and they are found nowhere else either.
//!
//! Also here: a state store open to other users is refused with the command that fixes it.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::pty::Console;
use support::{stack_available, Demo};

/// The demo's secret value (`opsdeck::demo` writes it into its config).
const SECRET: &str = "s3cr3t-Val-42";
const MASK: &str = "••••";
/// Read from a file, a command and opsdeck's environment (added to the config by the test).
const FROM_FILE: &str = "file-Val-55";
const FROM_COMMAND: &str = "cmd-Val-77";
const FROM_ENV: &str = "env-Val-66";
const ALL: [&str; 4] = [SECRET, FROM_FILE, FROM_COMMAND, FROM_ENV];
/// The file's value after the rotation.
const ROTATED: &str = "file-Val-56";

fn assert_hidden(what: &str, text: &str) {
    for secret in ALL {
        assert!(!text.contains(secret), "the secret value {secret:?} appears in {what}:\n{text}");
    }
}

/// api's env gains three values read from their sources; the command builds its output from two
/// halves, so the value itself is written nowhere, the config included.
fn add_sourced_secrets(demo: &Demo) {
    std::fs::write(demo.dir.path().join("secret.txt"), format!("{FROM_FILE}\n")).expect("secret file");
    let (head, tail) = FROM_COMMAND.split_at(4);
    let sourced = format!(
        "env = {{ SRC_FILE_SECRET = {{ file = \"secret.txt\" }}, \
         SRC_CMD_SECRET = {{ command = [\"sh\", \"-c\", \"printf %s {head}; printf %s {tail}\"] }}, \
         SRC_ENV_SECRET = {{ from_env = \"OPSDECK_TEST_SOURCED\" }}, "
    );
    let text = std::fs::read_to_string(demo.config()).expect("config");
    std::fs::write(demo.config(), text.replacen("env = { ", &sourced, 1)).expect("config with sources");
    // Every opsdeck this test starts (headless and in the pty) inherits it.
    std::env::set_var("OPSDECK_TEST_SOURCED", FROM_ENV);
}

/// A POST of a JSON body on loopback, returning the whole answer.
fn http_post_json(url: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// `docker inspect`'s `Config.Env` of a container.
fn container_env(name: &str) -> Vec<String> {
    let out = Command::new("/usr/bin/docker")
        .args(["inspect", "--format", "{{json .Config.Env}}", name])
        .output()
        .expect("docker inspect");
    assert!(out.status.success(), "docker inspect {name}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("env as JSON")
}

fn status_json(demo: &Demo) -> (serde_json::Value, String) {
    let (st, out, err) = demo.opsdeck(&["status", "--json"]);
    assert!(st.success(), "{err}");
    (serde_json::from_str(&out).expect("status json"), out + &err)
}

/// Every byte of the store's file and its `-wal` and `-shm`, as written on disk.
fn store_bytes(state: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = state.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            std::fs::read(&p).ok().map(|b| (p.display().to_string(), b))
        })
        .collect()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_secret_value_reaches_the_container_and_nowhere_else() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let config_text = std::fs::read_to_string(demo.config()).expect("config");
    assert!(
        config_text.contains(&format!("API_TOKEN = {{ value = \"{SECRET}\", secret = true }}")),
        "the demo's config carries the secret:\n{config_text}"
    );
    add_sourced_secrets(&demo);
    let config = opsdeck_core::config::load(&demo.config()).expect("config loads");
    let am = config.alertmanager.as_ref().expect("alertmanager").url.clone();
    let cfg = demo.config().to_str().expect("utf-8 path").to_string();

    // Outside text that carries the value: an alert annotation (as a health body echoing its
    // environment, or an engine's error line, could).
    let alert = serde_json::json!([{
        "labels": {"alertname": "TokenRejected", "service": "api", "env": "prod", "severity": "warning"},
        "annotations": {"summary": format!("{SECRET} was rejected by api")},
    }]);
    let answer = http_post_json(&format!("{am}/api/v2/alerts"), &alert.to_string());
    assert!(answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"), "{answer}");

    // Headless: promote prod api (staging's v1.3.0 into the idle green slot), then roll it back.
    let mut headless = String::new();
    for args in [["promote", "api", "--to", "prod"], ["rollback", "api", "--env", "prod"]] {
        let out = Command::new(support::opsdeck_bin())
            .args(["--config", &cfg])
            .args(args)
            .args(["--yes", "--watch", "0s"])
            .output()
            .expect("run opsdeck");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{args:?}: {text}");
        assert_hidden(&format!("the output of {args:?}"), &text);
        headless.push_str(&text);
        if args[0] == "promote" {
            // The slot opsdeck made for the promotion got the value.
            let (v, _) = status_json(&demo);
            let api = &v["environments"][2]["services"][0];
            assert_eq!(api["image"]["tag"], "v1.3.0", "{api}");
            let live = api["live_slot"].as_str().expect("live slot").to_string();
            let env = container_env(&format!("api-prod-{live}"));
            assert!(env.contains(&format!("API_TOKEN={SECRET}")), "api-prod-{live} lacks the value: {env:?}");
            for (name, value) in
                [("SRC_FILE_SECRET", FROM_FILE), ("SRC_CMD_SECRET", FROM_COMMAND), ("SRC_ENV_SECRET", FROM_ENV)]
            {
                assert!(env.contains(&format!("{name}={value}")), "api-prod-{live} lacks {name}: {env:?}");
            }
            assert!(env.contains(&"LOG_LEVEL=info".to_string()), "{env:?}");
        }
    }
    let (v, status_text) = status_json(&demo);
    let api = &v["environments"][2]["services"][0];
    assert_eq!(api["image"]["tag"], "v1.2.0", "rolled back: {api}");
    let live = api["live_slot"].as_str().expect("live slot").to_string();
    assert!(container_env(&format!("api-prod-{live}")).contains(&format!("API_TOKEN={SECRET}")));

    // status --json: the alert is there, its annotation masked.
    assert_hidden("status --json", &status_text);
    let token_alert = v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["name"] == "TokenRejected")
        .cloned()
        .expect("the alert in status");
    assert_eq!(token_alert["annotations"]["summary"], format!("{MASK} was rejected by api"));
    let (_, text, err) = demo.opsdeck(&["status"]);
    assert_hidden("status", &(text + &err));

    // The audit trail holds both actions, and not the value.
    let (st, export, err) = demo.opsdeck(&["audit", "export", "--jsonl"]);
    assert!(st.success(), "{err}");
    assert_hidden("the audit export", &(export.clone() + &err));
    let actions: Vec<serde_json::Value> = export
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["kind"] == "action")
        .collect();
    assert!(actions.len() >= 2, "promote and rollback audited: {export}");
    let (_, audit, err) = demo.opsdeck(&["audit", "--json"]);
    assert_hidden("opsdeck audit --json", &(audit + &err));

    // The console in a pty, wide enough for the Alerts pane's summary column: Alerts (the masked
    // annotation), Health, the confirmation, Actions, Logs.
    let mut console = Console::spawn(&["--config", &cfg], 240, 60);
    console.wait_text("TokenRejected", Duration::from_secs(15));
    console.wait_text(MASK, Duration::from_secs(15));
    console.wait_text("healthy", Duration::from_secs(15));
    let mut screens = vec![console.screen()];
    // The Health pane focused: every slot, its `/health` fields.
    console.focus("Health");
    screens.push(console.screen());
    // Back to Environments, prod api, `p`: the confirmation.
    console.focus("Environments");
    console.send("ll");
    console.send("p");
    console.wait_for("the confirmation", Duration::from_secs(5), |s| s.contains("Esc") && s.contains("prod"));
    screens.push(console.screen());
    console.send("\x1b");
    console.wait_for("the confirmation closed", Duration::from_secs(5), |s| !s.contains(" to cancel"));
    // The Actions pane focused: the promote and the rollback with their steps.
    console.focus("Actions");
    console.wait_text("rollback", Duration::from_secs(5));
    screens.push(console.screen());
    // The Logs view on prod api (`L` in the Environments pane): the demo service prints its
    // environment when it starts, the secret value with it (Docker's logs have it, as a careless
    // service's would); the screen shows it masked.
    let docker_logs =
        Command::new("/usr/bin/docker").args(["logs", &format!("api-prod-{live}")]).output().expect("docker logs");
    let printed =
        format!("{}{}", String::from_utf8_lossy(&docker_logs.stdout), String::from_utf8_lossy(&docker_logs.stderr));
    assert!(printed.contains(&format!("API_TOKEN={SECRET}")), "the service printed the value:\n{printed}");
    console.focus("Environments");
    console.send("L");
    console.wait_text("Logs: api/prod", Duration::from_secs(5));
    console.wait_text(&format!("environment: API_TOKEN={MASK}"), Duration::from_secs(10));
    screens.push(console.screen());
    console.send("q");
    console.wait_for("the Logs view closed", Duration::from_secs(5), |s| !s.contains("Logs: api/prod"));
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    for (i, screen) in screens.iter().enumerate() {
        assert_hidden(&format!("screen {i}"), screen);
    }
    let raw = console.raw_output();
    for secret in ALL {
        assert!(!contains_bytes(&raw, secret.as_bytes()), "the secret value {secret} was drawn on the terminal");
    }
    assert!(contains_bytes(&raw, MASK.as_bytes()), "the mask was drawn in its place");

    // The state store on disk: the journal (plans included), locks, audit records.
    let files = store_bytes(&config.state_path);
    assert!(!files.is_empty(), "no store at {}", config.state_path.display());
    for (name, bytes) in &files {
        for secret in ALL {
            assert!(!contains_bytes(bytes, secret.as_bytes()), "the secret value {secret} is in {name}");
        }
    }
    assert_hidden("the headless output", &headless);

    // opsdeck's own log file, beside the store: it logged the actions, never the value.
    let log_path = config.state_path.parent().expect("state dir").join("opsdeck.log");
    let log = std::fs::read_to_string(&log_path).expect("opsdeck.log");
    assert!(log.contains("succeeded"), "the log has the actions: {log}");
    assert_hidden("opsdeck.log", &log);

    rotation_under_load(&demo, &config);
}

/// The file's value changes; `opsdeck rotate` redeploys prod api's live image with it, blue-green,
/// while requests flow through the load balancer: none fails, the live container has the new
/// value, the image is the same, and the audit record names the rotation without the value.
fn rotation_under_load(demo: &Demo, config: &opsdeck_core::config::Config) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    std::fs::write(demo.dir.path().join("secret.txt"), format!("{ROTATED}\n")).expect("rotate the file");
    let (before, _) = status_json(demo);
    let tag = before["environments"][2]["services"][0]["image"]["tag"].clone();
    let url = config.service("api").expect("api").environments["prod"].url.clone();
    let (stop, sent, failed) =
        (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load = {
        let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let answer = support::http_get(&url);
                sent.fetch_add(1, Ordering::Relaxed);
                if !(answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")) {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let out = Command::new(support::opsdeck_bin())
        .args(["--config", demo.config().to_str().expect("utf-8")])
        .args(["rotate", "api", "--env", "prod", "--yes", "--watch", "0s"])
        .output()
        .expect("run opsdeck rotate");
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load thread");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "rotate: {text}");
    assert!(!text.contains(ROTATED), "{text}");
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("rotation under load: {sent} requests, {failed} failed");
    assert!(sent > 10 && failed == 0, "{failed} of {sent} requests failed during the rotation");
    let (after, status_text) = status_json(demo);
    let api = &after["environments"][2]["services"][0];
    assert_eq!(api["image"]["tag"], tag, "the same image: {api}");
    let live = api["live_slot"].as_str().expect("live slot").to_string();
    let env = container_env(&format!("api-prod-{live}"));
    assert!(env.contains(&format!("SRC_FILE_SECRET={ROTATED}")), "{env:?}");
    assert!(!status_text.contains(ROTATED));
    let (_, export, _) = demo.opsdeck(&["audit", "export", "--jsonl"]);
    assert!(!export.contains(ROTATED), "the rotated value is in the audit trail");
    let rotated = export
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .any(|r| r["kind"] == "action" && r["detail"]["action"] == "rotate" && r["outcome"] == "succeeded");
    assert!(rotated, "no rotate record: {export}");
}

#[test]
fn a_store_open_to_others_is_refused_with_the_fix_and_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        "state_path = \"state.db\"\n[registry]\nurl = \"http://127.0.0.1:9\"\n\
         [[environments]]\nname = \"dev\"\nhaproxy = \"unix:///nonexistent/haproxy.sock\"\n\
         hosts = [{ name = \"dev-1\", url = \"unix:///nonexistent/docker.sock\" }]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
         [services.environments.dev]\nbackend = \"api_dev\"\nurl = \"http://127.0.0.1:9\"\n",
    )
    .expect("config");
    let state = dir.path().join("state.db");
    drop(opsdeck_core::store::Store::open(&state).expect("store"));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).expect("chmod file");
    let run = || {
        Command::new(support::opsdeck_bin())
            .arg("--config")
            .arg(&config)
            .args(["audit", "export", "--jsonl"])
            .output()
            .expect("run opsdeck")
    };
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("others can read"), "{err}");
    let d = dir.path().display();
    let fix = format!("chmod 2770 {d} && chmod 660 {d}/state.db*");
    assert!(err.contains(&format!("run `{fix}`")), "{err}");
    // The command it gives fixes it.
    let sh = Command::new("/bin/sh").args(["-c", &fix]).status().expect("sh");
    assert!(sh.success());
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
