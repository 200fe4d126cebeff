//! Audit records in a few words: what `opsdeck audit`, the Audit view and a runbook's trail say
//! of each record's detail, cleaned of control characters and cut to one line.

use crate::text::cleaned;
use chrono::DateTime;
use serde_json::Value;

/// The longest detail a text line shows; the rest is in `--json` and the export.
pub const DETAIL_WIDTH: usize = 160;

/// What a record's detail says, in a few words: for an action "promote v1.2.0 8a1b0c7 -> v1.3.0
/// 3f9c2e1 in 2.7s"; for kinds without a known shape, its fields as `key=value`. Cleaned and cut
/// to [`DETAIL_WIDTH`] characters.
pub fn short_detail(kind: &str, detail: &Value) -> String {
    let known = match kind {
        "action" => action_detail(detail),
        "refusal" => str_of(detail, "reason").map(|reason| match str_of(detail, "action") {
            Some(action) => format!("{action}: {reason}"),
            None => reason.to_string(),
        }),
        "lock_break" => lock_break_detail(detail),
        "silence" => silence_detail(detail),
        crate::runbook::session::AUDIT_KIND => crate::runbook::session::audit_summary(detail),
        "recovery" => str_of(detail, "what").map(|what| {
            let action = str_of(detail, "action").unwrap_or("action");
            let id = detail.get("id").and_then(Value::as_i64).map(|id| format!(" #{id}")).unwrap_or_default();
            let by = str_of(detail, "started_by").map(|u| format!(" started by {u}")).unwrap_or_default();
            format!("{action}{id}{by}: {what}")
        }),
        _ => None,
    };
    cut(&cleaned(&known.unwrap_or_else(|| generic_detail(detail))), DETAIL_WIDTH)
}

/// "silence 3f0c… until 04:12: rolling api back", "expire silence 3f0c…", with why it failed.
fn silence_detail(d: &Value) -> Option<String> {
    let id = str_of(d, "id").unwrap_or("-");
    let mut out = match str_of(d, "action")? {
        "expire silence" => format!("expire silence {id}"),
        _ => {
            let until = str_of(d, "ends_at")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| format!(" until {}", t.format("%H:%M UTC")))
                .unwrap_or_default();
            format!("silence {id}{until}: {}", str_of(d, "comment").unwrap_or_default())
        }
    };
    if let Some(reason) = str_of(d, "reason") {
        out.push_str(&format!(" ({reason})"));
    }
    Some(out)
}

fn action_detail(d: &Value) -> Option<String> {
    let action = str_of(d, "action")?;
    let to = image(d.get("to")?)?;
    let from = d.get("from").and_then(image).unwrap_or_else(|| "nothing".into());
    let mut out = format!("{action} {from} -> {to}");
    if let Some(ms) = d.get("duration_ms").and_then(Value::as_u64) {
        out.push_str(&format!(" in {:.1}s", ms as f64 / 1000.0));
    }
    if d.get("forced").and_then(Value::as_bool) == Some(true) {
        out.push_str(" (forced)");
    }
    if d.get("break_glass").and_then(Value::as_bool) == Some(true) {
        out.push_str(" (break-glass: no approver)");
    }
    if let Some(reason) = str_of(d, "reason").filter(|r| !r.is_empty()) {
        out.push_str(": ");
        out.push_str(reason);
    }
    Some(out)
}

/// `tag short-digest` of `{"tag": ..., "digest": ...}`.
fn image(v: &Value) -> Option<String> {
    let tag = str_of(v, "tag")?;
    match str_of(v, "digest") {
        Some(digest) => Some(format!("{tag} {}", crate::world::views::short_digest(digest))),
        None => Some(tag.to_string()),
    }
}

fn lock_break_detail(d: &Value) -> Option<String> {
    let holder = d.get("holder")?;
    let user = str_of(holder, "user")?;
    let host = str_of(holder, "host").map(|h| format!("@{h}")).unwrap_or_default();
    let pid = holder.get("pid").and_then(Value::as_i64).map(|p| format!(" pid {p}")).unwrap_or_default();
    let what = str_of(d, "what").map(|w| format!(" ({w})")).unwrap_or_default();
    let forced = if d.get("forced").and_then(Value::as_bool) == Some(true) { ", forced" } else { "" };
    let reason = str_of(d, "reason").map(|r| format!(": {r}")).unwrap_or_default();
    Some(format!("lock of {user}{host}{pid}{what}{forced}{reason}"))
}

/// An object as `key=value` (strings bare, anything else as compact JSON); anything else as JSON.
fn generic_detail(d: &Value) -> String {
    match d {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}
