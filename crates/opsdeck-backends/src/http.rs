//! What the HTTP clients share: checking a base URL and building a reqwest client for it with
//! its deadline, and without a proxy for this machine's own loopback.

use crate::error::{BackendError, BackendResult};
use reqwest::Url;
use std::time::Duration;

/// A client for the service at `base_url` (`http://` or `https://`, no query): the base without
/// its trailing slash, the parsed URL, and a client whose every request ends within `timeout`.
pub(crate) fn client_for(
    system: &'static str,
    base_url: &str,
    timeout: Duration,
) -> BackendResult<(String, Url, reqwest::Client)> {
    client_with_ca(system, base_url, timeout, None)
}

/// [`client_for`], trusting the PEM certificates in `ca` beside the system's.
pub(crate) fn client_with_ca(
    system: &'static str,
    base_url: &str,
    timeout: Duration,
    ca: Option<&std::path::Path>,
) -> BackendResult<(String, Url, reqwest::Client)> {
    let base = base_url.trim_end_matches('/').to_string();
    let parsed = Url::parse(&base)
        .map_err(|e| BackendError::Other { system, reason: format!("invalid url {base_url}: {e}") })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(BackendError::Other {
            system,
            reason: format!("{system} url must be http:// or https:// without query: {base_url}"),
        });
    }
    let mut builder = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout);
    if let Some(ca) = ca {
        let pem = std::fs::read(ca)
            .map_err(|e| BackendError::Other { system, reason: format!("CA {}: {e}", ca.display()) })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| BackendError::Other { system, reason: format!("CA {}: {e}", ca.display()) })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if crate::health::is_loopback(&parsed) {
        // A proxy from the environment cannot reach this machine's own loopback.
        builder = builder.no_proxy();
    }
    let http = builder.build().map_err(|e| BackendError::Other { system, reason: crate::health::root_cause(&e) })?;
    Ok((base, parsed, http))
}
