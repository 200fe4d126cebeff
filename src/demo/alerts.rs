//! The demo's firing alert, posted to Alertmanager's v2 API so the Alerts pane has something
//! at the top on first start: api in prod has a high error rate.

use chrono::{Duration as Days, SecondsFormat, Utc};
use color_eyre::eyre::{eyre, Result, WrapErr};
use serde_json::json;
use std::time::Duration;

const POST_LIMIT: Duration = Duration::from_secs(5);

/// The alert as Alertmanager's `POST /api/v2/alerts` takes it: firing now, for a day.
pub fn high_error_rate() -> serde_json::Value {
    let now = Utc::now();
    json!([{
        "labels": {
            "alertname": "HighErrorRate",
            "service": "api",
            "env": "prod",
            "severity": "critical"
        },
        "annotations": {
            "summary": "prod api 5xx > 2%",
            "description": "More than 2% of requests to api in prod answered 5xx over the last 5 minutes. \
                            Roll api back to the previous image if a release just went out.",
            "runbook": "high-error-rate-after-deploy"
        },
        "startsAt": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "endsAt": (now + Days::hours(24)).to_rfc3339_opts(SecondsFormat::Secs, true),
        "generatorURL": "http://127.0.0.1/opsdeck-demo"
    }])
}

pub async fn post(alertmanager_url: &str) -> Result<()> {
    let client = crate::stack::loopback_client(POST_LIMIT)?;
    let url = format!("{alertmanager_url}/api/v2/alerts");
    let response = client
        .post(&url)
        .json(&high_error_rate())
        .send()
        .await
        .wrap_err_with(|| format!("posting the demo alert to {url}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(eyre!("posting the demo alert to {url}: HTTP {status}: {}", body.trim()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_fires_for_a_day() {
        let alert = &high_error_rate()[0];
        assert_eq!(alert["labels"]["alertname"], "HighErrorRate");
        assert_eq!(alert["labels"]["severity"], "critical");
        let starts =
            chrono::DateTime::parse_from_rfc3339(alert["startsAt"].as_str().expect("startsAt")).expect("rfc3339");
        let ends = chrono::DateTime::parse_from_rfc3339(alert["endsAt"].as_str().expect("endsAt")).expect("rfc3339");
        assert_eq!((ends - starts).num_hours(), 24);
    }
}
