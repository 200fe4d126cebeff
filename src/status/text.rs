//! `opsdeck status` without `--json`: one line per service and environment, for a person.

use crate::model::views::short_digest;
use crate::model::{short_age, Model, Reach};
use std::fmt::Write;

pub fn to_text(model: &Model) -> String {
    let mut out = String::new();
    let down = |name: &str, r: &Reach, out: &mut String| {
        if let Reach::Down { reason, since } = r {
            let _ = writeln!(out, "{name}: unreachable for {}: {reason}", short_age(*since, model.now));
        }
    };
    down("registry", &model.registry.reach, &mut out);
    if model.alerts.configured {
        down("alertmanager", &model.alerts.reach, &mut out);
    }
    for env in &model.config.environments {
        let _ = writeln!(out, "{}", env.name);
        for (id, host) in model.hosts.iter().filter(|(id, _)| id.env == env.name) {
            down(&format!("  host {}", id.host), &host.reach, &mut out);
        }
        if let Some(lb) = model.lbs.get(&env.name) {
            down("  haproxy", &lb.reach, &mut out);
        }
        for svc in &model.config.services {
            let Some(c) = model.service_cell(&env.name, &svc.name) else { continue };
            let image = c
                .image
                .as_ref()
                .map(|i| format!("{} {}", i.tag, short_digest(&i.digest)))
                .unwrap_or_else(|| "-".into());
            let reason = if c.reason.is_empty() { String::new() } else { format!("  ({})", c.reason) };
            let _ = writeln!(
                out,
                "  {:<12} {:<6} {:<22} {:<11}{}",
                c.service,
                c.live_slot.as_deref().unwrap_or("-"),
                image,
                c.health.as_str(),
                reason
            );
        }
    }
    let firing = model.alerts.alerts.iter().filter(|a| a.state == "active").count();
    let _ = writeln!(out, "alerts: {firing} firing");
    out
}
