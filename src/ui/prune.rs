//! The prune overlay (`P` in the Images pane): the images pruning would delete, the question,
//! then how each deletion ended.

use super::common::{centered, truncate};
use super::silence::{boxed, key};
use crate::model::prune::{PrunePhase, PruneView};
use crate::theme::Theme;
use opsdeck_core::actions::prune::Pruned;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

/// Widest the box gets: it fits 80 columns with a margin.
const MAX_WIDTH: u16 = 76;

pub fn render(view: &PruneView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = MAX_WIDTH.min(area.width);
    let inner = usize::from(width.saturating_sub(4));
    let plan = &view.plan;
    let n = plan.images.len();
    let mut lines: Vec<Line<'_>> = Vec::new();
    let intro = match &view.phase {
        PrunePhase::Asking | PrunePhase::Running => {
            let repo = if plan.repository == plan.service {
                String::new()
            } else {
                format!(" (repository {})", plan.repository)
            };
            format!(
                "Delete {n} image{} of {} from the registry{repo}: every tag on each goes with it.",
                if n == 1 { "" } else { "s" },
                plan.service
            )
        }
        PrunePhase::Done(_) => format!("Pruning {} from the registry:", plan.service),
        PrunePhase::Refused(_) => format!("Nothing of {} was deleted:", plan.service),
    };
    lines.extend(super::confirm::wrap(&intro, inner).into_iter().map(|l| Line::styled(l, theme.header)));
    lines.push(Line::default());
    match &view.phase {
        PrunePhase::Done(done) => lines.extend(done.iter().map(|p| outcome(p, theme, inner))),
        PrunePhase::Refused(why) => {
            lines.extend(super::confirm::wrap(why, inner).into_iter().map(|l| Line::styled(l, theme.warn)))
        }
        PrunePhase::Asking | PrunePhase::Running => {
            for text in plan.lines() {
                lines.push(Line::styled(format!("  {}", truncate(&text, inner.saturating_sub(2))), theme.text));
            }
            lines.push(Line::default());
            let why = "Kept: the newest keep_images, and every image a container uses on any host. \
                       Before deleting, opsdeck takes the service's locks and reads the state again: \
                       an image in use by then stays.";
            lines.extend(super::confirm::wrap(why, inner).into_iter().map(|l| Line::styled(l, theme.dim)));
        }
    }
    lines.push(Line::default());
    lines.push(match &view.phase {
        PrunePhase::Asking => Line::from(vec![
            key("y", theme),
            Span::styled("/", theme.dim),
            key("Enter", theme),
            Span::styled(" deletes · any other key leaves", theme.text),
        ]),
        PrunePhase::Running => {
            Line::styled("deleting… (any key hides this; the status bar says how it ended)", theme.dim)
        }
        PrunePhase::Done(_) | PrunePhase::Refused(_) => Line::styled("any key closes", theme.dim),
    });
    let rect = centered(area, width, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    Paragraph::new(lines).block(boxed(format!(" Prune {} ", plan.service), theme)).render(rect, buf);
}

/// `✓ deleted api 666521e v1.0.0` or `✗ api 666521e v1.0.0: why`.
fn outcome<'a>(p: &Pruned, theme: &Theme, width: usize) -> Line<'a> {
    let short = p.digest.strip_prefix("sha256:").unwrap_or(&p.digest).chars().take(7).collect::<String>();
    let what = format!("{} {short} {}", p.service, p.tags.join(" "));
    match &p.error {
        None => Line::styled(truncate(&format!("✓ deleted {what}"), width), theme.ok),
        Some(e) => Line::styled(truncate(&format!("✗ {what}: {e}"), width), theme.crit),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::screen;
    use crate::model::prune::PrunePhase;
    use crate::test_support::gen_prune_model;
    use insta::assert_snapshot;
    use opsdeck_core::actions::prune::Pruned;

    fn done() -> PrunePhase {
        let m = gen_prune_model(PrunePhase::Asking);
        let plan = m.ui.prune().cloned().expect("view").plan;
        let im = &plan.images[0];
        PrunePhase::Done(vec![
            Pruned { service: "api".into(), digest: im.digest.clone(), tags: im.tags.clone(), error: None },
            Pruned {
                service: "api".into(),
                digest: "sha256:0123456789abcdef".into(),
                tags: vec!["v0.9.0".into()],
                error: Some("registry: 405 Method Not Allowed: deletes are disabled".into()),
            },
        ])
    }

    #[test]
    fn prune_asking_80x24() {
        assert_snapshot!(screen(&gen_prune_model(PrunePhase::Asking), 80, 24));
    }

    #[test]
    fn prune_asking_160x48() {
        assert_snapshot!(screen(&gen_prune_model(PrunePhase::Asking), 160, 48));
    }

    #[test]
    fn prune_done_80x24() {
        let text = screen(&gen_prune_model(done()), 80, 24).to_string();
        assert!(text.contains("✓ deleted api") && text.contains("✗ api 0123456 v0.9.0: registry: 405"), "{text}");
        assert_snapshot!(text);
    }

    #[test]
    fn prune_refused_160x48() {
        let m = gen_prune_model(PrunePhase::Refused("api/prod is locked by bob (promote api prod)".into()));
        assert_snapshot!(screen(&m, 160, 48));
    }
}
