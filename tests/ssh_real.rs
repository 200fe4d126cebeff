//! `ssh://` engines against a real `sshd` the test starts on a free loopback port, with a host key
//! and a client key it makes: prod's host as `ssh://root@127.0.0.1:PORT` (a port and a user),
//! staging's as an alias from an ssh client config, and prod's again through a Docker context.
//! `status`, a rollback over ssh, and the console's Logs view work; a refused key and a changed
//! host key each give ssh's own line within the timeout instead of a hang.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::pty::Console;
use support::{in_ci, opsdeck_bin, stack_available, Demo};

/// A private sshd on a free loopback port, stopped when dropped.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "opsdeck-test", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
}

impl Sshd {
    fn start() -> Option<Sshd> {
        if !Path::new("/usr/sbin/sshd").exists() {
            assert!(!in_ci(), "sshd is not installed (./scripts/test.sh installs openssh-server)");
            eprintln!("SKIP: no /usr/sbin/sshd");
            return None;
        }
        let dir = support::private_tempdir();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        keygen(&d.join("other_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).expect("authorized_keys");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 AllowTcpForwarding no\nX11Forwarding no\n",
                d = d.display()
            ),
        )
        .expect("sshd_config");
        // The privilege separation folder sshd insists on (absent on a machine that never ran it).
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        let sshd = Sshd { dir, port, child };
        support::wait_listening(port, "sshd", Duration::from_secs(10));
        Some(sshd)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An ssh client config: the `staging-box` alias, a key, and a known_hosts with this sshd's
    /// key (or, `changed`, another key under its name).
    fn client_config(&self, name: &str, key: &str, changed: bool) -> PathBuf {
        let host_pub = std::fs::read_to_string(self.path(if changed { "other_key.pub" } else { "host_key.pub" }))
            .expect("host key");
        let mut fields = host_pub.split_whitespace();
        let (kind, key_text) = (fields.next().expect("kind"), fields.next().expect("key"));
        let known = self.path(&format!("{name}.known_hosts"));
        std::fs::write(&known, format!("[127.0.0.1]:{} {kind} {key_text}\n", self.port)).expect("known_hosts");
        let config = self.path(&format!("{name}.ssh_config"));
        std::fs::write(
            &config,
            format!(
                "Host staging-box\n  HostName 127.0.0.1\n  Port {port}\n  User root\n\
                 Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n\
                 StrictHostKeyChecking yes\n",
                port = self.port,
                key = self.path(key).display(),
                known = known.display()
            ),
        )
        .expect("ssh config");
        config
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn opsdeck(config: &Path, ssh_config: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(opsdeck_bin())
        .arg("--config")
        .arg(config)
        .args(args)
        .env("OPSDECK_SSH_CONFIG", ssh_config)
        .output()
        .expect("run opsdeck");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn env_json<'a>(status: &'a serde_json::Value, env: &str) -> &'a serde_json::Value {
    status["environments"].as_array().expect("envs").iter().find(|e| e["name"] == env).expect("env")
}

#[test]
fn ssh_hosts_with_a_port_a_user_and_an_alias() {
    if !stack_available() {
        return;
    }
    let Some(sshd) = Sshd::start() else { return };
    let demo = Demo::up(&[]);
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let local = format!("url = \"unix://{}\"", "/var/run/docker.sock");
    let prod = format!("url = \"ssh://root@127.0.0.1:{}\"", sshd.port);
    let staging = "url = \"ssh://staging-box\", address = \"127.0.0.1\"".to_string();
    let over_ssh = text
        .replacen(&format!("name = \"prod-1\", {local}"), &format!("name = \"prod-1\", {prod}"), 1)
        .replacen(&format!("name = \"staging-1\", {local}"), &format!("name = \"staging-1\", {staging}"), 1);
    assert!(over_ssh.contains(&prod) && over_ssh.contains("ssh://staging-box"), "{over_ssh}");
    std::fs::write(demo.config(), &over_ssh).expect("config over ssh");
    let good = sshd.client_config("good", "client_key", false);

    // status over ssh: both hosts answer, their services are healthy.
    let (code, out, err) = opsdeck(&demo.config(), &good, &["status", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).expect("status json");
    for env in ["prod", "staging"] {
        let e = env_json(&status, env);
        assert_eq!(e["hosts"][0]["reachable"], true, "{env}: {}", e["hosts"]);
        assert_eq!(e["services"][0]["health"], "healthy", "{env}: {}", e["services"][0]);
    }
    let before = env_json(&status, "prod")["services"][0]["image"]["tag"].clone();

    // A rollback over ssh.
    let (code, _, err) =
        opsdeck(&demo.config(), &good, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = opsdeck(&demo.config(), &good, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&out).expect("status json");
    assert_ne!(env_json(&status, "prod")["services"][0]["image"]["tag"], before, "rolled back over ssh");

    // The console's Logs view on prod api, followed over ssh.
    std::env::set_var("OPSDECK_SSH_CONFIG", &good);
    let mut console = Console::spawn(&["--config", demo.config().to_str().expect("utf-8")], 160, 48);
    console.wait_text("prod", Duration::from_secs(15));
    console.focus("Environments");
    // dev -> staging -> prod.
    console.send("ll");
    console.send("L");
    console.wait_text("Logs: api/prod", Duration::from_secs(10));
    console.wait_text("listening", Duration::from_secs(20));
    console.send("q");
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    std::env::remove_var("OPSDECK_SSH_CONFIG");

    // A Docker context naming the same engine over ssh (made by the docker CLI in a folder of the
    // test's own): prod's host as `context = "..."`.
    let docker_config = sshd.path("docker-config");
    let made = Command::new("/usr/bin/docker")
        .env("DOCKER_CONFIG", &docker_config)
        .args(["context", "create", "opsdeck-t-ctx", "--docker"])
        .arg(format!("host=ssh://root@127.0.0.1:{}", sshd.port))
        .output()
        .expect("docker context create");
    assert!(made.status.success(), "docker context create: {}", String::from_utf8_lossy(&made.stderr));
    let by_context = over_ssh.replacen(&prod, "context = \"opsdeck-t-ctx\"", 1);
    std::fs::write(demo.config(), &by_context).expect("config by context");
    let out = Command::new(opsdeck_bin())
        .arg("--config")
        .arg(demo.config())
        .args(["status", "--json"])
        .env("OPSDECK_SSH_CONFIG", &good)
        .env("DOCKER_CONFIG", &docker_config)
        .output()
        .expect("status by context");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let host = &env_json(&status, "prod")["hosts"][0];
    assert_eq!(host["reachable"], true, "{host}");
    assert_eq!(host["url"].as_str(), Some(format!("ssh://root@127.0.0.1:{}", sshd.port).as_str()), "{host}");
    std::fs::write(demo.config(), &over_ssh).expect("config over ssh");

    // A refused key and a changed host key: ssh's own line, within the engine timeout.
    for (name, key, changed, want) in [
        ("refused", "other_key", false, "Permission denied"),
        ("changed", "client_key", true, "Host key verification failed"),
    ] {
        let config = sshd.client_config(name, key, changed);
        let started = Instant::now();
        let (code, out, err) = opsdeck(&demo.config(), &config, &["status", "--json"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30), "{name}: took {:?}", started.elapsed());
        let status: serde_json::Value = serde_json::from_str(&out).expect("status json");
        let host = &env_json(&status, "prod")["hosts"][0];
        assert_eq!(host["reachable"], false, "{name}: {host}");
        let reason = host["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("ssh: ") && reason.contains(want), "{name}: {reason}");
    }
    std::fs::write(demo.config(), text).expect("config back");
}
