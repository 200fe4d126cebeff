//! The silence form, the silences list, the abort confirmation and the drain trace, as
//! (model, keys) -> (model', commands).

use crate::model::silence::FormField;
use crate::model::{Pane, Reach};
use crate::msg::{Cmd, Msg};
use crate::test_support::{gen_confirm, gen_demo_model, gen_now};
use crate::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_backends::types::Silence;
use opsdeck_core::actions::ActionKind;
use opsdeck_core::world::Fact;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(m: &mut crate::model::Model, text: &str) {
    for c in text.chars() {
        update(m, key(KeyCode::Char(c)));
    }
}

/// The demo model, Alerts focused, the form open on HighErrorRate (api, prod, critical).
fn form_open() -> crate::model::Model {
    let mut m = gen_demo_model();
    m.ui.focus = Pane::Alerts;
    m.ui.alert_row = 0;
    assert!(update(&mut m, key(KeyCode::Char('s'))).is_empty());
    assert!(m.ui.silence_form().is_some(), "{:?}", m.ui.notice);
    m
}

#[test]
fn s_outside_the_alerts_pane_says_where_to_go() {
    let mut m = gen_demo_model();
    update(&mut m, key(KeyCode::Char('s')));
    assert!(m.ui.silence_form().is_none());
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("Alerts pane")));
}

#[test]
fn the_form_is_prefilled_from_the_alerts_labels() {
    let m = form_open();
    let form = m.ui.silence_form().expect("form");
    assert_eq!(form.alert, "HighErrorRate");
    let names: Vec<&str> = form.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["alertname", "env", "service", "severity"]);
    assert!(form.labels.iter().all(|l| l.keep));
    assert_eq!(form.duration, "1h");
}

#[test]
fn a_comment_is_required() {
    let mut m = form_open();
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    let form = m.ui.silence_form().expect("still open");
    assert!(form.error.as_deref().is_some_and(|e| e.contains("comment is required")), "{:?}", form.error);
    assert_eq!(form.field, FormField::Comment, "moved to what is missing");
    typed(&mut m, "   ");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty(), "blank is not a comment");
}

#[test]
fn a_bad_duration_is_refused_with_the_reason() {
    let mut m = form_open();
    update(&mut m, key(KeyCode::Tab));
    for _ in 0..2 {
        update(&mut m, key(KeyCode::Backspace));
    }
    typed(&mut m, "soon");
    update(&mut m, key(KeyCode::Tab));
    typed(&mut m, "deploy in progress");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    let form = m.ui.silence_form().expect("still open");
    assert!(form.error.as_deref().is_some_and(|e| e.contains("duration \"soon\"")), "{:?}", form.error);
    assert_eq!(form.field, FormField::Duration);
    // Zero and beyond the longest are refused too.
    for bad in ["0s", "30d"] {
        let mut f = form.clone();
        f.duration = bad.into();
        assert!(f.validate().is_err(), "{bad}");
    }
}

#[test]
fn alertname_stays_and_other_labels_toggle() {
    let mut m = form_open();
    update(&mut m, key(KeyCode::Char(' ')));
    let form = m.ui.silence_form().expect("form");
    assert!(form.labels[0].keep, "alertname cannot be dropped");
    assert!(form.error.is_some());
    update(&mut m, key(KeyCode::Down));
    update(&mut m, key(KeyCode::Down));
    update(&mut m, key(KeyCode::Down));
    update(&mut m, key(KeyCode::Char(' ')));
    let form = m.ui.silence_form().expect("form");
    assert!(!form.labels[3].keep, "severity dropped");
    assert_eq!(form.matchers().len(), 3);
}

#[test]
fn enter_on_a_complete_form_creates_the_silence_as_the_user() {
    let mut m = form_open();
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, key(KeyCode::Backspace));
    update(&mut m, key(KeyCode::Backspace));
    typed(&mut m, "90m");
    update(&mut m, key(KeyCode::Tab));
    typed(&mut m, "rolling api back");
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [Cmd::CreateSilence(s)] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert_eq!(s.created_by, m.world.user);
    assert_eq!(s.comment, "rolling api back");
    assert_eq!(s.ends_at - s.starts_at, chrono::Duration::minutes(90));
    let names: Vec<&str> = s.matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["alertname", "env", "service", "severity"]);
    assert!(m.ui.silence_form().is_none());
}

fn silence(id: &str, state: &str) -> Silence {
    Silence {
        id: id.into(),
        matchers: Vec::new(),
        starts_at: gen_now(),
        ends_at: gen_now() + chrono::Duration::hours(1),
        created_by: "bob".into(),
        comment: "c".into(),
        state: state.into(),
    }
}

#[test]
fn the_list_expires_the_selected_silence_after_a_yes() {
    let mut m = gen_demo_model();
    update(&mut m, Msg::Fact(Fact::Silences(Ok(vec![silence("s-old", "expired"), silence("s-1", "active")]))));
    assert_eq!(m.world.silences.reach, Reach::Up { at: m.world.now });
    update(&mut m, key(KeyCode::Char('S')));
    assert!(m.ui.is_open(crate::model::OverlayKind::Silences));
    // Active first: s-1 is selected. x asks; n keeps it.
    update(&mut m, key(KeyCode::Char('x')));
    assert_eq!(m.ui.silences.confirm_expire.as_deref(), Some("s-1"));
    assert!(update(&mut m, key(KeyCode::Char('n'))).is_empty());
    assert!(m.ui.silences.confirm_expire.is_none());
    update(&mut m, key(KeyCode::Char('x')));
    assert_eq!(update(&mut m, key(KeyCode::Char('y'))), vec![Cmd::ExpireSilence("s-1".into())]);
    // An expired one is not asked about.
    update(&mut m, key(KeyCode::Char('j')));
    update(&mut m, key(KeyCode::Char('x')));
    assert!(m.ui.silences.confirm_expire.is_none());
    update(&mut m, key(KeyCode::Esc));
    assert!(!m.ui.is_open(crate::model::OverlayKind::Silences));
}

#[test]
fn the_confirmation_toggles_the_silence_and_the_plan_carries_it() {
    let mut m = gen_demo_model();
    m.ui.set_confirm(Some(gen_confirm(ActionKind::Rollback, "api", "dev", "")));
    assert_eq!(m.ui.confirm().and_then(|c| c.silence), Some(false));
    update(&mut m, key(KeyCode::Char('s')));
    assert_eq!(m.ui.confirm().and_then(|c| c.silence), Some(true));
    let cmds = update(&mut m, key(KeyCode::Char('y')));
    let [Cmd::RunAction(plan)] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert!(plan.silences());
    assert_eq!(plan.steps.first(), Some(&opsdeck_core::actions::Step::Silence));
    assert_eq!(plan.steps.last(), Some(&opsdeck_core::actions::Step::Unsilence));

    // Where a name is typed, s is a letter of it; Alt-s toggles.
    let mut m = gen_demo_model();
    m.ui.set_confirm(Some(gen_confirm(ActionKind::Rollback, "api", "prod", "")));
    update(&mut m, key(KeyCode::Char('s')));
    let c = m.ui.confirm().expect("confirm");
    assert_eq!((c.silence, c.typed.as_str()), (Some(false), "s"));
    update(&mut m, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::ALT)));
    assert_eq!(m.ui.confirm().and_then(|c| c.silence), Some(true));
}
