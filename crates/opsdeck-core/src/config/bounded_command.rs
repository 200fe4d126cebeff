//! Running a program the config names (a secret source's `command`, a Docker credential helper)
//! and reading its output, bounded in time and size: no terminal input, stderr discarded (it may
//! echo what was read), the child killed when it overruns. Errors say what went wrong, never
//! what the program printed; callers prefix them with the program's name.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How a run ended: its exit status and its standard output (at most the cap, plus one byte so an
/// overrun shows).
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
}

/// Runs `argv` (a program and its arguments), writing `input` to its stdin, within `timeout`,
/// keeping at most `cap` + 1 bytes of its output. Output is read while it runs, so a program that
/// prints more than a pipe holds never blocks.
pub fn run(argv: &[String], input: Option<&[u8]>, timeout: Duration, cap: u64) -> Result<Ran, String> {
    let program = argv.first().ok_or("no program named")?;
    let mut child = Command::new(program)
        .args(&argv[1..])
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        // Dropped at the end of this block: the program sees the end of its input.
        let _ = stdin.write_all(bytes);
    }
    let mut stdout = child.stdout.take().ok_or("no output pipe")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        (&mut stdout).take(cap + 1).read_to_end(&mut out).map(|_| out)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {}", humantime::format_duration(timeout)));
            }
            // Real time has to pass for the program to finish; polled, not guessed.
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let stdout = reader.join().map_err(|_| "reading its output failed".to_string())?.map_err(|e| e.to_string())?;
    Ok(Ran { status, stdout })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn input_goes_in_and_output_comes_back_even_past_a_pipe_buffer() {
        let ran = run(
            &argv(&["sh", "-c", "read x; printf %s \"$x\"; head -c 200000 /dev/zero"]),
            Some(b"hi\n"),
            Duration::from_secs(10),
            1 << 20,
        )
        .expect("run");
        assert!(ran.status.success());
        assert_eq!((&ran.stdout[..2], ran.stdout.len()), (&b"hi"[..], 200_002));
    }

    #[test]
    fn an_overrun_is_stopped_and_said() {
        let err = run(&argv(&["sleep", "5"]), None, Duration::from_millis(200), 10).err().expect("timeout");
        assert_eq!(err, "no answer within 200ms");
        assert!(run(&argv(&["/no/such/program"]), None, Duration::from_secs(1), 10)
            .err()
            .expect("missing")
            .starts_with("cannot start"));
    }
}
