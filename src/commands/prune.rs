//! `opsdeck prune`: delete the registry images nothing needs. The services' locks are taken first
//! (so no promote starts meanwhile), then the live state is read and each service's plan made
//! from it; what will go is shown and confirmed (or `--yes`), deleted, audited, and the locks let
//! go. Exit code 0 when everything asked was done, 1 when a deletion failed, 3 when a service was
//! refused or nothing was confirmed.

use super::action::EXIT_REFUSED;
use opsdeck_core::actions::prune::{execute, plan, PruneLocks, PrunePlan, Pruned};
use opsdeck_core::config::Config;
use opsdeck_core::store::Holder;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// The flags of `opsdeck prune`.
#[derive(Debug, Clone, Copy)]
pub struct PruneArgs {
    pub dry_run: bool,
    pub yes: bool,
    pub json: bool,
}

pub async fn run(config: Arc<Config>, user: String, services: Vec<String>, args: PruneArgs) -> ExitCode {
    let services =
        if services.is_empty() { config.services.iter().map(|s| s.name.clone()).collect() } else { services };
    if let Some(unknown) = services.iter().find(|s| config.service(s).is_none()) {
        err!("opsdeck: no service {unknown} in the config");
        return ExitCode::from(EXIT_REFUSED);
    }
    super::action::recover_unfinished(&config, &user).await;
    let holder = Holder::this_process(&user);
    // A dry run changes nothing, so it takes no lock.
    let locks = if args.dry_run {
        None
    } else {
        match PruneLocks::take(&config, &holder, &services) {
            Ok(l) => Some(l),
            Err(e) => {
                err!("opsdeck: {e}");
                return ExitCode::from(EXIT_REFUSED);
            }
        }
    };
    let world = opsdeck_core::watch::gather(config.clone(), user.clone()).await;
    let plans: Vec<PrunePlan> = services.iter().map(|s| plan(&world, s, Some(&holder))).collect();
    let code = decide_and_prune(&config, &user, &plans, args).await;
    if let Some(locks) = locks {
        for e in locks.release() {
            err!("opsdeck: {e}");
        }
    }
    code
}

async fn decide_and_prune(config: &Config, user: &str, plans: &[PrunePlan], args: PruneArgs) -> ExitCode {
    let refused = plans.iter().any(|p| p.refused.is_some());
    let count: usize = plans.iter().map(|p| p.images.len()).sum();
    if !args.json {
        print_plans(plans);
    }
    let nothing_more = args.dry_run || count == 0;
    let pruned = if nothing_more {
        Vec::new()
    } else if !args.yes && !confirm(count) {
        err!("opsdeck: not confirmed; nothing deleted");
        print_json(args.json, plans, &[]);
        return ExitCode::from(EXIT_REFUSED);
    } else {
        let mut all = Vec::new();
        for p in plans.iter().filter(|p| !p.images.is_empty()) {
            let done = execute(config, user, p).await;
            if !args.json {
                for d in &done {
                    print_pruned(d);
                }
            }
            all.extend(done);
        }
        all
    };
    print_json(args.json, plans, &pruned);
    if pruned.iter().any(|p| p.error.is_some()) {
        ExitCode::FAILURE
    } else if refused {
        ExitCode::from(EXIT_REFUSED)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_plans(plans: &[PrunePlan]) {
    for p in plans {
        match (&p.refused, p.images.len()) {
            (Some(why), _) => out!("{}: not pruned: {why}", p.service),
            (None, 0) => out!("{}: nothing to prune", p.service),
            (None, n) => {
                out!("{}: {n} image{} to delete from the registry:", p.service, if n == 1 { "" } else { "s" });
                for line in p.lines() {
                    out!("  {line}");
                }
            }
        }
    }
}

fn print_pruned(p: &Pruned) {
    let what = format!("{} {} {}", p.service, p.digest, p.tags.join(" "));
    match &p.error {
        None => out!("deleted {what}"),
        Some(e) => out!("failed to delete {what}: {e}"),
    }
}

fn print_json(json: bool, plans: &[PrunePlan], pruned: &[Pruned]) {
    if json {
        let value = serde_json::json!({ "plans": plans, "pruned": pruned });
        match serde_json::to_string_pretty(&value) {
            Ok(s) => out!("{s}"),
            Err(e) => err!("opsdeck: {e}"),
        }
    }
}

/// Asks on the terminal; a script must say `--yes`.
fn confirm(count: usize) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        err!("opsdeck: not a terminal: pass --yes to delete them");
        return false;
    }
    eprint!("delete {count} image{} from the registry? [y/N] ", if count == 1 { "" } else { "s" });
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}
