//! How tags and images are ordered: by kind, by semver, by creation time.

use super::{digest, pairs};
use crate::registry::group_by_digest;
use crate::registry::version::Version;
use chrono::{TimeZone, Utc};
use std::collections::HashMap;

#[test]
fn tags_in_an_image_sort_versions_then_shas_then_others() {
    let a = digest('a');
    let images = group_by_digest(
        pairs(&[
            ("latest", &a),
            ("3f9c2e1", &a),
            ("v1.4.0", &a),
            ("v1.10.0", &a),
            ("v1.10.0-rc.1", &a),
            ("v1.9.12", &a),
            ("0123456789abcdef0123456789abcdef01234567", &a),
            ("main", &a),
            ("abc", &a),
        ]),
        &HashMap::new(),
    );
    assert_eq!(images.len(), 1);
    assert_eq!(
        images[0].tags,
        [
            "v1.10.0",
            "v1.10.0-rc.1",
            "v1.9.12",
            "v1.4.0",
            "0123456789abcdef0123456789abcdef01234567",
            "3f9c2e1",
            "abc",
            "latest",
            "main"
        ]
    );
}

#[test]
fn semver_prerelease_order() {
    let order = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0"];
    for w in order.windows(2) {
        let (a, b) = (Version::parse(w[0]).expect("a"), Version::parse(w[1]).expect("b"));
        assert!(a < b, "{} < {}", w[0], w[1]);
    }
    for not_a_version in ["v1.2", "v1.2.3.4", "va.b.c", "v1.2.3-", "v1..3", "latest"] {
        assert_eq!(Version::parse(not_a_version), None, "{not_a_version}");
    }
}

#[test]
fn images_sort_newest_first_then_unknown_by_version() {
    let (a, b, c, d, e) = (digest('a'), digest('b'), digest('c'), digest('d'), digest('e'));
    let t = |h| Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).single().expect("time");
    let created = HashMap::from([(a.clone(), t(10)), (b.clone(), t(12)), (c.clone(), t(12))]);
    let images = group_by_digest(
        pairs(&[
            ("v1.3.2", &a),
            ("8a1b0c7", &a),
            ("v1.4.0", &b),
            ("3f9c2e1", &b),
            ("latest", &b),
            ("v1.4.1", &c),
            ("v0.9.0", &d),
            ("feature-x", &e),
            ("v1.0.0", &e),
            ("v1.1.0", &e),
        ]),
        &created,
    );
    let order: Vec<&str> = images.iter().map(|i| i.tags[0].as_str()).collect();
    // c and b tie on time: the higher version wins. d and e are unknown: by version too.
    assert_eq!(order, ["v1.4.1", "v1.4.0", "v1.3.2", "v1.1.0", "v0.9.0"]);
    assert_eq!(images[1].tags, ["v1.4.0", "3f9c2e1", "latest"]);
    assert_eq!(images[1].created, Some(t(12)));
    assert_eq!(images[3].created, None);
}
