//! The console in a pty on the demo stack: silence the demo's alert, expire it, then roll back
//! and abort while the old server drains.

use crate::common::{demo_with_alertmanager, silence_until, DEMO};
use crate::support;
use std::time::Duration;

/// `GET path` on a fresh blocking connection in a thread; the status line's code.
fn slow_get_thread(addr: std::net::SocketAddr, path: &'static str) -> std::thread::JoinHandle<Option<u16>> {
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        text.split_whitespace().nth(1).and_then(|c| c.parse().ok())
    })
}

/// The console in a pty, 160x48: `s` on the demo's alert, a comment, Enter -> the status bar
/// names the silence and Alertmanager has it; `S`, `x`, `y` -> expired. Then `r` on prod api with
/// slow requests holding sessions on the live slot: the drain view shows them, `C`, `y` switch
/// traffic back and the action ends "aborted by".
#[test]
fn the_console_silences_expires_and_aborts_back_in_a_pty() {
    if !support::stack_available() {
        return;
    }
    let _turn = DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let (demo, rt, client) = demo_with_alertmanager();
    let user = opsdeck_core::identity::current_user();

    let cfg = demo.config();
    let cfg = cfg.to_str().expect("utf-8");
    let mut console = support::pty::Console::spawn(&["--config", cfg], 160, 48);
    console.wait_text("HighErrorRate", Duration::from_secs(15));
    console.wait_text("healthy", Duration::from_secs(15));
    // Tab to Alerts (Environments, Images, Health, Alerts), s, to the comment, type, Enter.
    console.send("\t\t\t");
    console.send("s");
    console.wait_text("Silence HighErrorRate", Duration::from_secs(2));
    console.send("\t\t");
    console.send("pty e2e");
    console.send("\r");
    console.wait_text("silenced alertname=HighErrorRate", Duration::from_secs(10));
    let mine = |state: &str| {
        rt.block_on(client.silences())
            .expect("silences")
            .into_iter()
            .find(|s| s.created_by == user && s.comment == "pty e2e" && s.state == state)
    };
    let created = mine("active").expect("the silence is active in Alertmanager");
    // S lists it; x, y expire it.
    console.send("S");
    console.wait_text("Silences · 1 active", Duration::from_secs(10));
    console.send("x");
    console.wait_text(&format!("expire silence {} now?", created.id), Duration::from_secs(2));
    console.send("y");
    console.wait_text(&format!("silence {} expired", created.id), Duration::from_secs(10));
    assert_eq!(rt.block_on(silence_until(&client, &created.id, |s| s.state == "expired")).state, "expired");
    // S closes the list (a lone Esc followed at once by more keys would read as Alt-<key>).
    console.send("S");
    console.wait_for("the list closed", Duration::from_secs(2), |s| !s.contains("Silences ·"));

    // Back to Environments (Alerts -> Actions -> Approvals -> Environments), prod, r.
    console.send("\t\t\t");
    console.send("ll");
    console.send("r");
    console.wait_for("the confirmation", Duration::from_secs(5), |s| s.contains("Roll back api/prod"));
    let config = opsdeck_core::config::load(&demo.config()).expect("demo config");
    let url = &config.service("api").expect("api").environments["prod"].url;
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse().expect("addr");
    let slow: Vec<_> = (0..4).map(|_| slow_get_thread(addr, "/slow?ms=15000")).collect();
    std::thread::sleep(Duration::from_millis(300));
    console.send("y");
    let took = console.wait_for("the drain view", Duration::from_secs(30), |s| {
        s.contains("draining blue: ") || s.contains("draining green: ")
    });
    eprintln!("drain view after {took:?}");
    console.send("C");
    console.wait_text("and switch traffic back to", Duration::from_secs(2));
    console.send("y");
    console.wait_text(&format!("aborted by {user}"), Duration::from_secs(30));
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(30)).is_some_and(|s| s.success()), "opsdeck did not quit");
    for s in slow {
        assert_eq!(s.join().expect("slow request"), Some(200), "the held requests were served");
    }
    let (_, out, _) = demo.opsdeck(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("status json");
    assert_eq!(v["environments"][2]["services"][0]["image"]["tag"], "v1.2.0", "still on the old image");
    assert_eq!(v["actions"][0]["outcome"], "rolled_back");
    let (st, audit, err) = demo.opsdeck(&["audit", "--json"]);
    assert!(st.success(), "{err}");
    let records: serde_json::Value = serde_json::from_str(&audit).expect("audit json");
    let silences: Vec<&str> = records
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["kind"] == "silence")
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert_eq!(silences, ["created", "expired"]);
    drop(demo);
}
