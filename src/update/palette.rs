//! `:` the command palette: the commands built from the config and the runbooks, narrowed as the
//! operator types (each word typed is the start of a word of the command, in order: `pro api pr`
//! finds `promote api prod`), ↑ ↓ to pick, Tab to complete, Enter to run, Esc to leave. A command
//! runs what its key runs, so a destructive one opens the same confirmation.

use super::filter::{edit, FilterKey};
use crate::model::palette::{PaletteCmd, PaletteEntry, PaletteState};
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};
use opsdeck_core::actions::ActionKind;

pub(super) fn open(model: &mut Model) {
    model.ui.set_palette(Some(PaletteState::default()));
}

/// Makes the command for a service and an environment.
type PairCmd = fn(String, String) -> PaletteCmd;

/// Every command the palette knows, in the order it lists them.
pub fn entries(model: &Model) -> Vec<PaletteEntry> {
    let pairs: Vec<(String, String)> = model
        .world
        .config
        .services
        .iter()
        .flat_map(|s| {
            model
                .world
                .config
                .environments
                .iter()
                .filter(|e| s.environments.contains_key(&e.name))
                .map(|e| (s.name.clone(), e.name.clone()))
        })
        .collect();
    let mut out = Vec::new();
    let per_pair: [(&str, &'static str, PairCmd); 6] = [
        ("promote", "confirm first", |service, env| PaletteCmd::Promote { service, env }),
        ("canary", "confirm first", |service, env| PaletteCmd::Canary { service, env }),
        ("rollback", "confirm first", |service, env| PaletteCmd::Rollback { service, env }),
        ("logs", "follow its logs", |service, env| PaletteCmd::Logs { service, env }),
        ("reapply", "confirm first", |service, env| PaletteCmd::Reapply { service, env }),
        ("select", "select it", |service, env| PaletteCmd::Select { service, env }),
    ];
    for (verb, hint, make) in per_pair {
        for (service, env) in &pairs {
            out.push(PaletteEntry {
                text: format!("{verb} {service} {env}"),
                hint,
                cmd: make(service.clone(), env.clone()),
            });
        }
    }
    for s in &model.world.config.services {
        let cmd = PaletteCmd::Prune { service: s.name.clone() };
        out.push(PaletteEntry { text: format!("prune {}", s.name), hint: "show what would go", cmd });
    }
    let fixed: [(&str, &'static str, PaletteCmd); 5] = [
        ("audit", "the audit trail", PaletteCmd::Audit),
        ("silences", "the silences list", PaletteCmd::Silences),
        ("runbooks", "the runbook list", PaletteCmd::Runbooks),
        ("help", "the keys", PaletteCmd::Help),
        ("quit", "leave opsdeck", PaletteCmd::Quit),
    ];
    out.extend(fixed.into_iter().map(|(text, hint, cmd)| PaletteEntry { text: text.into(), hint, cmd }));
    for rb in model.world.runbooks.catalog.iter().flat_map(|c| c.runbooks.iter()) {
        let text = format!("runbook {}", rb.name);
        out.push(PaletteEntry { text, hint: "open it", cmd: PaletteCmd::Runbook(rb.name.clone()) });
    }
    out
}

/// Whether each word of `query` starts a word of `text`, in order (case-insensitive).
fn matches(query: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    let mut words = text.split_whitespace();
    query.to_lowercase().split_whitespace().all(|q| words.by_ref().any(|w| w.starts_with(q)))
}

/// The entries `query` matches, in list order.
pub fn matching(model: &Model, query: &str) -> Vec<PaletteEntry> {
    entries(model).into_iter().filter(|e| matches(query, &e.text)).collect()
}

pub(super) fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    let Some(mut state) = model.ui.take_palette() else { return Vec::new() };
    let mut editing = true;
    match edit(&mut state.query, &mut editing, &key) {
        FilterKey::Quit => {
            model.should_quit = true;
            return vec![Cmd::Quit];
        }
        FilterKey::Changed if !editing => return Vec::new(),
        FilterKey::Changed => state.selected = 0,
        FilterKey::Kept => {
            let found = matching(model, &state.query);
            return match found.get(state.selected.min(found.len().saturating_sub(1))) {
                Some(entry) => run(model, entry.cmd.clone()),
                None => {
                    model.ui.notice = Some(format!("no command matches \"{}\" (: then Tab lists them)", state.query));
                    Vec::new()
                }
            };
        }
        FilterKey::Other => {
            let n = matching(model, &state.query).len();
            match key.code {
                KeyCode::Up => state.selected = state.selected.saturating_sub(1),
                KeyCode::Down => state.selected = (state.selected + 1).min(n.saturating_sub(1)),
                KeyCode::Tab => {
                    if let Some(e) = matching(model, &state.query).get(state.selected) {
                        state.query = format!("{} ", e.text);
                        state.selected = 0;
                    }
                }
                _ => {}
            }
        }
    }
    model.ui.set_palette(Some(state));
    Vec::new()
}

/// Selects what the command names, then does what its key does.
fn run(model: &mut Model, cmd: PaletteCmd) -> Vec<Cmd> {
    model.ui.notice = None;
    match cmd {
        PaletteCmd::Promote { service, env } => {
            select(model, &service, &env);
            super::confirm::ask(model, ActionKind::Promote)
        }
        PaletteCmd::Rollback { service, env } => {
            select(model, &service, &env);
            super::confirm::ask(model, ActionKind::Rollback)
        }
        PaletteCmd::Canary { service, env } => {
            select(model, &service, &env);
            super::confirm::ask(model, ActionKind::Canary)
        }
        PaletteCmd::Reapply { service, env } => {
            select(model, &service, &env);
            super::confirm::ask(model, ActionKind::Reapply)
        }
        PaletteCmd::Logs { service, env } => {
            select(model, &service, &env);
            super::logs::open(model)
        }
        PaletteCmd::Select { service, env } => {
            select(model, &service, &env);
            Vec::new()
        }
        PaletteCmd::Prune { service } => {
            if let Some(row) = model.world.config.services.iter().position(|s| s.name == service) {
                model.ui.service_row = row;
            }
            model.ui.focus = Pane::Images;
            model.ui.image_row = 0;
            super::prune::open(model)
        }
        PaletteCmd::Audit => {
            super::audit::open(model, false);
            Vec::new()
        }
        PaletteCmd::Silences => super::silence::open_list(model),
        PaletteCmd::Runbooks => super::runbook::open_list(model),
        PaletteCmd::Runbook(name) => super::runbook::open_named(model, &name),
        PaletteCmd::Help => {
            model.ui.show(crate::model::Overlay::Help, true);
            Vec::new()
        }
        PaletteCmd::Quit => {
            model.should_quit = true;
            vec![Cmd::Quit]
        }
    }
}

/// The Environments pane on `service` x `env`.
fn select(model: &mut Model, service: &str, env: &str) {
    if let Some(row) = model.world.config.services.iter().position(|s| s.name == service) {
        model.ui.service_row = row;
    }
    if let Some(col) = model.world.config.environments.iter().position(|e| e.name == env) {
        model.ui.env_col = col;
    }
    model.ui.focus = Pane::Environments;
    model.ui.image_row = 0;
    model.ui.health_row = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::{gen_demo_model_all_up, gen_runbook_catalog};
    use crate::update::update;
    use crossterm::event::KeyModifiers;

    fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn typed(m: &mut Model, text: &str) {
        for c in text.chars() {
            key(m, KeyCode::Char(c));
        }
    }

    #[test]
    fn words_match_the_starts_of_words_in_order() {
        assert!(matches("pro api pr", "promote api prod"));
        assert!(matches("", "promote api prod"));
        assert!(matches("PROD", "rollback api prod"));
        assert!(!matches("prod api", "promote api prod"), "in order");
        assert!(!matches("rod", "promote api prod"), "starts of words only");
    }

    #[test]
    fn colon_then_a_promote_opens_the_same_confirmation_as_p() {
        let mut m = gen_demo_model_all_up();
        key(&mut m, KeyCode::Char(':'));
        assert!(m.ui.palette().is_some());
        typed(&mut m, "pro web pr");
        assert_eq!(
            matching(&m, "pro web pr").iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["promote web prod"]
        );
        let cmds = key(&mut m, KeyCode::Enter);
        assert!(cmds.is_empty(), "nothing runs before the confirmation: {cmds:?}");
        assert!(m.ui.palette().is_none());
        let confirm = m.ui.confirm().expect("the confirmation");
        assert_eq!((confirm.plan.service.as_str(), confirm.plan.env.as_str()), ("web", "prod"));
        assert_eq!((m.ui.service_row, m.ui.env_col, m.ui.focus), (1, 2, Pane::Environments));
    }

    #[test]
    fn arrows_pick_tab_completes_esc_leaves() {
        let mut m = gen_demo_model_all_up();
        key(&mut m, KeyCode::Char(':'));
        typed(&mut m, "logs");
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Tab);
        assert_eq!(m.ui.palette().map(|p| p.query.as_str()), Some("logs api staging "));
        key(&mut m, KeyCode::Esc);
        assert!(m.ui.palette().is_none() && m.ui.confirm().is_none());
    }

    #[test]
    fn nothing_matching_says_so_and_a_runbook_opens_by_name() {
        let mut m = gen_demo_model_all_up();
        key(&mut m, KeyCode::Char(':'));
        typed(&mut m, "frobnicate");
        key(&mut m, KeyCode::Enter);
        assert!(m.ui.notice.as_deref().is_some_and(|n| n.starts_with("no command matches \"frobnicate\"")));
        m.world.runbooks.catalog = Some(gen_runbook_catalog());
        key(&mut m, KeyCode::Char(':'));
        typed(&mut m, "runbook high");
        let cmds = key(&mut m, KeyCode::Enter);
        assert!(m.ui.runbook().is_some(), "{cmds:?}");
    }

    #[test]
    fn quit_and_ctrl_c_leave_from_the_palette() {
        let mut m = gen_demo_model_all_up();
        key(&mut m, KeyCode::Char(':'));
        typed(&mut m, "quit");
        assert_eq!(key(&mut m, KeyCode::Enter), vec![Cmd::Quit]);
        let mut m = gen_demo_model_all_up();
        key(&mut m, KeyCode::Char(':'));
        assert_eq!(update(&mut m, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))), vec![Cmd::Quit]);
    }
}
