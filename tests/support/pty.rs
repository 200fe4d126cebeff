//! The real binary in a pseudo-terminal: send keys, read the screen as a person would see it.

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Console {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

impl Console {
    /// Starts `opsdeck ARGS` in a `cols`x`rows` terminal.
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Console {
        Console::spawn_with_env(args, &[], cols, rows)
    }

    /// Starts `opsdeck ARGS` in a `cols`x`rows` terminal with `env` added to its environment.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Console {
        let pair =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        let mut cmd = CommandBuilder::new(super::opsdeck_bin());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn opsdeck in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = p.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut r) = r.lock() {
                    r.extend_from_slice(&buf[..n]);
                }
            }
        });
        Console { parser, raw, writer, child, _master: pair.master }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().map(|p| p.screen().contents()).unwrap_or_default()
    }

    /// Every cell's foreground and background colour, with the cell's text.
    pub fn colours(&self) -> Vec<(String, vt100::Color, vt100::Color)> {
        let Ok(p) = self.parser.lock() else { return Vec::new() };
        let (rows, cols) = p.screen().size();
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .filter_map(|(r, c)| {
                p.screen().cell(r, c).map(|cell| (cell.contents().to_string(), cell.fgcolor(), cell.bgcolor()))
            })
            .collect()
    }

    /// The text of the underlined cells, row after row.
    pub fn underlined(&self) -> String {
        let Ok(p) = self.parser.lock() else { return String::new() };
        let (rows, cols) = p.screen().size();
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .filter_map(|(r, c)| {
                p.screen().cell(r, c).filter(|cell| cell.underline()).map(|cell| cell.contents().to_string())
            })
            .collect()
    }

    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().map(|p| p.screen().alternate_screen()).unwrap_or(false)
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Waits until `pred` holds for the screen, up to `timeout`; returns how long it took, or
    /// panics showing the screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return start.elapsed();
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Tabs until the pane titled `title` has the focus (its border turns heavy), whatever panes
    /// lie between.
    pub fn focus(&mut self, title: &str) {
        let focused = format!("┏ {title}");
        for _ in 0..12 {
            if self.screen().contains(&focused) {
                return;
            }
            self.send("\t");
            std::thread::sleep(Duration::from_millis(200));
        }
        self.wait_text(&focused, Duration::from_secs(2));
    }

    pub fn wait_text(&self, text: &str, timeout: Duration) -> Duration {
        self.wait_for(&format!("{text:?}"), timeout, |s| s.contains(text))
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<portable_pty::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The terminal was given back: alternate screen left and cursor shown after it was entered.
    pub fn restored(&self) -> bool {
        let raw = String::from_utf8_lossy(&self.raw_output()).into_owned();
        let entered = raw.find("\x1b[?1049h");
        let left = raw.rfind("\x1b[?1049l");
        let shown = raw.rfind("\x1b[?25h");
        matches!((entered, left, shown), (Some(e), Some(l), Some(s)) if l > e && s > e) && !self.alternate_screen()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
