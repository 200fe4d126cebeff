//! The overlays of an approval request, drawn over the panes: the approval view `a` opens (who
//! asked, why, until when, and exactly what approving will run: the confirmation's own facts,
//! planned again from the live state), and the reason `x` asks for before a rejection.

use super::common::{centered, fit_line, text_width};
use super::confirm::wrap;
use crate::model::approvals::{ApprovalView, RejectInput};
use crate::model::{short_age, Model};
use crate::theme::Theme;
use opsdeck_core::store::Request;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Widest the boxes get, as the confirmation: 80 columns with a margin.
const MAX_WIDTH: u16 = 76;

/// Width of the fact names and the gap after them (the confirmation's).
const LABEL: usize = 13;

pub fn render_approval(model: &Model, view: &ApprovalView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(request) = model.world.approvals.get(view.id) else { return };
    let width = MAX_WIDTH.min(area.width);
    let lines = approval_lines(model, view, request, theme, usize::from(width.saturating_sub(4)));
    let title = format!(" Approve request #{} · {} {} ", request.id, request.kind, request.subject());
    draw_box(title, lines, theme, area, width, buf);
}

pub fn render_reject(model: &Model, input: &RejectInput, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(request) = model.world.approvals.get(input.id) else { return };
    let width = MAX_WIDTH.min(area.width);
    let lines = reject_lines(model, input, request, theme, usize::from(width.saturating_sub(4)));
    let verb = if request.requested_by == model.world.user { "Withdraw" } else { "Reject" };
    let title = format!(" {verb} request #{} · {} {} ", request.id, request.kind, request.subject());
    draw_box(title, lines, theme, area, width, buf);
}

fn draw_box(title: String, lines: Vec<Line<'_>>, theme: &Theme, area: Rect, width: u16, buf: &mut Buffer) {
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(fit_line(Line::styled(title, theme.focus_title), usize::from(width.saturating_sub(2))))
        .padding(Padding::horizontal(1));
    Paragraph::new(lines).block(block).render(rect, buf);
}

/// Who asked, when and why, and until when it waits: the lines above the facts.
fn request_lines<'a>(model: &Model, request: &Request, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let asked = format!(
        "{}, {} ago ({} UTC)",
        request.requested_by,
        short_age(request.created_at, model.world.now),
        request.created_at.format("%H:%M")
    );
    let expires = format!(
        "in {} ({} UTC); then it lapses undecided",
        short_age(model.world.now, request.expires_at),
        request.expires_at.format("%H:%M")
    );
    let mut out = Vec::new();
    for (name, value, style) in [
        ("asked by", asked, theme.header),
        ("why", request.reason.clone(), theme.text),
        ("expires", expires, theme.text),
    ] {
        out.extend(fact(name, &value, style, theme, width));
    }
    out
}

/// One fact, its value wrapped under itself.
fn fact<'a>(name: &str, value: &str, style: Style, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    wrap(value, width.saturating_sub(LABEL).max(8))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let label = if i == 0 { name } else { "" };
            Line::from(vec![Span::styled(format!("{label:<LABEL$}"), theme.dim), Span::styled(part, style)])
        })
        .collect()
}

fn approval_lines<'a>(
    model: &Model,
    view: &ApprovalView,
    request: &Request,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'a>> {
    let mut lines = request_lines(model, request, theme, width);
    lines.extend(super::confirm_facts::facts(&view.plan, theme, width, false));
    if let Some(problem) = &view.problem {
        let text = format!("✗ it no longer matches {}: {problem}", request.env);
        lines.extend(wrap(&text, width).into_iter().map(|l| Line::styled(l, theme.crit)));
    } else if !view.live {
        lines.push(Line::styled("as the requester saw it: it cannot be planned from the live state now", theme.warn));
    }
    lines.push(Line::default());
    // "as bob" where the line has room for it: approving runs it in this process, as this user.
    let who = format!(", as {}", model.world.user);
    let go = match &view.problem {
        Some(_) => " approve: it is refused for good, not run".to_string(),
        None => " approve and run it now".to_string(),
    };
    let prompt = |go: String| {
        Line::from(vec![
            Span::styled("Enter", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("y", theme.key),
            Span::styled(go, theme.text),
            Span::styled(" · ", theme.dim),
            Span::styled("x", theme.key),
            Span::styled(" reject · ", theme.text),
            Span::styled("Esc", theme.key),
            Span::styled(" cancel", theme.text),
        ])
    };
    let with_who = prompt(format!("{go}{who}"));
    let line = if view.problem.is_none() && with_who.width() <= width { with_who } else { fit_line(prompt(go), width) };
    lines.push(line);
    lines
}

fn reject_lines<'a>(
    model: &Model,
    input: &RejectInput,
    request: &Request,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'a>> {
    let mut lines = request_lines(model, request, theme, width);
    let to = format!("{} {}", request.to.tag, crate::model::views::short_digest(&request.to.digest));
    let what = format!("{} -> {to} on {}", super::approvals::from_text(request), request.hosts.join(", "));
    lines.extend(fact("asks for", &what, theme.text, theme, width));
    lines.push(Line::default());
    let own = request.requested_by == model.world.user;
    let ask = if own {
        "why withdraw it? (required: it goes into the audit trail)"
    } else {
        "why reject it? (required: the requester and the audit trail read it)"
    };
    lines.push(Line::styled(ask, theme.notice));
    // The reason as an input line: its end stays in view as it grows.
    let room = width.saturating_sub(3);
    let shown: String = {
        let chars: Vec<char> = input.reason.chars().collect();
        let mut start = 0;
        while start < chars.len() && text_width(&chars[start..].iter().collect::<String>()) > room {
            start += 1;
        }
        chars[start..].iter().collect()
    };
    lines.push(Line::from(vec![
        Span::styled("> ", theme.key),
        Span::styled(shown, theme.header),
        Span::styled("█", theme.key),
    ]));
    let enter = if input.reason.trim().is_empty() { " rejects once a reason is typed · " } else { " rejects it · " };
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.key),
        Span::styled(enter, theme.text),
        Span::styled("Esc", theme.key),
        Span::styled(" cancel: it stays pending", theme.text),
    ]));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gen_approval_view_model, gen_reject_model};
    use crate::ui::tests::screen;
    use insta::assert_snapshot;

    /// Full screen 80x24: `a` on carol's pending prod promote, with alice at the keyboard: who
    /// asked and why, until when, then exactly what approving runs.
    #[test]
    fn approval_view_80x24() {
        assert_snapshot!(screen(&gen_approval_view_model(), 80, 24));
    }

    /// Full screen 160x48: the approval view.
    #[test]
    fn approval_view_160x48() {
        assert_snapshot!(screen(&gen_approval_view_model(), 160, 48));
    }

    /// Full screen 80x24: `x` on the same request, a reason half typed.
    #[test]
    fn reject_reason_80x24() {
        assert_snapshot!(screen(&gen_reject_model("not during the fr"), 80, 24));
    }

    /// Full screen 160x48: the reject reason input.
    #[test]
    fn reject_reason_160x48() {
        assert_snapshot!(screen(&gen_reject_model("not during the fr"), 160, 48));
    }

    /// At 80 columns the approval view is never cut and leaves the title and hint lines in view;
    /// it names every fact of the request.
    #[test]
    fn approval_view_is_never_cut_at_80_columns() {
        let m = gen_approval_view_model();
        let view = m.ui.approval().expect("view");
        let request = m.world.approvals.get(view.id).expect("request");
        let width = usize::from(MAX_WIDTH - 4);
        let lines = approval_lines(&m, view, request, &Theme::default(), width);
        for line in &lines {
            assert!(line.width() <= width && !line.to_string().contains('…'), "{line}");
        }
        assert!(lines.len() + 2 <= 22, "{} lines", lines.len());
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        for fact in ["carol", "release 1.3 with the login fix", "prod-1, prod-2", "v1.2.0", "v1.3.0", "in 55m"] {
            assert!(text.contains(fact), "{fact} missing:\n{text}");
        }
    }

    /// A request that no longer matches the environment says so, and what Enter will do then.
    #[test]
    fn a_stale_request_says_approving_refuses_it() {
        let mut m = gen_approval_view_model();
        if let Some(v) = m.ui.approval_mut() {
            v.problem = Some("someone else changed prod meanwhile".into());
        }
        let text = screen(&m, 80, 24).to_string();
        assert!(text.contains("✗ it no longer matches prod"), "{text}");
        assert!(text.contains("refused for good, not run"), "{text}");
    }
}
