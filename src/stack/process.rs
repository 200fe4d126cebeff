//! Child processes that outlive opsdeck: spawned in a session of their own (so the terminal's
//! Ctrl-C and hang-up do not reach them and `opsdeck demo up` can exit), stopped as a whole
//! process group, and found again later by pid with a check that the pid is still theirs.

use color_eyre::eyre::{eyre, Result, WrapErr};
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The README's one-line setup, named in every "not installed" error.
pub const SETUP_HINT: &str = "./scripts/test.sh --install-only";

/// Where `program` is installed, or an error naming the Debian package that provides it.
pub fn find_binary(program: &str, package: &str) -> Result<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    // Debian puts haproxy in /usr/sbin, which a non-root PATH often lacks.
    let extra = [PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin"), PathBuf::from("/sbin")];
    std::env::split_paths(&path_var)
        .chain(extra)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            eyre!("{program} is not installed: install the Debian package `{package}` (apt-get install {package}), or run `{SETUP_HINT}`")
        })
}

/// Starts `program` in its own session with stdin closed and output appended to `log`.
pub fn spawn_detached(program: &Path, args: &[String], log: &Path) -> Result<Child> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .wrap_err_with(|| format!("cannot open {}", log.display()))?;
    let err = out.try_clone().wrap_err_with(|| format!("cannot open {}", log.display()))?;
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent; after it the
    // child leads a new session and process group whose id is its pid.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().wrap_err_with(|| format!("cannot start {}", program.display()))
}

/// Whether `pid` names a live process (a zombie waiting to be reaped counts as gone).
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the command name in parentheses, which may itself hold spaces.
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

/// The arguments `pid` was started with (empty when it is gone or not readable).
fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
        })
        .unwrap_or_default()
}

/// Whether one of `args` is `marker` (a path only our process has in its arguments), alone or
/// as a `--flag=marker` value.
fn names_marker(args: &[String], marker: &str) -> bool {
    !marker.is_empty() && args.iter().any(|a| a == marker || a.strip_suffix(marker).is_some_and(|f| f.ends_with('=')))
}

/// Whether `pid` still runs with `marker` among its arguments, so a recycled pid is never
/// signalled.
pub fn is_ours(pid: u32, marker: &str) -> bool {
    names_marker(&cmdline(pid), marker)
}

/// Every live process running `program` (by file name) with `marker` among its arguments: how
/// `down` finds a component even when the `up` that started it died before recording it.
pub fn find_by_marker(program: &str, marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let args = cmdline(*pid);
            let runs_program = args.first().is_some_and(|a0| Path::new(a0).file_name().is_some_and(|n| n == program));
            runs_program && names_marker(&args, marker) && is_alive(*pid)
        })
        .collect()
}

/// Signals the process group led by `pid` (the whole component: HAProxy's workers too).
fn signal_group(pid: u32, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else { return };
    // SAFETY: kill has no memory effects; a group that is gone yields ESRCH, which we ignore.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Reaps `pid` if it is our child; harmless (ECHILD) when it is not.
fn reap(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    let mut status = 0;
    // SAFETY: waitpid writes only into `status`; WNOHANG makes it return at once.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

fn gone(pid: u32) -> bool {
    reap(pid);
    !is_alive(pid)
}

/// SIGTERM to the group, then SIGKILL after `grace`; waits (bounded) until the leader is gone.
/// Returns `false` if it was still alive after all that.
pub async fn stop_group(pid: u32, grace: Duration) -> bool {
    signal_group(pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    signal_group(pid, libc::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gone(pid)
}

/// [`stop_group`] without a runtime, for `Drop`.
pub fn stop_group_blocking(pid: u32, grace: Duration) {
    signal_group(pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !gone(pid) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !gone(pid) {
        signal_group(pid, libc::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && !gone(pid) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Stops a component started earlier (perhaps by another opsdeck process), if `pid` still runs
/// with `marker` among its arguments. Returns whether it is gone now.
pub async fn stop_recorded(pid: u32, marker: &str, grace: Duration) -> bool {
    if !is_alive(pid) {
        return true;
    }
    if !is_ours(pid, marker) {
        // The pid was recycled by something else: it is not ours to stop, and ours is gone.
        return true;
    }
    stop_group(pid, grace).await
}

/// The last lines of a component's log, to explain why it did not come up.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A component process this opsdeck started. Dropping it stops the component, unless it was
/// [`Managed::detach`]ed to keep running after opsdeck exits.
pub struct Managed {
    name: &'static str,
    child: Option<Child>,
    pid: u32,
    log: PathBuf,
}

/// How long a component gets to exit after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

impl Managed {
    pub fn new(name: &'static str, child: Child, log: PathBuf) -> Managed {
        Managed { name, pid: child.id(), child: Some(child), log }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// An error if the process has already exited, with the end of its log.
    pub fn check_running(&mut self) -> Result<()> {
        let exited = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => Some(status.to_string()),
            Some(Ok(None)) => None,
            Some(Err(e)) => Some(e.to_string()),
            None => Some("not started".into()),
        };
        match exited {
            None => Ok(()),
            Some(how) => Err(eyre!(
                "{} exited at start ({how}); the end of {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log, 15)
            )),
        }
    }

    /// Stops the component (SIGTERM, then SIGKILL after a grace period).
    pub async fn stop(mut self) -> Result<()> {
        let name = self.name;
        let pid = self.pid;
        self.child = None;
        if stop_group(pid, STOP_GRACE).await {
            Ok(())
        } else {
            Err(eyre!("{name} (pid {pid}) did not exit"))
        }
    }

    /// Lets the component outlive this handle (and this process); returns its pid.
    pub fn detach(mut self) -> u32 {
        self.child = None;
        self.pid
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        if self.child.take().is_some() {
            stop_group_blocking(self.pid, STOP_GRACE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_match_whole_arguments_only() {
        let args: Vec<String> =
            ["/usr/bin/prometheus-alertmanager", "--config.file=/d/alertmanager.yml", "serve", "/d/registry.yml"]
                .map(String::from)
                .to_vec();
        assert!(names_marker(&args, "/d/alertmanager.yml"));
        assert!(names_marker(&args, "/d/registry.yml"));
        assert!(!names_marker(&args, "/d/registry.y"));
        assert!(!names_marker(&args, "registry.yml"));
        assert!(!names_marker(&args, ""));
    }

    #[test]
    fn liveness_follows_proc() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
        assert!(!cmdline(std::process::id()).is_empty());
    }
}
