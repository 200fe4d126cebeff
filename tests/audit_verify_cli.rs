//! `opsdeck audit verify --json` from the real binary on a fresh state store in a tempdir, the
//! registry a port nobody listens on: no Docker. One JSON document on stdout, the human lines on
//! stderr, exit code 0 as without `--json`.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{opsdeck_bin, private_tempdir};

fn opsdeck(config: &Path, args: &[&str]) -> Output {
    Command::new(opsdeck_bin()).arg("--config").arg(config).args(args).output().expect("run opsdeck")
}

fn verify_json(config: &Path) -> serde_json::Value {
    let out = opsdeck(config, &["audit", "verify", "--json"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.trim_end().lines().count(), 1, "one line: {stdout}");
    assert!(stderr.contains("chain intact"), "the human line goes to stderr: {stderr}");
    serde_json::from_str(&stdout).expect("one JSON document")
}

#[test]
fn audit_verify_json_on_an_intact_chain() {
    let dir = private_tempdir();
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(&config, support::OFFLINE_CONFIG).expect("config");

    let v = verify_json(&config);
    assert_eq!(v["ok"], true);
    assert_eq!(v["chain"], "intact");
    assert_eq!(v["problem"], serde_json::Value::Null);
    assert_eq!(v["anchors"]["status"], "unchecked", "nothing listens on the registry's port: {v}");

    // One audited change later: one more record, still intact.
    let before = v["records"].as_u64().expect("records");
    let out = opsdeck(&config, &["policy", "set", "--yes"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = verify_json(&config);
    assert_eq!(v["records"].as_u64(), Some(before + 1), "{v}");
    assert_eq!(v["ok"], true);

    // Without --json the verdict stays on stdout.
    let out = opsdeck(&config, &["audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("chain intact"));
}
