//! The Logs view on the real demo stack, the real binary in a pty (issue 7, part 1): `L` on
//! prod api follows both its slots (and one on a host that never answers, which says so while
//! the others stream). prod api's live slot prints 30,000 lines at 10,000 a second: the console
//! answers keys within 100 ms all along, its memory stays bounded (a second flood does not grow
//! it), and the title's kept + dropped equals every line the containers printed. Then the nasty
//! lines: escape sequences, NUL, invalid UTF-8 and bidi overrides reach the screen as plain text,
//! and the 1 MiB line is shown cut, saying by how much. Last, the live container is stopped and
//! started: the view says the stream ended, then follows it again without losing or repeating a
//! line.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::pty::Console;
use support::{http_get, stack_available, with_extra_host, Demo};

/// The ring's size: the default `[logs] lines`.
const RING: u64 = 2000;
const FLOOD_LINES: u64 = 30_000;
const FLOOD_RATE: u64 = 10_000;

/// `docker port NAME 8080` -> `127.0.0.1:PORT`.
fn published(name: &str) -> String {
    let out = Command::new("/usr/bin/docker").args(["port", name, "8080"]).output().expect("docker port");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find(|l| l.starts_with("127.0.0.1:")).map(str::to_string).unwrap_or_else(|| panic!("{name}: {text}"))
}

/// Lines a container has printed (stdout and stderr), as `docker logs` counts them.
fn docker_log_lines(name: &str) -> u64 {
    let out = Command::new("/usr/bin/docker").args(["logs", name]).output().expect("docker logs");
    (out.stdout.iter().chain(out.stderr.iter()).filter(|b| **b == b'\n').count()) as u64
}

/// The console's resident memory, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// CPU time the console has used (user + system), in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the command's closing parenthesis: state is the 3rd, utime the 14th, stime the 15th.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

/// (kept, dropped) from the Logs view's title.
fn counts(screen: &str) -> Option<(u64, u64)> {
    let number = |after: &str| -> Option<u64> {
        let start = screen.find(after)? + after.len();
        let digits: String =
            screen[start..].chars().take_while(|c| c.is_ascii_digit() || *c == ',').filter(|c| *c != ',').collect();
        digits.parse().ok()
    };
    Some((number("kept ")?, number("dropped ")?))
}

/// Waits until the title's counts have not moved for a second.
fn settled_counts(console: &Console) -> (u64, u64) {
    let mut last = None;
    let mut since = Instant::now();
    let start = Instant::now();
    loop {
        let now = counts(&console.screen());
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() > Duration::from_secs(1) {
            if let Some(c) = now {
                return c;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(30), "counts never settled:\n{}", console.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Space flips between following and paused: how long until the screen says so.
fn toggle_latency(console: &mut Console) -> Duration {
    let paused = console.screen().contains("‖ paused");
    let sent = Instant::now();
    console.send(" ");
    let want = if paused { "● following" } else { "‖ paused" };
    console.wait_text(want, Duration::from_secs(5));
    sent.elapsed()
}

/// The demo's config with prod given a second host whose engine accepts connections and never
/// answers (its slots must show as unreachable while prod-1's stream).
fn config_with_a_silent_host(demo: &Demo, port: u16) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let out = with_extra_host(&text, "prod", "prod-9", &format!("tcp://127.0.0.1:{port}"));
    let path = demo.dir.path().join("opsdeck-logs.toml");
    std::fs::write(&path, out).expect("write config");
    path
}

#[test]
fn the_logs_view_under_a_flood_and_nasty_lines() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let v = demo.status_json();
    let live = v["environments"][2]["services"][0]["live_slot"].as_str().expect("live slot").to_string();
    let idle = if live == "blue" { "green" } else { "blue" };
    let (live_name, idle_name) = (format!("api-prod-{live}"), format!("api-prod-{idle}"));
    let live_addr = published(&live_name);

    // An engine that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in silent.incoming().take(64).flatten() {
            conns.push(c);
        }
    });
    let config = config_with_a_silent_host(&demo, port);
    let cfg = config.to_str().expect("utf-8 path").to_string();

    let mut console = Console::spawn(&["--config", &cfg], 120, 40);
    let pid = console.child.process_id().expect("pid");
    console.wait_text("Environments", Duration::from_secs(15));
    console.wait_text("healthy", Duration::from_secs(20));
    // prod (the third column), api (the first row): L.
    console.send("ll");
    std::thread::sleep(Duration::from_millis(300));
    let lines_before_live = docker_log_lines(&live_name);
    let lines_idle = docker_log_lines(&idle_name);
    assert!(lines_before_live < RING && lines_idle < RING, "{lines_before_live} {lines_idle}: the tail would cut");
    console.send("L");
    console.wait_text("Logs: api/prod (4 slots)", Duration::from_secs(5));
    // The live slot's start (its environment line) arrives; prod-9's slots say they cannot be
    // reached, within the engine timeout (3 s) and a margin.
    console.wait_text("environment: ", Duration::from_secs(10));
    let unreachable = console.wait_for("prod-9 unreachable", Duration::from_secs(8), |s| {
        s.contains("blue@prod-9: unreachable") && s.contains("green@prod-9: unreachable")
    });
    eprintln!("prod-9 shown unreachable after {unreachable:?} more");
    let rss_before = rss_kib(pid);
    // The same keys with no flood, on the machine as loaded now: what the flood adds is the
    // difference.
    let mut quiet = Vec::new();
    for _ in 0..30 {
        quiet.push(toggle_latency(&mut console));
        std::thread::sleep(Duration::from_millis(50));
    }
    if console.screen().contains("‖ paused") {
        console.send("G");
        console.wait_text("● following", Duration::from_secs(2));
    }
    quiet.sort();
    eprintln!(
        "key latency without a flood: {} keys, median {:?}, max {:?}",
        quiet.len(),
        quiet[quiet.len() / 2],
        quiet[quiet.len() - 1]
    );

    // The flood, from another thread; keys meanwhile.
    let mut latencies = Vec::new();
    let mut rss_after = Vec::new();
    for round in 0..2 {
        let url = format!("http://{live_addr}/logs?lines={FLOOD_LINES}&rate={FLOOD_RATE}");
        let flood = std::thread::spawn(move || http_get(&url));
        let (_, dropped_at_start) = counts(&console.screen()).expect("counts");
        let started = Instant::now();
        let cpu_at_start = cpu_ticks(pid);
        let drawn_at_start = console.raw_output().len();
        // Let it get going, then toggle pause/follow throughout.
        std::thread::sleep(Duration::from_millis(300));
        while !flood.is_finished() && started.elapsed() < Duration::from_secs(10) {
            latencies.push(toggle_latency(&mut console));
            std::thread::sleep(Duration::from_millis(50));
        }
        let answer = flood.join().expect("flood thread");
        let flood_took = started.elapsed();
        let cpu = (cpu_ticks(pid) - cpu_at_start) as f64 / 100.0 / flood_took.as_secs_f64() * 100.0;
        let drawn = (console.raw_output().len() - drawn_at_start) as f64 / 1024.0 / flood_took.as_secs_f64();
        assert!(answer.contains(&format!("\"lines\":{FLOOD_LINES}")), "{answer}");
        let (_, dropped_now) = counts(&console.screen()).expect("counts");
        assert!(dropped_now > dropped_at_start, "the flood was seen while keys were pressed");
        if console.screen().contains("‖ paused") {
            console.send("G");
            console.wait_text("● following", Duration::from_secs(2));
        }
        let (kept, dropped) = settled_counts(&console);
        let printed_live = docker_log_lines(&live_name);
        let expected = printed_live + lines_idle;
        eprintln!(
            "round {round}: flood took {flood_took:?}, console CPU {cpu:.0} % of a core and {drawn:.0} KiB/s to the terminal meanwhile; kept {kept}, dropped {dropped}; docker logs: {printed_live} ({live_name}) + {lines_idle} ({idle_name}) = {expected}"
        );
        assert_eq!(kept + dropped, expected, "every line printed is kept or counted as dropped");
        assert_eq!(kept, RING + lines_idle, "the live slot's ring is full, the idle slot's lines all kept");
        let screen = console.screen();
        assert!(
            screen.contains(&format!("log line {FLOOD_LINES} of {FLOOD_LINES}")) || screen.contains("GET /logs"),
            "{screen}"
        );
        rss_after.push(rss_kib(pid));
    }
    let max = latencies.iter().max().copied().unwrap_or_default();
    let mut sorted = latencies.clone();
    sorted.sort();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    let p95 = sorted.get(sorted.len() * 95 / 100).copied().unwrap_or_default();
    eprintln!(
        "key latency under flood: {} keys, median {median:?}, p95 {p95:?}, max {max:?}; RSS KiB before {rss_before}, after each flood {rss_after:?}; load average {}",
        latencies.len(),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    assert!(latencies.len() >= 10, "too few keys measured: {}", latencies.len());
    assert!(max < Duration::from_millis(100), "a key took {max:?} under the flood: {latencies:?}");
    // Bounded: the second flood (another 30,000 lines) does not grow the console.
    assert!(rss_after[1] <= rss_after[0] + 4 * 1024, "RSS grew: {rss_before} -> {rss_after:?} KiB");
    assert!(rss_after[1] < rss_before + 64 * 1024, "RSS grew: {rss_before} -> {rss_after:?} KiB");
    // prod-9 still said unreachable while prod-1 streamed.
    assert!(console.screen().contains("blue@prod-9: unreachable"), "{}", console.screen());

    // The nasty lines.
    let answer = http_get(&format!("http://{live_addr}/logs/nasty"));
    assert!(answer.contains("\"nasty\":true"), "{answer}");
    console.wait_text("nasty: done", Duration::from_secs(10));
    let screen = console.screen();
    for want in [
        "nasty: red and bold underlined",
        "nasty: title  and link text",
        "nasty: nul  byte, bell , backspace , cr  mid",
        // The replacement characters follow it (the unit tests check them); vt100, this test's
        // terminal, does not draw U+FFFD.
        "nasty: invalid ",
        "nasty: bidi desrever c1 31m",
    ] {
        assert!(screen.contains(want), "{want:?} not on screen:\n{screen}");
    }
    // 11 bytes of "nasty: big ", 1 MiB of A, " END": all but the first 64 KiB cut, and said so.
    let cut = 11 + 1024 * 1024 + 4 - 64 * 1024;
    let marker = format!("[+{},{:03} bytes cut] nasty: big AAAA", cut / 1000, cut % 1000);
    assert!(screen.contains(&marker), "{marker:?} not on screen:\n{screen}");
    // Nothing the lines carried reached the terminal as a control sequence.
    let raw = console.raw_output();
    let text = String::from_utf8(raw.clone()).expect("the console wrote valid UTF-8 only");
    assert!(!raw.contains(&0), "a NUL byte reached the terminal");
    for seq in ["\x1b]0;pwned", "\x1b]8;;", "\x1bc", "\u{202E}", "\u{9b}"] {
        assert!(!text.contains(seq), "{seq:?} reached the terminal");
    }

    // The live container stops: its stream ends and the view says so; it starts again: the view
    // follows it from its last line, so every line is still kept or counted once.
    let docker = |args: &[&str]| {
        let out = Command::new("/usr/bin/docker").args(args).output().expect("docker");
        assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    docker(&["stop", "-t", "5", &live_name]);
    console.wait_text(
        &format!("{live}@prod-1: stream ended: the container stopped, resumes when it runs"),
        Duration::from_secs(10),
    );
    docker(&["start", &live_name]);
    console.wait_for("the live slot followed again", Duration::from_secs(15), |s| {
        !s.contains(&format!("{live}@prod-1: stream ended")) && s.contains(" listening on :")
    });
    let (kept, dropped) = settled_counts(&console);
    let expected = docker_log_lines(&live_name) + lines_idle;
    eprintln!("after a stop and a start: kept {kept}, dropped {dropped}, docker logs {expected}");
    assert_eq!(kept + dropped, expected, "a line was lost or shown twice across the restart");

    console.send("q");
    console.wait_for("the view closed", Duration::from_secs(2), |s| !s.contains("Logs: api/prod"));
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    drop(held);
}
