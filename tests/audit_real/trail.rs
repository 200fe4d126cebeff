//! The trail every case starts from (six realistic records in a store file), its copies with a
//! config, and the `opsdeck` and `sqlite3` runs on a copy, tampering included.

use crate::support;
use chrono::{Duration, Utc};
use opsdeck_core::store::{AuditEntry, Store};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether the `sqlite3` shell is here: under `CI=true` its absence fails the test.
pub fn sqlite3_available() -> bool {
    if Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    let msg = "the sqlite3 shell (Debian package sqlite3) is missing; ./scripts/test.sh installs it";
    assert!(!support::in_ci(), "{msg}");
    eprintln!("SKIP: {msg}");
    false
}

/// A trail of six realistic records, in a store file that every case copies.
pub struct Trail {
    dir: tempfile::TempDir,
}

impl Trail {
    pub fn build() -> Trail {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path().join("pristine.db")).expect("open store");
        let now = Utc::now();
        let action = |action: &str, from: (&str, &str), to: (&str, &str), ms: u64, reason: &str| {
            json!({
                "action": action, "id": 1, "hosts": ["prod-1", "prod-2"], "forced": false, "duration_ms": ms,
                "from": {"tag": from.0, "digest": from.1}, "to": {"tag": to.0, "digest": to.1}, "reason": reason,
            })
        };
        let v12 = ("v1.2.0", "sha256:8a1b0c7d2f9e4b6a1c3d5e7f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d");
        let v13 = ("v1.3.0", "sha256:3f9c2e1a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80");
        let entries = [
            (120, "ann", "action", "api/staging", action("promote", v12, v13, 2712, ""), "succeeded"),
            (
                40,
                "bob",
                "refusal",
                "api/prod",
                // A reason carrying a remote error line, escape sequence and all.
                json!({"action": "rollback", "summary": "rollback api/prod: v1.3.0 3f9c2e1 -> v1.2.0 8a1b0c7",
                       "reason": "locked by ann@bastion (promote api/prod) \u{1b}[2Jcleared"}),
                "refused",
            ),
            (
                30,
                "bob",
                "lock_break",
                "api/prod",
                json!({"lock": 4, "holder": {"user": "ann", "host": "bastion", "pid": 4242},
                       "what": "promote api/prod", "forced": false, "reason": "holder gone", "stale": "process gone"}),
                "broken",
            ),
            (20, "bob", "action", "api/prod", action("rollback", v13, v12, 31_400, "health check failed"), "failed"),
            (
                10,
                "ann",
                "recovery",
                "api/prod",
                json!({"id": 3, "action": "promote", "started_by": "ann", "what": "undone before the switch"}),
                "undone",
            ),
            (5, "ann", "action", "api/prod", action("promote", v12, v13, 2_950, ""), "succeeded"),
        ];
        for (minutes_ago, user, kind, subject, detail, outcome) in entries {
            store
                .append_audit(AuditEntry {
                    at: now - Duration::minutes(minutes_ago),
                    user: user.into(),
                    kind: kind.into(),
                    subject: subject.into(),
                    detail,
                    outcome: outcome.into(),
                })
                .expect("append");
        }
        drop(store);
        Trail { dir }
    }

    /// A fresh copy of the store, with a config pointing at it.
    pub fn copy(&self) -> Case {
        let dir = support::private_tempdir();
        for suffix in ["", "-wal", "-shm"] {
            let from = self.dir.path().join(format!("pristine.db{suffix}"));
            if from.exists() {
                std::fs::copy(&from, dir.path().join(format!("state.db{suffix}"))).expect("copy store");
            }
        }
        let config = write_config(dir.path());
        Case { db: dir.path().join("state.db"), config, _dir: dir }
    }
}

pub struct Case {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    config: PathBuf,
}

impl Case {
    /// `opsdeck --config CFG ARGS`: (exit code, stdout, stderr).
    pub fn opsdeck(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = Command::new(support::opsdeck_bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run opsdeck");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
    }

    /// Runs `script` in the sqlite3 shell on the file; returns (success, stdout, stderr).
    pub fn sqlite3(&self, script: &str) -> (bool, String, String) {
        use std::io::Write;
        let mut child = Command::new("sqlite3")
            .arg(&self.db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run sqlite3");
        child.stdin.take().expect("stdin").write_all(format!(".bail on\n{script}\n").as_bytes()).expect("write sql");
        let out = child.wait_with_output().expect("sqlite3");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
    }

    /// As an attacker: the guards refuse a plain edit, so drop every trigger on the audit tables
    /// (listed from sqlite_master), then run `script`.
    pub fn tamper(&self, script: &str) {
        let (ok, out, err) = self.sqlite3("UPDATE audit SET outcome = 'succeeded' WHERE seq = 4;");
        assert!(!ok && err.contains("append-only"), "the guard should refuse a plain edit: {out}{err}");
        let (ok, names, err) = self
            .sqlite3("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit', 'audit_head');");
        assert!(ok, "{err}");
        let names: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
        assert!(names.contains(&"audit_no_update") && names.contains(&"audit_append_at_head"), "{names:?}");
        let drops: String = names.iter().map(|n| format!("DROP TRIGGER \"{n}\";\n")).collect();
        let (ok, out, err) = self.sqlite3(&format!("{drops}{script}"));
        assert!(ok, "tampering failed: {out}{err}");
    }

    /// The hash column of record `seq`.
    pub fn hash_of(&self, seq: i64) -> String {
        let (ok, out, err) = self.sqlite3(&format!("SELECT hash FROM audit WHERE seq = {seq};"));
        assert!(ok, "{err}");
        out.trim().to_string()
    }

    /// `audit verify` must exit 1 and name `expected` ("record 3: changed").
    pub fn assert_found(&self, expected: &str) {
        let (code, out, err) = self.opsdeck(&["audit", "verify"]);
        assert_eq!(code, Some(1), "verify should fail: {out}{err}");
        assert!(out.contains(expected), "expected {expected:?} in: {out}{err}");
        assert!(out.contains("chain broken"), "{out}");
    }
}

fn write_config(dir: &Path) -> PathBuf {
    let text = format!(
        r#"state_path = "state.db"
[registry]
url = "http://127.0.0.1:9"

[[environments]]
name = "prod"
haproxy = "unix://{dir}/no-such-haproxy.sock"
hosts = [{{ name = "prod-1", url = "tcp://127.0.0.1:9" }}]

[[services]]
name = "api"
container_port = 8080
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:9"
"#,
        dir = dir.display()
    );
    let path = dir.join("opsdeck.toml");
    std::fs::write(&path, text).expect("write config");
    path
}
