//! Drawing: pure functions from the model to a frame. (being written)

use crate::model::Model;
use ratatui::Frame;

/// Draws the whole screen for `model`.
pub fn render(_model: &Model, _frame: &mut Frame) {}
