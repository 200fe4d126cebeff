//! Changing what runs on a Docker engine: build an image from an in-memory context, tag, push,
//! pull, find an image's repository digest, and create, start, stop, remove and list slot
//! containers. Every call takes its own deadline, because these take longer than a read (a build,
//! a stop with its grace period) and a caller knows how long it is willing to wait.

use super::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendError, BackendResult};
use crate::types::{ContainerInfo, DockerHealth};
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    PushImageOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, StopContainerOptionsBuilder,
    TagImageOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// One file of a build context.
#[derive(Debug, Clone)]
pub struct ContextFile {
    /// Path inside the context (`Dockerfile`, `demo-service`).
    pub path: String,
    pub contents: Vec<u8>,
    /// Unix mode bits (`0o755` for a binary).
    pub mode: u32,
}

/// What to build: a context held in memory, the tags to give the result, build args and labels.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// Every file of the context; one of them is `Dockerfile`.
    pub files: Vec<ContextFile>,
    /// Full references (`127.0.0.1:5000/api:v1.2.0`); the image gets all of them. At least one.
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// An image present on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    /// `sha256:...` image id.
    pub id: String,
    pub repo_tags: Vec<String>,
    /// `repository@sha256:...`, one per registry the image was pushed to or pulled from.
    pub repo_digests: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// A slot container to create.
#[derive(Debug, Clone)]
pub struct SlotSpec {
    /// `<service>-<env>-<slot>`.
    pub name: String,
    /// Full image reference.
    pub image: String,
    pub labels: BTreeMap<String, String>,
    /// Values may be secrets: they go to Docker and nowhere else (not into errors or logs).
    pub env: BTreeMap<String, String>,
    pub container_port: u16,
    /// Published on `host_ip:host_port`.
    pub host_port: u16,
    /// `127.0.0.1` unless the service must be reached from another machine.
    pub host_ip: String,
}

/// Packs `files` into an uncompressed tar, the body Docker's build endpoint takes.
pub fn tar_context(files: &[ContextFile]) -> BackendResult<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for f in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(f.contents.len() as u64);
        header.set_mode(f.mode);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, &f.path, f.contents.as_slice())
            .map_err(|e| other(format!("build context: {}: {e}", f.path)))?;
    }
    builder.into_inner().map_err(|e| other(format!("build context: {e}")))
}

/// Builds the image and gives it every tag in `spec.tags`; returns the image id. The build's
/// output is drained to the end; a failed step comes back with the build's last lines.
pub async fn build_image(docker: &Docker, spec: &BuildSpec, timeout: Duration) -> BackendResult<String> {
    let Some((first, rest)) = spec.tags.split_first() else {
        return Err(other("build: no tag given".into()));
    };
    let context = tar_context(&spec.files)?;
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let build_args: HashMap<String, String> = spec.build_args.clone().into_iter().collect();
        let labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(first)
            .buildargs(&build_args)
            .labels(&labels)
            .rm(true)
            .forcerm(true)
            .build();
        let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
        let mut tail = OutputTail::default();
        let mut id = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(line) = info.stream.as_deref().or(info.status.as_deref()) {
                        tail.push(line);
                    }
                    // (`aux` is a plain image id while bollard's `buildkit` feature is off.)
                    if let Some(image) = info.aux {
                        id = image.id.or(id);
                    }
                }
                Err(e) => return Err(with_tail(docker_error(&e), "build", &tail)),
            }
        }
        // Without BuildKit the id comes as a "Successfully built" line rather than in `aux`.
        let id = match id {
            Some(id) => id,
            None => docker.inspect_image(first).await.map_err(|e| docker_error(&e))?.id.unwrap_or_default(),
        };
        for tag in rest {
            tag_with(&docker, &id, tag).await?;
        }
        Ok(id)
    })
    .await
}

/// Gives `source` (an id or reference) the extra reference `target`.
pub async fn tag_image(docker: &Docker, source: &str, target: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, tag_with(&docker, source, target)).await
}

async fn tag_with(docker: &Docker, source: &str, target: &str) -> BackendResult<()> {
    let (repo, tag) = split_reference(target);
    let options = TagImageOptionsBuilder::default().repo(repo).tag(tag).build();
    docker.tag_image(source, Some(options)).await.map_err(|e| docker_error(&e))
}

/// Pushes `reference` to its registry (Docker talks plain HTTP to 127.0.0.1 registries);
/// returns the manifest digest the registry reported, when it did.
pub async fn push_image(docker: &Docker, reference: &str, timeout: Duration) -> BackendResult<Option<String>> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let (repo, tag) = split_reference(reference);
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut stream = docker.push_image(repo, Some(options), None);
        let mut tail = OutputTail::default();
        let mut digest = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status.as_deref() {
                        tail.push(status);
                        digest = digest_in_status(status).or(digest);
                    }
                }
                Err(e) => return Err(with_tail(docker_error(&e), &format!("push {reference}"), &tail)),
            }
        }
        Ok(digest)
    })
    .await
}

/// Pulls `reference` (`repo:tag` or `repo@sha256:...`) onto the engine.
pub async fn pull_image(docker: &Docker, reference: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let options = CreateImageOptionsBuilder::default().from_image(reference).build();
        let mut stream = docker.create_image(Some(options), None, None);
        let mut tail = OutputTail::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status.as_deref() {
                        tail.push(status);
                    }
                }
                Err(e) => return Err(with_tail(docker_error(&e), &format!("pull {reference}"), &tail)),
            }
        }
        Ok(())
    })
    .await
}

/// The image behind `reference` on this engine, or `None` when the engine has no such image.
pub async fn local_image(docker: &Docker, reference: &str, timeout: Duration) -> BackendResult<Option<LocalImage>> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        match docker.inspect_image(reference).await {
            Ok(image) => Ok(Some(LocalImage {
                id: image.id.unwrap_or_default(),
                repo_tags: image.repo_tags.unwrap_or_default(),
                repo_digests: image.repo_digests.unwrap_or_default(),
                labels: image.config.and_then(|c| c.labels).unwrap_or_default().into_iter().collect(),
            })),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// The digest (`sha256:...`) under which `repository` (`127.0.0.1:5000/api`) holds the image
/// `reference` points at; `None` until the image has been pushed there or pulled from there.
pub async fn repo_digest(
    docker: &Docker,
    reference: &str,
    repository: &str,
    timeout: Duration,
) -> BackendResult<Option<String>> {
    let Some(image) = local_image(docker, reference, timeout).await? else {
        return Err(BackendError::Status {
            system: SYSTEM,
            status: 404,
            reason: format!("no such image: {reference}"),
        });
    };
    Ok(digest_for_repository(&image.repo_digests, repository))
}

/// Removes one reference from the engine (the image itself goes with its last reference).
/// An image that is already gone is not an error; one still used by a container is.
pub async fn remove_image(docker: &Docker, reference: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let options = RemoveImageOptionsBuilder::default().force(false).noprune(false).build();
        match docker.remove_image(reference, Some(options), None).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// Creates (does not start) a slot container; returns its id. Restart policy `no`: opsdeck, not
/// Docker, decides when a slot runs.
pub async fn create_container(docker: &Docker, spec: &SlotSpec, timeout: Duration) -> BackendResult<String> {
    let docker = bounded(docker, timeout);
    let port_key = format!("{}/tcp", spec.container_port);
    let bindings = HashMap::from([(
        port_key.clone(),
        Some(vec![PortBinding { host_ip: Some(spec.host_ip.clone()), host_port: Some(spec.host_port.to_string()) }]),
    )]);
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        exposed_ports: Some(vec![port_key]),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            restart_policy: Some(RestartPolicy { name: Some(RestartPolicyNameEnum::NO), maximum_retry_count: None }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&spec.name).build();
    with_timeout(SYSTEM, timeout, async {
        let created = docker.create_container(Some(options), body).await.map_err(|e| docker_error(&e))?;
        Ok(created.id)
    })
    .await
}

/// Starts a container; one already running is left as it is.
pub async fn start_container(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async { docker.start_container(name, None).await.map_err(|e| docker_error(&e)) })
        .await
}

/// Stops a container: SIGTERM, then SIGKILL after `grace`. One already stopped is left as it
/// is. `timeout` bounds the whole call and should exceed `grace`.
pub async fn stop_container(docker: &Docker, name: &str, grace: Duration, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    let grace_secs = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
    with_timeout(SYSTEM, timeout, async {
        let options = StopContainerOptionsBuilder::default().t(grace_secs).build();
        docker.stop_container(name, Some(options)).await.map_err(|e| docker_error(&e))
    })
    .await
}

/// Removes a container, running or not. One that does not exist is not an error.
pub async fn remove_container(docker: &Docker, name: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, async {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match docker.remove_container(name, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(docker_error(&e)),
        }
    })
    .await
}

/// Every container, running or not, carrying all of `labels`: `("opsdeck.demo", Some(dir))`
/// matches the value, `("opsdeck.service", None)` only the key; no labels, every container.
pub async fn list_containers_by_label(
    docker: &Docker,
    labels: &[(&str, Option<&str>)],
    timeout: Duration,
) -> BackendResult<Vec<ContainerInfo>> {
    let docker = bounded(docker, timeout);
    let filter: Vec<String> = labels
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => (*k).to_string(),
        })
        .collect();
    let mut options = ListContainersOptionsBuilder::default().all(true);
    // No labels: every container (an empty filter list is not something to rely on).
    if !filter.is_empty() {
        options = options.filters(&HashMap::from([("label".to_string(), filter)]));
    }
    let options = options.build();
    with_timeout(SYSTEM, timeout, async {
        let found = docker.list_containers(Some(options)).await.map_err(|e| docker_error(&e))?;
        Ok(found.into_iter().map(container_info).collect())
    })
    .await
}

fn container_info(c: bollard::models::ContainerSummary) -> ContainerInfo {
    let status = c.status.unwrap_or_default();
    let ports = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.public_port.map(|public| (p.private_port, public)))
        .collect();
    ContainerInfo {
        id: c.id.unwrap_or_default(),
        name: c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string(),
        labels: c.labels.unwrap_or_default().into_iter().collect(),
        image: c.image.unwrap_or_default(),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        health: health_in_status(&status),
        status,
        ports,
        created: c.created.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
    }
}

/// API 1.41 lists no health field; the status text carries it (`Up 3 minutes (healthy)`).
fn health_in_status(status: &str) -> DockerHealth {
    if !status.starts_with("Up") {
        DockerHealth::None
    } else if status.contains("(healthy)") {
        DockerHealth::Healthy
    } else if status.contains("(unhealthy)") {
        DockerHealth::Unhealthy
    } else if status.contains("(health: starting)") {
        DockerHealth::Starting
    } else {
        DockerHealth::None
    }
}

/// `127.0.0.1:5000/api:v1` -> (`127.0.0.1:5000/api`, `v1`); no tag means `latest`. A colon
/// before the last `/` is a registry port, not a tag.
pub fn split_reference(reference: &str) -> (&str, &str) {
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].rfind(':') {
        Some(i) => (&reference[..name_start + i], &reference[name_start + i + 1..]),
        None => (reference, "latest"),
    }
}

/// The digest in `repo_digests` that belongs to `repository`.
pub fn digest_for_repository(repo_digests: &[String], repository: &str) -> Option<String> {
    repo_digests
        .iter()
        .find_map(|d| d.strip_prefix(repository).and_then(|rest| rest.strip_prefix('@')))
        .map(str::to_string)
}

/// The push stream ends with `v1.2.0: digest: sha256:... size: 527`.
fn digest_in_status(status: &str) -> Option<String> {
    let (_, after) = status.split_once("digest: ")?;
    let digest = after.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_string())
}

/// Docker's client keeps one deadline for every request; ours is per call, so each call runs on
/// a clone carrying its own (whole seconds, at least one: Docker's client counts in seconds).
fn bounded(docker: &Docker, timeout: Duration) -> Docker {
    let secs = timeout.as_secs_f64().ceil().max(1.0) as u64;
    docker.clone().with_timeout(Duration::from_secs(secs))
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}

fn other(reason: String) -> BackendError {
    BackendError::Other { system: SYSTEM, reason }
}

/// The last lines of a build/push/pull output, to explain a failure.
#[derive(Default)]
struct OutputTail(Vec<String>);

impl OutputTail {
    const KEEP: usize = 5;

    fn push(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if self.0.len() == Self::KEEP {
            self.0.remove(0);
        }
        self.0.push(line.to_string());
    }
}

fn with_tail(e: BackendError, what: &str, tail: &OutputTail) -> BackendError {
    let context = if tail.0.is_empty() { String::new() } else { format!(" (after: {})", tail.0.join(" | ")) };
    match e {
        BackendError::Other { system, reason } => {
            BackendError::Other { system, reason: format!("{what}: {reason}{context}") }
        }
        BackendError::Status { system, status, reason } => {
            BackendError::Status { system, status, reason: format!("{what}: {reason}{context}") }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag_not_the_port() {
        assert_eq!(split_reference("127.0.0.1:5000/api:v1.2.0"), ("127.0.0.1:5000/api", "v1.2.0"));
        assert_eq!(split_reference("127.0.0.1:5000/api"), ("127.0.0.1:5000/api", "latest"));
        assert_eq!(split_reference("api:abc1234"), ("api", "abc1234"));
        assert_eq!(split_reference("opsdeck-demo/web"), ("opsdeck-demo/web", "latest"));
    }

    #[test]
    fn repo_digest_is_picked_by_repository() {
        let digests = vec!["127.0.0.1:5000/api@sha256:aaa".to_string(), "127.0.0.1:5001/api@sha256:bbb".to_string()];
        assert_eq!(digest_for_repository(&digests, "127.0.0.1:5001/api"), Some("sha256:bbb".into()));
        assert_eq!(digest_for_repository(&digests, "127.0.0.1:5000/ap"), None);
    }

    #[test]
    fn push_status_carries_the_digest() {
        assert_eq!(digest_in_status("v1.2.0: digest: sha256:0123abcd size: 527"), Some("sha256:0123abcd".into()));
        assert_eq!(digest_in_status("Pushed"), None);
    }

    #[test]
    fn health_is_read_from_the_status_text() {
        assert_eq!(health_in_status("Up 3 minutes (healthy)"), DockerHealth::Healthy);
        assert_eq!(health_in_status("Up 1 second (health: starting)"), DockerHealth::Starting);
        assert_eq!(health_in_status("Up 2 hours (unhealthy)"), DockerHealth::Unhealthy);
        assert_eq!(health_in_status("Exited (0) 5 seconds ago"), DockerHealth::None);
    }

    #[test]
    fn context_is_a_tar_with_modes() {
        let files = vec![
            ContextFile { path: "Dockerfile".into(), contents: b"FROM scratch\n".to_vec(), mode: 0o644 },
            ContextFile { path: "bin".into(), contents: vec![1, 2, 3], mode: 0o755 },
        ];
        let bytes = tar_context(&files).expect("tar");
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (e.path().expect("path").display().to_string(), e.header().mode().expect("mode"), e.size())
            })
            .collect();
        assert_eq!(entries, vec![("Dockerfile".into(), 0o644, 13), ("bin".into(), 0o755, 3)]);
    }
}
