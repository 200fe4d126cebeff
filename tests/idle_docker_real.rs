//! What watching costs the Docker daemon (issue 15): the console's watchers on the demo stack,
//! through a counting proxy in front of the engine's socket, for 20 s of idle while every live
//! slot runs its HEALTHCHECK every 2 s. A HEALTHCHECK run is three exec events; following them
//! (and listing the container after each) made an idle console send the engine hundreds of
//! requests a minute. Now: the list at start, the events stream, nothing else.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{stack_available, Demo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Requests the watchers may make in the window: per host, a version check, the events stream
/// and a list, with room for a reconnect; far below one per HEALTHCHECK run.
const LIMIT: usize = 24;

/// A unix socket at `path` that passes everything to the engine's socket, counting the HTTP
/// requests clients send (request lines at the start of what a client writes after an answer).
async fn counting_proxy(path: std::path::PathBuf, count: Arc<AtomicUsize>) {
    let listener = tokio::net::UnixListener::bind(&path).expect("bind proxy");
    while let Ok((mut client, _)) = listener.accept().await {
        let count = count.clone();
        tokio::spawn(async move {
            let Ok(mut engine) = tokio::net::UnixStream::connect("/var/run/docker.sock").await else { return };
            let (mut client_read, mut client_write) = client.split();
            let (mut engine_read, mut engine_write) = engine.split();
            let upstream = async {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let text = String::from_utf8_lossy(&buf[..n]);
                    let requests = ["GET /", "POST /", "HEAD /", "PUT /", "DELETE /"]
                        .iter()
                        .map(|m| text.matches(m).count())
                        .sum::<usize>();
                    count.fetch_add(requests, Ordering::SeqCst);
                    if engine_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            };
            let downstream = tokio::io::copy(&mut engine_read, &mut client_write);
            tokio::select! {
                _ = upstream => {}
                _ = downstream => {}
            }
        });
    }
}

#[test]
fn idle_watchers_leave_the_engine_idle() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let dir = support::private_tempdir();
    let socket = dir.path().join("docker.sock");
    let text = std::fs::read_to_string(demo.config()).expect("config");
    let proxied = text.replace("unix:///var/run/docker.sock", &format!("unix://{}", socket.display()));
    assert_ne!(proxied, text, "the demo's hosts name the local engine");
    let config_path = demo.dir.path().join("proxied.toml");
    std::fs::write(&config_path, proxied).expect("write config");
    let config = Arc::new(opsdeck_core::config::load(&config_path).expect("config"));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let count = Arc::new(AtomicUsize::new(0));
    let (requests, facts) = rt.block_on(async {
        tokio::spawn(counting_proxy(socket.clone(), count.clone()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = tokio_util::sync::CancellationToken::new();
        opsdeck_core::watch::spawn_watchers(&config, &tx, &cancel);
        // Real time for the watchers to start, follow, and sit idle beside the HEALTHCHECKs.
        tokio::time::sleep(Duration::from_secs(20)).await;
        cancel.cancel();
        let mut facts = 0;
        while let Ok(fact) = rx.try_recv() {
            facts += usize::from(matches!(fact, opsdeck_core::world::Fact::HostSnapshot(..)));
        }
        (count.load(Ordering::SeqCst), facts)
    });
    eprintln!("idle watchers: {requests} Docker API requests in 20 s ({facts} snapshots)");
    assert!(facts >= 3, "every host was listed through the proxy: {facts}");
    assert!(requests <= LIMIT, "{requests} Docker API requests in 20 s of idle (at most {LIMIT})");
}
