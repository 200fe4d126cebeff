//! End to end, no stack needed: the real binary in a pty with a theme and an environment colour
//! in its config. `NO_COLOR=1` draws a screen without a single colour, whatever the config's
//! theme; without it prod's colour shows; a bad theme name or theme file stops the start with
//! the file, line and column.

mod support;

use std::time::Duration;
use support::pty::Console;

/// The offline config with `theme` first and prod coloured red.
fn write_config(dir: &std::path::Path, theme: &str) -> String {
    let text = format!("theme = {theme:?}\n{}", support::OFFLINE_CONFIG)
        .replace("name = \"prod\"\n", "name = \"prod\"\ncolor = \"red\"\n");
    let path = dir.join("opsdeck.toml");
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8 path").to_string()
}

fn coloured(console: &Console) -> Vec<(String, vt100::Color, vt100::Color)> {
    let none = vt100::Color::Default;
    console.colours().into_iter().filter(|(_, fg, bg)| *fg != none || *bg != none).collect()
}

#[test]
fn no_color_gives_a_screen_without_colour() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path(), "light");
    let mut console = Console::spawn_with_env(&["--config", &config], &[("NO_COLOR", "1")], 100, 30);
    console.wait_text("Environments", Duration::from_secs(5));
    console.wait_text("prod", Duration::from_secs(5));
    // Open help too: an overlay is drawn with the same theme.
    console.send("?");
    console.wait_text("navigation", Duration::from_secs(2));
    assert_eq!(coloured(&console), vec![], "NO_COLOR=1 and yet colours:\n{}", console.screen());
    // crossterm drops colours under NO_COLOR by itself; the mono theme is what keeps states and
    // focus apart without them: its focused pane title is underlined, light's is not.
    console.send("?");
    console.wait_for("help to close", Duration::from_secs(2), |s| !s.contains("navigation"));
    assert!(console.underlined().contains(" Environments "), "mono's focus title: {:?}", console.underlined());
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
}

#[test]
fn without_no_color_the_environment_colour_shows() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path(), "default");
    let mut console = Console::spawn_with_env(&["--config", &config], &[("NO_COLOR", "")], 100, 30);
    console.wait_text("Environments", Duration::from_secs(5));
    // The only environment is the selected one: its name is a red tag on the title line.
    console.wait_for("prod's red", Duration::from_secs(5), |_| {
        coloured(&console).iter().any(|(_, fg, _)| *fg == vt100::Color::Idx(1))
    });
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
}

#[test]
fn a_bad_theme_stops_the_start_with_its_place() {
    let dir = support::private_tempdir();
    let config = write_config(dir.path(), "solarized");
    let out = std::process::Command::new(support::opsdeck_bin()).args(["--config", &config]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&format!("{config}:1:9: theme `solarized` is not built in")), "{err}");

    std::fs::write(dir.path().join("mine.toml"), "ok = \"green\"\nwarn = \"mauve\"\n").expect("theme file");
    let config = write_config(dir.path(), "mine.toml");
    let out = std::process::Command::new(support::opsdeck_bin()).args(["--config", &config]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let theme = dir.path().join("mine.toml");
    assert!(err.contains(&format!("{}:2:1: `warn`: `mauve` is not a colour", theme.display())), "{err}");

    let config = write_config(dir.path(), "default");
    let text = std::fs::read_to_string(&config).map(|t| t.replace("color = \"red\"", "color = \"crimson\""));
    std::fs::write(&config, text.expect("config")).expect("write");
    let out = std::process::Command::new(support::opsdeck_bin()).args(["--config", &config]).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = 1 + std::fs::read_to_string(&config)
        .expect("config")
        .lines()
        .position(|l| l.starts_with("color"))
        .expect("color line");
    assert!(err.contains(&format!("{config}:{line}:9: unknown variant `crimson`")), "{err}");
}
