//! Who holds a lock (user, host, process) and whether that process still lives on this host.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The holder of a lock: enough to show who it is and to tell, on the same host, whether it is alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub user: String,
    /// The host name of the machine the holder runs on.
    pub host: String,
    pub pid: u32,
    /// Start time of the process in clock ticks after boot (`/proc/<pid>/stat` field 22), so that a
    /// new process that happens to get the same pid is not taken for the holder.
    pub process_start: Option<u64>,
}

impl Holder {
    /// This process on this host, acting for `user`.
    pub fn this_process(user: impl Into<String>) -> Holder {
        let pid = std::process::id();
        Holder { user: user.into(), host: hostname(), pid, process_start: process_start(pid) }
    }

    /// This process, acting for the person at the keyboard (see [`crate::identity::current_user`]).
    pub fn current() -> Holder {
        Holder::this_process(crate::identity::current_user())
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{} pid {}", self.user, self.host, self.pid)
    }
}

/// This machine's host name, or "unknown" if the system will not say.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    // POSIX leaves truncation unterminated; stopping at the buffer's end covers that.
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = crate::text::cleaned(&String::from_utf8_lossy(&buf[..len]));
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`), where `/proc` shows it.
pub fn process_start(pid: u32) -> Option<u64> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?).map(|(_, start)| start)
}

/// What this host says about a pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcessState {
    /// No such process, or only its zombie: it holds nothing any more.
    Gone,
    /// A process with this pid exists; its start time if `/proc` shows it.
    Running { start: Option<u64> },
    /// The pid cannot be asked about (0, out of range, or an unexpected error).
    Unknown,
}

/// Whether `pid` is alive on this host. `kill(pid, 0)` decides existence: `/proc` alone would call a
/// live process of another user gone on a host mounted with `hidepid`. EPERM means it exists.
pub(crate) fn process_state(pid: u32) -> ProcessState {
    let raw = match libc::pid_t::try_from(pid) {
        // 0 and negative pids name process groups for kill(): never ask about those.
        Ok(raw) if raw > 0 => raw,
        _ => return ProcessState::Unknown,
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled; nothing is sent.
    let rc = unsafe { libc::kill(raw, 0) };
    if rc != 0 {
        return match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ESRCH) => ProcessState::Gone,
            Some(libc::EPERM) => ProcessState::Running { start: process_start(pid) },
            _ => ProcessState::Unknown,
        };
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().as_deref().and_then(parse_stat) {
        Some(('Z' | 'X', _)) => ProcessState::Gone,
        Some((_, start)) => ProcessState::Running { start: Some(start) },
        None => ProcessState::Running { start: None },
    }
}

/// The state letter (field 3) and start time (field 22) of a `/proc/<pid>/stat` line. The command
/// name (field 2) is in parentheses and may itself hold spaces and parentheses, so fields are
/// counted from the last `)`.
fn parse_stat(text: &str) -> Option<(char, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // `fields` has consumed field 3; field 22 is 19 further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_names() {
        let line = "1234 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21";
        assert_eq!(parse_stat(line), Some(('S', 987654)));
        assert_eq!(parse_stat("1234 (x) S 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_is_running_with_its_start_time() {
        let me = Holder::this_process("ann");
        assert_eq!(me.pid, std::process::id());
        assert!(me.process_start.is_some());
        assert_eq!(process_state(me.pid), ProcessState::Running { start: me.process_start });
        assert!(!me.host.is_empty());
        assert_eq!(me.to_string(), format!("ann@{} pid {}", me.host, me.pid));
    }

    #[test]
    fn a_reaped_child_is_gone_and_pid_zero_is_unknown() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(process_state(pid), ProcessState::Gone);
        assert_eq!(process_state(0), ProcessState::Unknown);
        assert_eq!(process_state(u32::MAX), ProcessState::Unknown);
    }
}
