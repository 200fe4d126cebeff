//! The Approvals pane: requests from every user of the bastion, pending first (then approved,
//! done, failed, rejected, expired and refused ones, newest first), each with who asked, where,
//! from -> to, its age or time left, its state and who decided it; under the list, the selected
//! request in full: what, why, and what the operator can do about it.

use super::columns::{self, Column};
use super::common::{fit_line, pane_block, pane_title};
use crate::keymap::Action;
use crate::model::approvals::shown_state;
use crate::model::{short_age, Model};
use crate::theme::Theme;
use crate::ui::hits::Rows;
use opsdeck_core::store::{Request, RequestState};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Table, TableState, Widget};

/// Lines under the list kept for the selected request (what, who and why, where it stands) when
/// the list is long; more when there is room, as its lines wrap.
const DETAIL: u16 = 3;

/// Rows the pane would like: its list, the detail under it and the borders.
pub fn wanted_height(model: &Model) -> u16 {
    let rows = model.world.request_rows().len().max(1) as u16;
    // The detail's lines wrap in a pane a third of the screen wide: about two each.
    rows + 1 + 2 * DETAIL + 2 + u16::from(model.world.approvals.error.is_some())
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer, focused: bool) -> Option<Rows> {
    let rows = model.world.request_rows();
    let pending = model.world.pending_requests();
    let subject = (pending > 0).then(|| format!("{pending} pending"));
    let block = pane_block(pane_title("Approvals", subject.as_deref()), theme, focused);
    let mut inner = block.inner(area);
    block.render(area, buf);

    if let Some(error) = &model.world.approvals.error {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let line = Line::styled(format!("✗ state store: {error}"), theme.crit);
        Paragraph::new(fit_line(line, usize::from(top.width))).render(top, buf);
        inner = rest;
    }
    if rows.is_empty() {
        let text = if !model.world.approvals.loaded && model.world.approvals.error.is_none() {
            super::common::PENDING
        } else {
            "no approval requests: p or r where approval is required files one"
        };
        Paragraph::new(fit_line(Line::styled(text, theme.dim), usize::from(inner.width))).render(inner, buf);
        return None;
    }
    let selected = model.ui.approval_row.min(rows.len() - 1);
    let width = usize::from(inner.width);
    let lines: Vec<Line<'_>> =
        detail(model, theme, rows[selected]).into_iter().flat_map(|l| super::common::wrap_line(l, width)).collect();
    // The list as tall as it needs, leaving the detail its lines (at least a few); the detail
    // gets the rest.
    let list_want = rows.len() as u16 + 1;
    let detail_min = (lines.len() as u16).min(DETAIL);
    let list_height = list_want.min(inner.height.saturating_sub(detail_min).max(2));
    let [list_area, detail_area] = Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(inner);
    let fitted = columns::fit(request_columns(model, theme, &rows), list_area.width, theme);
    let highlight = if focused { theme.selected } else { theme.selected_blur };
    let mut state = TableState::default().with_selected(Some(selected));
    let header_height = fitted.header_height;
    let table = Table::new(fitted.rows, fitted.widths).header(fitted.header).row_highlight_style(highlight);
    StatefulWidget::render(table, list_area, buf, &mut state);
    let hits = Rows::new(list_area, header_height, state.offset(), rows.len());
    let shown = usize::from(detail_area.height);
    let mut lines = lines;
    if lines.len() > shown && shown > 0 {
        lines.truncate(shown);
        if let Some(last) = lines.pop() {
            let cut = Line::from(last.spans.into_iter().chain([Span::raw(" …")]).collect::<Vec<_>>());
            lines.push(fit_line(cut, width));
        }
    }
    Paragraph::new(lines).render(detail_area, buf);
    Some(hits)
}

/// A request's state as a word, in its colour: pending asks for attention, done is ok, failed is
/// crit, rejected and refused are warn (it did not happen), expired is dim.
pub fn state_word(theme: &Theme, state: RequestState) -> (&'static str, Style) {
    let style = match state {
        RequestState::Pending => theme.notice,
        RequestState::Approved => theme.header,
        RequestState::Done => theme.ok,
        RequestState::Failed => theme.crit,
        RequestState::Rejected | RequestState::Refused => theme.warn,
        RequestState::Expired => theme.dim,
    };
    (state.as_str(), style)
}

/// "v1.2.0 a35cb3d", or "nothing" for a first deploy.
pub fn from_text(request: &Request) -> String {
    request
        .from
        .as_ref()
        .map_or("nothing".to_string(), |f| format!("{} {}", f.tag, crate::model::views::short_digest(&f.digest)))
}

/// "55m" until `request` expires, or "" once it is not pending.
fn time_left(model: &Model, request: &Request) -> String {
    if shown_state(request, model.world.now) != RequestState::Pending {
        return String::new();
    }
    short_age(model.world.now, request.expires_at)
}

/// The list's columns, most important kept first: where and how it stands, then what changes, who
/// asked and who decided, its time left and age, its number.
fn request_columns<'a>(model: &Model, theme: &Theme, rows: &[&Request]) -> Vec<Column<'a>> {
    let mut id = Column::new("id", 5, 3);
    let mut state = Column::new("state", 0, 7);
    let mut target = Column::new("where", 0, 6).max(24);
    let mut change = Column::new("change", 1, 9).max(34);
    let mut asked = Column::new("asked", 2, 5).max(12);
    let mut age = Column::new("age", 4, 3);
    let mut left = Column::new("left", 3, 4);
    let mut decided = Column::new("decided", 2, 5).max(12);
    for r in rows {
        id.push(vec![Line::styled(format!("#{}", r.id), theme.dim)]);
        let (word, style) = state_word(theme, shown_state(r, model.world.now));
        state.push(vec![Line::styled(word, style)]);
        target.push(vec![Line::from(r.subject())]);
        let from = r.from.as_ref().map_or("none", |f| f.tag.as_str());
        change.push(vec![Line::from(format!("{from} -> {}", r.to.tag)), Line::from(format!("-> {}", r.to.tag))]);
        asked.push(vec![Line::from(r.requested_by.clone())]);
        age.push(vec![Line::styled(short_age(r.created_at, model.world.now), theme.dim)]);
        left.push(vec![Line::styled(time_left(model, r), theme.text)]);
        decided.push(vec![Line::from(r.decided_by.clone().unwrap_or_default())]);
    }
    vec![id, state, target, change, asked, decided, left, age]
}

/// The selected request in full: what it runs, who asked and why, and where it stands (with the
/// keys that apply to this user). Wrapped by the caller.
fn detail<'a>(model: &Model, theme: &Theme, r: &Request) -> Vec<Line<'a>> {
    let to = format!("{} {}", r.to.tag, crate::model::views::short_digest(&r.to.digest));
    let what = format!("{} {}: {} -> {to} on {}", r.kind, r.subject(), from_text(r), r.hosts.join(", "));
    let asked = Line::from(vec![
        Span::styled(
            format!("asked by {} {} ago: ", r.requested_by, short_age(r.created_at, model.world.now)),
            theme.dim,
        ),
        Span::styled(r.reason.clone(), theme.text),
    ]);
    vec![
        Line::from(vec![Span::styled(format!("#{} ", r.id), theme.dim), Span::styled(what, theme.text)]),
        asked,
        standing(model, theme, r),
    ]
}

/// Where `r` stands, for this user: who it waits for and until when (and `a`/`x` when they may
/// use them), or who decided it and how it ended.
fn standing<'a>(model: &Model, theme: &Theme, r: &Request) -> Line<'a> {
    let state = shown_state(r, model.world.now);
    let (word, style) = state_word(theme, state);
    let by = r.decided_by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
    let ago = r.decided_at.map(|t| format!(" {} ago", short_age(t, model.world.now))).unwrap_or_default();
    let why = r.decision_reason.as_ref().filter(|w| !w.is_empty()).map(|w| format!(": {w}")).unwrap_or_default();
    let action = r.action_id.map(|a| format!("action #{}", a.0));
    match state {
        RequestState::Pending => {
            let deciders = model
                .world
                .config
                .environment(&r.env)
                .map(|e| opsdeck_core::approvals::deciders(e, &r.requested_by))
                .unwrap_or_default();
            let until = format!(
                "waiting for {} until {} UTC ({} left)",
                deciders.join(", "),
                r.expires_at.format("%H:%M"),
                short_age(model.world.now, r.expires_at)
            );
            let mut spans = vec![Span::styled(until, theme.notice)];
            // Named by the keys the keymap binds now, not the defaults.
            let (approve, reject) = (model.keymap.label(Action::Approve), model.keymap.label(Action::Reject));
            let keys: Vec<(&str, &str)> = if r.requested_by == model.world.user {
                vec![(reject, " withdraws it")]
            } else if deciders.iter().any(|d| d == &model.world.user) {
                vec![(approve, " approve"), (reject, " reject")]
            } else {
                Vec::new()
            };
            for (key, what) in keys {
                spans.push(Span::styled(" · ", theme.dim));
                spans.push(Span::styled(key.to_string(), theme.key));
                spans.push(Span::styled(what, theme.text));
            }
            Line::from(spans)
        }
        RequestState::Expired => {
            Line::styled(format!("expired at {} UTC, undecided", r.expires_at.format("%H:%M")), theme.dim)
        }
        // Approved, then how its action went.
        RequestState::Approved => {
            let running = action.map(|a| format!(" · running as {a}")).unwrap_or_else(|| " · starting".into());
            Line::styled(format!("approved{by}{ago}{running}"), style)
        }
        RequestState::Done | RequestState::Failed => {
            let action = action.unwrap_or_else(|| "its action".into());
            Line::from(vec![
                Span::styled(format!("approved{by}{ago} · "), theme.text),
                Span::styled(format!("{action} {word}{why}"), style),
            ])
        }
        _ => Line::styled(format!("{word}{by}{ago}{why}"), style),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pane;
    use crate::test_support::gen_approvals_model;
    use crate::ui::tests::{find, pane, screen};
    use insta::assert_snapshot;

    fn focused(row: usize) -> Model {
        let mut m = gen_approvals_model();
        m.ui.focus = Pane::Approvals;
        m.ui.approval_row = row;
        m
    }

    /// Full screen 80x24, Approvals focused in the bottom-right slot: carol's pending prod
    /// promote selected (bob is at the keyboard: he may approve it), decided requests under it.
    #[test]
    fn approvals_pending_80x24() {
        assert_snapshot!(screen(&focused(0), 80, 24));
    }

    /// Full screen 160x48: Approvals under Actions in the third column, the pending one selected.
    #[test]
    fn approvals_pending_160x48() {
        assert_snapshot!(screen(&focused(0), 160, 48));
    }

    /// Full screen 80x24, a rejected request selected: who rejected it, when and why.
    #[test]
    fn approvals_decided_80x24() {
        assert_snapshot!(screen(&focused(2), 80, 24));
    }

    /// Full screen 160x48, the request whose action ran selected: approved by bob, done.
    #[test]
    fn approvals_decided_160x48() {
        assert_snapshot!(screen(&focused(1), 160, 48));
    }

    /// The pane alone, nothing read yet and then no requests at all.
    #[test]
    fn approvals_empty() {
        let mut m = crate::test_support::gen_demo_model();
        assert!(pane(&m, 60, 5, render, false).to_string().contains(super::super::common::PENDING));
        m.world.approvals.loaded = true;
        assert_snapshot!(pane(&m, 70, 5, render, false));
    }

    /// Colour: pending asks for attention, done is ok, rejected warn.
    #[test]
    fn approvals_state_styles() {
        let theme = Theme::default();
        let backend = pane(&focused(0), 120, 20, render, true);
        for (row, style) in
            [("pending  api/prod", theme.notice), ("done     web/prod", theme.ok), ("rejected api/prod", theme.warn)]
        {
            let (x, y) = find(backend.buffer(), row).unwrap_or_else(|| panic!("no {row}:\n{backend}"));
            assert_eq!(backend.buffer()[(x, y)].fg, style.fg.unwrap_or_default(), "{row}");
        }
    }

    /// The requester is offered withdrawal, an approver approval, anyone else nothing.
    #[test]
    fn the_keys_offered_follow_who_is_looking() {
        let text = |user: &str| {
            let mut m = focused(0);
            m.world.user = user.into();
            pane(&m, 120, 20, render, true).to_string()
        };
        assert!(text("bob").contains("a approve · x reject"));
        assert!(text("carol").contains("x withdraws it"));
        let other = text("mallory");
        assert!(!other.contains("a approve") && !other.contains("withdraws"), "{other}");
        // Rebound keys are the ones offered.
        let mut m = focused(0);
        m.world.user = "bob".into();
        m.keymap = crate::keymap::gen_keymap("approve = \"ctrl-a\"\nreject = \"ctrl-r\"");
        let rebound = pane(&m, 120, 20, render, true).to_string();
        assert!(rebound.contains("Ctrl-a approve · Ctrl-r reject"), "{rebound}");
    }
}
