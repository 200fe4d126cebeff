//! The README's hash recipe, written out independently of opsdeck, to check records offline.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The README's recipe, written out independently of opsdeck: canonical JSON (keys sorted by
/// bytes, no whitespace, serde_json's string escaping), `hash = sha256_hex(prev_hash || record)`.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let items: Vec<String> =
                entries.into_iter().map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical(v))).collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        scalar => scalar.to_string(),
    }
}

pub fn recipe_hash(record: &Value) -> String {
    let hashed = json!({
        "at": record["at"], "detail": record["detail"], "kind": record["kind"], "outcome": record["outcome"],
        "seq": record["seq"], "subject": record["subject"], "user": record["user"],
    });
    let prev = record["prev_hash"].as_str().expect("prev_hash");
    hex::encode(Sha256::new().chain_update(prev.as_bytes()).chain_update(canonical(&hashed).as_bytes()).finalize())
}
