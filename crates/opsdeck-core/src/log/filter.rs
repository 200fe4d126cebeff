//! Which events reach the log: `--log-level` over `$OPSDECK_LOG` over `info`. A bare level
//! (`debug`) applies to opsdeck's own crates, libraries staying at `warn` (hyper's debug lines
//! would bury ours); anything else is taken as a full `EnvFilter` string
//! (`opsdeck_core::watch=trace,info`).

use tracing_subscriber::EnvFilter;

/// The level when neither the flag nor the environment names one.
pub const DEFAULT: &str = "info";

/// The filter for `flag` (the `--log-level` value), else `env` (`$OPSDECK_LOG`), else
/// [`DEFAULT`]. Empty values count as absent. Errors: a value `EnvFilter` cannot read, said
/// with where it came from.
pub fn from(flag: Option<&str>, env: Option<&str>) -> Result<EnvFilter, String> {
    let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (spec, source) = match (given(flag), given(env)) {
        (Some(f), _) => (f, "--log-level"),
        (None, Some(e)) => (e, "OPSDECK_LOG"),
        (None, None) => (DEFAULT.to_string(), "the default"),
    };
    let directives = directives(&spec);
    EnvFilter::builder()
        .parse(&directives)
        .map_err(|e| format!("{source}: cannot read log level `{spec}`: {e} (try error, warn, info, debug or trace)"))
}

/// `spec` as `EnvFilter` directives: a bare level widened to opsdeck's crates (whose targets all
/// begin `opsdeck`), anything else as written.
fn directives(spec: &str) -> String {
    let level = spec.to_ascii_lowercase();
    match level.as_str() {
        "trace" | "debug" | "info" => format!("warn,opsdeck={level}"),
        "warn" | "error" | "off" => level,
        _ => spec.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_and_info_is_the_default() {
        // EnvFilter prints its directives in an order of its own.
        let shown = |f: Result<EnvFilter, String>| {
            let mut parts: Vec<String> = f.expect("filter").to_string().split(',').map(str::to_string).collect();
            parts.sort();
            parts.join(",")
        };
        assert_eq!(shown(from(None, None)), "opsdeck=info,warn");
        assert_eq!(shown(from(None, Some("debug"))), "opsdeck=debug,warn");
        assert_eq!(shown(from(Some("error"), Some("debug"))), "error");
        assert_eq!(shown(from(Some(" "), Some("DEBUG"))), "opsdeck=debug,warn");
    }

    #[test]
    fn a_full_filter_string_is_taken_as_written() {
        let f = from(None, Some("opsdeck_core::watch=trace,info")).expect("filter");
        assert!(f.to_string().contains("opsdeck_core::watch=trace"), "{f}");
    }

    #[test]
    fn a_level_that_cannot_be_read_says_where_it_came_from() {
        let e = from(Some("loud=="), None).expect_err("bad");
        assert!(e.starts_with("--log-level: cannot read log level `loud==`"), "{e}");
    }
}
