//! `update`: the only code that changes the [`Model`]. It folds each [`Msg`] in and returns the
//! [`Cmd`]s the runtime should carry out, so it is tested without tokio or a terminal.

mod abort;
mod approvals;
mod audit;
mod confirm;
mod container;
mod copy;
mod filter;
mod health_chart;
mod keys;
mod mouse;
mod silence;
mod steer;

pub use silence::RECENT_EXPIRED;
mod logs;
pub mod palette;
mod prune;
mod runbook;

use crate::model::{HostId, Model, SlotId};
use crate::msg::{Cmd, Msg};
use opsdeck_core::text::cleaned;
use opsdeck_core::world::Fact;

/// Applies `msg` to `model`; returns what should happen next. Every outside string taken in is
/// cleaned of control characters and has the config's secret values masked (`sanitized`,
/// `cleaned`, under [`opsdeck_core::text::masking`]).
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    let secrets = model.world.secrets.clone();
    opsdeck_core::text::masking(&secrets, || fold(model, msg))
}

fn fold(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => keys::on_key(model, key),
        Msg::Mouse(event, hits) => mouse::on_mouse(model, event, &hits),
        Msg::Resize => Vec::new(),
        Msg::Tick(now) => {
            model.world.tick(now);
            due_probes(model)
        }
        Msg::Fact(fact) => on_fact(model, fact),
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

/// What an outside system said: into the world, then what the console does about it (probe new
/// slots, keep the selections in range, close a view whose request was decided meanwhile).
fn on_fact(model: &mut Model, fact: Fact) -> Vec<Cmd> {
    match fact {
        Fact::HostSnapshot(id, result) => {
            let up = result.is_ok();
            model.world.apply(Fact::HostSnapshot(id.clone(), result));
            if up {
                new_slot_probes(model, &id)
            } else {
                Vec::new()
            }
        }
        Fact::ContainerChanged(id, container) => {
            model.world.apply(Fact::ContainerChanged(id.clone(), container));
            new_slot_probes(model, &id)
        }
        Fact::Health(slot, report) => {
            model.probes.in_flight.remove(&slot);
            model.world.apply(Fact::Health(slot, report));
            Vec::new()
        }
        Fact::Requests(result) => {
            model.world.apply(Fact::Requests(result));
            approvals::after_requests(model);
            Vec::new()
        }
        Fact::Audit(result) => {
            let selected = model.audit_rows().get(model.ui.audit.row).map(|r| r.seq);
            let ok = result.is_ok();
            model.world.apply(Fact::Audit(result));
            if ok {
                approvals::after_audit(model, selected);
            }
            Vec::new()
        }
        fact => {
            model.world.apply(fact);
            Vec::new()
        }
    }
}

/// Our own action's progress: the store has the detail (read again now); the status bar says how
/// it ended.
fn on_action_event(model: &mut Model, event: opsdeck_core::actions::ActionEvent) -> Vec<Cmd> {
    use opsdeck_core::actions::ActionEvent as E;
    abort::on_action_event(model, &event);
    match &event {
        E::Started { id, .. } => model.world.actions.ours.push(*id),
        E::Finished { id, .. } => {
            model.world.actions.ours.retain(|o| o != id);
            model.ui.notice = Some(cleaned(&event.line()));
        }
        E::Refused { .. } => model.ui.notice = Some(cleaned(&event.line())),
        E::Step { .. } | E::Undoing { .. } => {}
        // A look at a stage or a drain changes nothing in the store: no read again.
        E::Drain { .. } | E::Stage { .. } => return Vec::new(),
    }
    vec![Cmd::RefreshStore]
}

/// On each tick: when the health interval has passed, probe every running slot that is not
/// still being probed (a slow service gets one probe at a time, never a pile).
fn due_probes(model: &mut Model) -> Vec<Cmd> {
    let interval =
        chrono::Duration::from_std(model.world.config.intervals.health).unwrap_or(chrono::Duration::seconds(5));
    if model.probes.last.is_some_and(|last| model.world.now - last < interval) {
        return Vec::new();
    }
    model.probes.last = Some(model.world.now);
    let targets: Vec<_> =
        model.world.probe_targets(None).into_iter().filter(|(s, _)| !model.probes.in_flight.contains(s)).collect();
    // A large round is spread over half the interval, in batches: its connections and answers
    // come a batch at a time, never hundreds at once, and it still ends well before the next.
    schedule(model, targets, model.world.config.intervals.health / 2)
}

/// Slots of `host` never probed yet: probe them now rather than at the next interval.
fn new_slot_probes(model: &mut Model, host: &HostId) -> Vec<Cmd> {
    let targets: Vec<_> = model
        .world
        .probe_targets(Some(host))
        .into_iter()
        .filter(|(s, _)| !model.world.health.contains_key(s) && !model.probes.in_flight.contains(s))
        .collect();
    schedule(model, targets, std::time::Duration::ZERO)
}

fn schedule(model: &mut Model, targets: Vec<(SlotId, String)>, over: std::time::Duration) -> Vec<Cmd> {
    if targets.is_empty() {
        return Vec::new();
    }
    model.probes.in_flight.extend(targets.iter().map(|(s, _)| s.clone()));
    vec![Cmd::ProbeHealth { targets, over }]
}

#[cfg(test)]
mod masking_tests;
#[cfg(test)]
mod tests;
