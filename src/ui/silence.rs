//! The silence form `s` opens over the panes (the alert's labels as matchers to keep or drop,
//! the duration, the required comment, the author), and the "silence during the action" line of
//! the promote/rollback confirmation.

use super::common::{centered, fit_line};
use crate::model::silence::{FormField, SilenceForm};
use crate::model::Model;
use crate::theme::Theme;
use opsdeck_core::actions::ActionPlan;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};

/// Widest the boxes get: they fit 80 columns with a margin.
const MAX_WIDTH: u16 = 76;
/// Width of the field names and the gap after them.
const LABEL: usize = 11;

pub(super) fn boxed<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.focus_border)
        .title(Line::styled(title, theme.focus_title))
        .padding(Padding::horizontal(1))
}

pub(super) fn key<'a>(k: &'a str, theme: &Theme) -> Span<'a> {
    Span::styled(k, theme.key)
}

/// The line the promote/rollback confirmation shows when Alertmanager is configured: whether the
/// service's alerts in the environment are silenced while the action runs, and the key.
pub fn confirm_toggle<'a>(plan: &ActionPlan, on: bool, typing: bool, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let k = if typing { "Alt-s" } else { "s" };
    let (mark, style) = if on { ("[x]", theme.warn) } else { ("[ ]", theme.dim) };
    let text = format!("{mark} silence {}'s alerts in {} during the action ({k})", plan.service, plan.env);
    vec![fit_line(
        Line::from(vec![Span::styled(format!("{:<LABEL$}  ", "alerts"), theme.dim), Span::styled(text, style)]),
        width,
    )]
}

/// The silence form, centred over `area`.
pub fn render_form(model: &Model, form: &SilenceForm, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = MAX_WIDTH.min(area.width);
    let inner_width = usize::from(width.saturating_sub(4));
    // Fixed lines: matchers head, duration, comment, author, ends, blank, error, keys; borders.
    let fixed = 8 + 2;
    let room = usize::from(area.height).saturating_sub(fixed).max(1);
    let lines = form_lines(model, form, theme, inner_width, room);
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    let block = boxed(format!(" Silence {} ", form.alert), theme);
    Paragraph::new(lines).block(block).render(rect, buf);
}

fn form_lines<'a>(model: &Model, form: &SilenceForm, theme: &Theme, width: usize, room: usize) -> Vec<Line<'a>> {
    let on = |f: FormField| form.field == f;
    let label = |name: &str, f: FormField| {
        let style = if on(f) { theme.key } else { theme.dim };
        Span::styled(format!("{name:<LABEL$}"), style)
    };
    let mut out = vec![Line::from(vec![
        label("matchers", FormField::Matchers),
        Span::styled("Space keeps or drops a label; alertname stays", theme.dim),
    ])];
    // The labels, in a window around the selected one.
    let n = form.labels.len();
    let start = form.label_row.saturating_sub(room.saturating_sub(1)).min(n.saturating_sub(room));
    for (i, l) in form.labels.iter().enumerate().skip(start).take(room) {
        let pointer = if on(FormField::Matchers) && i == form.label_row { "> " } else { "  " };
        let (mark, style) = if l.keep { ("[x] ", theme.header) } else { ("[ ] ", theme.dim) };
        let line = Line::from(vec![
            Span::raw(" ".repeat(LABEL)),
            Span::styled(pointer, theme.key),
            Span::styled(mark, style),
            Span::styled(format!("{}={}", l.name, l.value), if l.keep { theme.text } else { theme.dim }),
        ]);
        out.push(fit_line(line, width));
    }
    let cursor = |f: FormField| Span::styled(if on(f) { "█" } else { "" }, theme.key);
    let duration_note = match form.parsed_duration() {
        Ok(_) => Span::styled("   e.g. 30m, 2h, 1d", theme.dim),
        Err(_) => Span::styled("   ✗ not a duration", theme.crit),
    };
    out.push(Line::from(vec![
        label("duration", FormField::Duration),
        Span::styled("> ", theme.key),
        Span::styled(form.duration.clone(), theme.header),
        cursor(FormField::Duration),
        duration_note,
    ]));
    let room = width.saturating_sub(LABEL + 3);
    let comment: String = {
        let chars: Vec<char> = form.comment.chars().collect();
        chars[chars.len().saturating_sub(room)..].iter().collect()
    };
    let mut comment_line = vec![
        label("comment", FormField::Comment),
        Span::styled("> ", theme.key),
        Span::styled(comment, theme.header),
        cursor(FormField::Comment),
    ];
    if form.comment.trim().is_empty() {
        comment_line.push(Span::styled("   required: why", theme.dim));
    }
    out.push(fit_line(Line::from(comment_line), width));
    out.push(Line::from(vec![
        Span::styled(format!("{:<LABEL$}", "author"), theme.dim),
        Span::styled(model.world.user.clone(), theme.text),
    ]));
    let ends = match form.parsed_duration() {
        Ok(d) => {
            let at = model.world.now + chrono::Duration::from_std(d).unwrap_or_default();
            format!("{} (in {})", at.format("%Y-%m-%d %H:%M UTC"), humantime::format_duration(d))
        }
        Err(_) => "-".into(),
    };
    out.push(Line::from(vec![Span::styled(format!("{:<LABEL$}", "ends"), theme.dim), Span::styled(ends, theme.text)]));
    out.push(Line::default());
    if let Some(e) = &form.error {
        out.push(fit_line(Line::styled(format!("✗ {e}"), theme.crit), width));
    }
    out.push(fit_line(
        Line::from(vec![
            key("Enter", theme),
            Span::styled(" silences · ", theme.text),
            key("Tab", theme),
            Span::styled(" next field · ", theme.text),
            key("Esc", theme),
            Span::styled(" cancels", theme.text),
        ]),
        width,
    ));
    out
}

/// Style of a silence's state word.
pub fn state_style(theme: &Theme, state: &str) -> Style {
    match state {
        "active" => theme.warn,
        "pending" => theme.text,
        _ => theme.dim,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{find, screen};
    use crate::model::actions::AbortConfirm;
    use crate::model::Pane;
    use crate::test_support::{
        gen_confirm, gen_demo_model, gen_drain_model, gen_silence_form_model, gen_silences_model,
    };
    use insta::assert_snapshot;
    use opsdeck_core::actions::ActionKind;

    /// The silence form on HighErrorRate: severity dropped, a comment typed, 80x24.
    #[test]
    fn silence_form_80x24() {
        assert_snapshot!(screen(&gen_silence_form_model(), 80, 24));
    }

    /// The same form at 160x48.
    #[test]
    fn silence_form_160x48() {
        assert_snapshot!(screen(&gen_silence_form_model(), 160, 48));
    }

    /// The form says what Enter refused.
    #[test]
    fn silence_form_with_an_error_80x24() {
        let mut m = gen_silence_form_model();
        if let Some(f) = m.ui.silence_form_mut() {
            f.comment.clear();
            f.error = Some("a comment is required: say why (the next on-call reads it)".into());
        }
        let b = screen(&m, 80, 24);
        assert!(find(b.buffer(), "✗ a comment is required").is_some());
        assert_snapshot!(b);
    }

    /// The silences list: two active, one pending, one expired; 80x24.
    #[test]
    fn silences_list_80x24() {
        assert_snapshot!(screen(&gen_silences_model(), 80, 24));
    }

    /// The silences list at 160x48.
    #[test]
    fn silences_list_160x48() {
        assert_snapshot!(screen(&gen_silences_model(), 160, 48));
    }

    /// Alertmanager down: the list keeps what it last heard and says why, for how long.
    #[test]
    fn silences_list_says_when_alertmanager_is_down() {
        let mut m = gen_silences_model();
        m.world.silences.reach = crate::model::Reach::Down {
            reason: "no answer within 3s".into(),
            since: m.world.now - chrono::Duration::seconds(42),
        };
        let b = screen(&m, 80, 24);
        assert!(find(b.buffer(), "alertmanager: no answer within 3s (42s)").is_some());
        assert!(find(b.buffer(), "rolling api back").is_some(), "last known silences kept");
    }

    /// The list asking before it expires the selected silence.
    #[test]
    fn silences_list_expire_confirmation_80x24() {
        let mut m = gen_silences_model();
        m.ui.silences.confirm_expire = Some("3f0c7a52-9d1e-4b8a-a6f1-2c4b8e9d0a11".into());
        let b = screen(&m, 80, 24);
        assert!(find(b.buffer(), "expire silence 3f0c7a52").is_some());
        assert_snapshot!(b);
    }

    /// The drain view in the Actions pane: blue's sessions 12 -> 3, 80x24.
    #[test]
    fn drain_view_80x24() {
        let mut m = gen_drain_model();
        m.ui.focus = Pane::Actions;
        let b = screen(&m, 80, 24);
        assert!(find(b.buffer(), "draining blue: 12 → 3 sessions (3.1 s)").is_some());
        assert_snapshot!(b);
    }

    /// The drain view at 160x48.
    #[test]
    fn drain_view_160x48() {
        let mut m = gen_drain_model();
        m.ui.focus = Pane::Actions;
        let b = screen(&m, 160, 48);
        assert!(find(b.buffer(), "draining blue: 12 → 3 sessions (3.1 s)").is_some());
        assert_snapshot!(b);
    }

    /// Once the old slot is stopped the drain is history and `C` no longer goes back: no view.
    #[test]
    fn drain_view_goes_once_the_old_slot_is_stopped() {
        use crate::test_support::{gen_journal_entry, gen_plan, GenRun};
        let mut m = gen_drain_model();
        m.ui.focus = Pane::Actions;
        let plan = gen_plan(ActionKind::Rollback, "api", "prod").with_silence();
        let stop =
            plan.steps.iter().position(|s| matches!(s, opsdeck_core::actions::Step::StopOld { .. })).expect("stop");
        m.world.actions.recent[0] = gen_journal_entry(14, &plan, "alice", m.world.now, GenRun::Running { done: stop });
        assert!(find(screen(&m, 80, 24).buffer(), "draining blue").is_none());
    }

    /// The confirmation `C` opens while the drain runs.
    #[test]
    fn abort_confirmation_80x24() {
        let mut m = gen_drain_model();
        m.ui.focus = Pane::Actions;
        m.ui.set_abort(Some(AbortConfirm {
            id: 14,
            service: "api".into(),
            env: "prod".into(),
            question: "abort prod api rollback and switch traffic back to blue?".into(),
        }));
        assert_snapshot!(screen(&m, 80, 24));
    }

    /// A plan that silences says so in its facts (the approval view shows them to the approver).
    #[test]
    fn a_silencing_plan_says_so_in_its_facts() {
        let plan = crate::test_support::gen_plan(ActionKind::Promote, "api", "prod").with_silence();
        let text: Vec<String> = super::super::confirm_facts::facts(&plan, &crate::theme::Theme::default(), 72, true)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(
            text.iter().any(|l| l.starts_with("alerts") && l.contains("api's alerts in prod silenced while it runs")),
            "{text:#?}"
        );
    }

    /// The rollback confirmation with "silence during the action" ticked.
    #[test]
    fn confirm_with_silence_80x24() {
        let mut m = gen_demo_model();
        let mut c = gen_confirm(ActionKind::Rollback, "api", "dev", "");
        c.silence = Some(true);
        m.ui.set_confirm(Some(c));
        let b = screen(&m, 80, 24);
        assert!(find(b.buffer(), "[x] silence api's alerts in dev during the action (s)").is_some());
        assert_snapshot!(b);
    }
}
