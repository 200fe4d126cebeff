//! A multi-platform image on the real demo stack: the test pushes to the demo's registry an image
//! index (a Docker manifest list) of two platform manifests over the demo binary's layers, api's
//! v1.3.0 for linux/amd64 and the same layers under an arm64 config. The history shows it as one
//! image, its index digest with both platforms, and it is promoted: the engine pulls the platform
//! it runs.

mod support;

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{stack_available, Demo};

const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

async fn push_blob(http: &reqwest::Client, base: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let started = http.post(format!("{base}/v2/api/blobs/uploads/")).send().await.expect("start upload");
    let location = started.headers()[LOCATION].to_str().expect("location").to_string();
    let url = if location.starts_with("http") { location } else { format!("{base}{location}") };
    let sep = if url.contains('?') { '&' } else { '?' };
    let put = http.put(format!("{url}{sep}digest={digest}")).body(bytes.to_vec()).send().await.expect("upload");
    assert!(put.status().is_success(), "blob upload: {}", put.status());
    digest
}

async fn put_manifest(http: &reqwest::Client, base: &str, reference: &str, media_type: &str, body: &[u8]) -> String {
    let put = http
        .put(format!("{base}/v2/api/manifests/{reference}"))
        .header(CONTENT_TYPE, media_type)
        .body(body.to_vec())
        .send()
        .await
        .expect("put manifest");
    assert!(put.status().is_success(), "put manifest {reference}: {} {:?}", put.status(), put.text().await);
    sha256(body)
}

/// Pushes `api:v1.4.0-multi`, an index of v1.3.0 (amd64) and its arm64 twin; returns its digest.
async fn push_index(base: &str) -> String {
    let http = reqwest::Client::new();
    let amd = http
        .get(format!("{base}/v2/api/manifests/v1.3.0"))
        .header(ACCEPT, MANIFEST)
        .send()
        .await
        .expect("get manifest")
        .bytes()
        .await
        .expect("manifest body");
    let manifest: Value = serde_json::from_slice(&amd).expect("manifest json");
    let config_digest = manifest["config"]["digest"].as_str().expect("config digest");
    let config = http
        .get(format!("{base}/v2/api/blobs/{config_digest}"))
        .send()
        .await
        .expect("config")
        .bytes()
        .await
        .expect("body");
    let mut config: Value = serde_json::from_slice(&config).expect("config json");
    config["architecture"] = json!("arm64");
    let arm_config = serde_json::to_vec(&config).expect("config bytes");
    let arm_config_digest = push_blob(&http, base, &arm_config).await;
    let mut arm = manifest.clone();
    arm["config"]["digest"] = json!(arm_config_digest);
    arm["config"]["size"] = json!(arm_config.len());
    let arm_bytes = serde_json::to_vec(&arm).expect("arm manifest");
    let arm_digest = sha256(&arm_bytes);
    put_manifest(&http, base, &arm_digest, MANIFEST, &arm_bytes).await;
    let list = json!({
        "schemaVersion": 2,
        "mediaType": LIST,
        "manifests": [
            {"mediaType": MANIFEST, "digest": sha256(&amd), "size": amd.len(), "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": MANIFEST, "digest": arm_digest, "size": arm_bytes.len(), "platform": {"architecture": "arm64", "os": "linux"}},
        ],
    });
    let list_bytes = serde_json::to_vec(&list).expect("list bytes");
    put_manifest(&http, base, "v1.4.0-multi", LIST, &list_bytes).await
}

#[test]
fn an_image_index_shows_as_one_image_and_is_promoted() {
    if !stack_available() {
        return;
    }
    let demo = Demo::up(&[]);
    let config = opsdeck_core::config::load(&demo.config()).expect("config");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let index = rt.block_on(push_index(&config.registry.url));

    let status = demo.status_json();
    let images = status["images"]["api"].as_array().expect("api images");
    let multi = images.iter().find(|i| i["tags"].as_array().is_some_and(|t| t.contains(&json!("v1.4.0-multi"))));
    let multi = multi.unwrap_or_else(|| panic!("no v1.4.0-multi in {images:?}"));
    assert_eq!(multi["digest"], index.as_str(), "one image: the index's digest");
    assert_eq!(multi["platforms"], json!(["linux/amd64", "linux/arm64"]), "{multi}");

    let (st, out, err) =
        demo.opsdeck(&["promote", "api", "--to", "dev", "--image", "v1.4.0-multi", "--yes", "--watch", "0s"]);
    assert!(st.success(), "{out}{err}");
    let status = demo.status_json();
    let dev = &status["environments"][0]["services"][0];
    assert_eq!(dev["image"]["tag"], "v1.4.0-multi", "{dev}");
    assert_eq!(dev["image"]["digest"], index.as_str(), "{dev}");
    assert_eq!(dev["health"], "healthy", "{dev}");
}
