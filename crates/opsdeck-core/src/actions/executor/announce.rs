//! Telling the team an action rolled back by itself (a canary over its gate, a watch that saw the
//! new slot fail): an `OpsdeckAutoRollback` alert in Alertmanager with the service, the
//! environment and why, firing for an hour. Best effort, bounded: the rollback is done either way.

use super::*;
use opsdeck_backends::alertmanager::NewAlert;

/// How long the alert fires unless someone resolves it sooner.
const ALERT_FOR: chrono::Duration = chrono::Duration::hours(1);

/// The alert for `plan` rolled back by itself because of `reason`.
pub(crate) fn auto_rollback_alert(plan: &ActionPlan, reason: &str, user: &str) -> NewAlert {
    let now = Utc::now();
    let labels = [
        ("alertname", "OpsdeckAutoRollback"),
        ("service", plan.service.as_str()),
        ("env", plan.env.as_str()),
        ("severity", "warning"),
    ];
    let summary = format!(
        "{} {} rolled back by itself: {} -> {}",
        plan.kind.as_str(),
        plan.subject(),
        plan.to.tag,
        plan.from_slot
    );
    NewAlert {
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        annotations: [
            ("summary".to_string(), summary),
            ("description".to_string(), reason.to_string()),
            ("user".to_string(), user.to_string()),
        ]
        .into(),
        starts_at: Some(now),
        ends_at: Some(now + ALERT_FOR),
        generator_url: None,
    }
}

impl Executor {
    /// Posts the alert; a line to add to the action's reason when it could not be posted.
    pub(super) async fn announce_auto_rollback(&self, plan: &ActionPlan, reason: &str) -> Option<String> {
        self.ops.config().alertmanager.as_ref()?;
        let alert = auto_rollback_alert(plan, reason, &self.holder.user);
        match bounded(plan.timing.step_timeout, "post alert", self.ops.post_alert(&alert)).await {
            Ok(()) => None,
            Err(e) => Some(format!("OpsdeckAutoRollback not posted: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_names_service_env_and_why() {
        let plan = crate::testing::gen_plan(crate::actions::ActionKind::Canary, "api", "prod");
        let alert = auto_rollback_alert(&plan, "rolled back by itself at 5 %: 11.1 % 5xx (3 of 27)", "alice");
        assert_eq!(alert.labels["alertname"], "OpsdeckAutoRollback");
        assert_eq!((alert.labels["service"].as_str(), alert.labels["env"].as_str()), ("api", "prod"));
        assert!(alert.annotations["description"].contains("11.1 % 5xx"));
        assert!(alert.ends_at > alert.starts_at);
    }
}
