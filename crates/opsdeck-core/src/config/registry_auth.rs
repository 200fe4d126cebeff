//! The registry's credentials, settled when the config is loaded: `[registry] username` with its
//! `password` (a string or a secret source), or else what `docker login` stored for the
//! registry's host in `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`): `auths` (the
//! base64 `user:password`), or a credential helper (`credHelpers` for the host, else
//! `credsStore`) asked through `docker-credential-<name> get`, bounded in time. A relative `ca`
//! becomes relative to the config's folder.

use super::{Config, EnvValue};
use std::path::Path;
use std::time::Duration;

/// How long a credential helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// Settles `config.registry`'s credentials and CA path. Errors are one line each, never a secret.
pub fn resolve(config: &mut Config, base: &Path) -> Result<(), String> {
    let registry = &mut config.registry;
    if let Some(ca) = &mut registry.ca {
        if ca.is_relative() {
            *ca = base.join(&*ca);
        }
    }
    if let Some(password) = &mut registry.password {
        password.secret = true;
        if let Some(source) = password.source.clone() {
            password.value =
                super::secret_source::read_one(&source, base).map_err(|e| format!("registry.password: {e}"))?;
        }
    }
    if registry.username.is_some() {
        return Ok(());
    }
    if registry.password.is_some() {
        return Err("registry.password is set but registry.username is not".into());
    }
    let Some(dir) = super::docker_hosts::docker_config_dir() else { return Ok(()) };
    let host = registry.host().to_string();
    if let Some((user, password)) = from_docker_config(&dir.join("config.json"), &host)? {
        registry.username = Some(user);
        registry.password = Some(EnvValue::secret(password));
    }
    Ok(())
}

/// `(user, password)` for `host` from a docker CLI config file, when it holds some.
fn from_docker_config(path: &Path, host: &str) -> Result<Option<(String, String)>, String> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let own_helper = config["credHelpers"][host].as_str().filter(|h| !h.is_empty());
    if let Some(auth) = config["auths"][host]["auth"].as_str().filter(|a| !a.is_empty()) {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .map_err(|_| format!("{}: auths.{host}.auth is not base64", path.display()))?;
        let pair =
            String::from_utf8(decoded).map_err(|_| format!("{}: auths.{host}.auth is not text", path.display()))?;
        let (user, password) = pair
            .split_once(':')
            .ok_or_else(|| format!("{}: auths.{host}.auth is not user:password", path.display()))?;
        return Ok(Some((user.to_string(), password.to_string())));
    }
    if let Some(helper) = own_helper {
        return ask_helper(helper, host);
    }
    // The default store speaks for every registry, this one included or not: one that cannot
    // answer means no credentials here (an open registry must still work), not a stopped start.
    match config["credsStore"].as_str().filter(|h| !h.is_empty()) {
        Some(store) => Ok(ask_helper(store, host).ok().flatten()),
        None => Ok(None),
    }
}

/// `docker-credential-<helper> get` with `host` on stdin: `{"Username": …, "Secret": …}`. A
/// helper that knows nothing of the host ("credentials not found") means no credentials.
fn ask_helper(helper: &str, host: &str) -> Result<Option<(String, String)>, String> {
    if !helper.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("credential helper {helper:?} is not a plain name"));
    }
    let program = format!("docker-credential-{helper}");
    let argv = [program.clone(), "get".to_string()];
    let ran = super::bounded_command::run(&argv, Some(host.as_bytes()), HELPER_TIMEOUT, 64 * 1024)
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    let out = String::from_utf8_lossy(&ran.stdout).into_owned();
    if !ran.status.success() {
        // The helper's own words for "I have nothing for this host".
        return if out.contains("credentials not found") {
            Ok(None)
        } else {
            Err(format!("credential helper {program}: {}", ran.status))
        };
    }
    let answer: serde_json::Value =
        serde_json::from_str(&out).map_err(|_| format!("credential helper {program}: its answer is not JSON"))?;
    let (user, secret) = (answer["Username"].as_str().unwrap_or(""), answer["Secret"].as_str().unwrap_or(""));
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some((user.to_string(), secret.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_give_the_user_and_password_for_the_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        // ci:pa:ss (a password may hold a colon)
        std::fs::write(&path, r#"{"auths":{"127.0.0.1:5000":{"auth":"Y2k6cGE6c3M="}}}"#).expect("write");
        assert_eq!(from_docker_config(&path, "127.0.0.1:5000").expect("read"), Some(("ci".into(), "pa:ss".into())));
        assert_eq!(from_docker_config(&path, "other:5000").expect("read"), None);
        assert_eq!(from_docker_config(&dir.path().join("none.json"), "x").expect("absent"), None);
    }

    #[test]
    fn a_credential_helper_is_asked_through_its_program() {
        let dir = tempfile::tempdir().expect("tempdir");
        let helper = dir.path().join("docker-credential-opsdecktest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread host\n[ \"$1\" = get ] && [ \"$host\" = reg.example:443 ] && \
             printf '{\"Username\":\"robot\",\"Secret\":\"t0k3n\"}' && exit 0\necho 'credentials not found'; exit 1\n",
        )
        .expect("helper");
        std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        let path = std::env::var("PATH").unwrap_or_default();
        // The helper is found on PATH, as docker finds it.
        std::env::set_var("PATH", format!("{}:{path}", dir.path().display()));
        let config = dir.path().join("config.json");
        std::fs::write(&config, r#"{"credHelpers":{"reg.example:443":"opsdecktest"}}"#).expect("config");
        assert_eq!(
            from_docker_config(&config, "reg.example:443").expect("ask"),
            Some(("robot".into(), "t0k3n".into()))
        );
        std::fs::write(&config, r#"{"credsStore":"opsdecktest"}"#).expect("config");
        assert_eq!(from_docker_config(&config, "elsewhere:5000").expect("not found"), None);
        assert!(ask_helper("bad name", "x").is_err());
    }
}
