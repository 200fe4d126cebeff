//! The top line: the product, who is at the keyboard, and whether each outside system answers
//! ("registry ✓  haproxy ✓  alertmanager ✗ 42s  docker ✗ prod-2 42s"), shortened to fit.

use super::common::{fit_line, PENDING};
use crate::model::{short_age, Model, Reach};
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use opsdeck_core::text::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// One system's state as the title line shows it.
enum Seen {
    Up,
    Pending,
    /// Down since `since`; `which` names the failing parts when the system has several
    /// (the environment of a HAProxy, the host of a Docker engine).
    Down {
        which: Vec<String>,
        since: DateTime<Utc>,
    },
    /// Not configured.
    Off,
}

struct System {
    label: &'static str,
    short: &'static str,
    seen: Seen,
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    line(model, theme, area.width).render(area, buf);
}

fn line<'a>(model: &Model, theme: &Theme, width: u16) -> Line<'a> {
    let systems = systems(model);
    let width = width as usize;
    // From most to least roomy; the first that fits is drawn.
    let candidates = [(true, true, "  "), (true, false, "  "), (true, false, " "), (false, false, " ")];
    let mut last = Line::default();
    for (user, long, sep) in candidates {
        let mut spans = vec![Span::styled(" opsdeck", theme.brand)];
        spans.extend(env_tag(model, theme).into_iter().flatten());
        if user {
            spans.push(Span::styled(" · ", theme.dim));
            spans.push(Span::styled(model.world.user.clone(), theme.text));
        }
        spans.push(Span::styled(" │", theme.dim));
        for (i, s) in systems.iter().enumerate() {
            spans.push(Span::raw(if i == 0 { " " } else { sep }));
            spans.extend(system_spans(model, theme, s, long));
        }
        let candidate = Line::from(spans);
        if candidate.width() <= width {
            let clock = format!("{} UTC ", model.world.now.format("%H:%M:%S"));
            let room = width - candidate.width();
            let mut line = candidate;
            if room > clock.len() + 2 {
                line.spans.push(Span::raw(" ".repeat(room - clock.len())));
                line.spans.push(Span::styled(clock, theme.dim));
            }
            return line;
        }
        last = candidate;
    }
    fit_line(last, width)
}

/// The selected environment's name in its colour, when it has one: where keys will act, in the
/// colour the operator gave it ("prod" in red), before anything else on the line.
fn env_tag<'a>(model: &Model, theme: &Theme) -> Option<[Span<'a>; 2]> {
    let env = model.selected_env()?;
    let color = model.env_color(env)?;
    Some([Span::raw(" "), Span::styled(format!(" {} ", clean(env)), theme.env_tag(Some(color)))])
}

fn system_spans<'a>(model: &Model, theme: &Theme, system: &System, long: bool) -> Vec<Span<'a>> {
    let label = if long { system.label } else { system.short };
    let mut spans = vec![Span::styled(format!("{label} "), theme.text)];
    match &system.seen {
        Seen::Up => spans.push(Span::styled("✓", theme.ok)),
        Seen::Pending => spans.push(Span::styled(PENDING, theme.dim)),
        Seen::Off => spans.push(Span::styled("off", theme.dim)),
        Seen::Down { which, since } => {
            let mut text = "✗".to_string();
            if let Some(first) = which.first() {
                text.push(' ');
                text.push_str(first);
                if which.len() > 1 {
                    text.push_str(&format!(" +{}", which.len() - 1));
                }
            }
            text.push(' ');
            text.push_str(&short_age(*since, model.world.now));
            spans.push(Span::styled(text, theme.warn));
        }
    }
    spans
}

fn systems(model: &Model) -> Vec<System> {
    let registry = seen_one(&model.world.registry.reach);
    let haproxy = seen_many(model.world.lbs.iter().map(|(env, lb)| (env.clone(), &lb.reach)));
    let alertmanager = if model.world.alerts.configured { seen_one(&model.world.alerts.reach) } else { Seen::Off };
    let docker = seen_many(model.world.hosts.iter().map(|(id, h)| (id.host.clone(), &h.reach)));
    vec![
        System { label: "registry", short: "reg", seen: registry },
        System { label: "haproxy", short: "lb", seen: haproxy },
        System { label: "alertmanager", short: "am", seen: alertmanager },
        System { label: "docker", short: "dkr", seen: docker },
    ]
}

fn seen_one(reach: &Reach) -> Seen {
    match reach {
        Reach::Up { .. } => Seen::Up,
        Reach::Pending => Seen::Pending,
        Reach::Down { since, .. } => Seen::Down { which: Vec::new(), since: *since },
    }
}

/// Several instances of one system (a HAProxy per environment, a Docker engine per host): down
/// if any is down (naming them, since the earliest failure), pending if any has not answered.
fn seen_many<'a>(parts: impl Iterator<Item = (String, &'a Reach)>) -> Seen {
    let mut which = Vec::new();
    let mut since: Option<DateTime<Utc>> = None;
    let mut pending = false;
    let mut any = false;
    for (name, reach) in parts {
        any = true;
        match reach {
            Reach::Down { since: s, .. } => {
                which.push(name);
                since = Some(since.map_or(*s, |t| t.min(*s)));
            }
            Reach::Pending => pending = true,
            Reach::Up { .. } => {}
        }
    }
    match since {
        Some(since) => Seen::Down { which, since },
        None if pending || !any => Seen::Pending,
        None => Seen::Up,
    }
}
