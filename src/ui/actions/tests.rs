//! The Actions pane at 80x24 and 160x48: running, rolled back, failed and succeeded actions.

use super::*;
use crate::model::Pane;
use crate::test_support::{gen_actions_model, gen_canary_model, gen_demo_model};
use crate::ui::tests::{find, pane};
use insta::assert_snapshot;

fn actions_model(row: usize) -> Model {
    let mut m = gen_actions_model();
    m.ui.focus = Pane::Actions;
    m.ui.action_row = row;
    m
}

/// Actions pane alone at 80x24, the running prod rollback selected: five steps done, the
/// sixth running, the rest pending; the lock it holds at the bottom.
#[test]
fn actions_running_80x24() {
    assert_snapshot!(pane(&actions_model(0), 80, 24, render, true));
}

/// Actions pane alone at 160x48, the running prod rollback selected: steps beside the list.
#[test]
fn actions_running_160x48() {
    assert_snapshot!(pane(&actions_model(0), 160, 48, render, true));
}

/// Actions pane at 80x24, the web promote rolled back by its watch selected, with the reason.
#[test]
fn actions_rolled_back_80x24() {
    assert_snapshot!(pane(&actions_model(1), 80, 24, render, true));
}

/// Actions pane at 160x48, the web promote rolled back by its watch selected.
#[test]
fn actions_rolled_back_160x48() {
    assert_snapshot!(pane(&actions_model(1), 160, 48, render, true));
}

/// Actions pane at 80x24, the staging promote that succeeded selected: every step done.
#[test]
fn actions_succeeded_80x24() {
    assert_snapshot!(pane(&actions_model(3), 80, 24, render, true));
}

/// Actions pane at 160x48, the staging promote that succeeded selected.
#[test]
fn actions_succeeded_160x48() {
    assert_snapshot!(pane(&actions_model(3), 160, 48, render, true));
}

/// Actions pane at 80x24, our canary of api in prod holding 25 %: the ladder with 5 % passed,
/// the new slot's 5xx share and answers, the time left, and the keys that steer it.
#[test]
fn actions_canary_80x24() {
    let mut m = gen_canary_model();
    m.ui.focus = Pane::Actions;
    assert_snapshot!(pane(&m, 80, 24, render, true));
}

/// The same at 160x48, its clock paused.
#[test]
fn actions_canary_paused_160x48() {
    let mut m = gen_canary_model();
    m.ui.focus = Pane::Actions;
    if let Some(stage) = m.world.actions.stages.get_mut(&14) {
        stage.paused = true;
    }
    let screen = pane(&m, 160, 48, render, true);
    assert!(find(screen.buffer(), "Space go on").is_some(), "{screen}");
    assert_snapshot!(screen);
}

/// Actions pane at 36x14 (its slot at 80x24), the running rollback selected: the list keeps
/// where and state, the steps window keeps the running step in view.
#[test]
fn actions_running_narrow() {
    assert_snapshot!(pane(&actions_model(0), 36, 14, render, true));
}

/// Actions pane with nothing journaled yet, and with the state store unreadable.
#[test]
fn actions_empty_and_store_error() {
    let m = gen_demo_model();
    assert_snapshot!("actions_empty", pane(&m, 44, 5, render, false));
    let mut m = gen_actions_model();
    m.world.actions.error = Some("database is locked".into());
    assert_snapshot!("actions_store_error", pane(&m, 44, 8, render, false));
}

/// Colour: succeeded is ok, failed crit, rolled back warn; a failed step's reason is crit.
#[test]
fn actions_outcome_styles() {
    let theme = Theme::default();
    let backend = pane(&actions_model(2), 160, 48, render, false);
    let buf = backend.buffer();
    for (word, style) in [("succeeded", theme.ok), ("failed", theme.crit), ("rolled back", theme.warn)] {
        let (x, y) = find(buf, word).unwrap_or_else(|| panic!("no {word}:\n{backend}"));
        assert_eq!(buf[(x, y)].fg, style.fg.unwrap_or_default(), "{word}");
    }
    let (x, y) = find(buf, "start: no answer within 2m").expect("the failed step's reason");
    assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
    let (x, y) = find(buf, "✗ dev-1: start green").expect("the failed step");
    assert_eq!(buf[(x, y)].fg, theme.crit.fg.unwrap_or_default());
    let undone = {
        let mut m = actions_model(0);
        m.world.actions.recent[1].finish.as_mut().expect("finished").outcome = ActionOutcome::Undone;
        m
    };
    let backend = pane(&undone, 160, 48, render, false);
    let (x, y) = find(backend.buffer(), "undone").expect("undone");
    assert_eq!(backend.buffer()[(x, y)].fg, theme.warn.fg.unwrap_or_default());
}

/// The journal's two records per step collapse into one line each, in plan order, with the
/// plan's steps not yet journaled pending after them.
#[test]
fn steps_collapse_per_index() {
    let m = gen_actions_model();
    let steps = step_views(&m.world.actions.recent[0]);
    assert_eq!(steps.len(), 12);
    let states: Vec<StepState> = steps.iter().map(|s| s.state).collect();
    assert_eq!(&states[..5], &[StepState::Done; 5]);
    assert_eq!(&states[5..], &[vec![StepState::Running], vec![StepState::Pending; 6]].concat()[..]);
    assert_eq!(steps[5].label, "prod-2: wait for green healthy");
    assert_eq!(steps[2].note, "healthy after 2.1s");
    assert_eq!(focus_step(&steps), 5);
    // A step left "started" by an action that ended did not finish.
    let mut e = m.world.actions.recent[0].clone();
    e.finish = m.world.actions.recent[1].finish.clone();
    assert_eq!(step_views(&e)[5].state, StepState::Failed);
}

#[test]
fn durations_read_naturally() {
    assert_eq!(took(Duration::milliseconds(40)), "40ms");
    assert_eq!(took(Duration::milliseconds(300)), "0.3s");
    assert_eq!(took(Duration::seconds(48)), "48s");
    assert_eq!(took(Duration::seconds(76)), "1m16s");
    assert_eq!(took(Duration::minutes(125)), "2h05m");
}

#[test]
fn the_window_keeps_the_focus_in_view() {
    assert_eq!(window(5, 8, 2), (0..5, 0, 0));
    assert_eq!(window(12, 5, 0), (0..4, 0, 8));
    assert_eq!(window(12, 5, 5), (4..7, 4, 5));
    assert_eq!(window(12, 5, 11), (8..12, 8, 0));
    for n in 1..14 {
        for h in 1..14 {
            for f in 0..n {
                let (r, above, below) = window(n, h, f);
                let lines = r.len() + usize::from(above > 0) + usize::from(below > 0);
                assert!(lines <= h.max(1), "n={n} h={h} f={f}");
                assert!(r.contains(&f) || r.is_empty(), "n={n} h={h} f={f} {r:?}");
                if h >= 3 || n <= h {
                    assert_eq!(above + r.len() + below, n, "n={n} h={h} f={f}");
                }
            }
        }
    }
}
