//! No stack needed: the real binary against systems that refuse every connection. opsdeck.log
//! is JSON lines with the fixed fields; `--log-level debug` and `OPSDECK_LOG=debug` add the debug
//! lines (a plan made, or not); a level that cannot be read stops the start; neither a secret
//! value nor a webhook's token reaches the log or doctor's output.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SECRET: &str = "hunter22-s3cret";
const TOKEN: &str = "t0ken-in-the-url";

/// A loopback port with nothing listening.
fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn write_config(dir: &Path) -> PathBuf {
    let refused = refused_port();
    let text = format!(
        r#"state_path = "state.db"
[registry]
url = "http://127.0.0.1:{refused}"
[timeouts]
docker = "1s"
registry = "1s"
haproxy = "1s"
health = "1s"

[[notify]]
url = "http://127.0.0.1:{refused}/hook?token={TOKEN}"

[[environments]]
name = "prod"
haproxy = "unix://{dir}/no-such-haproxy.sock"
hosts = [ {{ name = "prod-1", url = "tcp://127.0.0.1:{refused}" }} ]

[[services]]
name = "api"
container_port = 8080
env = {{ DB_PASSWORD = {{ value = "{SECRET}", secret = true }} }}
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:{refused}"
"#,
        dir = dir.display()
    );
    let path = dir.join("opsdeck.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn opsdeck(config: &Path, env_level: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(support::opsdeck_bin());
    cmd.arg("--config").arg(config).args(args).env_remove("OPSDECK_LOG");
    if let Some(level) = env_level {
        cmd.env("OPSDECK_LOG", level);
    }
    cmd.output().expect("run opsdeck")
}

/// The log's lines, each parsed (a line that is not JSON fails the test), and the log emptied.
fn take_log(dir: &Path) -> Vec<serde_json::Value> {
    let path = dir.join("opsdeck.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
    let _ = std::fs::remove_file(&path);
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn debug_lines(lines: &[serde_json::Value]) -> usize {
    lines.iter().filter(|l| l["level"] == "debug").count()
}

#[test]
fn the_log_is_json_lines_at_the_level_asked_without_secrets() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path());
    let promote = ["promote", "api", "--to", "prod", "--yes"];

    let out = opsdeck(&config, None, &[&["--log-level", "debug"], &promote[..]].concat());
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = take_log(dir.path());
    let plan =
        lines.iter().find(|l| l["message"].as_str().is_some_and(|m| m.starts_with("no plan"))).expect("plan line");
    for key in ["time", "level", "pid", "user", "target", "message"] {
        assert!(plan.get(key).is_some(), "no {key} in {plan}");
    }
    assert_eq!(plan["level"], "debug");
    assert_eq!(plan["user"], opsdeck_core::identity::current_user());
    assert_eq!((plan["service"].as_str(), plan["env"].as_str()), (Some("api"), Some("prod")));

    let out = opsdeck(&config, None, &promote);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(debug_lines(&take_log(dir.path())), 0, "info by default");

    let out = opsdeck(&config, Some("debug"), &promote);
    assert_eq!(out.status.code(), Some(3));
    assert!(debug_lines(&take_log(dir.path())) > 0, "OPSDECK_LOG=debug adds the debug lines");

    let out = opsdeck(&config, Some("debug"), &[&["--log-level", "warn"], &promote[..]].concat());
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(debug_lines(&take_log(dir.path())), 0, "the flag wins over OPSDECK_LOG");
}

#[test]
fn a_level_that_cannot_be_read_stops_the_start() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path());
    let out = opsdeck(&config, None, &["--log-level", "loud==", "status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--log-level: cannot read log level `loud==`"), "{err}");
    let out = opsdeck(&config, Some("loud=="), &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPSDECK_LOG"));
}

#[test]
fn doctor_lists_the_webhook_with_its_token_masked() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path());
    let out = opsdeck(&config, None, &["doctor"]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("webhook") && text.contains("/hook?token=••••"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}
