//! Probing slots' `/health`, each probe its own task so one slow service delays nobody.

use super::FactTx;
use crate::outside::health_probe;
use crate::world::Fact;
use crate::world::SlotId;
use opsdeck_backends::types::{HealthReport, HealthVerdict};
use std::time::Duration;

/// The `/health` prober of a process (or of one look): one HTTP client, so its connection pool
/// is kept between looks and a service that keeps connections alive is not reconnected to every
/// few seconds.
#[derive(Clone)]
pub struct Probes {
    prober: Result<std::sync::Arc<dyn crate::outside::HealthProbe>, String>,
}

impl Probes {
    /// A prober whose every probe ends within `timeout`.
    pub fn new(timeout: Duration) -> Probes {
        Probes { prober: health_probe(timeout).map_err(|e| e.to_string()) }
    }

    /// Starts one probe per target; each sends [`Fact::Health`] when it ends (the prober never
    /// hangs past its timeout).
    pub fn probe_all(&self, targets: Vec<(SlotId, String)>, tx: &FactTx) {
        let prober = match &self.prober {
            Ok(p) => p,
            Err(e) => {
                // No HTTP client at all: every probe fails the same way, and says so.
                for (slot, _) in targets {
                    let _ = tx.send(Fact::Health(slot, failed_report(e.clone())));
                }
                return;
            }
        };
        for (slot, url) in targets {
            let prober = prober.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let report = prober.probe(&url).await;
                let _ = tx.send(Fact::Health(slot, report));
            });
        }
    }
}

fn failed_report(reason: String) -> HealthReport {
    HealthReport {
        verdict: HealthVerdict::Unreachable,
        reason,
        http_status: None,
        latency: Duration::ZERO,
        status_field: None,
        services: Default::default(),
        uptime_secs: None,
    }
}
