//! Space and `>` on a canary holding a stage, as (model, keys) -> (model', commands).

use crate::model::Pane;
use crate::msg::{Cmd, Msg, Steer};
use crate::test_support::{gen_actions_model, gen_canary_model};
use crate::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn steer(s: Steer) -> Vec<Cmd> {
    vec![Cmd::SteerCanary { id: 14, service: "api".into(), env: "prod".into(), steer: s }]
}

#[test]
fn space_pauses_and_resumes_and_greater_passes_the_stage() {
    let mut m = gen_canary_model();
    m.ui.focus = Pane::Actions;
    assert_eq!(update(&mut m, key(KeyCode::Char(' '))), steer(Steer::Pause));
    assert!(m.world.actions.stages[&14].paused, "shown paused at once");
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("25 % paused")), "{:?}", m.ui.notice);
    assert_eq!(update(&mut m, key(KeyCode::Char(' '))), steer(Steer::Resume));
    assert!(!m.world.actions.stages[&14].paused);
    assert_eq!(update(&mut m, key(KeyCode::Char('>'))), steer(Steer::Next));
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("passing the 25 % stage")), "{:?}", m.ui.notice);
}

#[test]
fn without_our_canary_holding_a_stage_the_keys_do_nothing() {
    // A running rollback is no canary.
    let mut m = gen_actions_model();
    assert!(update(&mut m, key(KeyCode::Char('>'))).is_empty());
    assert_eq!(m.ui.notice.as_deref(), Some("no canary of this console is holding a stage"));
    // Another console's canary: its hand is not ours.
    let mut m = gen_canary_model();
    m.world.actions.ours.clear();
    assert!(update(&mut m, key(KeyCode::Char(' '))).is_empty());
}
