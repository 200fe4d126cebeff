//! The audit trail in a real state store, tampered with by hand the way an attacker with write access
//! to the file would: the `sqlite3` shell, the guarding triggers dropped first. Each kind of change
//! (a field, a deleted row, two rows swapped, a forged row) is made on a fresh copy of the file, and
//! `opsdeck audit verify` must name the record and exit 1; the untouched file verifies. Also: the
//! listing, `--json`, and the JSON-lines export checked offline with the recipe the README gives.

mod support;

use chrono::{Duration, Utc};
use opsdeck::store::{AuditEntry, Store};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether the `sqlite3` shell is here: under `CI=true` its absence fails the test.
fn sqlite3_available() -> bool {
    if Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    let msg = "the sqlite3 shell (Debian package sqlite3) is missing; ./scripts/test.sh installs it";
    assert!(!support::in_ci(), "{msg}");
    eprintln!("SKIP: {msg}");
    false
}

/// A trail of six realistic records, in a store file that every case copies.
struct Trail {
    dir: tempfile::TempDir,
}

impl Trail {
    fn build() -> Trail {
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
    fn copy(&self) -> Case {
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

struct Case {
    _dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
}

impl Case {
    /// `opsdeck --config CFG ARGS`: (exit code, stdout, stderr).
    fn opsdeck(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = Command::new(support::opsdeck_bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run opsdeck");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
    }

    /// Runs `script` in the sqlite3 shell on the file; returns (success, stdout, stderr).
    fn sqlite3(&self, script: &str) -> (bool, String, String) {
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
    fn tamper(&self, script: &str) {
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
    fn hash_of(&self, seq: i64) -> String {
        let (ok, out, err) = self.sqlite3(&format!("SELECT hash FROM audit WHERE seq = {seq};"));
        assert!(ok, "{err}");
        out.trim().to_string()
    }

    /// `audit verify` must exit 1 and name `expected` ("record 3: changed").
    fn assert_found(&self, expected: &str) {
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

/// The README's recipe, written out independently of opsdeck: canonical JSON (keys sorted by
/// bytes, no whitespace, serde_json's string escaping), `hash = sha256_hex(prev_hash || record)`.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let items: Vec<String> =
                entries.into_iter().map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical(v))).collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        scalar => scalar.to_string(),
    }
}

fn recipe_hash(record: &Value) -> String {
    let hashed = json!({
        "at": record["at"], "detail": record["detail"], "kind": record["kind"], "outcome": record["outcome"],
        "seq": record["seq"], "subject": record["subject"], "user": record["user"],
    });
    let prev = record["prev_hash"].as_str().expect("prev_hash");
    hex::encode(Sha256::new().chain_update(prev.as_bytes()).chain_update(canonical(&hashed).as_bytes()).finalize())
}

const FIELDS: [&str; 9] = ["seq", "at", "user", "kind", "subject", "detail", "outcome", "prev_hash", "hash"];

#[test]
fn the_untouched_trail_verifies_lists_and_exports() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let case = trail.copy();

    let (code, out, err) = case.opsdeck(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.trim(), "6 records, chain intact");

    // Text: one line per record, oldest first, control characters gone.
    let (code, out, err) = case.opsdeck(&["audit"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].contains("ann") && lines[0].contains("api/staging"), "{}", lines[0]);
    assert!(lines[0].contains("promote v1.2.0 8a1b0c7 -> v1.3.0 3f9c2e1 in 2.7s"), "{}", lines[0]);
    assert!(lines[1].contains("refused") && lines[1].contains("rollback: locked by ann@bastion"), "{}", lines[1]);
    assert!(lines[2].contains("lock of ann@bastion pid 4242"), "{}", lines[2]);
    assert!(lines[3].contains("failed") && lines[3].contains("in 31.4s: health check failed"), "{}", lines[3]);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "control characters reached the terminal: {out:?}");
    for (i, line) in lines.iter().enumerate() {
        assert!(line.trim_start().starts_with(&format!("{} ", i + 1)), "{line}");
    }

    // --since: a duration ago, or a time.
    let (_, out, _) = case.opsdeck(&["audit", "--since", "1h"]);
    assert_eq!(out.lines().count(), 5, "{out}");
    let at4 = (Utc::now() - Duration::minutes(25)).to_rfc3339();
    let (_, out, _) = case.opsdeck(&["audit", "--since", &at4]);
    assert_eq!(out.lines().count(), 3, "{out}");

    // --json: an array of whole records, the hashes checkable with the README's recipe.
    let (code, out, err) = case.opsdeck(&["audit", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    let records: Vec<Value> = serde_json::from_str(&out).expect("audit --json is a JSON array");
    assert_eq!(records.len(), 6);
    let mut prev = "0".repeat(64);
    for (i, r) in records.iter().enumerate() {
        let keys: Vec<&str> = r.as_object().expect("an object").keys().map(String::as_str).collect();
        for f in FIELDS {
            assert!(keys.contains(&f), "{f} missing from {r}");
        }
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["prev_hash"], prev.as_str());
        assert_eq!(r["hash"].as_str(), Some(recipe_hash(r).as_str()), "{r}");
        prev = r["hash"].as_str().expect("hash").to_string();
    }
    assert_eq!(records[1]["detail"]["reason"], "locked by ann@bastion (promote api/prod) \u{1b}[2Jcleared");

    // The export: one JSON object per line, each checkable offline, the last hash the chain's head.
    let (code, out, err) = case.opsdeck(&["audit", "export", "--jsonl"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines, records);
    for line in &lines {
        assert_eq!(line["hash"].as_str(), Some(recipe_hash(line).as_str()), "{line}");
    }
    let (_, head, _) = case.sqlite3("SELECT hash FROM audit_head;");
    assert_eq!(lines[5]["hash"].as_str(), Some(head.trim()));

    let file = case.db.with_file_name("audit.jsonl");
    let (code, _, err) = case.opsdeck(&["audit", "export", "--jsonl", "--output", &file.to_string_lossy()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("6 records written to"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("export file"), out);
}

#[test]
fn a_changed_field_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    // The failed rollback made to look like a success.
    let case = trail.copy();
    case.tamper("UPDATE audit SET outcome = 'succeeded' WHERE seq = 4;");
    case.assert_found("record 4: changed");

    // Someone else's name on the lock break.
    let case = trail.copy();
    case.tamper("UPDATE audit SET user = 'ann' WHERE seq = 3;");
    case.assert_found("record 3: changed");

    // A detail that is no longer JSON: named by verify, and the listing still shows the trail.
    let case = trail.copy();
    case.tamper("UPDATE audit SET detail = 'nothing to see' WHERE seq = 2;");
    case.assert_found("record 2: changed");
    let (code, out, err) = case.opsdeck(&["audit"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(out.contains("nothing to see"), "{out}");
    let (_, out, _) = case.opsdeck(&["audit", "--json"]);
    let records: Vec<Value> = serde_json::from_str(&out).expect("JSON");
    assert_ne!(records[1]["hash"].as_str(), Some(recipe_hash(&records[1]).as_str()), "the offline check fails too");
}

#[test]
fn a_deleted_row_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let case = trail.copy();
    case.tamper("DELETE FROM audit WHERE seq = 3;");
    case.assert_found("record 3: deleted");

    // Cut from the end: the chain's head still remembers it.
    let case = trail.copy();
    case.tamper("DELETE FROM audit WHERE seq = 6;");
    case.assert_found("record 6: deleted");
}

#[test]
fn two_swapped_rows_are_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    // Whole rows, hashes and all, exchanged.
    let case = trail.copy();
    case.tamper(
        "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 5;
         UPDATE audit SET seq = 5 WHERE seq = -2;",
    );
    case.assert_found("record 2: reordered");

    // Contents exchanged, hashes left in place.
    let case = trail.copy();
    let cols = "at, user, kind, subject, detail, outcome";
    case.tamper(&format!(
        "CREATE TEMP TABLE t AS SELECT seq, {cols} FROM audit WHERE seq IN (2, 5);
         UPDATE audit SET ({cols}) = (SELECT {cols} FROM t WHERE t.seq = 7 - audit.seq) WHERE seq IN (2, 5);"
    ));
    case.assert_found("record 2: reordered");
}

#[test]
fn a_forged_row_is_named() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let forged = |seq: i64, prev: &str| {
        let at = (Utc::now() - Duration::minutes(25)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let record = json!({
            "seq": seq, "at": at, "user": "mallory", "kind": "approval", "subject": "api/prod",
            "detail": {"request": 9}, "outcome": "approved", "prev_hash": prev,
        });
        // Hashed by the published recipe, so only its place gives it away.
        let hash = recipe_hash(&record);
        format!(
            "INSERT INTO audit VALUES ({seq}, '{at}', 'mallory', 'approval', 'api/prod', '{{\"request\":9}}', \
             'approved', '{prev}', '{hash}');"
        )
    };

    // Past the end, linked to the real last record.
    let case = trail.copy();
    let insert = forged(7, &case.hash_of(6));
    case.tamper(&insert);
    case.assert_found("record 7: inserted");

    // In the middle: the records after it renumbered, the head moved along.
    let case = trail.copy();
    let insert = forged(3, &case.hash_of(2));
    case.tamper(&format!(
        "UPDATE audit SET seq = seq + 100 WHERE seq >= 3; UPDATE audit SET seq = seq - 99 WHERE seq > 100;
         {insert}
         UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit WHERE seq = 7);"
    ));
    case.assert_found("record 3: inserted");

    // The untouched copy still verifies.
    let (code, out, err) = trail.copy().opsdeck(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
}
