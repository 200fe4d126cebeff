//! The confirmation a destructive key opens, drawn over the panes: it names exactly what will
//! happen (environment, service, from and to images with their digests, slots, hosts, whether the
//! idle slot is reused or an image pulled and created, the watch) before anything does, and on an
//! environment that requires approval it asks for the environment's name to be typed and, where the
//! action needs another person's approval, for a reason: Enter then files a request.

use super::common::{centered, text_width};
use super::hits::{buttons, Button};
use crate::model::actions::{Confirm, RequestDraft};
use crate::theme::Theme;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Widest the box gets: it must fit 80 columns with a margin, and stay readable on wide screens.
const MAX_WIDTH: u16 = 76;

/// Draws the box; returns where its Enter and Esc hints are, which a click presses.
pub fn render(confirm: &Confirm, theme: &Theme, area: Rect, buf: &mut Buffer) -> Vec<Button> {
    let width = MAX_WIDTH.min(area.width);
    // Borders and one column of padding each side.
    let lines = lines(confirm, theme, usize::from(width.saturating_sub(4)));
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    // The hints are the last line, inside the border and the padding.
    let last = rect.y + lines.len() as u16;
    let buttons = match lines.last() {
        Some(line) if last + 1 < rect.bottom() => buttons(line, rect.x + 2, last, rect.width.saturating_sub(4)),
        _ => Vec::new(),
    };
    let title = confirm.plan.kind.title();
    let request = if confirm.request.is_some() { ": request approval" } else { "" };
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(format!(" {title} {}{request} ", confirm.plan.subject()), theme.focus_title))
        .padding(Padding::horizontal(1));
    Paragraph::new(lines).block(block).render(rect, buf);
    buttons
}

/// Everything the box says, in lines of at most `width` cells: the facts, then how to go on.
fn lines<'a>(confirm: &Confirm, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut lines = super::confirm_facts::facts(&confirm.plan, theme, width, confirm.type_to_confirm.is_some());
    if let Some(on) = confirm.silence {
        lines.extend(super::silence::confirm_toggle(
            &confirm.plan,
            on,
            confirm.type_to_confirm.is_some() || confirm.request.is_some(),
            theme,
            width,
        ));
    }
    lines.push(Line::default());
    match &confirm.request {
        Some(draft) => lines.extend(request_prompt(confirm, draft, theme, width)),
        None => lines.extend(prompt(confirm, theme)),
    }
    lines
}

/// The last lines: how to go on. With approval required, the name to type, what has been typed
/// (with a cursor) and whether it matches.
fn prompt<'a>(confirm: &Confirm, theme: &Theme) -> Vec<Line<'a>> {
    let Some(name) = &confirm.type_to_confirm else {
        return vec![Line::from(vec![
            Span::styled("Enter", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("y", theme.key),
            Span::styled(" to run · ", theme.text),
            Span::styled("Esc", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("n", theme.key),
            Span::styled(" to cancel", theme.text),
        ])];
    };
    let typed = &confirm.typed;
    let (verdict, style) = if confirm.is_satisfied() {
        ("✓ matches".to_string(), theme.ok)
    } else if name.starts_with(typed.as_str()) {
        (format!("{} of {} letters", typed.chars().count(), name.chars().count()), theme.dim)
    } else {
        (format!("✗ does not match {name}"), theme.crit)
    };
    let enter = if confirm.is_satisfied() { " to run · " } else { " runs once it matches · " };
    vec![
        Line::from(vec![
            Span::styled(format!("{name} requires approval: type "), theme.notice),
            Span::styled(name.clone(), theme.notice.add_modifier(ratatui::style::Modifier::UNDERLINED)),
            Span::styled(" to confirm", theme.notice),
        ]),
        Line::from(vec![
            Span::styled("> ", theme.key),
            Span::styled(typed.clone(), theme.header),
            Span::styled("█", theme.key),
            Span::raw("   "),
            Span::styled(verdict, style),
        ]),
        Line::from(vec![
            Span::styled("Enter", theme.key),
            Span::styled(enter, theme.text),
            Span::styled("Esc", theme.key),
            Span::styled(" to cancel", theme.text),
        ]),
    ]
}

/// The last lines when Enter files a request: who will be asked, the name to type and the reason,
/// each with a cursor when keys go to it, and how to go on.
fn request_prompt<'a>(confirm: &Confirm, draft: &RequestDraft, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let name = confirm.type_to_confirm.clone().unwrap_or_default();
    let who = match draft.deciders.as_slice() {
        [] => "an approver".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    let name_label = format!("type {name}");
    let label_width = text_width(&name_label).max(3);
    let cursor = |on: bool| Span::styled(if on { "█" } else { " " }, theme.key);
    let (verdict, verdict_style) = if confirm.name_matches() {
        ("✓ matches".to_string(), theme.ok)
    } else if name.starts_with(confirm.typed.as_str()) {
        (format!("{} of {} letters", confirm.typed.chars().count(), name.chars().count()), theme.dim)
    } else {
        (format!("✗ does not match {name}"), theme.crit)
    };
    let label_style = |on: bool| if on { theme.key } else { theme.dim };
    // The reason as an input line: its end stays in view as it grows.
    let room = width.saturating_sub(label_width + 4);
    let reason = tail(&draft.reason, room);
    let reason_note = if draft.reason.trim().is_empty() {
        Span::styled("   required: a short reason for the approvers", theme.dim)
    } else {
        Span::raw("")
    };
    let enter = if confirm.is_satisfied() { " files the request · " } else { " files it once both are filled · " };
    vec![
        Line::from(vec![Span::styled(
            format!("{name} requires approval: this files a request for {who} to approve"),
            theme.notice,
        )]),
        Line::from(vec![
            Span::styled(format!("{name_label:<label_width$} > "), label_style(!draft.on_reason)),
            Span::styled(confirm.typed.clone(), theme.header),
            cursor(!draft.on_reason),
            Span::raw("  "),
            Span::styled(verdict, verdict_style),
        ]),
        Line::from(vec![
            Span::styled(format!("{:<label_width$} > ", "why"), label_style(draft.on_reason)),
            Span::styled(reason, theme.header),
            cursor(draft.on_reason),
            reason_note,
        ]),
        Line::from(vec![
            Span::styled("Tab", theme.key),
            Span::styled(" next field · ", theme.text),
            Span::styled("Enter", theme.key),
            Span::styled(enter, theme.text),
            Span::styled("Esc", theme.key),
            Span::styled(" cancels", theme.text),
        ]),
    ]
}

/// The end of `text` that fits `width` cells, after "…" when the start was cut.
fn tail(text: &str, width: usize) -> String {
    if text_width(text) <= width {
        return text.to_string();
    }
    let mut out: Vec<char> = Vec::new();
    let mut used = 1;
    let mut tmp = [0u8; 4];
    for c in text.chars().rev() {
        let w = text_width(c.encode_utf8(&mut tmp));
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    std::iter::once('…').chain(out.into_iter().rev()).collect()
}

/// `text` in lines of at most `width` cells, broken between words (a word longer than a line is
/// cut).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && text_width(&line) + sep + text_width(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter().map(|l| super::common::truncate(&l, width)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{gen_actions_model, gen_confirm};
    use crate::ui::tests::{find, screen};
    use insta::assert_snapshot;
    use opsdeck_core::actions::ActionKind;

    fn with_confirm(confirm: Confirm) -> crate::model::Model {
        let mut m = gen_actions_model();
        m.world.actions.recent.clear();
        m.world.actions.locks.clear();
        m.ui.set_confirm(Some(confirm));
        m
    }

    /// Full screen 80x24: `r` on api/staging, whose idle slot holds the previous release: a start
    /// and a switch, no typing needed.
    #[test]
    fn confirm_rollback_80x24() {
        let m = with_confirm(gen_confirm(ActionKind::Rollback, "api", "staging", ""));
        assert_snapshot!(screen(&m, 80, 24));
    }

    /// Full screen 160x48: the staging rollback confirmation.
    #[test]
    fn confirm_rollback_160x48() {
        let m = with_confirm(gen_confirm(ActionKind::Rollback, "api", "staging", ""));
        assert_snapshot!(screen(&m, 160, 48));
    }

    /// Full screen 80x24: `p` on api/prod, which requires approval: "pr" of "prod" typed.
    #[test]
    fn confirm_prod_promote_typing_80x24() {
        let m = with_confirm(gen_confirm(ActionKind::Promote, "api", "prod", "pr"));
        assert_snapshot!(screen(&m, 80, 24));
    }

    /// Full screen 160x48: the prod promote confirmation, "pr" typed.
    #[test]
    fn confirm_prod_promote_typing_160x48() {
        let m = with_confirm(gen_confirm(ActionKind::Promote, "api", "prod", "pr"));
        assert_snapshot!(screen(&m, 160, 48));
    }

    /// Full screen 80x24: `c` on api/prod: the ladder, each stage's hold and the gate a stage
    /// is judged by, "pr" of "prod" typed.
    #[test]
    fn confirm_prod_canary_80x24() {
        let m = with_confirm(gen_confirm(ActionKind::Canary, "api", "prod", "pr"));
        let text = screen(&m, 80, 24).to_string();
        assert!(text.contains("5 % › 25 % › 50 % › 100 %"), "{text}");
        assert_snapshot!(text);
    }

    /// Full screen 80x24: `r` on api/prod, which requires approval: a rollback to the release
    /// that ran before goes at once, as break-glass, and the confirmation says so.
    #[test]
    fn confirm_prod_break_glass_rollback_80x24() {
        let m = with_confirm(gen_confirm(ActionKind::Rollback, "api", "prod", "pr"));
        let confirm = m.ui.confirm().expect("open");
        assert!(confirm.plan.break_glass && confirm.request.is_none(), "no request: {confirm:?}");
        let text = screen(&m, 80, 24).to_string();
        assert!(text.contains("break-glass"), "{text}");
        assert_snapshot!(text);
    }

    /// `p` on api/prod, the name typed and Enter pressed: the reason being typed; Enter files the
    /// request for bob (alice is at the keyboard).
    fn prod_request_reason() -> Confirm {
        let mut c = gen_confirm(ActionKind::Promote, "api", "prod", "prod");
        if let Some(r) = c.request.as_mut() {
            r.reason = "release 1.3 with the login fix".into();
            r.on_reason = true;
        }
        c
    }

    /// Full screen 80x24: the prod promote's request, the reason being typed.
    #[test]
    fn confirm_prod_request_reason_80x24() {
        assert_snapshot!(screen(&with_confirm(prod_request_reason()), 80, 24));
    }

    /// Full screen 160x48: the prod promote's request, the reason being typed.
    #[test]
    fn confirm_prod_request_reason_160x48() {
        assert_snapshot!(screen(&with_confirm(prod_request_reason()), 160, 48));
    }

    /// A long reason keeps its end in view, after "…".
    #[test]
    fn a_long_reason_shows_its_end() {
        assert_eq!(tail("release 1.3 with the login fix", 10), "…login fix");
        assert_eq!(tail("short", 10), "short");
        let mut c = prod_request_reason();
        if let Some(r) = c.request.as_mut() {
            r.reason = "x".repeat(200) + " the end";
        }
        let lines = lines(&c, &Theme::default(), usize::from(MAX_WIDTH - 4));
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        assert!(text.contains("x the end█"), "{text}");
        assert!(lines.iter().all(|l| l.width() <= usize::from(MAX_WIDTH - 4)));
    }

    /// The prompt says whether what was typed matches, in colour too.
    #[test]
    fn confirm_typing_verdicts() {
        let theme = Theme::default();
        for (typed, text, style) in [("prod", "✓ matches", theme.ok), ("pod", "✗ does not match prod", theme.crit)]
        {
            let m = with_confirm(gen_confirm(ActionKind::Promote, "api", "prod", typed));
            let backend = screen(&m, 80, 24);
            let (x, y) = find(backend.buffer(), text).unwrap_or_else(|| panic!("{text} missing:\n{backend}"));
            assert_eq!(backend.buffer()[(x, y)].fg, style.fg.unwrap_or_default());
        }
    }

    /// At 80 columns nothing in the confirmation is cut short, and it leaves the title line and
    /// the hint bar in view.
    #[test]
    fn confirm_is_never_cut_at_80_columns() {
        let theme = Theme::default();
        let width = usize::from(MAX_WIDTH - 4);
        for confirm in [
            gen_confirm(ActionKind::Rollback, "api", "staging", ""),
            gen_confirm(ActionKind::Promote, "api", "prod", "pr"),
            gen_confirm(ActionKind::Canary, "api", "prod", "pr"),
            gen_confirm(ActionKind::Rollback, "api", "prod", "pr"),
            prod_request_reason(),
            {
                // As configured by default: the old slot stays warm for an hour.
                let mut c = prod_request_reason();
                c.plan.timing.keep_warm = std::time::Duration::from_secs(3600);
                c
            },
        ] {
            let lines = lines(&confirm, &theme, width);
            for line in &lines {
                assert!(line.width() <= width && !line.to_string().contains('…'), "{line}");
            }
            assert!(lines.len() + 2 <= 22, "{} lines", lines.len());
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let plan = &confirm.plan;
            let from = plan.from.as_ref().expect("something live");
            let to = &plan.to;
            for fact in [&*plan.env, &*plan.service, &*from.tag, from.short_digest(), &*to.tag, to.short_digest()] {
                assert!(text.contains(fact), "{fact} missing:\n{text}");
            }
        }
    }

    #[test]
    fn wrapping_breaks_between_words() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abc…"]);
        assert_eq!(wrap("", 4), vec![""]);
    }
}
