//! `opsdeck runbook list | show | run`: the runbooks of the config's folders, headless.

use crate::config::Config;
use crate::runbook::{load_all, Runbook, StepBlock};
use crate::text::clean;
use std::process::ExitCode;
use std::sync::Arc;

/// Every runbook, then every file that failed (exit code 1 if one did).
pub fn list(config: &Config) -> ExitCode {
    let catalog = load_all(&config.runbooks);
    if catalog.runbooks.is_empty() && catalog.errors.is_empty() {
        let folders: Vec<String> = config.runbooks.iter().map(|p| p.display().to_string()).collect();
        println!("no runbooks in {}", folders.join(", "));
        return ExitCode::SUCCESS;
    }
    let width = catalog.runbooks.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    if !catalog.runbooks.is_empty() {
        println!("{:width$}  STEPS  ALERTS / SUMMARY", "NAME");
    }
    for rb in &catalog.runbooks {
        let alerts: Vec<&str> = rb.alerts.iter().map(|a| a.source.as_str()).collect();
        println!("{:width$}  {:>5}  {}", rb.name, rb.steps.len(), clean(&alerts.join(" | ")));
        println!("{:width$}         {}", "", clean(&rb.summary));
    }
    if catalog.errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!("\nnot usable ({}):", catalog.errors.len());
    for e in &catalog.errors {
        println!("  {}", clean(&e.to_string()));
    }
    ExitCode::FAILURE
}

/// One runbook's steps, with exactly what each runs.
pub fn show(config: &Config, name: &str) -> ExitCode {
    let catalog = load_all(&config.runbooks);
    let Some(rb) = catalog.get(name) else {
        return not_found(&catalog, name);
    };
    print!("{}", show_text(rb));
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

pub(crate) fn not_found(catalog: &crate::runbook::Catalog, name: &str) -> ExitCode {
    let names: Vec<&str> = catalog.runbooks.iter().map(|r| r.name.as_str()).collect();
    eprintln!("opsdeck: no runbook named `{}` (have: {})", clean(name), names.join(", "));
    for e in &catalog.errors {
        eprintln!("opsdeck: {}", clean(&e.to_string()));
    }
    ExitCode::FAILURE
}

/// `opsdeck runbook run`.
pub async fn run(
    config: Arc<Config>,
    user: String,
    name: &str,
    yes: bool,
    from_step: Option<usize>,
    labels: &[String],
) -> ExitCode {
    let _ = (config, user, name, yes, from_step, labels);
    eprintln!("opsdeck: runbook run: not built yet");
    ExitCode::FAILURE
}
