//! The approval rules as pure functions: which actions need a request, what a request holds, and
//! whether a request still matches what the environment would do now.
//!
//! The rules about who may decide (nobody approves their own request, only approvers decide, only
//! a pending, unexpired request can be decided) live with the store, which enforces them
//! atomically; [`Request::refusal_for`] asks them ahead of time.

use crate::actions::{ActionKind, ActionPlan, Target, Timing};
use crate::config::{ApprovalPolicy, Config, EnvironmentConfig};
use crate::store::{ImageRef, NewRequest, Request};
use crate::world::World;
use chrono::{DateTime, Utc};

/// The longest reason kept: a reason is a line on a screen and in the audit trail, not a document.
pub const MAX_REASON: usize = 500;

/// Whether a `kind` action on `env` must become a request. Only deploys do: a re-apply points
/// HAProxy back at what already runs, a repair that must not wait for anyone.
pub fn requires_approval(config: &Config, kind: ActionKind, env: &str) -> bool {
    matches!(kind, ActionKind::Promote | ActionKind::Rollback | ActionKind::Canary)
        && config.environment(env).is_some_and(|e| e.approval == ApprovalPolicy::Required)
}

/// Whether `plan` waits for an approver: approval is required for its kind in its environment,
/// and it is not a break-glass rollback (back to the release that ran before, where the
/// environment's rule lets that go at once).
pub fn needs_approval(config: &Config, plan: &ActionPlan) -> bool {
    requires_approval(config, plan.kind, &plan.env) && !plan.break_glass
}

/// Who can decide a request by `requester` on `env`: every approver but the requester.
pub fn deciders(env: &EnvironmentConfig, requester: &str) -> Vec<String> {
    env.approvers.iter().filter(|a| *a != requester).cloned().collect()
}

/// A reason as kept: one line, no control characters, at most [`MAX_REASON`] characters. Refused
/// when nothing is left.
pub fn reason(text: &str) -> Result<String, String> {
    let cleaned = crate::text::cleaned(text);
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Err("a reason is required".into());
    }
    Ok(trimmed.chars().take(MAX_REASON).collect())
}

/// The request for `plan`, made by `requester` at `now`, waiting `ttl`. Refused without a reason,
/// and when nobody but the requester could approve it.
pub fn new_request(
    config: &Config,
    plan: &ActionPlan,
    requester: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<NewRequest, String> {
    let env = config.environment(&plan.env).ok_or_else(|| format!("no environment named {}", plan.env))?;
    let why = reason(why).map_err(|_| format!("{} requires approval: say why with --reason TEXT", env.name))?;
    if deciders(env, requester).is_empty() {
        return Err(format!(
            "nobody but {requester} can approve changes to {} (approvers: {}); nobody approves their own request",
            env.name,
            env.approvers.join(", ")
        ));
    }
    let ttl = chrono::Duration::from_std(config.actions.approval_ttl)
        .map_err(|_| format!("[actions] approval_ttl {:?} is too long", config.actions.approval_ttl))?;
    let expires_at = now.checked_add_signed(ttl).ok_or_else(|| "[actions] approval_ttl is too long".to_string())?;
    let image = |i: &crate::world::views::ImageRef| ImageRef { tag: i.tag.clone(), digest: i.digest.clone() };
    Ok(NewRequest {
        created_at: now,
        expires_at,
        requested_by: requester.into(),
        kind: plan.kind.as_str().into(),
        service: plan.service.clone(),
        env: plan.env.clone(),
        from: plan.from.as_ref().map(image),
        to: image(&plan.to),
        hosts: plan.hosts.clone(),
        reason: why,
        // Environment values are not serialized (see `SlotSpec`): nothing secret goes in.
        plan: serde_json::to_value(plan).map_err(|e| format!("cannot record the plan: {e}"))?,
    })
}

/// What to plan again, from the live state, for an approved `request`: the same kind, service,
/// environment and image. A rollback to what the idle slot holds names no image, as the requester
/// did, so it still works when the registry has pruned that image; anything else names the tag,
/// and [`still_matches`] then checks the tag still points at the requested digest.
pub fn target(request: &Request, world: &World) -> Result<Target, String> {
    let kind = match request.kind.as_str() {
        "promote" => ActionKind::Promote,
        "rollback" => ActionKind::Rollback,
        other => return Err(format!("request {}: {other:?} is not an action that needs approval", request.id)),
    };
    let idle_holds_it = world
        .service_cell(&request.env, &request.service)
        .and_then(|c| c.idle_image)
        .is_some_and(|idle| idle.digest == request.to.digest);
    let image = if kind == ActionKind::Rollback && idle_holds_it {
        None
    } else if request.to.tag.is_empty() {
        Some(request.to.digest.clone())
    } else {
        Some(request.to.tag.clone())
    };
    Ok(Target { kind, service: request.service.clone(), env: request.env.clone(), image, force: forced(request) })
}

/// Whether the requester forced the promotion gate (audited then, in the request).
pub fn forced(request: &Request) -> bool {
    request.plan.get("forced").and_then(serde_json::Value::as_bool).unwrap_or(false)
}

/// The timing the requester asked for (their `--watch`), else `fallback`.
pub fn timing(request: &Request, fallback: Timing) -> Timing {
    request.plan.get("timing").and_then(|t| serde_json::from_value(t.clone()).ok()).unwrap_or(fallback)
}

/// Whether `plan`, made now from the live state, still does what `request` asked: the same image
/// live now as when it was asked (else someone else changed the environment meanwhile), the same
/// target digest, the same hosts.
pub fn still_matches(request: &Request, plan: &ActionPlan) -> Result<(), String> {
    let subject = request.subject();
    let now_from = plan.from.as_ref().map(|f| f.digest.as_str());
    let asked_from = request.from.as_ref().map(|f| f.digest.as_str());
    if now_from != asked_from {
        let show = |tag: Option<&str>, digest: Option<&str>| match (tag, digest) {
            (Some(t), Some(d)) => format!("{t} ({})", crate::world::views::short_digest(d)),
            _ => "nothing".to_string(),
        };
        return Err(format!(
            "someone else changed {} meanwhile: {subject} now runs {}, the request was made when it ran {}",
            request.env,
            show(plan.from.as_ref().map(|f| f.tag.as_str()), now_from),
            show(request.from.as_ref().map(|f| f.tag.as_str()), asked_from),
        ));
    }
    if plan.to.digest != request.to.digest {
        return Err(format!(
            "{} now means {}, not {} as requested",
            request.to.tag,
            plan.to.short_digest(),
            crate::world::views::short_digest(&request.to.digest)
        ));
    }
    if plan.hosts != request.hosts {
        return Err(format!(
            "{} now has hosts {}, the request was for {}",
            request.env,
            plan.hosts.join(", "),
            request.hosts.join(", ")
        ));
    }
    if plan.kind.as_str() != request.kind {
        return Err(format!("the plan is a {}, the request a {}", plan.kind.as_str(), request.kind));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
