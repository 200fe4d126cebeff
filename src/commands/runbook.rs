//! `opsdeck runbook list | show | run`: the runbooks of the config's folders, headless.

use opsdeck_core::config::Config;
use opsdeck_core::runbook::run::{execute, prepare, PreparedStep, StepContext};
use opsdeck_core::runbook::session::Session;
use opsdeck_core::runbook::{load_all, Runbook, StepBlock};
use opsdeck_core::text::clean;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every runbook, then every file that failed (exit code 1 if one did); as one JSON document on
/// stdout with `json`.
pub fn list(config: &Config, json: bool) -> ExitCode {
    let catalog = load_all(&config.runbooks);
    if json {
        let code = if catalog.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        return print_json(&super::runbook_json::list(&catalog)).unwrap_or(code);
    }
    if catalog.runbooks.is_empty() && catalog.errors.is_empty() {
        let folders: Vec<String> = config.runbooks.iter().map(|p| p.display().to_string()).collect();
        out!("no runbooks in {}", folders.join(", "));
        return ExitCode::SUCCESS;
    }
    let width = catalog.runbooks.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    if !catalog.runbooks.is_empty() {
        out!("{:width$}  STEPS  ALERTS / SUMMARY", "NAME");
    }
    for rb in &catalog.runbooks {
        let alerts: Vec<&str> = rb.alerts.iter().map(|a| a.source.as_str()).collect();
        out!("{:width$}  {:>5}  {}", rb.name, rb.steps.len(), clean(&alerts.join(" | ")));
        out!("{:width$}         {}", "", clean(&rb.summary));
    }
    if catalog.errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    out!("\nnot usable ({}):", catalog.errors.len());
    for e in &catalog.errors {
        out!("  {}", clean(&e.to_string()));
    }
    ExitCode::FAILURE
}

/// One runbook's steps, with exactly what each runs; as one JSON document on stdout with `json`.
pub fn show(config: &Config, name: &str, json: bool) -> ExitCode {
    let catalog = load_all(&config.runbooks);
    let Some(rb) = catalog.get(name) else {
        return not_found(&catalog, name);
    };
    if json {
        return print_json(&super::runbook_json::show(rb)).unwrap_or(ExitCode::SUCCESS);
    }
    print!("{}", opsdeck_core::text::printable(&show_text(rb)));
    ExitCode::SUCCESS
}

/// The text `show` prints (cleaned: a runbook file is outside text).
pub fn show_text(rb: &Runbook) -> String {
    let mut out = String::new();
    let title = rb.title.as_deref().unwrap_or(&rb.name);
    out.push_str(&format!("{} ({})\n{}\n", clean(title), rb.name, clean(&rb.summary)));
    let alerts: Vec<&str> = rb.alerts.iter().map(|a| a.source.as_str()).collect();
    out.push_str(&format!("answers: {}\nfile: {}\n", clean(&alerts.join(" | ")), rb.path.display()));
    for (i, step) in rb.steps.iter().enumerate() {
        out.push_str(&format!("\n{}. {} [{}]\n", i + 1, clean(&step.title), step.block.kind()));
        for line in step.prose.lines() {
            out.push_str(&format!("   {}\n", clean(line)));
        }
        if !matches!(step.block, StepBlock::Manual) {
            for line in step.block.describe().lines() {
                out.push_str(&format!("   > {}\n", clean(line)));
            }
        }
    }
    out
}

/// Prints `value` as one line of JSON, escaped for a terminal as `audit --json` is (a runbook
/// file is outside text); `Some(exit code)` when it could not be.
fn print_json(value: &impl serde::Serialize) -> Option<ExitCode> {
    match super::audit_json::to_safe_string(value) {
        Ok(s) => {
            out!("{s}");
            None
        }
        Err(e) => {
            err!("opsdeck: cannot write JSON: {e}");
            Some(ExitCode::FAILURE)
        }
    }
}

pub(crate) fn not_found(catalog: &opsdeck_core::runbook::Catalog, name: &str) -> ExitCode {
    let names: Vec<&str> = catalog.runbooks.iter().map(|r| r.name.as_str()).collect();
    err!("opsdeck: no runbook named `{}` (have: {})", clean(name), names.join(", "));
    for e in &catalog.errors {
        err!("opsdeck: {}", clean(&e.to_string()));
    }
    ExitCode::FAILURE
}

/// `opsdeck runbook run`: each step shown, confirmed (unless `--yes`), run with its output on
/// stdout, recorded. Exit code 0 when every step is done, 1 when a step failed, 3 when a step was
/// not confirmed (progress is kept: the next run resumes there).
pub async fn run(
    config: Arc<Config>,
    user: String,
    name: &str,
    yes: bool,
    from_step: Option<usize>,
    labels: &[String],
) -> ExitCode {
    let catalog = load_all(&config.runbooks);
    let Some(rb) = catalog.get(name).cloned() else {
        return not_found(&catalog, name);
    };
    let labels = match opsdeck_core::runbook::run::parse_labels(labels) {
        Ok(l) => l,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let session = Session {
        alert: Session::key_for_labels(&labels),
        runbook: rb.clone(),
        labels: labels.clone(),
        user: user.clone(),
        state_path: config.state_path.clone(),
    };
    let total = rb.steps.len();
    let start = match from_step {
        Some(n) if n == 0 || n > total => {
            err!("opsdeck: --from-step {n}: {} has steps 1 to {total}", rb.name);
            return ExitCode::from(EXIT_USAGE);
        }
        Some(n) => session.restart_at(n - 1).map(|_| n - 1),
        None => session.next_step().and_then(|n| if n == 0 { session.restart_at(0).map(|_| 0) } else { Ok(n) }),
    };
    let start = match start {
        Ok(s) => s,
        Err(e) => {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
    };
    if start > 0 && from_step.is_none() {
        out!("{}: resuming at step {} of {total}", rb.name, start + 1);
    }
    let cancel = CancellationToken::new();
    crate::commands::action::spawn_cancel_on_signals(&cancel);
    let secrets = Arc::new(opsdeck_core::secrets::Secrets::from_config(&config));
    for i in start..total {
        let step = &rb.steps[i];
        out!("\n== step {}/{total}: {} [{}]", i + 1, clean(&step.title), step.block.kind());
        for line in step.prose.lines() {
            out!("   {}", clean(line));
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let ctx = StepContext {
            config: config.clone(),
            user: user.clone(),
            runbook: rb.name.clone(),
            step: i,
            labels: labels.clone(),
            secrets: secrets.clone(),
            cancel: cancel.clone(),
            lines: tx,
        };
        let prepared = match prepare(&ctx, &step.block).await {
            Ok(p) => p,
            Err(e) => {
                let report = opsdeck_core::runbook::run::failed(&e);
                let _ = session.record_start(i, &step.block.describe());
                let _ = session.record_end(i, &report);
                err!("opsdeck: step {}: {}", i + 1, report.summary);
                return ExitCode::FAILURE;
            }
        };
        let what = secrets.mask_owned(prepared.what());
        for line in what.lines() {
            out!("   > {}", clean(line));
        }
        if !yes {
            match ask(&prepared, &config) {
                Answer::Run => {}
                Answer::Skip(reason) => {
                    match session.record_skip(i, &reason) {
                        Ok(_) => out!("-- step {} skipped: {}", i + 1, clean(&reason)),
                        Err(e) => {
                            err!("opsdeck: {e}");
                            return ExitCode::FAILURE;
                        }
                    }
                    continue;
                }
                Answer::Stop(why) => {
                    err!(
                        "opsdeck: {why}; progress kept: the next `opsdeck runbook run {}` starts at step {}",
                        rb.name,
                        i + 1
                    );
                    return ExitCode::from(super::action::EXIT_REFUSED);
                }
            }
        }
        if let Err(e) = session.record_start(i, &what) {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
        let printer = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                out!("   | {line}");
            }
        });
        let report = execute(&ctx, &prepared).await;
        drop(ctx);
        let _ = printer.await;
        let dropped = report.output.dropped;
        let more = if dropped > 0 { format!(", {dropped} lines not kept") } else { String::new() };
        out!(
            "-- step {} {}: {} ({}{more})",
            i + 1,
            report.outcome.as_str(),
            clean(&report.summary),
            humantime::format_duration(std::time::Duration::from_millis(report.duration.as_millis() as u64))
        );
        if let Some(refused) =
            opsdeck_core::log::LogFile::for_config(&config, &user).line(&session.log_line(i, &report))
        {
            err!("opsdeck: {refused}");
        }
        if let Err(e) = session.record_end(i, &report) {
            err!("opsdeck: {e}");
            return ExitCode::FAILURE;
        }
        if !report.outcome.moves_on() {
            err!("opsdeck: step {} {}: the next run starts at it again", i + 1, report.outcome.as_str());
            return ExitCode::FAILURE;
        }
    }
    out!("\n{}: all {total} steps done", rb.name);
    ExitCode::SUCCESS
}

/// Exit code for a bad flag value.
const EXIT_USAGE: u8 = 2;

enum Answer {
    Run,
    Skip(String),
    Stop(String),
}

/// Asks on the terminal: y (run / done), s (skip, then why), anything else stops. Where the keys
/// would ask for the environment's name, that is what must be typed.
fn ask(prepared: &PreparedStep, config: &Config) -> Answer {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Answer::Stop("not a terminal: pass --yes to run the steps".into());
    }
    let typed = prepared.typed_confirmation(config);
    match (&typed, prepared) {
        (Some(env), _) => eprint!("{env} requires approval: type its name to run, s to skip: "),
        (None, PreparedStep::Manual) => eprint!("done? [y = done, s = skip, N = stop] "),
        (None, _) => eprint!("run it? [y = run, s = skip, N = stop] "),
    }
    let _ = std::io::stderr().flush();
    let read = |stdin: &std::io::Stdin| {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map(|_| line.trim().to_string()).unwrap_or_default()
    };
    let answer = read(&stdin);
    if answer == "s" {
        eprint!("why skip it? ");
        let _ = std::io::stderr().flush();
        let reason = read(&stdin);
        if reason.is_empty() {
            return Answer::Stop("a skip needs a reason".into());
        }
        return Answer::Skip(reason);
    }
    let ok = match &typed {
        Some(env) => answer == *env,
        None => matches!(answer.as_str(), "y" | "Y" | "yes"),
    };
    if ok {
        Answer::Run
    } else {
        Answer::Stop("not confirmed".into())
    }
}
