//! `opsdeck doctor` on the real demo stack: all ok (exit 0); then a config that names an HAProxy
//! backend without its servers, a Docker host that refuses, and a runbook that does not parse:
//! each is reported on its own line (FAIL, FAIL, warn) and the exit code is 1. `--json` has the
//! documented shape. Then files planted in the shared folders: `opsdeck.log` replaced by a symlink
//! (refused by doctor and by an action, its target untouched), a runbook anyone can write to and
//! one linked from outside its folder (refused, reported).

mod support;

use support::{stack_available, with_extra_host, Demo};

#[test]
fn doctor_reports_each_system_and_fails_on_what_is_broken() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let (st, out, err) = demo.opsdeck(&["doctor"]);
    assert!(st.success(), "{out}{err}");
    for want in [
        "ok    state store",
        "ok    registry",
        "ok    host prod-1 (prod)",
        "ok    haproxy (prod)",
        "ok    alertmanager",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    assert!(out.contains("5 runbooks read") && out.contains(": 0 failed, 0 warnings"), "{out}");

    // Break three things.
    let config = demo.config();
    let text = std::fs::read_to_string(&config).expect("config");
    assert!(text.contains("backend = \"api_prod\""), "{text}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let broken = with_extra_host(
        &text.replacen("backend = \"api_prod\"", "backend = \"api_prod_renamed\"", 1),
        "staging",
        "staging-9",
        &format!("tcp://127.0.0.1:{port}"),
    );
    std::fs::write(&config, broken).expect("config");
    let runbook = demo.dir.path().join("runbooks").join("zz-broken.md");
    std::fs::write(&runbook, "---\nname: broken\nsummary: s\n---\n## one\n```python\nprint()\n```\n").expect("runbook");

    let (st, out, err) = demo.opsdeck(&["doctor"]);
    assert_eq!(st.code(), Some(1), "{out}{err}");
    let line = |prefix: &str| {
        out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix:?} not in:\n{out}"))
    };
    assert!(line("FAIL  haproxy (prod)").contains("no server api_prod_renamed/blue, api_prod_renamed/green"), "{out}");
    assert!(line("FAIL  host staging-9 (staging)").contains(&format!("tcp://127.0.0.1:{port}")), "{out}");
    assert!(line("FAIL  haproxy (staging)").contains("api_staging/blue-staging-9"), "{out}");
    assert!(line("warn  runbooks").contains("zz-broken.md"), "{out}");
    assert!(line("ok    haproxy (dev)").contains("answered"), "{out}");

    let (st, out, _) = demo.opsdeck(&["doctor", "--json"]);
    assert_eq!(st.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).expect("doctor json");
    assert_eq!(v["ok"], false);
    let checks = v["checks"].as_array().expect("checks");
    let failed: Vec<&str> =
        checks.iter().filter(|c| c["status"] == "fail").filter_map(|c| c["check"].as_str()).collect();
    // A second staging host means a server per host there, which the demo's HAProxy lacks.
    assert_eq!(failed, ["host staging-9 (staging)", "haproxy (staging)", "haproxy (prod)"], "{out}");
    assert!(checks.iter().all(|c| c["detail"].is_string()), "{out}");

    // Files planted in the shared folders.
    std::fs::write(&config, text).expect("config back");
    std::fs::remove_file(&runbook).expect("rm runbook");
    let state = opsdeck_core::config::load(&config).expect("config").state_path;
    let log = state.parent().expect("folder").join("opsdeck.log");
    let victim = demo.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("victim");
    let _ = std::fs::remove_file(&log);
    std::os::unix::fs::symlink(&victim, &log).expect("symlink");
    let runbooks = demo.dir.path().join("runbooks");
    let open = runbooks.join("zz-open.md");
    std::fs::write(&open, "---\nname: open\nsummary: s\n---\n## one\n").expect("runbook");
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o666)).expect("chmod");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    std::fs::write(elsewhere.path().join("x.md"), "---\nname: x\nsummary: s\n---\n## one\n").expect("x");
    std::os::unix::fs::symlink(elsewhere.path().join("x.md"), runbooks.join("zz-out.md")).expect("symlink");

    let (st, out, err) = demo.opsdeck(&["doctor"]);
    assert_eq!(st.code(), Some(1), "{out}{err}");
    assert!(out.lines().any(|l| l.starts_with("FAIL  log file") && l.contains("refused: it is a symlink")), "{out}");
    assert!(out
        .lines()
        .any(|l| l.starts_with("warn  runbooks") && l.contains("zz-open.md: refused: anyone can write")));
    assert!(out.lines().any(|l| l.starts_with("warn  runbooks") && l.contains("zz-out.md: refused: a symlink out")));
    // An action logs nothing through the link, says so once, and still runs.
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert_eq!(st.code(), Some(0), "{err}");
    assert_eq!(err.matches("opsdeck's log").count(), 1, "{err}");
    assert!(err.contains("refused: it is a symlink"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious\n", "the target untouched");
}
