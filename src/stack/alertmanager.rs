//! Alertmanager on a loopback port, alone (clustering off), with a config that routes every
//! alert nowhere: the demo only needs its API to hold alerts and silences.

use super::process::{find_binary, spawn_detached, Managed};
use super::{absolute_dir, ready};
use color_eyre::eyre::{Result, WrapErr};
use std::path::{Path, PathBuf};

pub struct Alertmanager {
    process: Managed,
    port: u16,
    config: PathBuf,
}

const CONFIG: &str = "route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n";

impl Alertmanager {
    /// Starts Alertmanager with `dir/alertmanager.yml`, state in `dir/alertmanager/` and its log
    /// in `dir/alertmanager.log`, and waits until `/-/ready` answers.
    pub async fn start(dir: &Path) -> Result<Alertmanager> {
        let binary = find_binary("prometheus-alertmanager", "prometheus-alertmanager")?;
        let dir = absolute_dir(dir)?;
        super::start_on_free_port(|port| Self::start_on(&binary, &dir, port)).await
    }

    async fn start_on(binary: &Path, dir: &Path, port: u16) -> Result<Alertmanager> {
        let config = dir.join("alertmanager.yml");
        let data = dir.join("alertmanager");
        std::fs::create_dir_all(&data).wrap_err_with(|| format!("cannot create {}", data.display()))?;
        std::fs::write(&config, CONFIG).wrap_err_with(|| format!("cannot write {}", config.display()))?;
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", data.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            // Empty: no gossip port, no peers; one Alertmanager on its own.
            "--cluster.listen-address=".to_string(),
        ];
        let log = dir.join("alertmanager.log");
        let child = spawn_detached(binary, &args, &log)?;
        let mut process = Managed::new("alertmanager", child, log);
        ready::wait_http(&mut process, "alertmanager", &format!("http://127.0.0.1:{port}/-/ready")).await?;
        Ok(Alertmanager { process, port, config })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// A string only this Alertmanager's command line holds (for [`super::stop_recorded`]).
    pub fn marker(&self) -> String {
        self.config.display().to_string()
    }

    pub async fn stop(self) -> Result<()> {
        self.process.stop().await
    }

    /// Keeps Alertmanager running after this handle (and opsdeck) is gone; returns its pid.
    pub fn detach(self) -> u32 {
        self.process.detach()
    }
}
