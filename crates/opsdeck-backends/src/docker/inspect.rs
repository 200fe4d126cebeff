//! One container in detail for the console's detail view: `docker inspect` of the container and
//! of its image (tag, digests, build time), each call within the engine's timeout.

use super::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendResult};
use crate::types::{ContainerDetail, EnvVar, HealthProbe};
use bollard::models::{ContainerInspectResponse, ImageInspect};
use bollard::Docker;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The container `id` and its image. An image the engine no longer has leaves the image's
/// fields empty rather than failing the whole view.
pub async fn inspect(docker: &Docker, id: &str, timeout: Duration) -> BackendResult<ContainerDetail> {
    let container =
        with_timeout(SYSTEM, timeout, async { docker.inspect_container(id, None).await.map_err(|e| docker_error(&e)) })
            .await?;
    let image_id = container.image.clone().unwrap_or_default();
    let image = if image_id.is_empty() {
        None
    } else {
        with_timeout(SYSTEM, timeout, async { docker.inspect_image(&image_id).await.map_err(|e| docker_error(&e)) })
            .await
            .ok()
    };
    Ok(from_inspect(container, image))
}

/// The engine's answers as a [`ContainerDetail`].
pub fn from_inspect(c: ContainerInspectResponse, image: Option<ImageInspect>) -> ContainerDetail {
    let config = c.config.unwrap_or_default();
    let state = c.state.unwrap_or_default();
    let health = state.health.unwrap_or_default();
    let mut ports: Vec<String> = c
        .network_settings
        .and_then(|n| n.ports)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(port, bindings)| {
            let bound: Vec<String> = bindings
                .unwrap_or_default()
                .into_iter()
                .filter_map(|b| {
                    let host_port = b.host_port.filter(|p| !p.is_empty())?;
                    let ip = b.host_ip.filter(|ip| !ip.is_empty()).unwrap_or_else(|| "0.0.0.0".into());
                    Some(format!("{port} -> {ip}:{host_port}"))
                })
                .collect();
            if bound.is_empty() {
                vec![port]
            } else {
                bound
            }
        })
        .collect();
    ports.sort();
    ports.dedup();
    let env = config
        .env
        .unwrap_or_default()
        .into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((name, value)) => EnvVar { name: name.to_string(), value: value.to_string() },
            None => EnvVar { name: kv, value: String::new() },
        })
        .collect();
    let image = image.unwrap_or_default();
    ContainerDetail {
        id: c.id.unwrap_or_default(),
        name: c.name.unwrap_or_default().trim_start_matches('/').to_string(),
        image: config.image.unwrap_or_default(),
        image_id: c.image.unwrap_or_default(),
        repo_digests: image.repo_digests.unwrap_or_default(),
        image_created: image.created,
        created: c.created,
        state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        started_at: docker_time(state.started_at.as_deref()),
        finished_at: docker_time(state.finished_at.as_deref()),
        exit_code: state.exit_code,
        error: state.error.unwrap_or_default(),
        restart_count: c.restart_count.unwrap_or(0),
        health: health.status.map(|s| s.to_string()).filter(|s| !s.is_empty() && s != "none"),
        failing_streak: health.failing_streak.unwrap_or(0),
        health_log: health
            .log
            .unwrap_or_default()
            .into_iter()
            .map(|r| HealthProbe {
                start: r.start,
                end: r.end,
                exit_code: r.exit_code.unwrap_or(-1),
                output: r.output.unwrap_or_default(),
            })
            .collect(),
        ports,
        labels: config.labels.unwrap_or_default().into_iter().collect(),
        env,
    }
}

/// Docker writes `0001-01-01T00:00:00Z` for "never".
fn docker_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text?).ok()?.with_timezone(&Utc);
    (t.timestamp() > 0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from `docker inspect` of a demo slot (Docker 20.10) and its image.
    const CONTAINER: &str = r#"{"Id":"c0ffee","Created":"2026-11-23T01:00:00.5Z","Name":"/api-prod-blue",
        "Image":"sha256:1111","RestartCount":2,
        "State":{"Status":"running","Running":true,"ExitCode":0,"Error":"",
          "StartedAt":"2026-11-23T01:00:01.25Z","FinishedAt":"0001-01-01T00:00:00Z",
          "Health":{"Status":"healthy","FailingStreak":0,"Log":[
            {"Start":"2026-11-23T03:11:58Z","End":"2026-11-23T03:11:58.1Z","ExitCode":0,"Output":"ok\n"}]}},
        "Config":{"Image":"127.0.0.1:5000/api:v1.2.0","Env":["API_TOKEN=t0k","LOG_LEVEL=info","EMPTY"],
          "Labels":{"opsdeck.slot":"blue"}},
        "NetworkSettings":{"Ports":{"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":"41000"}],"9000/tcp":null}}}"#;
    const IMAGE: &str = r#"{"Id":"sha256:1111","RepoDigests":["127.0.0.1:5000/api@sha256:abcd"],
        "Created":"2026-11-20T10:00:00Z"}"#;

    #[test]
    fn inspect_answers_become_a_detail() {
        let c: ContainerInspectResponse = serde_json::from_str(CONTAINER).expect("container fixture");
        let i: ImageInspect = serde_json::from_str(IMAGE).expect("image fixture");
        let d = from_inspect(c, Some(i));
        assert_eq!(d.name, "api-prod-blue");
        assert_eq!(d.image, "127.0.0.1:5000/api:v1.2.0");
        assert_eq!(d.repo_digests, ["127.0.0.1:5000/api@sha256:abcd"]);
        assert_eq!(d.image_created.map(|t| t.to_rfc3339()), Some("2026-11-20T10:00:00+00:00".into()));
        assert_eq!((d.state.as_str(), d.restart_count), ("running", 2));
        assert!(d.started_at.is_some() && d.finished_at.is_none(), "year 1 is never");
        assert_eq!(d.health.as_deref(), Some("healthy"));
        assert_eq!(d.health_log.len(), 1);
        assert_eq!(d.health_log[0].output, "ok\n");
        assert_eq!(d.ports, ["8080/tcp -> 127.0.0.1:41000", "9000/tcp"]);
        let names: Vec<&str> = d.env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["API_TOKEN", "LOG_LEVEL", "EMPTY"]);
        assert!(!format!("{d:?}").contains("t0k"), "a debug print never shows an env value");
    }
}
