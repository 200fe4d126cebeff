//! Helpers shared by the silences_real scenarios: polling a silence and an alert, and the demo
//! stack with a client of its Alertmanager (one demo per Docker engine at a time).

use crate::support;
use opsdeck_backends::alertmanager::AlertmanagerClient;
use opsdeck_backends::types::Silence;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const CALL: Duration = Duration::from_secs(10);

/// The two demo-stack tests take turns: one demo per Docker engine at a time.
pub static DEMO: Mutex<()> = Mutex::new(());

/// Polls until `pred` holds on the silence `id` (bounded); returns it.
pub async fn silence_until(client: &AlertmanagerClient, id: &str, pred: impl Fn(&Silence) -> bool) -> Silence {
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

pub async fn alert_state(client: &AlertmanagerClient, name: &str, want: &str) -> String {
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

/// The demo stack, a runtime to call from, and a client of the demo's Alertmanager.
pub fn demo_with_alertmanager() -> (support::Demo, tokio::runtime::Runtime, AlertmanagerClient) {
    let demo = support::Demo::up(&[]);
    let config = opsdeck_core::config::load(&demo.config()).expect("demo config");
    let am_url = config.alertmanager.as_ref().expect("demo alertmanager").url.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = AlertmanagerClient::new(&am_url, CALL).expect("client");
    (demo, rt, client)
}
