//! A repository's tags grouped into images by digest, and the order they are shown in: tags by
//! kind (versions, git shas, the rest), images newest first.

use super::version::Version;
use crate::types::RegistryImage;
use chrono::{DateTime, Utc};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, HashMap};

/// Groups `(tag, digest)` pairs into images. Tags inside an image: versions newest first, then
/// git shas, then the rest (`latest`, branch names) alphabetically. Images: newest `created`
/// first; unknown or equal times after, by their highest version tag; then by digest, so the
/// order is stable.
pub fn group_by_digest(pairs: Vec<(String, String)>, created: &HashMap<String, DateTime<Utc>>) -> Vec<RegistryImage> {
    let mut by_digest: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (tag, digest) in pairs {
        by_digest.entry(digest).or_default().insert(tag);
    }
    let mut images: Vec<RegistryImage> = by_digest
        .into_iter()
        .map(|(digest, tags)| {
            let mut tags: Vec<String> = tags.into_iter().collect();
            tags.sort_by(|a, b| compare_tags(a, b));
            RegistryImage { created: created.get(&digest).copied(), digest, tags, platforms: Vec::new() }
        })
        .collect();
    images.sort_by_cached_key(|image| {
        let best_version = image.tags.iter().filter_map(|t| Version::parse(t)).max();
        (image.created.is_none(), Reverse(image.created), Reverse(best_version), image.digest.clone())
    });
    images
}

/// What a tag says about itself; the order of the variants is the display order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TagKind {
    /// `vMAJOR.MINOR.PATCH` (newest first, so wrapped in `Reverse`).
    Version(Reverse<Version>),
    /// A git commit, 7 to 40 lowercase hex digits.
    GitSha,
    Other,
}

fn tag_kind(tag: &str) -> TagKind {
    if let Some(version) = Version::parse(tag) {
        TagKind::Version(Reverse(version))
    } else if (7..=40).contains(&tag.len()) && tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        TagKind::GitSha
    } else {
        TagKind::Other
    }
}

fn compare_tags(a: &str, b: &str) -> Ordering {
    tag_kind(a).cmp(&tag_kind(b)).then_with(|| a.cmp(b))
}
