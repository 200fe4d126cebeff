//! `show servers state`: each server's admin state as HAProxy's bits record it.

use super::{first_line, SYSTEM};
use crate::error::{BackendError, BackendResult};
use crate::types::AdminState;
use std::collections::HashMap;

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
/// `srv_check_state` bits (HAProxy `CHK_ST_*`): a health check is configured, and enabled.
const CHECK_CONFIGURED: u32 = 0x02;
const CHECK_ENABLED: u32 = 0x04;

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
    /// `srv_check_state` (None: HAProxy did not say).
    pub check_state: Option<u32>,
}

impl ServerStateRow {
    /// Whether HAProxy health-checks the server (None: it did not say).
    pub fn checked(&self) -> Option<bool> {
        let both = CHECK_CONFIGURED | CHECK_ENABLED;
        self.check_state.map(|bits| bits & both == both)
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
    let check = columns.get("srv_check_state").copied();
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
            check_state: match check {
                Some(i) => Some(number("srv_check_state", i)?),
                None => None,
            },
        });
    }
    Ok(rows)
}
