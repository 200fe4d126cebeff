//! `opsdeck demo`: a complete local stack to try opsdeck on, in one directory. `up` starts an
//! OCI registry with four releases of two services, Alertmanager with one firing alert, twelve
//! slot containers (api and web in dev, staging and prod, blue and green) and HAProxy in front,
//! then writes `opsdeck.toml` for it. `down` stops all of that. The stack outlives the `up`
//! process; `demo.json` in the directory is how `down` finds it again.

/// Progress lines go to stderr; a closed stderr (`opsdeck demo up | head`) must not abort `up`
/// halfway, as `eprintln!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod access;
mod alerts;
pub mod binary;
mod config_file;
mod frontends;
mod haproxy_cfg;
mod hosts;
mod images;
pub mod install;
pub mod install_run;
mod plan;
mod slots;
mod state;
pub mod swarm;

pub use plan::MAX_PROD_HOSTS;
pub use slots::DEMO_LABEL;
pub use state::{Component, DemoInfo, EngineRecord, FrontendRecord, SlotRecord, STATE_FILE};

use crate::stack::{self, Alertmanager, Haproxy, Registry};
use color_eyre::eyre::{eyre, Result, WrapErr};
use opsdeck_backends::docker::{connect, lifecycle, DockerEndpoint};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `opsdeck demo up` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Where the stack keeps its files (`.demo` in the current directory by default).
    pub dir: PathBuf,
    /// Non-empty: prod requires approval from these users.
    pub approvers: Vec<String>,
    /// The static `demo-service` binary; else `$OPSDECK_DEMO_BINARY`, else built from this workspace.
    pub demo_binary: Option<PathBuf>,
    /// How many hosts prod runs on: `prod-1` on the local engine, each other on a Docker engine
    /// the demo starts (1 to [`MAX_PROD_HOSTS`]).
    pub prod_hosts: usize,
    /// Run prod on a single-node swarm of the local engine, [`swarm::REPLICAS`] tasks per slot.
    pub swarm: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            dir: PathBuf::from(".demo"),
            approvers: Vec::new(),
            demo_binary: None,
            prod_hosts: 1,
            swarm: false,
        }
    }
}

/// The name of the config file `up` writes in the demo directory.
pub const CONFIG_FILE: &str = "opsdeck.toml";
const DOCKER_LIMIT: Duration = Duration::from_secs(10);
const CALL_LIMIT: Duration = Duration::from_secs(30);
/// HAProxy checks every second; the live servers are up after the first check or two.
const TRAFFIC_LIMIT: Duration = Duration::from_secs(15);
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// Starts the demo stack in `opts.dir` (taking down a demo already up there first) and returns
/// what it started. On failure, whatever was started is stopped and removed again.
/// The demo's approval policy is its own config's: its user owns the store, so each `up` records
/// the config it just wrote (an audited change when `--approvers` differs from the last `up`).
fn record_policy(config_path: &Path) -> Result<()> {
    let config = opsdeck_core::config::load_file(config_path)?;
    let user = opsdeck_core::identity::current_user();
    let (before, _) = opsdeck_core::approvals::recorded::changes(&config).map_err(|e| eyre!(e))?;
    let guards = config.environments.iter().any(|e| e.approval == opsdeck_core::config::ApprovalPolicy::Required);
    if before.is_none() && !guards {
        return Ok(());
    }
    let (recorded, changes) = opsdeck_core::approvals::recorded::set(&config, &user).map_err(|e| eyre!(e))?;
    if let (Some(r), false) = (recorded, changes.is_empty()) {
        say!("approval policy recorded in the store (audit #{})", r.seq);
    }
    Ok(())
}

pub async fn up(opts: &DemoOptions) -> Result<DemoInfo> {
    if !(1..=MAX_PROD_HOSTS).contains(&opts.prod_hosts) {
        return Err(eyre!(
            "--prod-hosts takes 1 to {MAX_PROD_HOSTS} (each host past the first is a dockerd of its own)"
        ));
    }
    if opts.swarm && opts.prod_hosts > 1 {
        return Err(eyre!("--swarm runs prod on the local engine's swarm: it does not go with --prod-hosts"));
    }
    std::fs::create_dir_all(&opts.dir).wrap_err_with(|| format!("cannot create {}", opts.dir.display()))?;
    let dir = opts.dir.canonicalize().wrap_err_with(|| format!("cannot resolve {}", opts.dir.display()))?;
    close_to_others(&dir)?;
    if DemoInfo::read(&dir)?.is_some() {
        say!("a demo is already up in {}: taking it down first", dir.display());
        down(&dir).await?;
    }
    stack::ensure_docker().await?;
    let shared = access::share(&dir, &opts.approvers);
    let binary_path = binary::locate(opts.demo_binary.as_deref()).await?;
    let binary = std::fs::read(&binary_path)
        .wrap_err_with(|| format!("cannot read the demo service binary {}", binary_path.display()))?;
    let docker = docker().await?;
    slots::clear_names(&docker, &dir).await?;

    let mut info = DemoInfo { dir: dir.clone(), config_path: dir.join(CONFIG_FILE), ..DemoInfo::default() };
    match start_all(&docker, opts, shared.as_ref(), &binary, &mut info).await {
        Ok((registry, alertmanager, haproxy, engines)) => {
            // From here the processes belong to the demo directory, not to this process.
            registry.detach();
            alertmanager.detach();
            haproxy.detach();
            for engine in engines {
                engine.detach();
            }
            info.write()?;
            print_summary(&info);
            Ok(info)
        }
        Err(e) => {
            // The component handles were dropped inside `start_all`, which stopped them.
            say!("demo up failed; cleaning up");
            let _ = slots::remove_all(&docker, &dir).await;
            let _ = hosts::stop_engines(&dir, Some(&info)).await;
            let _ = swarm::remove_services(&docker, &dir).await;
            if let Some(record) = info.swarm {
                let _ = swarm::leave(&docker, record).await;
            }
            let _ = DemoInfo::remove(&dir);
            Err(e)
        }
    }
}

/// Brings up every part, recording each in `info` (and `demo.json`) as soon as it runs.
async fn start_all(
    docker: &opsdeck_backends::docker::Client,
    opts: &DemoOptions,
    shared: Option<&access::SharedGroup>,
    binary: &[u8],
    info: &mut DemoInfo,
) -> Result<(Registry, Alertmanager, Haproxy, Vec<stack::Engine>)> {
    let dir = info.dir.clone();
    let started = Instant::now();

    // prod's other hosts start while the registry does: a dockerd takes a few seconds.
    let (registry, engines) = tokio::try_join!(Registry::start(&dir), hosts::start_engines(&dir, opts.prod_hosts))?;
    info.engines = hosts::extra_hosts(opts.prod_hosts).iter().zip(&engines).map(|(h, e)| hosts::record(h, e)).collect();
    info.registry = Some(Component { pid: registry.pid(), address: registry.url(), marker: registry.marker() });
    info.write()?;
    say!("registry on {}", registry.host());

    // Alertmanager starts while the images build: neither waits for the other.
    let releases = plan::releases(binary::head_sha().await.as_deref());
    let registry_host = registry.host();
    let (images, alertmanager) =
        tokio::try_join!(images::build_and_push(docker, binary, &releases, &registry_host), async {
            let am = Alertmanager::start(&dir).await?;
            alerts::post(&am.url()).await?;
            Ok(am)
        })?;
    info.alertmanager =
        Some(Component { pid: alertmanager.pid(), address: alertmanager.url(), marker: alertmanager.marker() });
    info.pushed_refs = images.iter().flat_map(|i| i.pushed_refs.clone()).collect();
    info.write()?;
    say!("alertmanager on {} (1 alert firing)", alertmanager.url());

    info.slots = slots::plan(&images, opts.prod_hosts)?;
    info.write()?;
    let clients = hosts::clients(docker, info).await?;
    for engine in &info.engines {
        if let Some(client) = clients.get(&engine.host) {
            slots::clear_names(client, &dir).await?;
        }
    }
    hosts::pull_releases(&clients, info).await?;
    let on_swarm = |s: &&SlotRecord| opts.swarm && s.env == swarm::SWARM_ENV;
    let containers: Vec<SlotRecord> = info.slots.iter().filter(|s| !on_swarm(s)).cloned().collect();
    let cluster = swarm::cluster(&dir);
    if opts.swarm {
        info.swarm = Some(swarm::join(docker).await?);
        info.write()?;
        swarm::create_slots(&cluster, &info.slots).await?;
    }
    slots::create_all(&clients, &containers, &dir).await?;
    slots::wait_live_healthy(&containers).await?;
    if opts.swarm {
        swarm::wait_live_healthy(&cluster, &info.slots).await?;
    }
    say!(
        "slots: {} containers ({} live) on {} hosts",
        containers.len(),
        containers.iter().filter(|s| s.live).count(),
        clients.len()
    );
    if opts.swarm {
        say!(
            "prod: {} swarm services, the live ones at {} tasks each",
            info.slots.len() - containers.len(),
            swarm::REPLICAS
        );
    }

    info.frontends = frontends::plan()?;
    let haproxy_text = haproxy_cfg::config_text(&info.frontends, &info.slots, opts.swarm);
    let haproxy = Haproxy::start_shared(&dir, &haproxy_text, shared.map(|g| g.gid)).await?;
    info.haproxy = Some(Component {
        pid: haproxy.pid(),
        address: format!("unix://{}", haproxy.socket().display()),
        marker: haproxy.marker(),
    });
    info.write()?;
    frontends::wait_live_servers_up(&haproxy, &containers).await?;
    say!("haproxy on {}", haproxy.socket().display());

    std::fs::write(&info.config_path, config_file::config_text(info, &opts.approvers))
        .wrap_err_with(|| format!("cannot write {}", info.config_path.display()))?;
    // It holds the demo's secret: readable by the demo's group (its approvers), not by everyone.
    std::fs::set_permissions(&info.config_path, std::os::unix::fs::PermissionsExt::from_mode(0o640))
        .wrap_err_with(|| format!("cannot close {} to other users", info.config_path.display()))?;
    // The config names no runbook folder, so it reads `runbooks/` beside it: the shipped ones.
    let runbooks = dir.join("runbooks");
    opsdeck_core::runbook::shipped::write_to(&runbooks)
        .wrap_err_with(|| format!("cannot write {}", runbooks.display()))?;
    if let Some(group) = shared {
        // Created here, group-writable, before any opsdeck makes it with its own user's mode.
        access::share_store(&dir.join(config_file::STATE_DB), group)?;
    }
    record_policy(&info.config_path)?;
    if opts.swarm {
        // The config is written: opsdeck's own switch addresses the live tasks' servers.
        swarm::route_live(&info.config_path, &info.slots).await?;
    }
    say!("wrote {} ({:.1}s)", info.config_path.display(), started.elapsed().as_secs_f64());
    Ok((registry, alertmanager, haproxy, engines))
}

/// The state store lives in the demo directory, and opsdeck refuses a store others may reach
/// (`store::permissions`): a directory open to others (`mkdir`'s usual 0755) becomes 2770.
fn close_to_others(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).wrap_err_with(|| format!("cannot read {}", dir.display()))?.permissions().mode();
    if mode & 0o007 == 0 {
        return Ok(());
    }
    let private = std::fs::Permissions::from_mode(opsdeck_core::store::permissions::DIR_MODE);
    std::fs::set_permissions(dir, private).wrap_err_with(|| format!("cannot close {} to other users", dir.display()))
}

fn print_summary(info: &DemoInfo) {
    for fe in &info.frontends {
        let live = info.slots.iter().find(|s| s.live && s.service == fe.service && s.env == fe.env);
        let what = live.map(|s| format!("{} on {}", s.version, s.slot)).unwrap_or_default();
        say!("  {}/{:<8} {}  {what}", fe.service, fe.env, fe.url);
    }
    for engine in &info.engines {
        say!("  host {}: its own dockerd on {}", engine.host, engine.url);
    }
    say!("demo up: opsdeck --config {}", info.config_path.display());
}

/// Stops the demo stack recorded in `dir`: its processes, every container labelled with the
/// directory, and the registry references tagged for pushing. Logs, configs and the registry's
/// storage stay (the next `up` is faster for them).
pub async fn down(dir: &Path) -> Result<()> {
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(_) => std::path::absolute(dir).wrap_err_with(|| format!("cannot resolve {}", dir.display()))?,
    };
    let info = DemoInfo::read(&dir)?;
    let mut problems = Vec::new();
    if let Some(info) = &info {
        let components =
            [("haproxy", &info.haproxy), ("alertmanager", &info.alertmanager), ("registry", &info.registry)];
        for (name, component) in components {
            let Some(c) = component else { continue };
            if !stack::stop_recorded(c.pid, &c.marker, STOP_GRACE).await {
                problems.push(format!("{name} (pid {}) did not stop", c.pid));
            }
        }
    }
    // Also whatever an interrupted `up` started without recording it.
    if let Err(e) = stack::stop_components_in(&dir, STOP_GRACE).await {
        problems.push(e.to_string());
    }
    problems.extend(hosts::stop_engines(&dir, info.as_ref()).await);
    let docker = docker().await?;
    // Services first: their tasks' containers carry the demo's label too, and Swarm would make
    // them again.
    let services = swarm::remove_services(&docker, &dir).await.unwrap_or_else(|e| {
        problems.push(e.to_string());
        0
    });
    let removed = slots::remove_all(&docker, &dir).await?;
    if let Some(record) = info.as_ref().and_then(|i| i.swarm) {
        problems.extend(swarm::leave(&docker, record).await);
    }
    if let Some(info) = &info {
        for reference in &info.pushed_refs {
            // Only a name is removed: the cached build keeps the image itself.
            if let Err(e) = lifecycle::remove_image(&docker, reference, CALL_LIMIT).await {
                say!("warning: cannot untag {reference}: {e}");
            }
        }
    }
    let _ = std::fs::remove_file(dir.join("haproxy.sock"));
    if !problems.is_empty() {
        return Err(eyre!("demo down in {}: {}", dir.display(), problems.join("; ")));
    }
    DemoInfo::remove(&dir)?;
    match info {
        Some(_) => {
            say!("demo down: {} stopped, {removed} containers and {services} swarm services removed", dir.display())
        }
        None => say!("no demo was up in {} ({removed} containers removed)", dir.display()),
    }
    Ok(())
}

async fn docker() -> Result<opsdeck_backends::docker::Client> {
    let endpoint = DockerEndpoint { url: format!("unix://{}", stack::DOCKER_SOCKET), tls: None, timeout: DOCKER_LIMIT };
    Ok(connect(&endpoint).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_directory_open_to_others_is_closed() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        close_to_others(dir.path()).expect("close");
        assert_eq!(mode(dir.path()), 0o2770);
        opsdeck_core::store::permissions::check(&dir.path().join("state.db")).expect("the demo's store passes");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        close_to_others(dir.path()).expect("close");
        assert_eq!(mode(dir.path()), 0o700, "a private directory is left as it is");
    }
}
