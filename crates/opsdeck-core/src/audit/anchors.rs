//! Anchors of the audit chain off the bastion. Anyone in the store's group can edit the audit
//! table and recompute every hash after the edit, and the local walk then says "intact". So the
//! chain's head (sequence, hash, time), with the hash of every record since the previous anchor,
//! is pushed to the registry as a small OCI artifact in a repository of its own (`opsdeck-audit`,
//! one tag per anchor, `seq-0000000042`). `audit verify` compares the local chain with them and
//! names the first record that no longer matches. Pushing is batched (one anchor for every record
//! written since the last) and bounded (records per anchor, anchors per catch-up, the registry
//! timeout): an unreachable registry delays anchors, never an action, and doctor says how far
//! behind they are.

use crate::config::Config;
use crate::store::{AnchorState, Store};
use chrono::{DateTime, Utc};
use opsdeck_backends::registry::{Artifact, RegistryClient};
use opsdeck_backends::BackendError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The registry repository anchors go to.
pub const REPOSITORY: &str = "opsdeck-audit";
/// The media type of an anchor document.
pub const MEDIA_TYPE: &str = "application/vnd.opsdeck.audit.anchor.v1+json";
/// Records one anchor lists at most (its document stays a few tens of KiB).
pub const MAX_RECORDS: usize = 500;
/// Anchors one catch-up pushes at most: a long outage's backlog goes out over a few runs.
pub const MAX_ANCHORS: usize = 10;

/// What an anchor holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorDoc {
    /// The chain's head when it was pushed: its last record and that record's hash.
    pub seq: u64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// Every record since the previous anchor, `(seq, hash)`, so a mismatch names its record.
    pub records: Vec<(u64, String)>,
}

/// An anchor's tag: sorts by sequence.
pub fn tag(seq: u64) -> String {
    format!("seq-{seq:010}")
}

fn seq_of(tag: &str) -> Option<u64> {
    tag.strip_prefix("seq-").and_then(|n| n.parse().ok())
}

fn client(config: &Config) -> Result<RegistryClient, String> {
    crate::outside::registry_client(config).map_err(|e| e.to_string())
}

async fn with_store<T: Send + 'static>(
    config: &Config,
    f: impl FnOnce(&mut Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, String> {
    let path = config.state_path.clone();
    tokio::task::spawn_blocking(move || Store::open(&path).and_then(|mut s| f(&mut s)).map_err(|e| e.to_string()))
        .await
        .map_err(|_| "the store task panicked".to_string())?
}

/// Pushes an anchor for the records not anchored yet (several when there are more than
/// [`MAX_RECORDS`], at most [`MAX_ANCHORS`]); returns how many were pushed. A failure is
/// remembered in the store (doctor shows it) and returned; nothing else depends on it.
pub async fn catch_up(config: &Config) -> Result<usize, String> {
    let mut pushed = 0;
    while pushed < MAX_ANCHORS {
        let batch = with_store(config, |s| {
            let state = s.anchor_state()?;
            s.audit_hashes_after(state.seq, MAX_RECORDS)
        })
        .await?;
        let Some((seq, hash)) = batch.last().cloned() else { break };
        let doc = AnchorDoc { seq, hash: hash.clone(), at: Utc::now(), records: batch };
        let at = doc.at;
        let result = match client(config) {
            Ok(c) => push(&c, &doc).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => with_store(config, move |s| s.anchored(seq, &hash, &tag(seq), at)).await?,
            Err(e) => {
                let why = e.clone();
                let _ = with_store(config, move |s| s.anchor_failed(&why, Utc::now())).await;
                return Err(e);
            }
        }
        pushed += 1;
    }
    Ok(pushed)
}

async fn push(client: &RegistryClient, doc: &AnchorDoc) -> Result<(), String> {
    let document = serde_json::to_vec(doc).map_err(|e| format!("anchor document: {e}"))?;
    let annotations = BTreeMap::from([
        ("org.opsdeck.audit.seq".to_string(), doc.seq.to_string()),
        ("org.opsdeck.audit.hash".to_string(), doc.hash.clone()),
        ("org.opsdeck.audit.time".to_string(), doc.at.to_rfc3339()),
    ]);
    let artifact = Artifact { media_type: MEDIA_TYPE.into(), document, annotations };
    client.push_artifact(REPOSITORY, &tag(doc.seq), &artifact).await.map(|_| ()).map_err(|e| e.to_string())
}

/// How the local chain stands against the registry's anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorCheck {
    /// Every anchor matches; the newest covers records up to `seq`.
    Matches { anchors: usize, seq: u64 },
    /// Record `seq` is not what anchor `tag` (pushed `at`) says it was.
    Mismatch { seq: u64, tag: String, at: DateTime<Utc>, why: String },
    /// The registry holds no anchor yet.
    NoAnchors,
    /// The registry could not be asked: nothing is known either way.
    Unchecked(String),
}

/// Compares the local chain with the registry's anchors. Because each record's hash covers every
/// record before it, an anchor that matches vouches for all earlier records: the newest anchor is
/// asked first, and only on a mismatch are the others searched for the first one that differs.
pub async fn check(config: &Config) -> AnchorCheck {
    let client = match client(config) {
        Ok(c) => c,
        Err(e) => return AnchorCheck::Unchecked(e),
    };
    let mut anchors: Vec<(u64, String)> = match client.list_tags(REPOSITORY).await {
        Ok(tags) => tags.into_iter().filter_map(|t| seq_of(&t).map(|s| (s, t))).collect(),
        Err(BackendError::Status { status: 404, .. }) => Vec::new(),
        Err(e) => return AnchorCheck::Unchecked(e.to_string()),
    };
    anchors.sort();
    let Some(newest) = anchors.last().cloned() else { return AnchorCheck::NoAnchors };
    match differs(config, &client, &newest.1).await {
        Err(e) => return AnchorCheck::Unchecked(e),
        Ok(None) => return AnchorCheck::Matches { anchors: anchors.len(), seq: newest.0 },
        Ok(Some(_)) => {}
    }
    // The first anchor that differs: every one before it matches, every one after it differs.
    let (mut lo, mut hi) = (0, anchors.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match differs(config, &client, &anchors[mid].1).await {
            Err(e) => return AnchorCheck::Unchecked(e),
            Ok(None) => lo = mid + 1,
            Ok(Some(_)) => hi = mid,
        }
    }
    match differs(config, &client, &anchors[lo].1).await {
        Ok(Some(m)) => m,
        Ok(None) => AnchorCheck::Matches { anchors: anchors.len(), seq: newest.0 },
        Err(e) => AnchorCheck::Unchecked(e),
    }
}

/// `None` when the anchor under `tag` matches the local chain, else the first record it lists
/// that the local chain no longer has as anchored.
async fn differs(config: &Config, client: &RegistryClient, tag: &str) -> Result<Option<AnchorCheck>, String> {
    let artifact = client.artifact(REPOSITORY, tag).await.map_err(|e| e.to_string())?;
    let doc: AnchorDoc =
        serde_json::from_slice(&artifact.document).map_err(|e| format!("anchor {tag} cannot be read: {e}"))?;
    let listed = doc.records.clone();
    let head = (doc.seq, doc.hash.clone());
    let local = with_store(config, move |s| {
        let mut out = Vec::new();
        for (seq, _) in listed.iter().chain(std::iter::once(&head)) {
            out.push((*seq, s.audit_hash_at(*seq)?));
        }
        Ok(out)
    })
    .await?;
    let head = (doc.seq, doc.hash.clone());
    let anchored = doc.records.iter().chain(std::iter::once(&head)).cloned();
    for ((seq, want), (_, have)) in anchored.zip(local) {
        let why = match have {
            Some(h) if h == want => continue,
            Some(_) => "its hash is not the one anchored".to_string(),
            None => "it is gone".to_string(),
        };
        return Ok(Some(AnchorCheck::Mismatch { seq, tag: tag.to_string(), at: doc.at, why }));
    }
    Ok(None)
}

/// Doctor's view: how far behind the anchors are, and why the last push failed.
pub fn state(config: &Config) -> Result<AnchorState, String> {
    Store::open(&config.state_path).and_then(|s| s.anchor_state()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_sort_by_sequence_and_read_back() {
        assert_eq!(tag(42), "seq-0000000042");
        assert!(tag(9) < tag(10) && tag(99_999) < tag(100_000));
        assert_eq!(seq_of(&tag(42)), Some(42));
        assert_eq!(seq_of("latest"), None);
    }
}
