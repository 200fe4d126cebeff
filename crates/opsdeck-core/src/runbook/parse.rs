//! The runbook format: YAML front matter (`name`, `summary`, `alerts`, optional `timeout`), an
//! optional `#` title, then one step per `##` heading with its prose and at most one fenced block.
//! Parsed with pulldown-cmark (its YAML-style metadata block option finds the front matter) and
//! serde-saphyr (the YAML). Every error names the file's line.

use super::block::{parse_block, parse_timeout, shorten};
use super::{AlertMatcher, Runbook, Step, StepBlock, DEFAULT_STEP_TIMEOUT};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, MetadataBlockKind, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A runbook is a page a person reads; a file larger than this is a mistake, not a runbook.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Why a file is not a runbook: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    name: String,
    summary: String,
    #[serde(default)]
    alerts: Vec<String>,
    /// Default timeout of this runbook's `sh` and `http` steps, e.g. `2m`.
    timeout: Option<String>,
}

struct StepDraft {
    title: String,
    line: usize,
    /// From the end of the heading to the start of the next `##` (or the end of the file).
    body: Range<usize>,
    block: Option<(String, String, Range<usize>, usize)>,
}

/// Parses `text`, the content of the file at `path` (used in errors and kept in the runbook).
pub fn parse(path: &Path, text: &str) -> Result<Runbook, ParseError> {
    let lines = LineIndex::new(text);
    let err = |line: usize, message: String| ParseError { path: path.to_path_buf(), line, message };
    if text.len() > MAX_FILE_BYTES {
        return Err(err(1, format!("{} bytes: a runbook is at most {} bytes", text.len(), MAX_FILE_BYTES)));
    }
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut front: Option<(String, usize)> = None;
    let mut in_meta = false;
    let mut title: Option<String> = None;
    let mut intro_end = text.len();
    let mut intro_start = 0;
    let mut steps: Vec<StepDraft> = Vec::new();
    // The heading being read: its level, start offset and text so far.
    let mut heading: Option<(HeadingLevel, usize, String)> = None;
    let mut code: Option<(String, usize, String)> = None;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) => {
                in_meta = true;
                front = Some((String::new(), lines.line(range.start) + 1));
            }
            Event::End(TagEnd::MetadataBlock(_)) => {
                in_meta = false;
                intro_start = range.end;
            }
            Event::Text(t) if in_meta => {
                if let Some((s, _)) = front.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, range.start, String::new())),
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, start, words)) = heading.take() else { continue };
                let line = lines.line(start);
                if words.chars().any(|c| c.is_control() && c != '\t') {
                    return Err(err(line, "the heading holds control characters".into()));
                }
                let words = words.trim().to_string();
                match level {
                    HeadingLevel::H1 if title.is_none() && steps.is_empty() => {
                        title = Some(words);
                        intro_start = range.end;
                    }
                    HeadingLevel::H2 => {
                        if words.is_empty() {
                            return Err(err(line, "a step's `##` heading is empty".into()));
                        }
                        if let Some(last) = steps.last_mut() {
                            last.body.end = start;
                        } else {
                            intro_end = start;
                        }
                        steps.push(StepDraft { title: words, line, body: range.end..text.len(), block: None });
                    }
                    _ => {}
                }
            }
            Event::Text(t) | Event::Code(t) if heading.is_some() => {
                if let Some((_, _, words)) = heading.as_mut() {
                    words.push_str(&t);
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                code = Some((info.to_string(), range.start, String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, _, body)) = code.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((info, start, body)) = code.take() else { continue };
                let line = lines.line(start);
                let Some(step) = steps.last_mut() else {
                    return Err(err(
                        line,
                        "a fenced block before the first step: blocks belong under a `##` heading".into(),
                    ));
                };
                if step.block.is_some() {
                    return Err(err(
                        line,
                        format!("step \"{}\" has a second block: one block per step", shorten(&step.title)),
                    ));
                }
                step.block = Some((info, body, range, line));
            }
            _ => {}
        }
    }
    let Some((yaml, yaml_line)) = front else {
        return Err(err(
            1,
            "no front matter: the file starts with a `---` line, then `name:`, `summary:` and `alerts:`, then `---`"
                .into(),
        ));
    };
    let fm: FrontMatter = serde_saphyr::from_str(&yaml).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize).unwrap_or(1).max(1);
        let message = e.without_snippet().to_string();
        let first = message.lines().next().unwrap_or("not YAML").trim();
        // The location inside the YAML is already turned into the file's line.
        let first = first.rfind(" at line ").map(|i| &first[..i]).unwrap_or(first);
        err(yaml_line + line - 1, format!("front matter: {}", shorten_long(first)))
    })?;
    if fm.name.is_empty() || !fm.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(err(
            yaml_line,
            format!("front matter: name `{}` is letters, digits, `-`, `_` and `.`", shorten(&fm.name)),
        ));
    }
    if fm.summary.trim().is_empty() {
        return Err(err(yaml_line, "front matter: `summary` is empty".into()));
    }
    let default_timeout = match &fm.timeout {
        Some(t) => parse_timeout(t).map_err(|e| err(yaml_line, format!("front matter: {e}")))?,
        None => DEFAULT_STEP_TIMEOUT,
    };
    let alerts = fm
        .alerts
        .iter()
        .map(|a| AlertMatcher::parse(a).map_err(|e| err(yaml_line, format!("front matter: alerts: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if steps.is_empty() {
        return Err(err(lines.count(), "no steps: each `##` heading is a step".into()));
    }
    let steps = steps
        .into_iter()
        .map(|d| {
            let (block, prose) = match d.block {
                None => (StepBlock::Manual, text[d.body.clone()].trim().to_string()),
                Some((info, body, range, line)) => {
                    let block = parse_block(&info, &body, default_timeout).map_err(|e| err(line, e))?;
                    let before = &text[d.body.start..range.start.max(d.body.start)];
                    let after = &text[range.end.min(d.body.end)..d.body.end];
                    (block, format!("{}\n\n{}", before.trim(), after.trim()).trim().to_string())
                }
            };
            Ok(Step { title: d.title, prose, block, line: d.line })
        })
        .collect::<Result<Vec<_>, ParseError>>()?;
    let intro = text.get(intro_start..intro_end).unwrap_or("").trim().to_string();
    Ok(Runbook { name: fm.name, summary: fm.summary, alerts, path: path.to_path_buf(), title, intro, steps })
}

fn shorten_long(s: &str) -> String {
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        crate::text::clean(s).into_owned()
    }
}

/// Byte offset to 1-based line.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests;
