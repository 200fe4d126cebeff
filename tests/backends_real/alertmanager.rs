//! Alertmanager: an alert posted, silenced, refused silences, and the silence expired.

use crate::common::{bounded, unique_hex, CALL, COMPONENT_LIMIT};
use crate::support;
use chrono::Utc;
use opsdeck::stack::Alertmanager;
use opsdeck_backends::alertmanager::{AlertmanagerClient, NewAlert, NewSilence};
use opsdeck_backends::types::Matcher;
use opsdeck_backends::BackendError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn alertmanager_alerts_and_silences() {
    if !support::stack_available() {
        return;
    }
    bounded("alertmanager", COMPONENT_LIMIT, async {
        let dir = tempfile::Builder::new().prefix("opsdeck-backends-am-").tempdir().expect("tempdir");
        let am = Alertmanager::start(dir.path()).await.expect("start alertmanager");
        let client = AlertmanagerClient::new(&am.url(), CALL).expect("alertmanager client");
        let name = format!("OpsdeckTest{}", unique_hex(8));

        assert!(client.alerts().await.expect("alerts").is_empty());
        let fired = Utc::now();
        let alert = NewAlert {
            labels: BTreeMap::from([
                ("alertname".to_string(), name.clone()),
                ("service".to_string(), "api".to_string()),
                ("severity".to_string(), "critical".to_string()),
            ]),
            annotations: BTreeMap::from([
                ("summary".to_string(), "api 5xx over 2%".to_string()),
                ("runbook".to_string(), "api-5xx".to_string()),
            ]),
            // Alertmanager takes a missing startsAt to be endsAt when endsAt is given: say now.
            starts_at: Some(fired),
            ends_at: Some(fired + chrono::Duration::minutes(10)),
            generator_url: Some("http://127.0.0.1/graph".to_string()),
        };
        client.post_alerts(std::slice::from_ref(&alert)).await.expect("post alert");

        let alert_state = |want: &'static str| {
            let client = &client;
            let name = name.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let alerts = client.alerts().await.expect("alerts");
                    let found = alerts.into_iter().find(|a| a.name == name);
                    if found.as_ref().is_some_and(|a| a.state == want) || Instant::now() >= deadline {
                        return found.unwrap_or_else(|| panic!("alert {name} never listed"));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        let got = alert_state("active").await;
        assert_eq!(got.state, "active", "{got:?}");
        assert_eq!(got.labels, alert.labels);
        assert_eq!(got.annotations, alert.annotations);
        assert!(!got.fingerprint.is_empty());
        let starts_at = got.starts_at.expect("starts_at");
        assert!((starts_at - fired).num_milliseconds().abs() < 1000, "starts_at {starts_at} vs fired {fired}");

        let silence = NewSilence {
            matchers: vec![Matcher { name: "alertname".into(), value: name.clone(), is_regex: false, is_equal: true }],
            starts_at: Utc::now(),
            ends_at: Utc::now() + chrono::Duration::hours(1),
            created_by: "backends_real".into(),
            comment: "integration test".into(),
        };
        let id = client.create_silence(&silence).await.expect("create silence");
        let got = alert_state("suppressed").await;
        assert_eq!(got.state, "suppressed", "{got:?}");

        let silences = client.silences().await.expect("silences");
        let listed = silences.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("silence {id} not in {silences:?}"));
        assert_eq!(listed.state, "active");
        assert_eq!(listed.matchers, silence.matchers);
        assert_eq!(listed.created_by, "backends_real");
        assert_eq!(listed.comment, "integration test");
        assert!((listed.ends_at - silence.ends_at).num_seconds().abs() <= 1, "{listed:?}");

        // Refusals come back as statuses with Alertmanager's own words.
        let backwards = NewSilence { ends_at: silence.starts_at - chrono::Duration::hours(1), ..silence.clone() };
        let refused = client.create_silence(&backwards).await;
        let reason = match &refused {
            Err(BackendError::Status { status: 400, reason, .. }) => reason.clone(),
            other => panic!("want a 400, got {other:?}"),
        };
        assert!(reason.contains("start time must be before end time"), "{reason}");
        let refused = client.create_silence(&NewSilence { matchers: Vec::new(), ..silence.clone() }).await;
        assert!(
            matches!(&refused, Err(BackendError::Status { status: 422, reason, .. }) if reason.contains("matchers")),
            "{refused:?}"
        );
        let unknown = client.expire_silence("00000000-0000-0000-0000-000000000000").await;
        assert!(
            matches!(&unknown, Err(BackendError::Status { reason, .. }) if reason.contains("silence not found")),
            "{unknown:?}"
        );
        assert_eq!(client.silences().await.expect("silences").len(), 1, "refusals created nothing");

        client.expire_silence(&id).await.expect("expire silence");
        let deadline = Instant::now() + Duration::from_secs(5);
        let state = loop {
            let silences = client.silences().await.expect("silences");
            let state = silences.iter().find(|s| s.id == id).map(|s| s.state.clone()).unwrap_or_default();
            if state == "expired" || Instant::now() >= deadline {
                break state;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(state, "expired");
        let got = alert_state("active").await;
        assert_eq!(got.state, "active", "unsilenced again: {got:?}");
        assert!(client.expire_silence("not a uuid/..").await.is_err(), "checked before it reaches a URL");

        am.stop().await.expect("stop alertmanager");
    })
    .await;
}
