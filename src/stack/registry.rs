//! A CNCF registry (`docker-registry`, Debian's package of distribution 2.8) on a loopback port,
//! storing blobs under the directory it is given, with deletes enabled so pruning can be shown.

use super::process::{find_binary, spawn_detached, Managed};
use super::{absolute_dir, ready};
use color_eyre::eyre::{Result, WrapErr};
use std::path::{Path, PathBuf};

pub struct Registry {
    process: Managed,
    port: u16,
    config: PathBuf,
}

impl Registry {
    /// Starts the registry with `dir/registry.yml`, data in `dir/registry/` and its log in
    /// `dir/registry.log`, and waits until `/v2/` answers.
    pub async fn start(dir: &Path) -> Result<Registry> {
        let binary = find_binary("docker-registry", "docker-registry")?;
        let dir = absolute_dir(dir)?;
        super::start_on_free_port(|port| Self::start_on(&binary, &dir, port)).await
    }

    async fn start_on(binary: &Path, dir: &Path, port: u16) -> Result<Registry> {
        let config = dir.join("registry.yml");
        let data = dir.join("registry");
        std::fs::create_dir_all(&data).wrap_err_with(|| format!("cannot create {}", data.display()))?;
        std::fs::write(&config, config_text(&data, port))
            .wrap_err_with(|| format!("cannot write {}", config.display()))?;
        let args = vec!["serve".to_string(), config.display().to_string()];
        let child = spawn_detached(binary, &args, &dir.join("registry.log"))?;
        let mut process = Managed::new("docker-registry", child, dir.join("registry.log"));
        ready::wait_http(&mut process, "docker-registry", &format!("http://127.0.0.1:{port}/v2/")).await?;
        Ok(Registry { process, port, config })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`, the prefix of image references in this registry.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// A string only this registry's command line holds (for [`super::stop_recorded`]).
    pub fn marker(&self) -> String {
        self.config.display().to_string()
    }

    pub async fn stop(self) -> Result<()> {
        self.process.stop().await
    }

    /// Keeps the registry running after this handle (and opsdeck) is gone; returns its pid.
    pub fn detach(self) -> u32 {
        self.process.detach()
    }
}

fn config_text(data: &Path, port: u16) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: info\n  formatter: text\n\
         storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: opsdeck-demo-only\n",
        data = data.display()
    )
}
