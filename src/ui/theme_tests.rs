//! Themes on screen: the colours of one pane per theme (snapshots of cell styles, since text
//! snapshots miss colour), `NO_COLOR` giving a screen without colour, and an environment's own
//! colour on its column header, the title line and the frames of what acts on it.

use super::tests::{find, focused};
use super::*;
use crate::test_support::{gen_confirm, gen_demo_model_all_up};
use crate::theme::{choose, Theme, BUILTIN};
use insta::assert_snapshot;
use opsdeck_core::actions::ActionKind;
use opsdeck_core::config::EnvColor;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;
use std::sync::Arc;

/// `model` with `env` coloured `color`, as `color = "..."` in its config would.
pub(super) fn with_env_color(mut model: Model, env: &str, color: EnvColor) -> Model {
    let mut config = (*model.world.config).clone();
    if let Some(e) = config.environments.iter_mut().find(|e| e.name == env) {
        e.color = Some(color);
    }
    model.world.config = Arc::new(config);
    model
}

/// `model` drawn with the built-in theme `name`.
pub(super) fn themed(mut model: Model, name: &str) -> Model {
    model.theme = choose(Some(name), false).expect("built-in theme");
    model
}

/// Each run of equally styled cells that has a style, line by line: `x "text" fg bg +mods`.
fn styled_runs(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let cell = &buf[(x, y)];
            let look = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < area.right() && (buf[(x, y)].fg, buf[(x, y)].bg, buf[(x, y)].modifier) == look {
                text.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            if look != (Color::Reset, Color::Reset, Modifier::empty()) {
                let _ = writeln!(out, "{y:>2}:{start:<3} {text:?} fg={:?} bg={:?} {:?}", look.0, look.1, look.2);
            }
        }
    }
    out
}

/// The Environments pane, focused, with prod in red: every themed style of one pane (states,
/// focus frame, header, selection, an environment's colour) in each built-in theme.
#[test]
fn environments_pane_colours_per_theme() {
    for (name, _) in BUILTIN {
        let model = themed(with_env_color(focused(Pane::Environments), "prod", EnvColor::Red), name);
        let mut buf = Buffer::empty(Rect::new(0, 0, 64, 12));
        envs::render(&model, &model.theme, buf.area, &mut buf, true);
        insta::with_settings!({ snapshot_suffix => name }, {
            assert_snapshot!(styled_runs(&buf));
        });
    }
}

/// Screens worth checking for colour: panes focused, a confirmation on a coloured environment,
/// help.
fn screens() -> Vec<Model> {
    let mut confirm = with_env_color(gen_demo_model_all_up(), "prod", EnvColor::Red);
    confirm.ui.set_confirm(Some(gen_confirm(ActionKind::Promote, "api", "prod", "pr")));
    let mut help = focused(Pane::Health);
    help.ui.show(Overlay::Help, true);
    let mut screens: Vec<Model> =
        Pane::ALL.iter().map(|p| with_env_color(focused(*p), "prod", EnvColor::Red)).collect();
    screens.extend([confirm, help]);
    screens
}

/// `NO_COLOR=1` (whatever the config's theme) draws no colour at all: every cell's foreground
/// and background are the terminal's own; bold, reversed and the like still tell states apart.
#[test]
fn no_color_draws_no_colour() {
    let no_color = crate::theme::no_color(Some(std::ffi::OsStr::new("1")));
    let theme = choose(Some("light"), no_color).expect("theme");
    for mut model in screens() {
        model.theme = theme;
        for (w, h) in [(80, 24), (160, 48)] {
            let buf = render_to_buffer(&model, w, h);
            for (i, cell) in buf.content.iter().enumerate() {
                assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "cell {i} at {w}x{h}");
            }
            if model.ui.overlays.top().is_none() {
                let reversed = buf.content.iter().any(|c| c.modifier.contains(Modifier::REVERSED));
                assert!(reversed, "the selection still shows, reversed, at {w}x{h}");
            }
        }
    }
}

/// The same screens in the other themes do have colour (the test above is not vacuous).
#[test]
fn themes_other_than_mono_have_colour() {
    for name in ["default", "light", "high-contrast"] {
        let buf = render_to_buffer(&themed(focused(Pane::Health), name), 80, 24);
        assert!(buf.content.iter().any(|c| c.fg != Color::Reset), "{name}");
    }
}

/// prod's colour shows on its column header, as a tag in the title line while prod is
/// selected, and on the frame of a confirmation acting on prod; not on another environment's.
#[test]
fn an_environment_colour_marks_where_keys_act() {
    let theme = Theme::default();
    let mut model = with_env_color(focused(Pane::Environments), "prod", EnvColor::Red);
    model.ui.env_col = 2;
    let buf = render_to_buffer(&model, 80, 24);
    let panes = Buffer { area: Rect::new(0, 1, 80, 23), content: buf.content[80..].to_vec() };
    let (x, y) = find(&panes, "prod").expect("prod header");
    assert_eq!(buf[(x, y)].fg, Color::Red, "prod's header");
    let (sx, sy) = find(&panes, "staging").expect("staging header");
    assert_eq!(buf[(sx, sy)].fg, Color::Reset, "staging has no colour");
    let (tx, ty) = find(&buf, " prod ").expect("title tag");
    assert_eq!(ty, 0, "the title line");
    assert_eq!(buf[(tx + 1, 0)].fg, Color::Red);
    assert!(buf[(tx + 1, 0)].modifier.contains(Modifier::REVERSED));

    model.ui.env_col = 1;
    let staging = render_to_buffer(&model, 80, 24);
    assert!(!(0..80).any(|x| staging[(x, 0)].fg == Color::Red), "no tag while staging is selected");

    let mut confirm = with_env_color(gen_demo_model_all_up(), "prod", EnvColor::Red);
    confirm.ui.set_confirm(Some(gen_confirm(ActionKind::Promote, "api", "prod", "pr")));
    let corner = confirm_corner(&render_to_buffer(&confirm, 80, 24));
    assert_eq!(corner.fg, Color::Red, "the frame is prod's colour");
    assert_eq!(corner.modifier, theme.focus_border.add_modifier, "and keeps the focus frame's weight");

    let mut other = with_env_color(gen_demo_model_all_up(), "staging", EnvColor::Yellow);
    other.ui.set_confirm(Some(gen_confirm(ActionKind::Promote, "api", "prod", "pr")));
    let corner = confirm_corner(&render_to_buffer(&other, 80, 24));
    assert_eq!(Some(corner.fg), theme.focus_border.fg, "prod, without a colour, keeps the theme's frame");
}

/// The top left corner of the confirmation box: on the row of its title, left of it.
fn confirm_corner(buf: &Buffer) -> ratatui::buffer::Cell {
    let (tx, ty) = find(buf, " Promote api").expect("the confirmation's title");
    let x = (0..tx).find(|x| buf[(*x, ty)].symbol() == "┏").expect("the confirmation's frame");
    buf[(x, ty)].clone()
}
