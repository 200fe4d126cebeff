use super::*;
use crate::config::parse_str;
use std::time::Instant;

fn with_env(entry: &str) -> Config {
    let text = crate::testing::CONFIG.replacen(
        "[[services]]\nname = \"api\"\ncontainer_port = 8080\n",
        &format!("[[services]]\nname = \"api\"\ncontainer_port = 8080\nenv = {{ DB_PASSWORD = {entry} }}\n"),
        1,
    );
    parse_str(&text).expect("config")
}

fn resolved(entry: &str, base: &Path) -> Result<String, Vec<String>> {
    let mut c = with_env(entry);
    resolve_all(&mut c, base)?;
    let v = &c.services[0].env["DB_PASSWORD"];
    assert!(v.secret, "a sourced value is secret");
    Ok(v.value.clone())
}

#[test]
fn each_source_is_read_and_its_newline_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pw"), "from-a-file\n").expect("write");
    assert_eq!(resolved(r#"{ file = "pw" }"#, dir.path()).expect("file"), "from-a-file");
    assert_eq!(
        resolved(r#"{ command = ["printf", "from-a-command\n"] }"#, dir.path()).expect("command"),
        "from-a-command"
    );
    // PATH is set in every test process.
    let path = std::env::var("PATH").expect("PATH");
    assert_eq!(resolved(r#"{ from_env = "PATH" }"#, dir.path()).expect("env"), path);
}

#[test]
fn a_source_that_fails_is_named_without_what_it_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            r#"{ from_env = "OPSDECK_TEST_NO_SUCH_VARIABLE" }"#,
            "services.api.env.DB_PASSWORD: from_env OPSDECK_TEST_NO_SUCH_VARIABLE: no such variable",
        ),
        (r#"{ file = "missing" }"#, "file "),
        (
            r#"{ command = ["sh", "-c", "echo leaked-secret; echo leaked-too >&2; exit 3"] }"#,
            "command sh: exit status: 3",
        ),
        (r#"{ command = ["/no/such/program"] }"#, "command /no/such/program: cannot start"),
        (r#"{ command = ["true"] }"#, "command true: printed nothing"),
    ];
    for (entry, want) in cases {
        let problems = resolved(entry, dir.path()).expect_err(entry);
        assert!(problems[0].contains(want), "{entry}: {problems:?}");
        assert!(!problems[0].contains("leaked"), "{problems:?}");
    }
}

#[test]
fn a_command_that_hangs_is_stopped_at_its_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let problems = resolved(r#"{ command = ["sleep", "30"] }"#, dir.path()).expect_err("hangs");
    assert!(problems[0].contains("no answer within 10s"), "{problems:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn bad_source_tables_are_config_errors() {
    for entry in [
        r#"{ value = "x", file = "y" }"#,
        r#"{ file = "a", command = ["b"] }"#,
        r#"{ command = [] }"#,
        r#"{ from_env = "X", secret = false }"#,
    ] {
        let text = crate::testing::CONFIG.replacen(
            "[[services]]\nname = \"api\"\ncontainer_port = 8080\n",
            &format!("[[services]]\nname = \"api\"\ncontainer_port = 8080\nenv = {{ DB_PASSWORD = {entry} }}\n"),
            1,
        );
        assert!(parse_str(&text).is_err(), "{entry}");
    }
}

#[test]
fn a_sourced_value_serializes_as_its_source_never_its_value() {
    let mut c = with_env(r#"{ command = ["sh", "-c", "printf %s s3cr3t; printf %s -value"] }"#);
    resolve_all(&mut c, Path::new("/")).expect("resolved");
    let text = toml::to_string(&c.services[0]).expect("toml");
    assert_eq!(c.services[0].env["DB_PASSWORD"].value, "s3cr3t-value");
    assert!(text.contains("command") && !text.contains("s3cr3t-value"), "{text}");
}
