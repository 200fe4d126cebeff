//! `opsdeck doctor`: is this bastion ready to run opsdeck? One check per system the config names
//! (the state store and its audit chain, the registry and each service's repository, each Docker
//! host and the slots on it, each environment's HAProxy and the servers each service needs there,
//! Alertmanager, the runbook folders), each `ok`, `warn` or `FAIL` with what was found and, when
//! not ok, what to do. The checks are derived from the same one-shot read as `status`.

mod trust;

pub use trust::{anchors, inline_secrets, log_file, policy, store};

use crate::runbook::Catalog;
use crate::world::{HostId, Reach, World};
use opsdeck_backends::types::labels;
use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but something is missing or odd (no images yet, a runbook that does not parse).
    Warn,
    /// opsdeck cannot do its job here until this is fixed.
    Fail,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One check: what (`registry`, `host prod-1 (prod)`), how it came out, what was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub detail: String,
}

pub(crate) fn check(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check { check: name.into(), status, detail: detail.into() }
}

/// `url` as it may be printed: a user name and password in it (`http://u:p@host`) are left out.
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The systems, as the one-shot read found them.
pub fn from_world(world: &World) -> Vec<Check> {
    let mut out = vec![registry(world)];
    out.extend(repositories(world));
    out.extend(hosts(world));
    out.extend(haproxies(world));
    out.push(alertmanager(world));
    out.extend(webhooks(&world.config));
    out
}

/// Each `[[notify]]` webhook, its URL masked (it may hold a token). Not called: doctor would
/// post a message to the team's channel every time it runs.
fn webhooks(config: &crate::config::Config) -> Vec<Check> {
    let names = |n: &crate::config::NotifyConfig| n.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    let format = |n: &crate::config::NotifyConfig| format!("{:?}", n.format).to_ascii_lowercase();
    let detail = |n: &crate::config::NotifyConfig| {
        format!("{} ({} format; told of {}); not called", n.shown_url(), format(n), names(n))
    };
    config.notify.iter().map(|n| check("webhook", Status::Ok, detail(n))).collect()
}

fn registry(world: &World) -> Check {
    let url = shown(&world.config.registry.url);
    match &world.registry.reach {
        Reach::Down { reason, .. } => {
            check("registry", Status::Fail, format!("{url}: {reason} (is it running? [registry] url)"))
        }
        _ => check("registry", Status::Ok, format!("{url} answered")),
    }
}

fn repositories(world: &World) -> Vec<Check> {
    if world.registry.reach.is_down() {
        return Vec::new();
    }
    world
        .config
        .services
        .iter()
        .map(|s| {
            let name = format!("images of {}", s.name);
            match world.registry.images.get(&s.name).map(Vec::len) {
                Some(0) | None => check(
                    name,
                    Status::Warn,
                    format!("repository {} has no tagged image yet: nothing to promote", s.repository()),
                ),
                Some(n) => check(name, Status::Ok, format!("repository {}: {n} images", s.repository())),
            }
        })
        .collect()
}

fn hosts(world: &World) -> Vec<Check> {
    let mut out = Vec::new();
    for env in &world.config.environments {
        for host in &env.hosts {
            let id = HostId { env: env.name.clone(), host: host.name.clone() };
            let name = format!("host {} ({})", host.name, env.name);
            let state = world.hosts.get(&id);
            out.push(match state.map(|h| &h.reach) {
                Some(Reach::Up { .. }) => {
                    // One engine may serve several environments: count this one's slots.
                    let slots = state.map_or(0, |h| {
                        h.containers().values().filter(|c| c.label(labels::ENV) == Some(env.name.as_str())).count()
                    });
                    let missing: Vec<&str> = world
                        .config
                        .services
                        .iter()
                        .filter(|s| s.environments.contains_key(&env.name))
                        .filter(|s| {
                            !state.is_some_and(|h| {
                                h.containers().values().any(|c| {
                                    c.label(labels::SERVICE) == Some(s.name.as_str())
                                        && c.label(labels::ENV) == Some(env.name.as_str())
                                })
                            })
                        })
                        .map(|s| s.name.as_str())
                        .collect();
                    if missing.is_empty() {
                        check(
                            name,
                            Status::Ok,
                            format!("{} answered, {slots} slot containers of {}", host.url, env.name),
                        )
                    } else {
                        check(
                            name,
                            Status::Warn,
                            format!(
                                "{} answered, but runs no slot of {}: its first promote creates them",
                                host.url,
                                missing.join(", ")
                            ),
                        )
                    }
                }
                Some(Reach::Down { reason, .. }) => check(
                    name,
                    Status::Fail,
                    format!("{}: {reason} (is the engine up, and this user allowed on it?)", host.url),
                ),
                _ => check(name, Status::Fail, format!("{}: not read", host.url)),
            });
        }
    }
    out
}

fn haproxies(world: &World) -> Vec<Check> {
    let mut out = Vec::new();
    for env in &world.config.environments {
        let name = format!("haproxy ({})", env.name);
        let lb = world.lbs.get(&env.name);
        match lb.map(|l| &l.reach) {
            Some(Reach::Up { .. }) => {}
            Some(Reach::Down { reason, .. }) => {
                out.push(check(
                    name,
                    Status::Fail,
                    format!("{}: {reason} (is HAProxy running with `stats socket ... level admin`?)", env.haproxy),
                ));
                continue;
            }
            _ => {
                out.push(check(name, Status::Fail, format!("{}: not read", env.haproxy)));
                continue;
            }
        }
        let servers = lb.map(|l| l.servers()).unwrap_or_default();
        let mut missing = Vec::new();
        for s in &world.config.services {
            let Some(route) = s.environments.get(&env.name) else { continue };
            for slot in crate::config::SLOTS {
                if env.replicated() {
                    // One numbered server per replica, at least (a replaced task needs one more
                    // for a moment).
                    let wanted = route.replicas.unwrap_or(1) as usize;
                    let numbered = servers
                        .iter()
                        .filter(|v| {
                            v.backend == route.backend && crate::config::replica_number(slot, &v.server).is_some()
                        })
                        .count();
                    if numbered < wanted {
                        missing.push(format!("{}/{slot}1..{slot}{wanted}", route.backend));
                    }
                    continue;
                }
                for (_, server) in env.slot_servers(slot) {
                    if !servers.iter().any(|v| v.backend == route.backend && v.server == server) {
                        missing.push(format!("{}/{server}", route.backend));
                    }
                }
            }
        }
        out.push(if missing.is_empty() {
            check(
                name,
                Status::Ok,
                format!("{} answered, every service's servers found ({})", env.haproxy, env.server_naming()),
            )
        } else {
            check(
                name,
                Status::Fail,
                format!(
                    "{} has no server {}: a switch there would fail (each service's backend needs servers named {})",
                    env.haproxy,
                    missing.join(", "),
                    env.server_naming()
                ),
            )
        });
    }
    out
}

fn alertmanager(world: &World) -> Check {
    let Some(am) = &world.config.alertmanager else {
        return check("alertmanager", Status::Warn, "not configured: no alerts, silences or alert runbooks");
    };
    match &world.alerts.reach {
        Reach::Down { reason, .. } => check("alertmanager", Status::Fail, format!("{}: {reason}", shown(&am.url))),
        _ => check(
            "alertmanager",
            Status::Ok,
            format!("{} answered, {} alerts", shown(&am.url), world.alerts.alerts.len()),
        ),
    }
}

/// The runbook folders: how many runbooks, and each file that does not load.
pub fn runbooks(catalog: &Catalog) -> Vec<Check> {
    let mut out = vec![check(
        "runbooks",
        Status::Ok,
        format!("{} runbooks read from the runbook folders", catalog.runbooks.len()),
    )];
    out.extend(catalog.errors.iter().map(|e| check("runbooks", Status::Warn, e.to_string())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::VerifyReport;
    use crate::testing::{gen_demo_world, gen_demo_world_all_up};

    fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks.iter().find(|c| c.check == name).unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
    }

    #[test]
    fn a_healthy_stack_is_all_ok() {
        let checks = from_world(&gen_demo_world_all_up());
        let bad: Vec<_> = checks.iter().filter(|c| c.status != Status::Ok).collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert!(find(&checks, "images of api").detail.contains("4 images"));
        assert!(find(&checks, "haproxy (prod)")
            .detail
            .contains("servers found (blue-<host> and green-<host>, one per host)"));
        assert!(find(&checks, "haproxy (dev)").detail.contains("servers found (blue and green)"));
    }

    #[test]
    fn a_dead_host_fails_with_its_reason() {
        let checks = from_world(&gen_demo_world());
        let c = find(&checks, "host prod-2 (prod)");
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("no answer within 3s"), "{c:?}");
    }

    #[test]
    fn a_backend_without_its_slots_fails() {
        let mut m = gen_demo_world_all_up();
        if let Some(lb) = m.lbs.get_mut("prod") {
            lb.retain(|s| !(s.backend == "api_prod" && s.server == "green-prod-2"));
        }
        let c = find(&from_world(&m), "haproxy (prod)").clone();
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("no server api_prod/green-prod-2"), "{c:?}");
        assert!(c.detail.contains("one per host"), "{c:?}");
    }

    #[test]
    fn no_images_and_no_slots_are_warnings() {
        let mut m = gen_demo_world_all_up();
        m.registry.images.insert("web".into(), Vec::new());
        for h in m.hosts.values_mut() {
            h.retain(|c| c.label(labels::SERVICE) != Some("web"));
        }
        let checks = from_world(&m);
        assert_eq!(find(&checks, "images of web").status, Status::Warn);
        let host = find(&checks, "host dev-1 (dev)");
        assert_eq!(host.status, Status::Warn);
        assert!(host.detail.contains("runs no slot of web"), "{host:?}");
    }

    #[test]
    fn credentials_in_a_url_are_never_printed() {
        assert_eq!(shown("http://bob:s3cret@127.0.0.1:5000"), "http://127.0.0.1:5000/");
        assert_eq!(shown("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
    }

    #[test]
    fn a_broken_chain_fails_the_store() {
        let ok = store(std::path::Path::new("/s.db"), Ok(VerifyReport { records: 3, problem: None }));
        assert_eq!((ok.status, ok.detail.as_str()), (Status::Ok, "/s.db: 3 audit records, chain intact"));
        let bad = store(std::path::Path::new("/s.db"), Err("permissions 0777".into()));
        assert_eq!(bad.status, Status::Fail);
    }
}
