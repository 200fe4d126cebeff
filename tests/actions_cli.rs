//! The headless action commands on the real demo stack, as scripts and CI use them: two
//! processes racing for the same environment, and `kill -9` of opsdeck at every step of an action
//! followed by a restart that finishes or undoes it. And a release whose `/health` body carries
//! escape sequences: what the CLI prints about it has none.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{opsdeck_bin, stack_available, Demo};

fn status(demo: &Demo) -> (serde_json::Value, String) {
    let (st, out, err) = demo.opsdeck(&["status", "--json"]);
    assert!(st.success(), "{err}");
    (serde_json::from_str(&out).expect("status json"), err)
}

fn prod_api(v: &serde_json::Value) -> serde_json::Value {
    v["environments"][2]["services"][0].clone()
}

/// One healthy live slot, taking traffic through the load balancer.
fn assert_consistent(demo: &Demo, context: &str) {
    let (v, _) = status(demo);
    let api = prod_api(&v);
    assert_eq!(api["health"], "healthy", "{context}: {api}");
    let slot = api["live_slot"].as_str().expect("live slot").to_string();
    let url = api["url"].as_str().expect("url").to_string();
    let body = support::http_get(&url);
    assert!(body.starts_with("HTTP/1.1 200") || body.starts_with("HTTP/1.0 200"), "{context}: live {slot}: {body}");
    let tag = api["image"]["tag"].as_str().expect("tag").to_string();
    assert!(body.contains(&tag), "{context}: LB answered {body}, status says {tag}");
}

#[test]
fn headless_actions_race_and_survive_kill_9() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let config = demo.config();
    let cfg = config.to_str().expect("utf-8");

    // Two processes, same service and environment, at once: one runs, one is refused by name.
    let spawn = || {
        Command::new(opsdeck_bin())
            .args(["--config", cfg, "rollback", "api", "--env", "prod", "--yes", "--watch", "3s"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().expect("a"), b.wait_with_output().expect("b"));
    let codes = [a.status.code(), b.status.code()];
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(3)), "exit codes {codes:?}");
    let refused = if a.status.code() == Some(3) { &a } else { &b };
    let err = String::from_utf8_lossy(&refused.stderr);
    let user = opsdeck_core::identity::current_user();
    assert!(err.contains(&format!("locked by {user}@")), "{err}");
    assert_consistent(&demo, "after the race");
    let (v, _) = status(&demo);
    assert_eq!(prod_api(&v)["image"]["tag"], "v1.1.0", "the rollback ran once");

    // kill -9 at every step of a rollback (start, health, switch, drain, retire, stop, watch):
    // the next opsdeck settles it, and the environment ends with one healthy live slot.
    for step in 1..=8 {
        let mut child = Command::new(opsdeck_bin())
            .args(["--config", cfg, "rollback", "api", "--env", "prod", "--yes", "--watch", "2s"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn rollback");
        let stderr = child.stderr.take().expect("stderr");
        let marker = format!("step {step}: ");
        let start = Instant::now();
        let mut killed = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&marker) && line.ends_with("...") {
                child.kill().expect("kill -9");
                killed = true;
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "step {step} never started");
        }
        let _ = child.wait();
        assert!(killed, "step {step}: the action ended before it could be killed");
        // The next command settles the unfinished action and says so.
        let (v, err) = status(&demo);
        assert!(err.contains("recovered after opsdeck stopped mid-action"), "step {step}: {err}");
        let last = &v["actions"][0];
        assert!(last["running"] == false && last["reason"].as_str().is_some_and(|r| r.contains("recovered")), "{last}");
        assert!(v["locks"].as_array().is_some_and(Vec::is_empty), "lock left behind: {}", v["locks"]);
        assert_consistent(&demo, &format!("after kill -9 at step {step}"));
    }

    // A change made by hand on HAProxy: traffic moved to the stopped slot. opsdeck shows the
    // disagreement, and `reapply` points HAProxy back at the running slot.
    let (v, _) = status(&demo);
    let live = prod_api(&v)["live_slot"].as_str().expect("live").to_string();
    let other = if live == "blue" { "green" } else { "blue" };
    let loaded = opsdeck_core::config::load(&config).expect("config");
    let address = loaded.environment("prod").expect("prod").haproxy.clone();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let lb = opsdeck_backends::haproxy::HaproxyClient::new(&address, Duration::from_secs(2)).expect("client");
        lb.command(&format!("set server api_prod/{other} state ready")).await.expect("ready");
        lb.command(&format!("set server api_prod/{live} state maint")).await.expect("maint");
    });
    let (v, _) = status(&demo);
    let mismatch = &prod_api(&v)["lb_mismatch"];
    assert_eq!(mismatch["running_slot"], live.as_str(), "{v}");
    assert_eq!(mismatch["haproxy_ready"], serde_json::json!([other]));
    let (st, _, err) = demo.opsdeck(&["reapply", "api", "--env", "prod", "--yes"]);
    assert!(st.success(), "{err}");
    let (v, _) = status(&demo);
    assert!(prod_api(&v)["lb_mismatch"].is_null(), "{v}");
    assert_eq!(prod_api(&v)["live_slot"], live.as_str());
    assert_consistent(&demo, "after reapply");

    // A lock whose holder died before it wrote anything to the journal: refused with the way out,
    // then broken with `unlock`, which the audit trail records.
    let dead = {
        let mut child = Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    };
    {
        let mut store = opsdeck_core::store::Store::open(&loaded.state_path).expect("store");
        let ghost = opsdeck_core::store::Holder {
            user: "ghost".into(),
            host: opsdeck_core::store::hostname(),
            pid: dead,
            process_start: None,
        };
        store.try_acquire("api", "prod", &ghost, "rollback api prod").expect("lock");
    }
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert_eq!(st.code(), Some(3), "{err}");
    assert!(err.contains("locked by ghost@") && err.contains("opsdeck unlock api --env prod"), "{err}");
    let (st, _, err) = demo.opsdeck(&["unlock", "api", "--env", "prod"]);
    assert!(st.success(), "{err}");
    let store = opsdeck_core::store::Store::open(&loaded.state_path).expect("store");
    let audit = store.audit(None).expect("audit");
    assert!(
        audit.iter().any(|r| r.entry.kind == "lock_break" && r.entry.subject.contains("api")),
        "no lock_break record"
    );
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(st.success(), "{err}");
    assert_consistent(&demo, "after unlock and rollback");

    // A release that answers /health 503 with escape sequences in its body: the step's reason
    // quotes the body, and what the CLI prints of it is clean.
    let text = std::fs::read_to_string(&config).expect("config");
    let note = r"\u001b]0;pwned\u0007\u001b[2Jnote-\u009bx";
    let hostile = text.replacen(
        "env = { ",
        &format!("env = {{ DEMO_START_UNHEALTHY = \"1\", DEMO_HEALTH_NOTE = \"{note}\", "),
        1,
    ) + "\n[actions]\nhealth_wait = \"4s\"\n";
    std::fs::write(&config, hostile).expect("hostile config");
    let (st, out, err) = demo.opsdeck(&["promote", "api", "--to", "prod", "--yes", "--watch", "0s"]);
    std::fs::write(&config, &text).expect("config back");
    assert!(!st.success(), "an unhealthy release was promoted: {out}{err}");
    let printed = format!("{out}{err}");
    assert!(printed.contains("note-"), "the /health body is not quoted: {printed}");
    assert!(!printed.contains('\u{1b}') && !printed.contains('\u{7}') && !printed.contains('\u{9b}'), "{printed:?}");
    assert_consistent(&demo, "after the hostile release was undone");

    forged_unfinished_action_is_left_alone(&demo, &loaded.state_path);
    anchors_catch_a_rewritten_trail(&demo, &loaded.state_path);
}

/// Every command pushes an anchor of what it wrote to the registry. Someone in the group edits an
/// early record and recomputes every hash after it, head included: the local walk says intact,
/// the anchors name the record. Then the registry goes down: actions still run, and doctor says
/// how far behind the anchors are.
fn anchors_catch_a_rewritten_trail(demo: &Demo, state_path: &std::path::Path) {
    let (st, out, err) = demo.opsdeck(&["audit", "verify"]);
    assert!(st.success(), "{out}{err}");
    assert!(err.contains("anchors: ") && err.contains("all match"), "{err}");
    let (_, out, _) = demo.opsdeck(&["doctor", "--json"]);
    let doctor: serde_json::Value = serde_json::from_str(&out).expect("doctor json");
    let anchors = doctor["checks"].as_array().expect("checks").iter().find(|c| c["check"] == "audit anchors").cloned();
    assert_eq!(anchors.as_ref().map(|c| c["status"].clone()), Some(serde_json::json!("ok")), "{anchors:?}");

    let db = rusqlite::Connection::open(state_path).expect("open the store as a group member would");
    let target: i64 = db
        .query_row("SELECT seq FROM audit WHERE kind = 'action' ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .expect("an action record");
    db.execute_batch(&support::rechain::script(state_path, target, "somebody-else")).expect("rechain");
    drop(db);
    let (st, out, err) = demo.opsdeck(&["audit", "verify"]);
    assert_eq!(st.code(), Some(1), "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("records, chain intact"), "the rewrite is consistent locally: {out}");
    assert!(
        lines[1].starts_with(&format!("record {target} no longer matches the registry's anchor opsdeck-audit:seq-")),
        "{out}"
    );

    // The idle slot still holds the hostile release undone above: a rollback to a release the
    // registry has gives prod a healthy idle slot to roll back to once the registry is gone.
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--to", "v1.0.0", "--yes", "--watch", "0s"]);
    assert!(st.success(), "{err}");

    // The registry goes down: an action still runs; doctor says the anchors are behind.
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.dir.path().join("demo.json")).expect("demo.json"))
            .expect("demo state");
    let pid = info["registry"]["pid"].as_i64().expect("registry pid");
    // SAFETY: kill only sends a signal to the demo's own registry process.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(st.success(), "an action with the registry down: {err}");
    let (_, out, _) = demo.opsdeck(&["doctor", "--json"]);
    let doctor: serde_json::Value = serde_json::from_str(&out).expect("doctor json");
    let anchors = doctor["checks"].as_array().expect("checks").iter().find(|c| c["check"] == "audit anchors").cloned();
    let anchors = anchors.expect("an anchors check");
    assert_eq!(anchors["status"], "warn", "{anchors}");
    assert!(anchors["detail"].as_str().is_some_and(|d| d.contains("records behind")), "{anchors}");
}

/// Anyone in the store's group can write a row: a copy of the last action, unfinished, whose plan
/// names the slot now live. Recovering it would undo a live slot. The next `status` reports it as
/// not in the audit chain and leaves it; the live container keeps running what it ran.
fn forged_unfinished_action_is_left_alone(demo: &Demo, state_path: &std::path::Path) {
    let (v, _) = status(demo);
    let live = prod_api(&v)["live_slot"].as_str().expect("live").to_string();
    let inspect = || {
        let out = Command::new("/usr/bin/docker")
            .args(["inspect", "-f", "{{.Id}} {{.Config.Image}} {{.State.StartedAt}}", &format!("api-prod-{live}")])
            .output()
            .expect("docker inspect");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let before = inspect();
    let db = rusqlite::Connection::open(state_path).expect("open the store as a group member would");
    db.execute(
        "INSERT INTO actions (kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, user, started_at, plan)
         SELECT kind, service, env, from_tag, from_digest, to_tag, to_digest, hosts, 'mallory', started_at, plan
         FROM actions WHERE service = 'api' AND env = 'prod' ORDER BY id DESC LIMIT 1",
        [],
    )
    .expect("forge a row");
    let forged = db.last_insert_rowid();
    drop(db);
    let (v, err) = status(demo);
    assert!(err.contains(&format!("action #{forged} (api/prod, by mallory): not recovered, left alone")), "{err}");
    assert!(err.contains("no matching record in the audit chain"), "{err}");
    assert_eq!(inspect(), before, "the live container was touched");
    assert_eq!(prod_api(&v)["live_slot"], live.as_str());
    assert_consistent(demo, "after a forged unfinished action");
    // Reported again by the next command: it stays until someone looks at it.
    let (_, err) = status(demo);
    assert!(err.contains("not recovered, left alone"), "{err}");
}
