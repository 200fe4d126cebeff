//! A step's fenced block: its kind and options from the info string (`sh timeout=5m`), and the
//! grammar of the built-in `opsdeck` actions.

use super::StepBlock;
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest timeout a step may ask for: a runbook step is not a batch job.
pub const MAX_STEP_TIMEOUT: Duration = Duration::from_secs(3600);

/// A built-in action. Arguments written `$label` take the firing alert's label value when the
/// step runs (see [`OpsdeckAction::resolve`]); they are never pasted into a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpsdeckAction {
    Rollback {
        service: String,
        env: String,
        tag: Option<String>,
    },
    Promote {
        service: String,
        env: String,
        image: Option<String>,
    },
    /// A promote stage by stage, with the environment's ladder and gate.
    Canary {
        service: String,
        env: String,
        image: Option<String>,
    },
    Silence {
        alert: String,
        duration: Duration,
    },
    Restart {
        service: String,
        env: String,
        slot: String,
    },
    Health {
        service: String,
        env: String,
    },
}

/// The usage line of each action, for errors and the README.
pub const USAGE: &str = "rollback SERVICE ENV [TAG] | promote SERVICE ENV [TAG] | canary SERVICE ENV [TAG] | \
                         silence ALERT DURATION | \
                         restart SERVICE ENV SLOT | health SERVICE ENV";

/// Builds the step's block from the fence's info string and content. `default_timeout` is the
/// front matter's, if it set one.
pub(super) fn parse_block(info: &str, content: &str, default_timeout: Duration) -> Result<StepBlock, String> {
    let mut words = info.split_whitespace();
    let kind = words.next().unwrap_or("");
    let mut timeout = default_timeout;
    for opt in words {
        match opt.split_once('=') {
            Some(("timeout", v)) if kind != "opsdeck" => timeout = parse_timeout(v)?,
            _ => {
                return Err(format!(
                    "unknown option `{opt}` for a `{kind}` block (allowed: timeout=DURATION on sh and http)"
                ))
            }
        }
    }
    match kind {
        "sh" => {
            if content.trim().is_empty() {
                return Err("an empty `sh` block".into());
            }
            Ok(StepBlock::Sh { command: content.to_string(), timeout })
        }
        "http" => {
            let url = content.trim();
            if url.contains(char::is_whitespace) || !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("an `http` block holds one http:// or https:// URL, not `{}`", shorten(url)));
            }
            Ok(StepBlock::Http { url: url.to_string(), timeout })
        }
        "opsdeck" => {
            let text = content.trim();
            let action = parse_opsdeck(text)?;
            Ok(StepBlock::Opsdeck { action, text: text.to_string() })
        }
        "" => Err("a fenced block without a kind: write ```sh, ```opsdeck or ```http".into()),
        other => Err(format!("unknown block kind `{}`: a step's block is sh, opsdeck or http", shorten(other))),
    }
}

pub(super) fn parse_timeout(v: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(v).map_err(|e| format!("timeout `{}`: {e}", shorten(v)))?;
    if d.is_zero() || d > MAX_STEP_TIMEOUT {
        return Err(format!("timeout `{v}` must be more than 0 and at most 1h"));
    }
    Ok(d)
}

/// Parses one `opsdeck` line, e.g. `rollback api prod` or `silence HighErrorRate 30m`.
pub fn parse_opsdeck(text: &str) -> Result<OpsdeckAction, String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() != 1 {
        return Err(format!("an `opsdeck` block holds exactly one action ({USAGE})"));
    }
    let words: Vec<String> = lines[0].split_whitespace().map(str::to_string).collect();
    let verb = words[0].as_str();
    let args = &words[1..];
    let arity = |min: usize, max: usize, usage: &str| {
        if args.len() < min || args.len() > max {
            Err(format!("`{verb}` takes {usage}"))
        } else {
            Ok(())
        }
    };
    match verb {
        "rollback" => {
            arity(2, 3, "SERVICE ENV [TAG]")?;
            Ok(OpsdeckAction::Rollback { service: args[0].clone(), env: args[1].clone(), tag: args.get(2).cloned() })
        }
        "promote" => {
            arity(2, 3, "SERVICE ENV [TAG]")?;
            Ok(OpsdeckAction::Promote { service: args[0].clone(), env: args[1].clone(), image: args.get(2).cloned() })
        }
        "canary" => {
            arity(2, 3, "SERVICE ENV [TAG]")?;
            Ok(OpsdeckAction::Canary { service: args[0].clone(), env: args[1].clone(), image: args.get(2).cloned() })
        }
        "silence" => {
            arity(2, 2, "ALERT DURATION")?;
            let duration = humantime::parse_duration(&args[1])
                .map_err(|e| format!("silence duration `{}`: {e}", shorten(&args[1])))?;
            if duration.is_zero() {
                return Err("a silence lasts more than 0s".into());
            }
            let max = crate::actions::silences::MAX_SILENCE;
            if duration > max {
                return Err(format!("a silence lasts at most {}", humantime::format_duration(max)));
            }
            Ok(OpsdeckAction::Silence { alert: args[0].clone(), duration })
        }
        "restart" => {
            arity(3, 3, "SERVICE ENV SLOT")?;
            check_slot(&args[2])?;
            Ok(OpsdeckAction::Restart { service: args[0].clone(), env: args[1].clone(), slot: args[2].clone() })
        }
        "health" => {
            arity(2, 2, "SERVICE ENV")?;
            Ok(OpsdeckAction::Health { service: args[0].clone(), env: args[1].clone() })
        }
        other => Err(format!("unknown opsdeck action `{}` (one of: {USAGE})", shorten(other))),
    }
}

fn check_slot(slot: &str) -> Result<(), String> {
    if slot.starts_with('$') || matches!(slot, "blue" | "green") {
        Ok(())
    } else {
        Err(format!("slot `{}` is blue or green", shorten(slot)))
    }
}

impl OpsdeckAction {
    /// The action with every `$label` argument replaced by the alert's value for it. A label the
    /// alert lacks (or no alert at all) is an error naming it.
    pub fn resolve(&self, labels: &BTreeMap<String, String>) -> Result<OpsdeckAction, String> {
        let r = |arg: &str| -> Result<String, String> {
            match arg.strip_prefix('$') {
                Some(name) => labels
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| format!("`${name}` needs an alert with the label `{name}`")),
                None => Ok(arg.to_string()),
            }
        };
        let ro = |arg: &Option<String>| arg.as_deref().map(r).transpose();
        let resolved = match self {
            OpsdeckAction::Rollback { service, env, tag } => {
                OpsdeckAction::Rollback { service: r(service)?, env: r(env)?, tag: ro(tag)? }
            }
            OpsdeckAction::Promote { service, env, image } => {
                OpsdeckAction::Promote { service: r(service)?, env: r(env)?, image: ro(image)? }
            }
            OpsdeckAction::Canary { service, env, image } => {
                OpsdeckAction::Canary { service: r(service)?, env: r(env)?, image: ro(image)? }
            }
            OpsdeckAction::Silence { alert, duration } => {
                OpsdeckAction::Silence { alert: r(alert)?, duration: *duration }
            }
            OpsdeckAction::Restart { service, env, slot } => {
                let slot = r(slot)?;
                check_slot(&slot)?;
                OpsdeckAction::Restart { service: r(service)?, env: r(env)?, slot }
            }
            OpsdeckAction::Health { service, env } => OpsdeckAction::Health { service: r(service)?, env: r(env)? },
        };
        Ok(resolved)
    }

    /// The action as a line, e.g. `rollback api prod`.
    pub fn line(&self) -> String {
        match self {
            OpsdeckAction::Rollback { service, env, tag } => {
                format!("rollback {service} {env}{}", tag.as_ref().map(|t| format!(" {t}")).unwrap_or_default())
            }
            OpsdeckAction::Promote { service, env, image } => {
                format!("promote {service} {env}{}", image.as_ref().map(|t| format!(" {t}")).unwrap_or_default())
            }
            OpsdeckAction::Canary { service, env, image } => {
                format!("canary {service} {env}{}", image.as_ref().map(|t| format!(" {t}")).unwrap_or_default())
            }
            OpsdeckAction::Silence { alert, duration } => {
                format!("silence {alert} {}", humantime::format_duration(*duration))
            }
            OpsdeckAction::Restart { service, env, slot } => format!("restart {service} {env} {slot}"),
            OpsdeckAction::Health { service, env } => format!("health {service} {env}"),
        }
    }
}

/// At most 60 characters of `s`, cleaned, for an error line.
pub(super) fn shorten(s: &str) -> String {
    let c = crate::text::clean(s);
    if c.chars().count() > 60 {
        format!("{}…", c.chars().take(60).collect::<String>())
    } else {
        c.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_parses() {
        assert_eq!(
            parse_opsdeck("rollback api prod").unwrap(),
            OpsdeckAction::Rollback { service: "api".into(), env: "prod".into(), tag: None }
        );
        assert_eq!(
            parse_opsdeck("promote api staging v1.2.0").unwrap(),
            OpsdeckAction::Promote { service: "api".into(), env: "staging".into(), image: Some("v1.2.0".into()) }
        );
        assert_eq!(
            parse_opsdeck("silence HighErrorRate 30m").unwrap(),
            OpsdeckAction::Silence { alert: "HighErrorRate".into(), duration: Duration::from_secs(1800) }
        );
        let canary = parse_opsdeck("canary $service prod").unwrap();
        assert_eq!(canary, OpsdeckAction::Canary { service: "$service".into(), env: "prod".into(), image: None });
        let labels = BTreeMap::from([("service".to_string(), "api".to_string())]);
        assert_eq!(canary.resolve(&labels).unwrap().line(), "canary api prod");
        assert!(matches!(parse_opsdeck("restart api prod blue").unwrap(), OpsdeckAction::Restart { .. }));
        assert!(matches!(parse_opsdeck("  health $service $env \n").unwrap(), OpsdeckAction::Health { .. }));
    }

    #[test]
    fn bad_actions_say_what_is_wrong() {
        for (text, want) in [
            ("reboot api prod", "unknown opsdeck action `reboot`"),
            ("rollback api", "takes SERVICE ENV [TAG]"),
            ("silence X forever", "silence duration"),
            ("silence X 15days", "at most 14days"),
            ("silence X 500000000000years", "at most 14days"),
            ("restart api prod purple", "blue or green"),
            ("health a b\nhealth c d", "exactly one action"),
            ("", "exactly one action"),
        ] {
            let err = parse_opsdeck(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn labels_fill_dollar_arguments_and_a_missing_one_is_named() {
        let a = parse_opsdeck("rollback $service $env").unwrap();
        let labels: BTreeMap<String, String> =
            [("service".to_string(), "api".to_string()), ("env".to_string(), "prod".to_string())].into();
        assert_eq!(a.resolve(&labels).unwrap().line(), "rollback api prod");
        let err = a.resolve(&BTreeMap::new()).unwrap_err();
        assert!(err.contains("$service"), "{err}");
    }

    #[test]
    fn block_kinds_and_options() {
        let d = Duration::from_secs(60);
        assert!(
            matches!(parse_block("sh timeout=5s", "echo hi\n", d).unwrap(), StepBlock::Sh { timeout, .. } if timeout == Duration::from_secs(5))
        );
        assert!(matches!(parse_block("http", "http://127.0.0.1:1/x\n", d).unwrap(), StepBlock::Http { .. }));
        assert!(parse_block("python", "print(1)", d).unwrap_err().contains("unknown block kind `python`"));
        assert!(parse_block("sh retries=3", "x", d).unwrap_err().contains("unknown option"));
        assert!(parse_block("sh timeout=2h", "x", d).unwrap_err().contains("at most 1h"));
        assert!(parse_block("http", "not a url", d).unwrap_err().contains("one http"));
        assert!(parse_block("sh", "  \n", d).unwrap_err().contains("empty"));
    }
}
