//! The untouched trail: it verifies, lists (text, `--since`, `--json`) and exports as JSON lines
//! that the README's recipe checks.

use crate::recipe::recipe_hash;
use crate::trail::{sqlite3_available, Trail};
use chrono::{Duration, Utc};
use serde_json::Value;

const FIELDS: [&str; 9] = ["seq", "at", "user", "kind", "subject", "detail", "outcome", "prev_hash", "hash"];

#[test]
fn the_untouched_trail_verifies_lists_and_exports() {
    if !sqlite3_available() {
        return;
    }
    let trail = Trail::build();
    let case = trail.copy();

    let (code, out, err) = case.opsdeck(&["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.trim(), "6 records, chain intact");

    // Text: one line per record, oldest first, control characters gone.
    let (code, out, err) = case.opsdeck(&["audit"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].contains("ann") && lines[0].contains("api/staging"), "{}", lines[0]);
    assert!(lines[0].contains("promote v1.2.0 8a1b0c7 -> v1.3.0 3f9c2e1 in 2.7s"), "{}", lines[0]);
    assert!(lines[1].contains("refused") && lines[1].contains("rollback: locked by ann@bastion"), "{}", lines[1]);
    assert!(lines[2].contains("lock of ann@bastion pid 4242"), "{}", lines[2]);
    assert!(lines[3].contains("failed") && lines[3].contains("in 31.4s: health check failed"), "{}", lines[3]);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "control characters reached the terminal: {out:?}");
    for (i, line) in lines.iter().enumerate() {
        assert!(line.trim_start().starts_with(&format!("{} ", i + 1)), "{line}");
    }

    // --since: a duration ago, or a time.
    let (_, out, _) = case.opsdeck(&["audit", "--since", "1h"]);
    assert_eq!(out.lines().count(), 5, "{out}");
    let at4 = (Utc::now() - Duration::minutes(25)).to_rfc3339();
    let (_, out, _) = case.opsdeck(&["audit", "--since", &at4]);
    assert_eq!(out.lines().count(), 3, "{out}");

    // --json: an array of whole records, the hashes checkable with the README's recipe.
    let (code, out, err) = case.opsdeck(&["audit", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    let records: Vec<Value> = serde_json::from_str(&out).expect("audit --json is a JSON array");
    assert_eq!(records.len(), 6);
    let mut prev = "0".repeat(64);
    for (i, r) in records.iter().enumerate() {
        let keys: Vec<&str> = r.as_object().expect("an object").keys().map(String::as_str).collect();
        for f in FIELDS {
            assert!(keys.contains(&f), "{f} missing from {r}");
        }
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["prev_hash"], prev.as_str());
        assert_eq!(r["hash"].as_str(), Some(recipe_hash(r).as_str()), "{r}");
        prev = r["hash"].as_str().expect("hash").to_string();
    }
    assert_eq!(records[1]["detail"]["reason"], "locked by ann@bastion (promote api/prod) \u{1b}[2Jcleared");

    // The export: one JSON object per line, each checkable offline, the last hash the chain's head.
    let (code, out, err) = case.opsdeck(&["audit", "export", "--jsonl"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines, records);
    for line in &lines {
        assert_eq!(line["hash"].as_str(), Some(recipe_hash(line).as_str()), "{line}");
    }
    let (_, head, _) = case.sqlite3("SELECT hash FROM audit_head;");
    assert_eq!(lines[5]["hash"].as_str(), Some(head.trim()));

    let file = case.db.with_file_name("audit.jsonl");
    let (code, _, err) = case.opsdeck(&["audit", "export", "--jsonl", "--output", &file.to_string_lossy()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("6 records written to"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("export file"), out);
}
