//! The terminal: raw mode and the alternate screen on the way in, and a restore that runs on
//! every way out (normal quit, error, panic; signals arrive as messages and end the loop
//! normally), so an operator's shell is never left broken. The mouse is taken only when the
//! config allows it, and always given back.

use crossterm::event::DisableMouseCapture;
use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{stdout, Stdout};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    /// Raw mode and the alternate screen; with `mouse`, clicks and the wheel come as events.
    pub fn enter(mouse: bool) -> color_eyre::Result<TerminalGuard> {
        terminal::enable_raw_mode()?;
        if let Err(e) = execute!(stdout(), terminal::EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e.into());
        }
        if mouse {
            if let Err(e) = execute!(stdout(), ClicksAndWheel) {
                restore();
                return Err(e.into());
            }
        }
        // A fixed viewport: its size changes only on resize events (the runtime's), never by a
        // size query at every frame.
        let (width, height) = terminal::size()?;
        let viewport = Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height));
        let terminal = Terminal::with_options(CrosstermBackend::new(stdout()), TerminalOptions { viewport })?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode and the alternate screen and gives the mouse back (whether or not it was
/// taken: turning a mode off that is off is harmless); safe to call more than once.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(stdout(), DisableMouseCapture, terminal::LeaveAlternateScreen, cursor::Show);
}

/// Mouse reporting of presses, releases and the wheel (1000) in SGR form (1006), and nothing
/// more: crossterm's `EnableMouseCapture` also asks for every move of the pointer (1003), a
/// flood of events the console would only throw away.
struct ClicksAndWheel;

impl crossterm::Command for ClicksAndWheel {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

/// color-eyre's report and panic hooks, with the terminal restored before a panic is printed
/// (otherwise the message lands on the alternate screen and vanishes).
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default().display_env_section(false).into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        panic_hook(info);
    }));
    Ok(())
}
