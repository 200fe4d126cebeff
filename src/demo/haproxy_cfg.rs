//! The demo's HAProxy configuration: one frontend per service and environment on its own
//! loopback port, and one backend `<service>_<env>` whose servers are the slots' published ports
//! (`blue` and `green`, or `blue-<host>` and `green-<host>` where the environment has several
//! hosts), health-checked on `/health` every second, the idle ones in maint. Failed requests (and
//! only those: `dontlog-normal`) are logged, with HAProxy's termination state, to `haproxy.log`.

use super::state::{FrontendRecord, SlotRecord};
use std::fmt::Write;

/// Everything after `global` (which [`crate::stack::Haproxy::start`] writes).
pub fn config_text(frontends: &[FrontendRecord], slots: &[SlotRecord], swarm: bool) -> String {
    let mut out = String::from(
        "defaults\n    \
         mode http\n    \
         log stdout format raw local0\n    \
         option httplog\n    \
         option dontlog-normal\n    \
         timeout connect 2s\n    \
         timeout client 60s\n    \
         timeout server 60s\n    \
         option httpchk GET /health\n    \
         default-server fall 2 rise 1\n    \
         load-server-state-from-file global\n",
    );
    for fe in frontends {
        let _ = write!(
            out,
            "\nfrontend fe_{backend}\n    bind 127.0.0.1:{port}\n    default_backend {backend}\n",
            backend = fe.backend,
            port = fe.port
        );
        let _ = writeln!(out, "\nbackend {}", fe.backend);
        if swarm && fe.env == super::swarm::SWARM_ENV {
            // Numbered servers per slot, all in maint at an address nothing answers on, until
            // opsdeck points them at the slot's tasks.
            for slot in ["blue", "green"] {
                let _ = writeln!(
                    out,
                    "    server-template {slot} 1-{} 127.0.0.1:1 check inter 1s disabled",
                    super::swarm::TEMPLATE_SERVERS
                );
            }
            continue;
        }
        for slot in slots.iter().filter(|s| s.service == fe.service && s.env == fe.env) {
            // `disabled` starts the server in maint: the idle slot takes nothing until promoted.
            let maint = if slot.live { "" } else { " disabled" };
            let server = server_name(slots, slot);
            let _ = writeln!(out, "    server {server} 127.0.0.1:{} check inter 1s{maint}", slot.host_port);
        }
    }
    out
}

/// The slot's server, named as opsdeck's config expects it
/// ([`opsdeck_core::config::EnvironmentConfig::server_name`]).
pub fn server_name(slots: &[SlotRecord], slot: &SlotRecord) -> String {
    let mut hosts: Vec<&str> = slots.iter().filter(|s| s.env == slot.env).map(|s| s.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    if hosts.len() > 1 {
        format!("{}-{}", slot.slot, slot.host)
    } else {
        slot.slot.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(slot: &str, port: u16, live: bool) -> SlotRecord {
        SlotRecord {
            name: format!("api-prod-{slot}"),
            service: "api".into(),
            env: "prod".into(),
            host: "prod-1".into(),
            slot: slot.into(),
            image: String::new(),
            digest: String::new(),
            version: String::new(),
            host_port: port,
            live,
        }
    }

    fn frontend() -> FrontendRecord {
        FrontendRecord {
            service: "api".into(),
            env: "prod".into(),
            backend: "api_prod".into(),
            port: 9000,
            url: "http://127.0.0.1:9000".into(),
        }
    }

    #[test]
    fn one_frontend_and_backend_with_the_idle_server_in_maint() {
        let fe = frontend();
        let text = config_text(&[fe], &[slot("blue", 9001, true), slot("green", 9002, false)], false);
        assert!(
            text.contains("frontend fe_api_prod\n    bind 127.0.0.1:9000\n    default_backend api_prod\n"),
            "{text}"
        );
        assert!(text.contains("backend api_prod\n    server blue 127.0.0.1:9001 check inter 1s\n    server green 127.0.0.1:9002 check inter 1s disabled\n"), "{text}");
        assert!(text.contains("load-server-state-from-file global"));
    }

    #[test]
    fn several_hosts_get_a_server_each() {
        let fe = frontend();
        let on_two = SlotRecord { host: "prod-2".into(), host_port: 9003, ..slot("blue", 0, true) };
        let text = config_text(&[fe], &[slot("blue", 9001, true), slot("green", 9002, false), on_two], false);
        assert!(text.contains("    server blue-prod-1 127.0.0.1:9001 check inter 1s\n"), "{text}");
        assert!(text.contains("    server green-prod-1 127.0.0.1:9002 check inter 1s disabled\n"), "{text}");
        assert!(text.contains("    server blue-prod-2 127.0.0.1:9003 check inter 1s\n"), "{text}");
    }

    #[test]
    fn prod_on_a_swarm_gets_numbered_servers_per_slot() {
        let text = config_text(&[frontend()], &[slot("blue", 0, true), slot("green", 0, false)], true);
        assert!(text.contains("    server-template blue 1-8 127.0.0.1:1 check inter 1s disabled\n"), "{text}");
        assert!(text.contains("    server-template green 1-8 127.0.0.1:1 check inter 1s disabled\n"), "{text}");
        assert!(!text.contains("    server blue "), "{text}");
    }
}
