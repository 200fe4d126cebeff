//! The demo stack for the benchmarks that need one: started with the release binary in a folder
//! of its own, waiting (three minutes at most) while another demo holds the engine.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `BIN demo up EXTRA --dir DIR`, once the engine is free; exits the process when it fails.
pub fn up(bin: &str, dir: &Path, extra: &[&str]) {
    let started = Instant::now();
    loop {
        let up = Command::new(bin).args(["demo", "up"]).args(extra).arg("--dir").arg(dir).output();
        match up {
            Ok(out) if out.status.success() => return,
            Ok(out)
                if String::from_utf8_lossy(&out.stderr).contains("belongs to the demo in")
                    && started.elapsed() < Duration::from_secs(180) =>
            {
                // Real time for the other demo to come down.
                std::thread::sleep(Duration::from_secs(5));
            }
            Ok(out) => {
                eprintln!("demo up failed:\n{}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("cannot run {bin}: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// `BIN demo down --dir DIR`, quietly.
pub fn down(bin: &str, dir: &Path) {
    let _ = Command::new(bin).args(["demo", "down", "--dir"]).arg(dir).stderr(Stdio::null()).status();
}
