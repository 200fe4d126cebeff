//! `opsdeck completions SHELL` and `opsdeck man`: a completion script and the man page, both
//! generated from the clap definition in [`crate::cli`], so they never drift from the flags. They
//! need no config.

use crate::cli::{Cli, CompletionShell};
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

/// The completion script for `shell`, as text.
pub fn completion_script(shell: CompletionShell) -> Vec<u8> {
    let generator = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, so clap_complete's panic on a failed write cannot happen.
    clap_complete::generate(generator, &mut cmd, "opsdeck", &mut out);
    out
}

/// The man page (roff) of the whole command line: every subcommand is listed in it.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// `opsdeck completions SHELL`.
pub fn completions(shell: CompletionShell) -> ExitCode {
    write_stdout(&completion_script(shell))
}

/// `opsdeck man`.
pub fn man() -> ExitCode {
    match man_page() {
        Ok(page) => write_stdout(&page),
        Err(e) => {
            err!("opsdeck: cannot render the man page: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes generated text to stdout; a reader that stopped early (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            err!("opsdeck: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shell's script names the subcommands.
    #[test]
    fn each_script_mentions_the_subcommands() {
        for shell in [CompletionShell::Bash, CompletionShell::Zsh, CompletionShell::Fish] {
            let script = String::from_utf8(completion_script(shell)).expect("utf-8");
            for sub in ["promote", "rollback", "runbook", "completions"] {
                assert!(script.contains(sub), "{shell:?} lacks {sub}");
            }
        }
    }

    /// The man page is roff and lists the subcommands.
    #[test]
    fn man_page_is_roff() {
        let page = String::from_utf8(man_page().expect("render")).expect("utf-8");
        assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{}", &page[..page.len().min(80)]);
        assert!(page.contains("promote"));
    }
}
