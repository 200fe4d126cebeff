//! The Alertmanager v2 API client: read alerts, post alerts (the demo and tests fire them), list,
//! create and expire silences. Wire formats stay in here; callers see [`Alert`] and [`Silence`].

use crate::error::{BackendError, BackendResult};
use crate::health::{exchange, parse_json, Answer};
use crate::types::{Alert, Matcher, Silence};
use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

const SYSTEM: &str = "alertmanager";

/// Alert and silence lists of a busy Alertmanager stay far below this; a body above it is broken.
const BODY_CAP: usize = 16 << 20;

/// An alert to fire (or resolve, with `ends_at` in the past).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NewAlert {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt", skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(rename = "endsAt", skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// A silence to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Who silences: Alertmanager refuses an empty one.
    pub created_by: String,
    /// Why: Alertmanager refuses an empty one.
    pub comment: String,
}

/// A client for one Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    /// `http://host:9093` (or with a path prefix), without the trailing slash.
    base: String,
    timeout: Duration,
}

impl AlertmanagerClient {
    /// A client for the Alertmanager at `base_url` (`http://` or `https://`); every request ends
    /// within `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> BackendResult<Self> {
        let (base, _, http) = crate::http::client_for(SYSTEM, base_url, timeout)?;
        Ok(AlertmanagerClient { http, base, timeout })
    }

    /// Every alert Alertmanager holds: active, silenced and inhibited.
    pub async fn alerts(&self) -> BackendResult<Vec<Alert>> {
        let answer = self.send(self.http.get(self.url("/api/v2/alerts")?)).await?;
        let wire: Vec<WireAlert> = parse_json(SYSTEM, &answer.body)?;
        Ok(wire.into_iter().map(WireAlert::into_alert).collect())
    }

    /// Fires (or resolves) alerts.
    pub async fn post_alerts(&self, alerts: &[NewAlert]) -> BackendResult<()> {
        let request = self.http.post(self.url("/api/v2/alerts")?).json(alerts);
        self.send(request).await.map(|_| ())
    }

    /// Every silence Alertmanager remembers, expired ones included.
    pub async fn silences(&self) -> BackendResult<Vec<Silence>> {
        let answer = self.send(self.http.get(self.url("/api/v2/silences")?)).await?;
        let wire: Vec<WireSilence> = parse_json(SYSTEM, &answer.body)?;
        Ok(wire.into_iter().map(WireSilence::into_silence).collect())
    }

    /// Creates a silence and returns its id.
    pub async fn create_silence(&self, silence: &NewSilence) -> BackendResult<String> {
        let body = PostableSilence {
            matchers: silence.matchers.iter().map(WireMatcher::from).collect(),
            starts_at: silence.starts_at,
            ends_at: silence.ends_at,
            created_by: &silence.created_by,
            comment: &silence.comment,
        };
        let answer = self.send(self.http.post(self.url("/api/v2/silences")?).json(&body)).await?;
        let created: SilenceCreated = parse_json(SYSTEM, &answer.body)?;
        check_silence_id(&created.silence_id).map_err(|_| BackendError::Protocol {
            system: SYSTEM,
            reason: format!("bad silence id {:?}", created.silence_id),
        })?;
        Ok(created.silence_id)
    }

    /// Expires the silence `id` now.
    pub async fn expire_silence(&self, id: &str) -> BackendResult<()> {
        check_silence_id(id)?;
        self.send(self.http.delete(self.url(&format!("/api/v2/silence/{id}"))?)).await.map(|_| ())
    }

    fn url(&self, path: &str) -> BackendResult<Url> {
        Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| BackendError::Other { system: SYSTEM, reason: format!("bad url {path}: {e}") })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> BackendResult<Answer> {
        exchange(SYSTEM, self.timeout, request, BODY_CAP).await
    }
}

/// Silence ids are UUIDs; checked because the id goes into a URL path.
fn check_silence_id(id: &str) -> BackendResult<()> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(())
    } else {
        Err(BackendError::Other { system: SYSTEM, reason: format!("invalid silence id {id:?}") })
    }
}

/// A timestamp as Alertmanager writes it; one odd value must not hide every other alert.
fn lenient_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    status: Option<WireStatus>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    fingerprint: String,
}

#[derive(Debug, Deserialize)]
struct WireStatus {
    #[serde(default)]
    state: String,
}

impl WireAlert {
    fn into_alert(self) -> Alert {
        Alert {
            name: self.labels.get("alertname").cloned().unwrap_or_default(),
            state: self.status.map(|s| s.state).unwrap_or_default(),
            starts_at: lenient_time(self.starts_at.as_deref()),
            labels: self.labels,
            annotations: self.annotations,
            fingerprint: self.fingerprint,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMatcher {
    name: String,
    value: String,
    is_regex: bool,
    /// Absent before Alertmanager 0.22, where every matcher was an equality.
    #[serde(default = "default_true")]
    is_equal: bool,
}

fn default_true() -> bool {
    true
}

impl From<&Matcher> for WireMatcher {
    fn from(m: &Matcher) -> Self {
        WireMatcher { name: m.name.clone(), value: m.value.clone(), is_regex: m.is_regex, is_equal: m.is_equal }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSilence {
    id: String,
    #[serde(default)]
    matchers: Vec<WireMatcher>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    status: Option<WireStatus>,
}

impl WireSilence {
    fn into_silence(self) -> Silence {
        Silence {
            id: self.id,
            matchers: self
                .matchers
                .into_iter()
                .map(|m| Matcher { name: m.name, value: m.value, is_regex: m.is_regex, is_equal: m.is_equal })
                .collect(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: self.created_by,
            comment: self.comment,
            state: self.status.map(|s| s.state).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence<'a> {
    matchers: Vec<WireMatcher>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    created_by: &'a str,
    comment: &'a str,
}

#[derive(Debug, Deserialize)]
struct SilenceCreated {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

#[async_trait::async_trait]
impl crate::platform::Alerts for AlertmanagerClient {
    async fn alerts(&self) -> BackendResult<Vec<Alert>> {
        AlertmanagerClient::alerts(self).await
    }
    async fn silences(&self) -> BackendResult<Vec<Silence>> {
        AlertmanagerClient::silences(self).await
    }
    async fn create_silence(&self, silence: &NewSilence) -> BackendResult<String> {
        AlertmanagerClient::create_silence(self, silence).await
    }
    async fn expire_silence(&self, id: &str) -> BackendResult<()> {
        AlertmanagerClient::expire_silence(self, id).await
    }
    async fn post_alert(&self, alert: &NewAlert) -> BackendResult<()> {
        self.post_alerts(std::slice::from_ref(alert)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::mock::{serve, Reply};
    use chrono::TimeZone;

    /// Recorded from Alertmanager 0.25 (`GET /api/v2/alerts`), one firing alert.
    const ALERTS: &str = r#"[{"annotations":{"runbook":"api-5xx","summary":"api 5xx over 2%"},"endsAt":"2024-05-01T10:09:00.000Z","fingerprint":"0c6e4bd5a1b2c3d4","receivers":[{"name":"null"}],"startsAt":"2024-05-01T10:04:00.000Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2024-05-01T10:05:00.000Z","generatorURL":"http://prometheus/graph","labels":{"alertname":"ApiHigh5xx","env":"prod","severity":"critical"}}]"#;

    /// Recorded from Alertmanager 0.25 (`GET /api/v2/silences`).
    const SILENCES: &str = r#"[{"id":"4a1c9d8e-1234-4f00-9abc-0123456789ab","status":{"state":"active"},"updatedAt":"2024-05-01T10:05:00.000Z","comment":"deploying","createdBy":"alice","endsAt":"2024-05-01T12:05:00.000Z","matchers":[{"isEqual":true,"isRegex":false,"name":"alertname","value":"ApiHigh5xx"},{"isEqual":false,"isRegex":true,"name":"env","value":"dev|staging"}],"startsAt":"2024-05-01T10:05:00.000Z"},{"id":"old-one","status":{"state":"expired"},"comment":"","createdBy":"bob","endsAt":"2024-04-01T00:00:00Z","matchers":[{"isRegex":false,"name":"env","value":"dev"}],"startsAt":"2024-03-31T00:00:00Z"}]"#;

    fn client(url: &str) -> AlertmanagerClient {
        AlertmanagerClient::new(url, Duration::from_secs(2)).expect("client")
    }

    #[tokio::test]
    async fn alerts_decode_name_state_and_start() {
        let server = serve(|_| Reply::json(200, ALERTS)).await;
        let alerts = client(&server.url).alerts().await.expect("alerts");
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.name, "ApiHigh5xx");
        assert_eq!(a.state, "active");
        assert_eq!(a.fingerprint, "0c6e4bd5a1b2c3d4");
        assert_eq!(a.annotations.get("runbook").map(String::as_str), Some("api-5xx"));
        assert_eq!(a.starts_at, Utc.with_ymd_and_hms(2024, 5, 1, 10, 4, 0).single());
        assert_eq!(server.requests()[0].target, "/api/v2/alerts");
    }

    #[tokio::test]
    async fn garbage_json_is_a_protocol_error() {
        for body in ["<html>502 Bad Gateway</html>", r#"{"alerts":[]}"#, r#"[{"labels":{"alertname":5}}]"#] {
            let server = serve(move |_| Reply::json(200, body)).await;
            let result = client(&server.url).alerts().await;
            assert!(matches!(result, Err(BackendError::Protocol { system: "alertmanager", .. })), "{body}: {result:?}");
        }
    }

    #[tokio::test]
    async fn silences_decode_matchers_with_and_without_is_equal() {
        let server = serve(|_| Reply::json(200, SILENCES)).await;
        let silences = client(&server.url).silences().await.expect("silences");
        assert_eq!(silences.len(), 2);
        assert_eq!(silences[0].state, "active");
        assert_eq!(silences[0].created_by, "alice");
        assert_eq!(
            silences[0].matchers[1],
            Matcher { name: "env".into(), value: "dev|staging".into(), is_regex: true, is_equal: false }
        );
        assert!(silences[1].matchers[0].is_equal, "missing isEqual means equality");
        assert_eq!(silences[1].ends_at, Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).single().expect("time"));
    }

    #[tokio::test]
    async fn create_and_expire_silence_send_the_v2_shapes() {
        let server = serve(|req| match (req.method.as_str(), req.target.as_str()) {
            ("POST", "/api/v2/silences") => Reply::json(200, r#"{"silenceID":"4a1c9d8e-1234-4f00-9abc-0123456789ab"}"#),
            ("DELETE", "/api/v2/silence/4a1c9d8e-1234-4f00-9abc-0123456789ab") => Reply::new(200, ""),
            ("POST", "/api/v2/alerts") => Reply::new(200, ""),
            _ => Reply::new(404, "silence not found"),
        })
        .await;
        let am = client(&server.url);
        let start = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().expect("time");
        let silence = NewSilence {
            matchers: vec![Matcher {
                name: "alertname".into(),
                value: "ApiHigh5xx".into(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: start,
            ends_at: start + chrono::Duration::hours(2),
            created_by: "alice".into(),
            comment: "rolling back".into(),
        };
        let id = am.create_silence(&silence).await.expect("created");
        assert_eq!(id, "4a1c9d8e-1234-4f00-9abc-0123456789ab");
        am.expire_silence(&id).await.expect("expired");
        assert_eq!(
            am.expire_silence("nope").await,
            Err(BackendError::Status { system: "alertmanager", status: 404, reason: "silence not found".into() })
        );
        assert!(am.expire_silence("../alerts").await.is_err());

        let alert = NewAlert {
            labels: BTreeMap::from([("alertname".to_string(), "ApiHigh5xx".to_string())]),
            generator_url: Some("http://x".into()),
            ..NewAlert::default()
        };
        am.post_alerts(&[alert]).await.expect("posted");

        let requests = server.requests();
        let posted: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("json");
        assert_eq!(
            posted,
            serde_json::json!({
                "matchers": [{"name": "alertname", "value": "ApiHigh5xx", "isRegex": false, "isEqual": true}],
                "startsAt": "2024-05-01T10:00:00Z",
                "endsAt": "2024-05-01T12:00:00Z",
                "createdBy": "alice",
                "comment": "rolling back",
            })
        );
        let alerts: serde_json::Value = serde_json::from_slice(&requests[3].body).expect("json");
        assert_eq!(
            alerts,
            serde_json::json!([{"labels": {"alertname": "ApiHigh5xx"}, "annotations": {}, "generatorURL": "http://x"}])
        );
    }

    #[tokio::test]
    async fn hanging_alertmanager_times_out() {
        let server = serve(|_| Reply::Hang).await;
        let am = AlertmanagerClient::new(&server.url, Duration::from_millis(300)).expect("client");
        assert_eq!(
            am.alerts().await,
            Err(BackendError::Timeout { system: "alertmanager", after: Duration::from_millis(300) })
        );
    }
}
