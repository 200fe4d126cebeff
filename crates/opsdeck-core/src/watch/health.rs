//! Probing slots' `/health`, each probe its own task so one slow service delays nobody.

use super::FactTx;
use crate::outside::health_probe;
use crate::world::Fact;
use crate::world::SlotId;
use opsdeck_backends::types::{HealthReport, HealthVerdict};
use std::time::Duration;

/// Starts one probe per target; each sends [`Fact::Health`] when it ends (the prober never hangs
/// past its timeout).
pub fn probe_all(targets: Vec<(SlotId, String)>, timeout: Duration, tx: &FactTx) {
    let prober = match health_probe(timeout) {
        Ok(p) => p,
        Err(e) => {
            // No HTTP client at all: every probe fails the same way, and says so.
            for (slot, _) in targets {
                let _ = tx.send(Fact::Health(slot, failed_report(e.to_string())));
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
