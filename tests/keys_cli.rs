//! A `[keys]` table the real binary refuses, before anything runs: a key left on two actions, an
//! unknown action and a key it cannot read, each named at its line and column, exit code 2; a
//! valid rebinding loads. No Docker (the offline config's systems do not exist).

mod support;

use std::process::{Command, Output};
use support::{opsdeck_bin, private_tempdir, OFFLINE_CONFIG};

fn status_with(keys: &str) -> Output {
    let dir = private_tempdir();
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, format!("{OFFLINE_CONFIG}\n[keys]\n{keys}")).expect("write config");
    Command::new(opsdeck_bin())
        .arg("--config")
        .arg(&path)
        .args(["runbook", "list", "--json"])
        .current_dir(dir.path())
        .output()
        .expect("run opsdeck")
}

/// The line `[keys]` is on in the written config, 1-based: entries follow it.
fn keys_line() -> usize {
    OFFLINE_CONFIG.lines().count() + 2
}

#[test]
fn a_bad_keys_table_is_a_config_error_at_its_line_and_column() {
    let out = status_with("promote = \"c\"\npromte = \"x\"\nrollback = \"ctrl-nope\"\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = |line: usize| format!("opsdeck.toml:{line}:");
    let first = keys_line() + 1;
    assert!(err.contains(&at(first)) && err.contains("canary"), "the conflict, where it is written: {err}");
    assert!(err.contains(&at(first + 1)) && err.contains("promte"), "the unknown action: {err}");
    assert!(err.contains(&at(first + 2)) && err.contains("ctrl-nope"), "the key it cannot read: {err}");
}

#[test]
fn a_valid_rebinding_loads() {
    let out = status_with("promote = \"ctrl-p\"\ncanary = [\"ctrl-k\", \"f6\"]\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
