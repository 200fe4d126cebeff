//! What the service is told at start: its identity (service, version, image tag), its port, and
//! the fault switches the demo uses to make a release misbehave. Flags override environment.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub service: String,
    pub version: String,
    pub image_tag: String,
    pub port: u16,
    pub faults: Faults,
}

/// Ways to make this instance misbehave on purpose.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// `/health` answers 503 from the start.
    pub start_unhealthy: bool,
    /// `/health` answers 503 once the process has been up this long.
    pub unhealthy_after: Option<Duration>,
    /// Share (0..=1) of `/` requests that answer 500.
    pub fail_rate: f64,
    /// Added before every response.
    pub delay: Duration,
    /// Written as is (escape sequences and all) into an unhealthy `/health` body, as a badly
    /// behaved service might: for the tests that what opsdeck prints stays clean.
    pub health_note: Option<String>,
}

impl Faults {
    /// Whether `/health` should report unhealthy after `uptime`.
    pub fn unhealthy_at(&self, uptime: Duration) -> bool {
        self.start_unhealthy || self.unhealthy_after.is_some_and(|after| uptime >= after)
    }

    /// Whether a `/` request fails, given a uniform roll in `[0, 1)`.
    pub fn fails(&self, roll: f64) -> bool {
        roll < self.fail_rate
    }
}

impl Config {
    /// Reads `DEMO_*` and `PORT` through `env`, then applies `--flag value` pairs from `args`.
    pub fn from_env_and_args(env: impl Fn(&str) -> Option<String>, args: &[String]) -> Result<Config, String> {
        let mut c = Config {
            service: env("DEMO_SERVICE").unwrap_or_else(|| "demo".into()),
            version: env("DEMO_VERSION").unwrap_or_else(|| "v0.0.0".into()),
            image_tag: env("DEMO_IMAGE_TAG").unwrap_or_else(|| "dev".into()),
            port: parse_or("PORT", env("PORT"), 8080)?,
            faults: Faults {
                start_unhealthy: env("DEMO_START_UNHEALTHY").is_some_and(|v| truthy(&v)),
                unhealthy_after: env("DEMO_UNHEALTHY_AFTER_SECS")
                    .map(|v| parse_num::<u64>("DEMO_UNHEALTHY_AFTER_SECS", &v).map(Duration::from_secs))
                    .transpose()?,
                fail_rate: parse_or("DEMO_FAIL_RATE", env("DEMO_FAIL_RATE"), 0.0)?,
                delay: Duration::from_millis(parse_or("DEMO_DELAY_MS", env("DEMO_DELAY_MS"), 0)?),
                health_note: env("DEMO_HEALTH_NOTE"),
            },
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--version-label" => c.version = value()?,
                "--image-tag" => c.image_tag = value()?,
                "--service" => c.service = value()?,
                "--port" => c.port = parse_num("--port", &value()?)?,
                "--start-unhealthy" => c.faults.start_unhealthy = true,
                "--unhealthy-after-secs" => {
                    c.faults.unhealthy_after = Some(Duration::from_secs(parse_num(flag, &value()?)?))
                }
                "--fail-rate" => c.faults.fail_rate = parse_num(flag, &value()?)?,
                "--delay-ms" => c.faults.delay = Duration::from_millis(parse_num(flag, &value()?)?),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if !(0.0..=1.0).contains(&c.faults.fail_rate) {
            return Err(format!("fail rate {} is not between 0 and 1", c.faults.fail_rate));
        }
        Ok(c)
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

fn parse_or<T: std::str::FromStr>(name: &str, v: Option<String>, default: T) -> Result<T, String> {
    match v {
        Some(v) if !v.trim().is_empty() => parse_num(name, &v),
        _ => Ok(default),
    }
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| format!("{name}: {v:?} is not a valid number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(env: &[(&str, &str)], args: &[&str]) -> Result<Config, String> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Config::from_env_and_args(|k| env.get(k).cloned(), &args)
    }

    #[test]
    fn defaults_without_env_or_flags() {
        let c = config(&[], &[]).expect("config");
        assert_eq!(c.port, 8080);
        assert_eq!(c.version, "v0.0.0");
        assert_eq!(c.faults, Faults::default());
    }

    #[test]
    fn flags_override_the_environment() {
        let c =
            config(&[("DEMO_VERSION", "v1.0.0"), ("PORT", "9000")], &["--version-label", "v2.0.0"]).expect("config");
        assert_eq!(c.version, "v2.0.0");
        assert_eq!(c.port, 9000);
        assert!(config(&[], &["--port"]).is_err());
        assert!(config(&[], &["--bogus"]).is_err());
    }

    #[test]
    fn fault_switches() {
        let c = config(&[("DEMO_START_UNHEALTHY", "1"), ("DEMO_FAIL_RATE", "0.3"), ("DEMO_DELAY_MS", "50")], &[])
            .expect("config");
        assert!(c.faults.unhealthy_at(Duration::ZERO));
        assert!(c.faults.fails(0.29) && !c.faults.fails(0.3));
        assert_eq!(c.faults.delay, Duration::from_millis(50));

        let c = config(&[("DEMO_UNHEALTHY_AFTER_SECS", "10")], &[]).expect("config");
        assert!(!c.faults.unhealthy_at(Duration::from_secs(9)));
        assert!(c.faults.unhealthy_at(Duration::from_secs(10)));
        assert!(!c.faults.fails(0.0), "no failures by default");

        assert!(config(&[("DEMO_FAIL_RATE", "1.5")], &[]).is_err());
        assert!(config(&[("DEMO_DELAY_MS", "soon")], &[]).is_err());
    }
}
