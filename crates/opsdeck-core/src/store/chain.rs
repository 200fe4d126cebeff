//! The audit hash chain's recipe: canonical JSON, and `hash = sha256(prev_hash || canonical record)`.
//!
//! Written out so that an exported trail can be checked without opsdeck: for each record, the
//! canonical record is the JSON object of `at`, `detail`, `kind`, `outcome`, `seq`, `subject`,
//! `user` with keys in that (byte) order, no whitespace, strings escaped as serde_json does, and
//! `detail` exactly as exported; `hash` is the lowercase hex SHA-256 of the ASCII `prev_hash`
//! followed by that text. The first record's `prev_hash` is 64 zeros.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// One audit record's hashed fields, as stored (times as text, `detail` as canonical JSON text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub user: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
    pub outcome: &'a str,
}

/// The record's hash, linking it to the record before.
pub(crate) fn record_hash(prev_hash: &str, fields: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_record(fields).as_bytes());
    hex::encode(h.finalize())
}

fn canonical_record(f: &Fields<'_>) -> String {
    // Keys in byte order, as canonical_json would sort them; `detail` is already canonical text.
    format!(
        "{{\"at\":{},\"detail\":{},\"kind\":{},\"outcome\":{},\"seq\":{},\"subject\":{},\"user\":{}}}",
        json_str(f.at),
        f.detail,
        json_str(f.kind),
        json_str(f.outcome),
        f.seq,
        json_str(f.subject),
        json_str(f.user)
    )
}

/// `v` as JSON with every object's keys sorted and no whitespace: one text per value, whatever
/// order a map was built in (serde_json may be built to keep insertion order).
pub(crate) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_str(k));
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        // Scalars have one serde_json text each.
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_has_no_spaces() {
        let v = json!({"b": [1, {"z": null, "a": "x\"y"}], "a": true, "c": 1.5});
        assert_eq!(canonical_json(&v), r#"{"a":true,"b":[1,{"a":"x\"y","z":null}],"c":1.5}"#);
    }

    #[test]
    fn the_canonical_record_is_itself_canonical_json() {
        let f = Fields {
            seq: 7,
            at: "2026-01-01T00:00:00.000000Z",
            user: "ann",
            kind: "action",
            subject: "api/prod",
            detail: r#"{"to":"v1.5.0"}"#,
            outcome: "ok",
        };
        let text = canonical_record(&f);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(canonical_json(&parsed), text);
    }

    #[test]
    fn the_hash_depends_on_every_field_and_on_the_previous_hash() {
        let f = Fields { seq: 1, at: "t", user: "u", kind: "k", subject: "s", detail: "{}", outcome: "o" };
        let base = record_hash("p", &f);
        assert_eq!(base.len(), 64);
        assert_eq!(base, record_hash("p", &f));
        let variants = [
            record_hash("q", &f),
            record_hash("p", &Fields { seq: 2, ..f }),
            record_hash("p", &Fields { at: "T", ..f }),
            record_hash("p", &Fields { user: "U", ..f }),
            record_hash("p", &Fields { kind: "K", ..f }),
            record_hash("p", &Fields { subject: "S", ..f }),
            record_hash("p", &Fields { detail: "[]", ..f }),
            record_hash("p", &Fields { outcome: "O", ..f }),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }
}
