//! Checks serde cannot make: names unique, URLs of the right kind, routes naming real
//! environments, approvals with approvers. Every problem is collected, each located in the text.

use super::load::{line_col, ConfigProblem};
use super::Config;
use std::collections::BTreeSet;

pub(super) fn check(config: &Config, text: &str) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let mut report = |needle: &str, message: String| {
        let (line, column) = locate(text, needle);
        problems.push(ConfigProblem { line, column, message });
    };

    if !config.registry.url.starts_with("http://") && !config.registry.url.starts_with("https://") {
        report(&config.registry.url, "registry url must be http:// or https://".into());
    }
    if let Some(am) = &config.alertmanager {
        if !am.url.starts_with("http://") && !am.url.starts_with("https://") {
            report(&am.url, "alertmanager url must be http:// or https://".into());
        }
    }
    for hook in &config.notify {
        if let Some(problem) = super::notify::url_problem(&hook.url) {
            report(&hook.url, problem);
        }
    }
    if let Some(theme) = &config.theme {
        if let Some(problem) = super::look::theme_problem(theme) {
            report(&quoted(theme), problem);
        }
    }
    if config.environments.is_empty() {
        report("[[environments]]", "at least one [[environments]] is needed".into());
    }
    let mut env_names = BTreeSet::new();
    for env in &config.environments {
        if !env_names.insert(env.name.as_str()) {
            report(&quoted(&env.name), format!("environment `{}` is defined twice", env.name));
        }
        if !env.haproxy.starts_with("unix://") && !env.haproxy.starts_with("tcp://") {
            report(&env.haproxy, "haproxy must be unix:// or tcp://".into());
        }
        if env.approval == super::ApprovalPolicy::Required && env.approvers.is_empty() {
            report(
                "approvers",
                format!("environment `{}`: approval = \"required\" needs at least one approver", env.name),
            );
        }
        for problem in env.canary.problems() {
            report("[environments.canary]", format!("environment `{}`: {problem}", env.name));
        }
        if env.hosts.is_empty() {
            report(&quoted(&env.name), format!("environment `{}` has no hosts", env.name));
        }
        // A swarm is reached through one manager; its nodes are Swarm's business.
        if env.platform == super::PlatformKind::Swarm && env.hosts.len() != 1 {
            report(
                &quoted(&env.name),
                format!("environment `{}`: platform = \"swarm\" takes exactly one host, a manager", env.name),
            );
        }
        let mut host_names = BTreeSet::new();
        for host in &env.hosts {
            if !host_names.insert(host.name.as_str()) {
                report(&quoted(&host.name), format!("host `{}` is defined twice in `{}`", host.name, env.name));
            }
            // `env` and a `context` are resolved into a URL once the file is read.
            let named_elsewhere = host.url == "env" || (host.url.is_empty() && host.context.is_some());
            if !named_elsewhere && !["unix://", "tcp://", "ssh://"].iter().any(|s| host.url.starts_with(s)) {
                let at = if host.url.is_empty() { quoted(&host.name) } else { host.url.clone() };
                report(&at, "host url must be unix://, tcp://, ssh:// or env (or give context = \"name\")".into());
            }
            // With several hosts each slot's HAProxy server is named `<slot>-<host>`.
            if env.hosts.len() > 1 && !super::fits_server_name(&host.name) {
                report(
                    &quoted(&host.name),
                    format!("host `{}`: with several hosts its name is part of HAProxy server names (letters, digits, -_.: only)", host.name),
                );
            }
        }
    }
    if config.services.is_empty() {
        report("[[services]]", "at least one [[services]] is needed".into());
    }
    let mut service_names = BTreeSet::new();
    for service in &config.services {
        if !service_names.insert(service.name.as_str()) {
            report(&quoted(&service.name), format!("service `{}` is defined twice", service.name));
        }
        for (env, route) in &service.environments {
            if !env_names.contains(env.as_str()) {
                report(
                    &format!("environments.{env}]"),
                    format!("service `{}`: no environment named `{env}`", service.name),
                );
                continue;
            }
            let swarm = config.environment(env).is_some_and(|e| e.platform == super::PlatformKind::Swarm);
            let placed = route.replicas.is_some() || !route.constraints.is_empty();
            if placed && !swarm {
                report(
                    &format!("environments.{env}]"),
                    format!("service `{}`: replicas and constraints are for platform = \"swarm\" only", service.name),
                );
            }
            if route.replicas == Some(0) || route.replicas.is_some_and(|r| r > super::MAX_REPLICAS) {
                report(
                    &format!("environments.{env}]"),
                    format!("service `{}`: replicas must be 1 to {}", service.name, super::MAX_REPLICAS),
                );
            }
        }
    }
    problems
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// Line and column of the first occurrence of `needle`, or the start of the file.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    text.find(needle).map(|i| line_col(text, i)).unwrap_or((1, 1))
}
