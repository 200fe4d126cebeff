//! `opsdeck status` without `--json`: one line per service and environment, for a person.

use opsdeck_core::world::views::short_digest;
use opsdeck_core::world::{short_age, Reach, World};
use std::fmt::Write;

pub fn to_text(world: &World) -> String {
    let mut out = String::new();
    let down = |name: &str, r: &Reach, out: &mut String| {
        if let Reach::Down { reason, since } = r {
            let _ = writeln!(out, "{name}: unreachable for {}: {reason}", short_age(*since, world.now));
        }
    };
    down("registry", &world.registry.reach, &mut out);
    if world.alerts.configured {
        down("alertmanager", &world.alerts.reach, &mut out);
    }
    for env in &world.config.environments {
        let _ = writeln!(out, "{}", env.name);
        for (id, host) in world.hosts.iter().filter(|(id, _)| id.env == env.name) {
            down(&format!("  host {}", id.host), &host.reach, &mut out);
        }
        if let Some(lb) = world.lbs.get(&env.name) {
            down("  haproxy", &lb.reach, &mut out);
        }
        for svc in &world.config.services {
            let Some(c) = world.service_cell(&env.name, &svc.name) else { continue };
            let image = c
                .image
                .as_ref()
                .map(|i| format!("{} {}", i.tag, short_digest(&i.digest)))
                .unwrap_or_else(|| "-".into());
            let reason = if c.reason.is_empty() { String::new() } else { format!("  ({})", c.reason) };
            // With several hosts: how many serve the live slot healthy.
            let health = match c.healthy_hosts() {
                (healthy, hosts @ 2..) => format!("{} {healthy}/{hosts}", c.health.as_str()),
                _ => c.health.as_str().to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<12} {:<6} {:<22} {:<11}{}",
                c.service,
                c.live_slot.as_deref().unwrap_or("-"),
                image,
                health,
                reason
            );
        }
    }
    let firing = world.alerts.alerts.iter().filter(|a| a.state == "active").count();
    let _ = writeln!(out, "alerts: {firing} firing");
    out
}

#[cfg(test)]
mod tests {
    /// prod's two hosts: each service says how many of them serve it healthy.
    #[test]
    fn several_hosts_are_counted() {
        let text = super::to_text(&crate::test_support::gen_demo_model_all_up().world);
        let prod_api = text.lines().skip_while(|l| *l != "prod").nth(1).unwrap_or_default();
        assert!(prod_api.contains("healthy 2/2"), "{text}");
        let dev_api = text.lines().skip_while(|l| *l != "dev").nth(1).unwrap_or_default();
        assert!(!dev_api.contains("1/1"), "one host is not counted: {text}");
    }
}
