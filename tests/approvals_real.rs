//! Approvals between two real OS users on the real demo stack. The test creates the users
//! (`opsdeck-t-alice`, `opsdeck-t-bob`, in the `docker` group and a shared `opsdeck-t` group) and
//! removes them at the end, even on failure; `opsdeck demo up --approvers` shares the demo's state
//! store and HAProxy socket with them. Each opsdeck runs as its user through `runuser`, with its
//! own HOME: alice requests, cannot approve her own request, bob approves and it runs in his
//! process; expiry, rejection and a request made stale by another change are refused; the audit
//! trail names both. Then what a group member can try against the others: borrowing a name
//! (`SUDO_USER`, `USER`, `LOGNAME`), a private config without approval, a forged unfinished
//! action, and the audit table rewritten and rechained with `sqlite3`.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use support::{http_get, in_ci, opsdeck_bin, stack_available, Demo};

const ALICE: &str = "opsdeck-t-alice";
const BOB: &str = "opsdeck-t-bob";
const GROUP: &str = "opsdeck-t";

/// The test's OS users and their group, removed when dropped (on success and on panic alike).
struct OsUsers {
    homes: tempfile::TempDir,
}

impl OsUsers {
    fn create() -> OsUsers {
        // Left over from an earlier run that was killed before its cleanup: start clean.
        remove_users();
        let guard = OsUsers { homes: tempfile::Builder::new().prefix("opsdeck-t-homes-").tempdir().expect("tempdir") };
        run_ok("groupadd", &[GROUP]);
        for user in [ALICE, BOB] {
            run_ok("useradd", &["-M", "-G", &format!("docker,{GROUP}"), user]);
            let home = guard.home(user);
            std::fs::create_dir(&home).expect("home");
            run_ok("chown", &[user, home.to_str().expect("utf-8")]);
        }
        // The homes' parent is a 0700 tempdir: let the users reach their own folder.
        std::fs::set_permissions(guard.homes.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        guard
    }

    fn home(&self, user: &str) -> PathBuf {
        self.homes.path().join(user)
    }
}

impl Drop for OsUsers {
    fn drop(&mut self) {
        remove_users();
    }
}

fn remove_users() {
    for user in [ALICE, BOB] {
        let _ = Command::new("userdel").arg(user).output();
    }
    let _ = Command::new("groupdel").arg(GROUP).output();
}

fn run_ok(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `opsdeck --config CONFIG ARGS` as `user`, with the user's own HOME and no SUDO_USER (so the
/// identity is the OS user's).
fn opsdeck_as(users: &OsUsers, demo: &Demo, user: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let home = format!("HOME={}", users.home(user).display());
    let out = Command::new("runuser")
        .args(["-u", user, "--", "env", &home, opsdeck_bin(), "--config"])
        .arg(demo.config())
        .args(args)
        .env_remove("SUDO_USER")
        .output()
        .expect("runuser");
    (out.status, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `opsdeck --config CONFIG ARGS` as `user` (root when None), with `env` set: how anyone can set
/// `SUDO_USER`, `USER` or `LOGNAME` before running opsdeck.
fn opsdeck_with_env(
    users: &OsUsers,
    demo: &Demo,
    user: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> (ExitStatus, String, String) {
    opsdeck_with_config(users, &demo.config(), user, env, args)
}

/// [`opsdeck_with_env`] with a config of the caller's choosing.
fn opsdeck_with_config(
    users: &OsUsers,
    config: &Path,
    user: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> (ExitStatus, String, String) {
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", "env", &format!("HOME={}", users.home(user).display())]);
            for (k, v) in env {
                c.arg(format!("{k}={v}"));
            }
            c.arg(opsdeck_bin());
            c
        }
        None => {
            let mut c = Command::new(opsdeck_bin());
            c.envs(env.iter().copied());
            c
        }
    };
    let out = command.arg("--config").arg(config).args(args).output().expect("run opsdeck");
    (out.status, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Files a request as `user`; returns its id from `request N pending approval by ...`.
fn request(users: &OsUsers, demo: &Demo, user: &str, args: &[&str]) -> i64 {
    let (st, out, err) = opsdeck_as(users, demo, user, args);
    assert_eq!(st.code(), Some(0), "{args:?}: {out}\n{err}");
    let line =
        out.lines().find(|l| l.starts_with("request ")).unwrap_or_else(|| panic!("no request line: {out}\n{err}"));
    assert!(line.contains(" pending approval by ") && line.contains("(expires "), "{line}");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no id in {line}"))
}

fn approvals(users: &OsUsers, demo: &Demo, user: &str) -> Vec<serde_json::Value> {
    let (st, out, err) = opsdeck_as(users, demo, user, &["approvals", "--json"]);
    assert!(st.success(), "{err}");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn find(list: &[serde_json::Value], id: i64) -> serde_json::Value {
    list.iter().find(|r| r["id"] == id).cloned().unwrap_or_else(|| panic!("no request {id} in {list:?}"))
}

/// A rollback to the release that ran before (prod's idle slot) needs no second person: it runs
/// at once, says it is break-glass, and the audit trail and Alertmanager say so too. With
/// `approval.rollback = "required"` it asks for a request again. Prod runs v1.1.0 here, with
/// `previous` (v1.3.0) in its idle slot.
fn break_glass(users: &OsUsers, demo: &Demo, config: &opsdeck_core::config::Config, previous: &str) {
    let (st, out, err) =
        opsdeck_as(users, demo, ALICE, &["rollback", "api", "--env", "prod", "--yes", "--watch", "1s"]);
    assert_eq!(st.code(), Some(0), "no approver, no reason: {out}\n{err}");
    assert!(err.contains("opsdeck: break-glass rollback: back to"), "{err}");
    assert_eq!(prod_tag(demo), previous);
    let store = opsdeck_core::store::Store::open(&config.state_path).expect("store");
    let trail = store.audit(None).expect("audit");
    let record = trail.iter().rev().find(|r| r.entry.kind == "action").expect("the rollback's record");
    assert_eq!((record.entry.user.as_str(), record.entry.outcome.as_str()), (ALICE, "succeeded"));
    assert_eq!(record.entry.detail["break_glass"], true, "{}", record.entry.detail);
    let (st, out, _) = opsdeck_as(users, demo, BOB, &["audit"]);
    assert!(st.success() && out.contains("(break-glass: no approver)"), "{out}");
    let am = &config.alertmanager.as_ref().expect("the demo's Alertmanager").url;
    let alerts = http_get(&format!("{}/api/v2/alerts", am.trim_end_matches('/')));
    assert!(alerts.contains("OpsdeckBreakGlass") && alerts.contains(ALICE), "{alerts}");

    // Every rollback approved: the same rollback files a request again (a stricter config than
    // the store's policy: allowed).
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let strict = text.replacen("approval = \"required\"", "approval.rollback = \"required\"", 1);
    assert_ne!(strict, text);
    std::fs::write(demo.config(), &strict).expect("write config");
    let (st, _, err) = opsdeck_as(users, demo, ALICE, &["rollback", "api", "--env", "prod", "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("prod requires approval: say why with --reason"), "{err}");
    std::fs::write(demo.config(), &text).expect("restore config");
}

/// The image tag prod's api runs, from `status --json` (run as root: any user sees the same).
fn prod_tag(demo: &Demo) -> String {
    let v = demo.status_json();
    v["environments"][2]["services"][0]["image"]["tag"].as_str().unwrap_or_default().to_string()
}

fn gid_of(group: &str) -> u32 {
    let out = Command::new("getent").args(["group", group]).output().expect("getent");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.split(':').nth(2).and_then(|g| g.trim().parse().ok()).unwrap_or_else(|| panic!("no group {group}: {line}"))
}

fn mode_and_gid(path: &Path) -> (u32, u32) {
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.permissions().mode() & 0o7777, m.gid())
}

#[test]
fn two_users_request_approve_reject_and_the_audit_trail_names_both() {
    if !stack_available() {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let msg = "approvals_real creates OS users: run it as root (./scripts/test.sh does in CI)";
        assert!(!in_ci(), "{msg}");
        eprintln!("SKIP: {msg}");
        return;
    }
    let users = OsUsers::create();
    let demo = Demo::up(&["--approvers", &format!("{ALICE},{BOB}")]);
    let config = opsdeck_core::config::load(&demo.config()).expect("config");
    let prod = config.environment("prod").expect("prod");
    assert_eq!(prod.approval, opsdeck_core::config::ApprovalPolicy::Required);
    assert_eq!(prod.approvers, [ALICE, BOB]);

    // The demo shared itself through the group both users are in.
    let gid = gid_of(GROUP);
    assert_eq!(mode_and_gid(demo.dir.path()), (0o2770, gid), "demo dir");
    assert_eq!(mode_and_gid(&config.state_path), (0o660, gid), "state store");
    assert_eq!(mode_and_gid(&demo.dir.path().join("haproxy.sock")), (0o660, gid), "HAProxy runtime API");

    // Without a reason there is no request.
    let (st, _, err) = opsdeck_as(&users, &demo, ALICE, &["promote", "api", "--to", "prod"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("prod requires approval: say why with --reason"), "{err}");

    // Alice asks for staging's release in prod.
    let before = prod_tag(&demo);
    let promote = ["promote", "api", "--to", "prod", "--reason", "ship v1.3.0", "--watch", "2s"];
    let id = request(&users, &demo, ALICE, &promote);
    assert_eq!(prod_tag(&demo), before, "a request changes nothing");
    let listed = find(&approvals(&users, &demo, BOB), id);
    assert_eq!(listed["state"], "pending");
    assert_eq!(listed["requested_by"], ALICE);
    assert_eq!((listed["service"].as_str(), listed["env"].as_str()), (Some("api"), Some("prod")));
    assert_eq!(listed["from"]["tag"], before.as_str());
    let target = listed["to"]["tag"].as_str().expect("to tag").to_string();
    assert_eq!(listed["reason"], "ship v1.3.0");

    // Nobody approves their own request.
    let (st, _, err) = opsdeck_as(&users, &demo, ALICE, &["approve", &id.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("nobody approves their own request"), "{err}");
    assert_eq!(find(&approvals(&users, &demo, ALICE), id)["state"], "pending");
    // Nor by borrowing bob's name: only root's SUDO_USER counts, and USER or LOGNAME never do.
    let borrowed = [("SUDO_USER", BOB), ("USER", BOB), ("LOGNAME", BOB)];
    let (st, _, err) = opsdeck_with_env(&users, &demo, Some(ALICE), &borrowed, &["approve", &id.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("nobody approves their own request"), "SUDO_USER=bob as alice: {err}");
    assert_eq!(find(&approvals(&users, &demo, ALICE), id)["state"], "pending");

    // Bob approves: it runs at once, in his process.
    let (st, out, err) = opsdeck_as(&users, &demo, BOB, &["approve", &id.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(0), "{out}\n{err}");
    assert!(err.contains("action #") && err.contains(&format!("by {BOB}")), "{err}");
    assert_eq!(prod_tag(&demo), target);
    let url = &config.service("api").expect("api").environments["prod"].url;
    let answer = http_get(url);
    assert!(answer.contains("200") && answer.contains(&target), "prod through its LB: {answer}");
    let done = find(&approvals(&users, &demo, ALICE), id);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["decided_by"], BOB);
    let action_id = done["action_id"].as_i64().expect("action id");

    // Rejection, which needs a reason; a rejected request cannot be approved.
    // (A rollback to an older release than the one that ran before still asks.)
    let older = ["rollback", "api", "--env", "prod", "--to", "v1.1.0"];
    let rejected = request(&users, &demo, ALICE, &[&older[..], &["--reason", "just in case"]].concat());
    let (st, _, err) = opsdeck_as(&users, &demo, BOB, &["reject", &rejected.to_string()]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("a rejection needs a reason"), "{err}");
    let (st, out, err) = opsdeck_as(&users, &demo, BOB, &["reject", &rejected.to_string(), "--reason", "no need"]);
    assert_eq!(st.code(), Some(0), "{out}\n{err}");
    let r = find(&approvals(&users, &demo, ALICE), rejected);
    assert_eq!((r["state"].as_str(), r["decision_reason"].as_str()), (Some("rejected"), Some("no need")), "{r}");
    let (st, _, err) = opsdeck_as(&users, &demo, BOB, &["approve", &rejected.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("no longer pending: rejected"), "{err}");

    // A request made stale by another change: alice asks for a rollback; meanwhile bob's own
    // rollback is approved by alice and runs; then bob's approval of alice's is refused.
    let stale = request(&users, &demo, ALICE, &[&older[..], &["--reason", "undo v1.3"]].concat());
    let other = request(&users, &demo, BOB, &[&older[..], &["--reason", "undo now", "--watch", "1s"]].concat());
    let (st, out, err) = opsdeck_as(&users, &demo, ALICE, &["approve", &other.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(0), "{out}\n{err}");
    assert_eq!(prod_tag(&demo), "v1.1.0", "bob's rollback ran");
    let (st, _, err) = opsdeck_as(&users, &demo, BOB, &["approve", &stale.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("someone else changed prod meanwhile"), "{err}");
    assert_eq!(find(&approvals(&users, &demo, BOB), stale)["state"], "refused");
    assert_eq!(prod_tag(&demo), "v1.1.0", "the stale request did not run");

    // Root through sudo is the user who ran sudo: root with SUDO_USER=bob decides as bob.
    let by_sudo = request(
        &users,
        &demo,
        ALICE,
        &["rollback", "api", "--env", "prod", "--to", "v1.2.0", "--reason", "sudo check"],
    );
    let sudo = [("SUDO_USER", BOB)];
    let args = ["reject", &by_sudo.to_string(), "--reason", "not now"];
    let (st, out, err) = opsdeck_with_env(&users, &demo, None, &sudo, &args);
    assert_eq!(st.code(), Some(0), "{out}\n{err}");
    let r = find(&approvals(&users, &demo, ALICE), by_sudo);
    assert_eq!((r["state"].as_str(), r["decided_by"].as_str()), (Some("rejected"), Some(BOB)), "{r}");

    break_glass(&users, &demo, &config, &target);

    // Expiry: with a short ttl, a request nobody decides expires and cannot be approved.
    let mut text = std::fs::read_to_string(demo.config()).expect("config");
    text.push_str("\n[actions]\napproval_ttl = \"2s\"\n");
    std::fs::write(demo.config(), text).expect("write config");
    let expiring =
        request(&users, &demo, ALICE, &["rollback", "api", "--env", "prod", "--to", "v1.2.0", "--reason", "later"]);
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(find(&approvals(&users, &demo, BOB), expiring)["state"], "expired");
    let (st, _, err) = opsdeck_as(&users, &demo, BOB, &["approve", &expiring.to_string(), "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("expired"), "{err}");

    // The audit trail names both: request by alice, refusal of her own approval, approval and
    // action by bob; and it verifies.
    let mut store = opsdeck_core::store::Store::open(&config.state_path).expect("store");
    let trail = store.audit(None).expect("audit");
    let has = |kind: &str, user: &str, outcome: &str, request: i64| {
        trail.iter().any(|r| {
            r.entry.kind == kind
                && r.entry.user == user
                && r.entry.outcome == outcome
                && r.entry.subject == "api/prod"
                && (r.entry.detail["request"] == request || kind == "action")
        })
    };
    let all: Vec<String> = trail
        .iter()
        .map(|r| format!("{} {} {} {}", r.entry.kind, r.entry.user, r.entry.outcome, r.entry.detail))
        .collect();
    assert!(has("request", ALICE, "pending", id), "{all:#?}");
    assert!(has("refusal", ALICE, "refused", id), "{all:#?}");
    assert!(has("approval", BOB, "approved", id), "{all:#?}");
    assert!(has("request", BOB, "done", id), "{all:#?}");
    assert!(
        trail.iter().any(|r| r.entry.kind == "action"
            && r.entry.user == BOB
            && r.entry.outcome == "succeeded"
            && r.entry.detail["id"] == action_id),
        "{all:#?}"
    );
    assert!(has("rejection", BOB, "rejected", rejected), "{all:#?}");
    assert!(has("refusal", BOB, "refused", stale), "{all:#?}");
    assert!(has("approval", ALICE, "approved", other), "{all:#?}");
    assert!(has("expiry", ALICE, "expired", expiring), "{all:#?}");
    let report = store.verify_audit().expect("verify");
    assert!(report.is_ok(), "{report}");

    weaker_private_config_is_refused(&users, &demo, &config);
    forgeries_by_a_group_member_are_caught(&users, &demo, &config);
}

/// `sqlite3 DB` as `user`, reading `script`: what anyone in the store's group can do to it.
fn sqlite_as(users: &OsUsers, user: &str, db: &Path, script: &str) {
    let file = users.home(user).join("edit.sql");
    std::fs::write(&file, script).expect("write script");
    let out = Command::new("runuser")
        .args(["-u", user, "--", "sqlite3", "-bail"])
        .arg(db)
        .arg(format!(".read {}", file.display()))
        .output()
        .expect("run sqlite3");
    assert!(out.status.success(), "sqlite3 as {user}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Alice, in the store's group, writes an unfinished action naming prod's live slot: bob's next
/// command reports it and leaves it, and prod keeps running what it ran. Then she edits a record
/// and recomputes every hash after it: the local chain is intact, and bob's `audit verify` names
/// the record by the registry's anchor.
fn forgeries_by_a_group_member_are_caught(users: &OsUsers, demo: &Demo, config: &opsdeck_core::config::Config) {
    let db = &config.state_path;
    let before = prod_tag(demo);
    sqlite_as(
        users,
        ALICE,
        db,
        "INSERT INTO actions (kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, user, started_at, plan)
         SELECT kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, user, started_at, plan
         FROM actions WHERE service = 'api' AND env = 'prod' ORDER BY id DESC LIMIT 1;",
    );
    let (st, _, err) = opsdeck_as(users, demo, BOB, &["status"]);
    assert!(st.success(), "{err}");
    assert!(
        err.contains("not recovered, left alone") && err.contains("no matching record in the audit chain"),
        "{err}"
    );
    assert_eq!(prod_tag(demo), before, "prod kept its release");

    let (st, out, err) = opsdeck_as(users, demo, BOB, &["audit", "verify"]);
    assert!(st.success() && err.contains("all match"), "{out}{err}");
    let first_approval: i64 = rusqlite::Connection::open(db)
        .and_then(|c| {
            c.query_row("SELECT seq FROM audit WHERE kind = 'approval' ORDER BY seq LIMIT 1", [], |r| r.get(0))
        })
        .expect("an approval record");
    sqlite_as(users, ALICE, db, &support::rechain::script(db, first_approval, ALICE));
    let (st, out, err) = opsdeck_as(users, demo, BOB, &["audit", "verify"]);
    assert_eq!(st.code(), Some(1), "{out}{err}");
    assert!(out.lines().next().is_some_and(|l| l.ends_with("chain intact")), "rewritten consistently: {out}");
    let named = format!("record {first_approval} no longer matches the registry's anchor opsdeck-audit:seq-");
    assert!(out.contains(&named), "{out}");
}

/// Alice's own copy of the config, with `approval = "none"` for prod and the shared store: every
/// command refuses it, naming what differs; she may not record it as the policy; root, who owns
/// the store, may, and that change is in the audit trail.
fn weaker_private_config_is_refused(users: &OsUsers, demo: &Demo, config: &opsdeck_core::config::Config) {
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let store = config.state_path.display().to_string();
    let weak = text
        .replace("approval = \"required\"", "approval = \"none\"")
        .replace("state_path = \"state.db\"", &format!("state_path = {store:?}"));
    assert_ne!(weak, text);
    let path = users.home(ALICE).join("opsdeck.toml");
    std::fs::write(&path, weak).expect("write weak config");
    run_ok("chown", &[ALICE, path.to_str().expect("utf-8")]);
    let before = prod_tag(demo);
    let as_alice = |args: &[&str]| opsdeck_with_config(users, &path, Some(ALICE), &[], args);
    let (st, out, err) = as_alice(&["rollback", "api", "--env", "prod", "--yes"]);
    assert_eq!(st.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("this config weakens the approval policy the state store records"), "{err}");
    assert!(err.contains("prod: the store requires approval, this config says approval = \"none\""), "{err}");
    assert!(err.contains("Only root or root"), "the store's owner is named: {err}");
    assert_eq!(prod_tag(demo), before, "nothing ran");
    let (st, _, err) = as_alice(&["status"]);
    assert_eq!(st.code(), Some(2), "every command: {err}");

    // Alice may not make it the policy; the recorded one says who recorded it.
    let (st, _, err) = as_alice(&["policy", "set", "--yes"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("only root or root, who owns"), "{err}");
    let (st, out, err) = opsdeck_as(users, demo, ALICE, &["policy", "show", "--json"]);
    assert!(st.success(), "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let prod = shown["recorded"]["policy"]["environments"]
        .as_array()
        .expect("envs")
        .iter()
        .find(|e| e["name"] == "prod")
        .cloned();
    assert_eq!(prod.as_ref().map(|p| p["approval"].clone()), Some(serde_json::json!("required")), "{shown}");

    // Root records the weaker one on purpose: audited, and then alice's copy loads.
    let (st, out, err) = opsdeck_with_config(users, &path, None, &[], &["policy", "set", "--yes"]);
    assert!(st.success(), "{out}\n{err}");
    assert!(out.contains("policy recorded by root"), "{out}");
    let (st, _, err) = as_alice(&["status"]);
    assert!(st.success(), "{err}");
    let store = opsdeck_core::store::Store::open(&config.state_path).expect("store");
    let trail = store.audit(None).expect("audit");
    let changed = trail.iter().rev().find(|r| r.entry.kind == "policy").expect("policy record");
    assert_eq!((changed.entry.user.as_str(), changed.entry.outcome.as_str()), ("root", "changed"));
    let changes = changed.entry.detail["changes"].to_string();
    assert!(changes.contains("prod: approval required by") && changes.contains("-> no approval"), "{changes}");
}
