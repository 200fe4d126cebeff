//! A runbook step's Markdown prose, rendered simply for the terminal: paragraphs wrapped to the
//! width, list items with bullets, inline code and emphasis styled, headings bold, code blocks
//! indented. Every piece of text is cleaned of control characters (a runbook file is outside text).

use super::common::wrap_line;
use crate::theme::Theme;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The prose as lines of at most `width` cells.
pub fn lines(markdown: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut styles: Vec<Style> = vec![theme.text];
    let mut depth = 0usize;
    let mut in_code_block = false;
    let flush = |spans: &mut Vec<Span<'static>>, out: &mut Vec<Line<'static>>, indent: usize| {
        if spans.is_empty() {
            return;
        }
        let pad = " ".repeat(indent);
        for (i, l) in wrap_line(Line::from(std::mem::take(spans)), width.saturating_sub(indent)).into_iter().enumerate()
        {
            let mut l = l;
            if indent > 0 {
                let lead = if i == 0 { pad.clone() } else { " ".repeat(indent) };
                l.spans.insert(0, Span::raw(lead));
            }
            out.push(l);
        }
    };
    let blank = |out: &mut Vec<Line<'static>>| {
        if out.last().is_some_and(|l| l.width() > 0) {
            out.push(Line::default());
        }
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        let style = *styles.last().unwrap_or(&theme.text);
        match event {
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => {
                flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
                if depth == 0 {
                    blank(&mut out);
                }
            }
            Event::Start(Tag::Heading { .. }) => styles.push(style.add_modifier(Modifier::BOLD)),
            Event::End(TagEnd::Heading(_)) => {
                styles.pop();
                flush(&mut spans, &mut out, 0);
            }
            Event::Start(Tag::List(_)) => {
                flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
                depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    blank(&mut out);
                }
            }
            Event::Start(Tag::Item) => {
                flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
                spans.push(Span::styled("• ", theme.dim));
            }
            Event::End(TagEnd::Item) => flush(&mut spans, &mut out, depth.saturating_sub(1) * 2),
            Event::Start(Tag::Emphasis) => styles.push(style.add_modifier(Modifier::ITALIC)),
            Event::Start(Tag::Strong) => styles.push(style.add_modifier(Modifier::BOLD)),
            Event::Start(Tag::Strikethrough) => styles.push(style.add_modifier(Modifier::CROSSED_OUT)),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
                styles.pop();
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
                in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                blank(&mut out);
            }
            Event::Text(t) if in_code_block => {
                for l in t.lines() {
                    let text = super::common::truncate(&format!("    {}", opsdeck_core::text::clean(l)), width);
                    out.push(Line::styled(text, theme.key));
                }
            }
            Event::Text(t) => push(&mut spans, opsdeck_core::text::clean(&t).into_owned(), style),
            Event::Code(t) => spans.push(Span::styled(opsdeck_core::text::clean(&t).into_owned(), theme.key)),
            Event::SoftBreak => push(&mut spans, " ".into(), style),
            Event::HardBreak => flush(&mut spans, &mut out, depth.saturating_sub(1) * 2),
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => {}
            _ => {}
        }
    }
    flush(&mut spans, &mut out, depth.saturating_sub(1) * 2);
    while out.last().is_some_and(|l| l.width() == 0) {
        out.pop();
    }
    out
}

/// Appends text, joined to the last span when it has the same style: the parser splits text at
/// characters like `[`, and a word must not break there when wrapped.
fn push(spans: &mut Vec<Span<'static>>, text: String, style: Style) {
    match spans.last_mut() {
        Some(last) if last.style == style => last.content = format!("{}{text}", last.content).into(),
        _ => spans.push(Span::styled(text, style)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(md: &str, width: usize) -> Vec<String> {
        lines(md, &Theme::default(), width).iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn paragraphs_lists_and_code_render_plainly() {
        let md =
            "First *para* with `code`\nwrapped.\n\n- one\n- two `x`\n  - nested\n\nThen:\n\n    SELECT 1;\n\nLast.";
        assert_eq!(
            text(md, 80),
            [
                "First para with code wrapped.",
                "",
                "• one",
                "• two x",
                "  • nested",
                "",
                "Then:",
                "",
                "    SELECT 1;",
                "",
                "Last."
            ]
        );
    }

    #[test]
    fn long_paragraphs_wrap_and_control_characters_go() {
        let out = text("aaaa bbbb cccc \u{1b}[2Jdddd", 10);
        assert_eq!(out, ["aaaa bbbb", "cccc", "[2Jdddd"]);
    }
}
