//! Docker: a slot's lifecycle with its events, inventory and health, and connecting to an engine
//! that refuses or never answers.

use crate::common::{
    bounded, build_demo_image, demo_binary, docker, probe_until_answered, slot_until, DockerLeftovers, EventTap, CALL,
    TEST_LABEL, TEST_LIMIT,
};
use crate::support;
use chrono::Utc;
use opsdeck::stack::free_port;
use opsdeck_backends::docker::lifecycle::{self, SlotSpec};
use opsdeck_backends::docker::{self as backend_docker, inventory, DockerEndpoint};
use opsdeck_backends::types::{labels, DockerHealth, HealthVerdict};
use opsdeck_backends::BackendError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn docker_slot_lifecycle_events_inventory_and_health() {
    if !support::stack_available() {
        return;
    }
    // Found (or built) before the clock starts.
    demo_binary();
    let leftovers = DockerLeftovers::new();
    bounded("docker", TEST_LIMIT, async {
        let docker = docker().await;
        inventory::ping(&docker, CALL).await.expect("ping");
        let run = leftovers.run.clone();
        let image = format!("opsdeck-backends-test/svc:{run}");
        build_demo_image(
            &docker,
            std::slice::from_ref(&image),
            &[("DEMO_VERSION", "v3.1.4"), ("DEMO_SERVICE", "svc")],
            &run,
        )
        .await;
        let local = lifecycle::local_image(&docker, &image, CALL).await.expect("inspect").expect("built");
        assert_eq!(local.labels.get(TEST_LABEL), Some(&run));

        let port = free_port().expect("port");
        let name = format!("svc-test-blue-{run}");
        let slot_labels = BTreeMap::from([
            (labels::SERVICE.to_string(), "svc".to_string()),
            (labels::ENV.to_string(), "test".to_string()),
            (labels::SLOT.to_string(), "blue".to_string()),
            (labels::IMAGE.to_string(), image.clone()),
            (TEST_LABEL.to_string(), run.clone()),
        ]);
        let spec = SlotSpec {
            name: name.clone(),
            image: image.clone(),
            labels: slot_labels.clone(),
            env: BTreeMap::from([("DEMO_IMAGE_TAG".to_string(), "abc1234".to_string())]),
            container_port: 8080,
            host_port: port,
            host_ip: "127.0.0.1".into(),
        };

        let mut events = EventTap::subscribe(&docker).await;
        let id = lifecycle::create_container(&docker, &spec, CALL).await.expect("create");
        events.expect(&id, &["create"], Duration::from_secs(10)).await;
        let created = inventory::slot(&docker, &id, CALL).await.expect("slot").expect("created");
        assert_eq!(created.state, "created");
        assert!(!created.is_running());

        lifecycle::start_container(&docker, &id, CALL).await.expect("start");
        events.expect(&id, &["start"], Duration::from_secs(10)).await;

        let slots = inventory::list_slots(&docker, CALL).await.expect("list slots");
        let mine: Vec<_> = slots.iter().filter(|s| s.label(TEST_LABEL) == Some(run.as_str())).collect();
        assert_eq!(mine.len(), 1, "{slots:?}");
        let slot = mine[0];
        assert_eq!(slot.id, id);
        assert_eq!(slot.name, name);
        assert_eq!(slot.image, image);
        assert_eq!(slot.state, "running");
        assert!(slot.is_running());
        assert_eq!(slot.ports, BTreeMap::from([(8080, port)]));
        assert_eq!(slot.label(labels::SERVICE), Some("svc"));
        assert_eq!(slot.label(labels::SLOT), Some("blue"));
        for (k, v) in &slot_labels {
            assert_eq!(slot.labels.get(k), Some(v), "label {k}");
        }
        assert!(slot.created.is_some_and(|t| (Utc::now() - t).num_seconds().abs() < 60), "{slot:?}");
        let by_label = lifecycle::list_containers_by_label(
            &docker,
            &[(TEST_LABEL, Some(run.as_str())), (labels::SERVICE, None)],
            CALL,
        )
        .await
        .expect("list by label");
        assert_eq!(by_label.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
        assert_eq!(by_label[0].ports, slot.ports);

        let url = format!("http://127.0.0.1:{port}/health");
        let report = probe_until_answered(&url, Duration::from_secs(15)).await;
        assert_eq!(report.verdict, HealthVerdict::Healthy, "{report:?}");
        assert_eq!(report.http_status, Some(200));
        assert_eq!(report.reason, "");
        assert_eq!(report.status_field.as_deref(), Some("healthy"));
        assert_eq!(report.services.get("database").map(String::as_str), Some("connected"));
        assert!(report.uptime_secs.is_some(), "{report:?}");

        // The image's HEALTHCHECK (the binary's probe mode) turns Docker's verdict healthy.
        // The change comes as an event that says it (the engine filters on `health_status`).
        events.expect(&id, &["health_status: healthy"], Duration::from_secs(15)).await;
        let healthy = slot_until(&docker, &id, Duration::from_secs(15), |s| s.health == DockerHealth::Healthy).await;
        assert_eq!(healthy.health, DockerHealth::Healthy, "{healthy:?}");
        assert!(healthy.status.contains("(healthy)"), "{healthy:?}");

        lifecycle::stop_container(&docker, &id, Duration::from_secs(5), Duration::from_secs(20)).await.expect("stop");
        events.expect(&id, &["die", "stop"], Duration::from_secs(10)).await;
        let stopped = inventory::slot(&docker, &id, CALL).await.expect("slot").expect("still there");
        assert_eq!(stopped.state, "exited", "{stopped:?}");
        assert!(!stopped.is_running());
        assert_eq!(stopped.health, DockerHealth::None, "{stopped:?}");
        // Stopping again, or starting and stopping by name, is not an error.
        lifecycle::stop_container(&docker, &name, Duration::from_secs(5), Duration::from_secs(20))
            .await
            .expect("stop a stopped container");

        lifecycle::remove_container(&docker, &id, CALL).await.expect("remove");
        events.expect(&id, &["destroy"], Duration::from_secs(10)).await;
        assert_eq!(inventory::slot(&docker, &id, CALL).await.expect("slot"), None);
        lifecycle::remove_container(&docker, &id, CALL).await.expect("removing a removed container");
        drop(events);

        lifecycle::remove_image(&docker, &image, CALL).await.expect("remove image");
        assert_eq!(lifecycle::local_image(&docker, &image, CALL).await.expect("inspect"), None);
    })
    .await;
    drop(leftovers);
}

#[tokio::test]
async fn docker_connect_fails_fast_on_refused_and_times_out_on_silence() {
    if !support::stack_available() {
        return;
    }
    bounded("docker connect", Duration::from_secs(30), async {
        // Nothing listens: refused at once.
        let refused = free_port().expect("port");
        let endpoint =
            DockerEndpoint { url: format!("tcp://127.0.0.1:{refused}"), tls: None, timeout: Duration::from_secs(5) };
        let started = Instant::now();
        let result = backend_docker::connect(&endpoint).await;
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert!(
            matches!(&result, Err(BackendError::Connect { system: "docker", reason }) if reason.contains("refused")),
            "{:?}",
            result.as_ref().err()
        );

        // Accepts and never answers: the endpoint's timeout, as a Timeout.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hole = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let timeout = Duration::from_secs(2);
        let endpoint = DockerEndpoint { url: format!("tcp://{addr}"), tls: None, timeout };
        let started = Instant::now();
        let result = backend_docker::connect(&endpoint).await;
        let took = started.elapsed();
        hole.abort();
        assert!(
            took >= timeout - Duration::from_millis(100) && took < timeout + Duration::from_secs(1),
            "took {took:?}"
        );
        assert!(
            matches!(&result, Err(BackendError::Timeout { system: "docker", after }) if *after == timeout),
            "{:?}",
            result.as_ref().err()
        );

        // An engine URL opsdeck does not know.
        let endpoint = DockerEndpoint { url: "http://127.0.0.1:1".into(), tls: None, timeout };
        let result = backend_docker::connect(&endpoint).await;
        assert!(matches!(result, Err(BackendError::Connect { .. })), "{:?}", result.as_ref().err());
    })
    .await;
}
