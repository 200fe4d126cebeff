//! `show stat` CSV: the server rows with their counters, and the per-server request totals.

use super::{first_line, SYSTEM};
use crate::error::{BackendError, BackendResult};
use crate::types::{AdminState, ServerStat};
use std::collections::HashMap;

/// Splits one CSV line; HAProxy quotes a field (doubling inner quotes) when it holds a comma.
pub(super) fn split_csv(line: &str) -> Vec<String> {
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
/// here is only what the status word shows;
/// [`HaproxyClient::servers`](super::HaproxyClient::servers) corrects it from `show servers state`.
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
