//! Silences against the real Alertmanager, and the drain's abort on the real demo stack:
//! a. the console's flow: `s` on a firing alert, a comment, Enter -> the command the runtime
//!    carries out (the action layer's `silences::create`, audited) -> the silence is listed active
//!    and the alert suppressed; `S`, `x`, `y` -> expired, audited;
//! b. `opsdeck rollback --silence` on the demo stack: while it runs the service's alerts in the
//!    environment are silenced (the demo's HighErrorRate alert is suppressed); after it the
//!    silence is expired;
//! c. `C` while the old server drains (a slow request holds a session on it): traffic goes back
//!    to the old slot and the action ends "aborted by <user>".

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::actions::real_ops::RealOps;
use opsdeck::actions::{plan, ActionEvent, ActionKind, Executor, Target, Timing};
use opsdeck::config::Config;
use opsdeck::model::{Model, Pane};
use opsdeck::msg::{Cmd, Msg};
use opsdeck::stack::Alertmanager;
use opsdeck::store::{ActionOutcome, Holder, Store};
use opsdeck::update::update;
use opsdeck_backends::alertmanager::{AlertmanagerClient, NewAlert};
use opsdeck_backends::types::Silence;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const CALL: Duration = Duration::from_secs(10);

/// The two demo-stack tests take turns: one demo per Docker engine at a time.
static DEMO: Mutex<()> = Mutex::new(());

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// A config with no environments but this Alertmanager, its store in `dir`.
fn config_for(am_url: &str, dir: &std::path::Path) -> Arc<Config> {
    let text = format!(
        "state_path = \"{}\"\n[registry]\nurl = \"http://127.0.0.1:5000\"\n[alertmanager]\nurl = \"{am_url}\"\n\
         [[environments]]\nname = \"prod\"\nhaproxy = \"unix:///nonexistent/h.sock\"\nhosts = [{{ name = \"prod-1\", url = \"unix:///nonexistent/docker.sock\" }}]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
         [services.environments.prod]\nbackend = \"api_prod\"\nurl = \"http://127.0.0.1:1\"\n",
        dir.join("state.db").display()
    );
    Arc::new(opsdeck::config::parse_str(&text).unwrap_or_else(|e| panic!("config: {e:?}")))
}

/// Polls until `pred` holds on the silence `id` (bounded); returns it.
async fn silence_until(client: &AlertmanagerClient, id: &str, pred: impl Fn(&Silence) -> bool) -> Silence {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = client.silences().await.expect("silences");
        if let Some(s) = list.iter().find(|s| s.id == id) {
            if pred(s) || Instant::now() >= deadline {
                return s.clone();
            }
        }
        assert!(Instant::now() < deadline, "silence {id} never listed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn alert_state(client: &AlertmanagerClient, name: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = client
            .alerts()
            .await
            .expect("alerts")
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.state)
            .unwrap_or_default();
        if state == want || Instant::now() >= deadline {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_console_silences_an_alert_lists_it_and_expires_it() {
    if !support::stack_available() {
        return;
    }
    let dir = support::private_tempdir();
    let am = Alertmanager::start(dir.path()).await.expect("start alertmanager");
    let client = AlertmanagerClient::new(&am.url(), CALL).expect("client");
    let config = config_for(&am.url(), dir.path());
    let alert = NewAlert {
        labels: BTreeMap::from(
            [("alertname", "HighErrorRate"), ("service", "api"), ("env", "prod"), ("severity", "critical")]
                .map(|(k, v)| (k.to_string(), v.to_string())),
        ),
        starts_at: Some(chrono::Utc::now()),
        ends_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..NewAlert::default()
    };
    client.post_alerts(&[alert]).await.expect("post alert");
    assert_eq!(alert_state(&client, "HighErrorRate", "active").await, "active");

    let exec = Executor {
        ops: Arc::new(RealOps::new(config.clone()).expect("ops")),
        store: Arc::new(Mutex::new(Store::open(&config.state_path).expect("store"))),
        events: tokio::sync::mpsc::unbounded_channel().0,
        holder: Holder::this_process("alice"),
    };
    let mut model = Model::new(config.clone(), "alice".into(), chrono::Utc::now());
    update(&mut model, Msg::Alerts(Ok(client.alerts().await.expect("alerts"))));
    model.ui.focus = Pane::Alerts;

    // s, the comment, Enter.
    update(&mut model, key(KeyCode::Char('s')));
    assert!(model.ui.silence_form.is_some(), "{:?}", model.ui.notice);
    update(&mut model, key(KeyCode::Tab));
    update(&mut model, key(KeyCode::Backspace));
    update(&mut model, key(KeyCode::Backspace));
    for c in "20m".chars() {
        update(&mut model, key(KeyCode::Char(c)));
    }
    update(&mut model, key(KeyCode::Tab));
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty(), "no comment, no silence");
    for c in "rolling api back".chars() {
        update(&mut model, key(KeyCode::Char(c)));
    }
    let cmds = update(&mut model, key(KeyCode::Enter));
    let [Cmd::CreateSilence(new)] = cmds.as_slice() else { panic!("{cmds:?}") };
    let id = opsdeck::actions::silences::create(&exec, new).await.expect("create silence");

    // Listed (through the collector's fetch, as the console polls it), active; the alert is
    // suppressed.
    let listed = opsdeck::collect::fetch_silences(&config).await.expect("alertmanager configured");
    update(&mut model, listed);
    let rows = model.silences.rows(20);
    let got = rows.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} not in {rows:?}"));
    assert_eq!(
        (got.state.as_str(), got.created_by.as_str(), got.comment.as_str()),
        ("active", "alice", "rolling api back")
    );
    let names: Vec<&str> = got.matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["alertname", "env", "service", "severity"]);
    let minutes = (got.ends_at - got.starts_at).num_minutes();
    assert!((19..=20).contains(&minutes), "{minutes}");
    assert_eq!(alert_state(&client, "HighErrorRate", "suppressed").await, "suppressed");

    // S, x, y: expired.
    update(&mut model, key(KeyCode::Char('S')));
    update(&mut model, key(KeyCode::Char('x')));
    let cmds = update(&mut model, key(KeyCode::Char('y')));
    assert_eq!(cmds, vec![Cmd::ExpireSilence(id.clone())]);
    opsdeck::actions::silences::expire(&exec, &id, "alertname=HighErrorRate").await.expect("expire");
    let got = silence_until(&client, &id, |s| s.state == "expired").await;
    assert_eq!(got.state, "expired");
    assert_eq!(alert_state(&client, "HighErrorRate", "active").await, "active");

    // Both are in the audit trail, with who and what.
    let records = exec.store.lock().expect("store").audit(None).expect("audit");
    let silences: Vec<_> = records.iter().filter(|r| r.entry.kind == "silence").collect();
    let outcomes: Vec<&str> = silences.iter().map(|r| r.entry.outcome.as_str()).collect();
    assert_eq!(outcomes, ["created", "expired"]);
    assert!(silences.iter().all(|r| r.entry.user == "alice"));
    assert_eq!(silences[0].entry.detail["id"], id.as_str());
    assert_eq!(silences[0].entry.detail["comment"], "rolling api back");
    am.stop().await.expect("stop alertmanager");
}

/// The demo stack, a runtime to call from, and a client of the demo's Alertmanager.
fn demo_with_alertmanager() -> (support::Demo, tokio::runtime::Runtime, AlertmanagerClient) {
    let demo = support::Demo::up(&[]);
    let config = opsdeck::config::load(&demo.config()).expect("demo config");
    let am_url = config.alertmanager.as_ref().expect("demo alertmanager").url.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = AlertmanagerClient::new(&am_url, CALL).expect("client");
    (demo, rt, client)
}

#[test]
fn a_rollback_with_silence_silences_only_while_it_runs() {
    if !support::stack_available() {
        return;
    }
    let _turn = DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let (demo, rt, client) = demo_with_alertmanager();
    assert_eq!(rt.block_on(alert_state(&client, "HighErrorRate", "active")), "active", "the demo's alert fires");

    let cfg = demo.config();
    let mut child = Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(&cfg)
        .args(["rollback", "api", "--env", "prod", "--yes", "--silence", "--watch", "3s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn rollback");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    let mut id = None;
    let mut during = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if id.is_none() {
            if let Some(rest) = line.split_once("silence api's alerts in prod done: silence ").map(|(_, r)| r) {
                let sid = rest.split_whitespace().next().expect("id").to_string();
                // While the action runs: the silence is active and the demo alert suppressed.
                let s = rt.block_on(silence_until(&client, &sid, |s| s.state == "active"));
                let alert = rt.block_on(alert_state(&client, "HighErrorRate", "suppressed"));
                during = Some((s, alert));
                id = Some(sid);
            }
        }
        lines.push(line);
    }
    let status = child.wait().expect("wait");
    let log = lines.join("\n");
    assert!(status.success(), "{log}");
    let id = id.unwrap_or_else(|| panic!("no silence step in:\n{log}"));
    let (s, alert) = during.expect("seen during");
    assert_eq!(s.state, "active");
    assert_eq!(alert, "suppressed", "the demo alert (service=api, env=prod) is silenced during the action");
    let matchers: Vec<String> = s.matchers.iter().map(|m| format!("{}={}", m.name, m.value)).collect();
    assert_eq!(matchers, ["service=api", "env=prod"]);
    assert!(s.comment.contains("rollback api/prod"), "{}", s.comment);
    assert!(log.contains(&format!("expire the silence done: silence {id} expired")), "{log}");

    // After it: expired, and the alert fires again.
    let after = rt.block_on(silence_until(&client, &id, |s| s.state == "expired"));
    assert_eq!(after.state, "expired");
    assert_eq!(rt.block_on(alert_state(&client, "HighErrorRate", "active")), "active");
    let (st, out, err) = demo.opsdeck(&["audit", "--json"]);
    assert!(st.success(), "{err}");
    assert!(out.contains(&id), "the action's audit record names the silence");

    // kill -9 mid-action: the next opsdeck (here `status`) settles the action and expires the
    // silence the journal names.
    let mut child = Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(&cfg)
        .args(["rollback", "api", "--env", "prod", "--yes", "--silence", "--watch", "30s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn rollback");
    let stderr = child.stderr.take().expect("stderr");
    let mut left = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(rest) = line.split_once("silence api's alerts in prod done: silence ").map(|(_, r)| r) {
            left = rest.split_whitespace().next().map(str::to_string);
        }
        if line.contains("watch green") || line.contains("watch blue") {
            child.kill().expect("kill -9");
            break;
        }
    }
    let _ = child.wait();
    let left = left.expect("the killed action set a silence");
    assert_eq!(rt.block_on(silence_until(&client, &left, |s| s.state == "active")).state, "active");
    let (st, _, err) = demo.opsdeck(&["status"]);
    assert!(st.success(), "{err}");
    assert!(err.contains(&format!("silence {left} expired")), "recovery says so: {err}");
    assert_eq!(rt.block_on(silence_until(&client, &left, |s| s.state == "expired")).state, "expired");
    drop(demo);
}

/// One HTTP GET on a fresh connection, bounded; the status.
async fn slow_get(addr: std::net::SocketAddr, path: String) -> Result<u16, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&answer);
        text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("bad answer {text:?}"))
    };
    tokio::time::timeout(Duration::from_secs(40), exchange).await.map_err(|_| "no answer".to_string())?
}

#[test]
fn abort_while_draining_switches_back_on_the_demo_stack() {
    if !support::stack_available() {
        return;
    }
    let _turn = DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let demo = support::Demo::up(&[]);
    let config = Arc::new(opsdeck::config::load(&demo.config()).expect("demo config"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async move {
        let model = opsdeck::collect::gather_once(config.clone(), "alice".into()).await;
        let before = model.service_cell("prod", "api").and_then(|c| c.image).expect("prod api image").tag;
        let timing = Timing {
            health_wait: Duration::from_secs(30),
            drain_wait: Duration::from_secs(30),
            stop_grace: Duration::from_secs(5),
            watch: Duration::from_secs(2),
            step_timeout: Duration::from_secs(60),
        };
        let target =
            Target { kind: ActionKind::Rollback, service: "api".into(), env: "prod".into(), image: None, force: false };
        let plan = plan(&model, &target, timing).expect("plan");
        let old = plan.from_slot.clone();
        let url = &config.service("api").expect("api").environments["prod"].url;
        let addr: std::net::SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse().expect("addr");
        // Sessions on the old server before the switch: they hold the drain open.
        let slow: Vec<_> = (0..4).map(|_| tokio::spawn(slow_get(addr, "/slow?ms=15000".into()))).collect();
        tokio::time::sleep(Duration::from_millis(500)).await;

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let exec = Executor {
            ops: Arc::new(RealOps::new(config.clone()).expect("ops")),
            store: Arc::new(Mutex::new(Store::open(&config.state_path).expect("store"))),
            events: tx,
            holder: Holder::this_process("alice"),
        };
        let abort = CancellationToken::new();
        let (runner, a) = (exec.clone(), abort.clone());
        let run = tokio::spawn(async move { runner.run_abortable(plan, CancellationToken::new(), a).await });
        drop(exec);
        let mut drained = Vec::new();
        let mut aborted_at = None;
        while let Some(event) = rx.recv().await {
            if let ActionEvent::Drain { sessions, server, .. } = &event {
                assert_eq!(server, &old);
                drained.push(*sessions);
                if *sessions > 0 && !abort.is_cancelled() {
                    abort.cancel();
                    aborted_at = Some(Instant::now());
                }
            }
        }
        let report = run.await.expect("join");
        if let Some(at) = aborted_at {
            eprintln!(
                "abort -> traffic back and action ended in {:.1}s; sessions seen {drained:?}",
                at.elapsed().as_secs_f64()
            );
        }
        let after = opsdeck::collect::gather_once(config.clone(), "alice".into()).await;
        let cell = after.service_cell("prod", "api").expect("prod api");
        let answers: Vec<_> = futures::future::join_all(slow).await;
        (report, drained, before, cell.image.map(|i| i.tag), cell.live_slot, old, answers)
    });
    let (report, drained, before, now, live, old, answers) = result;
    drop(rt);
    assert_eq!(report.outcome, Some(ActionOutcome::RolledBack), "{report:?}");
    assert!(report.reason.starts_with("aborted by alice during drain"), "{}", report.reason);
    assert!(drained.first().is_some_and(|n| *n > 0), "a session held the drain: {drained:?}");
    assert_eq!(now.as_deref(), Some(before.as_str()), "traffic is back on the old image");
    assert_eq!(live.as_deref(), Some(old.as_str()), "and on the old slot");
    // The requests that held the drain were not cut: the old server kept serving them.
    for a in answers {
        assert_eq!(a.expect("join"), Ok(200));
    }
    drop(demo);
}

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
    let user = opsdeck::identity::current_user();

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
    let config = opsdeck::config::load(&demo.config()).expect("demo config");
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

/// `--silence` where the config names no Alertmanager: refused up front (exit 3), nothing run.
#[test]
fn silence_without_an_alertmanager_is_refused() {
    let dir = support::private_tempdir();
    let config = dir.path().join("opsdeck.toml");
    let text = format!(
        "state_path = \"{}\"\n[registry]\nurl = \"http://127.0.0.1:1\"\n\
         [[environments]]\nname = \"prod\"\nhaproxy = \"unix:///nonexistent/h.sock\"\n\
         hosts = [{{ name = \"prod-1\", url = \"unix:///nonexistent/docker.sock\" }}]\n\
         [[services]]\nname = \"api\"\ncontainer_port = 8080\n\
         [services.environments.prod]\nbackend = \"api_prod\"\nurl = \"http://127.0.0.1:1\"\n",
        dir.path().join("state.db").display()
    );
    std::fs::write(&config, text).expect("config");
    let out = Command::new(support::opsdeck_bin())
        .arg("--config")
        .arg(&config)
        .args(["rollback", "api", "--env", "prod", "--yes", "--silence"])
        .output()
        .expect("run opsdeck");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--silence: the config names no Alertmanager"), "{err}");
}
