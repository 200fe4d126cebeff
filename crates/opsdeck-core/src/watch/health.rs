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

    /// Starts one probe per target, their starts spread evenly `over` this long (zero: all at
    /// once); each sends [`Fact::Health`] when it ends (the prober never hangs past its timeout).
    pub fn probe_all(&self, targets: Vec<(SlotId, String)>, over: Duration, tx: &FactTx) {
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
        let count = targets.len();
        for (i, (slot, url)) in targets.into_iter().enumerate() {
            let prober = prober.clone();
            let tx = tx.clone();
            let delay = start_offset(i, count, over);
            tokio::spawn(async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let report = prober.probe(&url).await;
                let _ = tx.send(Fact::Health(slot, report));
            });
        }
    }
}

/// How many probes start together: a round of up to this many is one burst (one connection
/// each, answers folded into one frame), as cheap as a round can be; a larger round (a fleet of
/// hundreds of slots) goes in batches of this size, spread over the span.
const BATCH: usize = 32;

/// When the `i`th of `count` probes starts: its batch's share of `over`, the first batch at once.
fn start_offset(i: usize, count: usize, over: Duration) -> Duration {
    if count <= BATCH {
        return Duration::ZERO;
    }
    let batches = count.div_ceil(BATCH);
    over.mul_f64((i / BATCH) as f64 / batches as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_rounds_start_at_once_and_large_ones_in_even_batches() {
        let over = Duration::from_millis(2500);
        assert!((0..BATCH).all(|i| start_offset(i, BATCH, over).is_zero()), "a small round is one burst");
        // 180 slots: six batches, 32 each (the last 20), starting every 416 ms.
        let starts: Vec<_> = (0..180).map(|i| start_offset(i, 180, over).as_millis()).collect();
        assert_eq!(starts[0], 0);
        assert_eq!(starts[31], 0);
        assert_eq!(starts[32], 416);
        assert_eq!(starts[179], 2083, "the last batch starts before the span ends");
        assert_eq!(start_offset(100, 180, Duration::ZERO), Duration::ZERO, "nothing to spread over");
    }

    #[tokio::test]
    async fn a_large_round_answers_a_batch_at_a_time() {
        // Probes of a port nothing listens on end at once, so the answers' times are the starts'
        // (real time passes in the spread itself).
        let probes = Probes::new(Duration::from_secs(1));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/health", listener.local_addr().expect("addr"));
        drop(listener);
        let targets: Vec<_> = (0..2 * BATCH)
            .map(|i| {
                let slot = SlotId {
                    env: "prod".into(),
                    service: format!("svc{i}"),
                    slot: "blue".into(),
                    host: "local".into(),
                    replica: String::new(),
                };
                (slot, url.clone())
            })
            .collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let start = tokio::time::Instant::now();
        probes.probe_all(targets, Duration::from_millis(400), &tx);
        drop(tx);
        let mut at = Vec::new();
        while let Some(fact) = rx.recv().await {
            assert!(matches!(fact, Fact::Health(..)));
            at.push(start.elapsed());
        }
        assert_eq!(at.len(), 2 * BATCH);
        assert!(at[BATCH - 1] < Duration::from_millis(150), "the first batch at once: {at:?}");
        assert!(at[BATCH] >= Duration::from_millis(200), "the second half way: {at:?}");
    }
}
