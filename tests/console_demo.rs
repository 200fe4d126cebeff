//! End to end on the real demo stack: `demo up`, `status --json` shows the truth of it, the
//! console in a pty shows each pane's real data, moves, opens help and quits with the terminal
//! restored; `demo down` leaves no container or process behind.

mod support;

use std::time::Duration;
use support::pty::Console;
use support::{containers_with_label, stack_available, Demo};

#[test]
fn the_console_shows_the_demo_stack() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let label = format!("opsdeck.demo={}", demo.dir.path().display());
    assert_eq!(containers_with_label(&label).len(), 12, "two services x three environments x two slots");

    // Headless: three environments, live slots, images, health, history, the alert.
    let (status, stdout, stderr) = demo.opsdeck(&["status", "--json"]);
    assert!(status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("status json");
    let envs: Vec<&str> =
        v["environments"].as_array().expect("envs").iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(envs, ["dev", "staging", "prod"]);
    for env in v["environments"].as_array().expect("envs") {
        for svc in env["services"].as_array().expect("services") {
            assert!(svc["live_slot"].is_string(), "{svc}");
            assert!(svc["url"].as_str().is_some_and(|u| u.starts_with("http://127.0.0.1:")), "{svc}");
            assert!(svc["image"]["digest"].as_str().is_some_and(|d| d.starts_with("sha256:")), "{svc}");
            assert_eq!(svc["health"], "healthy", "{}/{}: {svc}", env["name"], svc["name"]);
        }
    }
    let tag =
        |env: usize, svc: usize| v["environments"][env]["services"][svc]["image"]["tag"].as_str().map(str::to_string);
    assert_eq!(tag(1, 0).as_deref(), Some("v1.3.0"));
    assert_eq!(tag(2, 0).as_deref(), Some("v1.2.0"), "prod is one release behind staging");
    assert_eq!(v["environments"][2]["services"][0]["drift"], 1);
    let api_images = v["images"]["api"].as_array().expect("api history");
    assert!(api_images.len() >= 4, "{api_images:?}");
    assert!(api_images.iter().any(|i| i["deployed_in"] == serde_json::json!(["prod"])), "{api_images:?}");
    assert!(api_images.iter().all(|i| i["created"].is_string() && i["tags"].as_array().is_some_and(|t| !t.is_empty())));
    assert!(v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .any(|a| a["name"] == "HighErrorRate" && a["state"] == "active"));

    // Through the load balancer, prod api answers its live version.
    let url = v["environments"][2]["services"][0]["url"].as_str().expect("url").to_string();
    let body = support::http_get(&url);
    assert!(body.contains("v1.2.0"), "{body}");

    // The console, at 80x24: every pane's real data. A short watch window keeps the test short.
    let config = demo.config();
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[actions]\nwatch = \"2s\"\n");
    std::fs::write(&config, text).expect("config");
    let config_arg = config.to_str().expect("utf-8 path");
    let mut console = Console::spawn(&["--config", config_arg], 80, 24);
    console.wait_text("v1.3.0", Duration::from_secs(10));
    console.wait_text("HighErrorRate", Duration::from_secs(15));
    console.wait_text("healthy", Duration::from_secs(15));
    let screen = console.screen();
    for pane in ["Environments", "Images", "Health", "Alerts"] {
        assert!(screen.contains(pane), "{pane} missing:\n{screen}");
    }
    // Move: down to web and back, Tab through the panes and back to Environments.
    console.send("jk");
    console.send("\t\t\t\t\t\t");
    console.send("?");
    console.wait_text("navigation", Duration::from_secs(2));
    console.send("?");

    // Prod api's cell on screen (its host listed, HAProxy read) before planning on it: on two
    // busy cores the first list of an engine can take seconds.
    console.wait_for("prod api on v1.2.0 in Environments", Duration::from_secs(15), |s| {
        s.lines().any(|l| l.contains("api") && l.contains("v1.3.0") && l.contains("v1.2.0"))
    });
    // Roll prod api back, through the command palette (`:`, a few letters of each word, Enter:
    // the same confirmation as `r` on prod api): confirm, watch the steps, see the change.
    console.send(":");
    console.wait_text("Command ·", Duration::from_secs(2));
    console.send("rol api pr");
    console
        .wait_for("the one match", Duration::from_secs(2), |s| s.contains("1 of 1") && s.contains("rollback api prod"));
    console.send("\r");
    console.wait_text("v1.1.0", Duration::from_secs(2));
    console.wait_for("the confirmation", Duration::from_secs(2), |s| s.contains("Esc") && s.contains("prod"));
    console.send("y");
    console.wait_for("steps progressing", Duration::from_secs(20), |s| s.contains("switch traffic"));
    console.wait_text("succeeded", Duration::from_secs(60));
    console.wait_for("prod api on v1.1.0 in Environments", Duration::from_secs(15), |s| {
        s.lines().any(|l| l.contains("api") && l.contains("v1.3.0") && l.contains("v1.1.0"))
    });
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    assert!(console.restored(), "terminal not restored");
    let (_, stdout, _) = demo.opsdeck(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("status json");
    assert_eq!(v["environments"][2]["services"][0]["image"]["tag"], "v1.1.0");
    assert_eq!(v["actions"][0]["outcome"], "succeeded");
    assert_eq!(v["actions"][0]["user"], opsdeck_core::identity::current_user());

    // Down: nothing left.
    let out = demo.down();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(containers_with_label(&label).is_empty(), "containers left behind");
    let pids = std::fs::read_to_string(demo.dir.path().join("demo.json")).unwrap_or_default();
    for pid in serde_json::from_str::<serde_json::Value>(&pids).ok().iter().flat_map(collect_pids) {
        // SAFETY: signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        assert!(!alive, "process {pid} from demo.json still running");
    }
}

/// Every number under a key containing "pid" in the demo's record.
fn collect_pids(v: &serde_json::Value) -> Vec<i32> {
    let mut out = Vec::new();
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                if k.contains("pid") {
                    if let Some(n) = val.as_i64() {
                        out.push(n as i32);
                    }
                }
                out.extend(collect_pids(val));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| out.extend(collect_pids(i))),
        _ => {}
    }
    out
}
