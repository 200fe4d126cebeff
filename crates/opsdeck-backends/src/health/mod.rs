//! The `/health` probe: one GET, judged against the design's health contract, always ending in a
//! [`HealthReport`] (never an error). Also the small HTTP plumbing the registry and Alertmanager
//! clients share: capped body reads, one-line reasons for reqwest failures, and one bounded
//! request/answer exchange.

mod body;
mod judge;
#[cfg(test)]
pub(crate) mod mock;
mod request;
#[cfg(test)]
mod tests;

pub(crate) use body::{excerpt, size_words};
pub(crate) use request::{exchange, parse_json, root_cause, Answer};

use crate::error::{BackendError, BackendResult};
use crate::types::{HealthReport, HealthVerdict};
use body::read_capped;
use judge::{judge, short_duration};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

const SYSTEM: &str = "health";

/// The largest `/health` body the contract allows.
pub const HEALTH_BODY_CAP: usize = 64 * 1024;

/// How much of an unexpected body goes into a reason line.
const EXCERPT_CHARS: usize = 120;

/// Probes services' `/health` endpoints. Cheap to clone; one connection pool for all probes.
#[derive(Debug, Clone)]
pub struct HealthProber {
    http: reqwest::Client,
    timeout: Duration,
}

/// Whether `url` names this machine (127.0.0.0/8, ::1, localhost).
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl HealthProber {
    /// A prober whose every probe (connect, headers and body together) ends within `timeout`.
    pub fn new(timeout: Duration) -> BackendResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is not the contract's 200: report it instead of following it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            // Probes go straight to each host's published port; a proxy from the environment
            // would probe something else (or nothing, for loopback).
            .no_proxy()
            .build()
            .map_err(|e| BackendError::Other { system: SYSTEM, reason: root_cause(&e) })?;
        Ok(HealthProber { http, timeout })
    }

    /// GETs `url` and judges the answer. Unreachable when nothing answered; Unhealthy, with the
    /// reason, for anything but a 200 carrying `{"status":"healthy", ...}` within 64 KiB.
    pub async fn probe(&self, url: &str) -> HealthReport {
        let started = Instant::now();
        let mut report = HealthReport {
            verdict: HealthVerdict::Unreachable,
            reason: String::new(),
            http_status: None,
            latency: Duration::ZERO,
            status_field: None,
            services: BTreeMap::new(),
            uptime_secs: None,
        };
        self.probe_into(url, started, &mut report).await;
        report.latency = started.elapsed();
        report
    }

    async fn probe_into(&self, url: &str, started: Instant, report: &mut HealthReport) {
        // One deadline for headers and body: a server that sends headers and then dribbles
        // the body must not hold the probe past the timeout.
        let deadline = started + self.timeout;
        let sent = tokio::time::timeout_at(deadline, self.http.get(url).send()).await;
        let mut response = match sent {
            Err(_) => {
                report.reason = format!("no answer within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_timeout() => {
                report.reason = format!("no answer within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_builder() => {
                report.reason = format!("invalid url {url}: {}", root_cause(&e));
                return;
            }
            Ok(Err(e)) => {
                report.reason = root_cause(&e);
                return;
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        report.http_status = Some(status.as_u16());
        // From here on something answered: whatever goes wrong is the service's fault.
        report.verdict = HealthVerdict::Unhealthy;
        let body = match tokio::time::timeout_at(deadline, read_capped(&mut response, HEALTH_BODY_CAP)).await {
            Err(_) => {
                report.reason = format!("body not complete within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) if e.is_timeout() => {
                report.reason = format!("body not complete within {}", short_duration(self.timeout));
                return;
            }
            Ok(Err(e)) => {
                report.reason = format!("body cut short: {}", root_cause(&e));
                return;
            }
            Ok(Ok(body)) => body,
        };
        judge(status, &body, report);
    }
}

#[async_trait::async_trait]
impl crate::platform::HealthProbe for HealthProber {
    async fn probe(&self, url: &str) -> HealthReport {
        HealthProber::probe(self, url).await
    }
}
