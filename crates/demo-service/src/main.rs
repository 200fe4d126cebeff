//! `demo-service`: the small HTTP service opsdeck's demo deploys. `demo-service` serves;
//! `demo-service probe [--url URL]` is the image's HEALTHCHECK (a scratch image has no curl).

mod access_log;
mod clock;
mod config;
mod http;
mod logs;
mod probe;
mod routes;
mod server;
mod signal;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("probe") {
        return probe::run(&args[1..]);
    }
    let config = match config::Config::from_env_and_args(|k| std::env::var(k).ok(), &args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo-service: {e}");
            return ExitCode::from(2);
        }
    };
    match server::serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-service: {e}");
            ExitCode::FAILURE
        }
    }
}
