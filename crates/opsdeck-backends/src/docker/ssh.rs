//! `ssh://` engines: each connection is `ssh [-p PORT] [-l USER] HOST docker system dial-stdio`,
//! the system's OpenSSH client, so ports, users, `~/.ssh/config` aliases, keys and agents work
//! as they do for `docker -H ssh://…`. (bollard's own ssh transport drops the port.) `BatchMode`
//! means ssh never prompts: a changed host key, an unknown host or a refused key ends the
//! connection at once, and what ssh said on stderr becomes the error's line.

use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::oneshot;

/// The environment variable naming an ssh client config for opsdeck's connections.
pub const SSH_CONFIG_VAR: &str = "OPSDECK_SSH_CONFIG";

/// What ssh said on stderr, at most this much.
const STDERR_CAP: usize = 4096;

/// Where an `ssh://[user@]host[:port]` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl SshTarget {
    /// Parses `ssh://[user@]host[:port][/]`; a host may be an `~/.ssh/config` alias or `[v6]`.
    pub fn parse(url: &str) -> Result<SshTarget, String> {
        let rest = url.strip_prefix("ssh://").ok_or_else(|| format!("{url}: not an ssh:// url"))?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') || rest.contains('?') {
            return Err(format!("{url}: ssh://[user@]host[:port] takes no path"));
        }
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()), h),
            None => (None, rest),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') => {
                let port = p.parse::<u16>().map_err(|_| format!("{url}: port {p:?} is not a number"))?;
                (h.trim_start_matches('[').trim_end_matches(']').to_string(), Some(port))
            }
            _ => (host_port.trim_start_matches('[').trim_end_matches(']').to_string(), None),
        };
        let bad =
            |s: &str| s.is_empty() || s.starts_with('-') || s.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad(&host) || user.as_deref().is_some_and(bad) {
            return Err(format!("{url}: not a usable ssh destination"));
        }
        Ok(SshTarget { user, host, port })
    }

    /// The ssh arguments for one connection (`connect_timeout` bounds the handshake). With
    /// `OPSDECK_SSH_CONFIG` set, ssh reads that file instead of `~/.ssh/config` (`-F`).
    pub fn args(&self, connect_timeout: Duration) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if let Some(file) = std::env::var_os(SSH_CONFIG_VAR).filter(|f| !f.is_empty()) {
            args.extend(["-F".to_string(), file.to_string_lossy().into_owned()]);
        }
        args.extend(["-T", "-o", "BatchMode=yes", "-o"].iter().map(|s| s.to_string()));
        args.push(format!("ConnectTimeout={}", connect_timeout.as_secs().max(1)));
        if let Some(port) = self.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        args.extend(["--", &self.host, "docker", "system", "dial-stdio"].iter().map(|s| s.to_string()));
        args
    }
}

/// A bollard client whose connections go through ssh to `target`.
pub fn client(target: SshTarget, timeout_secs: u64) -> Result<bollard::Docker, bollard::errors::Error> {
    let connector = SshConnector { target, timeout: Duration::from_secs(timeout_secs) };
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let http = std::sync::Arc::new(http);
    bollard::Docker::connect_with_custom_transport(
        move |req: bollard::BollardRequest| {
            let http = http.clone();
            async move { http.request(req).await.map_err(bollard::errors::Error::from) }
        },
        Some("http://docker.ssh"),
        timeout_secs,
        bollard::API_DEFAULT_VERSION,
    )
}

#[derive(Clone)]
struct SshConnector {
    target: SshTarget,
    timeout: Duration,
}

impl tower_service::Service<hyper::Uri> for SshConnector {
    type Response = TokioIo<SshIo>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<SshIo>>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let args = self.target.args(self.timeout);
        Box::pin(async move {
            let mut child = tokio::process::Command::new("ssh")
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
            let missing = || io::Error::other("ssh started without its pipes");
            let stdin = child.stdin.take().ok_or_else(missing)?;
            let stdout = child.stdout.take().ok_or_else(missing)?;
            let mut stderr = child.stderr.take().ok_or_else(missing)?;
            let (said, heard) = oneshot::channel();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = (&mut stderr).take(STDERR_CAP as u64).read_to_end(&mut buf).await;
                let _ = said.send(String::from_utf8_lossy(&buf).into_owned());
            });
            Ok(TokioIo::new(SshIo { _child: child, stdin, stdout, stderr: Some(heard), got_data: false }))
        })
    }
}

/// One ssh connection as a byte stream: writes go to ssh's stdin, reads come from its stdout.
pub struct SshIo {
    _child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    /// ssh's stderr, whole once it has closed it.
    stderr: Option<oneshot::Receiver<String>>,
    got_data: bool,
}

impl Connection for SshIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for SshIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.stdout).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && !this.got_data => {
                // End of output before any answer: ssh failed. Wait for what it said, and say it.
                let Some(heard) = this.stderr.as_mut() else { return Poll::Ready(Ok(())) };
                match Pin::new(heard).poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(said) => {
                        this.stderr = None;
                        Poll::Ready(Err(io::Error::other(ssh_reason(&said.unwrap_or_default()))))
                    }
                }
            }
            Poll::Ready(Ok(())) => {
                this.got_data |= buf.filled().len() > before;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for SshIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

/// ssh's last meaningful stderr line (`Host key verification failed.`, `Permission denied
/// (publickey).`), prefixed so the operator knows which program said it.
fn ssh_reason(said: &str) -> String {
    let line = said
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .unwrap_or("the connection closed before the engine answered");
    let clean: String = line.chars().filter(|c| !c.is_control()).take(300).collect();
    format!("ssh: {clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_user_host_and_port() {
        let t = SshTarget::parse("ssh://root@127.0.0.1:2222").expect("parse");
        assert_eq!(t, SshTarget { user: Some("root".into()), host: "127.0.0.1".into(), port: Some(2222) });
        let t = SshTarget::parse("ssh://prod-1").expect("alias");
        assert_eq!(t, SshTarget { user: None, host: "prod-1".into(), port: None });
        let t = SshTarget::parse("ssh://deploy@[::1]:22").expect("v6");
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        for bad in ["ssh://-oProxyCommand=x", "ssh://a b", "ssh://host:notaport", "ssh://host/path", "tcp://x"] {
            assert!(SshTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn args_never_prompt_and_end_the_options_before_the_host() {
        let t = SshTarget::parse("ssh://root@127.0.0.1:2222").expect("parse");
        let args = t.args(Duration::from_secs(3)).join(" ");
        assert_eq!(
            args,
            "-T -o BatchMode=yes -o ConnectTimeout=3 -p 2222 -l root -- 127.0.0.1 docker system dial-stdio"
        );
    }

    #[test]
    fn the_reason_is_what_ssh_said_last() {
        assert_eq!(
            ssh_reason("Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\nroot@x: Permission denied (publickey).\r\n"),
            "ssh: root@x: Permission denied (publickey)."
        );
        assert_eq!(ssh_reason(""), "ssh: the connection closed before the engine answered");
    }
}
