//! Benchmark on the local engine (a measurement, not a gate): keys to screen in the real console
//! watching 30 services in 3 environments, blue and green each (180 containers): the demo's two
//! services plus 28 more started here from the demo's image. The console runs in a
//! pseudo-terminal; each key is timed from its write to the screen showing its effect (help
//! opened, help closed), read every millisecond. Run by `./benches/keys_latency.sh`.

// The tests' pseudo-terminal driver, of which this uses a part.
#[allow(dead_code)]
#[path = "../tests/support/pty.rs"]
mod pty;
mod support {
    pub mod demo;
}

use std::process::Command;
use std::time::{Duration, Instant};

const SERVICES: usize = 30;
const ENVS: [&str; 3] = ["dev", "staging", "prod"];
const SLOTS: [&str; 2] = ["blue", "green"];
const KEYS: usize = 200;
const LABEL: &str = "opsdeck.bench=keys";

static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The binary [`pty::Console`] starts.
pub fn opsdeck_bin() -> &'static str {
    BIN.get_or_init(|| std::env::var("OPSDECK_BIN").unwrap_or_else(|_| "target/release/opsdeck".into()))
}

fn main() {
    let bin = opsdeck_bin();
    let dir = std::env::temp_dir().join(format!("opsdeck-keys-bench-{}", std::process::id()));
    support::demo::up(bin, &dir, &[]);
    let result = std::panic::catch_unwind(|| run(&dir));
    remove_extra_containers();
    support::demo::down(bin, &dir);
    if result.is_err() {
        std::process::exit(1);
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn remove_extra_containers() {
    let ids = docker(&["ps", "-aq", "--filter", &format!("label={LABEL}")]);
    let ids: Vec<&str> = ids.lines().collect();
    if !ids.is_empty() {
        let _ = Command::new("docker").args(["rm", "-f"]).args(&ids).output();
    }
}

/// Starts the 28 extra services' containers and returns their `[[services]]` entries, each
/// environment's health URL being its blue container's published port.
fn extra_services(dir: &std::path::Path) -> String {
    let filter = format!("label=opsdeck.demo={}", dir.display());
    let image = docker(&["ps", "--filter", &filter, "--format", "{{.Image}}"]);
    let image = image.lines().next().expect("a demo container").to_string();
    let mut toml = String::new();
    let healthcheck = match std::env::var("KEYS_HEALTHCHECK").as_deref() {
        Ok("off") => ["--no-healthcheck", "--init=false"],
        _ => ["--health-interval", "30s"],
    };
    for n in 3..=SERVICES {
        let service = format!("svc{n:02}");
        toml.push_str(&format!("\n[[services]]\nname = \"{service}\"\ncontainer_port = 8080\n"));
        for env in ENVS {
            let mut url = String::new();
            for slot in SLOTS {
                let name = format!("{service}-{env}-{slot}");
                docker(&[
                    "run",
                    "-d",
                    "--name",
                    &name,
                    "--label",
                    LABEL,
                    "--label",
                    &format!("opsdeck.service={service}"),
                    "--label",
                    &format!("opsdeck.env={env}"),
                    "--label",
                    &format!("opsdeck.slot={slot}"),
                    // As real services run their HEALTHCHECK: Docker's default interval
                    // (`KEYS_HEALTHCHECK=off` leaves it out, to tell its bursts' share).
                    healthcheck[0],
                    healthcheck[1],
                    "-p",
                    "127.0.0.1::8080",
                    &image,
                ]);
                if slot == "blue" {
                    let port = docker(&["port", &name, "8080/tcp"]);
                    url = format!("http://{}", port.lines().next().expect("published port"));
                }
            }
            toml.push_str(&format!("[services.environments.{env}]\nbackend = \"{service}_{env}\"\nurl = \"{url}\"\n"));
        }
    }
    toml
}

/// Writes `key`, then reads the screen every millisecond until `done` holds: the time between.
fn time_key(console: &mut pty::Console, key: &str, done: impl Fn(&str) -> bool) -> Duration {
    let sent = Instant::now();
    console.send(key);
    loop {
        if done(&console.screen()) {
            return sent.elapsed();
        }
        assert!(sent.elapsed() < Duration::from_secs(5), "no effect of {key:?}:\n{}", console.screen());
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn run(dir: &std::path::Path) {
    let config = dir.join("opsdeck.toml");
    let started = Instant::now();
    let extra = extra_services(dir);
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&extra);
    // `KEYS_PROBE_EVERY=60s`: opsdeck's own `/health` probes of the 180 slots less often, to
    // tell their share of the slow keys.
    if let Ok(every) = std::env::var("KEYS_PROBE_EVERY") {
        text.push_str(&format!("\n[intervals]\nhealth = \"{every}\"\n"));
    }
    std::fs::write(&config, text).expect("config");
    let containers = docker(&["ps", "-q"]).lines().count();
    eprintln!(
        "{containers} containers running on the engine ({:.0} s to start the extra ones)",
        started.elapsed().as_secs_f64()
    );

    let config = config.to_string_lossy().into_owned();
    let mut console = pty::Console::spawn(&["--config", &config], 160, 48);
    console.wait_text("svc03", Duration::from_secs(30));
    // Real time for every watcher's first answer (containers, /health, HAProxy) to arrive.
    std::thread::sleep(Duration::from_secs(10));
    let pid = console.child.process_id().expect("console pid");

    let help = " Help: keys ";
    let mut times = Vec::with_capacity(KEYS);
    for _ in 0..KEYS / 2 {
        times.push(time_key(&mut console, "?", |s| s.contains(help)));
        times.push(time_key(&mut console, "\x1b", |s| !s.contains(help)));
        // Not a burst: a person presses a key now and then.
        std::thread::sleep(Duration::from_millis(20));
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_default();
    println!("| keys | median | p95 | p99 | max | console RSS |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {} | {} | {} | {} | {rss} KiB |",
        times.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(times[times.len() - 1])
    );
    console.send("q");
    let _ = console.wait_exit(Duration::from_secs(5));
}
