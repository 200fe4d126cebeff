//! The container detail overlay's state (Enter on a slot): which container, and what `docker
//! inspect` said, cleaned and with secrets masked before it is kept, so neither the model nor
//! the screen ever holds a secret value.

use super::views::tag_of;
use super::{HostId, SlotId};
use opsdeck_backends::types::{labels, ContainerDetail};

/// The open detail overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerView {
    pub slot: SlotId,
    pub host: HostId,
    /// The container inspected: its answer is taken only if it is about this one.
    pub container_id: String,
    pub name: String,
    pub state: DetailState,
    /// Lines scrolled past.
    pub scroll: u16,
}

/// Where the inspect is.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailState {
    Loading,
    Loaded(Box<ContainerDetail>),
    /// Why it could not be had (the engine's error, cleaned).
    Failed(String),
}

pub use opsdeck_core::world::detail::{masked_detail, HEALTH_LOG};

/// The image's tag (from the reference it was created from, or opsdeck's label).
pub fn image_tag(d: &ContainerDetail) -> String {
    let tag = tag_of(&d.image);
    if !tag.is_empty() {
        return tag;
    }
    d.labels.get(labels::IMAGE).map(|r| tag_of(r)).unwrap_or_default()
}

/// The image's registry digest: the repo digest of the repository it was created from, else
/// the first one, else opsdeck's label.
pub fn image_digest(d: &ContainerDetail) -> String {
    let repo = d.image.rsplit_once(':').filter(|(_, t)| !t.contains('/')).map_or(d.image.as_str(), |(r, _)| r);
    let repo = repo.split('@').next().unwrap_or(repo);
    let digest_of = |rd: &String| rd.split_once('@').map(|(_, dg)| dg.to_string());
    d.repo_digests
        .iter()
        .find(|rd| rd.split('@').next() == Some(repo))
        .or(d.repo_digests.first())
        .and_then(digest_of)
        .or_else(|| d.labels.get(labels::DIGEST).cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gen_container_detail;

    #[test]
    fn tag_and_digest_come_from_the_reference_and_repo_digests() {
        let mut d = gen_container_detail("prod", "api", "blue", "v1.2.0");
        assert_eq!(image_tag(&d), "v1.2.0");
        d.repo_digests = vec!["other/x@sha256:0000".into(), "127.0.0.1:5000/api@sha256:1234".into()];
        assert_eq!(image_digest(&d), "sha256:1234");
        d.repo_digests.clear();
        assert_eq!(image_digest(&d), d.labels[labels::DIGEST]);
    }
}
