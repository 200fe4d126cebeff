//! Silences the operator sets or expires by hand (the console's `s` form and `S` list): each
//! call bounded, each outcome in the audit trail, as every other change opsdeck makes is.

use super::executor::Executor;
use crate::world::silences::matcher_text;
use opsdeck_backends::alertmanager::NewSilence;
use std::time::Duration;

/// The longest silence opsdeck sets, from the console's form or a runbook: a forgotten silence
/// hides real pages.
pub const MAX_SILENCE: Duration = Duration::from_secs(14 * 24 * 3600);

/// Bound of one Alertmanager call from here (the client has its own, shorter, timeout too).
pub const SILENCE_TIMEOUT: Duration = Duration::from_secs(15);

/// `alertname=HighErrorRate,env=prod`: what a silence's audit record is about.
fn subject(silence: &NewSilence) -> String {
    silence.matchers.iter().map(matcher_text).collect::<Vec<_>>().join(",")
}

/// Creates `silence` and audits it; returns its id, or why not (also audited).
pub async fn create(exec: &Executor, silence: &NewSilence) -> Result<String, String> {
    let result = match tokio::time::timeout(SILENCE_TIMEOUT, exec.ops.create_silence(silence)).await {
        Ok(r) => r,
        Err(_) => Err(format!("alertmanager: no answer within {}", humantime::format_duration(SILENCE_TIMEOUT))),
    };
    let detail = serde_json::json!({
        "action": "silence",
        "id": result.as_ref().ok(),
        "matchers": silence.matchers.iter().map(matcher_text).collect::<Vec<_>>(),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "comment": silence.comment,
        "reason": result.as_ref().err(),
    });
    let outcome = if result.is_ok() { "created" } else { "failed" };
    match (result, exec.audit("silence", &subject(silence), detail, outcome)) {
        (Ok(id), Ok(())) => Ok(id),
        (Ok(id), Err(e)) => Err(format!("silence {id} created, but the audit record could not be written: {e}")),
        (Err(e), _) => Err(e),
    }
}

/// Expires the silence `id` and audits it (`what` names it in the record: its matchers).
pub async fn expire(exec: &Executor, id: &str, what: &str) -> Result<(), String> {
    let result = match tokio::time::timeout(SILENCE_TIMEOUT, exec.ops.expire_silence(id)).await {
        Ok(r) => r,
        Err(_) => Err(format!("alertmanager: no answer within {}", humantime::format_duration(SILENCE_TIMEOUT))),
    };
    let detail = serde_json::json!({ "action": "expire silence", "id": id, "reason": result.as_ref().err() });
    let outcome = if result.is_ok() { "expired" } else { "failed" };
    let audited = exec.audit("silence", what, detail, outcome);
    result?;
    audited.map_err(|e| format!("silence {id} expired, but the audit record could not be written: {e}"))
}
