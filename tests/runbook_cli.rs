//! `opsdeck runbook list --json` and `runbook show --json` from the real binary on a config and a
//! runbook folder in a temporary folder: no Docker, nothing contacted. One JSON document on
//! stdout, exit codes as without `--json`.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{opsdeck_bin, private_tempdir};

/// A runbook with a manual step and an `sh` step whose prose carries an escape sequence.
const HOT: &str = "---\nname: hot\nsummary: It runs hot.\nalerts:\n  - HighTemp\n---\n\n# Too hot\n\n\
    ## Look\n\nCheck the fans \u{1b}[2J now.\n\n## Measure\n\n```sh timeout=5s\nsensors\n```\n";

fn setup(dir: &Path, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let runbooks = dir.join("runbooks");
    std::fs::create_dir(&runbooks).expect("runbooks folder");
    std::fs::write(runbooks.join("hot.md"), HOT).expect("runbook");
    for (name, text) in extra {
        std::fs::write(runbooks.join(name), text).expect("runbook");
    }
    let config = dir.join("opsdeck.toml");
    std::fs::write(&config, support::OFFLINE_CONFIG).expect("config");
    config
}

fn opsdeck(config: &Path, args: &[&str]) -> Output {
    Command::new(opsdeck_bin()).arg("--config").arg(config).args(args).output().expect("run opsdeck")
}

fn json(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim_end().lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(&stdout).expect("one JSON document")
}

#[test]
fn runbook_list_and_show_as_json() {
    let dir = private_tempdir();
    let config = setup(dir.path(), &[]);

    let out = opsdeck(&config, &["runbook", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["errors"], serde_json::json!([]));
    let row = &v["runbooks"][0];
    assert_eq!(row["name"], "hot");
    assert_eq!(row["title"], "Too hot");
    assert_eq!(row["summary"], "It runs hot.");
    assert_eq!(row["steps"], 2);
    assert_eq!(row["alerts"], serde_json::json!(["HighTemp"]));
    assert!(row["file"].as_str().is_some_and(|f| f.ends_with("runbooks/hot.md")), "{row}");

    let out = opsdeck(&config, &["runbook", "show", "hot", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!out.stdout.contains(&0x1b), "no raw escape reaches the terminal");
    let v = json(&out);
    assert_eq!(v["name"], "hot");
    let steps = v["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0]["number"].as_u64(), steps[0]["kind"].as_str()), (Some(1), Some("manual")));
    assert_eq!(steps[0]["runs"], serde_json::Value::Null);
    assert!(steps[0]["prose"].as_str().is_some_and(|p| p.contains("Check the fans")), "{}", steps[0]);
    assert_eq!(steps[1]["kind"], "sh");
    assert!(steps[1]["runs"].as_str().is_some_and(|r| r.contains("sensors")), "{}", steps[1]);

    // An unknown name: nothing on stdout, the reason on stderr, exit code 1 as without --json.
    let out = opsdeck(&config, &["runbook", "show", "cold", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no runbook named `cold`"));
}

#[test]
fn runbook_list_json_names_broken_files_and_exits_1() {
    let dir = private_tempdir();
    let config = setup(dir.path(), &[("broken.md", "no front matter here\n")]);
    let out = opsdeck(&config, &["runbook", "list", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["runbooks"][0]["name"], "hot");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].as_str().is_some_and(|e| e.contains("broken.md")), "{errors:?}");
}
