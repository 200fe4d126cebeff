//! `P` in the Images pane: the prune overlay. It shows what pruning the selected service would
//! delete, from the state on screen; y (or Enter) hands the listed images to the action layer,
//! which takes the service's locks, reads the state again and deletes only what it still allows.
//! The overlay then shows how each deletion ended.

use crate::model::prune::{PrunePhase, PruneView};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};
use opsdeck_core::actions::prune::plan;
use opsdeck_core::text::cleaned;

/// `P`: the plan for the selected service, or a notice when there is nothing to ask.
pub(super) fn open(model: &mut Model) -> Vec<Cmd> {
    if model.ui.focus != Pane::Images {
        let key = model.keymap.label(crate::keymap::Action::Prune);
        model.ui.notice = Some(format!("{key} prunes from the Images pane (Tab to it)"));
        return Vec::new();
    }
    let Some(service) = model.selected_service().map(str::to_string) else {
        return Vec::new();
    };
    let plan = plan(&model.world, &service, None);
    if let Some(why) = &plan.refused {
        model.ui.notice = Some(format!("{service}: not pruned: {}", cleaned(why)));
        return Vec::new();
    }
    if plan.images.is_empty() {
        let keep = model.world.config.service(&service).map_or(0, |s| s.keep_images);
        model.ui.notice = Some(format!("{service}: nothing to prune (keep_images = {keep}, the rest in use)"));
        return Vec::new();
    }
    model.ui.set_prune(Some(PruneView { plan, phase: PrunePhase::Asking }));
    Vec::new()
}

/// Keys while the overlay is open: y or Enter deletes (when asking), any other key leaves. While
/// it runs the overlay can be left; the status bar says how it ended.
pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(mut view) = model.ui.take_prune() else { return Vec::new() };
    match (&view.phase, key.code) {
        (PrunePhase::Asking, KeyCode::Char('y') | KeyCode::Enter) => {
            let digests = view.plan.images.iter().map(|im| im.digest.clone()).collect();
            let service = view.plan.service.clone();
            view.phase = PrunePhase::Running;
            model.ui.set_prune(Some(view));
            vec![Cmd::Prune { service, digests }]
        }
        (PrunePhase::Asking, _) => {
            model.ui.notice = Some(format!("{}: nothing pruned", view.plan.service));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// How the action layer's prune ended: into the overlay when it is still open on that service,
/// and a line in the status bar either way.
pub(super) fn on_result(
    model: &mut Model,
    service: String,
    result: Result<(opsdeck_core::actions::prune::PrunePlan, Vec<opsdeck_core::actions::prune::Pruned>), String>,
) -> Vec<Cmd> {
    let (notice, phase) = match result {
        Ok((_, done)) => {
            let done: Vec<_> = done
                .into_iter()
                .map(|p| opsdeck_core::actions::prune::Pruned { error: p.error.map(|e| cleaned(&e)), ..p })
                .collect();
            let failed = done.iter().filter(|p| p.error.is_some()).count();
            let deleted = done.len() - failed;
            let line = match (deleted, failed) {
                (0, 0) => format!("{service}: nothing pruned (the state read again allowed none of them)"),
                (d, 0) => format!("{service}: pruned {d} image{}", if d == 1 { "" } else { "s" }),
                (d, f) => format!("{service}: pruned {d}, {f} failed (see the audit trail)"),
            };
            (line, PrunePhase::Done(done))
        }
        Err(why) => {
            let why = cleaned(&why);
            (format!("{service}: not pruned: {why}"), PrunePhase::Refused(why))
        }
    };
    model.ui.notice = Some(notice);
    if let Some(view) = model.ui.prune_mut().filter(|v| v.plan.service == service) {
        view.phase = phase;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::gen_demo_model_all_up;
    use crate::update::update;
    use crossterm::event::KeyModifiers;
    use opsdeck_core::actions::prune::Pruned;
    use std::sync::Arc;

    fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn on_images(keep: usize) -> Model {
        let mut m = gen_demo_model_all_up();
        let mut config = (*m.world.config).clone();
        config.services[0].keep_images = keep;
        m.world.config = Arc::new(config);
        m.ui.focus = Pane::Images;
        m
    }

    #[test]
    fn p_asks_then_hands_exactly_the_listed_images_to_the_action_layer() {
        let mut m = on_images(1);
        assert!(key(&mut m, KeyCode::Char('P')).is_empty());
        let view = m.ui.prune().cloned().expect("the overlay");
        assert_eq!(view.phase, PrunePhase::Asking);
        assert_eq!(view.plan.images.len(), 1);
        let digest = view.plan.images[0].digest.clone();
        let cmds = key(&mut m, KeyCode::Char('y'));
        assert_eq!(cmds, vec![Cmd::Prune { service: "api".into(), digests: vec![digest.clone()] }]);
        assert_eq!(m.ui.prune().map(|v| &v.phase), Some(&PrunePhase::Running));
        // Keys while it runs start nothing more.
        assert!(key(&mut m, KeyCode::Char('y')).is_empty());
        m.ui.set_prune(Some(PruneView { phase: PrunePhase::Running, ..view.clone() }));
        let done = vec![Pruned { service: "api".into(), digest, tags: vec!["v1.0.0".into()], error: None }];
        update(&mut m, Msg::Pruned("api".into(), Ok((view.plan.clone(), done.clone()))));
        assert_eq!(m.ui.prune().map(|v| &v.phase), Some(&PrunePhase::Done(done)));
        assert_eq!(m.ui.notice.as_deref(), Some("api: pruned 1 image"));
        key(&mut m, KeyCode::Esc);
        assert!(m.ui.prune().is_none());
    }

    #[test]
    fn any_other_key_leaves_without_deleting() {
        let mut m = on_images(1);
        key(&mut m, KeyCode::Char('P'));
        assert!(key(&mut m, KeyCode::Char('n')).is_empty());
        assert!(m.ui.prune().is_none());
        assert_eq!(m.ui.notice.as_deref(), Some("api: nothing pruned"));
    }

    #[test]
    fn nothing_to_prune_or_a_refusal_is_a_notice() {
        let mut m = on_images(4);
        key(&mut m, KeyCode::Char('P'));
        assert!(m.ui.prune().is_none());
        assert!(m.ui.notice.as_deref().is_some_and(|n| n.starts_with("api: nothing to prune")), "{:?}", m.ui.notice);
        let mut m = on_images(1);
        m.world.actions.error = Some("disk I/O error".into());
        key(&mut m, KeyCode::Char('P'));
        assert!(m.ui.prune().is_none());
        assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("not pruned")), "{:?}", m.ui.notice);
        let mut m = on_images(1);
        m.ui.focus = Pane::Health;
        key(&mut m, KeyCode::Char('P'));
        assert!(m.ui.prune().is_none());
    }

    #[test]
    fn a_refusal_from_the_action_layer_shows_in_the_overlay() {
        let mut m = on_images(1);
        key(&mut m, KeyCode::Char('P'));
        key(&mut m, KeyCode::Enter);
        update(&mut m, Msg::Pruned("api".into(), Err("api/prod is locked by bob (promote)".into())));
        assert!(matches!(m.ui.prune().map(|v| &v.phase), Some(PrunePhase::Refused(w)) if w.contains("bob")));
        assert_eq!(m.ui.notice.as_deref(), Some("api: not pruned: api/prod is locked by bob (promote)"));
    }
}
