//! Small OCI artifacts: a JSON document pushed as the one layer of an image manifest (config: the
//! OCI empty descriptor), with annotations, under a tag of its own; and read back. What opsdeck
//! keeps off the bastion (the audit chain's anchors) travels this way.

use super::manifest::sha256_digest;
use super::names::{check_digest, check_reference, check_repo};
use super::{RegistryClient, MANIFEST_CAP, SYSTEM};
use crate::error::{BackendError, BackendResult};
use crate::health::parse_json;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY: &[u8] = b"{}";
/// An artifact's document is small; a bigger one is not ours.
const DOCUMENT_CAP: usize = 1 << 20;

/// What is pushed: `document` (JSON) of `media_type`, and the manifest's annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub media_type: String,
    pub document: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

impl RegistryClient {
    /// Pushes `artifact` to `repo` under `tag` (blobs, then the manifest); returns the manifest's
    /// digest.
    pub async fn push_artifact(&self, repo: &str, tag: &str, artifact: &Artifact) -> BackendResult<String> {
        check_repo(repo)?;
        check_reference(tag)?;
        if artifact.document.len() > DOCUMENT_CAP {
            return Err(BackendError::Other { system: SYSTEM, reason: "artifact document over 1 MiB".into() });
        }
        let empty = self.push_blob(repo, EMPTY).await?;
        let layer = self.push_blob(repo, &artifact.document).await?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact.media_type,
            "config": { "mediaType": EMPTY_MEDIA_TYPE, "digest": empty, "size": EMPTY.len() },
            "layers": [{ "mediaType": artifact.media_type, "digest": layer, "size": artifact.document.len() }],
            "annotations": artifact.annotations,
        });
        let body = serde_json::to_vec(&manifest)
            .map_err(|e| BackendError::Other { system: SYSTEM, reason: format!("manifest: {e}") })?;
        let digest = sha256_digest(&body);
        let url = self.url(&format!("/v2/{repo}/manifests/{tag}"))?;
        self.send(self.http.put(url).header(CONTENT_TYPE, OCI_MANIFEST).body(body), MANIFEST_CAP).await?;
        Ok(digest)
    }

    /// The artifact under `reference` (a tag or digest) in `repo`: its annotations and document.
    pub async fn artifact(&self, repo: &str, reference: &str) -> BackendResult<Artifact> {
        check_repo(repo)?;
        check_reference(reference)?;
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let answer = self.send(self.http.get(url).header(ACCEPT, OCI_MANIFEST), MANIFEST_CAP).await?;
        let manifest: Value = parse_json(SYSTEM, &answer.body)?;
        let bad = |what: &str| BackendError::Protocol { system: SYSTEM, reason: format!("{repo}:{reference}: {what}") };
        let layer = manifest["layers"].get(0).ok_or_else(|| bad("no layer"))?;
        let digest = layer["digest"].as_str().ok_or_else(|| bad("a layer without a digest"))?;
        check_digest(digest)?;
        let blob = self.send(self.http.get(self.url(&format!("/v2/{repo}/blobs/{digest}"))?), DOCUMENT_CAP).await?;
        if sha256_digest(&blob.body) != digest {
            return Err(bad("the document does not match its digest"));
        }
        let annotations = manifest["annotations"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
            .unwrap_or_default();
        let media_type = layer["mediaType"].as_str().unwrap_or_default().to_string();
        Ok(Artifact { media_type, document: blob.body.to_vec(), annotations })
    }

    /// Uploads `bytes` as a blob of `repo` (a monolithic upload: POST, then PUT with the digest);
    /// returns its digest. A blob the registry has already is sent again, which it accepts.
    async fn push_blob(&self, repo: &str, bytes: &[u8]) -> BackendResult<String> {
        let digest = sha256_digest(bytes);
        let start = self.url(&format!("/v2/{repo}/blobs/uploads/"))?;
        let answer = self.send(self.http.post(start), MANIFEST_CAP).await?;
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| BackendError::Protocol { system: SYSTEM, reason: "an upload without a Location".into() })?;
        // Relative to the registry, or absolute on the registry's own origin only.
        let mut url = match reqwest::Url::parse(location) {
            Ok(absolute) if absolute.origin() == self.base_origin.origin() => absolute,
            Ok(_) => {
                return Err(BackendError::Protocol {
                    system: SYSTEM,
                    reason: "an upload Location on another host".into(),
                })
            }
            Err(_) => self.base_origin.join(location).map_err(|e| BackendError::Protocol {
                system: SYSTEM,
                reason: format!("upload Location {location:?}: {e}"),
            })?,
        };
        url.query_pairs_mut().append_pair("digest", &digest);
        let put = self.http.put(url).header(CONTENT_TYPE, "application/octet-stream").body(bytes.to_vec());
        self.send(put, MANIFEST_CAP).await?;
        Ok(digest)
    }
}
