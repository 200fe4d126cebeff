//! How an environment's slots are named in its traffic switch: one server per slot and host, so
//! every host of an environment takes traffic. With one host a slot's server is the slot itself
//! (`blue`, `green`); with several it is `<slot>-<host>` (`blue-prod-1`, `green-prod-2`). On a
//! platform of replicas (Swarm) a slot has a numbered server per replica, `<slot>1`, `<slot>2`,
//! ... (HAProxy's `server-template blue 1-8 ...`), addressed as the replicas come and go.

use super::EnvironmentConfig;

/// The two slots of every service, in the order they are shown.
pub const SLOTS: [&str; 2] = ["blue", "green"];

impl EnvironmentConfig {
    /// Whether the slots here are replicas at moving addresses, their servers numbered and
    /// following them (Swarm), rather than one fixed server per host.
    pub fn replicated(&self) -> bool {
        self.platform == super::PlatformKind::Swarm
    }

    /// The traffic switch's server for `slot` on `host` (replicated: the slot's first server).
    pub fn server_name(&self, slot: &str, host: &str) -> String {
        if self.replicated() {
            [slot, "1"].concat()
        } else if self.hosts.len() <= 1 {
            slot.to_string()
        } else {
            // Not `format!`: drawing a large fleet asks for thousands of these a frame.
            [slot, "-", host].concat()
        }
    }

    /// Every `(host, server)` of `slot`, in the config's host order.
    pub fn slot_servers(&self, slot: &str) -> Vec<(String, String)> {
        self.hosts.iter().map(|h| (h.name.clone(), self.server_name(slot, &h.name))).collect()
    }

    /// Which slot and host a server of this environment stands for (None: not one of opsdeck's).
    pub fn server_slot(&self, server: &str) -> Option<(&'static str, &str)> {
        if self.replicated() {
            let host = self.hosts.first()?.name.as_str();
            return SLOTS.iter().find(|slot| replica_number(slot, server).is_some()).map(|slot| (*slot, host));
        }
        SLOTS.iter().find_map(|slot| {
            self.hosts.iter().find(|h| self.server_name(slot, &h.name) == server).map(|h| (*slot, h.name.as_str()))
        })
    }

    /// Whether `server` is one of `slot`'s servers here (any host; replicated: any number).
    pub fn is_slot_server(&self, slot: &str, server: &str) -> bool {
        self.server_slot(server).is_some_and(|(s, _)| s == slot)
    }

    /// How the servers are named here, for messages: `blue and green`, or `blue-<host> and green-<host>`.
    pub fn server_naming(&self) -> &'static str {
        if self.replicated() {
            "blue1.. and green1.., one per replica (server-template)"
        } else if self.hosts.len() <= 1 {
            "blue and green"
        } else {
            "blue-<host> and green-<host>, one per host"
        }
    }
}

/// Which of `slot`'s numbered servers `server` is (`blue3` is blue's 3rd; None: not one).
pub fn replica_number(slot: &str, server: &str) -> Option<u32> {
    let digits = server.strip_prefix(slot)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// Whether a host name can be part of an HAProxy server name (letters, digits, `-_.:`).
pub fn fits_server_name(host: &str) -> bool {
    !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvironmentConfig, HostConfig};

    fn env(hosts: &[&str]) -> EnvironmentConfig {
        EnvironmentConfig {
            name: "prod".into(),
            platform: Default::default(),
            hosts: hosts
                .iter()
                .map(|h| HostConfig {
                    name: h.to_string(),
                    url: String::new(),
                    context: None,
                    address: None,
                    tls: None,
                })
                .collect(),
            haproxy: "unix:///x".into(),
            approval: Default::default(),
            approvers: vec![],
            canary: Default::default(),
            color: None,
        }
    }

    #[test]
    fn one_host_keeps_the_slot_name_several_add_the_host() {
        assert_eq!(env(&["prod-1"]).server_name("blue", "prod-1"), "blue");
        let two = env(&["prod-1", "prod-2"]);
        assert_eq!(two.server_name("green", "prod-2"), "green-prod-2");
        assert_eq!(
            two.slot_servers("blue"),
            [("prod-1".to_string(), "blue-prod-1".to_string()), ("prod-2".into(), "blue-prod-2".into())]
        );
        assert_eq!(two.server_slot("green-prod-1"), Some(("green", "prod-1")));
        assert_eq!(two.server_slot("blue"), None, "a lone slot server is not a multi-host one");
        assert_eq!(env(&["prod-1"]).server_slot("green"), Some(("green", "prod-1")));
    }

    #[test]
    fn host_names_must_fit_a_server_name() {
        assert!(fits_server_name("prod-1.eu"));
        assert!(!fits_server_name("prod 1"));
        assert!(!fits_server_name(""));
    }
}
