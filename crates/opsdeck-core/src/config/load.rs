//! Finding `opsdeck.toml` (`--config`, then `$OPSDECK_CONFIG`, then the user's config folder) and
//! turning it into a [`Config`], or into one clear line per problem naming file, line and column.

use super::{validate, Config};
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with a config file, located where a person can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Why a config could not be used. Its `Display` is one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No file given and none found where opsdeck looks.
    NotFound { looked_in: Vec<PathBuf> },
    /// The file exists but cannot be read.
    Unreadable { path: PathBuf, reason: String },
    /// The file was read, and these are its problems.
    Invalid { path: PathBuf, problems: Vec<ConfigProblem> },
    /// The state store it names is open to other users: one line with the command that fixes it.
    LooseStore(String),
    /// It allows what the approval policy recorded in its state store does not: what differs and
    /// who may change the policy.
    WeakerPolicy(String),
    /// What it names elsewhere (secret values, Docker contexts) could not be read: one line each,
    /// never a secret value.
    Unresolved { path: PathBuf, problems: Vec<String> },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotFound { looked_in } => {
                let places: Vec<String> = looked_in.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "no config: pass --config FILE, set OPSDECK_CONFIG, or create {} \
                     (`opsdeck demo up --dir D` writes one)",
                    places.join(" or ")
                )
            }
            ConfigError::Unreadable { path, reason } => write!(f, "{}: cannot read: {reason}", path.display()),
            ConfigError::LooseStore(line) | ConfigError::WeakerPolicy(line) => f.write_str(line),
            ConfigError::Unresolved { path, problems } => {
                let lines: Vec<String> = problems.iter().map(|p| format!("{}: {p}", path.display())).collect();
                f.write_str(&lines.join("\n"))
            }
            ConfigError::Invalid { path, problems } => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{}:{}:{}: {}", path.display(), p.line, p.column, p.message)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Where the config is: the flag, then the environment variable, then the user's config folder.
pub fn find_config_path(flag: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPSDECK_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let default = directories::ProjectDirs::from("", "", "opsdeck").map(|d| d.config_dir().join("opsdeck.toml"));
    match default {
        Some(p) if p.exists() => Ok(p),
        Some(p) => Err(ConfigError::NotFound { looked_in: vec![p] }),
        None => Err(ConfigError::NotFound { looked_in: vec![] }),
    }
}

/// The state store when the config names none: `state.db` in the user's state folder
/// (`$XDG_STATE_HOME/opsdeck`, by default `~/.local/state/opsdeck`; where a platform has no
/// state folder, its local data folder). None without a home folder.
pub fn default_state_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "opsdeck")?;
    let folder = dirs.state_dir().unwrap_or(dirs.data_local_dir());
    Some(folder.join("state.db"))
}

/// Reads and checks the config at `path`, as [`load_file`] does, then holds it to the approval
/// policy its state store records ([`crate::approvals::recorded`]): a config that weakens it is
/// refused here, before anything runs, whichever command or console loads it.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let config = load_file(path)?;
    let user = crate::identity::current_user();
    crate::approvals::recorded::enforce(&config, path, &user).map_err(ConfigError::WeakerPolicy)?;
    Ok(config)
}

/// Reads and checks the config at `path`, without the recorded policy (what `opsdeck policy set`
/// loads, to record it). Relative paths inside it become relative to its folder. A state store
/// that others may read or change is refused here.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Unreadable { path: path.to_path_buf(), reason: e.to_string() })?;
    let mut config = parse(&text).map_err(|problems| ConfigError::Invalid { path: path.to_path_buf(), problems })?;
    if config.state_path.as_os_str().is_empty() {
        config.state_path = default_state_path().ok_or_else(|| ConfigError::Unresolved {
            path: path.to_path_buf(),
            problems: vec!["no state_path, and no home folder to keep the state store in: give state_path".into()],
        })?;
    } else if config.state_path.is_relative() {
        let base = path.parent().unwrap_or(Path::new("."));
        config.state_path = base.join(&config.state_path);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    if config.runbooks.is_empty() {
        config.runbooks.push(base.join("runbooks"));
    }
    config.runbooks = config.runbooks.iter().map(|p| if p.is_relative() { base.join(p) } else { p.clone() }).collect();
    // A theme file, like a runbook folder, is found beside the config wherever opsdeck starts.
    if let Some(theme) = config.theme.as_mut().filter(|t| super::look::is_theme_path(t)) {
        if Path::new(theme.as_str()).is_relative() {
            *theme = base.join(theme.as_str()).display().to_string();
        }
    }
    super::docker_hosts::resolve_all(&mut config, base)
        .map_err(|problems| ConfigError::Unresolved { path: path.to_path_buf(), problems })?;
    super::registry_auth::resolve(&mut config, base)
        .map_err(|problem| ConfigError::Unresolved { path: path.to_path_buf(), problems: vec![problem] })?;
    super::secret_source::resolve_all(&mut config, base)
        .map_err(|problems| ConfigError::Unresolved { path: path.to_path_buf(), problems })?;
    crate::store::permissions::check(&config.state_path).map_err(|e| ConfigError::LooseStore(e.to_string()))?;
    Ok(config)
}

/// Parses and validates config text; every problem found is returned, located.
pub fn parse(text: &str) -> Result<Config, Vec<ConfigProblem>> {
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        vec![ConfigProblem { line, column, message: e.message().trim().replace('\n', " ") }]
    })?;
    config.keys.locate(text);
    let problems = validate::check(&config, text);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) const GOOD: &str = r#"
state_path = "state.db"

[registry]
url = "http://127.0.0.1:5000"

[alertmanager]
url = "http://127.0.0.1:9093"

[timeouts]
docker = "1500ms"

[[environments]]
name = "staging"
haproxy = "unix:///tmp/haproxy.sock"
hosts = [{ name = "staging-1", url = "unix:///var/run/docker.sock" }]

[[environments]]
name = "prod"
haproxy = "tcp://127.0.0.1:9999"
approval = "required"
approvers = ["alice", "bob"]
hosts = [
  { name = "prod-1", url = "ssh://deploy@prod-1" },
  { name = "prod-2", url = "tcp://10.0.0.2:2376", address = "10.0.0.2" },
]

[[services]]
name = "api"
container_port = 8080
[services.environments.staging]
backend = "api_staging"
url = "http://127.0.0.1:8001"
[services.environments.prod]
backend = "api_prod"
url = "http://127.0.0.1:8002"
"#;

    fn problems(text: &str) -> Vec<String> {
        match parse(text) {
            Ok(_) => vec![],
            Err(ps) => ps.into_iter().map(|p| format!("{}:{}: {}", p.line, p.column, p.message)).collect(),
        }
    }

    #[test]
    fn a_good_config_parses_with_defaults() {
        let c = parse(GOOD).expect("valid");
        assert_eq!(c.environments.len(), 2);
        assert_eq!(c.environments[1].approvers, ["alice", "bob"]);
        assert_eq!(c.timeouts.docker, std::time::Duration::from_millis(1500));
        assert_eq!(c.timeouts.registry, std::time::Duration::from_secs(5));
        assert_eq!(c.services[0].health_path, "/health");
        assert_eq!(c.services[0].repository(), "api");
        assert!(c.mouse, "the console takes the mouse unless told not to");
        let off = parse(&format!("mouse = false\n{GOOD}")).expect("valid");
        assert!(!off.mouse);
    }

    #[test]
    fn unknown_keys_are_errors_with_their_position() {
        let text = GOOD.replace("container_port = 8080", "container_port = 8080\nhealth_pth = \"/h\"");
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert!(ps[0].contains("unknown field `health_pth`"), "{ps:?}");
        let line = text.lines().position(|l| l.starts_with("health_pth")).expect("line") + 1;
        assert!(ps[0].starts_with(&format!("{line}:1:")), "{ps:?}");
    }

    #[test]
    fn an_environment_runs_on_docker_unless_it_names_another_platform() {
        let c = parse(GOOD).expect("valid");
        assert!(c.environments.iter().all(|e| e.platform == crate::config::PlatformKind::Docker));
        let named = GOOD.replace("name = \"prod\"", "name = \"prod\"\nplatform = \"docker\"");
        assert_eq!(parse(&named).expect("valid").environments[1].platform, crate::config::PlatformKind::Docker);
        let ps = problems(&GOOD.replace("name = \"prod\"", "name = \"prod\"\nplatform = \"nomad\""));
        assert!(ps[0].contains("unknown variant `nomad`") && ps[0].contains("docker"), "{ps:?}");
        let line = GOOD.lines().position(|l| l == "name = \"prod\"").expect("line") + 2;
        assert!(ps[0].starts_with(&format!("{line}:")), "{ps:?}");
    }

    #[test]
    fn wrong_types_and_syntax_errors_are_located() {
        let ps = problems(&GOOD.replace("container_port = 8080", "container_port = \"eighty\""));
        assert!(ps[0].contains("invalid type"), "{ps:?}");
        let ps = problems("state_path = \n");
        assert!(ps[0].starts_with("1:"), "{ps:?}");
        let ps = problems(&GOOD.replace("docker = \"1500ms\"", "docker = \"soon\""));
        assert!(ps[0].contains("docker") || ps[0].contains("soon") || ps[0].contains("unit"), "{ps:?}");
    }

    #[test]
    fn every_semantic_problem_is_reported_at_once() {
        let text = GOOD
            .replace("approvers = [\"alice\", \"bob\"]", "approvers = []")
            .replace("[services.environments.prod]", "[services.environments.production]")
            .replace("unix:///tmp/haproxy.sock", "http://127.0.0.1:1")
            .replace("ssh://deploy@prod-1", "ftp://prod-1");
        let ps = problems(&text);
        assert_eq!(ps.len(), 4, "{ps:?}");
        assert!(ps.iter().any(|p| p.contains("approval = \"required\" needs at least one approver")), "{ps:?}");
        assert!(ps.iter().any(|p| p.contains("no environment named `production`")), "{ps:?}");
        assert!(ps.iter().any(|p| p.contains("haproxy must be unix:// or tcp://")), "{ps:?}");
        assert!(ps.iter().any(|p| p.contains("host url must be unix://, tcp://, ssh:// or env")), "{ps:?}");
        // Each problem points at its own line.
        let ftp_line = text.lines().position(|l| l.contains("ftp://")).expect("line") + 1;
        assert!(ps.iter().any(|p| p.starts_with(&format!("{ftp_line}:"))), "{ps:?}");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let text = GOOD.replace("name = \"prod\"", "name = \"staging\"");
        let ps = problems(&text);
        assert!(ps.iter().any(|p| p.contains("environment `staging` is defined twice")), "{ps:?}");
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, "state_path = 1\n").expect("write");
        let e = load(&path).expect_err("invalid");
        let line = e.to_string();
        assert!(line.starts_with(&format!("{}:1:", path.display())), "{line}");
        let e = load(&dir.path().join("missing.toml")).expect_err("missing");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    #[test]
    fn relative_state_path_is_beside_the_config() {
        let dir = crate::store::permissions::private_tempdir();
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, GOOD).expect("write");
        let c = load(&path).expect("valid");
        assert_eq!(c.state_path, dir.path().join("state.db"));
        assert_eq!(c.runbooks, vec![dir.path().join("runbooks")], "the default runbook folder is beside the config");
    }

    #[test]
    fn a_config_without_state_path_keeps_its_store_in_the_users_state_folder() {
        let dir = crate::store::permissions::private_tempdir();
        let path = dir.path().join("opsdeck.toml");
        let text = GOOD.lines().filter(|l| !l.starts_with("state_path")).collect::<Vec<_>>().join("\n");
        std::fs::write(&path, text).expect("write");
        let c = load_file(&path).expect("valid");
        let default = default_state_path().expect("a home folder");
        assert_eq!(c.state_path, default);
        assert!(default.ends_with("opsdeck/state.db"), "{}", default.display());
    }

    #[test]
    fn a_store_open_to_others_is_refused_at_load() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("opsdeck.toml");
        std::fs::write(&path, GOOD).expect("write");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let e = load(&path).expect_err("loose folder");
        assert!(matches!(e, ConfigError::LooseStore(_)), "{e}");
        assert!(e.to_string().contains(&format!("chmod 2770 {}", dir.path().display())), "{e}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o2770)).expect("chmod");
        load(&path).expect("fixed");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
