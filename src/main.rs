//! Entry point: parse the command line, load the config, run the console or a headless command.

use clap::Parser;
use opsdeck::actions::{ActionKind, Target};
use opsdeck::cli::{Cli, Command, DemoAction, DemoArgs, RunbookAction};
use opsdeck::config::{self, Config};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code for a config that cannot be used.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    if let Err(e) = opsdeck::terminal::install_hooks() {
        eprintln!("opsdeck: {e}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("opsdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let user = opsdeck::identity::current_user();
    let flag = cli.config.clone();
    match cli.command {
        Some(Command::Demo { action: Some(DemoAction::Up { opts }), .. }) => report(demo_up(&opts).await.map(|_| ())),
        Some(Command::Demo { action: Some(DemoAction::Down { opts }), .. }) => {
            report(opsdeck::demo::down(&opts.dir).await)
        }
        Some(Command::Demo { action: None, opts }) => {
            let config = match demo_up(&opts).await {
                Ok(c) => c,
                Err(e) => return report(Err(e)),
            };
            let console = opsdeck::runtime::run(config, user).await;
            let down = opsdeck::demo::down(&opts.dir).await;
            report(console.and(down))
        }
        Some(Command::Promote { service, env, image, run, force }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let target = Target { kind: ActionKind::Promote, service, env, image, force };
            opsdeck::commands::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence).await
        }
        Some(Command::Rollback { service, env, tag, run }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let target = Target { kind: ActionKind::Rollback, service, env, image: tag, force: false };
            opsdeck::commands::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence).await
        }
        Some(Command::Reapply { service, env, yes }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let target = Target { kind: ActionKind::Reapply, service, env, image: None, force: false };
            opsdeck::commands::action::run(config, user, target, yes, None, None, false).await
        }
        Some(Command::Unlock { service, env, force }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            opsdeck::commands::action::unlock(&config, &user, &service, &env, force)
        }
        Some(Command::Audit(args)) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            opsdeck::commands::audit::run(&config, args)
        }
        Some(Command::Approvals { json }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            opsdeck::commands::approvals::list(&config, &user, json)
        }
        Some(Command::Approve { id, yes, watch }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            opsdeck::commands::approvals::approve(config, user, id, yes, watch).await
        }
        Some(Command::Reject { id, reason }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            opsdeck::commands::approvals::reject(&config, &user, id, reason.as_deref().unwrap_or_default())
        }
        Some(Command::Runbook { action }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            match action {
                RunbookAction::List => opsdeck::commands::runbook::list(&config),
                RunbookAction::Show { name } => opsdeck::commands::runbook::show(&config, &name),
                RunbookAction::Run { name, yes, from_step, labels } => {
                    opsdeck::commands::runbook::run(config, user, &name, yes, from_step, &labels).await
                }
            }
        }
        Some(Command::Status { json }) => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            // Like every command that loads a config, status first settles what a dead opsdeck
            // left unfinished, and says so.
            opsdeck::commands::action::recover_unfinished(&config, &user).await;
            let model = opsdeck::collect::gather_once(config, user).await;
            if json {
                match serde_json::to_string_pretty(&opsdeck::status::to_json(&model)) {
                    Ok(s) => println!("{s}"),
                    Err(e) => return report(Err(e.into())),
                }
            } else {
                print!("{}", opsdeck::status::to_text(&model));
            }
            ExitCode::SUCCESS
        }
        None => {
            let config = match load_config(flag.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            report(opsdeck::runtime::run(config, user).await)
        }
    }
}

async fn demo_up(opts: &DemoArgs) -> color_eyre::Result<Arc<Config>> {
    let options =
        opsdeck::demo::DemoOptions { dir: opts.dir.clone(), approvers: opts.approvers.clone(), demo_binary: None };
    let info = opsdeck::demo::up(&options).await?;
    let config = config::load(&info.config_path)?;
    Ok(Arc::new(config))
}

fn load_config(flag: Option<&std::path::Path>) -> Result<Arc<Config>, ExitCode> {
    let loaded = config::find_config_path(flag).and_then(|p| config::load(&p));
    loaded.map(Arc::new).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

fn report(result: color_eyre::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opsdeck: {e:#}");
            ExitCode::FAILURE
        }
    }
}
