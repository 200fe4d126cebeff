//! Building an image from a context held in memory: the tar Docker takes, and the build itself.

use super::bounded;
use super::images::tag_with;
use super::output::{with_tail, OutputTail};
use crate::docker::{docker_error, SYSTEM};
use crate::error::{with_timeout, BackendError, BackendResult};
use bollard::query_parameters::BuildImageOptionsBuilder;
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

fn other(reason: String) -> BackendError {
    BackendError::Other { system: SYSTEM, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

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
