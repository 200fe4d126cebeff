//! Drawing only when the screen changes: a frame is first drawn into memory (no terminal output,
//! no size query) and written to the terminal only when it differs from the one on it. A fact
//! that changes nothing visible (a probe with the same verdict, a poll with the same counts) costs
//! no write to the terminal; ages and clocks change it once a second at most (the tick). The size
//! comes from resize events, never from a query per frame.

use crate::model::Model;
use crate::ui::hits::Hits;
use ratatui::buffer::Buffer;
use std::sync::Arc;

pub struct Screen {
    width: u16,
    height: u16,
    /// The last frame drawn; `None` until the first and after a resize.
    shown: Option<Buffer>,
    /// Where the last frame drew what a click can land on: a mouse event is looked up in it.
    hits: Arc<Hits>,
}

impl Screen {
    pub fn new(width: u16, height: u16) -> Screen {
        Screen { width, height, shown: None, hits: Arc::default() }
    }

    /// The terminal is now `width` x `height`: the next frame is drawn whatever it holds.
    pub fn resize(&mut self, width: u16, height: u16) {
        (self.width, self.height, self.shown) = (width, height, None);
    }

    /// Draws `model` into memory; the frame when it differs from the last one drawn (which it then
    /// becomes), else `None`.
    pub fn changed(&mut self, model: &Model) -> Option<&Buffer> {
        let (now, hits) = crate::ui::render_frame(model, self.width, self.height);
        if *self.hits != hits {
            self.hits = Arc::new(hits);
        }
        if self.shown.as_ref() == Some(&now) {
            return None;
        }
        self.shown = Some(now);
        self.shown.as_ref()
    }

    /// The layout of the last frame drawn.
    pub fn hits(&self) -> Arc<Hits> {
        self.hits.clone()
    }

    /// The last frame drawn.
    pub fn last(&self) -> Option<&Buffer> {
        self.shown.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::gen_demo_model;

    #[test]
    fn nothing_visible_changed_nothing_drawn() {
        let mut screen = Screen::new(80, 24);
        let mut m = gen_demo_model();
        assert!(screen.changed(&m).is_some(), "the first frame");
        assert!(screen.changed(&m).is_none(), "the same model: the same screen");
        // A tick at the same second: ages read the same.
        let now = m.world.now;
        crate::update::update(&mut m, Msg::Tick(now));
        assert!(screen.changed(&m).is_none());
        // Something visible: the focus moves.
        crate::update::update(&mut m, Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Tab)));
        assert!(screen.changed(&m).is_some());
        screen.resize(100, 30);
        assert!(screen.changed(&m).is_some_and(|b| b.area.width == 100), "after a resize, whatever it holds");
    }
}
