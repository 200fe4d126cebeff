//! A canary's plan: its stages (a step per share of traffic below 100 %), and a ladder or hold
//! given on the command line instead of the environment's.

use super::{ActionKind, ActionPlan, Step};
use std::time::Duration;

/// The canary steps for `stages` (percent, rising to 100): one per stage below 100; the last,
/// 100 %, is the switch itself.
pub(super) fn canary_stages(stages: &[u8]) -> impl Iterator<Item = Step> + '_ {
    stages.iter().filter(|p| **p < 100).map(|p| Step::CanaryStage { percent: *p })
}

impl ActionPlan {
    /// A canary's own ladder and hold instead of the environment's (`--stages`, `--hold`).
    /// Errors: a ladder that does not rise to 100.
    pub fn with_canary(mut self, stages: Option<&[u8]>, hold: Option<Duration>) -> Result<ActionPlan, String> {
        if let Some(stages) = stages {
            let check = crate::config::CanaryConfig { stages: stages.to_vec(), ..Default::default() };
            if let Some(problem) = check.problems().into_iter().next() {
                return Err(problem);
            }
            let at = self.steps.iter().position(|s| matches!(s, Step::CanaryStage { .. } | Step::Switch));
            self.steps.retain(|s| !matches!(s, Step::CanaryStage { .. }));
            let at = at.unwrap_or(self.steps.len());
            self.steps.splice(at..at, canary_stages(stages).collect::<Vec<_>>());
        }
        if let Some(hold) = hold {
            self.timing.canary_hold = hold;
        }
        Ok(self)
    }

    /// The canary's stages, in percent (empty for a blue-green action).
    pub fn canary_ladder(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .steps
            .iter()
            .filter_map(|s| if let Step::CanaryStage { percent } = s { Some(*percent) } else { None })
            .collect();
        if self.kind == ActionKind::Canary {
            out.push(100);
        }
        out
    }
}
