//! Table tests of the runbook overlay: keys and runner events in, model and commands out.

use super::*;
use crate::model::runbook::RunbookUi;
use crate::model::Pane;
use crate::msg::Msg;
use crate::test_support::{gen_demo_model, gen_runbook_catalog};
use crate::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck_core::runbook::run::{OutputTail, PreparedStep, StepOutcome, StepReport};

fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        key(m, KeyCode::Char(c));
    }
}

fn view(m: &Model) -> &RunbookView {
    match m.ui.runbook() {
        Some(RunbookUi::View(v)) => v,
        other => panic!("no runbook view: {other:?}"),
    }
}

fn model_on_alert(row: usize) -> Model {
    let mut m = gen_demo_model();
    m.world.runbooks.catalog = Some(gen_runbook_catalog());
    m.ui.focus = Pane::Alerts;
    m.ui.alert_row = row;
    m
}

fn run_of(next: usize, by: &str) -> RunbookRun {
    let now = chrono::Utc::now();
    RunbookRun {
        runbook: "high-error-rate-after-deploy".into(),
        alert: "a1b2c3".into(),
        next_step: next,
        outcomes: (0..4).map(|i| (i < next).then(|| "succeeded".to_string())).collect(),
        started_by: "ann".into(),
        started_at: now,
        updated_by: by.into(),
        updated_at: now,
    }
}

fn event(m: &mut Model, e: RunbookEvent) -> Vec<Cmd> {
    update(m, Msg::Runbook(e))
}

#[test]
fn enter_on_the_firing_alert_opens_its_runbook_and_reads_its_progress() {
    let mut m = model_on_alert(0);
    let cmds = key(&mut m, KeyCode::Enter);
    let v = view(&m);
    assert_eq!(v.runbook.name, "high-error-rate-after-deploy");
    assert_eq!(v.alert.as_ref().map(|a| a.fingerprint.as_str()), Some("a1b2c3"));
    match cmds.as_slice() {
        [Cmd::Runbook(RunbookCmd::LoadProgress(s))] => {
            assert_eq!(
                (s.alert.as_str(), s.labels["service"].as_str(), s.user.as_str()),
                ("a1b2c3", "api", m.world.user.as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing runs before the store said where the run stands.
    assert!(key(&mut m, KeyCode::Enter).is_empty());
}

#[test]
fn enter_before_the_folders_are_read_opens_the_runbook_once_they_are() {
    let mut m = model_on_alert(0);
    m.world.runbooks.catalog = None;
    let cmds = key(&mut m, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Runbook(RunbookCmd::Load)]), "{cmds:?}");
    assert!(m.ui.runbook().is_none());
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.starts_with("reading the runbooks")));
    let cmds = event(&mut m, RunbookEvent::Loaded(gen_runbook_catalog()));
    assert_eq!(view(&m).alert.as_ref().map(|a| a.fingerprint.as_str()), Some("a1b2c3"));
    assert!(matches!(cmds.as_slice(), [Cmd::Runbook(RunbookCmd::LoadProgress(_))]), "{cmds:?}");
    assert!(m.ui.notice.is_none());
    // Asked once: a later reading of the folders opens nothing more.
    key(&mut m, KeyCode::Esc);
    assert!(event(&mut m, RunbookEvent::Loaded(gen_runbook_catalog())).is_empty());
    assert!(m.ui.runbook().is_none());
}

#[test]
fn a_pending_runbook_never_covers_a_dialog_opened_meanwhile() {
    let mut m = model_on_alert(0);
    m.world.runbooks.catalog = None;
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('s'));
    assert!(m.ui.silence_form().is_some());
    assert!(event(&mut m, RunbookEvent::Loaded(gen_runbook_catalog())).is_empty());
    assert!(m.ui.runbook().is_none() && m.ui.pending_runbook_alert.is_none());
}

#[test]
fn an_alert_without_a_runbook_says_so() {
    let mut m = model_on_alert(1);
    assert!(key(&mut m, KeyCode::Enter).is_empty());
    assert!(m.ui.runbook().is_none());
    assert_eq!(m.ui.notice.as_deref(), Some("no runbook matches DiskFilling (b lists them all)"));
}

#[test]
fn a_step_is_prepared_confirmed_run_streamed_and_recorded() {
    let mut m = model_on_alert(0);
    key(&mut m, KeyCode::Enter);
    let name = "high-error-rate-after-deploy".to_string();
    // Resumed: another user left it at step 3.
    event(
        &mut m,
        RunbookEvent::Progress { runbook: name.clone(), alert: "a1b2c3".into(), run: Ok(Some(run_of(2, "bob"))) },
    );
    assert_eq!((view(&m).current, view(&m).updated_by.as_deref()), (2, Some("bob")));
    let cmds = key(&mut m, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Runbook(RunbookCmd::Prepare { step: 2, .. })]), "{cmds:?}");
    assert_eq!(view(&m).phase, StepPhase::Preparing);
    event(&mut m, RunbookEvent::Prepared { runbook: name.clone(), step: 2, result: Ok(PreparedStep::Manual) });
    assert!(matches!(view(&m).phase, StepPhase::Confirm { typed: None, .. }));
    let cmds = key(&mut m, KeyCode::Char('y'));
    match cmds.as_slice() {
        [Cmd::Runbook(RunbookCmd::Execute { step: 2, what, .. })] => {
            assert_eq!(what, "a manual check: confirm when done")
        }
        other => panic!("{other:?}"),
    }
    // Esc does not leave a running step behind.
    key(&mut m, KeyCode::Esc);
    assert!(m.ui.runbook().is_some());
    assert!(m.ui.notice.as_deref().is_some_and(|n| n.contains("c cancels")));
    assert!(matches!(key(&mut m, KeyCode::Char('c')).as_slice(), [Cmd::Runbook(RunbookCmd::Cancel)]));
    event(&mut m, RunbookEvent::Line { runbook: name.clone(), step: 2, line: "hello \u{1b}[2J".into() });
    assert_eq!(view(&m).output, ["hello [2J"]);
    let report = StepReport {
        outcome: StepOutcome::Succeeded,
        exit_code: None,
        duration: std::time::Duration::from_millis(3),
        summary: "confirmed".into(),
        output: OutputTail::new(1),
    };
    let cmds = event(&mut m, RunbookEvent::Ended { runbook: name, step: 2, report, run: Ok(run_of(3, "me")) });
    assert_eq!(cmds, vec![Cmd::RefreshStore]);
    let v = view(&m);
    assert_eq!((v.current, &v.phase), (3, &StepPhase::Idle));
    assert_eq!(v.last.as_ref().map(|l| l.outcome.as_str()), Some("succeeded"));
    // Esc leaves; the store keeps the progress.
    key(&mut m, KeyCode::Esc);
    assert!(m.ui.runbook().is_none());
}

#[test]
fn a_prod_action_needs_the_environment_typed_where_the_keys_would_ask() {
    let mut m = model_on_alert(0);
    let mut config = (*m.world.config).clone();
    config.environments[2].approval = opsdeck_core::config::ApprovalPolicy::Required.into();
    m.world.config = std::sync::Arc::new(config);
    key(&mut m, KeyCode::Enter);
    let name = "high-error-rate-after-deploy".to_string();
    event(&mut m, RunbookEvent::Progress { runbook: name.clone(), alert: "a1b2c3".into(), run: Ok(None) });
    key(&mut m, KeyCode::Enter);
    let restart = opsdeck_core::runbook::run::builtin::Prepared::Restart {
        service: "api".into(),
        env: "prod".into(),
        slot: "blue".into(),
    };
    event(&mut m, RunbookEvent::Prepared { runbook: name, step: 0, result: Ok(PreparedStep::Builtin(restart)) });
    assert!(matches!(&view(&m).phase, StepPhase::Confirm { typed: Some(e), .. } if e == "prod"));
    assert!(key(&mut m, KeyCode::Char('y')).is_empty(), "y is not enough");
    assert!(key(&mut m, KeyCode::Enter).is_empty(), "\"y\" is not prod");
    key(&mut m, KeyCode::Backspace);
    typed(&mut m, "prod");
    assert!(matches!(key(&mut m, KeyCode::Enter).as_slice(), [Cmd::Runbook(RunbookCmd::Execute { .. })]));
}

#[test]
fn a_skip_needs_a_reason() {
    let mut m = model_on_alert(0);
    key(&mut m, KeyCode::Enter);
    event(
        &mut m,
        RunbookEvent::Progress {
            runbook: "high-error-rate-after-deploy".into(),
            alert: "a1b2c3".into(),
            run: Ok(None),
        },
    );
    key(&mut m, KeyCode::Char('s'));
    assert!(key(&mut m, KeyCode::Enter).is_empty(), "no reason yet");
    typed(&mut m, "already rolled back");
    match key(&mut m, KeyCode::Enter).as_slice() {
        [Cmd::Runbook(RunbookCmd::Skip { step: 0, reason, .. })] => assert_eq!(reason, "already rolled back"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn b_lists_the_runbooks_and_enter_opens_one() {
    let mut m = gen_demo_model();
    assert_eq!(key(&mut m, KeyCode::Char('b')), vec![Cmd::Runbook(RunbookCmd::Load)]);
    event(&mut m, RunbookEvent::Loaded(gen_runbook_catalog()));
    key(&mut m, KeyCode::Down);
    let cmds = key(&mut m, KeyCode::Enter);
    assert_eq!(view(&m).runbook.name, "database-cpu-high");
    assert!(view(&m).alert.is_none());
    assert!(matches!(cmds.as_slice(), [Cmd::Runbook(RunbookCmd::LoadProgress(s))] if s.alert.is_empty()));
}

#[test]
fn a_finished_run_starts_again_through_the_store() {
    let mut m = model_on_alert(0);
    key(&mut m, KeyCode::Enter);
    let name = "high-error-rate-after-deploy".to_string();
    event(
        &mut m,
        RunbookEvent::Progress { runbook: name.clone(), alert: "a1b2c3".into(), run: Ok(Some(run_of(4, "bob"))) },
    );
    assert!(view(&m).finished());
    assert!(key(&mut m, KeyCode::Enter).is_empty(), "nothing left to run");
    assert!(matches!(key(&mut m, KeyCode::Char('R')).as_slice(), [Cmd::Runbook(RunbookCmd::Restart(_))]));
    event(&mut m, RunbookEvent::Progress { runbook: name, alert: "a1b2c3".into(), run: Ok(Some(run_of(0, "me"))) });
    assert_eq!((view(&m).current, view(&m).loaded), (0, true));
    assert!(view(&m).outcomes.iter().all(Option::is_none));
}
