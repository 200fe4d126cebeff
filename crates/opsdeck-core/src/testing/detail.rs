//! A container's `docker inspect` and the runbook catalog.

use super::{gen_container, gen_digest, gen_now};
use opsdeck_backends::types::*;

/// `docker inspect` of a running demo slot, as the backend hands it over (env values unmasked).
pub fn gen_container_detail(env: &str, service: &str, slot: &str, version: &str) -> ContainerDetail {
    let c = gen_container(env, service, slot, version, true);
    let now = gen_now();
    let probe = |ago: i64, code: i64, output: &str| HealthProbe {
        start: Some(now - chrono::Duration::seconds(ago)),
        end: Some(now - chrono::Duration::seconds(ago) + chrono::Duration::milliseconds(40)),
        exit_code: code,
        output: output.into(),
    };
    ContainerDetail {
        id: format!("{}0123456789abcdef", c.id),
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        repo_digests: vec![format!("127.0.0.1:5000/{service}@{}", gen_digest(version))],
        image_created: Some(now - chrono::Duration::days(3)),
        created: c.created,
        state: "running".into(),
        started_at: c.created,
        finished_at: None,
        exit_code: Some(0),
        error: String::new(),
        restart_count: 1,
        health: Some("healthy".into()),
        failing_streak: 0,
        health_log: vec![
            probe(9, 1, "curl: (7) Failed to connect to 127.0.0.1 port 8080\n"),
            probe(7, 0, "{\"status\":\"healthy\"}\n"),
            probe(5, 0, "{\"status\":\"healthy\"}\n"),
            probe(3, 0, "{\"status\":\"healthy\"}\n"),
            probe(1, 0, "{\"status\":\"healthy\"}\n"),
        ],
        ports: vec![format!("8080/tcp -> 127.0.0.1:{}", c.ports[&8080])],
        labels: c.labels.clone(),
        env: vec![
            EnvVar { name: "API_TOKEN".into(), value: "tok-3f9c2e1-secret".into() },
            EnvVar { name: "LOG_LEVEL".into(), value: "info".into() },
            EnvVar { name: "DEMO_VERSION".into(), value: version.into() },
            EnvVar {
                name: "PATH".into(),
                value: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            },
        ],
    }
}

/// The shipped runbooks, parsed from the texts built into the binary (paths as in `runbooks/`).
pub fn gen_runbook_catalog() -> crate::runbook::Catalog {
    let mut runbooks: Vec<crate::runbook::Runbook> = crate::runbook::shipped::SHIPPED
        .iter()
        .map(|(name, text)| {
            crate::runbook::parse(std::path::Path::new(&format!("runbooks/{name}")), text).expect("shipped runbook")
        })
        .collect();
    runbooks.sort_by(|a, b| a.name.cmp(&b.name));
    let broken = crate::runbook::parse(
        std::path::Path::new("runbooks/broken.md"),
        "---\nname: broken\nsummary: s\n---\n## one\n```opsdeck\nreboot api prod\n```\n",
    )
    .expect_err("broken");
    crate::runbook::Catalog { runbooks, errors: vec![crate::runbook::LoadError::Parse(broken)] }
}
