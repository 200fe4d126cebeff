//! Following a container's logs: Docker's stream of frames (stdout and stderr, each with its
//! timestamp) cut into lines. Frames are not lines: a line over 16 KiB comes as several frames,
//! and a frame may hold several lines. Lines over [`MAX_LINE`] bytes are cut, and the line says
//! how many bytes were cut; bytes that are not UTF-8 become U+FFFD. No cleaning here: what a
//! line may contain is the console's business.

use super::docker_error;
use crate::error::BackendResult;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use bollard::Docker;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

/// The longest line kept, in bytes; the rest of a longer line is counted, not kept.
pub const MAX_LINE: usize = 64 * 1024;

/// Which of the container's streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    Stdout,
    Stderr,
}

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// When Docker received it (the first frame's timestamp), if Docker said.
    pub at: Option<DateTime<Utc>>,
    pub source: LogSource,
    /// The line without its newline, lossily decoded, at most [`MAX_LINE`] bytes of it.
    pub text: String,
    /// How many bytes past [`MAX_LINE`] were cut off (0 when none).
    pub cut: usize,
}

/// Cuts one stream's frames into lines: it carries the part of a line whose end has not arrived
/// yet. A container needs one for stdout and one for stderr ([`SourceSplitters`]): a stderr line
/// can arrive between two frames of a long stdout line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
    cut: usize,
    at: Option<DateTime<Utc>>,
    source: Option<LogSource>,
    /// Part of a line is held (its frame had no newline): the next frame continues it.
    in_line: bool,
    /// Frames start with Docker's RFC 3339 timestamp and a space.
    timestamps: bool,
}

impl LineSplitter {
    pub fn new(timestamps: bool) -> LineSplitter {
        LineSplitter { timestamps, ..LineSplitter::default() }
    }

    /// Takes one frame; complete lines go to `out`.
    pub fn feed(&mut self, source: LogSource, frame: &[u8], out: &mut Vec<LogLine>) {
        let mut rest = frame;
        if self.timestamps {
            // Every frame carries a timestamp, a continued line's too: the line keeps its first.
            let (at, body) = split_timestamp(rest);
            if !self.in_line {
                self.at = at;
            }
            rest = body;
        }
        if !self.in_line {
            self.source = Some(source);
        }
        while !rest.is_empty() {
            self.in_line = true;
            match rest.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    self.push(&rest[..i]);
                    out.push(self.take());
                    rest = &rest[i + 1..];
                }
                None => {
                    self.push(rest);
                    rest = &[];
                }
            }
        }
    }

    /// The held part of a line, when the stream ends without its newline.
    pub fn finish(&mut self) -> Option<LogLine> {
        self.in_line.then(|| self.take())
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.buf.len());
        let keep = bytes.len().min(room);
        self.buf.extend_from_slice(&bytes[..keep]);
        self.cut += bytes.len() - keep;
    }

    fn take(&mut self) -> LogLine {
        let mut bytes = std::mem::take(&mut self.buf);
        if self.cut == 0 && bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            // A cut may have split a character: that is lossy too, as is anything not UTF-8.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let line = LogLine {
            at: self.at,
            source: self.source.unwrap_or(LogSource::Stdout),
            text,
            cut: std::mem::take(&mut self.cut),
        };
        self.in_line = false;
        line
    }
}

/// A [`LineSplitter`] for each of a container's streams.
#[derive(Debug)]
pub struct SourceSplitters {
    stdout: LineSplitter,
    stderr: LineSplitter,
}

impl SourceSplitters {
    pub fn new(timestamps: bool) -> SourceSplitters {
        SourceSplitters { stdout: LineSplitter::new(timestamps), stderr: LineSplitter::new(timestamps) }
    }

    pub fn feed(&mut self, source: LogSource, frame: &[u8], out: &mut Vec<LogLine>) {
        match source {
            LogSource::Stdout => self.stdout.feed(source, frame, out),
            LogSource::Stderr => self.stderr.feed(source, frame, out),
        }
    }

    /// The held parts of lines, when the stream ends.
    pub fn finish(&mut self) -> Vec<LogLine> {
        self.stdout.finish().into_iter().chain(self.stderr.finish()).collect()
    }
}

/// `2026-11-23T09:00:00.123456789Z rest` -> (the time, `rest`); no timestamp -> (None, all).
fn split_timestamp(frame: &[u8]) -> (Option<DateTime<Utc>>, &[u8]) {
    let head = &frame[..frame.len().min(40)];
    let Some(space) = head.iter().position(|b| *b == b' ') else { return (None, frame) };
    let parsed = std::str::from_utf8(&frame[..space])
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    match parsed {
        Some(at) => (Some(at), &frame[space + 1..]),
        None => (None, frame),
    }
}

/// Frames taken in one go when several are ready: a container printing thousands of lines a
/// second costs one batch per read, not one per line.
const READY_FRAMES: usize = 1024;

/// Where to start following a container's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Its last N lines.
    Tail(usize),
    /// Everything since this second (Docker's `since` counts whole seconds: lines of that second
    /// already seen come again, and the caller drops them by their timestamps).
    Since(DateTime<Utc>),
}

/// Follows `container`'s stdout and stderr from `start` on, with Docker's timestamps, as batches
/// of complete lines (whatever frames were ready at once; empty batches are skipped). The engine
/// must answer the request within the client's timeout (see [`connect`](super::connect)); after
/// that a quiet container is just quiet. The stream ends when the container stops, or with an
/// error when the engine goes away.
pub fn follow(
    docker: &Docker,
    container: &str,
    start: Start,
) -> impl Stream<Item = BackendResult<Vec<LogLine>>> + Send + 'static {
    lines_of(docker.clone().logs(container, Some(follow_options(start))))
}

/// What [`follow`] asks Docker for: both streams, timestamped, followed from `start` on (a Swarm
/// service's logs take the same).
pub(crate) fn follow_options(start: Start) -> LogsOptions {
    let (tail, since) = match start {
        Start::Tail(n) => (n.to_string(), 0),
        // Past 2038 Docker's API (an i32 here) cannot say it; everything is asked for instead.
        Start::Since(at) => ("all".to_string(), i32::try_from(at.timestamp()).unwrap_or(0)),
    };
    LogsOptions { follow: true, stdout: true, stderr: true, timestamps: true, tail, since, ..Default::default() }
}

/// Docker's timestamped log frames (a container's, or a Swarm service's) as batches of lines.
pub(crate) fn lines_of<S>(frames: S) -> impl Stream<Item = BackendResult<Vec<LogLine>>> + Send + 'static
where
    S: Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send + 'static,
{
    let frames = frames.ready_chunks(READY_FRAMES);
    let state = Follow { frames: Box::pin(frames), splitter: SourceSplitters::new(true), error: None, done: false };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(e) = st.error.take() {
                st.done = true;
                return Some((Err(e), st));
            }
            if st.done {
                return None;
            }
            let Some(chunk) = st.frames.next().await else {
                st.done = true;
                let last = st.splitter.finish();
                return (!last.is_empty()).then_some((Ok(last), st));
            };
            let mut lines = Vec::new();
            for frame in chunk {
                match frame {
                    Ok(LogOutput::StdErr { message }) => st.splitter.feed(LogSource::Stderr, &message, &mut lines),
                    Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                        st.splitter.feed(LogSource::Stdout, &message, &mut lines)
                    }
                    Ok(LogOutput::StdIn { .. }) => {}
                    Err(e) => {
                        // The lines before it first; the error next.
                        st.error = Some(docker_error(&e));
                        break;
                    }
                }
            }
            if !lines.is_empty() {
                return Some((Ok(lines), st));
            }
        }
    })
}

/// [`follow`]'s state between batches.
struct Follow<S> {
    frames: std::pin::Pin<Box<S>>,
    splitter: SourceSplitters,
    error: Option<crate::error::BackendError>,
    done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(frames: &[&[u8]], timestamps: bool) -> Vec<LogLine> {
        let mut s = LineSplitter::new(timestamps);
        let mut out = Vec::new();
        for f in frames {
            s.feed(LogSource::Stdout, f, &mut out);
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn frames_are_cut_into_lines() {
        let out = lines(&[b"one\ntwo\n", b"thr", b"ee\r\n", b"tail"], false);
        let texts: Vec<_> = out.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two", "three", "tail"]);
        assert!(out.iter().all(|l| l.cut == 0 && l.at.is_none()));
    }

    #[test]
    fn a_continued_line_keeps_its_first_timestamp_and_drops_the_others() {
        let out = lines(
            &[
                b"2026-11-23T09:00:00.000000001Z first half ",
                b"2026-11-23T09:00:01.5Z second half\n",
                b"2026-11-23T09:00:02Z next\n",
            ],
            true,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, "first half second half");
        assert_eq!(out[0].at.map(|t| t.timestamp()), Some(1_795_424_400));
        assert_eq!(out[1].text, "next");
        assert_eq!(out[1].at.map(|t| t.timestamp()), Some(1_795_424_402));
    }

    #[test]
    fn lines_over_64_kib_are_cut_and_say_by_how_much() {
        let big = vec![b'x'; 1024 * 1024];
        // In 16 KiB frames, as Docker sends a long line.
        let mut frames: Vec<&[u8]> = big.chunks(16 * 1024).collect();
        frames.push(b"\nafter\n");
        let out = lines(&frames, false);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text.len(), MAX_LINE);
        assert_eq!(out[0].cut, 1024 * 1024 - MAX_LINE);
        assert_eq!(out[1].text, "after");
        assert_eq!(out[1].cut, 0);
    }

    #[test]
    fn a_stderr_line_between_two_frames_of_a_stdout_line_leaves_it_whole() {
        // As Docker sends them: a long stdout line in timestamped parts, a stderr line between.
        let mut s = SourceSplitters::new(true);
        let mut out = Vec::new();
        s.feed(LogSource::Stdout, b"2026-11-23T09:00:00.1Z big AAAA", &mut out);
        s.feed(LogSource::Stderr, b"2026-11-23T09:00:00.2Z GET /logs/nasty 200 14ms\n", &mut out);
        s.feed(LogSource::Stdout, b"2026-11-23T09:00:00.1Z AAAA END\n", &mut out);
        s.feed(LogSource::Stderr, b"2026-11-23T09:00:00.3Z tail without newline", &mut out);
        out.extend(s.finish());
        let got: Vec<_> = out.iter().map(|l| (l.source, l.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (LogSource::Stderr, "GET /logs/nasty 200 14ms"),
                (LogSource::Stdout, "big AAAAAAAA END"),
                (LogSource::Stderr, "tail without newline"),
            ]
        );
    }

    #[test]
    fn invalid_utf8_and_nul_bytes_come_through_lossy_not_lost() {
        let out = lines(&[b"a\xff\xfeb\0c\n"], false);
        assert_eq!(out[0].text, "a\u{fffd}\u{fffd}b\0c");
    }

    #[test]
    fn frames_without_timestamps_are_kept_whole() {
        let out = lines(&[b"not-a-time rest\n"], true);
        assert_eq!(out[0].text, "not-a-time rest");
        assert!(out[0].at.is_none());
    }
}
