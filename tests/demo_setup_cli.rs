//! `opsdeck demo` on a machine that lacks what the demo needs, no stack needed: the machine is a
//! folder of the test's own (`OPSDECK_SETUP_ROOT`) with Debian's marker file, no engine, none of
//! the components, and an `apt-get` that only writes down how it was called, so nothing is ever
//! installed on this machine.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A Debian without the demo's programs; its `apt-get` records its arguments and fails.
fn bare_debian() -> (tempfile::TempDir, PathBuf) {
    let root = support::private_tempdir();
    std::fs::create_dir_all(root.path().join("etc")).expect("etc");
    std::fs::write(root.path().join("etc/debian_version"), "13.0\n").expect("debian_version");
    let bin = root.path().join("usr/bin");
    std::fs::create_dir_all(&bin).expect("usr/bin");
    let calls = root.path().join("apt-get.calls");
    let script = format!("#!/bin/sh\necho \"$@\" >> '{}'\nexit 1\n", calls.display());
    std::fs::write(bin.join("apt-get"), script).expect("apt-get");
    std::fs::set_permissions(bin.join("apt-get"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (root, calls)
}

fn demo(root: &Path, args: &[&str]) -> Output {
    let dir = root.join("demo");
    Command::new(support::opsdeck_bin())
        .args(["demo", "up", "--dir", dir.to_str().expect("utf-8")])
        .args(args)
        .env("OPSDECK_SETUP_ROOT", root)
        .stdin(Stdio::null())
        .output()
        .expect("run opsdeck demo up")
}

fn is_root() -> bool {
    // SAFETY: geteuid only reads the process's effective user id.
    unsafe { libc::geteuid() == 0 }
}

const INSTALL: &str = "apt-get install -y --no-install-recommends docker.io docker-registry haproxy \
                       prometheus-alertmanager";

#[test]
fn without_yes_and_a_terminal_it_prints_the_command_and_installs_nothing() {
    let (root, calls) = bare_debian();
    let out = demo(root.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("the demo needs dockerd (package docker.io), docker-registry, haproxy"), "{err}");
    assert!(err.contains("no Docker engine answers"), "{err}");
    assert!(err.contains(INSTALL) && err.contains("dockerd >/tmp/opsdeck-dockerd.log"), "{err}");
    if is_root() {
        assert!(err.contains("not installing without --yes"), "{err}");
    } else {
        assert!(err.contains("installing needs root") && err.contains("sudo sh -c '"), "{err}");
    }
    assert!(!calls.exists(), "apt-get was run");
    assert!(!root.path().join("demo").exists(), "the demo did not start");
}

#[test]
fn with_yes_as_root_it_runs_apt_get_and_stops_when_it_fails() {
    let (root, calls) = bare_debian();
    let out = demo(root.path(), &["--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    if !is_root() {
        assert!(err.contains("installing needs root"), "{err}");
        assert!(!calls.exists(), "apt-get was run");
        return;
    }
    assert!(err.contains("running apt-get update -q"), "{err}");
    assert!(err.contains("apt-get update -q failed"), "{err}");
    let called = std::fs::read_to_string(&calls).expect("apt-get was called");
    assert_eq!(called, "update -q\n", "install is not tried once update failed");
    assert!(!root.path().join("demo").exists(), "the demo did not start");
}
