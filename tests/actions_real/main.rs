//! The action layer on the real demo stack (Docker, the registry, HAProxy): promote and rollback
//! through [`Outside`] and the executor, driven as the console and the CLI drive them. One demo
//! per Docker engine, so the whole story is one test, in phases, each bounded:
//!
//! a. rollback to the idle slot (no pull, no create), promote from staging (with a pull), and a
//!    new release up the whole ladder (dev -> staging -> prod);
//! b. ten switches under load: no request fails, a long request survives its switch;
//! c. a release that never turns healthy (Failed, traffic untouched, idle slot restored) and one
//!    that fails 30 % of requests after the switch (RolledBack);
//! d. two executors on one service and environment: one runs, the other is refused;
//! then the audit trail holds a record of each.
//!
//! Without the stack it prints why and passes, except under `CI=true`.

#[path = "../support/mod.rs"]
mod support;

mod audit_trail;
mod ctx;
mod failures;
mod ladder;
mod traffic;
mod two_executors;
mod zero_downtime;

use audit_trail::audit_trail;
use ctx::Ctx;
use failures::failures;
use ladder::ladder;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use two_executors::two_executors;
use zero_downtime::zero_downtime;

/// Bounds of each phase (a cold engine may pull and build).
const PHASE: Duration = Duration::from_secs(300);

#[test]
fn promote_and_rollback_on_the_demo_stack() {
    if !support::stack_available() {
        return;
    }
    // Declared first, dropped last: the extra image is untagged after the demo is down.
    let untag = UntagOnDrop(Arc::new(Mutex::new(Vec::new())));
    let demo = support::Demo::up_when_engine_free(&[], Duration::from_secs(600));
    let config = Arc::new(opsdeck_core::config::load(&demo.config()).expect("demo config"));
    // The phases' futures are deep (gather, the executor): they run on workers with room.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    let made = untag.0.clone();
    let story = rt.spawn(async move {
        let ctx = Ctx::new(config, "alice");
        let mut ran = Vec::new();
        phase("a: rollback, promote, ladder", Box::pin(ladder(&ctx, &made, &mut ran))).await;
        phase("b: zero downtime", Box::pin(zero_downtime(&ctx, &mut ran))).await;
        phase("c: failures", Box::pin(failures(&ctx, &mut ran))).await;
        phase("d: two executors", Box::pin(two_executors(&ctx, &mut ran))).await;
        audit_trail(&ctx, &ran);
    });
    let result = rt.block_on(story);
    drop(rt);
    let out = demo.down();
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
    assert!(out.status.success(), "demo down: {}", String::from_utf8_lossy(&out.stderr));
}

async fn phase(name: &str, fut: impl std::future::Future<Output = ()>) {
    let started = Instant::now();
    eprintln!("== phase {name}");
    tokio::time::timeout(PHASE, fut).await.unwrap_or_else(|_| panic!("phase {name} did not end within {PHASE:?}"));
    eprintln!("== phase {name} done in {:.1}s", started.elapsed().as_secs_f64());
}

/// Untags the references made by the test once everything else is down.
struct UntagOnDrop(Arc<Mutex<Vec<String>>>);

impl Drop for UntagOnDrop {
    fn drop(&mut self) {
        let refs = self.0.lock().map(|r| r.clone()).unwrap_or_default();
        for reference in refs {
            let _ = std::process::Command::new("/usr/bin/docker").args(["rmi", &reference]).output();
        }
    }
}
