//! The command line: the console by default, and headless commands for scripts and CI.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "opsdeck", version, about = "A terminal operations console: environments, images, health, alerts.")]
pub struct Cli {
    /// Config file (else $OPSDECK_CONFIG, else the user's config folder's opsdeck/opsdeck.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The log's level (error, warn, info, debug, trace, or an EnvFilter string); else
    /// $OPSDECK_LOG, else info. The log is opsdeck.log beside the state store, never the terminal.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the state of every environment, service, image and alert once.
    Status {
        /// Machine-readable JSON (the shape is documented in the README).
        #[arg(long)]
        json: bool,
    },
    /// Promote an image into an environment (blue-green, zero downtime). By default the image
    /// live in the environment before it on the ladder.
    Promote {
        #[command(flatten)]
        into: IntoArgs,
    },
    /// Promote stage by stage: the new release takes a growing share of the traffic (weights),
    /// each stage held while the environment's error gate passes; over it, the traffic goes back
    /// to the stable release by itself. Exit code 0 only when it reached 100 %.
    Canary {
        #[command(flatten)]
        into: IntoArgs,
        /// The stages, in percent of traffic, rising to 100 (default: the environment's
        /// `[environments.canary] stages`, else 5,25,50,100).
        #[arg(long, value_delimiter = ',', value_name = "P,P,..")]
        stages: Option<Vec<u8>>,
        /// How long each stage is held (default: the environment's, else 1m).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        hold: Option<std::time::Duration>,
    },
    /// Roll back to the previous release (the idle slot already holds it), or to any tag.
    Rollback {
        service: String,
        #[arg(long, value_name = "ENV")]
        env: String,
        /// A tag (or digest) from the registry history instead of the idle slot's release.
        #[arg(long = "to", value_name = "TAG")]
        tag: Option<String>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Redeploy the live image of SERVICE in ENV with the config's secret values as they are now
    /// (read again from their sources): blue-green, zero downtime, audited without the values.
    Rotate {
        service: String,
        #[arg(long, value_name = "ENV")]
        env: String,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Point HAProxy back at the running slot when it disagrees (after a reload without its
    /// state file, or a change made by hand).
    Reapply {
        service: String,
        #[arg(long, value_name = "ENV")]
        env: String,
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Break the lock on SERVICE in ENV when its holder is gone (process dead on this machine, or
    /// no heartbeat); `--force` breaks it whatever the holder's state. Audited either way.
    Unlock {
        service: String,
        #[arg(long, value_name = "ENV")]
        env: String,
        /// Break it even though the holder looks alive.
        #[arg(long)]
        force: bool,
    },
    /// The audit trail (who did what, when, with what outcome; each record holds the hash of the
    /// one before): with no subcommand, print it, oldest first.
    Audit(AuditArgs),
    /// List approval requests (pending, approved, rejected, expired, ...) across environments,
    /// newest first. Requests past their expiry are marked expired first.
    Approvals {
        /// Machine-readable JSON: an array of requests (the fields are documented in the README).
        #[arg(long)]
        json: bool,
    },
    /// Approve request ID and run it at once, in this process: shows exactly what will run and
    /// asks first (unless --yes). Nobody approves their own request; a request that no longer
    /// matches the environment is refused.
    Approve {
        id: i64,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// How long to watch the new slot after the switch; default: what the requester asked.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        watch: Option<std::time::Duration>,
    },
    /// Reject request ID, saying why.
    Reject {
        id: i64,
        /// Why (required).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Check this machine is ready to run opsdeck: the state store and its audit chain, the
    /// registry, every Docker host, every HAProxy (and the servers each service needs there),
    /// Alertmanager, the runbook folders. Exit code 1 when a check failed.
    Doctor {
        /// Machine-readable JSON: {"ok": bool, "checks": [{"check", "status", "detail"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Delete images from the registry that nothing needs: past the service's `keep_images`
    /// newest, used by no container on any host. Refused for a service while a host does not
    /// answer or an action holds one of its locks. Shows what will go and asks first (unless
    /// --yes); each deletion is audited.
    Prune {
        /// The services to prune (default: every service).
        services: Vec<String>,
        /// Only say what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Machine-readable JSON: the plans, and with the deletions, how each ended.
        #[arg(long)]
        json: bool,
    },
    /// The approval policy the state store records (which environments require approval, and
    /// who approves): show it, or record this config's (the store's owner or root only).
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Runbooks (Markdown pages in the config's runbook folders): list them, show one, run one
    /// step by step.
    Runbook {
        #[command(subcommand)]
        action: RunbookAction,
    },
    /// Print a completion script for SHELL on stdout (needs no config), e.g.
    /// `opsdeck completions bash > ~/.local/share/bash-completion/completions/opsdeck`.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff) on stdout (needs no config), e.g. `opsdeck man | man -l -`.
    Man,
    /// A complete local stack to try opsdeck on: with no subcommand, start it, open the console
    /// on it, and stop it when the console quits.
    Demo {
        #[command(subcommand)]
        action: Option<DemoAction>,
        #[command(flatten)]
        opts: DemoArgs,
    },
}

/// The shells `opsdeck completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Subcommand)]
pub enum RunbookAction {
    /// Every runbook (name, steps, the alerts it answers, summary), then every file that does not
    /// parse with its error (exit code 1 if any).
    List {
        /// Machine-readable JSON: `{"runbooks": [{name, title, summary, steps, alerts, file}],
        /// "errors": [line]}`.
        #[arg(long)]
        json: bool,
    },
    /// One runbook's steps: each one's prose and exactly what it runs.
    Show {
        name: String,
        /// Machine-readable JSON: name, title, summary, alerts, file and `steps` (number, title,
        /// kind, prose, runs).
        #[arg(long)]
        json: bool,
    },
    /// Run NAME step by step: each step's output on stdout, exit code 1 if a step failed. Asks
    /// before each step unless --yes. Progress is kept: a run left part-way resumes where it
    /// stopped.
    Run {
        name: String,
        /// Do not ask before each step (manual checks count as confirmed).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Start at step N (1-based) instead of where the last run stopped.
        #[arg(long, value_name = "N")]
        from_step: Option<usize>,
        /// An alert label the steps see (`$NAME` in opsdeck steps, OPSDECK_ALERT_NAME in sh
        /// steps), as when run from an alert; repeatable.
        #[arg(long = "label", value_name = "NAME=VALUE")]
        labels: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyAction {
    /// The recorded policy, who recorded it and when, and how this config differs from it.
    Show {
        /// Machine-readable JSON: `recorded` (seq, by, at, policy), `owner`, `config_differs`.
        #[arg(long)]
        json: bool,
    },
    /// Record this config's policy as the store's (owner of the store file or root): shows what
    /// changes and asks first (unless --yes); audited.
    Set {
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Start the stack and write DIR/opsdeck.toml.
    Up {
        #[command(flatten)]
        opts: DemoArgs,
    },
    /// Stop everything `demo up` started in DIR and remove its containers.
    Down {
        #[command(flatten)]
        opts: DemoArgs,
    },
}

#[derive(Debug, clap::Args, Clone)]
pub struct DemoArgs {
    /// Where the demo keeps its config, state and logs.
    #[arg(long, value_name = "DIR", default_value = ".demo")]
    pub dir: PathBuf,
    /// Make the demo's prod require the approval of these users (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub approvers: Vec<String>,
    /// Run prod on N hosts: prod-1 on the local engine, prod-2... each on a Docker engine of its
    /// own that the demo starts in DIR (its own dockerd, socket, data root and bridge); 1 to 3.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub prod_hosts: u8,
    /// Run prod on a Docker Swarm: the local engine made a single-node swarm (left again by
    /// `demo down` unless it was one before), 2 tasks per slot.
    #[arg(long, conflicts_with = "prod_hosts")]
    pub swarm: bool,
    /// Install what the demo needs without asking (as root on Debian: the missing Debian
    /// packages); without it and without a terminal, only the command is printed.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// What goes where, for a promote or a canary.
#[derive(Debug, clap::Args, Clone)]
pub struct IntoArgs {
    pub service: String,
    /// The environment to promote into.
    #[arg(long = "to", value_name = "ENV")]
    pub env: String,
    /// A tag (or digest) from the registry history instead of the ladder's default.
    #[arg(long, value_name = "TAG")]
    pub image: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Let the image in even though it has not run healthy in the environment before
    /// (audited).
    #[arg(long)]
    pub force: bool,
}

/// How a promote, rollback, canary or rotate runs from the command line.
#[derive(Debug, clap::Args, Clone)]
pub struct RunArgs {
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to keep watching the new slot after the switch (rolls back by itself if it
    /// fails); default: the config's `[actions] watch`, 5m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub watch: Option<std::time::Duration>,
    /// Why: required where the environment needs approval (it goes into the request and the
    /// audit trail).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Silence the service's alerts in the environment while the action runs (Alertmanager
    /// matchers service=<service>, env=<env>); the silence is expired when the action ends,
    /// however it ends.
    #[arg(long)]
    pub silence: bool,
    /// Print the outcome as one JSON document on stdout: id, action, outcome, reason (progress
    /// stays on stderr).
    #[arg(long)]
    pub json: bool,
}

/// `opsdeck audit`: print the trail, or verify or export it.
#[derive(Debug, clap::Args, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: Option<AuditAction>,
    /// Only records at or after WHEN: an RFC 3339 time, or a duration ago (`1h`, `30m`).
    #[arg(long, value_name = "WHEN", value_parser = crate::commands::audit::parse_since)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// A JSON array of the records, with their hashes (the fields are documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Also the journal's records (kind `journal`: each action begun, each step, each end), which
    /// the listing leaves out; `verify` and `export` always cover them.
    #[arg(long)]
    pub journal: bool,
}

#[derive(Debug, Subcommand, Clone)]
pub enum AuditAction {
    /// Walk the hash chain: exit 0 when intact, 1 naming the first changed, deleted, inserted or
    /// reordered record.
    Verify {
        /// Machine-readable JSON: `{"ok", "records", "chain", "problem", "anchors"}`.
        #[arg(long)]
        json: bool,
    },
    /// Write the whole trail as JSON lines, one record per line, to stdout or FILE.
    Export {
        /// JSON lines (the only format, and the default).
        #[arg(long)]
        jsonl: bool,
        /// Write to FILE (complete or not at all) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}
