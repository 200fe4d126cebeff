//! A private registry: the CNCF registry behind htpasswd (bcrypt) and TLS with a CA the test
//! makes (openssl). The engine trusts the CA through `/etc/docker/certs.d/127.0.0.1:PORT/`
//! (removed at the end). An image is pushed with the credentials; the history is read and the
//! image pulled on the engine through the config's `[registry] username`, `password` (from a
//! file) and `ca`, as a promote's pull would; a wrong password, no credentials and no CA each give
//! a clear line naming the registry, and never the password.

use crate::common::{
    bounded, build_demo_image, demo_binary, docker, unique_hex, DockerLeftovers, CALL, PUSH, TEST_LIMIT,
};
use crate::support;
use opsdeck_backends::docker::lifecycle;
use opsdeck_backends::registry::{RegistryClient, RegistryCredentials, RegistryOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const USER: &str = "ci";
const PASSWORD: &str = "s3cret-Reg-19";

fn run(program: &str, args: &[&str], dir: &Path) {
    let out = Command::new(program).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, and a certificate for 127.0.0.1 it signs.
fn make_certs(dir: &Path) {
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=opsdeck-test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        dir,
    );
    run(
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
        dir,
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("san");
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
        dir,
    );
}

/// An htpasswd line with a bcrypt hash (the registry takes no other kind).
fn htpasswd(dir: &Path) {
    let script =
        format!("import crypt; print('{USER}:' + crypt.crypt('{PASSWORD}', crypt.mksalt(crypt.METHOD_BLOWFISH)))");
    let out = Command::new("python3").args(["-W", "ignore", "-c", &script]).output().expect("python3");
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success() && line.contains(":$2"), "bcrypt: {line} {}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.join("htpasswd"), format!("{line}\n")).expect("htpasswd");
}

/// The registry process and the engine's trust of its CA, both undone when dropped.
struct Private {
    child: Child,
    port: u16,
    certs_d: PathBuf,
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.certs_d);
    }
}

fn start(dir: &Path) -> Private {
    make_certs(dir);
    htpasswd(dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let d = dir.display();
    std::fs::write(
        dir.join("registry.yml"),
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\n\
             auth:\n  htpasswd:\n    realm: opsdeck-test\n    path: {d}/htpasswd\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: opsdeck-test-only\n  tls:\n    certificate: {d}/server.crt\n    key: {d}/server.key\n"
        ),
    )
    .expect("registry.yml");
    let certs_d = PathBuf::from(format!("/etc/docker/certs.d/127.0.0.1:{port}"));
    std::fs::create_dir_all(&certs_d).expect("certs.d");
    std::fs::copy(dir.join("ca.crt"), certs_d.join("ca.crt")).expect("engine trusts the CA");
    let child = Command::new("docker-registry")
        .args(["serve"])
        .arg(dir.join("registry.yml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry");
    let private = Private { child, port, certs_d };
    support::wait_listening(port, "the private registry", Duration::from_secs(15));
    private
}

#[tokio::test]
async fn a_private_registry_behind_htpasswd_and_tls() {
    if !support::stack_available() {
        return;
    }
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("private registry", TEST_LIMIT, async {
        let dir = support::private_tempdir();
        let private = start(dir.path());
        let host = format!("127.0.0.1:{}", private.port);
        let url = format!("https://{host}");
        let creds = RegistryCredentials { username: USER.into(), password: PASSWORD.into() };
        let auth = (host.clone(), creds.clone());

        // Pushed by the engine with the credentials (and refused without them).
        let docker = docker().await;
        let reference = format!("{host}/svc:v{}", unique_hex(6));
        build_demo_image(&docker, std::slice::from_ref(&reference), &[("DEMO_SERVICE", "svc")], &leftovers.run).await;
        let anonymous = lifecycle::push_image(&docker, &reference, PUSH).await;
        assert!(anonymous.is_err(), "pushed without credentials");
        lifecycle::push_image_as(&docker, &reference, PUSH, Some(&auth)).await.expect("push with credentials");

        // The config's way: username, password from a file, the CA relative to the config.
        std::fs::write(dir.path().join("registry-password"), format!("{PASSWORD}\n")).expect("password file");
        let text = format!(
            "state_path = \"state.db\"\n[registry]\nurl = \"{url}\"\nusername = \"{USER}\"\n\
             password = {{ file = \"registry-password\" }}\nca = \"ca.crt\"\n\
             [[environments]]\nname = \"dev\"\nhaproxy = \"unix:///nonexistent/haproxy.sock\"\n\
             hosts = [{{ name = \"dev-1\", url = \"unix:///var/run/docker.sock\" }}]\n\
             [[services]]\nname = \"svc\"\ncontainer_port = 8080\n\
             [services.environments.dev]\nbackend = \"svc_dev\"\nurl = \"http://127.0.0.1:9\"\n"
        );
        let config_path = dir.path().join("opsdeck.toml");
        std::fs::write(&config_path, text).expect("config");
        let config = opsdeck_core::config::load_file(&config_path).expect("config loads");
        assert!(!format!("{config:?}").contains(PASSWORD), "the password reached a debug print");
        let client = opsdeck_core::outside::registry_client(&config).expect("client");
        let history = client.history("svc").await.expect("history through the credentials");
        let tag = reference.rsplit_once(':').map(|(_, t)| t.to_string()).unwrap_or_default();
        assert!(history.iter().any(|im| im.tags.contains(&tag)), "{history:?}");

        // A pull on the host through the same credentials, as a promote's Prepare step does it.
        lifecycle::remove_image(&docker, &reference, CALL).await.expect("remove the local copy");
        let env = config.environment("dev").expect("dev").clone();
        let platform = opsdeck_core::outside::platform_for(&config, &env);
        platform.pull("dev-1", &reference).await.expect("pull with the config's credentials");

        // Refusals: a clear line naming the registry and the user, never the password.
        let wrong = RegistryOptions {
            credentials: Some(RegistryCredentials { username: USER.into(), password: "not-it-77".into() }),
            ca: Some(dir.path().join("ca.crt")),
        };
        let err =
            RegistryClient::with_options(&url, CALL, wrong).expect("client").list_tags("svc").await.expect_err("401");
        let line = err.to_string();
        assert!(line.contains(&format!("{url} refused as {USER}")) && line.contains("401"), "{line}");
        assert!(!line.contains("not-it-77") && !line.contains(PASSWORD), "{line}");
        let none = RegistryOptions { credentials: None, ca: Some(dir.path().join("ca.crt")) };
        let err =
            RegistryClient::with_options(&url, CALL, none).expect("client").list_tags("svc").await.expect_err("401");
        assert!(err.to_string().contains("refused without credentials"), "{err}");
        let untrusted = RegistryOptions { credentials: Some(creds), ca: None };
        let err = RegistryClient::with_options(&url, CALL, untrusted)
            .expect("client")
            .list_tags("svc")
            .await
            .expect_err("tls");
        assert!(err.to_string().contains("registry"), "{err}");
        drop(private);
    })
    .await;
}
