//! Docker's own conventions for naming an engine, resolved when the config is loaded into the URL
//! and TLS files opsdeck connects with: `context = "name"` (a Docker context, as `docker context
//! create` wrote it under `$DOCKER_CONFIG` or `~/.docker`), `url = "env"` (`DOCKER_HOST`, and
//! `DOCKER_TLS_VERIFY` with `DOCKER_CERT_PATH`, as the docker CLI reads them), and TLS paths
//! relative to the config's folder.

use super::{Config, HostConfig, TlsConfig};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The engine `url = "env"` means when `DOCKER_HOST` is not set.
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Resolves every host of `config`; one line per host that cannot be.
pub fn resolve_all(config: &mut Config, base: &Path) -> Result<(), Vec<String>> {
    let docker_dir = docker_config_dir();
    let mut problems = Vec::new();
    for env in &mut config.environments {
        for host in &mut env.hosts {
            if let Err(e) = resolve(host, base, docker_dir.as_deref(), &|k| std::env::var(k).ok()) {
                problems.push(format!("environments.{}.hosts.{}: {e}", env.name, host.name));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `$DOCKER_CONFIG`, else `~/.docker`.
pub(crate) fn docker_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".docker"))
}

fn resolve(
    host: &mut HostConfig,
    base: &Path,
    docker_dir: Option<&Path>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    match (&host.context, host.url.as_str()) {
        (Some(_), url) if !url.is_empty() => return Err("give url or context, not both".into()),
        (Some(name), _) => {
            let dir = docker_dir.ok_or("no Docker config folder to read contexts from")?;
            let (url, tls) = context(dir, name)?;
            host.url = url;
            if host.tls.is_none() {
                host.tls = tls;
            }
        }
        (None, "") => return Err("url or context is required".into()),
        (None, "env") => {
            host.url = var("DOCKER_HOST").filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.into());
            let verify = var("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty() && v != "0");
            if verify && host.tls.is_none() {
                let certs = var("DOCKER_CERT_PATH")
                    .map(PathBuf::from)
                    .or_else(|| docker_dir.map(Path::to_path_buf))
                    .ok_or("DOCKER_TLS_VERIFY is set but DOCKER_CERT_PATH is not")?;
                host.tls = Some(tls_in(&certs));
            }
        }
        (None, _) => {}
    }
    if let Some(tls) = &mut host.tls {
        for p in [&mut tls.ca, &mut tls.cert, &mut tls.key] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
    Ok(())
}

/// `ca.pem`, `cert.pem`, `key.pem` in `dir`, as the docker CLI names them.
fn tls_in(dir: &Path) -> TlsConfig {
    TlsConfig { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") }
}

/// The engine URL (and TLS files, when the context has them) of context `name`: its metadata is
/// `contexts/meta/<sha256(name)>/meta.json`, its TLS files `contexts/tls/<sha256(name)>/docker/`.
fn context(docker_dir: &Path, name: &str) -> Result<(String, Option<TlsConfig>), String> {
    if name == "default" {
        return Ok((DEFAULT_HOST.into(), None));
    }
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let meta_path = docker_dir.join("contexts").join("meta").join(&id).join("meta.json");
    let text = std::fs::read_to_string(&meta_path).map_err(|e| {
        format!("Docker context {name:?}: {} ({e}); `docker context ls` lists them", meta_path.display())
    })?;
    let meta: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("Docker context {name:?}: {}: {e}", meta_path.display()))?;
    let docker = &meta["Endpoints"]["docker"];
    let url = docker["Host"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("Docker context {name:?} names no Docker endpoint"))?
        .to_string();
    let tls_dir = docker_dir.join("contexts").join("tls").join(&id).join("docker");
    let tls = (url.starts_with("tcp://") && tls_dir.join("ca.pem").exists()).then(|| tls_in(&tls_dir));
    Ok((url, tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(url: &str) -> HostConfig {
        HostConfig { name: "h".into(), url: url.into(), context: None, address: None, tls: None }
    }

    #[test]
    fn env_takes_docker_host_and_its_tls_files() {
        let vars = |k: &str| match k {
            "DOCKER_HOST" => Some("tcp://10.0.0.5:2376".to_string()),
            "DOCKER_TLS_VERIFY" => Some("1".to_string()),
            "DOCKER_CERT_PATH" => Some("/certs".to_string()),
            _ => None,
        };
        let mut h = host("env");
        resolve(&mut h, Path::new("/etc/opsdeck"), None, &vars).expect("env");
        assert_eq!(h.url, "tcp://10.0.0.5:2376");
        assert_eq!(h.tls.expect("tls").ca, PathBuf::from("/certs/ca.pem"));
        let mut h = host("env");
        resolve(&mut h, Path::new("/"), None, &|_| None).expect("no DOCKER_HOST");
        assert_eq!((h.url.as_str(), h.tls.is_none()), (DEFAULT_HOST, true));
    }

    #[test]
    fn tls_paths_are_relative_to_the_config() {
        let mut h = host("tcp://10.0.0.5:2376");
        h.tls = Some(TlsConfig { ca: "certs/ca.pem".into(), cert: "/abs/cert.pem".into(), key: "key.pem".into() });
        resolve(&mut h, Path::new("/etc/opsdeck"), None, &|_| None).expect("tls");
        let tls = h.tls.expect("tls");
        assert_eq!(tls.ca, PathBuf::from("/etc/opsdeck/certs/ca.pem"));
        assert_eq!(tls.cert, PathBuf::from("/abs/cert.pem"));
        assert_eq!(tls.key, PathBuf::from("/etc/opsdeck/key.pem"));
    }

    #[test]
    fn a_context_is_read_from_its_metadata() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = hex::encode(Sha256::digest(b"prod-east"));
        let meta = dir.path().join("contexts/meta").join(&id);
        std::fs::create_dir_all(&meta).expect("mkdir");
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"prod-east","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://deploy@east-1:2222","SkipTLSVerify":false}}}"#,
        )
        .expect("meta");
        let mut h = HostConfig { context: Some("prod-east".into()), ..host("") };
        resolve(&mut h, Path::new("/"), Some(dir.path()), &|_| None).expect("context");
        assert_eq!(h.url, "ssh://deploy@east-1:2222");
        let mut missing = HostConfig { context: Some("nope".into()), ..host("") };
        let err = resolve(&mut missing, Path::new("/"), Some(dir.path()), &|_| None).unwrap_err();
        assert!(err.contains("Docker context \"nope\"") && err.contains("docker context ls"), "{err}");
        let mut both = HostConfig { context: Some("prod-east".into()), ..host("unix:///x") };
        assert!(resolve(&mut both, Path::new("/"), Some(dir.path()), &|_| None).unwrap_err().contains("not both"));
        assert!(resolve(&mut host(""), Path::new("/"), None, &|_| None).unwrap_err().contains("required"));
    }
}
