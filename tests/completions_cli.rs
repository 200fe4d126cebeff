//! `opsdeck completions SHELL` and `opsdeck man` from the real binary, with no config anywhere:
//! non-empty, naming the subcommands; an unknown shell is a usage error. No Docker.

mod support;

use std::process::{Command, Output};
use support::opsdeck_bin;

/// Runs opsdeck with no config to be found (no `--config`, no `$OPSDECK_CONFIG`, an empty home).
fn opsdeck(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    Command::new(opsdeck_bin())
        .args(args)
        .env_remove("OPSDECK_CONFIG")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .expect("run opsdeck")
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = opsdeck(&["completions", shell]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!stdout.trim().is_empty(), "{shell}: empty");
        for sub in ["promote", "rollback", "canary", "runbook"] {
            assert!(stdout.contains(sub), "{shell}: no {sub}");
        }
    }
}

#[test]
fn man_page_is_roff_and_names_the_subcommands() {
    let out = opsdeck(&["man"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with(".TH") || page.starts_with(".ie"), "{}", &page[..page.len().min(80)]);
    assert!(page.contains("promote"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = opsdeck(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}
