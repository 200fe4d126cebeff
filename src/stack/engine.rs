//! A second Docker Engine (`dockerd`) beside the one on `/var/run/docker.sock`, owning
//! everything it runs on: its API socket, data root, exec root, pid file, config file, engine
//! key, containerd namespace (and the containerd dockerd starts for itself), and a linux bridge
//! with a private /24. It leaves the first engine alone: no iptables rules (published ports go
//! through docker-proxy, which is enough for 127.0.0.1), no ip_forward sysctl, no shared
//! containerd namespace. Stopping it (handle, drop, or [`stop_engine_in`] from another
//! process) leaves no process, mount, bridge or runtime directory behind.
//!
//! `DIR/NAME/` holds `daemon.json`, `key.json`, `dockerd.log`, `docker.pid`, `subnet` and the
//! data root `data/` (kept between runs: it caches images). The API socket and the exec root
//! are in `/run/opsdeck-HASH/` (HASH names `DIR/NAME`): a unix socket path is at most 107 bytes
//! and dockerd puts containerd's sockets 34 bytes below its exec root, so an exec root inside a
//! deep `DIR` would not start; and runtime state belongs on /run, which a reboot empties.

mod host;

use super::process::{
    find_binary, find_by_marker, is_alive, log_tail, spawn_detached, stop_group, stop_group_blocking, Managed,
};
use color_eyre::eyre::{eyre, Result, WrapErr};
use opsdeck_backends::docker::{connect, inventory, lifecycle, DockerEndpoint};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// dockerd answers in one to three seconds; a cold, loaded machine can take far longer.
const READY_LIMIT: Duration = Duration::from_secs(30);
const ATTEMPT: Duration = Duration::from_secs(2);
/// One API call while stopping (listing, force-removing a container).
const CALL: Duration = Duration::from_secs(10);
/// dockerd's own shutdown: it stops what still runs (`--shutdown-timeout=5`), then containerd.
pub const ENGINE_STOP_GRACE: Duration = Duration::from_secs(20);

/// A running second engine. Dropping it stops it and cleans up, unless it was detached.
pub struct Engine {
    process: Option<Managed>,
    pid: u32,
    layout: Layout,
}

/// Where everything of one engine is, all derived from `DIR/NAME`, so that another process
/// given only those finds it all again.
#[derive(Debug, Clone)]
struct Layout {
    home: PathBuf,
    runtime: PathBuf,
    bridge: String,
    /// containerd namespace: if a system containerd is running, dockerd uses it rather than
    /// starting its own, and then only the namespace keeps the two engines' containers apart.
    namespace: String,
    /// Spreads concurrent engines over the subnet range.
    seed: u32,
}

impl Layout {
    fn new(dir: &Path, name: &str) -> Layout {
        let home = dir.join(name);
        let hash = hex::encode(Sha256::digest(home.as_os_str().as_bytes()));
        let short = &hash[..12];
        let mut bridge = format!("od-{}-{name}", &short[..6]);
        bridge.truncate(15); // IFNAMSIZ - 1; the name is ASCII, checked by check_name
        Layout {
            runtime: PathBuf::from(format!("/run/opsdeck-{short}")),
            namespace: format!("opsdeck-{short}"),
            seed: u32::from_str_radix(&hash[..8], 16).unwrap_or(0),
            bridge,
            home,
        }
    }
    fn data(&self) -> PathBuf {
        self.home.join("data")
    }
    fn exec(&self) -> PathBuf {
        self.runtime.join("exec")
    }
    fn socket(&self) -> PathBuf {
        self.runtime.join("docker.sock")
    }
    fn log(&self) -> PathBuf {
        self.home.join("dockerd.log")
    }
    fn marker(&self) -> String {
        self.data().display().to_string()
    }
}

impl Engine {
    /// Starts an engine named `name` (letters, digits, `-`, `_`; at most 32) with its files in
    /// `dir/name/`, and waits until it answers a ping. Needs root, `dockerd` and `ip`.
    pub async fn start(dir: &Path, name: &str) -> Result<Engine> {
        check_name(name)?;
        let dockerd = find_binary("dockerd", "docker.io")?;
        find_binary("ip", "iproute2")?;
        let layout = Layout::new(&super::absolute_dir(dir)?, name);
        if let Some(pid) = find_by_marker("dockerd", &layout.marker()).first() {
            return Err(eyre!("an engine already runs for {} (pid {pid})", layout.home.display()));
        }
        // What an earlier run killed halfway left behind (bridge, mounts, /run files) goes first.
        off_runtime(layout.clone(), cleanup).await.wrap_err("cleaning up after an earlier engine")?;
        match start_in(&dockerd, &layout).await {
            Ok(process) => Ok(Engine { pid: process.pid(), process: Some(process), layout }),
            Err(e) => match off_runtime(layout, cleanup).await {
                Ok(()) => Err(e),
                Err(also) => Err(e.wrap_err(format!("and cleaning up after it failed: {also:#}"))),
            },
        }
    }

    /// The API socket (short, under /run; see the module doc).
    pub fn socket(&self) -> PathBuf {
        self.layout.socket()
    }

    /// `unix:///run/opsdeck-HASH/docker.sock`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The linux bridge its containers are attached to.
    pub fn bridge(&self) -> &str {
        &self.layout.bridge
    }

    /// A string only this engine's command line holds (its data root, for [`super::stop_recorded`]).
    pub fn marker(&self) -> String {
        self.layout.marker()
    }

    /// Removes its containers, stops dockerd, and removes everything it leaves.
    pub async fn stop(mut self) -> Result<()> {
        let pid = self.process.take().map(Managed::detach);
        stop_layout(self.layout.clone(), pid, ENGINE_STOP_GRACE).await
    }

    /// Keeps the engine running after this handle (and opsdeck) is gone; returns dockerd's pid.
    /// [`stop_engine_in`] stops it later.
    pub fn detach(mut self) -> u32 {
        if let Some(process) = self.process.take() {
            process.detach();
        }
        self.pid
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            stop_group_blocking(process.detach(), ENGINE_STOP_GRACE);
            // Drop cannot report; stop() does.
            let _ = cleanup(self.layout.clone());
        }
    }
}

/// Stops the engine started with `dir` and `name`, whoever started it, and removes everything
/// it leaves (processes, mounts, bridge, runtime directory). Nothing running is not an error.
pub async fn stop_engine_in(dir: &Path, name: &str, grace: Duration) -> Result<()> {
    check_name(name)?;
    // The same absolute, resolved path start used, so the hash and the marker match.
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(_) => std::path::absolute(dir).wrap_err_with(|| format!("cannot resolve {}", dir.display()))?,
    };
    stop_layout(Layout::new(&dir, name), None, grace).await
}

fn check_name(name: &str) -> Result<()> {
    let fine = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || name.len() > 32 || !name.chars().all(fine) {
        return Err(eyre!("engine name {name:?}: use 1 to 32 letters, digits, '-' or '_'"));
    }
    Ok(())
}

async fn start_in(dockerd: &Path, layout: &Layout) -> Result<Managed> {
    for d in [&layout.home, &layout.runtime] {
        std::fs::create_dir_all(d).wrap_err_with(|| format!("cannot create {}", d.display()))?;
    }
    let config = layout.home.join("daemon.json");
    // dockerd 20.10 takes its engine ID from /etc/docker/key.json unless told otherwise, so both
    // engines would report one ID. Newer engines keep the ID in the data root and skip this key;
    // it has no flag there, hence the config file (which also keeps /etc/docker/daemon.json out).
    let settings = serde_json::json!({ "deprecated-key-path": layout.home.join("key.json") });
    std::fs::write(&config, settings.to_string()).wrap_err_with(|| format!("cannot write {}", config.display()))?;
    off_runtime(layout.clone(), |l| host::make_bridge(&l.bridge, l.seed, &l.home.join("subnet"))).await?;
    let args = [
        format!("--config-file={}", config.display()),
        format!("--host=unix://{}", layout.socket().display()),
        format!("--data-root={}", layout.marker()),
        format!("--exec-root={}", layout.exec().display()),
        format!("--pidfile={}", layout.home.join("docker.pid").display()),
        format!("--bridge={}", layout.bridge),
        // The first engine owns the host's iptables chains and sysctls; two engines would fight.
        "--iptables=false".into(),
        "--ip6tables=false".into(),
        "--ip-forward=false".into(),
        "--ip-masq=false".into(),
        // Without iptables' DNAT, the proxy is what carries a published port to the container.
        "--userland-proxy=true".into(),
        format!("--containerd-namespace={}", layout.namespace),
        format!("--containerd-plugins-namespace={}-plugins", layout.namespace),
        // A stop on a busy engine stays well inside ENGINE_STOP_GRACE.
        "--shutdown-timeout=5".into(),
    ];
    let child = spawn_detached(dockerd, &args, &layout.log())?;
    let mut process = Managed::new("dockerd", child, layout.log());
    if let Err(e) = wait_ping(&mut process, &layout.socket()).await {
        stop_group(process.detach(), ENGINE_STOP_GRACE).await;
        return Err(e);
    }
    Ok(process)
}

async fn wait_ping(process: &mut Managed, socket: &Path) -> Result<()> {
    let endpoint = DockerEndpoint { url: format!("unix://{}", socket.display()), tls: None, timeout: ATTEMPT };
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    while started.elapsed() < READY_LIMIT {
        process.check_running()?;
        match connect(&endpoint).await {
            Ok(docker) => match inventory::ping(&docker, ATTEMPT).await {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(eyre!(
        "dockerd did not answer on {} within {}s ({last}); the end of {}:\n{}",
        socket.display(),
        READY_LIMIT.as_secs(),
        process.log().display(),
        log_tail(process.log(), 20)
    ))
}

/// Removes the containers (so their stop is not left to dockerd's shutdown), stops dockerd
/// (`known`, or any found by its marker), then removes whatever is left.
async fn stop_layout(layout: Layout, known: Option<u32>, grace: Duration) -> Result<()> {
    let dockerds: BTreeSet<u32> = known.into_iter().chain(find_by_marker("dockerd", &layout.marker())).collect();
    if dockerds.iter().any(|pid| is_alive(*pid)) {
        // Best effort: whatever this misses, dockerd stops at shutdown and cleanup kills after.
        remove_containers(&layout.socket()).await;
    }
    let mut stuck = Vec::new();
    for pid in dockerds {
        if !stop_group(pid, grace).await {
            stuck.push(pid);
        }
    }
    off_runtime(layout, cleanup).await?;
    match stuck.is_empty() {
        true => Ok(()),
        false => Err(eyre!("dockerd did not exit: pid {stuck:?}")),
    }
}

async fn remove_containers(socket: &Path) {
    let endpoint = DockerEndpoint { url: format!("unix://{}", socket.display()), tls: None, timeout: CALL };
    let Ok(docker) = connect(&endpoint).await else { return };
    let Ok(all) = lifecycle::list_containers_by_label(&docker, &[], CALL).await else { return };
    for container in all {
        let _ = lifecycle::remove_container(&docker, &container.id, CALL).await;
    }
}

/// Runs blocking work (process scans, `ip`, unmounts, sleeps) off the async runtime.
async fn off_runtime<T: Send + 'static>(layout: Layout, work: fn(Layout) -> Result<T>) -> Result<T> {
    tokio::task::spawn_blocking(move || work(layout)).await.wrap_err("engine cleanup task failed")?
}

/// Everything of the engine that outlives dockerd, removed: its containerd, shims, proxies and
/// container processes (a shim's death does not end them), mounts, bridge, runtime directory.
fn cleanup(layout: Layout) -> Result<()> {
    let ids = host::container_ids(&layout.data());
    let toml = layout.exec().join("containerd/containerd.toml").display().to_string();
    let mut pids: BTreeSet<u32> = find_by_marker("dockerd", &layout.marker()).into_iter().collect();
    pids.extend(find_by_marker("containerd", &toml));
    pids.extend(find_by_marker("containerd-shim-runc-v2", &layout.namespace));
    pids.extend(host::proxies(&layout.home.join("subnet")));
    pids.extend(host::all_pids().filter(|pid| host::in_containers(*pid, &ids)));
    host::kill_all(&pids);
    let mut problems = Vec::new();
    let alive: Vec<u32> = pids.into_iter().filter(|pid| is_alive(*pid)).collect();
    if !alive.is_empty() {
        problems.push(format!("processes still alive: {alive:?}"));
    }
    host::remove_cgroups(&ids);
    let left = host::unmount_all(&[layout.home.clone(), layout.runtime.clone()]);
    if left.is_empty() {
        // Only with nothing mounted below it: removing through a mount would delete what it shows.
        if let Err(e) = std::fs::remove_dir_all(&layout.runtime) {
            if e.kind() != std::io::ErrorKind::NotFound {
                problems.push(format!("cannot remove {}: {e}", layout.runtime.display()));
            }
        }
    } else {
        problems.push(format!("still mounted: {left:?}"));
    }
    if let Err(e) = host::delete_bridge(&layout.bridge) {
        problems.push(format!("{e:#}"));
    }
    for file in ["subnet", "docker.pid"] {
        let _ = std::fs::remove_file(layout.home.join(file));
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(eyre!("engine {} not fully cleaned up: {}", layout.home.display(), problems.join("; "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_are_short_whatever_the_dir() {
        let deep = PathBuf::from(format!("/{}", "very-long-directory-name/".repeat(10)));
        let layout = Layout::new(&deep, "second-engine_name");
        let longest = layout.exec().join("containerd/containerd.sock.ttrpc");
        assert!(longest.as_os_str().len() < 108, "{}", longest.display());
        assert!(layout.bridge.len() <= 15 && layout.bridge.starts_with("od-"), "{}", layout.bridge);
        assert_ne!(Layout::new(Path::new("/a"), "x").bridge, Layout::new(Path::new("/b"), "x").bridge);
        assert!(check_name("a/b").is_err() && check_name("").is_err() && check_name("ok-1_2").is_ok());
    }
}
