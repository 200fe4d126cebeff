//! Changing what runs on a Docker engine: build an image from an in-memory context, tag, push,
//! pull, find an image's repository digest, and create, start, stop, remove and list slot
//! containers. Every call takes its own deadline, because these take longer than a read (a build,
//! a stop with its grace period) and a caller knows how long it is willing to wait.

mod build;
mod containers;
mod images;
mod output;
mod reference;

pub use build::{build_image, tar_context, BuildSpec, ContextFile};
pub use containers::{
    create_container, list_containers_by_label, remove_container, start_container, stop_container, SlotSpec,
};
pub(crate) use images::docker_credentials;
pub use images::{
    local_image, pull_image, pull_image_as, push_image, push_image_as, remove_image, repo_digest, tag_image, LocalImage,
};
pub use reference::{digest_for_repository, split_reference};

use bollard::Docker;
use std::time::Duration;

/// Docker's client keeps one deadline for every request; ours is per call, so each call runs on
/// a clone carrying its own (whole seconds, at least one: Docker's client counts in seconds).
fn bounded(docker: &Docker, timeout: Duration) -> Docker {
    let secs = timeout.as_secs_f64().ceil().max(1.0) as u64;
    docker.clone().with_timeout(Duration::from_secs(secs))
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}
