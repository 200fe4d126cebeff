//! End to end, no stack needed: the real binary in a pty, driven by the mouse as a terminal
//! reports it (SGR: `ESC [ < button ; column ; row M`, 1-based). A click focuses a pane and selects
//! a row, the wheel moves the selection; `mouse = false` leaves the mouse alone; the terminal is
//! given its mouse back on quit. The hosts do not exist, so nothing outside is asked.

mod support;

use std::time::Duration;
use support::pty::Console;

/// Three services and two environments, on hosts that do not exist.
fn config(mouse: bool) -> String {
    let mut text = String::from(if mouse { "" } else { "mouse = false\n" });
    text.push_str(
        r#"state_path = "state.db"
[registry]
url = "http://127.0.0.1:9"

[[environments]]
name = "staging"
haproxy = "unix:///nonexistent/haproxy-staging.sock"
hosts = [{ name = "staging-1", url = "unix:///nonexistent/docker.sock" }]

[[environments]]
name = "prod"
haproxy = "unix:///nonexistent/haproxy.sock"
hosts = [{ name = "prod-1", url = "unix:///nonexistent/docker.sock" }]
"#,
    );
    for (i, service) in ["api", "billing", "search"].iter().enumerate() {
        text.push_str(&format!(
            r#"
[[services]]
name = "{service}"
container_port = 8080
[services.environments.staging]
backend = "{service}_staging"
url = "http://127.0.0.1:{}"
[services.environments.prod]
backend = "{service}_prod"
url = "http://127.0.0.1:{}"
"#,
            10 + i,
            20 + i
        ));
    }
    text
}

fn start(mouse: bool) -> (tempfile::TempDir, Console) {
    let dir = support::private_tempdir();
    let path = dir.path().join("opsdeck.toml");
    std::fs::write(&path, config(mouse)).expect("write config");
    let console = Console::spawn(&["--config", path.to_str().expect("utf-8 path")], 100, 30);
    // The layout settles once every system has answered or failed: a host down adds a header
    // line to Environments, the registry down a line to Images, and the panes below move down.
    console.wait_for("every system's first answer", Duration::from_secs(5), |s| {
        s.contains("┏ Environments")
            && s.contains("✗ staging-1")
            && s.contains("✗ prod-1")
            && s.contains("registry: ")
            && s.contains("staging-1 ✗ unreachable")
    });
    (dir, console)
}

/// Where `text` is first drawn on screen, as 0-based (column, row), left of column `before`.
fn find(console: &Console, text: &str, before: usize) -> (u16, u16) {
    for (row, line) in console.screen().lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let needle: Vec<char> = text.chars().collect();
        if let Some(col) = chars.windows(needle.len()).position(|w| w == needle.as_slice()).filter(|c| *c < before) {
            return (col as u16, row as u16);
        }
    }
    panic!("{text:?} is not on screen:\n{}", console.screen());
}

/// A left click (press and release) on the 0-based cell.
fn click(console: &mut Console, (x, y): (u16, u16)) {
    console.send(&format!("\x1b[<0;{};{}M\x1b[<0;{};{}m", x + 1, y + 1, x + 1, y + 1));
}

/// One notch of the wheel, down or up, over the 0-based cell.
fn wheel(console: &mut Console, down: bool, (x, y): (u16, u16)) {
    let button = if down { 65 } else { 64 };
    console.send(&format!("\x1b[<{button};{};{}M", x + 1, y + 1));
}

#[test]
fn clicks_focus_and_select_and_the_wheel_scrolls() {
    let (_dir, mut console) = start(true);
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    assert!(raw.contains("\x1b[?1000h") && raw.contains("\x1b[?1006h"), "clicks and the wheel are asked for");
    assert!(!raw.contains("\x1b[?1003h"), "pointer moves are not asked for");
    console.wait_text("Images · api", Duration::from_secs(2));

    // A click on the "billing" row of the Environments table selects it; Images follows.
    let billing = find(&console, "billing", 50);
    click(&mut console, billing);
    console.wait_text("Images · billing", Duration::from_secs(2));

    // A click on the Health pane's frame gives it the focus (its border turns heavy).
    let health = find(&console, "Health", 50);
    click(&mut console, health);
    console.wait_text("┏ Health", Duration::from_secs(2));
    assert!(!console.screen().contains("┏ Environments"), "the focus left Environments");

    // The wheel over the Environments table moves its selection, and focuses it.
    let api = find(&console, "api", 50);
    wheel(&mut console, true, api);
    console.wait_text("Images · search", Duration::from_secs(2));
    assert!(console.screen().contains("┏ Environments"));
    wheel(&mut console, false, api);
    console.wait_text("Images · billing", Duration::from_secs(2));

    // A click under the "staging" header selects that environment: Health follows.
    let (x, _) = find(&console, "staging", 50);
    click(&mut console, (x + 1, api.1));
    console.wait_text("Images · api", Duration::from_secs(2));
    console.wait_text("Health · staging", Duration::from_secs(2));

    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
    assert!(console.restored(), "terminal not restored");
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    let taken = raw.rfind("\x1b[?1000h").expect("taken");
    assert!(raw.rfind("\x1b[?1000l").is_some_and(|given| given > taken), "the mouse is given back on quit");
}

#[test]
fn mouse_off_leaves_the_mouse_to_the_terminal() {
    let (_dir, mut console) = start(false);
    console.wait_text("Images · api", Duration::from_secs(2));
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    assert!(!raw.contains("\x1b[?1000h"), "the mouse is not taken");
    // Even a terminal that reports clicks anyway changes nothing.
    let billing = find(&console, "billing", 50);
    click(&mut console, billing);
    wheel(&mut console, true, billing);
    // A key after them, to know they were read.
    console.send("\t");
    console.wait_text("┏ Images", Duration::from_secs(2));
    assert!(console.screen().contains("Images · api"), "nothing selected:\n{}", console.screen());
    console.send("q");
    assert!(console.wait_exit(Duration::from_secs(5)).is_some_and(|s| s.success()), "opsdeck did not quit");
    assert!(console.restored(), "terminal not restored");
}
