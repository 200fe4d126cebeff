//! From the parsed command line to the command that runs it: the demo (which makes its own
//! config), the console, or a headless command, each loading the config the same way. Returns the
//! process exit code.

use crate::cli::{Cli, Command, DemoAction, DemoArgs, IntoArgs, PolicyAction, RunbookAction};
use opsdeck_core::actions::{ActionKind, Target};
use opsdeck_core::config::{self, Config};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code for a config that cannot be used.
const EXIT_CONFIG: u8 = 2;
/// The longest a command waits, once it is done, for its audit records' anchor to be pushed.
const ANCHOR_BOUND: std::time::Duration = std::time::Duration::from_secs(5);
/// The longest a command waits, once it is done, for its notifications to leave: one webhook's
/// first attempt and a retry; a receiver that hangs longer is given up on (and logged).
const NOTIFY_BOUND: std::time::Duration = std::time::Duration::from_secs(8);

pub async fn run(cli: Cli) -> ExitCode {
    let user = opsdeck_core::identity::current_user();
    let level = cli.log_level;
    // A level that cannot be read is refused before anything runs, config or not.
    if let Err(e) = opsdeck_core::log::filter::from(level.as_deref(), std::env::var("OPSDECK_LOG").ok().as_deref()) {
        err!("opsdeck: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let command = match cli.command {
        // The demo writes its own config.
        Some(Command::Demo { action, opts }) => return demo(action, opts, user, level).await,
        // Generated from the command line alone: they need no config.
        Some(Command::Completions { shell }) => return super::generate::completions(shell),
        Some(Command::Man) => return super::generate::man(),
        other => other,
    };
    // Recording a new policy loads the config without holding it to the old one.
    if let Some(Command::Policy { action: PolicyAction::Set { yes } }) = command {
        return match config::find_config_path(cli.config.as_deref()).and_then(|p| config::load_file(&p)) {
            Ok(config) => {
                start_log(&config, &user, level.as_deref());
                super::policy::set(&config, &user, yes)
            }
            Err(e) => {
                err!("{e}");
                ExitCode::from(EXIT_CONFIG)
            }
        };
    }
    let config = match load_config(cli.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    start_log(&config, &user, level.as_deref());
    // Doctor looks at the file itself (who can read the secrets written in it).
    let config_path = config::find_config_path(cli.config.as_deref()).ok();
    let code = run_command(command, config.clone(), user, config_path).await;
    // The outcome is printed already; what the team's channel is told must still leave.
    opsdeck_core::notify::settle(NOTIFY_BOUND).await;
    // What the command wrote to the audit trail goes off the bastion now, bounded; a registry that
    // does not answer delays the anchor (doctor says so), never the command's outcome.
    if config.state_path.exists() {
        let bound = ANCHOR_BOUND.min(config.timeouts.registry.saturating_mul(4));
        let _ = tokio::time::timeout(bound, opsdeck_core::audit::anchors::catch_up(&config)).await;
    }
    code
}

async fn run_command(
    command: Option<Command>,
    config: Arc<Config>,
    user: String,
    config_path: Option<std::path::PathBuf>,
) -> ExitCode {
    match command {
        Some(Command::Promote { into: IntoArgs { service, env, image, run, force } }) => {
            let target = Target { kind: ActionKind::Promote, service, env, image, force };
            let extra = super::action::Extra { json: run.json, ..Default::default() };
            super::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence, extra).await
        }
        Some(Command::Rollback { service, env, tag, run }) => {
            let target = Target { kind: ActionKind::Rollback, service, env, image: tag, force: false };
            let extra = super::action::Extra { json: run.json, ..Default::default() };
            super::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence, extra).await
        }
        Some(Command::Canary { into: IntoArgs { service, env, image, run, force }, stages, hold }) => {
            let target = Target { kind: ActionKind::Canary, service, env, image, force };
            let extra = super::action::Extra { stages, hold, json: run.json };
            super::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence, extra).await
        }
        Some(Command::Rotate { service, env, run }) => {
            let target = Target { kind: ActionKind::Rotate, service, env, image: None, force: false };
            let extra = super::action::Extra { json: run.json, ..Default::default() };
            super::action::run(config, user, target, run.yes, run.watch, run.reason, run.silence, extra).await
        }
        Some(Command::Reapply { service, env, yes }) => {
            let target = Target { kind: ActionKind::Reapply, service, env, image: None, force: false };
            super::action::run(config, user, target, yes, None, None, false, Default::default()).await
        }
        Some(Command::Unlock { service, env, force }) => super::action::unlock(&config, &user, &service, &env, force),
        Some(Command::Audit(args)) => super::audit::run(&config, args).await,
        Some(Command::Approvals { json }) => super::approvals::list(&config, &user, json),
        Some(Command::Approve { id, yes, watch }) => super::approvals::approve(config, user, id, yes, watch).await,
        Some(Command::Reject { id, reason }) => {
            super::approvals::reject(&config, &user, id, reason.as_deref().unwrap_or_default())
        }
        Some(Command::Policy { action: PolicyAction::Show { json } }) => super::policy::show(&config, json),
        Some(Command::Policy { action: PolicyAction::Set { .. } }) => ExitCode::FAILURE, // taken care of above
        Some(Command::Runbook { action }) => match action {
            RunbookAction::List { json } => super::runbook::list(&config, json),
            RunbookAction::Show { name, json } => super::runbook::show(&config, &name, json),
            RunbookAction::Run { name, yes, from_step, labels } => {
                super::runbook::run(config, user, &name, yes, from_step, &labels).await
            }
        },
        Some(Command::Doctor { json }) => super::doctor::run(config, user, json, config_path).await,
        Some(Command::Prune { services, dry_run, yes, json }) => {
            super::prune::run(config, user, services, super::prune::PruneArgs { dry_run, yes, json }).await
        }
        Some(Command::Status { json }) => {
            // Like every command that loads a config, status first settles what a dead opsdeck
            // left unfinished, and says so.
            super::action::recover_unfinished(&config, &user).await;
            let world = opsdeck_core::watch::gather(config, user).await;
            if json {
                match serde_json::to_string_pretty(&crate::status::to_json(&world)) {
                    Ok(s) => out!("{s}"),
                    Err(e) => return report(Err(e.into())),
                }
            } else {
                print!("{}", opsdeck_core::text::printable(&crate::status::to_text(&world)));
            }
            ExitCode::SUCCESS
        }
        None => report(crate::runtime::run(config, user).await),
        // Taken care of before the config is loaded.
        Some(Command::Demo { .. } | Command::Completions { .. } | Command::Man) => ExitCode::FAILURE,
    }
}

/// `demo up`, `demo down`, or `demo`: up, the console, down on quit.
async fn demo(action: Option<DemoAction>, opts: DemoArgs, user: String, level: Option<String>) -> ExitCode {
    match action {
        Some(DemoAction::Up { opts }) => report(demo_up(&opts).await.map(|_| ())),
        Some(DemoAction::Down { opts }) => report(crate::demo::down(&opts.dir).await),
        None => {
            let config = match demo_up(&opts).await {
                Ok(c) => c,
                Err(e) => return report(Err(e)),
            };
            start_log(&config, &user, level.as_deref());
            let console = crate::runtime::run(config, user).await;
            let down = crate::demo::down(&opts.dir).await;
            report(console.and(down))
        }
    }
}

async fn demo_up(opts: &DemoArgs) -> color_eyre::Result<Arc<Config>> {
    crate::demo::install_run::prepare(opts.yes, usize::from(opts.prod_hosts)).await?;
    let options = crate::demo::DemoOptions {
        dir: opts.dir.clone(),
        approvers: opts.approvers.clone(),
        demo_binary: None,
        prod_hosts: usize::from(opts.prod_hosts),
        swarm: opts.swarm,
    };
    let info = crate::demo::up(&options).await?;
    let config = config::load(&info.config_path)?;
    Ok(Arc::new(config))
}

/// opsdeck's log for this process (see [`opsdeck_core::log`]); the level was checked already.
fn start_log(config: &Config, user: &str, level: Option<&str>) {
    if let Err(e) = opsdeck_core::log::init(config, user, level) {
        err!("opsdeck: {e}");
    }
}

/// The config, checked whole: the core's part, then `[keys]`, which only the console can read
/// (every command refuses a config the console would refuse, each problem at its line and column).
fn load_config(flag: Option<&std::path::Path>) -> Result<Arc<Config>, ExitCode> {
    let loaded = config::find_config_path(flag).and_then(|path| {
        let config = config::load(&path)?;
        crate::keymap::Keymap::from_config(&config.keys)
            .map_err(|problems| config::ConfigError::Invalid { path: path.clone(), problems })?;
        Ok(config)
    });
    loaded.map(Arc::new).map_err(|e| {
        err!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

fn report(result: color_eyre::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            err!("opsdeck: {e:#}");
            ExitCode::FAILURE
        }
    }
}
