//! Drawing only when the screen changes: a frame is first drawn off screen (into memory: no
//! terminal output, no size query) and sent to the terminal only when it differs from the one on
//! it. A fact that changes nothing visible (a probe with the same verdict, a poll with the same
//! counts) costs no write to the terminal; ages and clocks change it once a second at most (the
//! tick). The size comes from resize events, never from a query per frame.

use crate::model::Model;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

pub struct Screen {
    /// Where a frame is drawn first. `TestBackend` is ratatui's in-memory backend.
    offscreen: Terminal<TestBackend>,
    /// What the terminal shows now; `None` until the first frame and after a resize.
    shown: Option<Buffer>,
}

impl Screen {
    pub fn new(width: u16, height: u16) -> color_eyre::Result<Screen> {
        Ok(Screen { offscreen: Terminal::new(TestBackend::new(width, height))?, shown: None })
    }

    /// The terminal is now `width` x `height`: the next frame is drawn whatever it holds.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.offscreen.backend_mut().resize(width, height);
        self.shown = None;
    }

    /// Draws `model` off screen; true when it differs from what the terminal shows (which it is
    /// then taken to show).
    pub fn changed(&mut self, model: &Model) -> color_eyre::Result<bool> {
        self.offscreen.draw(|f| crate::ui::render(model, f))?;
        let now = self.offscreen.backend().buffer();
        if self.shown.as_ref() == Some(now) {
            return Ok(false);
        }
        self.shown = Some(now.clone());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::gen_demo_model;

    #[test]
    fn nothing_visible_changed_nothing_drawn() {
        let mut screen = Screen::new(80, 24).expect("screen");
        let mut m = gen_demo_model();
        assert!(screen.changed(&m).expect("draw"), "the first frame");
        assert!(!screen.changed(&m).expect("draw"), "the same model: the same screen");
        // A tick at the same second: ages read the same.
        let now = m.world.now;
        crate::update::update(&mut m, Msg::Tick(now));
        assert!(!screen.changed(&m).expect("draw"));
        // Something visible: the focus moves.
        crate::update::update(&mut m, Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Tab)));
        assert!(screen.changed(&m).expect("draw"));
        screen.resize(100, 30);
        assert!(screen.changed(&m).expect("draw"), "after a resize, whatever it holds");
    }
}
