//! The confirmation a destructive key opens, drawn over the panes: it names exactly what will
//! happen (environment, service, from and to images with their digests, slots, hosts, whether the
//! idle slot is reused or an image pulled and created, the watch) before anything does, and on an
//! environment that requires approval it asks for the environment's name to be typed and, where the
//! action needs another person's approval, for a reason: Enter then files a request.

use super::common::{centered, text_width};
use crate::model::actions::{Confirm, RequestDraft};
use crate::theme::Theme;
use opsdeck_core::actions::{ActionKind, ActionPlan};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Widest the box gets: it must fit 80 columns with a margin, and stay readable on wide screens.
const MAX_WIDTH: u16 = 76;

/// Width of the fact names ("environment", "service", ...) and the gap after them.
const LABEL: usize = 13;

pub fn render(confirm: &Confirm, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = MAX_WIDTH.min(area.width);
    // Borders and one column of padding each side.
    let lines = lines(confirm, theme, usize::from(width.saturating_sub(4)));
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    let title = confirm.plan.kind.title();
    let request = if confirm.request.is_some() { ": request approval" } else { "" };
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(format!(" {title} {}{request} ", confirm.plan.subject()), theme.focus_title))
        .padding(Padding::horizontal(1));
    Paragraph::new(lines).block(block).render(rect, buf);
}

/// Everything the box says, in lines of at most `width` cells: the facts, then how to go on.
fn lines<'a>(confirm: &Confirm, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut lines = facts(&confirm.plan, theme, width, confirm.type_to_confirm.is_some());
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

/// One fact per name, its value wrapped under itself when it is long.
pub(super) fn facts<'a>(plan: &ActionPlan, theme: &Theme, width: usize, approval: bool) -> Vec<Line<'a>> {
    let from = match &plan.from {
        Some(f) => format!("{} {}", f.tag, f.short_digest()),
        None => "nothing".into(),
    };
    let hosts = plan.hosts.join(", ");
    let reapply = plan.kind == ActionKind::Reapply;
    let image = if reapply {
        format!("the {} slot runs {}: nothing is started, pulled or created", plan.to_slot, plan.to.tag)
    } else if plan.reuse_idle {
        format!("the idle {} slot already holds {}: start it, no pull, no create", plan.to_slot, plan.to.tag)
    } else {
        format!("pull {} on each host that lacks it, then create the {} slot from it", plan.to.tag, plan.to_slot)
    };
    let wait = humantime::format_duration(plan.timing.health_wait);
    let drain = humantime::format_duration(plan.timing.drain_wait);
    let traffic = if reapply {
        format!(
            "once {} is healthy (up to {wait}): HAProxy's {} server ready, {} drains (up to {drain}) and goes to maint",
            plan.to_slot, plan.to_slot, plan.from_slot
        )
    } else {
        format!(
            "once {} is healthy (up to {wait}): {} takes traffic, {} drains (up to {drain}) and stops, kept for rollback",
            plan.to_slot, plan.to_slot, plan.from_slot
        )
    };
    let watch = if reapply || plan.timing.watch.is_zero() {
        "none".to_string()
    } else {
        format!(
            "{} on {}; a failure switches traffic back to {}",
            humantime::format_duration(plan.timing.watch),
            plan.to_slot,
            plan.from_slot
        )
    };
    let env_style = if approval { theme.notice } else { theme.header };
    let env = if approval { format!("{} (requires approval)", plan.env) } else { plan.env.clone() };
    let mut rows: Vec<(&str, String, Style)> = vec![
        ("environment", env, env_style),
        ("service", plan.service.clone(), theme.header),
        ("from", format!("{from}  ({} slot, live now)", plan.from_slot), theme.text),
        ("to", format!("{} {}  ({} slot, idle now)", plan.to.tag, plan.to.short_digest(), plan.to_slot), theme.header),
        ("slots", format!("{} -> {}", plan.from_slot, plan.to_slot), theme.text),
        ("hosts", hosts, theme.text),
        ("image", image, theme.text),
        ("traffic", traffic, theme.text),
        ("watch", watch, theme.text),
    ];
    if plan.silences() {
        let what = format!("{}'s alerts in {} silenced while it runs, expired when it ends", plan.service, plan.env);
        rows.push(("alerts", what, theme.warn));
    }
    if plan.forced {
        rows.push(("gate", "forced open: it has not run healthy before (audited)".into(), theme.warn));
    }
    let mut out = Vec::new();
    for (name, value, style) in rows {
        for (i, part) in wrap(&value, width.saturating_sub(LABEL).max(8)).into_iter().enumerate() {
            let label = if i == 0 { name } else { "" };
            out.push(Line::from(vec![Span::styled(format!("{label:<LABEL$}"), theme.dim), Span::styled(part, style)]));
        }
    }
    out
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
            prod_request_reason(),
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
