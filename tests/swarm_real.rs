//! Prod on a Docker Swarm (`opsdeck demo up --swarm`: the test's engine made a single-node swarm,
//! 2 tasks per slot publishing in host mode), under load: promote and rollback with no failed
//! request and HAProxy's numbered servers following the tasks; a canary of an image answering
//! 10 % 500s rolls itself back; a task killed by hand mid-promote is replaced by Swarm and the
//! action ends consistent; kill -9 of opsdeck mid-promote leaves, at the next start, one healthy
//! slot taking traffic; a task Swarm cannot place fails the promote with Swarm's reason, undone; `demo down` leaves the engine a swarm or not as it found it.

mod support;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::load::under_load;
use support::{opsdeck_bin, stack_available, Demo};

fn docker(args: &[&str]) -> String {
    let out = Command::new("/usr/bin/docker").args(args).output().expect("docker");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn swarm_state() -> String {
    docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"])
}

fn prod_api(demo: &Demo) -> serde_json::Value {
    demo.status_json()["environments"][2]["services"][0].clone()
}

/// Ports the running tasks of a Swarm service publish.
fn task_ports(service: &str) -> Vec<u16> {
    let ids = docker(&["ps", "-q", "--filter", &format!("label=com.docker.swarm.service.name={service}")]);
    let mut ports: Vec<u16> = ids
        .lines()
        .filter_map(|id| {
            let port = docker(&["port", id, "8080/tcp"]);
            port.lines().next()?.rsplit_once(':')?.1.parse().ok()
        })
        .collect();
    ports.sort_unstable();
    ports
}

/// Prod api's servers taking traffic: (name, port), and whether each is UP.
fn ready_servers(demo: &Demo) -> Vec<(String, u16, bool)> {
    let mut out: Vec<(String, u16, bool)> = demo
        .lb_servers("prod", "api_prod")
        .into_iter()
        .filter(|s| s.admin == opsdeck_backends::types::AdminState::Ready)
        .map(|s| {
            let port = s.address.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(0);
            (s.server, port, s.status.starts_with("UP"))
        })
        .collect();
    out.sort();
    out
}

/// The live slot's ready servers are exactly its running tasks, all up.
fn servers_follow_tasks(demo: &Demo, what: &str) {
    let live = prod_api(demo)["live_slot"].as_str().expect("live slot").to_string();
    let ready = ready_servers(demo);
    let mut ports: Vec<u16> = ready.iter().map(|r| r.1).collect();
    ports.sort_unstable();
    assert_eq!(ports, task_ports(&format!("api-prod-{live}")), "{what}: ready servers {ready:?}");
    assert!(ready.iter().all(|(name, _, up)| name.starts_with(&live) && *up), "{what}: {ready:?}");
    assert_eq!(ready.len(), 2, "{what}: two replicas take traffic: {ready:?}");
}

fn no_failures(what: &str, ok: bool, out: &str, tally: &support::load::Tally) {
    eprintln!("{what}: {} requests, {} failed, versions {:?}", tally.sent, tally.failures.len(), tally.hosts);
    assert!(ok, "{what}: {out}");
    assert!(
        tally.failures.is_empty(),
        "{what}: {} of {} failed: {:?}",
        tally.failures.len(),
        tally.sent,
        tally.failures
    );
    assert!(tally.sent >= 20, "{what}: too little load: {}", tally.sent);
}

/// Starts `args` and returns the child once a stderr line contains `marker`, with a thread
/// that goes on reading its stderr (a closed pipe would end it) and returns every line.
fn spawn_until(demo: &Demo, args: &[&str], marker: &str) -> (std::process::Child, std::thread::JoinHandle<String>) {
    let mut child = Command::new(opsdeck_bin())
        .arg("--config")
        .arg(demo.config())
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn opsdeck");
    let stderr = child.stderr.take().expect("stderr");
    let (found_tx, found_rx) = std::sync::mpsc::channel();
    let marker = marker.to_string();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&marker) {
                let _ = found_tx.send(());
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    if found_rx.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no line with the marker: {}", reader.join().unwrap_or_default());
    }
    (child, reader)
}

#[test]
fn a_swarm_prod_promotes_rolls_back_and_canaries_under_load() {
    if !stack_available() {
        return;
    }
    let before = swarm_state();
    let demo = Demo::up(&["--swarm"]);
    assert_eq!(swarm_state(), "active");
    let url = prod_api(&demo)["url"].as_str().expect("url").to_string();
    servers_follow_tasks(&demo, "after demo up");

    // Promote: green scaled up from 0 to 2 tasks, healthy, then the switch.
    let promote = ["promote", "api", "--to", "prod", "--yes", "--watch", "2s"];
    let (ok, out, switch, tally) = under_load(&demo, &url, &promote);
    no_failures("promote", ok, &out, &tally);
    assert_eq!(prod_api(&demo)["live_slot"], "green");
    let new_hosts = tally.hosts.get("v1.3.0").map(|h| h.len()).unwrap_or(0);
    assert!(new_hosts >= 2, "both of green's tasks answered: {:?}", tally.hosts);
    servers_follow_tasks(&demo, "after promote");
    eprintln!("promote: switch {:?} from the command's start", switch);

    // Rollback: blue stayed warm (2 tasks, out of traffic): a switch.
    let rollback = ["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"];
    let (ok, out, switch, tally) = under_load(&demo, &url, &rollback);
    no_failures("warm rollback", ok, &out, &tally);
    let switch = switch.unwrap_or_else(|| panic!("no switch step: {out}"));
    eprintln!("warm rollback on the swarm: switch {} ms from the command's start", switch.as_millis());
    assert_eq!(prod_api(&demo)["live_slot"], "blue");
    servers_follow_tasks(&demo, "after rollback");

    // Cold: with keep_warm 0s the old slot is scaled to 0 after the switch; a rollback scales it
    // up again, waits for its tasks, then switches.
    let text = std::fs::read_to_string(demo.config()).expect("config");
    std::fs::write(demo.config(), format!("{text}\n[actions]\nkeep_warm = \"0s\"\n")).expect("config");
    let (ok, out, _, tally) = under_load(&demo, &url, &promote);
    no_failures("promote, old slot scaled to 0", ok, &out, &tally);
    assert_eq!(task_ports("api-prod-blue"), Vec::<u16>::new(), "blue scaled to 0");
    let (ok, out, switch, tally) = under_load(&demo, &url, &rollback);
    no_failures("cold rollback", ok, &out, &tally);
    let switch = switch.unwrap_or_else(|| panic!("no switch step: {out}"));
    eprintln!("cold rollback on the swarm: switch {} ms from the command's start", switch.as_millis());
    assert_eq!(prod_api(&demo)["live_slot"], "blue");
    servers_follow_tasks(&demo, "after a cold rollback");
    std::fs::write(demo.config(), &text).expect("config");

    // A canary of the release candidate (10 % of its answers are 500) rolls itself back.
    let canary = ["canary", "api", "--to", "prod", "--image", "v1.4.0-rc.1", "--force", "--stages", "10,50,100"];
    let args: Vec<&str> = canary.iter().chain(["--hold", "3s", "--yes", "--watch", "0s"].iter()).copied().collect();
    let started = Instant::now();
    let (ok, out, _, tally) = under_load(&demo, &url, &args);
    eprintln!(
        "failing canary on the swarm: {} requests, {} failed, back on stable after {} ms",
        tally.sent,
        tally.failures.len(),
        started.elapsed().as_millis()
    );
    assert!(!ok && out.contains("rolled back by itself at "), "{out}");
    assert!((tally.failures.len() as f64) < tally.sent as f64 * 0.05, "{} of {}", tally.failures.len(), tally.sent);
    assert_eq!(prod_api(&demo)["live_slot"], "blue");
    servers_follow_tasks(&demo, "after the canary rolled back");

    // A task of the new slot killed by hand while the promote waits for it: Swarm replaces it,
    // and the action ends consistent (done, or undone).
    let (mut child, reader) =
        spawn_until(&demo, &["promote", "api", "--to", "prod", "--yes", "--watch", "3s"], "wait for green");
    let deadline = Instant::now() + Duration::from_secs(30);
    let victim = loop {
        let ids = docker(&["ps", "-q", "--filter", "label=com.docker.swarm.service.name=api-prod-green"]);
        if let Some(id) = ids.lines().next() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "green never had a task to kill");
        std::thread::sleep(Duration::from_millis(100));
    };
    docker(&["kill", &victim]);
    let status = child.wait().expect("promote ends");
    let said = reader.join().expect("stderr");
    eprintln!("promote with a task killed: exit {:?}\n{said}", status.code());
    // Done, or undone: either way it says how it ended.
    assert!(said.contains(" succeeded") || said.contains(" failed") || said.contains(" rolled back"), "{said}");
    // Real time for Swarm to replace the task; the next command follows it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (st, _, _) = demo.opsdeck(&["status"]);
        assert!(st.success());
        let live = prod_api(&demo)["live_slot"].as_str().unwrap_or_default().to_string();
        if task_ports(&format!("api-prod-{live}")).len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "Swarm did not replace the task");
        std::thread::sleep(Duration::from_millis(500));
    }
    // The first action afterwards keeps the servers in step with the tasks.
    let (st, _, err) = demo.opsdeck(&["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(st.success(), "{err}");
    servers_follow_tasks(&demo, "after a task was killed");

    // kill -9 of opsdeck mid-promote: the next start leaves one healthy slot taking traffic.
    let (mut child, reader) =
        spawn_until(&demo, &["promote", "api", "--to", "prod", "--yes", "--watch", "30s"], "watch ");
    child.kill().expect("kill -9");
    let _ = child.wait();
    let _ = reader.join();
    let (st, _, err) = demo.opsdeck(&["status"]);
    assert!(st.success(), "{err}");
    let api = prod_api(&demo);
    assert_eq!(api["health"], "healthy", "{api}");
    let ready = ready_servers(&demo);
    let live = api["live_slot"].as_str().expect("live");
    assert!(!ready.is_empty() && ready.iter().all(|(n, _, up)| n.starts_with(live) && *up), "{ready:?}");
    assert!(support::http_get(&url).starts_with("HTTP/1.1 200"));

    // A task Swarm cannot place: the promote fails with Swarm's own reason and is undone.
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let nowhere = text.replacen("replicas = 2\n", "replicas = 2\nconstraints = [\"node.labels.nowhere==1\"]\n", 1);
    std::fs::write(demo.config(), format!("{nowhere}\n[actions]\nhealth_wait = \"8s\"\n")).expect("config");
    let live_before = prod_api(&demo)["live_slot"].clone();
    let (ok, out, _, tally) =
        under_load(&demo, &url, &["promote", "api", "--to", "prod", "--image", "v1.0.0", "--force", "--yes"]);
    eprintln!("unplaceable promote: {} requests, {} failed\n{out}", tally.sent, tally.failures.len());
    assert!(!ok, "{out}");
    assert!(out.contains("no suitable node"), "Swarm's reason: {out}");
    assert!(tally.failures.is_empty(), "traffic never moved: {:?}", tally.failures);
    assert_eq!(prod_api(&demo)["live_slot"], live_before);
    servers_follow_tasks(&demo, "after an unplaceable promote");
    std::fs::write(demo.config(), text).expect("config");

    let down = demo.down();
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    assert_eq!(swarm_state(), before, "demo down leaves the engine as it found it");
    assert_eq!(docker(&["service", "ls", "-q"]), "", "no service left");
}
