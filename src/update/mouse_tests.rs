//! Clicks and the wheel, looked up in the layout of the frame actually drawn.

use crate::model::{Model, OverlayKind, Pane};
use crate::msg::{Cmd, Msg};
use crate::test_support::{gen_confirm, gen_demo_model, gen_logs_model};
use crate::ui::hits::{Hits, Press};
use crate::update::update;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use opsdeck_core::actions::ActionKind;
use ratatui::buffer::Buffer;
use std::sync::Arc;

fn frame(m: &Model) -> (Buffer, Hits) {
    crate::ui::render_frame(m, 80, 24)
}

fn mouse(m: &mut Model, kind: MouseEventKind, x: u16, y: u16) -> Vec<Cmd> {
    let (_, hits) = frame(m);
    let event = MouseEvent { kind, column: x, row: y, modifiers: KeyModifiers::NONE };
    update(m, Msg::Mouse(event, Arc::new(hits)))
}

fn click(m: &mut Model, x: u16, y: u16) -> Vec<Cmd> {
    mouse(m, MouseEventKind::Down(MouseButton::Left), x, y)
}

fn line(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect()
}

fn rows_of(hits: &Hits, pane: Pane) -> crate::ui::hits::Rows {
    let hit = hits.panes.iter().find(|p| p.pane == pane).expect("the pane is drawn");
    hit.rows.clone().expect("the pane shows a table")
}

#[test]
fn a_click_focuses_the_pane_and_selects_the_row_under_it() {
    let mut m = gen_demo_model();
    let (buf, hits) = frame(&m);
    let rows = rows_of(&hits, Pane::Health);
    assert!(rows.end - rows.first >= 2, "room for two rows: {rows:?}");
    let y = rows.area.y + 1;
    click(&mut m, rows.area.x + 2, y);
    assert_eq!(m.ui.focus, Pane::Health);
    assert_eq!(m.ui.health_row, rows.first + 1);
    // The row selected is the one drawn on the line clicked.
    let slot = &m.world.slot_rows(m.selected_env())[m.ui.health_row];
    let text = line(&buf, y);
    assert!(text.contains(&slot.id.host) && text.contains(slot.id.slot.as_str()), "{text:?} vs {slot:?}");
    // A click on the frame, off the rows, focuses without moving the selection.
    let (_, hits) = frame(&m);
    let envs = hits.panes.iter().find(|p| p.pane == Pane::Environments).expect("drawn").area;
    click(&mut m, envs.x, envs.y);
    assert_eq!((m.ui.focus, m.ui.health_row), (Pane::Environments, rows.first + 1));
}

#[test]
fn a_click_on_an_environment_cell_selects_its_service_and_environment() {
    let mut m = gen_demo_model();
    m.ui.health_row = 1;
    let (buf, hits) = frame(&m);
    let rows = rows_of(&hits, Pane::Environments);
    // The header line names the environments; click under "prod", on the second service.
    let header = line(&buf, rows.area.y - 1);
    let x = header.find("prod").expect("prod header") as u16 + 1;
    click(&mut m, x, rows.area.y + 1);
    assert_eq!(m.ui.focus, Pane::Environments);
    assert_eq!(m.selected_service(), m.world.config.services.get(1).map(|s| s.name.as_str()));
    assert_eq!(m.selected_env(), Some("prod"));
    assert_eq!(m.ui.health_row, 0, "a new environment's Health pane starts at its first slot");
}

#[test]
fn the_wheel_moves_the_selection_of_the_list_under_the_pointer() {
    let mut m = gen_demo_model();
    let (_, hits) = frame(&m);
    let rows = rows_of(&hits, Pane::Health);
    mouse(&mut m, MouseEventKind::ScrollDown, rows.area.x + 1, rows.area.y);
    mouse(&mut m, MouseEventKind::ScrollDown, rows.area.x + 1, rows.area.y);
    assert_eq!((m.ui.focus, m.ui.health_row), (Pane::Health, 2));
    mouse(&mut m, MouseEventKind::ScrollUp, rows.area.x + 1, rows.area.y);
    assert_eq!(m.ui.health_row, 1);
    // Past the top it stays at the first row.
    for _ in 0..5 {
        mouse(&mut m, MouseEventKind::ScrollUp, rows.area.x + 1, rows.area.y);
    }
    assert_eq!(m.ui.health_row, 0);
}

#[test]
fn the_wheel_scrolls_the_logs_view_back_and_forward() {
    let mut m = gen_logs_model();
    assert_eq!(m.ui.logs.scroll, 0);
    assert!(m.ui.logs.rows().len() > 6, "lines to scroll through");
    mouse(&mut m, MouseEventKind::ScrollUp, 10, 10);
    assert_eq!(m.ui.logs.scroll, 3, "three lines a notch, back in time");
    assert!(m.ui.logs.paused_at.is_some(), "scrolling back pauses, as ↑ does");
    mouse(&mut m, MouseEventKind::ScrollDown, 10, 10);
    assert_eq!(m.ui.logs.scroll, 0);
}

#[test]
fn a_click_on_the_confirmation_hints_runs_or_cancels() {
    let mut m = gen_demo_model();
    m.ui.set_confirm(Some(gen_confirm(ActionKind::Rollback, "api", "staging", "")));
    let (buf, hits) = frame(&m);
    let button = |press| hits.buttons.iter().find(|b| b.press == press).expect("a button").area;
    let (run, cancel) = (button(Press::Confirm), button(Press::Cancel));
    let drawn =
        |r: ratatui::layout::Rect| line(&buf, r.y).chars().skip(r.x.into()).take(r.width.into()).collect::<String>();
    assert_eq!(drawn(run), "Enter/y to run");
    assert_eq!(drawn(cancel), "Esc/n to cancel");
    // A click on the panes under the box does nothing.
    let cmds = click(&mut m, 1, 3);
    assert!(cmds.is_empty() && m.ui.is_open(OverlayKind::Confirm));
    let cmds = click(&mut m, cancel.x + 2, cancel.y);
    assert!(cmds.is_empty() && !m.ui.is_open(OverlayKind::Confirm), "cancelled: {cmds:?}");
    m.ui.set_confirm(Some(gen_confirm(ActionKind::Rollback, "api", "staging", "")));
    let cmds = click(&mut m, run.x + run.width - 1, run.y);
    assert!(matches!(cmds.as_slice(), [Cmd::RunAction(_)]), "{cmds:?}");
    assert!(!m.ui.is_open(OverlayKind::Confirm));
}

#[test]
fn a_confirmation_that_wants_a_name_typed_runs_only_once_it_matches() {
    let mut m = gen_demo_model();
    m.ui.set_confirm(Some(gen_confirm(ActionKind::Rollback, "api", "prod", "")));
    let (_, hits) = frame(&m);
    let Some(run) = hits.buttons.iter().find(|b| b.press == Press::Confirm) else { panic!("{hits:?}") };
    let cmds = click(&mut m, run.area.x, run.area.y);
    assert!(cmds.is_empty() && m.ui.is_open(OverlayKind::Confirm), "Enter does nothing yet: {cmds:?}");
}

#[test]
fn mouse_off_in_the_config_ignores_the_mouse() {
    let mut m = gen_demo_model();
    let mut config = (*m.world.config).clone();
    config.mouse = false;
    m.world.config = Arc::new(config);
    let (_, hits) = frame(&m);
    let rows = rows_of(&hits, Pane::Health);
    click(&mut m, rows.area.x + 1, rows.area.y + 1);
    mouse(&mut m, MouseEventKind::ScrollDown, rows.area.x + 1, rows.area.y);
    assert_eq!((m.ui.focus, m.ui.health_row), (Pane::Environments, 0));
}

#[test]
fn the_wheel_moves_the_silences_list() {
    let mut m = crate::test_support::gen_silences_model();
    assert!(m.world.silences.silences.len() > 1);
    let before = m.ui.silences.row;
    mouse(&mut m, MouseEventKind::ScrollDown, 10, 10);
    assert_eq!(m.ui.silences.row, before + 1);
    mouse(&mut m, MouseEventKind::ScrollUp, 10, 10);
    assert_eq!(m.ui.silences.row, before);
}
