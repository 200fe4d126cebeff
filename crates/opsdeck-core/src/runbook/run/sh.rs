//! A `sh` step: `sh -c COMMAND` with no terminal input, in its own process group (so a timeout or
//! a cancel kills everything it started, not just the shell), the alert's labels in
//! `OPSDECK_ALERT_<LABEL>` variables (never pasted into the command), output line by line.

use super::{label_var, LineSink, OutputTail, StepContext, StepOutcome, StepReport};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// From SIGTERM to SIGKILL for the step's process group.
const KILL_GRACE: Duration = Duration::from_secs(1);
/// How long output still in the pipes is read after the step ended.
const DRAIN: Duration = Duration::from_secs(1);
/// The longest output line kept, as for container logs: the rest of it is counted, not held.
pub const MAX_LINE: usize = 64 * 1024;
/// Lines read but not yet shown; a reader waits when it is full, so memory stays bounded.
const PENDING_LINES: usize = 256;

pub async fn run(ctx: &StepContext, command: &str, timeout: Duration) -> StepReport {
    let started = Instant::now();
    let mut sink = LineSink::new(ctx);
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // Only this run's alert: never labels left in opsdeck's own environment.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OPSDECK_ALERT_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in &ctx.labels {
        cmd.env(label_var(k), v);
    }
    cmd.env("OPSDECK_RUNBOOK", &ctx.runbook).env("OPSDECK_USER", &ctx.user);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return report(StepOutcome::Failed, None, started, format!("cannot start sh: {e}"), sink.tail),
    };
    let Some(pgid) = child.id().and_then(|p| i32::try_from(p).ok()) else {
        return report(StepOutcome::Failed, None, started, "sh exited before it started".into(), sink.tail);
    };
    let (tx, mut rx) = mpsc::channel::<String>(PENDING_LINES);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_lines(out, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_lines(err, tx.clone()));
    }
    drop(tx);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let ended = loop {
        tokio::select! {
            Some(line) = rx.recv() => sink.line(&line),
            status = child.wait() => break Ok(status),
            _ = &mut deadline => break Err(StepOutcome::TimedOut),
            _ = ctx.cancel.cancelled() => break Err(StepOutcome::Cancelled),
        }
    };
    // Whatever happened, nothing the step started outlives it.
    if ended.is_err() {
        kill_group(pgid, libc::SIGTERM);
        let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
    }
    kill_group(pgid, libc::SIGKILL);
    let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
    let _ = tokio::time::timeout(DRAIN, async {
        while let Some(line) = rx.recv().await {
            sink.line(&line);
        }
    })
    .await;
    match ended {
        Ok(Ok(status)) => {
            let code = status.code();
            let (outcome, summary) = match code {
                Some(0) => (StepOutcome::Succeeded, "exit 0".to_string()),
                Some(c) => (StepOutcome::Failed, format!("exit {c}")),
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    (StepOutcome::Failed, format!("killed by signal {}", status.signal().unwrap_or(0)))
                }
            };
            report(outcome, code, started, summary, sink.tail)
        }
        Ok(Err(e)) => report(StepOutcome::Failed, None, started, format!("waiting for sh: {e}"), sink.tail),
        Err(StepOutcome::TimedOut) => report(
            StepOutcome::TimedOut,
            None,
            started,
            format!("timed out after {}: process group killed", humantime::format_duration(timeout)),
            sink.tail,
        ),
        Err(other) => report(other, None, started, "cancelled: process group killed".into(), sink.tail),
    }
}

fn report(outcome: StepOutcome, code: Option<i32>, started: Instant, summary: String, tail: OutputTail) -> StepReport {
    StepReport { outcome, exit_code: code, duration: started.elapsed(), summary, output: tail }
}

fn kill_group(pgid: i32, signal: i32) {
    // SAFETY: killpg only sends a signal; a group that is already gone gives ESRCH, ignored.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Sends each line (bytes up to `\n`, invalid UTF-8 replaced) until end of file.
async fn read_lines(stream: impl AsyncRead + Unpin, tx: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stream);
    while let Some(line) = next_line(&mut reader).await {
        if tx.send(line).await.is_err() {
            return;
        }
    }
}

/// The next line, at most [`MAX_LINE`] bytes of it kept (a cut line ends saying how much went);
/// `None` at end of file. A line with no end never holds more than that in memory.
async fn next_line(reader: &mut (impl AsyncBufRead + Unpin)) -> Option<String> {
    let mut line = Vec::new();
    let mut cut = 0usize;
    let mut read_any = false;
    loop {
        let chunk = match reader.fill_buf().await {
            Ok(c) if !c.is_empty() => c,
            _ => break,
        };
        read_any = true;
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let keep = part.len().min(MAX_LINE.saturating_sub(line.len()));
        line.extend_from_slice(&part[..keep]);
        cut += part.len() - keep;
        let used = newline.map_or(part.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if !read_any {
        return None;
    }
    let mut text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
    if cut > 0 {
        text.push_str(&format!(" … ({cut} more bytes cut)"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::super::StepContext;
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn ctx(labels: &[(&str, &str)]) -> (StepContext, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let ctx = StepContext {
            config: crate::testing::gen_config(),
            user: "ann".into(),
            runbook: "rb".into(),
            step: 0,
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            secrets: Arc::new(crate::secrets::Secrets::new(["s3cr3t"])),
            cancel: tokio_util::sync::CancellationToken::new(),
            lines: tx,
        };
        (ctx, rx)
    }

    #[tokio::test]
    async fn output_streams_line_by_line_before_the_step_ends() {
        let (ctx, mut rx) = ctx(&[]);
        let task = tokio::spawn(async move {
            run(
                &ctx,
                "echo first; sleep 1; echo second >&2; echo s3cr3t; printf '\\033[2Jend'",
                Duration::from_secs(10),
            )
            .await
        });
        let first = tokio::time::timeout(Duration::from_millis(900), rx.recv()).await;
        assert_eq!(first.expect("the first line arrives while the step still sleeps"), Some("first".into()));
        assert!(!task.is_finished());
        let report = task.await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Succeeded);
        assert_eq!(report.exit_code, Some(0));
        assert_eq!(report.output.lines, ["first", "second", "••••", "[2Jend"]);
        assert!(report.duration >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_failing_command_reports_its_exit_status() {
        let (ctx, _rx) = ctx(&[]);
        let report = run(&ctx, "echo nope; exit 7", Duration::from_secs(5)).await;
        assert_eq!(
            (report.outcome, report.exit_code, report.summary.as_str()),
            (StepOutcome::Failed, Some(7), "exit 7")
        );
    }

    #[tokio::test]
    async fn the_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let (ctx, _rx) = ctx(&[]);
        // A grandchild in the background, and a shell that ignores SIGTERM: both must go.
        let command = format!("trap '' TERM; sleep 300 & echo $! > {}; echo started; wait", pidfile.display());
        let t = Instant::now();
        let report = run(&ctx, &command, Duration::from_millis(500)).await;
        assert_eq!(report.outcome, StepOutcome::TimedOut, "{report:?}");
        assert!(report.summary.contains("timed out after 500ms"), "{}", report.summary);
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // The grandchild is gone (or a zombie about to be reaped by init): signal 0 fails, or
        // /proc says Z.
        let mut gone = false;
        for _ in 0..50 {
            let alive = unsafe { libc::kill(pid, 0) } == 0;
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
                .unwrap_or(true);
            if !alive || zombie {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "sleep {pid} survived the step's timeout");
    }

    #[tokio::test]
    async fn cancel_kills_the_group_too() {
        let (ctx, _rx) = ctx(&[]);
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.cancel();
        });
        let report = run(&ctx, "sleep 300", Duration::from_secs(60)).await;
        assert_eq!(report.outcome, StepOutcome::Cancelled);
        assert!(report.duration < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_label_value_stays_text_and_is_never_run() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pwned");
        let evil = format!("$(touch {}); `touch {}`", target.display(), target.display());
        let (ctx, _rx) = ctx(&[("service", &evil), ("weird-label.name", "x")]);
        let report = run(
            &ctx,
            "echo \"svc=$OPSDECK_ALERT_SERVICE\"; echo \"$OPSDECK_ALERT_WEIRD_LABEL_NAME\"",
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(report.outcome, StepOutcome::Succeeded);
        assert_eq!(report.output.lines[0], format!("svc={evil}"));
        assert_eq!(report.output.lines[1], "x");
        assert!(!target.exists(), "the label's command substitution ran");
        // And the literal one from the issue.
        let pwned = std::path::Path::new("/tmp/pwned");
        if !pwned.exists() {
            let (ctx, _rx) = self::ctx(&[("service", "$(touch /tmp/pwned)")]);
            let report =
                run(&ctx, "echo $OPSDECK_ALERT_SERVICE; echo \"$OPSDECK_ALERT_SERVICE\"", Duration::from_secs(5)).await;
            assert_eq!(report.output.lines, ["$(touch /tmp/pwned)", "$(touch /tmp/pwned)"]);
            assert!(!pwned.exists(), "/tmp/pwned was created");
        }
    }

    #[tokio::test]
    async fn no_terminal_input() {
        let (ctx, _rx) = ctx(&[]);
        let report = run(&ctx, "cat; echo read-done", Duration::from_secs(5)).await;
        assert_eq!(report.outcome, StepOutcome::Succeeded);
        assert_eq!(report.output.lines, ["read-done"]);
    }

    #[tokio::test]
    async fn a_line_is_read_at_most_64_kib_at_a_time() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\r\nafter\nlast");
        let mut reader = BufReader::with_capacity(8192, input.as_slice());
        let first = next_line(&mut reader).await.expect("a first line");
        assert!(first.starts_with(&"x".repeat(MAX_LINE)) && !first.starts_with(&"x".repeat(MAX_LINE + 1)));
        assert!(first.ends_with(&format!(" … ({} more bytes cut)", 300_000 - MAX_LINE + 1)), "{}", &first[MAX_LINE..]);
        assert_eq!(next_line(&mut reader).await.as_deref(), Some("after"));
        assert_eq!(next_line(&mut reader).await.as_deref(), Some("last"));
        assert_eq!(next_line(&mut reader).await, None);
    }

    #[tokio::test]
    async fn a_huge_line_from_a_step_is_shown_cut_and_the_next_lines_follow() {
        let (ctx, _rx) = ctx(&[]);
        let report =
            run(&ctx, "head -c 300000 /dev/zero | tr '\\0' x; echo; echo after", Duration::from_secs(10)).await;
        assert_eq!(report.outcome, StepOutcome::Succeeded, "{}", report.summary);
        let lines: Vec<&String> = report.output.lines.iter().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("xxxx") && lines[0].ends_with('…') && lines[0].len() < MAX_LINE);
        assert_eq!(lines[1].as_str(), "after");
    }

    #[tokio::test]
    async fn a_flood_of_output_keeps_only_the_tail() {
        let (ctx, _rx) = ctx(&[]);
        let report = run(&ctx, "seq 1 5000", Duration::from_secs(10)).await;
        assert_eq!(report.output.lines.len(), super::super::OUTPUT_LINES);
        assert_eq!(report.output.dropped, 5000 - super::super::OUTPUT_LINES as u64);
        assert_eq!(report.output.lines.back().map(String::as_str), Some("5000"));
    }
}
