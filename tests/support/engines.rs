//! Whether a test can start a Docker engine of its own beside the first (dockerd, ip, root), and
//! connecting to one by its socket.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Whether `test` can start a second engine here (and, with `main_engine`, whether the first one
/// answers on /var/run/docker.sock); panics under CI when it cannot, else says why and skips.
pub fn second_engine_available(test: &str, main_engine: bool) -> bool {
    let mut missing = Vec::new();
    if !Path::new("/usr/sbin/dockerd").exists() {
        missing.push("/usr/sbin/dockerd (package docker.io)".to_string());
    }
    if !["/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"].iter().any(|p| Path::new(p).exists()) {
        missing.push("ip (package iproute2)".into());
    }
    // The owner of /proc/self is this process's effective user.
    if std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX) != 0 {
        missing.push("root (dockerd and a bridge need it)".into());
    }
    if main_engine && !Path::new(opsdeck::stack::DOCKER_SOCKET).exists() {
        missing.push("a Docker engine on /var/run/docker.sock (./scripts/test.sh starts dockerd)".into());
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!("{test} cannot run: {}; run ./scripts/test.sh", missing.join(", "));
    assert!(!super::in_ci(), "{msg}");
    eprintln!("SKIP: {msg}");
    false
}
