//! `update`: the only code that changes the [`Model`]. It folds each [`Msg`] in and returns the
//! [`Cmd`]s the runtime should carry out, so it is tested without tokio or a terminal.

mod abort;
mod approvals;
mod audit;
mod confirm;
mod container;
mod filter;
mod health_chart;
mod keys;
mod silence;

pub use silence::RECENT_EXPIRED;
mod logs;
pub mod palette;
mod prune;
mod runbook;

use crate::model::{HealthEntry, HostId, Model, SlotId};
use crate::msg::{Cmd, Msg};
use crate::text::{cleaned, Sanitize};
use opsdeck_backends::types::{labels, ContainerInfo};

/// Applies `msg` to `model`; returns what should happen next. Every outside string taken in is
/// cleaned of control characters and has the config's secret values masked (`sanitized`,
/// `cleaned`, under [`crate::text::masking`]).
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    let secrets = model.secrets.clone();
    crate::text::masking(&secrets, || fold(model, msg))
}

fn fold(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => keys::on_key(model, key),
        Msg::Resize => Vec::new(),
        Msg::Tick(now) => {
            model.now = now;
            model.history.prune(now);
            due_probes(model)
        }
        Msg::HostSnapshot(id, result) => {
            let now = model.now;
            let host = model.hosts.entry(id.clone()).or_default();
            match result {
                Ok(list) => {
                    host.reach = crate::model::Reach::Up { at: now };
                    host.containers = list.into_iter().map(|c| (c.id.clone(), c.sanitized())).collect();
                    new_slot_probes(model, &id)
                }
                Err(e) => {
                    host.reach = host.reach.failed(cleaned(&e.to_string()), now);
                    Vec::new()
                }
            }
        }
        Msg::ContainerChanged(id, container) => {
            let host = model.hosts.entry(id.clone()).or_default();
            let container = container.sanitized();
            host.containers.insert(container.id.clone(), container);
            new_slot_probes(model, &id)
        }
        Msg::ContainerRemoved(id, container_id) => {
            if let Some(host) = model.hosts.get_mut(&id) {
                host.containers.remove(&container_id);
            }
            Vec::new()
        }
        Msg::Lb(env, result) => {
            let now = model.now;
            let lb = model.lbs.entry(env.clone()).or_default();
            match result {
                Ok(servers) => {
                    lb.reach = crate::model::Reach::Up { at: now };
                    lb.servers = servers.sanitized();
                    let servers = lb.servers.clone();
                    health_chart::record_lb(model, &env, &servers);
                }
                Err(e) => lb.reach = lb.reach.failed(cleaned(&e.to_string()), now),
            }
            Vec::new()
        }
        Msg::Health(slot, report) => {
            model.probes.in_flight.remove(&slot);
            health_chart::record_health(model, &slot, &report);
            model.health.insert(slot, HealthEntry { report: report.sanitized(), at: model.now });
            Vec::new()
        }
        Msg::Images(service, result) => {
            let now = model.now;
            match result {
                Ok(images) => {
                    model.registry.reach = crate::model::Reach::Up { at: now };
                    model.registry.images.insert(service, images.sanitized());
                }
                Err(e) => model.registry.reach = model.registry.reach.failed(cleaned(&e.to_string()), now),
            }
            Vec::new()
        }
        Msg::Alerts(result) => {
            let now = model.now;
            match result {
                Ok(alerts) => {
                    model.alerts.reach = crate::model::Reach::Up { at: now };
                    model.alerts.alerts = alerts.sanitized();
                }
                Err(e) => model.alerts.reach = model.alerts.reach.failed(cleaned(&e.to_string()), now),
            }
            Vec::new()
        }
        Msg::Silences(result) => {
            let now = model.now;
            match result {
                Ok(silences) => {
                    model.silences.reach = crate::model::Reach::Up { at: now };
                    model.silences.silences = silences.sanitized();
                }
                Err(e) => model.silences.reach = model.silences.reach.failed(cleaned(&e.to_string()), now),
            }
            Vec::new()
        }
        Msg::Store(Ok((recent, locks))) => {
            model.actions.recent = recent.sanitized();
            model.actions.locks = locks.sanitized();
            model.actions.error = None;
            Vec::new()
        }
        Msg::Store(Err(e)) => {
            model.actions.error = Some(cleaned(&e));
            Vec::new()
        }
        Msg::Requests(result) => {
            approvals::on_requests(model, result);
            Vec::new()
        }
        Msg::Audit(result) => {
            approvals::on_audit(model, result);
            Vec::new()
        }
        Msg::Approval(result) => approvals::on_result(model, result),
        Msg::Action(event) => on_action_event(model, event),
        Msg::Logs(generation, slot, event) => {
            logs::on_event(model, generation, slot, event);
            Vec::new()
        }
        Msg::Notice(line) => {
            model.ui.notice = Some(cleaned(&line));
            Vec::new()
        }
        Msg::ContainerDetail(container_id, result) => {
            container::on_detail(model, container_id, result);
            Vec::new()
        }
        Msg::Signal(_) => {
            model.should_quit = true;
            vec![Cmd::Quit]
        }
        Msg::Runbook(event) => runbook::on_event(model, event),
        Msg::Pruned(service, result) => prune::on_result(model, service, result),
    }
}

/// Our own action's progress: the store has the detail (read again now); the status bar says how
/// it ended.
fn on_action_event(model: &mut Model, event: crate::actions::ActionEvent) -> Vec<Cmd> {
    use crate::actions::ActionEvent as E;
    abort::on_action_event(model, &event);
    match &event {
        E::Started { id, .. } => model.actions.ours.push(*id),
        E::Finished { id, .. } => {
            model.actions.ours.retain(|o| o != id);
            model.ui.notice = Some(cleaned(&event.line()));
        }
        E::Refused { .. } => model.ui.notice = Some(cleaned(&event.line())),
        E::Step { .. } | E::Undoing { .. } => {}
        E::Drain { .. } => {}
    }
    vec![Cmd::RefreshStore]
}

/// Every running slot container, with its `/health` URL.
fn probe_targets<'a>(model: &'a Model, only_host: Option<&'a HostId>) -> impl Iterator<Item = (SlotId, String)> + 'a {
    model.hosts.iter().filter(move |(id, _)| only_host.is_none_or(|h| h == *id)).flat_map(move |(id, host)| {
        host.containers.values().filter(|c| c.is_running()).filter_map(move |c| probe_target(model, id, c))
    })
}

fn probe_target(model: &Model, host_id: &HostId, c: &ContainerInfo) -> Option<(SlotId, String)> {
    let service = model.config.service(c.label(labels::SERVICE)?)?;
    let host = model.config.environment(&host_id.env)?.hosts.iter().find(|h| h.name == host_id.host)?;
    let port = c.ports.get(&service.container_port)?;
    let slot = SlotId {
        env: host_id.env.clone(),
        service: service.name.clone(),
        slot: c.label(labels::SLOT)?.to_string(),
        host: host_id.host.clone(),
    };
    let url = format!("http://{}:{port}{}", host.probe_address(), service.health_path);
    Some((slot, url))
}

/// On each tick: when the health interval has passed, probe every running slot that is not
/// still being probed (a slow service gets one probe at a time, never a pile).
fn due_probes(model: &mut Model) -> Vec<Cmd> {
    let interval = chrono::Duration::from_std(model.config.intervals.health).unwrap_or(chrono::Duration::seconds(5));
    if model.probes.last.is_some_and(|last| model.now - last < interval) {
        return Vec::new();
    }
    model.probes.last = Some(model.now);
    let targets: Vec<_> = probe_targets(model, None).filter(|(s, _)| !model.probes.in_flight.contains(s)).collect();
    schedule(model, targets)
}

/// Slots of `host` never probed yet: probe them now rather than at the next interval.
fn new_slot_probes(model: &mut Model, host: &HostId) -> Vec<Cmd> {
    let targets: Vec<_> = probe_targets(model, Some(host))
        .filter(|(s, _)| !model.health.contains_key(s) && !model.probes.in_flight.contains(s))
        .collect();
    schedule(model, targets)
}

fn schedule(model: &mut Model, targets: Vec<(SlotId, String)>) -> Vec<Cmd> {
    if targets.is_empty() {
        return Vec::new();
    }
    model.probes.in_flight.extend(targets.iter().map(|(s, _)| s.clone()));
    vec![Cmd::ProbeHealth(targets)]
}

#[cfg(test)]
mod tests;
