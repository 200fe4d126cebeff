//! HAProxy in master-worker mode, in the foreground of its own session, with its runtime API on
//! a unix socket (admin level, mode 600, or 660 for a shared group) and a server-state file, so
//! that a reload (SIGUSR2 to the master) keeps each server's ready/drain/maint state and weight.

use super::process::{find_binary, spawn_detached, Managed};
use super::{absolute_dir, ready};
use color_eyre::eyre::{eyre, Result, WrapErr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Haproxy {
    process: Managed,
    dir: PathBuf,
    /// The group given read-write access to the runtime API socket, if any.
    socket_gid: Option<u32>,
}

/// A reload is done when the new worker answers; this bounds the wait.
/// A reload normally takes a few hundred milliseconds; a loaded machine can take far longer.
const RELOAD_LIMIT: Duration = Duration::from_secs(30);
/// One runtime API exchange.
const COMMAND_LIMIT: Duration = Duration::from_secs(2);

impl Haproxy {
    /// Starts HAProxy on `config_text` (its `defaults`, `frontend` and `backend` sections; this
    /// writes the `global` section itself) as `dir/haproxy.cfg`, with the runtime API on
    /// `dir/haproxy.sock`, state in `dir/haproxy.state` and the log in `dir/haproxy.log`, and
    /// waits until the API answers. For state to survive reloads, `defaults` should say
    /// `load-server-state-from-file global`.
    pub async fn start(dir: &Path, config_text: &str) -> Result<Haproxy> {
        Haproxy::start_shared(dir, config_text, None).await
    }

    /// [`Haproxy::start`], with the runtime API socket open to group `socket_gid` too (mode 660),
    /// so that other users of the machine in that group can switch traffic.
    pub async fn start_shared(dir: &Path, config_text: &str, socket_gid: Option<u32>) -> Result<Haproxy> {
        let binary = find_binary("haproxy", "haproxy")?;
        let dir = absolute_dir(dir)?;
        let config = dir.join("haproxy.cfg");
        let socket = dir.join("haproxy.sock");
        // A socket left by a HAProxy that was killed would make the readiness check talk to nothing,
        // and a state file from an earlier run would bring back its servers' states: a fresh
        // start begins from the config alone (the file is only for reloads).
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(dir.join("haproxy.state"));
        std::fs::write(&config, full_config(&dir, config_text, socket_gid))
            .wrap_err_with(|| format!("cannot write {}", config.display()))?;
        let log = dir.join("haproxy.log");
        // -W: master-worker, so SIGUSR2 reloads; -db: the master stays in the foreground (our child).
        let args = vec!["-W".to_string(), "-db".to_string(), "-f".to_string(), config.display().to_string()];
        let child = spawn_detached(&binary, &args, &log)?;
        let mut process = Managed::new("haproxy", child, log);
        ready::wait_haproxy(&mut process, &socket).await?;
        Ok(Haproxy { process, dir, socket_gid })
    }

    /// The runtime API socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("haproxy.sock")
    }

    /// The master process (workers are in its process group).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// A string only this HAProxy's command line holds (for [`super::stop_recorded`]).
    pub fn marker(&self) -> String {
        self.dir.join("haproxy.cfg").display().to_string()
    }

    /// Sends one runtime API command and returns the answer.
    pub async fn command(&self, command: &str) -> Result<String> {
        ready::runtime_client(&self.socket(), COMMAND_LIMIT)?.command(command).await.map_err(|e| eyre!("{e}"))
    }

    /// Replaces the configuration: saves every server's state to the state file, writes the new
    /// config, signals the master, and waits until a new worker answers.
    pub async fn reload(&self, config_text: &str) -> Result<()> {
        let old_worker = worker_pid(&self.command("show info").await?);
        let state = self.command("show servers state").await?;
        let state_file = self.dir.join("haproxy.state");
        std::fs::write(&state_file, state).wrap_err_with(|| format!("cannot write {}", state_file.display()))?;
        let config = self.dir.join("haproxy.cfg");
        std::fs::write(&config, full_config(&self.dir, config_text, self.socket_gid))
            .wrap_err_with(|| format!("cannot write {}", config.display()))?;
        let pid = libc::pid_t::try_from(self.pid()).wrap_err("haproxy pid out of range")?;
        // SAFETY: kill has no memory effects.
        if unsafe { libc::kill(pid, libc::SIGUSR2) } != 0 {
            return Err(eyre!("cannot signal haproxy: {}", std::io::Error::last_os_error()));
        }
        let started = Instant::now();
        while started.elapsed() < RELOAD_LIMIT {
            if let Ok(info) = self.command("show info").await {
                if worker_pid(&info) != old_worker {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(eyre!(
            "haproxy did not reload within {}s; the end of {}:\n{}",
            RELOAD_LIMIT.as_secs(),
            self.process.log().display(),
            super::process::log_tail(self.process.log(), 15)
        ))
    }

    pub async fn stop(self) -> Result<()> {
        self.process.stop().await
    }

    /// Keeps HAProxy running after this handle (and opsdeck) is gone; returns the master's pid.
    pub fn detach(self) -> u32 {
        self.process.detach()
    }
}

fn full_config(dir: &Path, rest: &str, socket_gid: Option<u32>) -> String {
    let access = socket_gid.map(|gid| format!("mode 660 gid {gid}")).unwrap_or_else(|| "mode 600".into());
    format!(
        "global\n    \
         stats socket {sock} {access} level admin\n    \
         stats timeout 30s\n    \
         server-state-file {state}\n\n{rest}",
        sock = dir.join("haproxy.sock").display(),
        state = dir.join("haproxy.state").display(),
    )
}

/// The `Pid:` line of `show info` (the worker that answered).
fn worker_pid(info: &str) -> Option<String> {
    info.lines().find_map(|l| l.strip_prefix("Pid: ")).map(|p| p.trim().to_string())
}
