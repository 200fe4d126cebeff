//! `opsdeck audit verify`: the local walk of the hash chain, then the chain against the anchors
//! in the registry (see [`opsdeck_core::audit::anchors`]), which catch a chain rewritten whole;
//! with `--json`, the same verdict as one JSON document on stdout.

use super::audit::records;
use opsdeck_core::audit::anchors::{self, AnchorCheck};
use opsdeck_core::config::Config;
use opsdeck_core::store::Store;
use opsdeck_core::text::cleaned;
use serde::Serialize;
use std::process::ExitCode;

/// `audit verify --json` (documented in the README).
#[derive(Debug, Serialize, PartialEq)]
pub struct VerifyJson {
    /// The exit code is 0 exactly when this is true.
    pub ok: bool,
    /// How many records the trail holds (`null` when the store could not be read).
    pub records: Option<u64>,
    /// `intact`, `broken`, or `unreadable` (no store, or it cannot be read).
    pub chain: &'static str,
    /// What is wrong with the chain or the store, one line.
    pub problem: Option<String>,
    /// The registry's anchors (`null` when the local chain already failed).
    pub anchors: Option<AnchorsJson>,
}

/// What the anchors said.
#[derive(Debug, Serialize, PartialEq)]
pub struct AnchorsJson {
    /// `match`, `none` (no anchor yet), `unchecked` (the registry could not be asked) or
    /// `mismatch` (the trail was rewritten from record `seq` on).
    pub status: &'static str,
    /// How many anchors (for `match`).
    pub count: Option<usize>,
    /// The newest anchored record (`match`), or the first that differs (`mismatch`).
    pub seq: Option<u64>,
    /// Why, for `unchecked` and `mismatch`.
    pub detail: Option<String>,
}

impl VerifyJson {
    fn unreadable(problem: String) -> Self {
        VerifyJson { ok: false, records: None, chain: "unreadable", problem: Some(problem), anchors: None }
    }
}

/// The anchors' verdict as JSON.
pub fn anchors_json(check: &AnchorCheck) -> AnchorsJson {
    let (status, count, seq, detail) = match check {
        AnchorCheck::Matches { anchors, seq } => ("match", Some(*anchors), Some(*seq), None),
        AnchorCheck::NoAnchors => ("none", None, None, None),
        AnchorCheck::Unchecked(why) => ("unchecked", None, None, Some(cleaned(why))),
        AnchorCheck::Mismatch { seq, tag, at, why } => {
            let detail = format!(
                "anchor {}:{tag} (pushed {}): {}",
                anchors::REPOSITORY,
                at.format("%Y-%m-%d %H:%M:%S UTC"),
                cleaned(why)
            );
            ("mismatch", None, Some(*seq), Some(detail))
        }
    };
    AnchorsJson { status, count, seq, detail }
}

/// Exit 0 when the chain is intact and no anchor contradicts it; 1 naming the first bad record
/// (or when the store cannot be read: either way, do not trust it). The anchors' verdict is a
/// second line: on stdout when one contradicts the chain, on stderr when they could not be asked.
/// With `json`, stdout holds only the [`VerifyJson`] document and every line goes to stderr.
pub async fn verify(config: &Config, json: bool) -> ExitCode {
    // The verdict lines: on stdout, or on stderr when stdout is for the JSON.
    let say = |line: String| if json { err!("{line}") } else { out!("{line}") };
    let done = |doc: VerifyJson| {
        let code = if doc.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        if json {
            match super::audit_json::to_safe_string(&doc) {
                Ok(s) => out!("{s}"),
                Err(e) => {
                    err!("opsdeck: cannot write JSON: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        code
    };
    let path = &config.state_path;
    if !path.exists() {
        err!("opsdeck: no state store at {}: nothing to verify", path.display());
        return done(VerifyJson::unreadable(format!("no state store at {}", path.display())));
    }
    let report = Store::open(path).and_then(|mut store| store.verify_audit());
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            err!("opsdeck: cannot verify the audit trail: {}", cleaned(&e.to_string()));
            return done(VerifyJson::unreadable(cleaned(&e.to_string())));
        }
    };
    if let Some(problem) = &report.problem {
        let problem = cleaned(&problem.to_string());
        say(format!("{}, chain broken: {problem}", records(report.records)));
        err!("opsdeck: the audit trail in {} has been altered", path.display());
        let doc = VerifyJson {
            ok: false,
            records: Some(report.records),
            chain: "broken",
            problem: Some(problem),
            anchors: None,
        };
        return done(doc);
    }
    say(format!("{}, chain intact", records(report.records)));
    let check = anchors::check(config).await;
    match &check {
        AnchorCheck::Matches { anchors, seq } => {
            err!("anchors: {anchors} in the registry ({}), the newest at record {seq}: all match", anchors::REPOSITORY);
        }
        AnchorCheck::NoAnchors => err!("anchors: none in the registry yet ({})", anchors::REPOSITORY),
        AnchorCheck::Unchecked(why) => err!("anchors: not checked: {}", cleaned(why)),
        AnchorCheck::Mismatch { seq, tag, at, why } => {
            say(format!(
                "record {seq} no longer matches the registry's anchor {}:{tag} (pushed {}): {why}; \
                 the trail was rewritten from record {seq} on",
                anchors::REPOSITORY,
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
            err!("opsdeck: the audit trail in {} has been rewritten", path.display());
        }
    }
    let ok = !matches!(check, AnchorCheck::Mismatch { .. });
    done(VerifyJson {
        ok,
        records: Some(report.records),
        chain: "intact",
        problem: None,
        anchors: Some(anchors_json(&check)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each anchor verdict's fields.
    #[test]
    fn anchors_shapes() {
        let v = serde_json::to_value(anchors_json(&AnchorCheck::Matches { anchors: 3, seq: 40 })).expect("json");
        assert_eq!(v, json!({"status": "match", "count": 3, "seq": 40, "detail": null}));
        let v = serde_json::to_value(anchors_json(&AnchorCheck::NoAnchors)).expect("json");
        assert_eq!(v, json!({"status": "none", "count": null, "seq": null, "detail": null}));
        let v = serde_json::to_value(anchors_json(&AnchorCheck::Unchecked("no \u{1b}answer".into()))).expect("json");
        assert_eq!(v["status"], "unchecked");
        assert_eq!(v["detail"], "no answer");
        let at = chrono::DateTime::from_timestamp(0, 0).expect("epoch");
        let check = AnchorCheck::Mismatch { seq: 7, tag: "a-7".into(), at, why: "hash differs".into() };
        let v = serde_json::to_value(anchors_json(&check)).expect("json");
        assert_eq!(v["status"], "mismatch");
        assert_eq!(v["seq"], 7);
        assert!(v["detail"].as_str().is_some_and(|d| d.contains("a-7") && d.contains("hash differs")), "{v}");
    }

    /// A store that cannot be read is not ok, and says why.
    #[test]
    fn unreadable_shape() {
        let v = serde_json::to_value(VerifyJson::unreadable("no state store at /x".into())).expect("json");
        assert_eq!(
            v,
            json!({"ok": false, "records": null, "chain": "unreadable", "problem": "no state store at /x", "anchors": null})
        );
    }
}
