//! What an action is (promote, rollback, reapply) and the steps a plan is made of, with the
//! short label each step has in the journal and the Actions pane.

use super::plan::ActionPlan;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Promote,
    Rollback,
    /// Give HAProxy back the environment's live slot after it lost it (a reload without its state
    /// file, a change made by hand).
    Reapply,
    /// Redeploy the live image with the config's secret values as they are now (read again from
    /// their sources): blue-green, as a promote of the image already live.
    Rotate,
    /// A promote that moves traffic stage by stage (weights), judged by the environment's gate at
    /// each stage, rolled back by itself when it fails.
    Canary,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Promote => "promote",
            ActionKind::Rollback => "rollback",
            ActionKind::Reapply => "reapply",
            ActionKind::Rotate => "rotate",
            ActionKind::Canary => "canary",
        }
    }

    /// How a confirmation names it.
    pub fn title(self) -> &'static str {
        match self {
            ActionKind::Promote => "Promote",
            ActionKind::Rollback => "Roll back",
            ActionKind::Reapply => "Re-apply live slot",
            ActionKind::Rotate => "Rotate secrets",
            ActionKind::Canary => "Canary",
        }
    }
}

/// One step of a blue-green switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Put the target image in the idle slot: pull if the host lacks it and recreate the
    /// container, or nothing when the idle slot already holds it.
    Prepare {
        host: String,
    },
    Start {
        host: String,
    },
    WaitHealthy {
        host: String,
    },
    /// A canary stage: the new slot's servers take `percent` % of the traffic (weights), held for
    /// the plan's `canary_hold` while the environment's gate passes.
    CanaryStage {
        percent: u8,
    },
    /// New slot's server `ready`, old slot's `drain`.
    Switch,
    /// Wait for the old server's sessions to reach zero (then `shutdown sessions`).
    Drain,
    /// Old server `maint`.
    Retire,
    /// Stop the old container gracefully; it is kept for rollback.
    StopOld {
        host: String,
    },
    /// Leave the old slot running, out of traffic, for `keep_warm`: a rollback meanwhile is a
    /// switch. It is stopped later ([`crate::actions::cool`]).
    KeepWarm,
    /// Keep watching the new slot; a failure here switches back.
    Watch,
    /// Silence the service's alerts in the environment while the action runs (asked for at the
    /// confirmation or with `--silence`): the first step.
    Silence,
    /// Expire that silence: the last step, run however the action ends.
    Unsilence,
}

impl Step {
    /// A short name for the journal and the Actions pane.
    pub fn label(&self, plan: &ActionPlan) -> String {
        match self {
            Step::Prepare { host } if plan.reuse_idle => format!("{host}: idle {} holds {}", plan.to_slot, plan.to.tag),
            Step::Prepare { host } => format!("{host}: create {} from {}", plan.to_slot, plan.to.tag),
            Step::Start { host } => format!("{host}: start {}", plan.to_slot),
            Step::WaitHealthy { host } => format!("{host}: wait for {} healthy", plan.to_slot),
            Step::CanaryStage { percent } => format!(
                "canary: {} takes {percent} % for {}",
                plan.to_slot,
                humantime::format_duration(plan.timing.canary_hold)
            ),
            Step::Switch => format!("switch traffic {} -> {}", plan.from_slot, plan.to_slot),
            Step::Drain => format!("drain {}", plan.from_slot),
            Step::Retire => format!("{} to maint", plan.from_slot),
            Step::StopOld { host } => format!("{host}: stop {}", plan.from_slot),
            Step::KeepWarm => {
                format!("keep {} warm for {}", plan.from_slot, humantime::format_duration(plan.timing.keep_warm))
            }
            Step::Watch => format!("watch {} for {}", plan.to_slot, humantime::format_duration(plan.timing.watch)),
            Step::Silence => format!("silence {}'s alerts in {}", plan.service, plan.env),
            Step::Unsilence => "expire the silence".into(),
        }
    }

    /// Whether traffic may already point at the new slot once this step has started.
    pub fn after_switch(&self) -> bool {
        matches!(
            self,
            Step::CanaryStage { .. }
                | Step::Switch
                | Step::Drain
                | Step::Retire
                | Step::StopOld { .. }
                | Step::KeepWarm
                | Step::Watch
        )
    }
}
