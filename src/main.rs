//! Entry point: hooks that restore the terminal, the command line, the async runtime; the rest
//! is in [`opsdeck::commands::dispatch`].

use clap::Parser;
use opsdeck::cli::Cli;
use std::process::ExitCode;

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
    runtime.block_on(opsdeck::commands::dispatch::run(cli))
}
