//! `opsdeck canary` on the demo stack under load: a healthy release walks its stages to 100 %
//! with no failed request and every HAProxy weight back as configured; the demo's release
//! candidate (`v1.4.0-rc.1`, answering 10 % of its requests with 500) is rolled back by itself at
//! the first stage, its failures about what its share of the traffic predicts, the audit trail and
//! Alertmanager saying why; killed mid-stage, the next opsdeck puts all the traffic back
//! on the stable slot.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::load::under_load;
use support::{opsdeck_bin, stack_available, Demo};

fn prod_api(demo: &Demo) -> serde_json::Value {
    demo.status_json()["environments"][2]["services"][0].clone()
}

/// Prod api's HAProxy servers: (name, admin state, weight).
fn servers(demo: &Demo) -> Vec<(String, String, u32)> {
    let all = demo.lb_servers("prod", "api_prod");
    all.into_iter().map(|s| (s.server, format!("{:?}", s.admin), s.weight)).collect()
}

fn json_outcome(out: &str) -> serde_json::Value {
    let line = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON line: {out}"));
    serde_json::from_str(line).expect("outcome json")
}

#[test]
fn canaries_walk_roll_back_by_themselves_and_survive_kill_9() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let url = prod_api(&demo)["url"].as_str().expect("url").to_string();
    let weights_before: Vec<u32> = servers(&demo).iter().map(|s| s.2).collect();
    let canary = ["canary", "api", "--to", "prod", "--stages", "10,50,100", "--hold", "3s", "--yes", "--watch", "0s"];

    // A healthy release: 10 % -> 50 % -> 100 %.
    let (ok, out, _, tally) = under_load(&demo, &url, &canary);
    eprintln!(
        "healthy canary: {} requests, {} failed, versions {:?}",
        tally.sent,
        tally.failures.len(),
        tally.hosts.keys()
    );
    assert!(ok, "{out}");
    assert!(out.contains("canary: green takes 10 % for 3s") && out.contains("canary: green takes 50 %"), "{out}");
    assert!(tally.failures.is_empty(), "{} of {} failed: {:?}", tally.failures.len(), tally.sent, tally.failures);
    assert!(
        tally.hosts.contains_key("v1.2.0") && tally.hosts.contains_key("v1.3.0"),
        "both answered: {:?}",
        tally.hosts
    );
    assert_eq!(prod_api(&demo)["image"]["tag"], "v1.3.0");
    let after: Vec<u32> = servers(&demo).iter().map(|s| s.2).collect();
    assert_eq!(after, weights_before, "every weight back as configured: {:?}", servers(&demo));

    // The demo's release candidate answers 10 % of its requests with 500 (its image's own
    // environment says so); it never ran anywhere, so the gate is forced open.
    let failing = ["--image", "v1.4.0-rc.1", "--force", "--json"];
    let args: Vec<&str> = canary.iter().chain(failing.iter()).copied().collect();
    let started = Instant::now();
    let (ok, out, _, tally) = under_load(&demo, &url, &args);
    eprintln!(
        "failing canary: {} requests, {} failed, back on stable after {} ms",
        tally.sent,
        tally.failures.len(),
        started.elapsed().as_millis()
    );
    assert!(!ok, "{out}");
    let outcome = json_outcome(&out);
    assert_eq!(outcome["outcome"], "rolled_back", "{out}");
    let reason = outcome["reason"].as_str().expect("reason");
    // Almost always at the first stage; but at 10 % of the traffic its few dozen requests may, by
    // chance (about 1 in 60), hold no 500 at all, and then the next stage catches it.
    assert!(
        (reason.contains("rolled back by itself at 10 %") || reason.contains("rolled back by itself at 50 %"))
            && reason.contains("% 5xx ("),
        "{reason}"
    );
    // 10 % of the traffic x 10 % failing, give or take: never more than a few percent of it all.
    let share = tally.failures.len() as f64 / tally.sent as f64;
    assert!(share < 0.03, "{} of {} failed: more than the canary's share predicts", tally.failures.len(), tally.sent);
    let api = prod_api(&demo);
    assert_eq!((api["image"]["tag"].clone(), api["health"].clone()), ("v1.3.0".into(), "healthy".into()), "{api}");
    assert_eq!(servers(&demo).iter().map(|s| s.2).collect::<Vec<_>>(), weights_before, "weights restored");
    assert!(tally.hosts.contains_key("v1.4.0-rc.1"), "the candidate answered: {:?}", tally.hosts);
    // The audit record says why, and the team heard of it.
    let (st, trail, err) = demo.opsdeck(&["audit", "--json"]);
    assert!(st.success(), "{err}");
    assert!(trail.contains("rolled back by itself at 10 %"), "{trail}");
    let am = opsdeck_core::config::load(&demo.config()).expect("config").alertmanager.expect("alertmanager").url;
    let alerts = support::http_get(&format!("{}/api/v2/alerts", am.trim_end_matches('/')));
    assert!(alerts.contains("OpsdeckAutoRollback") && alerts.contains("rolled back by itself at 10 %"), "{alerts}");

    // kill -9 in the middle of a stage: the next command puts all the traffic on the stable slot.
    let mut child = Command::new(opsdeck_bin())
        .arg("--config")
        .arg(demo.config())
        .args(["canary", "api", "--to", "prod", "--image", "v1.1.0", "--force", "--stages", "10,100", "--hold", "30s"])
        .args(["--yes", "--watch", "0s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn canary");
    let stderr = child.stderr.take().expect("stderr");
    use std::io::BufRead;
    for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("canary: blue takes 10 %") && line.ends_with("...") {
            // Real time for the stage's weights to take effect before the kill.
            std::thread::sleep(Duration::from_secs(2));
            child.kill().expect("kill -9");
            break;
        }
    }
    let _ = child.wait();
    let (st, _, err) = demo.opsdeck(&["status"]);
    assert!(st.success() && err.contains("canary stopped at 10 %: all traffic back on green"), "{err}");
    let api = prod_api(&demo);
    assert_eq!((api["live_slot"].clone(), api["image"]["tag"].clone()), ("green".into(), "v1.3.0".into()), "{api}");
    let s = servers(&demo);
    assert!(s.iter().all(|(name, admin, _)| name != "blue" || admin == "Maint"), "{s:?}");
    assert_eq!(s.iter().map(|s| s.2).collect::<Vec<_>>(), weights_before, "weights restored: {s:?}");
}
