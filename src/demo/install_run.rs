//! Carrying out the demo's [`install`](super::install) plan on this machine: finding what is
//! there, asking, running `apt-get` (each call bounded in time) and starting `dockerd` when no
//! engine answers. `opsdeck demo` and `opsdeck demo up` call [`prepare`] before anything starts.

use super::install::{self, decide, Facts, Plan};
use color_eyre::eyre::{eyre, Result, WrapErr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `apt-get update` reads a few package lists.
const UPDATE_LIMIT: Duration = Duration::from_secs(300);
/// `apt-get install` of the demo's packages downloads a few hundred MB at most.
const INSTALL_LIMIT: Duration = Duration::from_secs(1200);
/// A fresh `dockerd` answers within seconds; this leaves room for a slow disk.
const ENGINE_LIMIT: Duration = Duration::from_secs(30);
const PING_LIMIT: Duration = Duration::from_secs(3);

/// Set, the folder looked in instead of `/` for programs, the engine's socket and
/// `/etc/debian_version`: the tests point it at a folder of their own, so that none depends on
/// what this machine has installed, and none installs anything on it.
pub const ROOT_VAR: &str = "OPSDECK_SETUP_ROOT";

/// Makes this machine ready for the demo, or says what to run and fails; `yes` is `--yes`.
pub async fn prepare(yes: bool, prod_hosts: usize) -> Result<()> {
    let root = std::env::var_os(ROOT_VAR).filter(|v| !v.is_empty()).map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let answers = engine_answers(&root).await;
    let facts = Facts {
        missing: install::missing(prod_hosts, answers, |p| find(&root, p).is_some()),
        engine_answers: answers,
        // SAFETY: geteuid only reads the process's effective user id.
        root: unsafe { libc::geteuid() } == 0,
        debian: root.join("etc/debian_version").is_file() && find(&root, "apt-get").is_some(),
        tty: std::io::IsTerminal::is_terminal(&std::io::stdin()),
    };
    let (packages, ask, start_engine) = match decide(&facts, yes) {
        Plan::Ready => return Ok(()),
        Plan::Tell { why, command } => return Err(eyre!("{why}. To make this machine ready, run:\n  {command}")),
        Plan::Act { packages, ask, start_engine } => (packages, ask, start_engine),
    };
    if !packages.is_empty() {
        say!(
            "the demo needs the Debian packages {}; this runs: {}",
            packages.join(" "),
            install::command(&packages, false)
        );
        if ask && !crate::commands::ask_yes("install them now?") {
            return Err(eyre!(
                "nothing installed. To make this machine ready, run:\n  {}",
                install::command(&packages, start_engine)
            ));
        }
        apt_get(&root, &["update", "-q"], UPDATE_LIMIT).await?;
        let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
        args.extend(packages.iter().copied());
        apt_get(&root, &args, INSTALL_LIMIT).await?;
    }
    // Installing docker.io starts the engine where systemd runs; elsewhere it is started here.
    if start_engine && !engine_answers(&root).await {
        start_dockerd(&root).await?;
    }
    Ok(())
}

/// Where `program` is installed under `root`: on `PATH` (for `/` only) or in the system folders
/// (`haproxy` is in /usr/sbin, which a non-root `PATH` often lacks).
fn find(root: &Path, program: &str) -> Option<PathBuf> {
    let system = ["usr/sbin", "usr/bin", "sbin", "bin"].map(|d| root.join(d));
    let path: Vec<PathBuf> = if root == Path::new("/") {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect()
    } else {
        Vec::new()
    };
    path.into_iter().chain(system).map(|d| d.join(program)).find(|p| p.is_file())
}

/// Whether an engine answers a ping on `root`'s Docker socket.
async fn engine_answers(root: &Path) -> bool {
    let socket = root.join(crate::stack::DOCKER_SOCKET.trim_start_matches('/'));
    let endpoint = opsdeck_backends::docker::DockerEndpoint {
        url: format!("unix://{}", socket.display()),
        tls: None,
        timeout: PING_LIMIT,
    };
    match opsdeck_backends::docker::connect(&endpoint).await {
        Ok(docker) => opsdeck_backends::docker::inventory::ping(&docker, PING_LIMIT).await.is_ok(),
        Err(_) => false,
    }
}

/// Runs `apt-get ARGS` without questions, its output on the terminal, for at most `limit`.
async fn apt_get(root: &Path, args: &[&str], limit: Duration) -> Result<()> {
    let apt = find(root, "apt-get").ok_or_else(|| eyre!("apt-get is not installed"))?;
    let shown = format!("apt-get {}", args.join(" "));
    say!("running {shown}");
    let mut command = tokio::process::Command::new(&apt);
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive").stdin(std::process::Stdio::null()).kill_on_drop(true);
    let status = tokio::time::timeout(limit, command.status())
        .await
        .map_err(|_| eyre!("{shown} took over {}s: stopped", limit.as_secs()))?
        .wrap_err_with(|| format!("cannot run {}", apt.display()))?;
    if !status.success() {
        return Err(eyre!("{shown} failed ({status})"));
    }
    Ok(())
}

/// Starts `dockerd` in a session of its own (it outlives opsdeck, as a service would) and waits
/// until it answers.
async fn start_dockerd(root: &Path) -> Result<()> {
    let dockerd = find(root, install::ENGINE.program).ok_or_else(|| eyre!("dockerd is not installed"))?;
    say!("starting dockerd (log: {})", install::ENGINE_LOG);
    let mut child = crate::stack::spawn_detached(&dockerd, &[], Path::new(install::ENGINE_LOG))?;
    let start = Instant::now();
    while start.elapsed() < ENGINE_LIMIT {
        if engine_answers(root).await {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(eyre!("dockerd exited ({status}); see {}", install::ENGINE_LOG));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(eyre!("dockerd did not answer within {}s; see {}", ENGINE_LIMIT.as_secs(), install::ENGINE_LOG))
}
