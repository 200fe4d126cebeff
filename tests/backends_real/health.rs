//! /health of a real service started unhealthy: the probe's verdict, Docker's, and nothing after.

use crate::common::{
    bounded, build_demo_image, demo_binary, docker, probe_until_answered, slot_until, DockerLeftovers, CALL,
    TEST_LABEL, TEST_LIMIT,
};
use crate::support;
use opsdeck::stack::free_port;
use opsdeck_backends::docker::lifecycle::{self, SlotSpec};
use opsdeck_backends::health::HealthProber;
use opsdeck_backends::types::{labels, DockerHealth, HealthVerdict};
use std::collections::BTreeMap;
use std::time::Duration;

#[tokio::test]
async fn health_probe_of_a_service_started_unhealthy() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("health", TEST_LIMIT, async {
        let docker = docker().await;
        let run = leftovers.run.clone();
        let image = format!("opsdeck-backends-test/sick:{run}");
        build_demo_image(
            &docker,
            std::slice::from_ref(&image),
            &[("DEMO_VERSION", "v0.0.1"), ("DEMO_SERVICE", "sick")],
            &run,
        )
        .await;
        let port = free_port().expect("port");
        let spec = SlotSpec {
            name: format!("sick-test-green-{run}"),
            image: image.clone(),
            labels: BTreeMap::from([
                (labels::SERVICE.to_string(), "sick".to_string()),
                (labels::ENV.to_string(), "test".to_string()),
                (labels::SLOT.to_string(), "green".to_string()),
                (TEST_LABEL.to_string(), run.clone()),
            ]),
            env: BTreeMap::from([("DEMO_START_UNHEALTHY".to_string(), "1".to_string())]),
            container_port: 8080,
            host_port: port,
            host_ip: "127.0.0.1".into(),
        };
        let id = lifecycle::create_container(&docker, &spec, CALL).await.expect("create");
        lifecycle::start_container(&docker, &id, CALL).await.expect("start");

        let report = probe_until_answered(&format!("http://127.0.0.1:{port}/health"), Duration::from_secs(15)).await;
        assert_eq!(report.verdict, HealthVerdict::Unhealthy, "{report:?}");
        assert_eq!(report.http_status, Some(503), "{report:?}");
        assert!(report.reason.contains("HTTP 503"), "{report:?}");
        assert_eq!(report.status_field.as_deref(), Some("unhealthy"), "{report:?}");
        assert_eq!(report.services.get("database").map(String::as_str), Some("disconnected"), "{report:?}");

        // Docker agrees after its retries (3 failures, 2 s apart).
        let slot = slot_until(&docker, &id, Duration::from_secs(20), |s| s.health == DockerHealth::Unhealthy).await;
        assert_eq!(slot.health, DockerHealth::Unhealthy, "{slot:?}");
        assert!(slot.is_running(), "unhealthy, not dead: {slot:?}");

        // Nothing on the port once it is gone.
        lifecycle::remove_container(&docker, &id, CALL).await.expect("remove");
        let report = HealthProber::new(Duration::from_secs(2))
            .expect("prober")
            .probe(&format!("http://127.0.0.1:{port}/health"))
            .await;
        assert_eq!(report.verdict, HealthVerdict::Unreachable, "{report:?}");
        lifecycle::remove_image(&docker, &image, CALL).await.expect("remove image");
    })
    .await;
    drop(leftovers);
}
