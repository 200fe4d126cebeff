//! What the demo needs on this machine and what to do about what is missing, decided from facts
//! gathered elsewhere ([`super::install_run`]) so every case is tested without a machine: as root
//! on Debian it installs the missing Debian packages (after a yes, or `--yes`) and starts the
//! engine when nothing answers; anywhere else it prints the one command that does it.

/// A program the demo runs, and the Debian package that ships it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub program: &'static str,
    pub package: &'static str,
}

/// The programs every demo runs (the engine is looked at apart: one that answers is enough).
pub const COMPONENTS: [Need; 3] = [
    Need { program: "docker-registry", package: "docker-registry" },
    Need { program: "haproxy", package: "haproxy" },
    Need { program: "prometheus-alertmanager", package: "prometheus-alertmanager" },
];
/// The engine, started here when nothing answers, and for each prod host past the first.
pub const ENGINE: Need = Need { program: "dockerd", package: "docker.io" };
/// `ip`, for the bridge of each prod host past the first.
pub const IP: Need = Need { program: "ip", package: "iproute2" };

/// Where a started engine writes its log.
pub const ENGINE_LOG: &str = "/tmp/opsdeck-dockerd.log";

/// What was found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The demo's programs that are not installed.
    pub missing: Vec<Need>,
    /// Whether a Docker engine answers on its socket.
    pub engine_answers: bool,
    /// Running as root.
    pub root: bool,
    /// Debian (or a derivative) with `apt-get`.
    pub debian: bool,
    /// Standard input is a terminal, where a question can be asked.
    pub tty: bool,
}

/// What to do before the demo starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Everything is here and the engine answers.
    Ready,
    /// Install `packages` (first asking, when `ask`), then start the engine when `start_engine`.
    Act { packages: Vec<&'static str>, ask: bool, start_engine: bool },
    /// Nothing is done here: `why`, and the command that does it.
    Tell { why: String, command: String },
}

/// The programs the demo needs that `installed` says are not there; `prod_hosts` past the first
/// each run an engine of their own, so then `dockerd` and `ip` are needed even beside an engine
/// that answers.
pub fn missing(prod_hosts: usize, engine_answers: bool, installed: impl Fn(&str) -> bool) -> Vec<Need> {
    let mut needs = COMPONENTS.to_vec();
    if !engine_answers || prod_hosts > 1 {
        needs.insert(0, ENGINE);
    }
    if prod_hosts > 1 {
        needs.push(IP);
    }
    needs.into_iter().filter(|n| !installed(n.program)).collect()
}

/// The decision: `yes` is `--yes`.
pub fn decide(facts: &Facts, yes: bool) -> Plan {
    let packages: Vec<&'static str> = facts.missing.iter().map(|n| n.package).collect();
    let start_engine = !facts.engine_answers;
    if packages.is_empty() && !start_engine {
        return Plan::Ready;
    }
    let what = what_is_missing(facts);
    if !facts.debian {
        return Plan::Tell {
            why: format!("{what}; this is not Debian, so opsdeck does not install anything here"),
            command: format!("on Debian, as root: {}", command(&packages, start_engine)),
        };
    }
    if !facts.root {
        return Plan::Tell {
            why: format!("{what}; installing needs root"),
            command: format!("sudo sh -c '{}'", command(&packages, start_engine)),
        };
    }
    if !packages.is_empty() && !yes && !facts.tty {
        return Plan::Tell {
            why: format!("{what}; not installing without --yes (no terminal to ask on)"),
            command: command(&packages, start_engine),
        };
    }
    Plan::Act { ask: !packages.is_empty() && !yes, packages, start_engine }
}

/// "missing: haproxy (package haproxy); no Docker engine answers".
fn what_is_missing(facts: &Facts) -> String {
    let mut parts = Vec::new();
    if !facts.missing.is_empty() {
        let names: Vec<String> = facts
            .missing
            .iter()
            .map(|n| {
                if n.program == n.package {
                    n.program.to_string()
                } else {
                    format!("{} (package {})", n.program, n.package)
                }
            })
            .collect();
        parts.push(format!("the demo needs {}", names.join(", ")));
    }
    if !facts.engine_answers {
        parts.push("no Docker engine answers".to_string());
    }
    parts.join("; ")
}

/// The shell command that installs `packages` and starts the engine.
pub fn command(packages: &[&str], start_engine: bool) -> String {
    let mut steps = Vec::new();
    if !packages.is_empty() {
        steps.push("apt-get update".to_string());
        steps.push(format!(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}",
            packages.join(" ")
        ));
    }
    if start_engine {
        steps.push(format!("(dockerd >{ENGINE_LOG} 2>&1 &)"));
    }
    steps.join(" && ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(missing: Vec<Need>, engine_answers: bool) -> Facts {
        Facts { missing, engine_answers, root: true, debian: true, tty: true }
    }

    #[test]
    fn what_is_needed_depends_on_the_engine_and_the_prod_hosts() {
        let none = |_: &str| false;
        let pkgs = |n: Vec<Need>| n.into_iter().map(|n| n.package).collect::<Vec<_>>();
        assert_eq!(pkgs(missing(1, true, none)), ["docker-registry", "haproxy", "prometheus-alertmanager"]);
        assert_eq!(
            pkgs(missing(1, false, none)),
            ["docker.io", "docker-registry", "haproxy", "prometheus-alertmanager"]
        );
        assert_eq!(
            pkgs(missing(2, true, none)),
            ["docker.io", "docker-registry", "haproxy", "prometheus-alertmanager", "iproute2"]
        );
        assert!(missing(3, false, |_| true).is_empty());
        assert_eq!(pkgs(missing(1, true, |p| p != "haproxy")), ["haproxy"]);
    }

    #[test]
    fn nothing_missing_and_an_engine_answering_is_ready() {
        assert_eq!(decide(&facts(vec![], true), false), Plan::Ready);
        let not_root = Facts { root: false, debian: false, tty: false, ..facts(vec![], true) };
        assert_eq!(decide(&not_root, false), Plan::Ready, "nothing to do needs no root");
    }

    #[test]
    fn root_on_debian_asks_on_a_terminal_and_installs_on_yes() {
        let f = facts(vec![ENGINE, COMPONENTS[1]], false);
        let act = |ask| Plan::Act { packages: vec!["docker.io", "haproxy"], ask, start_engine: true };
        assert_eq!(decide(&f, false), act(true));
        assert_eq!(decide(&f, true), act(false));
        assert_eq!(decide(&Facts { tty: false, ..f.clone() }, true), act(false), "--yes needs no terminal");
    }

    #[test]
    fn no_terminal_and_no_yes_prints_the_command_and_installs_nothing() {
        let f = Facts { tty: false, ..facts(vec![COMPONENTS[1]], true) };
        let Plan::Tell { why, command } = decide(&f, false) else { panic!("{:?}", decide(&f, false)) };
        assert!(why.contains("the demo needs haproxy") && why.contains("--yes"), "{why}");
        assert_eq!(
            command,
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy"
        );
    }

    #[test]
    fn an_engine_that_does_not_answer_is_started_without_asking() {
        // dockerd is installed; only the engine is down: nothing to install, nothing to ask.
        let f = Facts { tty: false, ..facts(vec![], false) };
        assert_eq!(decide(&f, false), Plan::Act { packages: vec![], ask: false, start_engine: true });
    }

    #[test]
    fn not_root_or_not_debian_prints_the_one_command() {
        let f = Facts { root: false, ..facts(vec![ENGINE], false) };
        let Plan::Tell { why, command } = decide(&f, true) else { panic!() };
        assert!(why.contains("needs root") && why.contains("dockerd (package docker.io)"), "{why}");
        assert_eq!(
            command,
            "sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
             --no-install-recommends docker.io && (dockerd >/tmp/opsdeck-dockerd.log 2>&1 &)'"
        );
        let f = Facts { debian: false, ..facts(vec![], false) };
        let Plan::Tell { why, command } = decide(&f, true) else { panic!() };
        assert!(why.contains("not Debian") && why.contains("no Docker engine answers"), "{why}");
        assert_eq!(command, "on Debian, as root: (dockerd >/tmp/opsdeck-dockerd.log 2>&1 &)");
    }
}
