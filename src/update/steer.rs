//! Space and `>` on a canary of ours holding a stage: pause or resume the stage's clock, or pass
//! the stage now. The canary chosen is the Actions pane's selected one when it is such, else our
//! first; with none, the keys say so and do nothing.

use crate::model::{Model, Pane};
use crate::msg::{Cmd, Steer};

/// Space (`next` false) or `>` (`next` true).
pub(super) fn steer(model: &mut Model, next: bool) -> Vec<Cmd> {
    let actions = &model.world.actions;
    let holding = |id: i64| actions.ours.contains(&id) && actions.stages.contains_key(&id);
    let rows = crate::ui::actions::rows(model);
    let selected = (model.ui.focus == Pane::Actions)
        .then(|| rows.get(model.ui.action_row).copied())
        .flatten()
        .filter(|e| e.finish.is_none() && holding(e.id.0));
    let Some(entry) = selected.or_else(|| rows.iter().copied().find(|e| e.finish.is_none() && holding(e.id.0))) else {
        model.ui.notice = Some("no canary of this console is holding a stage".into());
        return Vec::new();
    };
    let (id, service, env) = (entry.id.0, entry.action.service.clone(), entry.action.env.clone());
    let Some(stage) = actions.stages.get(&id) else { return Vec::new() };
    let percent = stage.percent;
    let steer = match (next, stage.paused) {
        (true, _) => Steer::Next,
        (false, false) => Steer::Pause,
        (false, true) => Steer::Resume,
    };
    model.ui.notice = Some(match steer {
        Steer::Next => format!("canary {service}/{env}: passing the {percent} % stage now"),
        Steer::Pause => format!("canary {service}/{env}: {percent} % paused (still judged; Space goes on)"),
        Steer::Resume => format!("canary {service}/{env}: {percent} % goes on"),
    });
    // Shown at once; the next look confirms it.
    if let (Some(stage), false) = (model.world.actions.stages.get_mut(&id), next) {
        stage.paused = steer == Steer::Pause;
    }
    vec![Cmd::SteerCanary { id, service, env, steer }]
}

#[cfg(test)]
mod tests;
