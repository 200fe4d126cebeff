use super::*;
use crate::config::EnvValue;

/// A config with a secret env value, its store in a fresh folder.
fn config_in(dir: &Path) -> Config {
    let mut config = (*crate::testing::gen_config()).clone();
    config.state_path = dir.join("state.db");
    let secret = EnvValue { value: "hunter22-s3cret".into(), secret: true, source: None };
    config.services[0].env.insert("DB_PASSWORD".into(), secret);
    config
}

fn lines(config: &Config) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path_for(config)).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

/// Runs `f` with `config`'s log installed on this thread at `level` (as `OPSDECK_LOG` gives it).
fn logged(config: &Config, level: Option<&str>, f: impl FnOnce()) {
    let filter = filter::from(None, level).expect("filter");
    tracing::subscriber::with_default(subscriber(config, "alice", filter), f);
}

#[test]
fn each_line_is_json_with_the_fixed_fields_and_the_events_own() {
    let dir = crate::store::permissions::private_tempdir();
    let config = config_in(dir.path());
    logged(&config, None, || {
        tracing::info!(target: "opsdeck::events", action = 7u64, ok = true, "action #7 started\x1b[2J");
        LogFile::for_config(&config, "alice").line("action #7 succeeded");
    });
    let lines = lines(&config);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let first = &lines[0];
    for key in layer::FIXED {
        assert!(first.get(key).is_some(), "no {key} in {first}");
    }
    let time = first["time"].as_str().expect("time");
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    assert_eq!(first["level"], "info");
    assert_eq!(first["pid"], std::process::id());
    assert_eq!(first["user"], "alice");
    assert_eq!(first["target"], "opsdeck::events");
    assert_eq!(first["message"], "action #7 started[2J", "control characters removed");
    assert_eq!(first["action"], 7);
    assert_eq!(first["ok"], true);
    assert_eq!(lines[1]["message"], "action #7 succeeded");
}

#[test]
fn a_secret_from_the_config_never_reaches_the_file() {
    let dir = crate::store::permissions::private_tempdir();
    let config = config_in(dir.path());
    logged(&config, Some("debug"), || {
        tracing::info!(target: "opsdeck::events", "reason: token hunter22-s3cret refused");
        tracing::warn!(target: "opsdeck::events", body = "{\"pw\":\"hunter22-s3cret\"}", "health body");
        tracing::debug!(target: "opsdeck::events", err = ?"hunter22-s3cret", "debug print");
        let user = "hunter22-s3cret";
        tracing::info!(target: "opsdeck::events", user, "a field named like a fixed key");
    });
    let text = std::fs::read_to_string(path_for(&config)).expect("log");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(!text.contains("hunter22"), "{text}");
    assert!(text.contains(crate::secrets::MASK), "{text}");
}

#[test]
fn debug_lines_are_written_only_at_debug() {
    let dir = crate::store::permissions::private_tempdir();
    let config = config_in(dir.path());
    let world = crate::testing::gen_demo_world();
    let target = crate::actions::Target {
        kind: crate::actions::ActionKind::Promote,
        service: "api".into(),
        env: "prod".into(),
        image: None,
        force: false,
    };
    let timing = config.actions.timing(None);
    logged(&config, None, || {
        let _ = crate::actions::plan(&world, &target, timing);
    });
    assert!(lines(&config).is_empty(), "info hides the plan's debug line");
    logged(&config, Some("debug"), || {
        let _ = crate::actions::plan(&world, &target, timing);
    });
    let lines = lines(&config);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "debug");
    assert!(lines[0]["target"].as_str().is_some_and(|t| t.starts_with("opsdeck_core::actions")), "{lines:?}");
    assert_eq!(lines[0]["service"], "api");
}

#[test]
fn a_symlinked_log_is_refused_and_said_once() {
    let dir = crate::store::permissions::private_tempdir();
    let config = config_in(dir.path());
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "").expect("write");
    std::os::unix::fs::symlink(&elsewhere, path_for(&config)).expect("symlink");
    let mut said = Vec::new();
    logged(&config, None, || {
        let log = LogFile::for_config(&config, "alice");
        said.push(log.line("one"));
        said.push(log.line("two"));
    });
    assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "", "nothing written through the link");
    // Another test of this process may have been refused first: at most once, never twice.
    assert!(said[1].is_none(), "{said:?}");
    if let Some(reason) = &said[0] {
        assert!(reason.contains("symlink"), "{reason}");
    }
}
