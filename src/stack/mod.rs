//! Real components started as child processes for the demo and the tests: an OCI registry
//! (`docker-registry`), HAProxy and Alertmanager, each on free loopback ports with its files in
//! a directory it is given, each waited for until it answers. Also: is Docker there at all, and
//! a second Docker Engine of its own ([`Engine`]) beside the one on [`DOCKER_SOCKET`].
//!
//! Every file a component writes is named after it (`haproxy.cfg`, `haproxy.sock`, `registry/`,
//! ...), so several components can share one directory. A component handle stops its process when
//! dropped; [`Registry::detach`] and friends let it outlive opsdeck (`opsdeck demo up` exits and
//! `opsdeck demo down`, another process, stops it by pid with [`stop_recorded`]).

mod alertmanager;
mod engine;
mod haproxy;
mod process;
mod ready;
mod registry;

pub use alertmanager::Alertmanager;
pub use engine::{stop_engine_in, Engine, ENGINE_STOP_GRACE};
pub use haproxy::Haproxy;
pub use process::{is_alive, spawn_detached, stop_recorded, SETUP_HINT};
pub use ready::{loopback_client, runtime_client};
pub use registry::Registry;

use color_eyre::eyre::{eyre, Result, WrapErr};
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The Docker engine the demo and the tests use.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Ports handed out by this process, so two calls never return the same one even when the
/// first has not been bound yet.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it). Another
/// process could still take it before it is used; components that bind it retry on a new one.
pub fn free_port() -> Result<u16> {
    for _ in 0..50 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).wrap_err("cannot bind a port on 127.0.0.1")?;
        let port = listener.local_addr().wrap_err("cannot read a bound port")?.port();
        let mut handed = HANDED_OUT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if handed.insert(port) {
            return Ok(port);
        }
    }
    Err(eyre!("no free port on 127.0.0.1"))
}

/// An error unless a Docker engine answers a ping on [`DOCKER_SOCKET`] within a few seconds.
pub async fn ensure_docker() -> Result<()> {
    let endpoint = opsdeck_backends::docker::DockerEndpoint {
        url: format!("unix://{DOCKER_SOCKET}"),
        tls: None,
        timeout: Duration::from_secs(5),
    };
    let no_docker = |reason: String| {
        eyre!(
            "Docker is not answering on {DOCKER_SOCKET} ({reason}). Install the Debian package \
             `docker.io` (or run `{SETUP_HINT}`) and start it (`dockerd >/tmp/dockerd.log 2>&1 &`, \
             or `systemctl start docker`)"
        )
    };
    let docker = opsdeck_backends::docker::connect(&endpoint).await.map_err(|e| no_docker(e.to_string()))?;
    opsdeck_backends::docker::inventory::ping(&docker, endpoint.timeout).await.map_err(|e| no_docker(e.to_string()))
}

/// Each component's program and the file in its directory that only its command line names.
const COMPONENTS: [(&str, &str); 3] =
    [("haproxy", "haproxy.cfg"), ("prometheus-alertmanager", "alertmanager.yml"), ("docker-registry", "registry.yml")];

/// Stops every component process started with its files in `dir`, whoever started it and
/// whether or not it was recorded (an `up` killed halfway records nothing of what it was
/// starting). Returns how many processes it stopped.
pub async fn stop_components_in(dir: &Path, grace: Duration) -> Result<usize> {
    let mut stopped = 0;
    let mut stuck = Vec::new();
    for (program, file) in COMPONENTS {
        let marker = dir.join(file).display().to_string();
        for pid in process::find_by_marker(program, &marker) {
            if process::stop_group(pid, grace).await {
                stopped += 1;
            } else {
                stuck.push(format!("{program} (pid {pid})"));
            }
        }
    }
    if stuck.is_empty() {
        Ok(stopped)
    } else {
        Err(eyre!("did not stop: {}", stuck.join(", ")))
    }
}

/// An error naming every component binary that is not installed (and its Debian package).
/// Docker is checked by [`ensure_docker`]: what matters there is an engine answering.
pub fn check_installed() -> Result<()> {
    let missing: Vec<String> = [
        ("docker-registry", "docker-registry"),
        ("haproxy", "haproxy"),
        ("prometheus-alertmanager", "prometheus-alertmanager"),
    ]
    .into_iter()
    .filter_map(|(program, package)| process::find_binary(program, package).err())
    .map(|e| e.to_string())
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(eyre!("{}", missing.join("\n")))
    }
}

/// Creates `dir` and returns it absolute: components get absolute paths in their arguments,
/// which is also what lets a later `down` recognise them by command line.
fn absolute_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    dir.canonicalize().wrap_err_with(|| format!("cannot resolve {}", dir.display()))
}

/// Starts a component on a free port, trying again (three times at most) when another process
/// took the port between [`free_port`] and the component's bind.
async fn start_on_free_port<T, F, Fut>(mut start_on: F) -> Result<T>
where
    F: FnMut(u16) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match start_on(free_port()?).await {
            Err(e) if attempt < 3 && lost_port_race(&e) => continue,
            other => return other,
        }
    }
}

/// Whether a component's log says its port was taken between [`free_port`] and its bind.
fn lost_port_race(error: &color_eyre::Report) -> bool {
    let text = format!("{error:#}");
    text.contains("address already in use") || text.contains("Address already in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_bindable() {
        let a = free_port().expect("port");
        let b = free_port().expect("port");
        assert_ne!(a, b);
        TcpListener::bind(("127.0.0.1", a)).expect("bindable");
    }

    #[test]
    fn a_missing_binary_names_its_package_and_the_setup_command() {
        let e = process::find_binary("opsdeck-no-such-binary", "some-package").expect_err("missing");
        let text = e.to_string();
        assert!(text.contains("`some-package`") && text.contains(SETUP_HINT), "{text}");
    }
}
