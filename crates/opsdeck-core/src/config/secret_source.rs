//! Reading secret values from where they live, when the config is loaded: an environment variable
//! of opsdeck's, a file (e.g. `/run/secrets/x`), or a command's output (`pass show api/token`,
//! bounded in time). What is read goes into the value and is secret; it is never printed: an error
//! names the variable, the file or the program and why, never what was read (a command's output
//! and its stderr are not shown either).

use super::{Config, SecretSource};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// How long a `command` source may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// A secret is a line or a key, not a document: more than this is refused.
const MAX_SECRET: u64 = 64 * 1024;

/// Reads every sourced value of `config`; relative files are relative to `base` (the config's
/// folder). Returns one line per value that could not be read.
pub fn resolve_all(config: &mut Config, base: &Path) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for service in &mut config.services {
        for (name, value) in &mut service.env {
            let Some(source) = &value.source else { continue };
            match read_one(source, base) {
                Ok(v) => value.value = v,
                Err(e) => problems.push(format!("services.{}.env.{name}: {e}", service.name)),
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The value `source` holds now (see the module's doc); relative files are relative to `base`.
pub fn read_one(source: &SecretSource, base: &Path) -> Result<String, String> {
    let raw = match source {
        SecretSource::FromEnv(var) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => v,
            Ok(_) => return Err(format!("from_env {var}: the variable is empty")),
            Err(_) => return Err(format!("from_env {var}: no such variable in opsdeck's environment")),
        },
        SecretSource::File(path) => {
            let path = if path.is_relative() { base.join(path) } else { path.clone() };
            let file = std::fs::File::open(&path).map_err(|e| format!("file {}: {e}", path.display()))?;
            let mut text = String::new();
            file.take(MAX_SECRET + 1).read_to_string(&mut text).map_err(|e| format!("file {}: {e}", path.display()))?;
            if text.len() as u64 > MAX_SECRET {
                return Err(format!("file {}: over 64 KiB, not a secret", path.display()));
            }
            text
        }
        SecretSource::Command(argv) => run(argv)?,
    };
    Ok(trim_newline(raw))
}

/// The command's stdout, within [`COMMAND_TIMEOUT`]; no terminal input, stderr discarded.
fn run(argv: &[String]) -> Result<String, String> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let ran = super::bounded_command::run(argv, None, COMMAND_TIMEOUT, MAX_SECRET)
        .map_err(|e| format!("command {program}: {e}"))?;
    if !ran.status.success() {
        return Err(format!("command {program}: {}", ran.status));
    }
    if ran.stdout.len() as u64 > MAX_SECRET {
        return Err(format!("command {program}: over 64 KiB of output, not a secret"));
    }
    let text = String::from_utf8(ran.stdout).map_err(|_| format!("command {program}: its output is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(format!("command {program}: printed nothing"));
    }
    Ok(text)
}

/// One trailing newline (`\n` or `\r\n`) dropped, as `$(...)` would.
fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

#[cfg(test)]
#[path = "secret_source_tests.rs"]
mod tests;
