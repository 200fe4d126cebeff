//! `[environments.canary]`: the error gate an environment's switches are judged by. The watch
//! after every promote, rollback and rotation fails (and switches back) when the new slot's 5xx
//! share passes `max_error_rate` once `min_requests` were answered; a canary's stages (`stages`,
//! `hold`) will use the same gate.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a canary walks, and the error gate of every switch in the environment.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CanaryConfig {
    /// The new slot's share of traffic at each stage, in percent, ending at 100.
    pub stages: Vec<u8>,
    /// How long each stage is held while the gate passes.
    #[serde(with = "humantime_serde")]
    pub hold: Duration,
    /// The highest 5xx share of the new slot's answers that passes (0.02: 2 %).
    pub max_error_rate: f64,
    /// Answers needed before the share is judged: a few requests say nothing.
    pub min_requests: u64,
    /// The new slot's 95th percentile latency that would fail a stage: not judged yet, so a
    /// config that sets it is refused (with the reason) rather than quietly ignored.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    pub max_p95_latency: Option<Duration>,
}

impl Default for CanaryConfig {
    fn default() -> Self {
        CanaryConfig {
            stages: vec![5, 25, 50, 100],
            hold: Duration::from_secs(60),
            max_error_rate: 0.02,
            min_requests: 20,
            max_p95_latency: None,
        }
    }
}

impl CanaryConfig {
    /// What is wrong with it, one line each (empty: nothing).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let ascending = self.stages.windows(2).all(|w| w[0] < w[1]);
        if self.stages.last() != Some(&100) || !ascending || self.stages.first().is_some_and(|s| *s == 0) {
            out.push(format!(
                "canary stages must rise from above 0 to 100 (e.g. [5, 25, 50, 100]), not {:?}",
                self.stages
            ));
        }
        if !(self.max_error_rate > 0.0 && self.max_error_rate < 1.0) {
            out.push(format!(
                "canary max_error_rate is a share between 0 and 1 (0.02 is 2 %), not {}",
                self.max_error_rate
            ));
        }
        if self.hold.is_zero() {
            out.push("canary hold must be longer than 0s".into());
        }
        // Read, so a config naming it is not silently weaker than it says: HAProxy's counters give
        // averages, not a percentile, and opsdeck measures none of its own yet.
        if self.max_p95_latency.is_some() {
            out.push("canary max_p95_latency is not judged yet (HAProxy gives no percentile): remove it".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_seeds_ladder_and_a_2_percent_gate() {
        let c = CanaryConfig::default();
        assert_eq!(c.stages, [5, 25, 50, 100]);
        assert_eq!(c.max_error_rate, 0.02);
        assert!(c.problems().is_empty());
    }

    #[test]
    fn bad_ladders_and_rates_are_named() {
        let bad = |c: CanaryConfig| c.problems().join("; ");
        assert!(bad(CanaryConfig { stages: vec![5, 50], ..Default::default() }).contains("to 100"));
        assert!(bad(CanaryConfig { stages: vec![50, 25, 100], ..Default::default() }).contains("rise"));
        assert!(bad(CanaryConfig { max_error_rate: 2.0, ..Default::default() }).contains("between 0 and 1"));
        assert!(bad(CanaryConfig { hold: Duration::ZERO, ..Default::default() }).contains("hold"));
        let p95 = CanaryConfig { max_p95_latency: Some(Duration::from_millis(300)), ..Default::default() };
        assert!(bad(p95).contains("max_p95_latency is not judged yet"));
    }

    #[test]
    fn an_environment_reads_its_gate_and_a_bad_one_is_located() {
        let with = |table: &str| {
            let text = crate::testing::CONFIG.replacen(
                "approvers = [\"alice\", \"bob\"]\n",
                &format!("approvers = [\"alice\", \"bob\"]\n{table}"),
                1,
            );
            crate::config::parse_str(&text)
        };
        let good = with("canary = { max_error_rate = 0.05, stages = [10, 100], hold = \"30s\" }\n").expect("parses");
        let prod = good.environment("prod").expect("prod");
        assert_eq!((prod.canary.max_error_rate, prod.canary.stages.clone()), (0.05, vec![10, 100]));
        assert_eq!(prod.canary.hold, Duration::from_secs(30));
        assert_eq!(good.environment("dev").expect("dev").canary, CanaryConfig::default());
        let bad = with("canary = { stages = [50, 25] }\n").expect_err("a falling ladder is refused");
        let bad: Vec<String> = bad.iter().map(|p| p.message.clone()).collect();
        let bad = bad.join("; ");
        assert!(bad.contains("environment `prod`: canary stages must rise"), "{bad}");
    }
}
