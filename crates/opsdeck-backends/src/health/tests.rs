//! The probe against a mock service: every way an answer can fail the contract, and the time it takes.

use super::mock::{serve, Reply};
use super::*;
use std::time::Instant as StdInstant;

const HEALTHY: &str = r#"{"status":"healthy","uptime":3600,"timestamp":"2024-05-01T10:00:00Z","services":{"database":"connected","redis":"connected"}}"#;

fn prober(ms: u64) -> HealthProber {
    HealthProber::new(Duration::from_millis(ms)).expect("client")
}

async fn probe_reply(reply: impl Fn() -> Reply + Send + Sync + 'static, timeout_ms: u64) -> HealthReport {
    let server = serve(move |_| reply()).await;
    prober(timeout_ms).probe(&format!("{}/health", server.url)).await
}

#[tokio::test]
async fn healthy_body_fills_every_field() {
    let report = probe_reply(|| Reply::json(200, HEALTHY), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Healthy, "{report:?}");
    assert_eq!(report.reason, "");
    assert_eq!(report.http_status, Some(200));
    assert_eq!(report.status_field.as_deref(), Some("healthy"));
    assert_eq!(report.uptime_secs, Some(3600));
    assert_eq!(report.services.get("database").map(String::as_str), Some("connected"));
    assert_eq!(report.services.len(), 2);
    assert!(report.latency > Duration::ZERO);
}

#[tokio::test]
async fn degraded_status_is_unhealthy_and_keeps_services() {
    let body = r#"{"status":"degraded","uptime":-5,"services":{"database":"down","queue":{"depth":12},"workers":3}}"#;
    let report = probe_reply(move || Reply::json(200, body), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert_eq!(report.reason, "status: degraded");
    assert_eq!(report.status_field.as_deref(), Some("degraded"));
    assert_eq!(report.uptime_secs, None, "negative uptime is not an uptime");
    assert_eq!(report.services.get("queue").map(String::as_str), Some(r#"{"depth":12}"#));
    assert_eq!(report.services.get("workers").map(String::as_str), Some("3"));
}

#[tokio::test]
async fn http_503_shows_status_and_body_excerpt() {
    let long = format!("maintenance\n\n   window {}", "z".repeat(300));
    let report = probe_reply(move || Reply::new(503, long.clone()), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert_eq!(report.http_status, Some(503));
    assert!(report.reason.starts_with("HTTP 503: maintenance window zzz"), "{}", report.reason);
    assert_eq!(report.reason.chars().count(), "HTTP 503: ".len() + EXCERPT_CHARS + 1);
}

#[tokio::test]
async fn http_503_with_a_health_body_keeps_its_fields() {
    let body = r#"{"status":"unhealthy","uptime":7,"services":{"database":"disconnected"}}"#;
    let report = probe_reply(move || Reply::json(503, body), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert!(report.reason.starts_with("HTTP 503: {"), "{}", report.reason);
    assert_eq!(report.status_field.as_deref(), Some("unhealthy"));
    assert_eq!(report.uptime_secs, Some(7));
    assert_eq!(report.services.get("database").map(String::as_str), Some("disconnected"));
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let report = probe_reply(|| Reply::new(302, "").header("Location", "http://192.0.2.1/health"), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert_eq!(report.reason, "HTTP 302");
}

#[tokio::test]
async fn non_json_body_is_unhealthy_with_excerpt() {
    let report = probe_reply(|| Reply::new(200, "<html>OK</html>"), 2000).await;
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert_eq!(report.reason, "body is not JSON: <html>OK</html>");
}

#[tokio::test]
async fn wrong_types_are_unhealthy_with_reason() {
    let cases = [
        (r#"{"status":5}"#, "status is not a string: 5"),
        (r#"{"uptime":1}"#, "body has no status field"),
        (r#"{"status":"healthy","services":[]}"#, "services is not an object: []"),
        (r#"["healthy"]"#, r#"body is not a JSON object: ["healthy"]"#),
    ];
    for (body, reason) in cases {
        let report = probe_reply(move || Reply::json(200, body), 2000).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy, "{body}");
        assert_eq!(report.reason, reason, "{body}");
    }
}

#[tokio::test]
async fn fifty_megabyte_body_stops_at_the_cap_quickly() {
    for declare_length in [false, true] {
        let started = StdInstant::now();
        let report = probe_reply(move || Reply::Huge { status: 200, len: 50 << 20, declare_length }, 10_000).await;
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert_eq!(report.verdict, HealthVerdict::Unhealthy);
        assert_eq!(report.reason, "body over 64 KiB");
    }
}

#[tokio::test]
async fn slow_headers_time_out_as_unreachable() {
    let started = StdInstant::now();
    let report = probe_reply(|| Reply::Hang, 300).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(report.verdict, HealthVerdict::Unreachable);
    assert_eq!(report.reason, "no answer within 300ms");
    assert_eq!(report.http_status, None);
}

#[tokio::test]
async fn dribbled_body_times_out() {
    let started = StdInstant::now();
    let report =
        probe_reply(|| Reply::Dribble { status: 200, piece: b" ".to_vec(), every: Duration::from_millis(50) }, 400)
            .await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400) && took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(report.verdict, HealthVerdict::Unhealthy);
    assert_eq!(report.reason, "body not complete within 400ms");
    assert_eq!(report.http_status, Some(200));
}

#[tokio::test]
async fn refused_connection_is_unreachable() {
    // Bind then drop: the port is very likely closed for the next few milliseconds.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let report = prober(2000).probe(&format!("http://127.0.0.1:{port}/health")).await;
    assert_eq!(report.verdict, HealthVerdict::Unreachable);
    assert_eq!(report.reason, "connection refused");
}

#[tokio::test]
async fn invalid_url_is_unreachable_with_reason() {
    let report = prober(2000).probe("127.0.0.1:8080/health").await;
    assert_eq!(report.verdict, HealthVerdict::Unreachable);
    assert!(report.reason.starts_with("invalid url"), "{}", report.reason);
}
