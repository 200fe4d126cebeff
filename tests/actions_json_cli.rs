//! `--json` on `promote`, `rollback`, `rotate` and `canary` from the real binary, refused before
//! anything runs: a config whose Docker host and HAProxy socket do not exist (no Docker engine is
//! asked). One JSON document on stdout with canary's shape, the reason on stderr, exit code 3.
//! The outcomes of actions that run are checked on the demo stack (see the README).

mod support;

use std::process::Command;
use support::{opsdeck_bin, private_tempdir};

#[test]
fn a_refused_action_prints_one_json_outcome() {
    let dir = private_tempdir();
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(&config, support::OFFLINE_CONFIG).expect("config");
    for (action, args) in [
        ("promote", ["promote", "api", "--to", "prod"]),
        ("rollback", ["rollback", "api", "--env", "prod"]),
        ("rotate", ["rotate", "api", "--env", "prod"]),
        ("canary", ["canary", "api", "--to", "prod"]),
    ] {
        let out = Command::new(opsdeck_bin())
            .arg("--config")
            .arg(&config)
            .args(args)
            .args(["--yes", "--json"])
            .output()
            .expect("run opsdeck");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(3), "{action}: {stderr}");
        assert_eq!(stdout.trim_end().lines().count(), 1, "{action}: one line: {stdout}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
        let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["action", "id", "outcome", "reason"], "{action}: {v}");
        assert_eq!(v["action"], action);
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["outcome"], "refused");
        let reason = v["reason"].as_str().expect("reason");
        assert!(!reason.is_empty() && stderr.contains(reason), "{action}: the reason is on stderr too: {stderr}");
    }
}
