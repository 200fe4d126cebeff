//! b. `opsdeck rollback --silence` on the demo stack: the service's alerts are silenced only while
//! it runs (also when it is killed mid-action), and refused where no Alertmanager is configured.

use crate::common::{alert_state, demo_with_alertmanager, silence_until, DEMO};
use crate::support;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `opsdeck rollback api --env prod --yes --silence --watch <watch>` on the config `cfg`, its
/// stderr piped.
fn spawn_rollback_with_silence(cfg: &Path, watch: &str) -> Child {
    Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(cfg)
        .args(["rollback", "api", "--env", "prod", "--yes", "--silence", "--watch", watch])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn rollback")
}

#[test]
fn a_rollback_with_silence_silences_only_while_it_runs() {
    if !support::stack_available() {
        return;
    }
    let _turn = DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let (demo, rt, client) = demo_with_alertmanager();
    assert_eq!(rt.block_on(alert_state(&client, "HighErrorRate", "active")), "active", "the demo's alert fires");

    let cfg = demo.config();
    let mut child = spawn_rollback_with_silence(&cfg, "3s");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    let mut id = None;
    let mut during = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if id.is_none() {
            if let Some(rest) = line.split_once("silence api's alerts in prod done: silence ").map(|(_, r)| r) {
                let sid = rest.split_whitespace().next().expect("id").to_string();
                // While the action runs: the silence is active and the demo alert suppressed.
                let s = rt.block_on(silence_until(&client, &sid, |s| s.state == "active"));
                let alert = rt.block_on(alert_state(&client, "HighErrorRate", "suppressed"));
                during = Some((s, alert));
                id = Some(sid);
            }
        }
        lines.push(line);
    }
    let status = child.wait().expect("wait");
    let log = lines.join("\n");
    assert!(status.success(), "{log}");
    let id = id.unwrap_or_else(|| panic!("no silence step in:\n{log}"));
    let (s, alert) = during.expect("seen during");
    assert_eq!(s.state, "active");
    assert_eq!(alert, "suppressed", "the demo alert (service=api, env=prod) is silenced during the action");
    let matchers: Vec<String> = s.matchers.iter().map(|m| format!("{}={}", m.name, m.value)).collect();
    assert_eq!(matchers, ["service=api", "env=prod"]);
    assert!(s.comment.contains("rollback api/prod"), "{}", s.comment);
    assert!(log.contains(&format!("expire the silence done: silence {id} expired")), "{log}");

    // After it: expired, and the alert fires again.
    let after = rt.block_on(silence_until(&client, &id, |s| s.state == "expired"));
    assert_eq!(after.state, "expired");
    assert_eq!(rt.block_on(alert_state(&client, "HighErrorRate", "active")), "active");
    let (st, out, err) = demo.opsdeck(&["audit", "--json"]);
    assert!(st.success(), "{err}");
    assert!(out.contains(&id), "the action's audit record names the silence");

    // kill -9 mid-action: the next opsdeck (here `status`) settles the action and expires the
    // silence the journal names.
    let mut child = spawn_rollback_with_silence(&cfg, "30s");
    let stderr = child.stderr.take().expect("stderr");
    let mut left = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(rest) = line.split_once("silence api's alerts in prod done: silence ").map(|(_, r)| r) {
            left = rest.split_whitespace().next().map(str::to_string);
        }
        if line.contains("watch green") || line.contains("watch blue") {
            child.kill().expect("kill -9");
            break;
        }
    }
    let _ = child.wait();
    let left = left.expect("the killed action set a silence");
    assert_eq!(rt.block_on(silence_until(&client, &left, |s| s.state == "active")).state, "active");
    let (st, _, err) = demo.opsdeck(&["status"]);
    assert!(st.success(), "{err}");
    assert!(err.contains(&format!("silence {left} expired")), "recovery says so: {err}");
    assert_eq!(rt.block_on(silence_until(&client, &left, |s| s.state == "expired")).state, "expired");
    drop(demo);
}

/// `--silence` where the config names no Alertmanager: refused up front (exit 3), nothing run.
#[test]
fn silence_without_an_alertmanager_is_refused() {
    let dir = support::private_tempdir();
    let config = dir.path().join("opsdeck.toml");
    let text = format!(
        "state_path = \"{}\"\n[registry]\nurl = \"http://127.0.0.1:1\"\n\
         [[environments]]\nname = \"prod\"\nhaproxy = \"unix:///nonexistent/h.sock\"\n\
         hosts = [{{ name = \"prod-1\", url = \"unix:///nonexistent/docker.sock\" }}]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
         [services.environments.prod]\nbackend = \"api_prod\"\nurl = \"http://127.0.0.1:1\"\n",
        dir.path().join("state.db").display()
    );
    std::fs::write(&config, text).expect("config");
    let out = Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(&config)
        .args(["rollback", "api", "--env", "prod", "--yes", "--silence"])
        .output()
        .expect("run opsdeck");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--silence: the config names no Alertmanager"), "{err}");
}
