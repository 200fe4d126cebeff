//! One container's `docker inspect` for the detail overlay, on its own task, so a dead host
//! answers with an error within the engine timeout and nothing waits on it but the task.

use super::MsgTx;
use crate::msg::Msg;
use opsdeck_core::config::Config;
use opsdeck_core::watch::inspect_container;
use opsdeck_core::world::HostId;
use std::sync::Arc;

/// Inspects `container_id` (an id or a name) on `host` and sends [`Msg::ContainerDetail`].
pub fn spawn_inspect(config: &Arc<Config>, host: HostId, container_id: String, tx: &MsgTx) {
    let (config, tx) = (config.clone(), tx.clone());
    tokio::spawn(async move {
        let result = inspect_container(&config, &host, &container_id).await;
        let _ = tx.send(Msg::ContainerDetail(container_id, result));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// An engine that accepts the connection and never says a word: the detail gets a timeout
    /// error, in about the Docker timeout, and nothing waits on it but the task.
    #[tokio::test]
    async fn a_silent_engine_answers_with_a_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let text = crate::test_support::CONFIG
            .replace("tcp://10.9.9.9:2375", &format!("tcp://127.0.0.1:{port}"))
            .replace("[registry]", "[timeouts]\ndocker = \"300ms\"\n[registry]");
        let config = Arc::new(opsdeck_core::config::parse_str(&text).expect("config"));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let host = HostId { env: "prod".into(), host: "prod-2".into() };
        spawn_inspect(&config, host, "api-prod-blue".into(), &tx);
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("an answer").expect("a message");
        let Msg::ContainerDetail(id, Err(e)) = msg else { panic!("expected an error: {msg:?}") };
        assert_eq!(id, "api-prod-blue");
        assert!(e.to_string().contains("no answer within 300ms"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
