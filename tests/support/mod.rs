//! Shared helpers for the integration and end-to-end tests: whether the real components are
//! here (under `CI=true` a missing one is a failure, never a skip), the demo stack as a guard
//! that always comes down, and the real binary in a pseudo-terminal.

#![allow(dead_code)]

pub mod engines;
pub mod load;
pub mod pty;
pub mod rechain;
pub mod recipe;

use std::path::{Path, PathBuf};

/// A config whose registry, HAProxy socket and Docker host do not exist: commands that must work
/// (or be refused) without asking any outside system run against it.
pub const OFFLINE_CONFIG: &str = r#"state_path = "state.db"
[registry]
url = "http://127.0.0.1:9"

[[environments]]
name = "prod"
haproxy = "unix:///nonexistent/haproxy.sock"
hosts = [{ name = "prod-1", url = "unix:///nonexistent/docker.sock" }]

[[services]]
name = "api"
container_port = 8080
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:9"
"#;
use std::process::Command;

/// The opsdeck binary cargo built for these tests.
pub fn opsdeck_bin() -> &'static str {
    env!("CARGO_BIN_EXE_opsdeck")
}

/// True when `CI=true`: then a missing component fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Checks the real stack is available: the component binaries and a Docker engine that answers.
/// Returns false (after saying why) when a test should be skipped outside CI; panics in CI.
pub fn stack_available() -> bool {
    let mut missing = Vec::new();
    for (bin, pkg) in [
        ("/usr/bin/docker-registry", "docker-registry"),
        ("/usr/sbin/haproxy", "haproxy"),
        ("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager"),
        ("/usr/sbin/dockerd", "docker.io"),
    ] {
        if !Path::new(bin).exists() {
            missing.push(format!("{bin} (package {pkg})"));
        }
    }
    if !Path::new("/var/run/docker.sock").exists() {
        missing.push("a Docker engine on /var/run/docker.sock (./scripts/test.sh starts dockerd)".into());
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!("real stack missing: {}; run ./scripts/test.sh", missing.join(", "));
    assert!(!in_ci(), "{msg}");
    eprintln!("SKIP: {msg}");
    false
}

/// A temporary folder closed to other users, as opsdeck wants a state store's folder to be
/// (tempfile's follow the umask: often 0755, which opsdeck refuses for a store).
pub fn private_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().expect("tempdir")
}

/// A demo stack started with the real binary in a temporary folder, stopped when dropped.
pub struct Demo {
    pub dir: tempfile::TempDir,
}

impl Demo {
    /// Starts the demo; when another demo holds the engine (container names are engine-wide),
    /// waits for it to come down, up to three minutes.
    pub fn up(extra: &[&str]) -> Demo {
        Demo::up_when_engine_free(extra, std::time::Duration::from_secs(180))
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("opsdeck.toml")
    }

    /// `opsdeck --config DIR/opsdeck.toml ARGS`, returning (status, stdout, stderr).
    pub fn opsdeck(&self, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        let out =
            Command::new(opsdeck_bin()).arg("--config").arg(self.config()).args(args).output().expect("run opsdeck");
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `opsdeck status --json`, which must succeed, parsed.
    pub fn status_json(&self) -> serde_json::Value {
        let (st, out, err) = self.opsdeck(&["status", "--json"]);
        assert!(st.success(), "{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("status json: {e}\n{out}"))
    }

    pub fn down(&self) -> std::process::Output {
        Command::new(opsdeck_bin())
            .args(["demo", "down", "--dir"])
            .arg(self.dir.path())
            .output()
            .expect("run opsdeck demo down")
    }
}

impl Demo {
    /// Like [`Demo::up`], but an engine busy with another demo (container names are engine-wide,
    /// so one demo per engine at a time) is waited for, up to `limit`, instead of failing.
    pub fn up_when_engine_free(extra: &[&str], limit: std::time::Duration) -> Demo {
        let started = std::time::Instant::now();
        loop {
            let dir = tempfile::Builder::new().prefix("opsdeck-demo-").tempdir().expect("tempdir");
            let out = Command::new(opsdeck_bin())
                .args(["demo", "up", "--dir"])
                .arg(dir.path())
                .args(extra)
                .output()
                .expect("run opsdeck demo up");
            let demo = Demo { dir };
            if out.status.success() {
                return demo;
            }
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let busy = stderr.contains("belongs to the demo in");
            assert!(
                busy && started.elapsed() < limit,
                "demo up failed: {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            );
            eprintln!("another demo holds the engine; waiting ({}s so far)", started.elapsed().as_secs());
            drop(demo);
            std::thread::sleep(std::time::Duration::from_secs(5));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.down();
    }
}

/// Names of containers (all states) carrying `label`, from the Docker CLI.
pub fn containers_with_label(label: &str) -> Vec<String> {
    let out = Command::new("/usr/bin/docker")
        .args(["ps", "-a", "--filter", &format!("label={label}"), "--format", "{{.Names}}"])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

/// A plain HTTP/1.0 GET on loopback, returning the whole answer (status line, headers, body).
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return String::from("connection refused") };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The demo config `text` with one more host in environment `env`: `{ name = HOST, url = URL }`
/// added to its `hosts = [...]` line (an engine that refuses or never answers, for the tests of
/// what a dead host does).
pub fn with_extra_host(text: &str, env: &str, host: &str, url: &str) -> String {
    let mut out = String::new();
    let mut in_env = false;
    let env_line = format!("name = \"{env}\"");
    for line in text.lines() {
        if line.starts_with("name = ") {
            in_env = line == env_line;
        }
        if in_env && line.starts_with("hosts = [") && line.ends_with(']') {
            let head = &line[..line.len() - 1];
            out.push_str(&format!("{head}, {{ name = \"{host}\", url = \"{url}\" }}]\n"));
            in_env = false;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(out.contains(&format!("name = \"{host}\"")), "{env}'s hosts line not found:\n{text}");
    out
}

/// Waits until something accepts connections on 127.0.0.1:`port` (a process the test started),
/// at most `limit`; panics naming `what` after that.
pub fn wait_listening(port: u16, what: &str, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < limit, "{what} did not listen on {port} within {limit:?}");
        // Real time for the process to start listening.
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

impl Demo {
    /// The servers of `backend` in `env`'s HAProxy, as its runtime API says now.
    /// HAProxy's own account of `backend`'s servers in `env`, for a failure message: status,
    /// check counters (`chkfail`, `chkdown`), the last check, and the 5xx it answered.
    pub fn lb_account(&self, env: &str, backend: &str) -> String {
        let loaded = opsdeck_core::config::load(&self.config()).expect("config");
        let address = loaded.environment(env).expect("environment").haproxy.clone();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let stat = rt.block_on(async {
            let lb = opsdeck_backends::haproxy::HaproxyClient::new(&address, std::time::Duration::from_secs(2))
                .expect("haproxy client");
            lb.command("show stat").await.unwrap_or_else(|e| e.to_string())
        });
        let mut lines = stat.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().trim_start_matches("# ").split(',').collect();
        let wanted = [
            "svname",
            "status",
            "chkfail",
            "chkdown",
            "lastchg",
            "check_status",
            "check_desc",
            "hrsp_5xx",
            "econ",
            "eresp",
            "wretr",
        ];
        lines
            .filter(|l| l.starts_with(&format!("{backend},")))
            .map(|l| {
                let fields: Vec<&str> = l.split(',').collect();
                wanted
                    .iter()
                    .filter_map(|w| {
                        header.iter().position(|h| h == w).map(|i| format!("{w}={}", fields.get(i).unwrap_or(&"")))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn lb_servers(&self, env: &str, backend: &str) -> Vec<opsdeck_backends::types::ServerStat> {
        let loaded = opsdeck_core::config::load(&self.config()).expect("config");
        let address = loaded.environment(env).expect("environment").haproxy.clone();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let lb = opsdeck_backends::haproxy::HaproxyClient::new(&address, std::time::Duration::from_secs(2))
                .expect("haproxy client");
            lb.servers().await.expect("servers").into_iter().filter(|s| s.backend == backend).collect()
        })
    }
}
