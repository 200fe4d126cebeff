//! Telling the team what nobody approved: an action that rolled back by itself (a canary over its
//! gate, a watch that saw the new slot fail) posts `OpsdeckAutoRollback`, a break-glass rollback
//! (no approver, where approval is required) posts `OpsdeckBreakGlass`: an alert in Alertmanager
//! with the service, the environment, who and why, firing for an hour. Best effort, bounded: the
//! action goes on either way.

use super::*;
use crate::config::NotifyEvent;
use crate::notify::Note;
use opsdeck_backends::alertmanager::NewAlert;

/// How long the alert fires unless someone resolves it sooner.
const ALERT_FOR: chrono::Duration = chrono::Duration::hours(1);

/// The alert for `plan` rolled back by itself because of `reason`.
pub(crate) fn auto_rollback_alert(plan: &ActionPlan, reason: &str, user: &str) -> NewAlert {
    let summary = format!(
        "{} {} rolled back by itself: {} -> {}",
        plan.kind.as_str(),
        plan.subject(),
        plan.to.tag,
        plan.from_slot
    );
    alert("OpsdeckAutoRollback", plan, summary, reason, user)
}

/// The alert for `plan`, a break-glass rollback by `user`.
pub(crate) fn break_glass_alert(plan: &ActionPlan, user: &str) -> NewAlert {
    let from = plan.from.as_ref().map_or("nothing".to_string(), |f| f.tag.clone());
    let summary = format!("break-glass rollback of {} by {user}: {from} -> {}", plan.subject(), plan.to.tag);
    let description = format!("back to the release {} ran before, without an approver", plan.env);
    alert("OpsdeckBreakGlass", plan, summary, &description, user)
}

fn alert(name: &str, plan: &ActionPlan, summary: String, description: &str, user: &str) -> NewAlert {
    let now = Utc::now();
    let labels =
        [("alertname", name), ("service", plan.service.as_str()), ("env", plan.env.as_str()), ("severity", "warning")];
    NewAlert {
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        annotations: [
            ("summary".to_string(), summary),
            ("description".to_string(), description.to_string()),
            ("user".to_string(), user.to_string()),
        ]
        .into(),
        starts_at: Some(now),
        ends_at: Some(now + ALERT_FOR),
        generator_url: None,
    }
}

impl Executor {
    /// Posts the alert (and tells the webhooks); a line to add to the action's reason when it
    /// could not be posted.
    pub(super) async fn announce_auto_rollback(&self, plan: &ActionPlan, id: ActionId, reason: &str) -> Option<String> {
        self.notify(NotifyEvent::AutoRollback, plan, id, Some("rolled_back"), reason);
        self.post(plan, auto_rollback_alert(plan, reason, &self.holder.user)).await
    }

    /// Posts `OpsdeckBreakGlass` for a break-glass rollback as it starts (and tells the
    /// webhooks); a line for the action's reason when it could not be posted.
    pub(super) async fn announce_break_glass(&self, plan: &ActionPlan, id: ActionId) -> Option<String> {
        let reason = format!("back to the release {} ran before, without an approver", plan.env);
        self.notify(NotifyEvent::BreakGlass, plan, id, None, &reason);
        self.post(plan, break_glass_alert(plan, &self.holder.user)).await
    }

    /// Tells the webhooks of `event` on action `id` ([`crate::notify`]): returns at once, and
    /// nothing that happens to the message can touch the action.
    pub(super) fn notify(
        &self,
        event: NotifyEvent,
        plan: &ActionPlan,
        id: ActionId,
        outcome: Option<&str>,
        reason: &str,
    ) {
        let from = plan.from.as_ref().map_or("nothing", |f| f.tag.as_str());
        let summary = format!("{} {}: {from} -> {}", plan.kind.as_str(), plan.subject(), plan.to.tag);
        let mut note = Note::new(event, &plan.service, &plan.env, &self.holder.user, summary);
        note.action_id = Some(id.0);
        note.outcome = outcome.map(str::to_string);
        note.reason = reason.into();
        // The task is left to run: the action does not wait for it.
        let _ = crate::notify::send(self.ops.config(), note);
    }

    async fn post(&self, plan: &ActionPlan, alert: NewAlert) -> Option<String> {
        self.ops.config().alertmanager.as_ref()?;
        let name = alert.labels.get("alertname").cloned().unwrap_or_default();
        // Short: a rollback mid-incident does not wait on a slow Alertmanager.
        let limit = plan.timing.step_timeout.min(std::time::Duration::from_secs(5));
        match bounded(limit, "post alert", self.ops.post_alert(&alert)).await {
            Ok(()) => None,
            Err(e) => Some(format!("{name} not posted: {e}")),
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
