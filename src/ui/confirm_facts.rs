//! What a confirmation (and an approval view) says an action will do, one fact per name: where,
//! from and to which image, on which hosts, what is started or pulled, how traffic moves (at
//! once, or stage by stage for a canary), the gate the new slot is judged by and what a failure
//! does, and how long the old slot stays warm.

use super::confirm::wrap;
use crate::theme::Theme;
use opsdeck_core::actions::{ActionKind, ActionPlan};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::time::Duration;

/// Width of the fact names ("environment", "service", ...) and the gap after them.
pub(super) const LABEL: usize = 13;

fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// One fact per name, its value wrapped under itself when it is long.
pub(super) fn facts<'a>(plan: &ActionPlan, theme: &Theme, width: usize, approval: bool) -> Vec<Line<'a>> {
    let from = match &plan.from {
        Some(f) => format!("{} {}", f.tag, f.short_digest()),
        None => "nothing".into(),
    };
    let reapply = plan.kind == ActionKind::Reapply;
    let image = if reapply {
        format!("the {} slot runs {}: nothing is started, pulled or created", plan.to_slot, plan.to.tag)
    } else if plan.reuse_idle {
        format!("the idle {} slot already holds {}: start it, no pull, no create", plan.to_slot, plan.to.tag)
    } else {
        format!("pull {} on each host that lacks it, then create the {} slot from it", plan.to.tag, plan.to_slot)
    };
    let env_style = if approval { theme.notice } else { theme.header };
    let env = if approval { format!("{} (requires approval)", plan.env) } else { plan.env.clone() };
    let mut rows: Vec<(&str, String, Style)> = vec![
        ("environment", env, env_style),
        ("service", plan.service.clone(), theme.header),
        ("from", format!("{from}  ({} slot, live now)", plan.from_slot), theme.text),
        ("to", format!("{} {}  ({} slot, idle now)", plan.to.tag, plan.to.short_digest(), plan.to_slot), theme.header),
        ("slots", format!("{} -> {}", plan.from_slot, plan.to_slot), theme.text),
        ("hosts", plan.hosts.join(", "), theme.text),
        ("image", image, theme.text),
        ("traffic", traffic(plan), theme.text),
    ];
    if plan.kind == ActionKind::Canary {
        rows.push(("stages", stages(plan), theme.header));
    }
    rows.push(("watch", watch(plan), theme.text));
    if plan.silences() {
        let what = format!("{}'s alerts in {} silenced while it runs, expired when it ends", plan.service, plan.env);
        rows.push(("alerts", what, theme.warn));
    }
    if plan.break_glass {
        let what = "break-glass: back to the release that ran here before, no approver needed; audited and announced";
        rows.push(("approval", what.to_string(), theme.warn));
    }
    if plan.forced {
        rows.push(("gate", "forced open: it has not run healthy before (audited)".into(), theme.warn));
    }
    let mut out = Vec::new();
    for (name, value, style) in rows {
        for (i, part) in wrap(&value, width.saturating_sub(LABEL).max(8)).into_iter().enumerate() {
            let label = if i == 0 { name } else { "" };
            out.push(Line::from(vec![Span::styled(format!("{label:<LABEL$}"), theme.dim), Span::styled(part, style)]));
        }
    }
    out
}

/// How traffic moves, and what becomes of the old slot.
fn traffic(plan: &ActionPlan) -> String {
    let t = plan.timing;
    let (to, from) = (&plan.to_slot, &plan.from_slot);
    let (wait, drain) = (human(t.health_wait), human(t.drain_wait));
    let old = if t.keep_warm.is_zero() {
        "stops, kept for rollback".to_string()
    } else {
        format!("stays warm {} (for an instant rollback), then stops", human(t.keep_warm))
    };
    match plan.kind {
        ActionKind::Reapply => format!(
            "once {to} is healthy (up to {wait}): HAProxy's {to} server ready, {from} drains (up to {drain}) and goes to maint"
        ),
        ActionKind::Canary => {
            format!("stage by stage once {to} is healthy (up to {wait}); at 100 % {from} drains (up to {drain}) and {old}")
        }
        _ => format!("once {to} is healthy (up to {wait}): {to} takes traffic, {from} drains (up to {drain}) and {old}"),
    }
}

/// A canary's ladder, how long each stage holds, and the gate each is judged by.
fn stages(plan: &ActionPlan) -> String {
    let ladder: Vec<String> = plan.canary_ladder().iter().map(|p| format!("{p} %")).collect();
    let t = plan.timing;
    format!(
        "{}, {} each ({}+ requests); 5xx over {} % or /health failing: all weight back on {}",
        ladder.join(" › "),
        human(t.canary_hold),
        t.min_requests,
        f64::from(t.max_error_bp) / 100.0,
        plan.from_slot
    )
}

/// The gate the new slot is judged by: its 5xx share once enough requests were answered.
fn over_gate(plan: &ActionPlan) -> String {
    let t = plan.timing;
    format!("5xx over {} % (from {} requests) or /health failing", f64::from(t.max_error_bp) / 100.0, t.min_requests)
}

fn watch(plan: &ActionPlan) -> String {
    if plan.kind == ActionKind::Reapply || plan.timing.watch.is_zero() {
        return "none".to_string();
    }
    format!(
        "{} on {} after the switch: {} switches traffic back to {}",
        human(plan.timing.watch),
        plan.to_slot,
        over_gate(plan),
        plan.from_slot
    )
}
