//! HAProxy's runtime API (the stats socket, unix or tcp): one connection per command in
//! non-interactive mode, the server list merged from `show stat` and `show servers state`, and
//! the three switches opsdeck pulls: a server's admin state, its weight, and killing its sessions.

use crate::error::{with_timeout, BackendError, BackendResult};
use crate::types::{AdminState, ServerStat};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const SYSTEM: &str = "haproxy";

/// `show stat` of a large configuration is a few MiB at most; more is not HAProxy talking.
const ANSWER_CAP: usize = 16 << 20;

/// HAProxy's largest absolute server weight.
pub const MAX_WEIGHT: u32 = 256;

/// `srv_admin_state` bits (HAProxy `enum srv_admin`). Maintenance is HAProxy's own
/// `SRV_ADMF_MAINT` mask, forced | inherited | resolver: the config bit (0x04, `disabled`)
/// is left out on purpose, because it stays set after `set server ... state ready` while the
/// server takes traffic again (recorded on 2.6.12: admin state 4, op state 2, status UP).
const ADMIN_FORCED_MAINT: u32 = 0x01;
const ADMIN_INHERITED_MAINT: u32 = 0x02;
const ADMIN_RESOLVER_MAINT: u32 = 0x20;
const ADMIN_MAINT_MASK: u32 = ADMIN_FORCED_MAINT | ADMIN_INHERITED_MAINT | ADMIN_RESOLVER_MAINT;
const ADMIN_FORCED_DRAIN: u32 = 0x08;
const ADMIN_INHERITED_DRAIN: u32 = 0x10;
const ADMIN_DRAIN_MASK: u32 = ADMIN_FORCED_DRAIN | ADMIN_INHERITED_DRAIN;

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

/// Where the runtime API listens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Unix(PathBuf),
    /// `host:port`
    Tcp(String),
}

/// A client for one HAProxy runtime API socket.
#[derive(Debug, Clone)]
pub struct HaproxyClient {
    endpoint: Endpoint,
    timeout: Duration,
}

/// One line of `show servers state`: the fields opsdeck reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStateRow {
    pub backend: String,
    pub server: String,
    /// `srv_admin_state` as HAProxy wrote it (see the `ADMIN_*` bits).
    pub admin_bits: u32,
    pub admin: AdminState,
    /// `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping.
    pub op_state: u32,
    /// `srv_uweight`: the weight set by config or `set weight`.
    pub user_weight: u32,
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

    async fn raw_command(&self, cmd: &str) -> BackendResult<String> {
        // A newline would start a second command on the admin socket.
        if cmd.is_empty() || cmd.contains(['\n', '\r', '\0']) {
            return Err(BackendError::Other { system: SYSTEM, reason: format!("refusing command {cmd:?}") });
        }
        with_timeout(SYSTEM, self.timeout, async {
            match &self.endpoint {
                Endpoint::Unix(path) => {
                    let stream = tokio::net::UnixStream::connect(path)
                        .await
                        .map_err(|e| connect_error(&e, &path.display().to_string()))?;
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

/// Splits one CSV line; HAProxy quotes a field (doubling inner quotes) when it holds a comma.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Parses `show stat` CSV into servers, finding columns by the header's names (their
/// positions move between versions). FRONTEND and BACKEND rows are skipped. The admin state
/// here is only what the status word shows; [`HaproxyClient::servers`] corrects it from
/// `show servers state`.
pub fn parse_show_stat(text: &str) -> BackendResult<Vec<ServerStat>> {
    let protocol = |reason: String| BackendError::Protocol { system: SYSTEM, reason };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .ok_or_else(|| protocol(format!("show stat: no header line in {:?}", first_line(text))))?;
    let columns: HashMap<&str, usize> = header.split(',').enumerate().map(|(i, name)| (name, i)).collect();
    let column = |name: &str| columns.get(name).copied();
    let required = |name: &str| column(name).ok_or_else(|| protocol(format!("show stat: no {name} column")));
    let (px, sv, status) = (required("pxname")?, required("svname")?, required("status")?);
    let (scur, stot, weight, http_5xx, addr) =
        (column("scur"), column("stot"), column("weight"), column("hrsp_5xx"), column("addr"));
    let req_tot = column("req_tot");

    let mut servers = Vec::new();
    for line in lines {
        let fields = split_csv(line);
        let field = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(String::as_str).unwrap_or("");
        if fields.len() <= px.max(sv).max(status) {
            return Err(protocol(format!("show stat: short row {:?}", first_line(line))));
        }
        let server = field(Some(sv));
        if server == "FRONTEND" || server == "BACKEND" {
            continue;
        }
        let number = |name: &str, i: Option<usize>| -> BackendResult<u64> {
            let value = field(i);
            if value.is_empty() {
                return Ok(0);
            }
            value.parse().map_err(|_| protocol(format!("show stat: {name} is {value:?} for {server}")))
        };
        let status_word = field(Some(status)).to_string();
        servers.push(ServerStat {
            backend: field(Some(px)).to_string(),
            server: server.to_string(),
            admin: admin_from_status(&status_word),
            status: status_word,
            current_sessions: number("scur", scur)?,
            total_sessions: number("stot", stot)?,
            weight: u32::try_from(number("weight", weight)?).unwrap_or(u32::MAX),
            http_5xx: number("hrsp_5xx", http_5xx)?,
            // As in `parse_request_totals`: sessions stand in where req_tot is empty.
            requests: match field(req_tot) {
                "" => number("stot", stot)?,
                _ => number("req_tot", req_tot)?,
            },
            address: field(addr).to_string(),
        });
    }
    Ok(servers)
}

/// Per server, the HTTP requests it has answered since HAProxy started (`req_tot`, which 2.6
/// fills for the servers of HTTP backends), keyed by (backend, server), from `show stat` CSV.
/// Where a row leaves `req_tot` empty (TCP backends) or the column is missing (older versions),
/// the server's total sessions (`stot`) stand in: one per request when clients do not reuse
/// connections. FRONTEND and BACKEND rows are skipped.
pub fn parse_request_totals(text: &str) -> BackendResult<HashMap<(String, String), u64>> {
    let protocol = |reason: String| BackendError::Protocol { system: SYSTEM, reason };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .ok_or_else(|| protocol(format!("show stat: no header line in {:?}", first_line(text))))?;
    let columns: HashMap<&str, usize> = header.split(',').enumerate().map(|(i, name)| (name, i)).collect();
    let (Some(&px), Some(&sv)) = (columns.get("pxname"), columns.get("svname")) else {
        return Err(protocol("show stat: no pxname/svname column".into()));
    };
    let (req_tot, stot) = (columns.get("req_tot").copied(), columns.get("stot").copied());
    let mut totals = HashMap::new();
    for line in lines {
        let fields = split_csv(line);
        let field = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(String::as_str).unwrap_or("");
        let (backend, server) = (field(Some(px)), field(Some(sv)));
        if server.is_empty() || server == "FRONTEND" || server == "BACKEND" {
            continue;
        }
        let value = match field(req_tot) {
            "" => field(stot),
            v => v,
        };
        let count = if value.is_empty() {
            0
        } else {
            value.parse().map_err(|_| protocol(format!("show stat: req_tot is {value:?} for {server}")))?
        };
        totals.insert((backend.to_string(), server.to_string()), count);
    }
    Ok(totals)
}

/// The admin state a `show stat` status word implies (`MAINT`, `MAINT (via b/s)`, `DRAIN`).
fn admin_from_status(status: &str) -> AdminState {
    if status.starts_with("MAINT") {
        AdminState::Maint
    } else if status.starts_with("DRAIN") {
        AdminState::Drain
    } else {
        AdminState::Ready
    }
}

/// The admin state `srv_admin_state` bits mean: any maintenance bit wins over drain.
pub fn admin_from_bits(bits: u32) -> AdminState {
    if bits & ADMIN_MAINT_MASK != 0 {
        AdminState::Maint
    } else if bits & ADMIN_DRAIN_MASK != 0 {
        AdminState::Drain
    } else {
        AdminState::Ready
    }
}

/// Parses `show servers state` (a format version line, then `# be_id be_name ...` and one
/// space-separated row per server), finding columns by the header's names.
pub fn parse_servers_state(text: &str) -> BackendResult<Vec<ServerStateRow>> {
    let protocol = |reason: String| BackendError::Protocol { system: SYSTEM, reason };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let version = lines.next().unwrap_or("").trim();
    if version.parse::<u32>().is_err() {
        return Err(protocol(format!("show servers state: no version line in {:?}", first_line(text))));
    }
    let header = lines
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .ok_or_else(|| protocol("show servers state: no header line".into()))?;
    let columns: HashMap<&str, usize> = header.split_whitespace().enumerate().map(|(i, name)| (name, i)).collect();
    let required = |name: &str| {
        columns.get(name).copied().ok_or_else(|| protocol(format!("show servers state: no {name} column")))
    };
    let (be, srv, admin, op, weight) = (
        required("be_name")?,
        required("srv_name")?,
        required("srv_admin_state")?,
        required("srv_op_state")?,
        required("srv_uweight")?,
    );
    let mut rows = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let field = |i: usize| fields.get(i).copied();
        let number = |name: &str, i: usize| -> BackendResult<u32> {
            field(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| protocol(format!("show servers state: bad {name} in {:?}", first_line(line))))
        };
        let (Some(backend), Some(server)) = (field(be), field(srv)) else {
            return Err(protocol(format!("show servers state: short row {:?}", first_line(line))));
        };
        let admin_bits = number("srv_admin_state", admin)?;
        rows.push(ServerStateRow {
            backend: backend.to_string(),
            server: server.to_string(),
            admin_bits,
            admin: admin_from_bits(admin_bits),
            op_state: number("srv_op_state", op)?,
            user_weight: number("srv_uweight", weight)?,
        });
    }
    Ok(rows)
}

/// The start of a text, for error lines.
fn first_line(text: &str) -> String {
    crate::health::excerpt(text.lines().next().unwrap_or("").as_bytes(), 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `show stat` recorded from HAProxy 2.6.12 (Debian 12): api-prod-blue UP and checked,
    /// api-prod-green drained after 5 requests answered 503, api-prod-spare `disabled` in the
    /// config, and a TCP backend without checks.
    const SHOW_STAT: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_api,FRONTEND,,,0,1,9984,10,820,1350,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,10,0,10,,,,0,5,0,0,5,0,,10,10,10,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,10,10,10,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10,10,790,1560,0,0,
api_prod,api-prod-blue,0,0,0,1,,5,410,675,,0,,0,0,0,0,UP,100,1,0,1,1,1,1,,1,3,1,,5,,2,5,,5,L7OK,200,1,0,5,0,0,0,0,,,,5,0,0,,,,,0,,,0,0,1,1,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:51971,,http,,,,,,,,0,5,0,,,0,,0,0,1,1,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,api-prod-green,0,0,0,1,,5,410,675,,0,,0,0,0,0,DRAIN,100,1,0,,,0,,,1,3,2,,5,,2,5,,5,,,,0,0,0,0,5,0,,,,5,0,0,,,,,0,,,0,0,1,1,,,,,,,,,,,,127.0.0.1:51972,,http,,,,,,,,0,5,0,,,0,,0,0,1,1,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,api-prod-spare,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,2,2,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:51973,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,BACKEND,0,0,0,1,999,10,820,1350,0,0,,0,0,0,0,UP,100,1,0,,0,2,0,,1,3,0,,10,,1,10,,10,,,,0,5,0,0,5,0,,,,10,0,0,0,0,0,0,0,,,0,0,1,1,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,10,0,0,0,,,0,0,1,1,0,,,,,100,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,14,14,1656,862,0,0,
web_tcp,w1,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,2,,,1,4,1,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:9,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
web_tcp,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,2,0,,1,4,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,

";

    /// `show servers state` recorded at the same moment as [`SHOW_STAT`].
    const SERVERS_STATE: &str = "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 api_prod 1 api-prod-blue 127.0.0.1 2 0 100 100 1 15 3 4 6 0 0 0 - 51971 - 0 0 - - 0
3 api_prod 2 api-prod-green 127.0.0.1 2 8 100 100 0 1 0 2 0 0 0 0 - 51972 - 0 0 - - 0
3 api_prod 3 api-prod-spare 127.0.0.1 0 5 1 1 2 1 0 0 14 0 0 0 - 51973 - 0 0 - - 0
4 web_tcp 1 w1 127.0.0.1 2 0 1 1 2 1 0 2 0 0 0 0 - 9 - 0 0 - - 0

";

    #[test]
    fn show_stat_reads_servers_by_column_name() {
        let servers = parse_show_stat(SHOW_STAT).expect("parse");
        let names: Vec<String> = servers.iter().map(|s| format!("{}/{}", s.backend, s.server)).collect();
        assert_eq!(
            names,
            ["api_prod/api-prod-blue", "api_prod/api-prod-green", "api_prod/api-prod-spare", "web_tcp/w1"]
        );
        let blue = &servers[0];
        assert_eq!(
            blue,
            &ServerStat {
                backend: "api_prod".into(),
                server: "api-prod-blue".into(),
                status: "UP".into(),
                admin: AdminState::Ready,
                current_sessions: 0,
                total_sessions: 5,
                weight: 100,
                http_5xx: 0,
                requests: 5,
                address: "127.0.0.1:51971".into(),
            }
        );
        assert_eq!(servers[1].status, "DRAIN");
        assert_eq!(servers[1].admin, AdminState::Drain);
        assert_eq!(servers[1].http_5xx, 5);
        assert_eq!(servers[2].admin, AdminState::Maint);
        assert_eq!(servers[3].status, "no check");
        assert!(servers[3].takes_traffic());
    }

    #[test]
    fn request_totals_come_from_req_tot_or_stot() {
        let totals = parse_request_totals(SHOW_STAT).expect("parse");
        let key = |b: &str, s: &str| (b.to_string(), s.to_string());
        assert_eq!(totals.get(&key("api_prod", "api-prod-blue")), Some(&5));
        assert_eq!(totals.get(&key("api_prod", "api-prod-spare")), Some(&0));
        // A TCP backend has no req_tot: its sessions stand in.
        assert_eq!(totals.get(&key("web_tcp", "w1")), Some(&0));
        assert_eq!(totals.len(), 4, "no FRONTEND or BACKEND rows: {totals:?}");
        let text = "# pxname,svname,stot,req_tot\nbe,s1,9,\nbe,s2,9,7\n";
        let totals = parse_request_totals(text).expect("parse");
        assert_eq!(totals.get(&key("be", "s1")), Some(&9));
        assert_eq!(totals.get(&key("be", "s2")), Some(&7));
        assert!(parse_request_totals("Unknown command\n").is_err());
    }

    #[test]
    fn show_stat_finds_moved_columns_and_quoted_fields() {
        let text = "# svname,pxname,check_desc,status,scur,stot,weight,hrsp_5xx,addr\n\
                    s1,be,\"Layer7 wrong status, code: 500\",UP 1/3,7,90,\"25\",3,10.0.0.1:80\n";
        let servers = parse_show_stat(text).expect("parse");
        assert_eq!(servers[0].backend, "be");
        assert_eq!(servers[0].status, "UP 1/3");
        assert_eq!(servers[0].current_sessions, 7);
        assert_eq!(servers[0].weight, 25);
        assert_eq!(split_csv(r#"a,"b ""c"", d",,e"#), ["a", r#"b "c", d"#, "", "e"]);
    }

    #[test]
    fn show_stat_rejects_what_is_not_a_stat_dump() {
        assert!(parse_show_stat("Unknown command\n").is_err());
        assert!(parse_show_stat("# pxname,svname\nbe,s1\n").is_err(), "no status column");
        assert!(parse_show_stat("# pxname,svname,status,scur\nbe,s1,UP,many\n").is_err());
        assert_eq!(parse_show_stat("# pxname,svname,status\n").expect("empty"), []);
    }

    #[test]
    fn servers_state_maps_admin_bits() {
        let rows = parse_servers_state(SERVERS_STATE).expect("parse");
        let admin: Vec<(&str, u32, AdminState)> =
            rows.iter().map(|r| (r.server.as_str(), r.admin_bits, r.admin)).collect();
        assert_eq!(
            admin,
            [
                ("api-prod-blue", 0, AdminState::Ready),
                ("api-prod-green", 8, AdminState::Drain),
                ("api-prod-spare", 5, AdminState::Maint),
                ("w1", 0, AdminState::Ready),
            ]
        );
        assert_eq!(rows[0].user_weight, 100);
        assert_eq!(rows[0].op_state, 2);
    }

    #[test]
    fn admin_bits_follow_haproxy_masks() {
        assert_eq!(admin_from_bits(0x01), AdminState::Maint);
        assert_eq!(admin_from_bits(0x02), AdminState::Maint);
        assert_eq!(admin_from_bits(0x20), AdminState::Maint);
        assert_eq!(admin_from_bits(0x09), AdminState::Maint, "maint wins over drain");
        assert_eq!(admin_from_bits(0x10), AdminState::Drain);
        // Recorded: a `disabled` server after `set server ... state ready` keeps the config bit
        // and takes traffic; with `drain` on top it is 12.
        assert_eq!(admin_from_bits(0x04), AdminState::Ready);
        assert_eq!(admin_from_bits(0x0c), AdminState::Drain);
        // 0x40: the FQDN was set from the CLI; not a state.
        assert_eq!(admin_from_bits(0x40), AdminState::Ready);
    }

    #[test]
    fn servers_state_rejects_garbage() {
        assert!(parse_servers_state("").is_err());
        assert!(parse_servers_state("Unknown command\n").is_err());
        assert!(parse_servers_state("1\n# be_name srv_name\n").is_err(), "missing columns");
        let bad = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n3 be 1 s1 127.0.0.1 2 x 1\n";
        assert!(parse_servers_state(bad).is_err());
    }

    #[test]
    fn addresses_and_names_are_checked() {
        assert!(HaproxyClient::new("unix:///run/haproxy.sock", Duration::from_secs(1)).is_ok());
        assert!(HaproxyClient::new("tcp://127.0.0.1:9999", Duration::from_secs(1)).is_ok());
        for bad in ["/run/haproxy.sock", "tcp://127.0.0.1", "unix://", "http://x:1"] {
            assert!(HaproxyClient::new(bad, Duration::from_secs(1)).is_err(), "{bad}");
        }
        assert!(server_ref("api_prod", "api-prod-blue").is_ok());
        assert!(server_ref("api", "x; shutdown sessions server api/y").is_err());
        assert!(server_ref("api", "").is_err());
    }

    /// A fake stats socket on a unix path: answers each command line with `answer(line)`.
    async fn fake_socket(
        answer: fn(&str) -> &'static str,
        delay: Duration,
    ) -> (tempfile::TempDir, HaproxyClient, tokio::task::JoinHandle<()>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("admin.sock");
        let listener = tokio::net::UnixListener::bind(&path).expect("bind");
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut line = Vec::new();
                    let mut byte = [0u8; 1];
                    while stream.read(&mut byte).await.unwrap_or(0) == 1 && byte[0] != b'\n' {
                        line.push(byte[0]);
                    }
                    tokio::time::sleep(delay).await;
                    let _ = stream.write_all(answer(&String::from_utf8_lossy(&line)).as_bytes()).await;
                });
            }
        });
        let client =
            HaproxyClient::new(&format!("unix://{}", path.display()), Duration::from_millis(500)).expect("client");
        (dir, client, task)
    }

    #[tokio::test]
    async fn refusals_become_protocol_errors() {
        let (_dir, client, task) = fake_socket(
            |cmd| match cmd {
                "bogus" => "Unknown command, but maybe one of the following ones is a better match:\n  help [<command>]  : list matching or all commands\n\n",
                "show servers state nope" => "Can't find backend.\n\n",
                "set weight api_prod/api-prod-blue 5" => "\n",
                _ => "No such server.\n\n",
            },
            Duration::ZERO,
        )
        .await;
        let result = client.set_state("api_prod", "nope", AdminState::Drain).await;
        assert_eq!(
            result,
            Err(BackendError::Protocol {
                system: "haproxy",
                reason: "set server api_prod/nope state drain: No such server.".into()
            })
        );
        assert!(matches!(client.command("show servers state nope").await, Err(BackendError::Protocol { .. })));
        let result = client.command("bogus").await;
        assert!(
            matches!(&result, Err(BackendError::Protocol { reason, .. }) if reason.starts_with("bogus: Unknown command")),
            "{result:?}"
        );
        client.set_weight("api_prod", "api-prod-blue", 5).await.expect("empty answer is success");
        assert!(client.command("show info\nshutdown sessions server a/b").await.is_err(), "one command per call");
        task.abort();
    }

    #[tokio::test]
    async fn slow_socket_times_out_and_missing_socket_is_a_connect_error() {
        let (dir, client, task) = fake_socket(|_| "\n", Duration::from_secs(30)).await;
        assert_eq!(
            client.set_weight("be", "s1", 5).await,
            Err(BackendError::Timeout { system: "haproxy", after: Duration::from_millis(500) })
        );
        assert!(client.set_weight("be", "s1", 257).await.is_err(), "over 256 is refused before sending");
        task.abort();
        let missing = HaproxyClient::new(&format!("unix://{}/none.sock", dir.path().display()), Duration::from_secs(1))
            .expect("client");
        let result = missing.command("show info").await;
        assert!(
            matches!(&result, Err(BackendError::Connect { reason, .. }) if reason.starts_with("no such socket")),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn servers_take_admin_state_from_servers_state() {
        // blue: maint by bits although `show stat` says UP; spare: the recorded `disabled` then
        // `set ... state ready` case (bits 4) is ready although `show stat` still says MAINT.
        let (_dir, client, task) = fake_socket(
            |cmd| match cmd {
                "show stat -1 4 -1" => SHOW_STAT,
                "show servers state" => {
                    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n\
                    3 api_prod 1 api-prod-blue 127.0.0.1 2 1 100\n3 api_prod 3 api-prod-spare 127.0.0.1 2 4 1\n\n"
                }
                _ => "Unknown command\n",
            },
            Duration::ZERO,
        )
        .await;
        let servers = client.servers().await.expect("servers");
        let admin: Vec<(&str, AdminState)> = servers.iter().map(|s| (s.server.as_str(), s.admin)).collect();
        assert_eq!(
            admin,
            [
                ("api-prod-blue", AdminState::Maint),
                ("api-prod-green", AdminState::Drain),
                ("api-prod-spare", AdminState::Ready),
                ("w1", AdminState::Ready),
            ]
        );
        task.abort();
    }
}
