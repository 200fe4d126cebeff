//! End to end, no stack needed: the real binary in a pty, pointed at a Docker host that accepts
//! TCP and never answers, one that refuses, a registry and an Alertmanager that hang, and an
//! HAProxy socket that does not exist. Each shows as unreachable with its reason within the
//! configured timeout, and keys still answer within 100 ms.

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::pty::Console;

/// A listener that accepts every connection and never says a word.
fn black_hole() -> (u16, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Ok(mut held) = h.lock() {
                held.push(stream);
            }
        }
    });
    (port, held)
}

/// A loopback port with nothing listening.
fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn write_config(dir: &std::path::Path, hung: u16, refused: u16) -> std::path::PathBuf {
    let text = format!(
        r#"state_path = "state.db"
[registry]
url = "http://127.0.0.1:{hung}"
[alertmanager]
url = "http://127.0.0.1:{hung}"
[timeouts]
docker = "1s"
registry = "1s"
haproxy = "1s"
alertmanager = "1s"
health = "1s"

[[environments]]
name = "prod"
haproxy = "unix://{dir}/no-such-haproxy.sock"
hosts = [
  {{ name = "prod-hung", url = "tcp://127.0.0.1:{hung}" }},
  {{ name = "prod-refused", url = "tcp://127.0.0.1:{refused}" }},
]

[[services]]
name = "api"
container_port = 8080
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:{refused}"
"#,
        dir = dir.display()
    );
    let path = dir.join("opsdeck.toml");
    std::fs::File::create(&path).and_then(|mut f| f.write_all(text.as_bytes())).expect("write config");
    path
}

#[test]
fn dead_systems_show_as_unreachable_and_keys_stay_fast() {
    let dir = support::private_tempdir();
    let (hung, _held) = black_hole();
    let refused = refused_port();
    let config = write_config(dir.path(), hung, refused);
    let config_arg = config.to_str().expect("utf-8 path");

    // Headless first: the same facts, as JSON, within the timeouts.
    let start = std::time::Instant::now();
    let out = std::process::Command::new(support::opsdeck_bin())
        .args(["--config", config_arg, "status", "--json"])
        .output()
        .expect("status");
    let took = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(took < Duration::from_secs(5), "status took {took:?} with 1 s timeouts");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let hosts = &v["environments"][0]["hosts"];
    assert_eq!(hosts[0]["reachable"], false);
    assert!(hosts[0]["reason"].as_str().is_some_and(|r| r.contains("no answer within 1s")), "{hosts}");
    assert!(hosts[0]["since"].is_string());
    assert_eq!(hosts[1]["reachable"], false);
    assert!(hosts[1]["reason"].as_str().is_some_and(|r| r.contains("refused")), "{hosts}");
    assert_eq!(v["registry"]["reachable"], false);
    assert_eq!(v["alertmanager"]["reachable"], false);
    assert_eq!(v["environments"][0]["haproxy"]["reachable"], false);
    assert_eq!(v["environments"][0]["services"][0]["health"], "unreachable");

    // The console: the reasons reach the screen within the timeout, and keys answer at once.
    let mut console = Console::spawn(&["--config", config_arg], 100, 30);
    console.wait_text("no answer within 1s", Duration::from_secs(4));
    console.wait_text("refused", Duration::from_secs(4));
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        console.send("?");
        let shown = console.wait_text("navigation", Duration::from_secs(2));
        assert!(shown < Duration::from_millis(100), "help took {shown:?} to appear");
        console.send("?");
        let hidden = console.wait_for("help to close", Duration::from_secs(2), |s| !s.contains("navigation"));
        assert!(hidden < Duration::from_millis(100), "help took {hidden:?} to close");
        worst = worst.max(shown).max(hidden);
    }
    eprintln!("slowest key to screen with every system dead or hung: {worst:?}");
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
    assert!(console.restored(), "terminal not restored");
}

/// Enter on a slot of a host that never answers: the container detail opens at once, says it is
/// inspecting, then shows the engine's timeout; Esc closes it, and keys answer throughout.
#[test]
fn the_container_detail_of_a_dead_host_shows_its_error() {
    let dir = support::private_tempdir();
    let (hung, _held) = black_hole();
    let config = write_config(dir.path(), hung, refused_port());
    let config_arg = config.to_str().expect("utf-8 path");
    let mut console = Console::spawn(&["--config", config_arg], 100, 30);
    console.wait_text("no answer within 1s", Duration::from_secs(4));
    console.send("\t\t"); // Environments -> Images -> Health
    console.wait_text("┏ Health", Duration::from_secs(2));
    console.send("\r");
    let opened = console.wait_text("Container api-prod-blue", Duration::from_secs(2));
    assert!(opened < Duration::from_millis(100), "the overlay took {opened:?} to open");
    let failed = console.wait_for("the engine's error in the overlay", Duration::from_secs(5), |s| {
        s.contains("✗ docker: no answer within 1s") && s.contains("could not be inspected")
    });
    eprintln!("detail of a dead host: error shown after {failed:?}");
    console.send("\x1b");
    let closed = console.wait_for("the overlay closed", Duration::from_secs(2), |s| !s.contains("Container api-prod"));
    assert!(closed < Duration::from_millis(100), "Esc took {closed:?}");
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
}

#[test]
fn signals_restore_the_terminal() {
    let dir = support::private_tempdir();
    let (hung, _held) = black_hole();
    let config = write_config(dir.path(), hung, refused_port());
    let config_arg = config.to_str().expect("utf-8 path");
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let mut console = Console::spawn(&["--config", config_arg], 80, 24);
        console.wait_text("Environments", Duration::from_secs(5));
        let pid = console.child.process_id().expect("pid") as i32;
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(pid, signal) };
        assert!(console.wait_exit(Duration::from_secs(5)).is_some(), "signal {signal} did not end opsdeck");
        assert!(console.restored(), "terminal not restored after signal {signal}");
    }
}

#[test]
fn a_bad_config_names_file_line_and_column_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, "state_path = \"s.db\"\nregistry = { url = \"http://x\" }\nbogus = 1\n").expect("write");
    let out = std::process::Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(&path)
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("{}:3:1: ", path.display())), "{err}");
    assert!(err.contains("unknown field `bogus`"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
