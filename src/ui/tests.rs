//! Whole-screen snapshots: every pane focused at 80x24 and 160x48, the empty (all pending)
//! model, the help overlay, systems down. Each pane's own file snapshots the pane alone.

use super::*;
use crate::model::Reach;
use crate::test_support::{gen_actions_model, gen_approvals_model, gen_demo_model, gen_model};
use chrono::Duration;
use insta::assert_snapshot;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The whole screen of `model` drawn through a real [`Terminal`] at `width` x `height`.
pub(super) fn screen(model: &Model, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| render(model, f)).expect("draw");
    terminal.backend().clone()
}

/// A pane drawn alone over the whole of a `width` x `height` terminal.
pub(super) fn pane(
    model: &Model,
    width: u16,
    height: u16,
    draw: fn(&Model, &Theme, Rect, &mut Buffer, bool) -> Option<super::hits::Rows>,
    focused: bool,
) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|f| {
            draw(model, &Theme::default(), f.area(), f.buffer_mut(), focused);
        })
        .expect("draw");
    terminal.backend().clone()
}

/// Where `text` starts in `buf` (single-width characters only).
pub(super) fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let fits = chars.iter().enumerate().all(|(i, c)| {
                let cx = x + i as u16;
                cx < area.right() && buf[(cx, y)].symbol() == c
            });
            if fits {
                return Some((x, y));
            }
        }
    }
    None
}

/// The demo model with `focus` on, and selections that show something worth seeing. For
/// Actions, the model with actions in the journal (see [`gen_actions_model`]); for Approvals,
/// the one with requests in the store ([`gen_approvals_model`]).
pub(super) fn focused(focus: Pane) -> Model {
    let mut m = match focus {
        Pane::Actions => gen_actions_model(),
        Pane::Approvals => gen_approvals_model(),
        _ => gen_demo_model(),
    };
    m.ui.focus = focus;
    match focus {
        // web in staging: the unhealthy cell, so the reason line shows.
        Pane::Environments => (m.ui.service_row, m.ui.env_col) = (1, 1),
        Pane::Images => m.ui.image_row = 1,
        // prod: the unreachable host prod-2.
        Pane::Health => (m.ui.env_col, m.ui.health_row) = (2, 1),
        Pane::Alerts => m.ui.alert_row = 0,
        // The running prod rollback.
        Pane::Actions => m.ui.action_row = 0,
        // carol's pending prod promote.
        Pane::Approvals => m.ui.approval_row = 0,
    }
    m
}

/// Full screen 80x24, Environments focused, unhealthy staging web selected.
#[test]
fn screen_80x24_envs_focused() {
    assert_snapshot!(screen(&focused(Pane::Environments), 80, 24));
}

/// Full screen 160x48, Environments focused, unhealthy staging web selected.
#[test]
fn screen_160x48_envs_focused() {
    assert_snapshot!(screen(&focused(Pane::Environments), 160, 48));
}

/// Full screen 80x24, Images focused, second image selected.
#[test]
fn screen_80x24_images_focused() {
    assert_snapshot!(screen(&focused(Pane::Images), 80, 24));
}

/// Full screen 160x48, Images focused, second image selected.
#[test]
fn screen_160x48_images_focused() {
    assert_snapshot!(screen(&focused(Pane::Images), 160, 48));
}

/// Full screen 80x24, Health focused on prod, the unreachable prod-2 slot selected.
#[test]
fn screen_80x24_health_focused() {
    assert_snapshot!(screen(&focused(Pane::Health), 80, 24));
}

/// Full screen 160x48, Health focused on prod, the unreachable prod-2 slot selected.
#[test]
fn screen_160x48_health_focused() {
    assert_snapshot!(screen(&focused(Pane::Health), 160, 48));
}

/// Full screen 80x24, Alerts focused, the critical alert selected.
#[test]
fn screen_80x24_alerts_focused() {
    assert_snapshot!(screen(&focused(Pane::Alerts), 80, 24));
}

/// Full screen 160x48, Alerts focused, the critical alert selected.
#[test]
fn screen_160x48_alerts_focused() {
    assert_snapshot!(screen(&focused(Pane::Alerts), 160, 48));
}

/// Full screen 80x24, Actions focused in the Alerts slot: the running prod rollback selected,
/// its steps and the lock it holds; the api/prod cell marked locked.
#[test]
fn screen_80x24_actions_focused() {
    assert_snapshot!(screen(&focused(Pane::Actions), 80, 24));
}

/// Full screen 160x48, Actions focused: Health, Alerts and Actions across the bottom row.
#[test]
fn screen_160x48_actions_focused() {
    assert_snapshot!(screen(&focused(Pane::Actions), 160, 48));
}

/// At 80 columns a running action takes the Alerts slot unless Alerts is focused; with nothing
/// running, Alerts keeps it until Actions is focused.
#[test]
fn running_actions_take_the_alerts_slot_when_narrow() {
    let shows = |m: &Model, title: &str| screen(m, 80, 24).to_string().contains(title);
    let mut m = gen_actions_model();
    m.ui.focus = Pane::Environments;
    assert!(shows(&m, "Actions · 1 running") && !shows(&m, "Alerts ·"));
    m.ui.focus = Pane::Alerts;
    assert!(shows(&m, "Alerts ·") && !shows(&m, "Actions"));
    let mut idle = gen_demo_model();
    assert!(shows(&idle, "Alerts ·") && !shows(&idle, "Actions"));
    idle.ui.focus = Pane::Actions;
    assert!(shows(&idle, " Actions ") && !shows(&idle, "Alerts ·"));
    // Wide enough, both are always there.
    let text = screen(&gen_demo_model(), 160, 48).to_string();
    assert!(text.contains(" Actions ") && text.contains("Alerts ·"));
}

/// At 80 columns a pending request takes the Alerts slot, unless an action runs or Alerts or
/// Actions is focused; wide enough, Approvals sits under Actions while there are requests.
#[test]
fn pending_requests_take_the_alerts_slot_when_narrow() {
    let shows = |m: &Model, title: &str| screen(m, 80, 24).to_string().contains(title);
    let mut m = gen_approvals_model();
    assert!(shows(&m, "Approvals · 1 pending") && !shows(&m, "Alerts ·"));
    m.ui.focus = Pane::Alerts;
    assert!(shows(&m, "Alerts ·") && !shows(&m, "Approvals"));
    let mut running = gen_actions_model();
    running.world.approvals = gen_approvals_model().world.approvals;
    assert!(shows(&running, "Actions · 1 running") && !shows(&running, "Approvals"));
    running.ui.focus = Pane::Approvals;
    assert!(shows(&running, "Approvals · 1 pending") && !shows(&running, "Actions"));
    let wide = screen(&gen_approvals_model(), 160, 48).to_string();
    assert!(wide.contains(" Actions ") && wide.contains("Alerts ·") && wide.contains("Approvals · 1 pending"));
    assert!(!screen(&gen_demo_model(), 160, 48).to_string().contains("Approvals"));
}

/// Full screen 80x24 before anything answered: every pane says "…", nothing is blank.
#[test]
fn screen_80x24_empty_model() {
    assert_snapshot!(screen(&gen_model(), 80, 24));
}

/// Full screen 160x48 before anything answered.
#[test]
fn screen_160x48_empty_model() {
    assert_snapshot!(screen(&gen_model(), 160, 48));
}

/// Full screen 80x24 with the help overlay open over the demo model.
#[test]
fn screen_80x24_help_open() {
    let mut m = gen_demo_model();
    m.ui.show(Overlay::Help, true);
    assert_snapshot!(screen(&m, 80, 24));
}

/// Full screen 160x48 with the help overlay open.
#[test]
fn screen_160x48_help_open() {
    let mut m = gen_demo_model();
    m.ui.show(Overlay::Help, true);
    assert_snapshot!(screen(&m, 160, 48));
}

/// Full screen 80x24 with the registry and Alertmanager down (cached data still shown) and a
/// notice in the status bar.
#[test]
fn screen_80x24_registry_and_alertmanager_down() {
    let mut m = gen_demo_model();
    let since = m.world.now - Duration::seconds(42);
    m.world.registry.reach = Reach::Down { reason: "connection refused".into(), since };
    m.world.alerts.reach = Reach::Down { reason: "HTTP 502".into(), since: m.world.now - Duration::minutes(3) };
    m.ui.notice = Some("registry down: showing the last history".into());
    assert_snapshot!(screen(&m, 80, 24));
}

/// Full screen 160x48 with the registry and Alertmanager down.
#[test]
fn screen_160x48_registry_and_alertmanager_down() {
    let mut m = gen_demo_model();
    let since = m.world.now - Duration::seconds(42);
    m.world.registry.reach = Reach::Down { reason: "connection refused".into(), since };
    m.world.alerts.reach = Reach::Down { reason: "HTTP 502".into(), since: m.world.now - Duration::minutes(3) };
    assert_snapshot!(screen(&m, 160, 48));
}

/// Tiny and degenerate sizes draw without panicking.
#[test]
fn tiny_terminals_do_not_panic() {
    let m = gen_demo_model();
    for (w, h) in [(0, 0), (1, 1), (10, 3), (20, 5), (40, 10), (79, 23), (300, 100)] {
        let _ = render_to_buffer(&m, w, h);
    }
    let mut m = gen_model();
    m.ui.show(Overlay::Help, true);
    let _ = render_to_buffer(&m, 12, 4);
    let overlays = [
        crate::test_support::gen_audit_model(),
        crate::test_support::gen_approval_view_model(),
        crate::test_support::gen_reject_model("because"),
        focused(Pane::Approvals),
    ];
    for m in overlays {
        for (w, h) in [(0, 0), (1, 1), (10, 3), (20, 5), (40, 10), (79, 23), (300, 100)] {
            let _ = render_to_buffer(&m, w, h);
        }
    }
}

/// `render_to_buffer` draws the same screen as a terminal frame does.
#[test]
fn render_to_buffer_matches_the_terminal() {
    let m = focused(Pane::Health);
    assert_eq!(&render_to_buffer(&m, 80, 24), screen(&m, 80, 24).buffer());
}

/// The focused pane's border uses the focus style; the others the plain border style.
#[test]
fn focused_border_uses_focus_style() {
    let theme = Theme::default();
    for focus in Pane::ALL {
        let m = focused(focus);
        let buf = render_to_buffer(&m, 80, 24);
        let areas = PaneAreas::new(&m, Rect::new(0, 1, 80, 22));
        for (pane, rect) in [
            (Pane::Environments, Some(areas.envs)),
            (Pane::Images, Some(areas.images)),
            (Pane::Health, Some(areas.health)),
            (Pane::Alerts, areas.alerts),
            (Pane::Actions, areas.actions),
            (Pane::Approvals, areas.approvals),
        ] {
            let Some(rect) = rect else {
                assert_ne!(pane, focus, "the focused pane {focus:?} is not on screen");
                continue;
            };
            let corner = &buf[(rect.x, rect.y)];
            let want = if pane == focus { theme.focus_border } else { theme.border };
            assert_eq!(corner.fg, want.fg.unwrap_or_default(), "{pane:?} with {focus:?} focused");
            assert_eq!(corner.symbol(), if pane == focus { "┏" } else { "┌" });
        }
    }
}

/// The title line shows who is at the keyboard and which systems are down, for how long.
#[test]
fn title_line_names_user_and_outages() {
    let mut m = gen_demo_model();
    m.world.alerts.reach = Reach::Down { reason: "refused".into(), since: m.world.now - Duration::seconds(42) };
    let text = screen(&m, 80, 24).to_string();
    let first = text.lines().next().unwrap_or_default();
    assert!(first.contains("alice"), "{first}");
    assert!(first.contains("✗ 42s"), "{first}");
    assert!(first.contains("prod-2"), "{first}");
}

/// The help overlay lists every binding's label and description, straight from the keymap, in
/// full at 80x24 (two columns) as at 160x48 (one).
#[test]
fn help_lists_every_binding() {
    let mut m = gen_demo_model();
    m.ui.show(Overlay::Help, true);
    for (w, h) in [(80, 24), (160, 48)] {
        let text = screen(&m, w, h).to_string();
        for b in m.keymap.bindings() {
            assert!(text.contains(b.label.as_str()), "{} missing from help at {w}x{h}", b.label);
            assert!(text.contains(b.desc), "{} missing from help at {w}x{h}:\n{text}", b.desc);
        }
    }
}

/// The hint bar shows exactly the bindings marked `hint`, and a notice before them.
#[test]
fn hint_bar_follows_the_keymap() {
    let mut m = gen_demo_model();
    m.ui.notice = Some("nothing to roll back".into());
    let text = screen(&m, 160, 10).to_string();
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("nothing to roll back"), "{last}");
    for b in m.keymap.bindings() {
        assert_eq!(last.contains(b.desc), b.hint, "{} in {last}", b.desc);
    }
}

/// With `[keys]` moving promote, help and quit, the help and the hint bar show the new keys.
#[test]
fn rebound_keys_show_in_help_and_hints() {
    let mut m = gen_demo_model();
    m.keymap = crate::keymap::gen_keymap("promote = \"ctrl-p\"\nhelp = \"f1\"\nquit = [\"Q\", \"f10\"]\n");
    let bar = screen(&m, 80, 24).to_string();
    let last = bar.lines().last().unwrap_or_default();
    assert!(last.contains("Ctrl-p promote") && last.contains("F1 help") && last.contains("Q/F10 quit"), "{last}");
    assert_snapshot!("status_bar_rebound_80x24", last);
    m.ui.show(Overlay::Help, true);
    let help = screen(&m, 80, 24).to_string();
    assert!(help.contains("Ctrl-p  promote into") && help.contains("Q/F10   quit"), "{help}");
    assert_snapshot!("help_rebound_80x24", help);
}
