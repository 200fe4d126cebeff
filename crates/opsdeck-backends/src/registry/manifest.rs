//! What a manifest says about itself: the digest a registry reports for it (or the sha256 of its
//! bytes), and which entry of an index or manifest list speaks for the image.

use super::names::{check_digest, is_digest};
use super::SYSTEM;
use crate::error::{BackendError, BackendResult};
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// `Docker-Content-Digest`, when present; a malformed one is an error (it would end up in URLs).
pub(super) fn content_digest(headers: &HeaderMap) -> BackendResult<Option<String>> {
    let Some(value) = headers.get("docker-content-digest") else {
        return Ok(None);
    };
    let digest = value.to_str().unwrap_or("").trim();
    if is_digest(digest) {
        Ok(Some(digest.to_string()))
    } else {
        Err(BackendError::Protocol { system: SYSTEM, reason: format!("bad Docker-Content-Digest: {value:?}") })
    }
}

pub(super) fn sha256_digest(body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// For an index or manifest list, the digest of the image that represents it: linux/amd64, else
/// the first entry that is not an attestation (`unknown/unknown`). `None` for a plain manifest.
pub(super) fn pick_platform_manifest(manifest: &Value) -> BackendResult<Option<String>> {
    let Some(entries) = manifest.get("manifests").and_then(Value::as_array) else {
        return Ok(None);
    };
    let platform = |entry: &Value| {
        let p = entry.get("platform");
        let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str).unwrap_or("").to_string();
        (field("os"), field("architecture"))
    };
    let chosen = entries
        .iter()
        .find(|e| platform(e) == ("linux".into(), "amd64".into()))
        .or_else(|| entries.iter().find(|e| platform(e) != ("unknown".into(), "unknown".into())))
        .or_else(|| entries.first());
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let digest = chosen.get("digest").and_then(Value::as_str).unwrap_or("");
    check_digest(digest)?;
    Ok(Some(digest.to_string()))
}

/// The platforms an index or manifest list offers (`linux/amd64`, `linux/arm64/v8`), attestations
/// left out, sorted; empty for a plain manifest.
pub(super) fn platforms(manifest: &Value) -> Vec<String> {
    let Some(entries) = manifest.get("manifests").and_then(Value::as_array) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            let p = e.get("platform")?;
            let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let (os, arch, variant) = (field("os"), field("architecture"), field("variant"));
            if os.is_empty() || os == "unknown" || arch.is_empty() {
                return None;
            }
            Some(if variant.is_empty() { format!("{os}/{arch}") } else { format!("{os}/{arch}/{variant}") })
        })
        .map(|p| p.chars().filter(|c| !c.is_control()).take(64).collect())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_index_lists_its_platforms_without_attestations() {
        let index = json!({"manifests": [
            {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "sha256:c", "platform": {"os": "unknown", "architecture": "unknown"}},
        ]});
        assert_eq!(platforms(&index), ["linux/amd64", "linux/arm64/v8"]);
        assert!(platforms(&json!({"layers": []})).is_empty());
    }
}
