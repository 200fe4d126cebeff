//! Table tests for `update`: (model, message) -> (model', commands).

use super::*;
use crate::model::{Pane, Reach};
use crate::test_support::{gen_container, gen_model};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_backends::BackendError;
use opsdeck_core::world::Fact;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

#[test]
fn tab_cycles_panes_and_q_quits() {
    let mut m = gen_model();
    assert!(update(&mut m, key(KeyCode::Tab)).is_empty());
    assert_eq!(m.ui.focus, Pane::Images);
    update(&mut m, key(KeyCode::BackTab));
    update(&mut m, key(KeyCode::BackTab));
    assert_eq!(m.ui.focus, Pane::Approvals);
    update(&mut m, key(KeyCode::BackTab));
    assert_eq!(m.ui.focus, Pane::Actions);
    assert_eq!(update(&mut m, key(KeyCode::Char('q'))), vec![Cmd::Quit]);
    assert!(m.should_quit);
}

#[test]
fn help_swallows_keys_until_closed() {
    let mut m = gen_model();
    update(&mut m, key(KeyCode::Char('?')));
    assert!(m.ui.is_open(crate::model::OverlayKind::Help));
    assert!(update(&mut m, key(KeyCode::Char('q'))).is_empty());
    assert!(!m.ui.is_open(crate::model::OverlayKind::Help) && !m.should_quit);
}

#[test]
fn selection_is_clamped() {
    let mut m = gen_model();
    for _ in 0..10 {
        update(&mut m, key(KeyCode::Char('j')));
        update(&mut m, key(KeyCode::Char('l')));
    }
    assert_eq!(m.ui.service_row, m.world.config.services.len() - 1);
    assert_eq!(m.ui.env_col, m.world.config.environments.len() - 1);
    update(&mut m, key(KeyCode::Char('g')));
    assert_eq!(m.ui.service_row, 0);
}

#[test]
fn a_failing_host_keeps_its_first_failure_time() {
    let mut m = gen_model();
    let host = m.world.hosts.keys().next().cloned().expect("host");
    let err = || Err(BackendError::Timeout { system: "docker", after: std::time::Duration::from_secs(2) });
    let t0 = m.world.now;
    update(&mut m, Msg::Fact(Fact::HostSnapshot(host.clone(), err())));
    update(&mut m, Msg::Tick(t0 + chrono::Duration::seconds(10)));
    update(&mut m, Msg::Fact(Fact::HostSnapshot(host.clone(), err())));
    assert_eq!(m.world.hosts[&host].reach, Reach::Down { reason: "docker: no answer within 2s".into(), since: t0 });
}

#[test]
fn outside_text_is_cleaned_on_the_way_in() {
    let mut m = gen_model();
    let host = m.world.hosts.keys().next().cloned().expect("host");
    let mut c = gen_container(&host.env, "api", "blue", "v1.0.0", true);
    c.status = "Up\x1b[2J 3 minutes".into();
    update(&mut m, Msg::Fact(Fact::HostSnapshot(host.clone(), Ok(vec![c]))));
    let stored = m.world.hosts[&host].containers().values().next().expect("container");
    assert_eq!(stored.status, "Up[2J 3 minutes");
}

#[test]
fn new_running_slots_are_probed_once_and_not_piled_up() {
    let mut m = gen_model();
    let host = m.world.hosts.keys().next().cloned().expect("host");
    let c = gen_container(&host.env, "api", "blue", "v1.0.0", true);
    let cmds = update(&mut m, Msg::Fact(Fact::HostSnapshot(host.clone(), Ok(vec![c.clone()]))));
    let [Cmd::ProbeHealth { targets, over }] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert_eq!(targets.len(), 1);
    assert_eq!(*over, std::time::Duration::ZERO, "a new slot is probed at once");
    assert!(targets[0].1.starts_with("http://127.0.0.1:"), "{targets:?}");
    assert!(targets[0].1.ends_with("/health"));
    // Still in flight: neither a repeated snapshot nor the interval tick probes it again.
    assert!(update(&mut m, Msg::Fact(Fact::HostSnapshot(host.clone(), Ok(vec![c])))).is_empty());
    let later = m.world.now + chrono::Duration::seconds(60);
    assert!(update(&mut m, Msg::Tick(later)).is_empty());
}

/// A rebound key does its action, and the key it replaced does nothing any more.
#[test]
fn a_rebound_key_acts_and_the_old_one_no_longer_does() {
    let mut m = crate::test_support::gen_demo_model();
    m.keymap = crate::keymap::gen_keymap("next_pane = \"n\"\nquit = \"Q\"\npromote = \"f5\"\n");
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.ui.focus, Pane::Environments);
    update(&mut m, key(KeyCode::Char('n')));
    assert_eq!(m.ui.focus, Pane::Images);
    (m.ui.focus, m.ui.env_col) = (Pane::Environments, 2);
    let before = m.ui.clone();
    update(&mut m, key(KeyCode::Char('p')));
    assert_eq!(m.ui, before, "p no longer promotes");
    // F5 does what p does with the default keys.
    let mut default_keys = crate::test_support::gen_demo_model();
    default_keys.ui = before.clone();
    update(&mut default_keys, key(KeyCode::Char('p')));
    update(&mut m, key(KeyCode::F(5)));
    assert_ne!(m.ui, before);
    assert_eq!(m.ui, default_keys.ui);
    update(&mut m, key(KeyCode::Esc));
    assert!(update(&mut m, key(KeyCode::Char('q'))).is_empty());
    assert!(!m.should_quit);
    assert_eq!(update(&mut m, key(KeyCode::Char('Q'))), vec![Cmd::Quit]);
}
