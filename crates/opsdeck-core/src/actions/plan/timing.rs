//! How long each part of an action may take, and the gate it is judged by: what a plan carries
//! of the config, so that the journal holds it and a recovery after a crash uses the same.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long each bounded wait may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    #[serde(with = "humantime_serde")]
    pub health_wait: Duration,
    #[serde(with = "humantime_serde")]
    pub drain_wait: Duration,
    #[serde(with = "humantime_serde")]
    pub stop_grace: Duration,
    #[serde(with = "humantime_serde")]
    pub watch: Duration,
    /// Deadline of any single outside call step (pull, create, start, set server).
    #[serde(with = "humantime_serde")]
    pub step_timeout: Duration,
    /// The watch's gate: the new slot's highest 5xx share, in basis points (200: 2 %), judged
    /// once `min_requests` were answered; from the environment's `[environments.canary]`.
    /// (Basis points keep the plan comparable for equality, as the journal's checks want.)
    #[serde(default = "default_max_error_bp")]
    pub max_error_bp: u32,
    #[serde(default = "default_min_requests")]
    pub min_requests: u64,
    /// How long the old slot stays running, out of traffic, after a switch (a rollback meanwhile
    /// is a switch); zero stops it at once. The config's default is an hour; a bare `Timing`
    /// (and a journal written before this existed) stops at once.
    #[serde(default, with = "humantime_serde")]
    pub keep_warm: Duration,
    /// How long a canary holds each stage (from `[environments.canary] hold`).
    #[serde(default = "default_canary_hold", with = "humantime_serde")]
    pub canary_hold: Duration,
}

fn default_canary_hold() -> Duration {
    crate::config::CanaryConfig::default().hold
}

fn default_max_error_bp() -> u32 {
    basis_points(crate::config::CanaryConfig::default().max_error_rate)
}

fn default_min_requests() -> u64 {
    crate::config::CanaryConfig::default().min_requests
}

/// A share (0.02) in basis points (200).
pub fn basis_points(share: f64) -> u32 {
    (share * 10_000.0).round().clamp(0.0, 10_000.0) as u32
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            health_wait: Duration::from_secs(60),
            drain_wait: Duration::from_secs(30),
            stop_grace: Duration::from_secs(10),
            watch: Duration::from_secs(60),
            step_timeout: Duration::from_secs(120),
            max_error_bp: default_max_error_bp(),
            min_requests: default_min_requests(),
            keep_warm: Duration::ZERO,
            canary_hold: default_canary_hold(),
        }
    }
}
