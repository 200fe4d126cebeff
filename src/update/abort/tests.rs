//! The abort confirmation and the drain trace, as (model, keys/events) -> (model', commands).

use crate::model::Pane;
use crate::msg::{Cmd, Msg};
use crate::test_support::{gen_actions_model, gen_drain_model, gen_now};
use crate::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_core::actions::ActionEvent;
use opsdeck_core::store::ActionOutcome;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

#[test]
fn c_asks_before_aborting_our_running_action_and_names_the_old_slot() {
    let mut m = gen_actions_model();
    m.ui.focus = Pane::Actions;
    m.ui.action_row = 0;
    // Not ours: refused with the reason.
    let ours = std::mem::take(&mut m.world.actions.ours);
    update(&mut m, key(KeyCode::Char('C')));
    assert!(m.ui.abort().is_none());
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("another console")), "{:?}", m.ui.notice);
    m.world.actions.ours = ours;
    let running = m.world.actions.recent.iter().find(|e| e.finish.is_none()).expect("a running action").id.0;
    // Before the switch: undone.
    update(&mut m, key(KeyCode::Char('C')));
    let abort = m.ui.take_abort().expect("asked");
    assert!(abort.question.contains("before the switch"), "{}", abort.question);
    // While draining: switched back.
    let mut m = gen_drain_model();
    m.ui.focus = Pane::Actions;
    update(&mut m, key(KeyCode::Char('C')));
    let abort = m.ui.abort().cloned().expect("asked");
    assert_eq!(abort.question, "abort prod api rollback and switch traffic back to blue?");
    // Anything but y lets it go on.
    assert!(update(&mut m, key(KeyCode::Char('n'))).is_empty());
    assert!(m.ui.abort().is_none());
    update(&mut m, key(KeyCode::Char('C')));
    let cmds = update(&mut m, key(KeyCode::Char('y')));
    assert_eq!(cmds, vec![Cmd::AbortAction { id: running, service: "api".into(), env: "prod".into() }]);
}

#[test]
fn drain_progress_is_traced_until_the_action_ends() {
    let mut m = gen_actions_model();
    for (ms, n) in [(0, 12), (250, 9), (500, 3)] {
        let e = ActionEvent::Drain { id: 7, server: "blue".into(), sessions: n, elapsed_ms: ms, at: gen_now() };
        update(&mut m, Msg::Action(e));
    }
    let t = &m.world.actions.drains[&7];
    assert_eq!((t.server.as_str(), t.first(), t.now(), t.elapsed_ms()), ("blue", 12, 3, 500));
    let end = ActionEvent::Finished { id: 7, outcome: ActionOutcome::Succeeded, reason: String::new(), at: gen_now() };
    update(&mut m, Msg::Action(end));
    assert!(m.world.actions.drains.is_empty());
}
