//! c. `C` while the old server drains on the demo stack (slow requests hold sessions on it):
//! traffic goes back to the old slot and the action ends "aborted by <user>".

use crate::common::DEMO;
use crate::support;
use opsdeck_core::actions::{plan, ActionEvent, ActionKind, Executor, Target, Timing};
use opsdeck_core::outside::Outside;
use opsdeck_core::store::{ActionOutcome, Holder, Store};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

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
    let config = Arc::new(opsdeck_core::config::load(&demo.config()).expect("demo config"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async move {
        let model = opsdeck_core::watch::gather(config.clone(), "alice".into()).await;
        let before = model.service_cell("prod", "api").and_then(|c| c.image).expect("prod api image").tag;
        let timing = Timing {
            health_wait: Duration::from_secs(30),
            drain_wait: Duration::from_secs(30),
            stop_grace: Duration::from_secs(5),
            watch: Duration::from_secs(2),
            step_timeout: Duration::from_secs(60),
            ..Timing::default()
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
            ops: Arc::new(Outside::new(config.clone()).expect("ops")),
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
        let after = opsdeck_core::watch::gather(config.clone(), "alice".into()).await;
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
