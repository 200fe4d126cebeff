//! End to end on the real demo stack: the firing alert -> Enter -> its runbook -> the health step
//! -> the rollback step -> the Environments pane shows the rolled-back release -> the audit trail
//! has each step with the user's name; leaving and reopening resumes at the next step; and the
//! headless commands on the same stack.

mod support;

use std::time::Duration;
use support::pty::Console;
use support::{stack_available, Demo};

const RUNBOOK: &str = "high-error-rate-after-deploy";

#[test]
fn the_firing_alert_runs_its_runbook_step_by_step_and_resumes() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    // The demo puts the shipped runbooks beside its config.
    assert!(demo.dir.path().join("runbooks").join(format!("{RUNBOOK}.md")).is_file());
    let (st, out, err) = demo.opsdeck(&["runbook", "list"]);
    assert!(st.success(), "{out}{err}");
    assert!(out.contains(RUNBOOK) && out.contains("HighErrorRate"), "{out}");
    let (st, out, err) = demo.opsdeck(&["runbook", "show", RUNBOOK]);
    assert!(st.success(), "{err}");
    assert!(
        out.contains("1. Check the health of every slot [opsdeck]") && out.contains("> opsdeck rollback $service $env"),
        "{out}"
    );

    // A short watch window keeps the rollback short.
    let config = demo.config();
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[actions]\nwatch = \"2s\"\n");
    std::fs::write(&config, text).expect("config");
    let cfg = config.to_str().expect("utf-8 path");
    let mut console = Console::spawn(&["--config", cfg], 160, 48);
    console.wait_text("HighErrorRate", Duration::from_secs(20));
    console.wait_text("healthy", Duration::from_secs(20));

    // Tab to the Alerts pane, Enter on the firing alert: its runbook.
    console.send("\t\t\t");
    console.send("\r");
    console.wait_text("Runbook · High error rate after a deploy · for HighErrorRate api/prod", Duration::from_secs(5));
    console.wait_text("Enter run this step", Duration::from_secs(5));
    console.wait_text("Step 1 of 4: Check the health of every slot", Duration::from_secs(2));

    // Step 1: the health of every api slot in prod, confirmed first.
    console.send("\r");
    console.wait_for("the health step's confirmation", Duration::from_secs(20), |s| {
        s.contains("This runs exactly") && s.contains("probe /health of every api slot in prod")
    });
    console.send("y");
    console.wait_text("step 1 succeeded", Duration::from_secs(30));
    let screen = console.screen();
    assert!(screen.contains("(live) on prod-1:") && screen.contains("(idle) on prod-1:"), "{screen}");
    console.wait_text("Step 2 of 4: Roll back to the previous release", Duration::from_secs(5));

    // Step 2: the rollback, planned from the live state and shown exactly before it runs.
    console.send("\r");
    console.wait_for("the rollback's confirmation", Duration::from_secs(20), |s| {
        s.contains("This runs exactly") && s.contains("rollback api/prod: v1.2.0") && s.contains("-> v1.1.0")
    });
    console.send("y");
    console.wait_for("the rollback's steps streaming", Duration::from_secs(30), |s| s.contains("switch traffic"));
    console.wait_text("step 2 succeeded", Duration::from_secs(90));
    console.wait_text("Step 3 of 4: Confirm the error rate is falling", Duration::from_secs(5));

    // Leave (progress kept): the Environments pane shows prod api on the previous release.
    console.send("\x1b");
    console.wait_for("prod api on v1.1.0 in Environments", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains("api") && l.contains("v1.3.0") && l.contains("v1.1.0")) && !s.contains("Runbook ·")
    });

    // Reopen from the alert: it continues at step 3.
    console.send("\r");
    console.wait_text("Step 3 of 4: Confirm the error rate is falling", Duration::from_secs(10));
    let screen = console.screen();
    assert!(screen.contains("resumed: last step recorded by"), "{screen}");
    console.send("\x1b");
    console.wait_for("the view closed", Duration::from_secs(5), |s| !s.contains("Runbook ·"));
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(20)).is_some_and(|s| s.success()), "opsdeck did not quit");
    assert!(console.restored(), "terminal not restored");

    // The audit trail: each step's start and end, with the user's name and the alert.
    let user = opsdeck_core::identity::current_user();
    let (st, out, err) = demo.opsdeck(&["audit", "--json"]);
    assert!(st.success(), "{err}");
    let records: serde_json::Value = serde_json::from_str(&out).expect("audit json");
    let steps: Vec<(String, String, String)> = records
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["kind"] == "runbook_step")
        .map(|r| {
            (
                r["subject"].as_str().unwrap_or_default().to_string(),
                r["outcome"].as_str().unwrap_or_default().to_string(),
                r["user"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> =
        [("1", "started"), ("1", "succeeded"), ("2", "started"), ("2", "succeeded")]
            .iter()
            .map(|(n, o)| (format!("{RUNBOOK}#{n}"), o.to_string(), user.clone()))
            .collect();
    assert_eq!(steps, want);
    let end = records
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["subject"] == format!("{RUNBOOK}#2") && r["outcome"] == "succeeded")
        .expect("step 2 end");
    assert_eq!(end["detail"]["alertname"], "HighErrorRate");
    assert!(end["detail"]["output"].as_array().is_some_and(|o| !o.is_empty()), "{end}");
    // The rollback itself is audited by the action layer, as from the keys.
    assert!(records.as_array().expect("array").iter().any(|r| r["kind"] == "action" && r["user"] == user.as_str()));

    // Headless on the same stack: an http step against the live frontend and a failing sh step.
    let (_, status, _) = demo.opsdeck(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status).expect("status json");
    let url = v["environments"][2]["services"][0]["url"].as_str().expect("url").to_string();
    let rb = format!(
        "---\nname: smoke\nsummary: s\nalerts: [Smoke]\n---\n## Ask the service\n```http timeout=5s\n{url}/health\n```\n## Fail\n```sh\necho \"for $OPSDECK_ALERT_SERVICE\"; exit 3\n```\n## Never\n"
    );
    std::fs::write(demo.dir.path().join("runbooks").join("smoke.md"), rb).expect("write runbook");
    let (st, out, err) = demo.opsdeck(&["runbook", "run", "smoke", "--yes", "--label", "service=api"]);
    assert_eq!(st.code(), Some(1), "{out}{err}");
    assert!(out.contains("-- step 1 succeeded: HTTP 200 OK"), "{out}");
    assert!(out.contains("   | for api") && out.contains("-- step 2 failed: exit 3"), "{out}");
    assert!(!out.contains("step 3/3"), "{out}");
    // The next run resumes at the failed step; --from-step 1 starts over.
    let (_, out, _) = demo.opsdeck(&["runbook", "run", "smoke", "--yes", "--label", "service=api"]);
    assert!(out.contains("smoke: resuming at step 2 of 3") && !out.contains("step 1/3"), "{out}");
    let (_, out, _) = demo.opsdeck(&["runbook", "run", "smoke", "--yes", "--label", "service=api", "--from-step", "1"]);
    assert!(out.contains("== step 1/3"), "{out}");
}
