//! Health over time and the container detail on the real demo stack: with traffic sent through
//! HAProxy to prod api, the console in a pty (160x48) shows latency, req/s and 5xx/s sparklines in
//! the Health pane; `v` charts the live slot with a non-zero req/s; Enter shows the real
//! container's image tag and digest (as Docker and the registry know them), its labels, and its
//! environment with the demo's secret `API_TOKEN` masked; no byte drawn carries the secret. At
//! 80x24 the latency sparkline still shows.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::pty::Console;
use support::{stack_available, Demo};

/// The demo's secret value (`opsdeck::demo` writes it into its config and gives it to every slot).
const SECRET: &str = "s3cr3t-Val-42";
const MASK: &str = "••••";
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The number before " req/s" in the chart's summary line ("… · 12 req/s (max 14) · …").
fn chart_req_rate(screen: &str) -> Option<f64> {
    let line = screen.lines().find(|l| l.contains("req/s (max"))?;
    let before = line.split(" req/s (max").next()?;
    let word = before.rsplit(' ').next()?;
    let k = word.ends_with('k');
    let n: f64 = word.trim_end_matches('k').parse().ok()?;
    Some(if k { n * 1000.0 } else { n })
}

#[test]
fn sparklines_chart_and_container_detail_on_the_demo_stack() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let v = demo.status_json();
    let api = &v["environments"][2]["services"][0];
    assert_eq!((api["name"].as_str(), v["environments"][2]["name"].as_str()), (Some("api"), Some("prod")));
    let url = api["url"].as_str().expect("prod api url through HAProxy").to_string();
    let tag = api["image"]["tag"].as_str().expect("tag").to_string();
    let digest = api["image"]["digest"].as_str().expect("digest").to_string();
    let live = api["live_slot"].as_str().expect("live slot").to_string();

    // Traffic through the load balancer for as long as the test runs.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let traffic = {
        let (stop, answered, url) = (stop.clone(), answered.clone(), url.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if support::http_get(&format!("{url}/")).starts_with("HTTP/1.") {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    let cfg = demo.config().to_str().expect("utf-8 path").to_string();
    let mut console = Console::spawn(&["--config", &cfg], 160, 48);
    console.wait_text("HighErrorRate", Duration::from_secs(15));
    console.send("ll"); // prod
    console.focus("Health");
    console.wait_for("the three sparkline columns", Duration::from_secs(15), |s| {
        s.contains("latency") && s.contains("req/s") && s.contains("5xx/s")
    });
    // prod api's live slot is the first row: sparkline bars on its line, and a req/s figure.
    let row = console.wait_for("bars on api's live row", Duration::from_secs(20), |s| {
        s.lines()
            .find(|l| l.contains(&format!("api {live}")))
            .is_some_and(|l| l.chars().filter(|c| BARS.contains(c)).count() >= 3)
    });
    eprintln!("sparklines after {row:?}");

    // The chart: non-zero req/s while traffic flows.
    console.send("v");
    console.wait_text("Health over time · api/prod", Duration::from_secs(2));
    console.wait_text("600s ago", Duration::from_secs(2));
    console.wait_for("a non-zero req/s in the chart", Duration::from_secs(20), |s| {
        chart_req_rate(s).is_some_and(|r| r > 0.0)
    });
    let screen = console.screen();
    let rate = chart_req_rate(&screen).unwrap_or_default();
    eprintln!("chart req/s {rate} after {} answered requests", answered.load(Ordering::Relaxed));
    assert!(screen.contains("300s ago") && screen.contains("now"), "x axis in seconds ago:\n{screen}");
    console.send("\x1b");
    console.wait_for("the chart closed", Duration::from_secs(2), |s| !s.contains("Health over time"));

    // The container detail: the real image tag and digest, labels, the secret masked.
    console.send("\r");
    console.wait_text(&format!("Container api-prod-{live}"), Duration::from_secs(2));
    console.wait_text("environment (", Duration::from_secs(10));
    let screen = console.screen();
    // The overlay's line that starts with `name` (the part between its borders).
    let field = |name: &str| {
        screen
            .lines()
            .flat_map(|l| l.split('┃'))
            .find(|c| c.trim_start().starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(field("tag").contains(&tag), "tag {tag}:\n{screen}");
    assert!(screen.contains(&digest), "digest {digest}:\n{screen}");
    assert!(screen.contains("opsdeck.service") && screen.contains("opsdeck.slot"), "labels:\n{screen}");
    assert!(field("API_TOKEN").contains(MASK), "API_TOKEN masked:\n{screen}");
    assert!(field("LOG_LEVEL").contains("info"), "plain values shown:\n{screen}");
    assert!(screen.contains("health log") && screen.contains("exit 0"), "HEALTHCHECK runs:\n{screen}");
    assert!(!screen.contains(SECRET), "the secret on screen:\n{screen}");
    console.send("\x1b");
    console.wait_for("the detail closed", Duration::from_secs(2), |s| !s.contains("environment ("));

    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    assert!(!raw.contains(SECRET), "the secret in the bytes drawn");

    // At 80x24 the latency sparkline still fits (the history starts again with the process).
    let mut small = Console::spawn(&["--config", &cfg], 80, 24);
    small.wait_text("HighErrorRate", Duration::from_secs(15));
    small.send("ll");
    small.focus("Health");
    small.wait_for("the latency column at 80x24", Duration::from_secs(20), |s| {
        s.contains("latency")
            && s.lines()
                .find(|l| l.contains(&format!("api {live}")))
                .is_some_and(|l| l.chars().any(|c| BARS.contains(&c)))
    });
    small.send("q");
    assert!(small.wait_exit(Duration::from_secs(10)).is_some_and(|s| s.success()), "opsdeck did not quit");
    stop.store(true, Ordering::Relaxed);
    let _ = traffic.join();
    assert!(answered.load(Ordering::Relaxed) > 0, "no request answered through HAProxy");
}
