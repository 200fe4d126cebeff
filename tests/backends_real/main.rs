//! The backends crate against the real components: a `docker-registry`, HAProxy, Alertmanager and
//! the Docker engine, each test starting its own on free loopback ports and taking it all down
//! again (also when an assertion fails halfway). Without the components a test prints why and
//! passes, except under `CI=true`, where it fails.
//!
//! The images are built FROM scratch from the static demo-service binary:
//! `$OPSDECK_DEMO_BINARY`, else `target/x86_64-unknown-linux-gnu/release/demo-service`, else it is
//! built here (`./scripts/test.sh` builds it and sets the variable).

#[path = "../support/mod.rs"]
mod support;

mod alertmanager;
mod common;
mod docker;
mod haproxy;
mod health;
mod private_registry;
mod registry;
mod replicas;
