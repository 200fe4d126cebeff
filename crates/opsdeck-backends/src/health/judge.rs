//! The health contract applied to an answer that arrived in time: verdict, reason, and the fields
//! the body reports.

use super::body::{excerpt, Capped};
use super::{EXCERPT_CHARS, HEALTH_BODY_CAP};
use crate::types::{HealthReport, HealthVerdict};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// Applies the health contract to an answer that arrived in time.
pub(super) fn judge(status: StatusCode, body: &Capped, report: &mut HealthReport) {
    report.verdict = HealthVerdict::Unhealthy;
    let json = match body {
        Capped::Complete(bytes) => serde_json::from_slice::<Value>(bytes).ok(),
        Capped::Over(_) => None,
    };
    // Fill what the body says before judging it, so an unhealthy report (a 503 included)
    // still shows the service's own words beside the reason.
    let services_ok = match &json {
        Some(Value::Object(fields)) => fill_fields(fields, report),
        _ => true,
    };
    if status != StatusCode::OK {
        let text = excerpt(body.bytes(), EXCERPT_CHARS);
        report.reason = if text.is_empty() {
            format!("HTTP {}", status.as_u16())
        } else {
            format!("HTTP {}: {text}", status.as_u16())
        };
        return;
    }
    let bytes = match body {
        Capped::Over(_) => {
            report.reason = format!("body over {} KiB", HEALTH_BODY_CAP / 1024);
            return;
        }
        Capped::Complete(bytes) => bytes,
    };
    let fields = match json {
        None => {
            report.reason = format!("body is not JSON: {}", excerpt(bytes, EXCERPT_CHARS));
            return;
        }
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            report.reason = format!("body is not a JSON object: {}", excerpt(bytes, EXCERPT_CHARS));
            return;
        }
    };
    match fields.get("status") {
        None => report.reason = "body has no status field".into(),
        Some(Value::String(s)) if s != "healthy" => {
            report.reason = format!("status: {}", excerpt(s.as_bytes(), EXCERPT_CHARS))
        }
        Some(Value::String(_)) if !services_ok => {
            // The contract says `services` is an object; anything else is a broken body.
            let shown = fields.get("services").map(Value::to_string).unwrap_or_default();
            report.reason = format!("services is not an object: {}", excerpt(shown.as_bytes(), EXCERPT_CHARS));
        }
        Some(Value::String(_)) => report.verdict = HealthVerdict::Healthy,
        Some(other) => {
            report.reason = format!("status is not a string: {}", excerpt(other.to_string().as_bytes(), EXCERPT_CHARS))
        }
    }
}

/// Copies `status`, `uptime` and `services` from a health body into the report. Returns false
/// when `services` is there but is not an object.
fn fill_fields(fields: &serde_json::Map<String, Value>, report: &mut HealthReport) -> bool {
    report.status_field = fields.get("status").and_then(Value::as_str).map(str::to_string);
    report.uptime_secs = fields.get("uptime").and_then(Value::as_u64);
    match fields.get("services") {
        None | Some(Value::Null) => true,
        Some(Value::Object(services)) => {
            report.services = services
                .iter()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .collect();
            true
        }
        Some(_) => false,
    }
}

/// `2s`, `1.5s`, `300ms`, as the reasons print a timeout.
pub(super) fn short_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
