//! Talking to the stats socket: one connection per command (unix or tcp), written and read to
//! EOF within the client's deadline and a size cap.

use super::{HaproxyClient, SYSTEM};
use crate::error::{with_timeout, BackendError, BackendResult};
use std::path::PathBuf;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// `show stat` of a large configuration is a few MiB at most; more is not HAProxy talking.
const ANSWER_CAP: usize = 16 << 20;

/// Where the runtime API listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Endpoint {
    Unix(PathBuf),
    /// `host:port`
    Tcp(String),
}

impl HaproxyClient {
    pub(super) async fn raw_command(&self, cmd: &str) -> BackendResult<String> {
        // A newline would start a second command on the admin socket.
        if cmd.is_empty() || cmd.contains(['\n', '\r', '\0']) {
            return Err(BackendError::Other { system: SYSTEM, reason: format!("refusing command {cmd:?}") });
        }
        with_timeout(SYSTEM, self.timeout, async {
            match &self.endpoint {
                Endpoint::Unix(path) => {
                    let stream = connect_unix(path).await?;
                    converse(stream, cmd).await
                }
                Endpoint::Tcp(host_port) => {
                    let stream = tokio::net::TcpStream::connect(host_port.as_str())
                        .await
                        .map_err(|e| connect_error(&e, host_port))?;
                    converse(stream, cmd).await
                }
            }
        })
        .await
    }
}

/// Connects to the unix socket, waiting while its backlog is full: HAProxy accepts only `stats
/// maxconn` (10 by default) connections at once, and a connect beyond the backlog fails at once
/// with EAGAIN although HAProxy is answering (several opsdeck processes polling together do it).
/// The caller's deadline bounds the wait.
async fn connect_unix(path: &std::path::Path) -> BackendResult<tokio::net::UnixStream> {
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        match tokio::net::UnixStream::connect(path).await {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(connect_error(&e, &path.display().to_string())),
        }
    }
}

/// Writes `cmd` and reads the answer to EOF: without `prompt`, HAProxy answers one command and
/// closes the connection.
async fn converse(mut stream: impl AsyncRead + AsyncWrite + Unpin, cmd: &str) -> BackendResult<String> {
    let io_error = |e: std::io::Error| BackendError::Other { system: SYSTEM, reason: e.to_string() };
    stream.write_all(format!("{cmd}\n").as_bytes()).await.map_err(io_error)?;
    let mut answer = Vec::new();
    let mut limited = stream.take(ANSWER_CAP as u64 + 1);
    limited.read_to_end(&mut answer).await.map_err(io_error)?;
    if answer.len() > ANSWER_CAP {
        return Err(BackendError::Protocol {
            system: SYSTEM,
            reason: format!("answer to {cmd:?} over {}", crate::health::size_words(ANSWER_CAP)),
        });
    }
    String::from_utf8(answer)
        .map_err(|_| BackendError::Protocol { system: SYSTEM, reason: format!("answer to {cmd:?} is not UTF-8") })
}

fn connect_error(e: &std::io::Error, target: &str) -> BackendError {
    use std::io::ErrorKind as K;
    let reason = match e.kind() {
        K::NotFound => format!("no such socket {target}"),
        K::PermissionDenied => format!("permission denied on {target}"),
        K::ConnectionRefused => format!("connection refused by {target}"),
        _ => format!("{target}: {e}"),
    };
    BackendError::Connect { system: SYSTEM, reason }
}
