//! HAProxy's runtime API (the stats socket, unix or tcp): one connection per command in
//! non-interactive mode, the server list merged from `show stat` and `show servers state`, and
//! the switches opsdeck pulls: a server's admin state, its weight, killing its sessions, and
//! (for servers following a platform's replicas) its address.

mod socket;
mod stat;
mod state;
pub mod switch;
#[cfg(test)]
mod tests;

pub use stat::{parse_request_totals, parse_show_stat};
pub use state::{admin_from_bits, parse_servers_state, ServerStateRow};

use crate::error::{BackendError, BackendResult};
use crate::types::{AdminState, ServerStat};
use socket::Endpoint;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

const SYSTEM: &str = "haproxy";

/// HAProxy's largest absolute server weight.
pub const MAX_WEIGHT: u32 = 256;

/// How the first line of an answer starts when HAProxy refuses a command. The CLI has no
/// status code, so this is a list of the messages 2.x prints; commands that should answer
/// nothing (the `set` family) are stricter and treat any text as a refusal.
const REFUSALS: &[&str] = &[
    "Unknown command",
    "Permission denied",
    "No such ",
    "Can't ",
    "Cannot ",
    "Require ",
    "Missing ",
    "Invalid ",
    "Empty ",
    "Absolute weight",
    "Relative weight",
    "Backend is using",
    "'",
];

/// A client for one HAProxy runtime API socket.
#[derive(Debug, Clone)]
pub struct HaproxyClient {
    endpoint: Endpoint,
    timeout: Duration,
}

impl HaproxyClient {
    /// A client for `unix:///path/to.sock` or `tcp://host:port`; every command (connect, write,
    /// read to the end) ends within `timeout`.
    pub fn new(address: &str, timeout: Duration) -> BackendResult<Self> {
        let endpoint = if let Some(path) = address.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(bad_address(address));
            }
            Endpoint::Unix(PathBuf::from(path))
        } else if let Some(host_port) = address.strip_prefix("tcp://") {
            let host_port = host_port.trim_end_matches('/');
            match host_port.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Endpoint::Tcp(host_port.to_string())
                }
                _ => return Err(bad_address(address)),
            }
        } else {
            return Err(bad_address(address));
        };
        Ok(HaproxyClient { endpoint, timeout })
    }

    /// Runs one command and returns HAProxy's answer. An answer that reads as a refusal
    /// (`Unknown command`, `No such server.`, ...) is [`BackendError::Protocol`] with its first line.
    pub async fn command(&self, cmd: &str) -> BackendResult<String> {
        let answer = self.raw_command(cmd).await?;
        let first_line = answer.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        if REFUSALS.iter().any(|r| first_line.starts_with(r)) {
            return Err(BackendError::Protocol { system: SYSTEM, reason: format!("{cmd}: {first_line}") });
        }
        Ok(answer)
    }

    /// Every server of every backend, with traffic counters from `show stat` and the admin
    /// state from `show servers state` (the status word alone cannot tell a drained server
    /// that is also down).
    pub async fn servers(&self) -> BackendResult<Vec<ServerStat>> {
        // `-1 4 -1`: every proxy, servers only: no FRONTEND/BACKEND rows to ship and skip.
        let (stat, state) = tokio::join!(self.command("show stat -1 4 -1"), self.command("show servers state"));
        let mut servers = parse_show_stat(&stat?)?;
        let admin: HashMap<(String, String), AdminState> =
            parse_servers_state(&state?)?.into_iter().map(|row| ((row.backend, row.server), row.admin)).collect();
        for server in &mut servers {
            if let Some(state) = admin.get(&(server.backend.clone(), server.server.clone())) {
                server.admin = *state;
            }
        }
        Ok(servers)
    }

    /// `set server <backend>/<server> state ready|drain|maint`.
    pub async fn set_state(&self, backend: &str, server: &str, state: AdminState) -> BackendResult<()> {
        let word = match state {
            AdminState::Ready => "ready",
            AdminState::Drain => "drain",
            AdminState::Maint => "maint",
        };
        let target = server_ref(backend, server)?;
        self.silent_command(&format!("set server {target} state {word}")).await
    }

    /// `set weight <backend>/<server> <weight>` (absolute, 0 to [`MAX_WEIGHT`]).
    pub async fn set_weight(&self, backend: &str, server: &str, weight: u32) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        if weight > MAX_WEIGHT {
            return Err(BackendError::Other {
                system: SYSTEM,
                reason: format!("weight {weight} for {target} is over HAProxy's maximum of {MAX_WEIGHT}"),
            });
        }
        self.silent_command(&format!("set weight {target} {weight}")).await
    }

    /// `set server <backend>/<server> health up`: the server's check result is "up" now, until
    /// its next check says otherwise. For a server opsdeck has just seen healthy itself, so
    /// traffic does not wait for HAProxy's next check interval.
    pub async fn mark_up(&self, backend: &str, server: &str) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        self.silent_command(&format!("set server {target} health up")).await
    }

    /// `set weight <backend>/<server> <percent>%`: relative to the server's configured weight, so
    /// 100 % gives it back what the configuration says.
    pub async fn set_weight_percent(&self, backend: &str, server: &str, percent: u8) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        self.silent_command(&format!("set weight {target} {}%", percent.min(100))).await
    }

    /// `set server <backend>/<server> addr <ip> port <port>`: points the server at another
    /// replica. `address` must be an IP address (HAProxy would try to resolve a name, and a name
    /// could carry more words into the command line).
    pub async fn set_address(&self, backend: &str, server: &str, address: &str, port: u16) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        let ip: std::net::IpAddr = address.parse().map_err(|_| BackendError::Other {
            system: SYSTEM,
            reason: format!("{address:?} for {target} is not an IP address"),
        })?;
        if port == 0 {
            return Err(BackendError::Other { system: SYSTEM, reason: format!("port 0 for {target}") });
        }
        let cmd = format!("set server {target} addr {ip} port {port}");
        let answer = self.raw_command(&cmd).await?;
        if address_changed(&answer) {
            Ok(())
        } else {
            Err(BackendError::Protocol { system: SYSTEM, reason: format!("{cmd}: {}", first_line(answer.trim())) })
        }
    }

    /// Readies a server that must not take traffic before a check of it passes (a replica that
    /// just started, at an address HAProxy has not checked yet). A server leaving maintenance
    /// comes back `UP` one check from DOWN and takes traffic at once (recorded on 2.6.12), and
    /// `health down` before `ready` is undone by leaving maintenance; so the server goes through
    /// drain (no new traffic), is marked down there, and only then readied: it stays DOWN until
    /// `rise` checks pass, or opsdeck says it is up ([`Self::mark_up`]). A server without an
    /// enabled check is readied as is: marked down, nothing would ever bring it up again.
    pub async fn ready_when_checked(&self, backend: &str, server: &str) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        let text = self.command(&format!("show servers state {backend}")).await?;
        let row = parse_servers_state(&text)?.into_iter().find(|r| r.server == server).ok_or_else(|| {
            BackendError::Protocol {
                system: SYSTEM,
                reason: format!("show servers state {backend}: no server {server}"),
            }
        })?;
        match row.checked() {
            // One line, so that an interrupted caller cannot leave it halfway (HAProxy runs what
            // it has read): the worst left behind is drain, which takes no new traffic.
            Some(true) => {
                self.silent_command(&format!(
                    "set server {target} state drain; set server {target} health down; set server {target} state ready"
                ))
                .await
            }
            Some(false) => self.set_state(backend, server, AdminState::Ready).await,
            None => Err(BackendError::Protocol {
                system: SYSTEM,
                reason: format!("show servers state {backend}: no srv_check_state for {server}"),
            }),
        }
    }

    /// `shutdown sessions server <backend>/<server>`: cuts every session open on the server.
    pub async fn shutdown_sessions(&self, backend: &str, server: &str) -> BackendResult<()> {
        let target = server_ref(backend, server)?;
        self.silent_command(&format!("shutdown sessions server {target}")).await
    }

    /// A command that answers nothing when it worked: any text is the refusal.
    async fn silent_command(&self, cmd: &str) -> BackendResult<()> {
        let answer = self.raw_command(cmd).await?;
        let text = answer.trim();
        if text.is_empty() {
            Ok(())
        } else {
            let first_line = text.lines().next().unwrap_or(text);
            Err(BackendError::Protocol { system: SYSTEM, reason: format!("{cmd}: {first_line}") })
        }
    }
}

fn bad_address(address: &str) -> BackendError {
    BackendError::Other {
        system: SYSTEM,
        reason: format!("haproxy address must be unix:///path or tcp://host:port, not {address:?}"),
    }
}

/// `backend/server`, checked: the names go into a command line, so a space or `;` in them
/// would change what HAProxy runs.
fn server_ref(backend: &str, server: &str) -> BackendResult<String> {
    let ok = |name: &str| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    if ok(backend) && ok(server) {
        Ok(format!("{backend}/{server}"))
    } else {
        Err(BackendError::Other {
            system: SYSTEM,
            reason: format!("invalid backend/server name {backend:?}/{server:?}"),
        })
    }
}

/// Whether `set server ... addr ... port ...` answered that it did it. Unlike the other `set`
/// commands it always says something: `IP changed from 'a' to 'b', port changed from '1' to
/// '2' by 'stats socket command'`, or `no need to change the addr` (sometimes capitalised), and
/// a refusal (`Invalid addr`, `No such server.`) in the same place.
pub(crate) fn address_changed(answer: &str) -> bool {
    let text = answer.trim().to_ascii_lowercase();
    let said = text.rsplit_once(" by '").map_or(text.as_str(), |(said, _)| said);
    !said.is_empty()
        && said.split(", ").all(|part| {
            part.starts_with("ip changed from ")
                || part.starts_with("port changed from ")
                || part == "no need to change the addr"
                || part == "no need to change the port"
        })
}

/// The start of a text, for error lines.
fn first_line(text: &str) -> String {
    crate::health::excerpt(text.lines().next().unwrap_or("").as_bytes(), 80)
}
