//! `DIR/demo.json`: what `opsdeck demo up` started (component pids and addresses, slot
//! containers, frontends, image references), so that `opsdeck demo down`, a later and separate
//! process, can stop exactly that. It is rewritten after each component starts, so even an `up`
//! interrupted halfway leaves enough behind for `down` to clean up.

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file's name inside the demo directory.
pub const STATE_FILE: &str = "demo.json";

/// A running demo stack, as `up` returns it and `demo.json` records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DemoInfo {
    /// The demo directory, absolute; also the value of every slot's `opsdeck.demo` label.
    pub dir: PathBuf,
    /// The `opsdeck.toml` written for this stack.
    pub config_path: PathBuf,
    pub registry: Option<Component>,
    pub alertmanager: Option<Component>,
    pub haproxy: Option<Component>,
    pub slots: Vec<SlotRecord>,
    pub frontends: Vec<FrontendRecord>,
    /// Registry references tagged on the local engine for pushing (untagged by `down`).
    pub pushed_refs: Vec<String>,
    /// Docker engines the demo started for prod's other hosts (`prod-2`, ...), each its own
    /// `dockerd` with its files in the demo directory.
    #[serde(default)]
    pub engines: Vec<EngineRecord>,
    /// Set when prod runs on a swarm of the local engine (`demo up --swarm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<super::swarm::SwarmRecord>,
}

/// A Docker engine the demo started for one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRecord {
    /// The host it is in the config (`prod-2`).
    pub host: String,
    pub pid: u32,
    /// `unix:///.../docker.sock`.
    pub url: String,
    pub marker: String,
}

/// One started process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub pid: u32,
    /// `http://127.0.0.1:PORT`, or `unix:///.../haproxy.sock` for HAProxy's runtime API.
    pub address: String,
    /// A string only this process's command line holds: a recycled pid is never stopped.
    pub marker: String,
}

/// One slot container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRecord {
    /// `<service>-<env>-<slot>`: the container's name on its host's engine.
    pub name: String,
    pub service: String,
    pub env: String,
    /// The host (engine) it runs on, as the config names it (`prod-2`).
    #[serde(default)]
    pub host: String,
    /// `blue` or `green`.
    pub slot: String,
    /// Full reference in the demo registry.
    pub image: String,
    pub digest: String,
    pub version: String,
    /// Published on 127.0.0.1 (reserved for the idle slot, which is not running).
    pub host_port: u16,
    /// Whether this slot takes the traffic (and runs).
    pub live: bool,
}

/// One HAProxy frontend: a service in an environment, through the load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontendRecord {
    pub service: String,
    pub env: String,
    /// `<service>_<env>`.
    pub backend: String,
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl DemoInfo {
    /// Every recorded process id.
    pub fn pids(&self) -> Vec<u32> {
        [&self.registry, &self.alertmanager, &self.haproxy].into_iter().flatten().map(|c| c.pid).collect()
    }

    /// The hosts of `env`, in order (`prod-1`, `prod-2`).
    pub fn hosts_of(&self, env: &str) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for s in self.slots.iter().filter(|s| s.env == env) {
            if !hosts.contains(&s.host) {
                hosts.push(s.host.clone());
            }
        }
        hosts
    }

    pub fn frontend(&self, service: &str, env: &str) -> Option<&FrontendRecord> {
        self.frontends.iter().find(|f| f.service == service && f.env == env)
    }

    /// The HAProxy runtime API socket.
    pub fn haproxy_socket(&self) -> PathBuf {
        self.dir.join("haproxy.sock")
    }

    /// Reads `dir/demo.json`; `None` when there is none (nothing is up there).
    pub fn read(dir: &Path) -> Result<Option<DemoInfo>> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
        };
        let info = serde_json::from_str(&text).wrap_err_with(|| format!("{} is not a demo record", path.display()))?;
        Ok(Some(info))
    }

    /// Writes `dir/demo.json` (through a temporary file, so a reader never sees half of it).
    pub fn write(&self) -> Result<()> {
        let path = self.dir.join(STATE_FILE);
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(&tmp, text).wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).wrap_err_with(|| format!("cannot write {}", path.display()))
    }

    pub fn remove(dir: &Path) -> Result<()> {
        match std::fs::remove_file(dir.join(STATE_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).wrap_err_with(|| format!("cannot remove {}", dir.join(STATE_FILE).display()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(DemoInfo::read(dir.path()).expect("read"), None);
        let info = DemoInfo {
            dir: dir.path().to_path_buf(),
            registry: Some(Component { pid: 42, address: "http://127.0.0.1:5000".into(), marker: "x".into() }),
            ..DemoInfo::default()
        };
        info.write().expect("write");
        assert_eq!(DemoInfo::read(dir.path()).expect("read"), Some(info.clone()));
        assert_eq!(info.pids(), vec![42]);
        DemoInfo::remove(dir.path()).expect("remove");
        DemoInfo::remove(dir.path()).expect("removing twice is fine");
    }
}
