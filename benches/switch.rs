//! Benchmark on the demo stack (a measurement, not a gate): for a rollback to the previous release,
//! cold (`keep_warm = "0s"`: the idle slot stopped) and warm (the old slot kept running after the
//! switch), and for a promote that has to pull, the time from the command to traffic switched and to the
//! action done, while 32 clients send requests through the load balancer; and how many of those
//! requests failed. Run by `./benches/switch_time.sh [PROD_HOSTS]`, which builds what it needs;
//! `PROD_HOSTS` (default 1) is the demo's `--prod-hosts`: 2 runs prod on two Docker engines.

mod support {
    pub mod demo;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const ROUNDS: usize = 5;

fn main() {
    let bin = std::env::var("OPSDECK_BIN").unwrap_or_else(|_| "target/release/opsdeck".into());
    let prod_hosts = std::env::var("PROD_HOSTS").unwrap_or_else(|_| "1".into());
    let dir = std::env::temp_dir().join(format!("opsdeck-switch-bench-{}", std::process::id()));
    support::demo::up(&bin, &dir, &["--prod-hosts", &prod_hosts]);
    let config = dir.join("opsdeck.toml");
    let result = std::panic::catch_unwind(|| run(&bin, &config));
    support::demo::down(&bin, &dir);
    if result.is_err() {
        std::process::exit(1);
    }
}

fn run(bin: &str, config: &std::path::Path) {
    let status = opsdeck(bin, config, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status).expect("status json");
    let url = v["environments"][2]["services"][0]["url"].as_str().expect("prod api url").to_string();
    let registry = v["environments"][2]["services"][0]["image"]["reference"].as_str().unwrap_or_default().to_string();
    let addr = url.trim_start_matches("http://").to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, ok, failed, addr) = (stop.clone(), ok.clone(), failed.clone(), addr.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if get(&addr) {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();

    let original = std::fs::read_to_string(config).expect("config");
    let keep_warm = |k: &str| {
        std::fs::write(config, format!("{original}\n[actions]\nkeep_warm = \"{k}\"\n")).expect("config");
    };
    let rollback_args = ["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"];
    // Cold: the idle slot is stopped, so each rollback starts it and waits until it answers.
    keep_warm("0s");
    let cold: Vec<_> = (0..ROUNDS).map(|_| timed(bin, config, &rollback_args)).collect();
    // Warm: the old slot stays running after each switch; the first rollback makes it so.
    keep_warm("1h");
    timed(bin, config, &rollback_args);
    let warm: Vec<_> = (0..ROUNDS).map(|_| timed(bin, config, &rollback_args)).collect();
    keep_warm("0s");
    timed(bin, config, &rollback_args);
    // A promote that pulls: the host loses its copy of staging's image first.
    let repo = registry.rsplit_once(':').map(|(r, _)| r.to_string()).unwrap_or_default();
    let mut promote = Vec::new();
    for _ in 0..3 {
        let _ = Command::new("docker").args(["rmi", &format!("{repo}:v1.3.0")]).output();
        promote.push(timed(bin, config, &["promote", "api", "--to", "prod", "--yes", "--watch", "0s"]));
        // Back to the release before, for the next round.
        timed(bin, config, &["rollback", "api", "--env", "prod", "--yes", "--watch", "0s"]);
    }
    stop.store(true, Ordering::Relaxed);
    load.into_iter().for_each(|t| {
        let _ = t.join();
    });

    println!("| action | rounds | to traffic switched (median, max) | to done (median, max) |");
    println!("| --- | --- | --- | --- |");
    let rows = [
        ("rollback, cold (idle slot stopped)", &cold),
        ("rollback, warm (old slot kept running)", &warm),
        ("promote that pulls", &promote),
    ];
    for (name, runs) in rows {
        let switched: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        let done: Vec<Duration> = runs.iter().map(|r| r.1).collect();
        println!(
            "| {name} | {} | {:.2} s, {:.2} s | {:.2} s, {:.2} s |",
            runs.len(),
            median(&switched).as_secs_f64(),
            max(&switched).as_secs_f64(),
            median(&done).as_secs_f64(),
            max(&done).as_secs_f64()
        );
    }
    println!(
        "requests through the load balancer meanwhile ({CLIENTS} clients): {} answered 200, {} failed",
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
}

fn opsdeck(bin: &str, config: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(bin).arg("--config").arg(config).args(args).output().expect("run opsdeck");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs an action command; returns (time to the switch step's end, time to exit).
fn timed(bin: &str, config: &std::path::Path, args: &[&str]) -> (Duration, Duration) {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn opsdeck");
    let mut switched = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("switch traffic") && line.contains(" done") {
                switched = Some(start.elapsed());
            }
        }
    }
    let status = child.wait().expect("wait");
    assert!(status.success(), "{args:?} failed");
    let done = start.elapsed();
    (switched.unwrap_or(done), done)
}

fn get(addr: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if write!(s, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn max(v: &[Duration]) -> Duration {
    v.iter().max().copied().unwrap_or_default()
}
