//! Rollback speed on the demo stack, under load: a cold rollback (the idle slot stopped: started,
//! seen healthy by opsdeck, HAProxy told so) and a warm one (the old slot kept running out of
//! traffic for `keep_warm` after the switch: a rollback is a switch). Then the warm period ends:
//! the next command stops the warm slot, audited, and it is kept for a cold rollback.

mod support;

use std::time::Duration;
use support::load::under_load;
use support::{stack_available, Demo};

fn prod_api(demo: &Demo) -> serde_json::Value {
    demo.status_json()["environments"][2]["services"][0].clone()
}

fn running(container: &str) -> bool {
    let out = std::process::Command::new("/usr/bin/docker")
        .args(["inspect", "-f", "{{.State.Running}}", container])
        .output()
        .expect("docker inspect");
    String::from_utf8_lossy(&out.stdout).trim() == "true"
}

fn set_keep_warm(demo: &Demo, text: &str, keep_warm: &str) {
    std::fs::write(demo.config(), format!("{text}\n[actions]\nkeep_warm = \"{keep_warm}\"\n")).expect("config");
}

/// Rolls back under load; returns the time to the switch, checking no request failed.
fn rollback_under_load(demo: &Demo, url: &str, what: &str) -> Duration {
    let (ok, out, switch, tally) =
        under_load(demo, url, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(ok, "{what}: {out}");
    let switch = switch.unwrap_or_else(|| panic!("{what}: no switch step: {out}"));
    eprintln!(
        "{what}: switch {} ms from the command's start; {} requests, {} failed",
        switch.as_millis(),
        tally.sent,
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "{what}: {} of {} failed: {:?}",
        tally.failures.len(),
        tally.sent,
        tally.failures
    );
    assert!(tally.sent >= 20, "{what}: too little load: {}", tally.sent);
    switch
}

#[test]
fn warm_and_cold_rollbacks_under_load_and_the_end_of_the_warm_period() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let text = std::fs::read_to_string(demo.config()).expect("config");
    set_keep_warm(&demo, &text, "10m");
    let url = prod_api(&demo)["url"].as_str().expect("url").to_string();
    assert_eq!(prod_api(&demo)["idle_warm_until"], serde_json::Value::Null, "the demo's idle slot is stopped");

    // Cold: green is stopped; blue, the old slot, stays warm after the switch.
    rollback_under_load(&demo, &url, "cold rollback");
    let api = prod_api(&demo);
    assert_eq!(api["live_slot"], "green");
    assert!(api["idle_warm_until"].is_string(), "blue is warm: {api}");
    assert!(running("api-prod-blue"), "blue kept running");

    // Warm: back to blue, which never stopped.
    rollback_under_load(&demo, &url, "warm rollback");
    assert_eq!(prod_api(&demo)["live_slot"], "blue");

    // The warm period ends: the next command stops the warm slot (audited) and says so.
    set_keep_warm(&demo, &text, "1s");
    rollback_under_load(&demo, &url, "warm rollback, keeping blue warm for 1s");
    assert!(running("api-prod-blue"));
    std::thread::sleep(Duration::from_millis(1500)); // real time for the warm period to pass
    let (st, _, err) = demo.opsdeck(&["promote", "api", "--to", "prod", "--image", "no-such-tag", "--yes"]);
    assert_eq!(st.code(), Some(3), "refused after the sweep: {err}");
    assert!(err.contains("api/prod: warm blue stopped on prod-1"), "{err}");
    assert_eq!(prod_api(&demo)["idle_warm_until"], serde_json::Value::Null);
    assert!(!running("api-prod-blue"), "stopped");
    assert!(running("api-prod-green"), "the live slot is left alone");
    let (_, export, _) = demo.opsdeck(&["audit", "export", "--jsonl"]);
    assert!(
        export.lines().any(|l| l.contains("\"kind\":\"keep_warm_end\"") && l.contains("\"outcome\":\"succeeded\"")),
        "{export}"
    );
    // Kept for a cold rollback.
    rollback_under_load(&demo, &url, "cold rollback after the warm period");
}
