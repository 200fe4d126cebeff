//! prod on two real Docker engines (`opsdeck demo up --prod-hosts 2`: the local engine and a
//! second `dockerd` the demo starts): a rollback and a promote under load switch both hosts with
//! no failed request; a release that never turns healthy on one host is undone on both, traffic
//! untouched; `demo down` leaves no engine process, bridge or mount behind.

mod support;

use opsdeck::demo::{DemoInfo, DEMO_LABEL};
use opsdeck_backends::docker::lifecycle::{self, SlotSpec};
use opsdeck_backends::docker::{connect, DockerEndpoint};
use opsdeck_backends::types::labels;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;
use support::load::{run_timed, under_load, Tally};
use support::{stack_available, Demo};

/// prod api's entry in `status --json`.
fn prod_api(demo: &Demo) -> serde_json::Value {
    demo.status_json()["environments"][2]["services"][0].clone()
}

/// The admin state of each of prod api's HAProxy servers, by name.
fn servers(demo: &Demo) -> BTreeMap<String, String> {
    demo.lb_servers("prod", "api_prod").into_iter().map(|s| (s.server, format!("{:?}", s.admin))).collect()
}

fn assert_served_by(demo: &Demo, slot: &str, context: &str) {
    let s = servers(demo);
    let other = if slot == "blue" { "green" } else { "blue" };
    for host in ["prod-1", "prod-2"] {
        assert_eq!(s[&format!("{slot}-{host}")], "Ready", "{context}: {s:?}");
        assert_eq!(s[&format!("{other}-{host}")], "Maint", "{context}: {s:?}");
    }
}

fn check_load(tally: &Tally, version: &str, context: &str) {
    eprintln!(
        "{context}: {} requests, {} failed, hosts by version {:?}",
        tally.sent,
        tally.failures.len(),
        tally.hosts
    );
    assert!(
        tally.failures.is_empty(),
        "{context}: {} of {} failed: {:?}",
        tally.failures.len(),
        tally.sent,
        tally.failures
    );
    assert!(tally.sent >= 100, "{context}: too little load to say anything: {}", tally.sent);
    let hosts = tally.hosts.get(version).map(BTreeSet::len).unwrap_or(0);
    assert_eq!(hosts, 2, "{context}: {version} answered from both hosts: {:?}", tally.hosts);
}

#[test]
fn prod_on_two_engines_switches_both_hosts_under_load() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&["--prod-hosts", "2"]);
    let info = DemoInfo::read(demo.dir.path()).expect("demo.json").expect("a demo is up");
    assert_eq!(info.engines.len(), 1, "{:?}", info.engines);
    let api = prod_api(&demo);
    let hosts: Vec<&str> = api["hosts"].as_array().expect("hosts").iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(hosts, ["prod-1", "prod-2"], "{api}");
    assert!(api["hosts"].as_array().expect("hosts").iter().all(|h| h["health"] == "healthy"), "{api}");
    assert_served_by(&demo, "blue", "after up");
    let url = api["url"].as_str().expect("url").to_string();

    // A rollback to the idle release, then a promote of staging's, each under load.
    let (ok, out, switch, tally) =
        under_load(&demo, &url, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(ok, "rollback: {out}");
    eprintln!("TWO-HOST ROLLBACK: switch {:?}", switch.map(|d| d.as_millis()));
    check_load(&tally, "v1.1.0", "two-host rollback");
    assert_served_by(&demo, "green", "after the rollback");

    let (ok, out, switch, tally) =
        under_load(&demo, &url, &["promote", "api", "--to", "prod", "--yes", "--watch", "0s"]);
    assert!(ok, "promote: {out}");
    eprintln!("TWO-HOST PROMOTE: switch {:?}", switch.map(|d| d.as_millis()));
    check_load(&tally, "v1.3.0", "two-host promote");
    assert_served_by(&demo, "blue", "after the promote");
    assert_eq!(prod_api(&demo)["image"]["tag"], "v1.3.0");

    never_healthy_on_one_host_undoes_both(&demo, &info, &url);

    let (ok, out, _) = run_timed(&demo, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(!ok, "the idle slot on prod-2 is still the sick one: {out}");
    down_leaves_nothing(&demo, &info);
}

/// prod-2's idle slot is replaced by one that answers /health 503: a rollback starts both idle
/// slots, prod-2's never turns healthy, and both hosts are undone with traffic untouched.
fn never_healthy_on_one_host_undoes_both(demo: &Demo, info: &DemoInfo, url: &str) {
    let idle = prod_api(demo)["idle_image"]["tag"].as_str().expect("idle tag").to_string();
    let live = prod_api(demo)["live_slot"].as_str().expect("live").to_string();
    let idle_slot = if live == "blue" { "green" } else { "blue" };
    let engine = &info.engines[0];
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let endpoint = DockerEndpoint { url: engine.url.clone(), tls: None, timeout: Duration::from_secs(10) };
        let docker = connect(&endpoint).await.expect("prod-2's engine");
        let dir = demo.dir.path().display().to_string();
        let all = lifecycle::list_containers_by_label(&docker, &[(DEMO_LABEL, Some(&dir))], Duration::from_secs(10))
            .await
            .expect("list");
        let name = format!("api-prod-{idle_slot}");
        let c = all.iter().find(|c| c.name == name).expect("prod-2's idle api slot");
        let record = info.slots.iter().find(|s| s.host == "prod-2" && s.name == name).expect("recorded");
        let spec = SlotSpec {
            name: name.clone(),
            image: c.label(labels::IMAGE).unwrap_or(&c.image).to_string(),
            labels: c.labels.clone().into_iter().collect(),
            env: BTreeMap::from([("DEMO_START_UNHEALTHY".to_string(), "1".to_string())]),
            container_port: 8080,
            host_port: record.host_port,
            host_ip: "127.0.0.1".into(),
        };
        lifecycle::remove_container(&docker, &name, Duration::from_secs(10)).await.expect("remove");
        lifecycle::create_container(&docker, &spec, Duration::from_secs(10)).await.expect("create the sick slot");
    });
    let text = std::fs::read_to_string(demo.config()).expect("config");
    std::fs::write(demo.config(), format!("{text}\n[actions]\nhealth_wait = \"4s\"\n")).expect("short health wait");
    let before = prod_api(demo);
    let (ok, out, switch, tally) =
        under_load(demo, url, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    assert!(!ok && switch.is_none(), "a slot that never turned healthy took traffic: {out}");
    assert!(out.contains("prod-2") && out.contains("not healthy within 4s"), "names the host: {out}");
    let v = before["image"]["tag"].as_str().expect("tag");
    check_load(&tally, v, "one host never healthy");
    assert_eq!(tally.hosts.len(), 1, "only the live release answered: {:?}", tally.hosts);
    assert_served_by(demo, &live, "after the undo");
    let after = prod_api(demo);
    assert_eq!((after["live_slot"].clone(), after["health"].clone()), (before["live_slot"].clone(), "healthy".into()));
    assert_ne!(after["image"]["tag"], idle.as_str());
}

/// `demo down` stops prod-2's engine: no dockerd of it, no bridge, no mount, no runtime folder.
fn down_leaves_nothing(demo: &Demo, info: &DemoInfo) {
    let out = demo.down();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let engine = &info.engines[0];
    let socket = engine.url.trim_start_matches("unix://");
    let runtime = std::path::Path::new(socket).parent().expect("runtime folder");
    assert!(!runtime.exists(), "{} left behind", runtime.display());
    let ps = Command::new("ps").args(["-eo", "args"]).output().expect("ps");
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(!ps.lines().any(|l| l.contains(&engine.marker)), "an engine process is left:\n{ps}");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let home = demo.dir.path().join("prod-2");
    assert!(!mounts.contains(&home.display().to_string()), "a mount under {} is left", home.display());
    assert!(!mounts.contains(&runtime.display().to_string()), "a mount under {} is left", runtime.display());
    let bridges = std::fs::read_dir("/sys/class/net").expect("net").flatten();
    let ours: Vec<String> = bridges
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("od-") && n.ends_with("prod-2"))
        .collect();
    assert!(ours.is_empty(), "bridges left: {ours:?}");
}
