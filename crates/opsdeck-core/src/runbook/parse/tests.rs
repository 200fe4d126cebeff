//! Parser tests: every shipped runbook, the malformed cases, size and control characters, and a
//! bounded proptest fuzz run (no input may panic).

use super::*;
use crate::runbook::OpsdeckAction;
use proptest::prelude::*;

fn p(text: &str) -> Result<Runbook, ParseError> {
    parse(Path::new("rb.md"), text)
}

fn err(text: &str) -> String {
    p(text).unwrap_err().to_string()
}

const GOOD: &str = "---
name: demo
summary: A demo.
alerts:
  - HighErrorRate
  - '{alertname=\"X\", env=~\"prod|staging\"}'
timeout: 2m
---

# Title

Intro *text*.

## Check health

Look at the slots.

```opsdeck
health $service $env
```

After the block.

## Run a command

```sh timeout=5s
echo hello
```

## Look at the page

```http
http://127.0.0.1:8080/health
```

## Confirm by hand

- one
- two
";

#[test]
fn a_complete_runbook_parses() {
    let rb = p(GOOD).unwrap();
    assert_eq!(rb.name, "demo");
    assert_eq!(rb.title.as_deref(), Some("Title"));
    assert_eq!(rb.intro, "Intro *text*.");
    assert_eq!(rb.alerts.len(), 2);
    assert_eq!(rb.steps.len(), 4);
    let s = &rb.steps[0];
    assert_eq!((s.title.as_str(), s.line), ("Check health", 14));
    assert_eq!(s.prose, "Look at the slots.\n\nAfter the block.");
    assert!(matches!(&s.block, StepBlock::Opsdeck { action: OpsdeckAction::Health { .. }, .. }));
    assert_eq!(
        rb.steps[1].block,
        StepBlock::Sh { command: "echo hello\n".into(), timeout: std::time::Duration::from_secs(5) }
    );
    assert_eq!(
        rb.steps[2].block,
        StepBlock::Http { url: "http://127.0.0.1:8080/health".into(), timeout: std::time::Duration::from_secs(120) }
    );
    assert_eq!(rb.steps[3].block, StepBlock::Manual);
    assert_eq!(rb.steps[3].prose, "- one\n- two");
}

#[test]
fn every_shipped_runbook_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runbooks");
    let catalog = crate::runbook::load_all(&[dir]);
    assert!(catalog.errors.is_empty(), "{:?}", catalog.errors);
    let names: Vec<&str> = catalog.runbooks.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "certificate-expiring",
            "database-cpu-high",
            "deploy-health-gate-failed",
            "high-error-rate-after-deploy",
            "redis-memory-full"
        ]
    );
    let her = catalog.get("high-error-rate-after-deploy").unwrap();
    assert!(matches!(&her.steps[0].block, StepBlock::Opsdeck { action: OpsdeckAction::Health { .. }, .. }));
    assert!(matches!(&her.steps[1].block, StepBlock::Opsdeck { action: OpsdeckAction::Rollback { .. }, .. }));
    for rb in &catalog.runbooks {
        assert!(!rb.alerts.is_empty(), "{} answers no alert", rb.name);
        assert!(rb.steps.len() >= 3, "{}", rb.name);
    }
}

#[test]
fn malformed_front_matter_names_its_line() {
    let e = err("---\nname: x\nsummary: [unclosed\n---\n## s\n");
    assert!(e.starts_with("rb.md:") && e.contains("front matter"), "{e}");
    let e = err("---\nname: x\nsummary: s\ncolour: red\n---\n## s\n");
    assert!(e.contains("rb.md:4: front matter") && e.contains("colour"), "{e}");
    let e = err("---\nname: x\n---\n## s\n");
    assert!(e.contains("front matter") && e.contains("summary"), "{e}");
    let e = err("# no front matter\n\n## s\n");
    assert_eq!(e, "rb.md:1: no front matter: the file starts with a `---` line, then `name:`, `summary:` and `alerts:`, then `---`");
    let e = err("---\nname: has space\nsummary: s\n---\n## s\n");
    assert!(e.contains("rb.md:2: front matter: name `has space`"), "{e}");
    let e = err("---\nname: x\nsummary: s\nalerts: ['{env=~\"(\"}']\n---\n## s\n");
    assert!(e.contains("rb.md:2: front matter: alerts:") && e.contains("regular expression"), "{e}");
}

#[test]
fn unknown_block_kind_and_unknown_action_are_located() {
    let e = err("---\nname: x\nsummary: s\n---\n\n## one\n\n```bash\nls\n```\n");
    assert_eq!(e, "rb.md:8: unknown block kind `bash`: a step's block is sh, opsdeck or http");
    let e = err("---\nname: x\nsummary: s\n---\n\n## one\n\n```opsdeck\nreboot api prod\n```\n");
    assert!(e.starts_with("rb.md:8: unknown opsdeck action `reboot`"), "{e}");
    let e = err("---\nname: x\nsummary: s\n---\n## one\n```sh\na\n```\n```sh\nb\n```\n");
    assert!(e.contains("rb.md:9: step \"one\" has a second block"), "{e}");
    let e = err("---\nname: x\nsummary: s\n---\n```sh\na\n```\n## one\n");
    assert!(e.contains("rb.md:5: a fenced block before the first step"), "{e}");
}

#[test]
fn an_empty_runbook_is_an_error() {
    assert!(err("").contains("no front matter"));
    let e = err("---\nname: x\nsummary: s\n---\n\n# Only a title\n\nSome prose.\n");
    assert!(e.contains("no steps: each `##` heading is a step"), "{e}");
    let e = err("---\nname: x\nsummary: s\n---\n##\n");
    assert!(e.contains("rb.md:5: a step's `##` heading is empty"), "{e}");
}

#[test]
fn a_5_mb_file_is_refused_at_once() {
    let big = format!("---\nname: x\nsummary: s\n---\n## s\n{}", "word ".repeat(1024 * 1024));
    assert!(big.len() > 5_000_000);
    let t = std::time::Instant::now();
    let e = err(&big);
    assert!(e.starts_with("rb.md:1: ") && e.contains("a runbook is at most 1048576 bytes"), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
    // Just under the limit, it parses (and fast).
    let ok = format!("---\nname: x\nsummary: s\n---\n## s\n{}", "word ".repeat(200_000));
    let t = std::time::Instant::now();
    assert_eq!(p(&ok).unwrap().steps.len(), 1);
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn control_characters_in_a_heading_are_an_error_and_never_reach_a_message_raw() {
    let e = err("---\nname: x\nsummary: s\n---\n\n## evil \u{1b}[2J title\n");
    assert_eq!(e, "rb.md:6: the heading holds control characters");
    let e = err("---\nname: x\nsummary: s\n---\n## s\n```\u{1b}[31mred\nx\n```\n");
    assert!(!e.contains('\u{1b}'), "{e:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, timeout: 2000, ..ProptestConfig::default() })]

    /// Any text at all: an answer, never a panic.
    #[test]
    fn fuzz_arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = p(&text);
    }

    /// Text built from runbook pieces, where the parser's own branches are.
    #[test]
    fn fuzz_runbook_shaped_text_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("---\n".to_string()),
        Just("name: x\n".to_string()),
        Just("summary: s\n".to_string()),
        Just("alerts: [A, '{b=~\"c\"}']\n".to_string()),
        Just("timeout: 5s\n".to_string()),
        Just("# T\n".to_string()),
        Just("## S\n".to_string()),
        Just("```sh\n".to_string()),
        Just("```opsdeck\n".to_string()),
        Just("```http\n".to_string()),
        Just("```\n".to_string()),
        Just("rollback $service $env\n".to_string()),
        Just("http://127.0.0.1/\n".to_string()),
        "\\PC{0,20}\n",
    ], 0..30)) {
        let text: String = parts.concat();
        if let Ok(rb) = p(&text) {
            prop_assert!(!rb.steps.is_empty());
        }
    }
}

/// The README's complete example is a runbook that parses, with every kind of step.
#[test]
fn the_readme_example_parses() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let start = readme.find("````markdown\n").expect("the README's example") + "````markdown\n".len();
    let len = readme[start..].find("\n````\n").expect("its end");
    let rb = p(&readme[start..start + len + 1]).unwrap();
    assert_eq!(rb.name, "high-error-rate-after-deploy");
    let kinds: Vec<&str> = rb.steps.iter().map(|s| s.block.kind()).collect();
    assert_eq!(kinds, ["opsdeck", "opsdeck", "http", "sh", "manual"]);
    assert_eq!(rb.alerts.len(), 2);
}
