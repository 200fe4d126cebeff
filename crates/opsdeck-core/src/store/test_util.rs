//! Helpers for the store's tests: a store in a temporary folder, and typical records.

use chrono::Utc;
use serde_json::json;

use super::{ActionRecord, AuditEntry, ImageRef, Store};

/// A fresh store at `<tempdir>/state.db`; keep the `TempDir` alive as long as the store.
pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("state.db")).expect("open store");
    (dir, store)
}

pub(crate) fn entry(user: &str, what: &str) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        user: user.into(),
        kind: "action".into(),
        subject: "api/prod".into(),
        detail: json!({ "what": what, "hosts": ["prod-1", "prod-2"] }),
        outcome: "succeeded".into(),
    }
}

pub(crate) fn action(kind: &str, service: &str, env: &str) -> ActionRecord {
    ActionRecord {
        kind: kind.into(),
        service: service.into(),
        env: env.into(),
        from: Some(ImageRef { tag: "v1.4.0".into(), digest: "sha256:3f9c2e1".into() }),
        to: ImageRef { tag: "v1.5.0".into(), digest: "sha256:8a1b0c7".into() },
        hosts: vec![format!("{env}-1"), format!("{env}-2")],
        user: "ann".into(),
        started_at: Utc::now(),
        plan: json!({ "strategy": "blue-green", "steps": ["start", "health", "switch", "stop"] }),
    }
}
