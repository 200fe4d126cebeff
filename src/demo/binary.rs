//! The static `demo-service` binary that goes into every demo image: given, named by
//! `$OPSDECK_DEMO_BINARY`, or built from this workspace. A scratch image has no libc, so a
//! dynamically linked binary is refused here rather than failing inside twelve containers.

use color_eyre::eyre::{eyre, Result, WrapErr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// A cold release build of the small crate takes well under a minute; this leaves room.
const BUILD_LIMIT: Duration = Duration::from_secs(600);
const GIT_LIMIT: Duration = Duration::from_secs(5);
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// The binary to package: `given`, else `$OPSDECK_DEMO_BINARY`, else a fresh static build.
pub async fn locate(given: Option<&Path>) -> Result<PathBuf> {
    let chosen = given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("OPSDECK_DEMO_BINARY").filter(|v| !v.is_empty()).map(PathBuf::from));
    let path = match chosen {
        Some(p) => p,
        None => build().await?,
    };
    check_static(&path)?;
    Ok(path)
}

/// `cargo build --release -p opsdeck-demo-service` with a static C runtime, in this workspace.
async fn build() -> Result<PathBuf> {
    let workspace = env!("CARGO_MANIFEST_DIR");
    let how = format!(
        "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release -p opsdeck-demo-service --target {TARGET}"
    );
    say!("building the demo service: {how}");
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(workspace)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        // Would take precedence over RUSTFLAGS if a parent cargo left it set.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args(["build", "--release", "-p", "opsdeck-demo-service", "--target", TARGET])
        .args(["--message-format=json-render-diagnostics"])
        .kill_on_drop(true);
    let output = tokio::time::timeout(BUILD_LIMIT, command.output())
        .await
        .map_err(|_| eyre!("building the demo service took over {}s ({how})", BUILD_LIMIT.as_secs()))?
        .wrap_err_with(|| format!("cannot run cargo in {workspace} ({how}); or set OPSDECK_DEMO_BINARY"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(eyre!(
            "building the demo service failed ({how} in {workspace}):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    executable_in(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| eyre!("cargo built the demo service but did not say where ({how})"))
}

/// The `executable` of the `demo-service` artifact in cargo's JSON messages.
fn executable_in(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "demo-service")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
}

/// An error unless `path` is an ELF executable without a program interpreter (statically linked).
fn check_static(path: &Path) -> Result<()> {
    let bytes =
        std::fs::read(path).wrap_err_with(|| format!("cannot read the demo service binary {}", path.display()))?;
    match has_interpreter(&bytes) {
        Some(false) => Ok(()),
        Some(true) => Err(eyre!(
            "{} is dynamically linked, but the demo image is FROM scratch: build it with \
             RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release -p opsdeck-demo-service --target {TARGET}",
            path.display()
        )),
        None => Err(eyre!("{} is not a 64-bit ELF executable", path.display())),
    }
}

/// Whether a 64-bit little-endian ELF image has a `PT_INTERP` program header; `None` if it is
/// not such an image.
fn has_interpreter(elf: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    if elf.get(..4)? != b"\x7fELF" || *elf.get(4)? != 2 || *elf.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let phoff = usize::try_from(u64::from_le_bytes(elf.get(0x20..0x28)?.try_into().ok()?)).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    let mut found = false;
    for i in 0..phnum {
        let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let p_type = u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?);
        found |= p_type == PT_INTERP;
    }
    Some(found)
}

/// `git rev-parse --short HEAD` of this workspace, when it is a git checkout with a commit.
pub async fn head_sha() -> Option<String> {
    let mut command = Command::new("git");
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(["rev-parse", "--short=7", "HEAD"]).kill_on_drop(true);
    let output = tokio::time::timeout(GIT_LIMIT, command.output()).await.ok()?.ok()?;
    let sha = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && super::plan::is_sha_tag(&sha)).then_some(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_an_elf_we_can_read() {
        let me = std::env::current_exe().expect("current exe");
        let bytes = std::fs::read(me).expect("read");
        assert!(has_interpreter(&bytes).is_some());
        assert_eq!(has_interpreter(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn cargo_messages_name_the_executable() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"libc"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"demo-service"},"executable":"/w/target/x/release/demo-service"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(executable_in(messages), Some(PathBuf::from("/w/target/x/release/demo-service")));
        assert_eq!(executable_in(""), None);
    }
}
