//! Images on the engine and in registries: tag, push, pull, look up, find the repository digest,
//! remove.

use super::output::{with_tail, OutputTail};
use super::reference::{digest_for_repository, digest_in_status, split_reference};
use super::{bounded, is_not_found};
use crate::docker::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendError, BackendResult};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, PushImageOptionsBuilder, RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::Duration;

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

/// Gives `source` (an id or reference) the extra reference `target`.
pub async fn tag_image(docker: &Docker, source: &str, target: &str, timeout: Duration) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    with_timeout(SYSTEM, timeout, tag_with(&docker, source, target)).await
}

pub(super) async fn tag_with(docker: &Docker, source: &str, target: &str) -> BackendResult<()> {
    let (repo, tag) = split_reference(target);
    let options = TagImageOptionsBuilder::default().repo(repo).tag(tag).build();
    docker.tag_image(source, Some(options)).await.map_err(|e| docker_error(&e))
}

/// Pushes `reference` to its registry (Docker talks plain HTTP to 127.0.0.1 registries);
/// returns the manifest digest the registry reported, when it did.
pub async fn push_image(docker: &Docker, reference: &str, timeout: Duration) -> BackendResult<Option<String>> {
    push_image_as(docker, reference, timeout, None).await
}

/// [`push_image`] with the registry's credentials (`(registry host, credentials)`).
pub async fn push_image_as(
    docker: &Docker,
    reference: &str,
    timeout: Duration,
    auth: Option<&(String, crate::registry::RegistryCredentials)>,
) -> BackendResult<Option<String>> {
    let docker = bounded(docker, timeout);
    let credentials = auth.map(docker_credentials);
    with_timeout(SYSTEM, timeout, async {
        let (repo, tag) = split_reference(reference);
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut stream = docker.push_image(repo, Some(options), credentials);
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
    pull_image_as(docker, reference, timeout, None).await
}

/// [`pull_image`] with the registry's credentials (`(registry host, credentials)`), which the
/// engine uses for that pull only.
pub async fn pull_image_as(
    docker: &Docker,
    reference: &str,
    timeout: Duration,
    auth: Option<&(String, crate::registry::RegistryCredentials)>,
) -> BackendResult<()> {
    let docker = bounded(docker, timeout);
    let credentials = auth.map(docker_credentials);
    with_timeout(SYSTEM, timeout, async {
        let options = CreateImageOptionsBuilder::default().from_image(reference).build();
        let mut stream = docker.create_image(Some(options), None, credentials);
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

/// What the engine sends to `server` for one pull or push.
pub(crate) fn docker_credentials(
    auth: &(String, crate::registry::RegistryCredentials),
) -> bollard::auth::DockerCredentials {
    let (server, c) = auth;
    bollard::auth::DockerCredentials {
        username: Some(c.username.clone()),
        password: Some(c.password.clone()),
        serveraddress: Some(server.clone()),
        ..Default::default()
    }
}
