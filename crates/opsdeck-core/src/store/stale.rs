//! When a lock's holder is known to be gone, so the lock may be broken.

use chrono::{DateTime, Utc};
use std::fmt;
use std::time::Duration;

use super::holder::{hostname, process_state, ProcessState};
use super::locks::LockInfo;

/// Why a lock is taken to be abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleReason {
    /// The holder ran on this host and no process has its pid now.
    ProcessGone { pid: u32 },
    /// A process has the holder's pid but started at another time: the holder died and the pid was reused.
    PidReused { pid: u32, recorded_start: u64, current_start: u64 },
    /// The holder has not refreshed the lock for longer than the timeout (it may be on another host).
    NoHeartbeat { last: DateTime<Utc>, silent_for: Duration },
}

impl fmt::Display for StaleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaleReason::ProcessGone { pid } => write!(f, "process {pid} is gone"),
            StaleReason::PidReused { pid, .. } => write!(f, "process {pid} is gone (its pid now belongs to another)"),
            StaleReason::NoHeartbeat { silent_for, .. } => {
                write!(f, "no heartbeat for {}", humantime::format_duration(Duration::from_secs(silent_for.as_secs())))
            }
        }
    }
}

/// `Some(reason)` when `lock`'s holder is gone: on this host, its process no longer exists (or its
/// pid now belongs to a process that started later); anywhere, it has sent no heartbeat for longer
/// than `heartbeat_timeout` as of `now`. `None` means it may still be working: leave the lock alone.
pub fn is_stale(lock: &LockInfo, now: DateTime<Utc>, heartbeat_timeout: Duration) -> Option<StaleReason> {
    stale_on(&hostname(), lock, now, heartbeat_timeout)
}

fn stale_on(this_host: &str, lock: &LockInfo, now: DateTime<Utc>, heartbeat_timeout: Duration) -> Option<StaleReason> {
    let pid = lock.holder.pid;
    // Pids mean something only on the host that issued them.
    if lock.holder.host == this_host {
        match (process_state(pid), lock.holder.process_start) {
            (ProcessState::Gone, _) => return Some(StaleReason::ProcessGone { pid }),
            (ProcessState::Running { start: Some(current_start) }, Some(recorded_start))
                if current_start != recorded_start =>
            {
                return Some(StaleReason::PidReused { pid, recorded_start, current_start });
            }
            _ => {}
        }
    }
    // A heartbeat in the future (clocks disagree) counts as fresh: better wait than break a live lock.
    let silent_for = (now - lock.heartbeat).to_std().ok()?;
    (silent_for > heartbeat_timeout).then_some(StaleReason::NoHeartbeat { last: lock.heartbeat, silent_for })
}

#[cfg(test)]
mod tests {
    use super::super::holder::Holder;
    use super::super::locks::LockId;
    use super::*;

    fn lock_held_by(holder: Holder, heartbeat: DateTime<Utc>) -> LockInfo {
        LockInfo {
            id: LockId(1),
            service: "api".into(),
            env: "prod".into(),
            holder,
            what: "promote".into(),
            since: heartbeat,
            heartbeat,
        }
    }

    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    const TIMEOUT: Duration = Duration::from_secs(30);

    #[test]
    fn a_live_holder_with_a_fresh_heartbeat_is_not_stale() {
        let now = Utc::now();
        assert_eq!(is_stale(&lock_held_by(Holder::this_process("ann"), now), now, TIMEOUT), None);
    }

    #[test]
    fn a_dead_pid_on_this_host_is_stale_at_once() {
        let now = Utc::now();
        let holder = Holder { pid: dead_pid(), process_start: None, ..Holder::this_process("ann") };
        let pid = holder.pid;
        assert_eq!(is_stale(&lock_held_by(holder, now), now, TIMEOUT), Some(StaleReason::ProcessGone { pid }));
    }

    #[test]
    fn a_reused_pid_is_stale() {
        let now = Utc::now();
        let me = Holder::this_process("ann");
        let actual = me.process_start.unwrap();
        let holder = Holder { process_start: Some(actual + 1), ..me };
        let pid = holder.pid;
        assert_eq!(
            is_stale(&lock_held_by(holder, now), now, TIMEOUT),
            Some(StaleReason::PidReused { pid, recorded_start: actual + 1, current_start: actual })
        );
    }

    #[test]
    fn a_dead_pid_on_another_host_means_nothing_but_an_old_heartbeat_does() {
        let now = Utc::now();
        let holder = Holder { host: "elsewhere".into(), pid: dead_pid(), ..Holder::this_process("bob") };
        let lock = lock_held_by(holder, now);
        assert_eq!(stale_on("here", &lock, now, TIMEOUT), None);
        let later = now + chrono::Duration::seconds(31);
        assert_eq!(
            stale_on("here", &lock, later, TIMEOUT),
            Some(StaleReason::NoHeartbeat { last: now, silent_for: Duration::from_secs(31) })
        );
        // Exactly at the timeout is still fresh; a heartbeat from the future is fresh.
        assert_eq!(stale_on("here", &lock, now + chrono::Duration::seconds(30), TIMEOUT), None);
        assert_eq!(stale_on("here", &lock, now - chrono::Duration::seconds(60), TIMEOUT), None);
    }

    #[test]
    fn an_old_heartbeat_from_a_live_local_holder_is_stale() {
        let beat = Utc::now() - chrono::Duration::minutes(10);
        let reason = is_stale(&lock_held_by(Holder::this_process("ann"), beat), Utc::now(), TIMEOUT);
        assert!(matches!(reason, Some(StaleReason::NoHeartbeat { .. })), "{reason:?}");
        assert!(reason.unwrap().to_string().starts_with("no heartbeat for 10m"));
    }
}
