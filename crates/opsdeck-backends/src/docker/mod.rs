//! Docker engines through bollard: connecting by URL (unix socket, tcp with or without TLS,
//! ssh), with the API version negotiated down to what the engine speaks. `inventory` reads slots
//! and follows events; `inspect` reads one container in detail; `lifecycle` builds, pushes,
//! pulls, creates, starts, stops and removes.

pub mod inspect;
pub mod inventory;
pub mod lifecycle;
pub mod logs;
pub mod platform;
pub mod ssh;

use crate::error::{with_timeout, BackendError, BackendResult};
use bollard::Docker;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) const SYSTEM: &str = "docker";

/// A connected engine, as [`connect`] hands it out: what the demo and the stack starters hold to
/// pass to this module's functions (they never call the engine themselves).
pub type Client = Docker;

/// Client certificates for a `tcp://` engine behind TLS.
#[derive(Debug, Clone)]
pub struct DockerTls {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// An engine's address as written in the config.
#[derive(Debug, Clone)]
pub struct DockerEndpoint {
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`.
    pub url: String,
    pub tls: Option<DockerTls>,
    /// Deadline for every call opsdeck makes on this engine.
    pub timeout: Duration,
}

/// Opens a client to the engine and negotiates the API version, all within the endpoint's
/// timeout: a host that accepts TCP and never answers fails here, it does not hang.
pub async fn connect(endpoint: &DockerEndpoint) -> BackendResult<Docker> {
    let secs = endpoint.timeout.as_secs().max(1);
    let version = bollard::API_DEFAULT_VERSION;
    let url = endpoint.url.as_str();
    let docker = if let Some(path) = url.strip_prefix("unix://") {
        Docker::connect_with_unix(path, secs, version)
    } else if url.starts_with("tcp://") {
        match &endpoint.tls {
            Some(tls) => Docker::connect_with_ssl(url, &tls.key, &tls.cert, &tls.ca, secs, version),
            None => Docker::connect_with_http(url, secs, version),
        }
    } else if url.starts_with("ssh://") {
        let target = ssh::SshTarget::parse(url).map_err(|reason| BackendError::Connect { system: SYSTEM, reason })?;
        ssh::client(target, secs)
    } else {
        return Err(BackendError::Connect { system: SYSTEM, reason: format!("unsupported engine url {url}") });
    }
    .map_err(|e| connect_error(&e))?;
    with_timeout(SYSTEM, endpoint.timeout, async {
        docker.negotiate_version().await.map_err(|e| match e {
            bollard::errors::Error::RequestTimeoutError => {
                BackendError::Timeout { system: SYSTEM, after: endpoint.timeout }
            }
            e => connect_error(&e),
        })
    })
    .await
}

/// A bollard error as one readable line.
pub(crate) fn docker_error(e: &bollard::errors::Error) -> BackendError {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError { status_code, message } => {
            BackendError::Status { system: SYSTEM, status: *status_code, reason: message.clone() }
        }
        E::RequestTimeoutError => {
            BackendError::Other { system: SYSTEM, reason: "no answer within the engine timeout".into() }
        }
        E::HyperResponseError { .. } | E::IOError { .. } | E::SocketNotFoundError(_) => connect_error(e),
        other => BackendError::Other { system: SYSTEM, reason: other.to_string() },
    }
}

fn connect_error(e: &bollard::errors::Error) -> BackendError {
    // Hyper's outer message ("client error (Connect)") hides the cause; walk to the root.
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    BackendError::Connect { system: SYSTEM, reason: plain_io_reason(&reason) }
}

/// `Connection refused (os error 111)` -> `connection refused`: the words an operator needs.
fn plain_io_reason(reason: &str) -> String {
    let text = reason.split(" (os error").next().unwrap_or(reason);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
