//! What each path answers: `/health`, `/` (the service's identity), `/slow?ms=N`, and
//! `/logs?lines=N&rate=R` and `/logs/nasty` (output on demand, see `logs`), with the configured
//! faults applied.

use crate::clock;
use crate::config::Config;
use crate::http::{Request, Response};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `/slow` never waits longer than this, so a typo cannot hold a request (and shutdown) forever.
const MAX_SLOW: Duration = Duration::from_secs(120);

/// Everything a handler reads; shared by every connection thread.
pub struct App {
    pub config: Config,
    pub started: Instant,
    pub hostname: String,
    rolls: AtomicU64,
}

impl App {
    pub fn new(config: Config) -> App {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9);
        App { config, started: Instant::now(), hostname: hostname(), rolls: AtomicU64::new(seed) }
    }

    /// A uniform number in `[0, 1)` (splitmix64 over a counter: good enough to pick failures).
    fn roll(&self) -> f64 {
        let mut z = self.rolls.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn handle(&self, req: &Request) -> Response {
        if !self.config.faults.delay.is_zero() {
            std::thread::sleep(self.config.faults.delay);
        }
        if req.method != "GET" {
            return Response::text(405, "only GET is served");
        }
        match req.path.as_str() {
            "/health" => self.health(),
            "/" => self.index(),
            "/slow" => self.slow(req),
            "/logs" => self.logs(req),
            "/logs/nasty" => {
                let mut out = std::io::stdout().lock();
                match out.write_all(&crate::logs::nasty()).and_then(|()| out.flush()) {
                    Ok(()) => Response::json(200, r#"{"nasty":true}"#.into()),
                    Err(e) => Response::text(500, &format!("stdout: {e}")),
                }
            }
            _ => Response::text(404, "not found"),
        }
    }

    fn health(&self) -> Response {
        let uptime = self.started.elapsed();
        let unhealthy = self.config.faults.unhealthy_at(uptime);
        let (status, word, deps) = if unhealthy {
            (503, "unhealthy", r#"{"database":"disconnected","redis":"connected"}"#)
        } else {
            (200, "healthy", r#"{"database":"connected","redis":"connected"}"#)
        };
        let note = match &self.config.faults.health_note {
            Some(note) if unhealthy => format!(r#""note":"{note}","#),
            _ => String::new(),
        };
        Response::json(
            status,
            format!(
                r#"{{"status":"{word}",{note}"uptime":{},"timestamp":"{}","services":{deps}}}"#,
                uptime.as_secs(),
                clock::now_rfc3339()
            ),
        )
    }

    fn index(&self) -> Response {
        if self.config.faults.fails(self.roll()) {
            return Response::json(500, r#"{"error":"injected failure"}"#.into());
        }
        let c = &self.config;
        Response::json(
            200,
            format!(
                r#"{{"service":"{}","version":"{}","image_tag":"{}","hostname":"{}"}}"#,
                json_escape(&c.service),
                json_escape(&c.version),
                json_escape(&c.image_tag),
                json_escape(&self.hostname)
            ),
        )
    }

    /// Prints the lines before answering, so the caller knows they were all written.
    fn logs(&self, req: &Request) -> Response {
        let num = |name| req.query_param(name).and_then(|v| v.parse::<u64>().ok());
        let (Some(lines), Some(rate)) = (num("lines"), num("rate")) else {
            return Response::text(400, "usage: /logs?lines=N&rate=R");
        };
        let (lines, rate) = (lines.min(crate::logs::MAX_LINES), rate.clamp(1, crate::logs::MAX_RATE));
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match crate::logs::emit(&mut out, lines, rate) {
            Ok(took) => Response::json(200, format!(r#"{{"lines":{lines},"rate":{rate},"ms":{}}}"#, took.as_millis())),
            Err(e) => Response::text(500, &format!("stdout: {e}")),
        }
    }

    fn slow(&self, req: &Request) -> Response {
        let Some(ms) = req.query_param("ms").and_then(|v| v.parse::<u64>().ok()) else {
            return Response::text(400, "usage: /slow?ms=N");
        };
        let wait = Duration::from_millis(ms).min(MAX_SLOW);
        std::thread::sleep(wait);
        Response::json(200, format!(r#"{{"slept_ms":{}}}"#, wait.as_millis()))
    }
}

/// The kernel's host name (the container id inside Docker).
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length; gethostname NUL-terminates within it
    // when the name fits, and we stop at the first NUL or the end either way.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Faults;
    use crate::http::parse_head;

    fn app(faults: Faults) -> App {
        App::new(Config {
            service: "api".into(),
            version: "v1.2.0".into(),
            image_tag: "abc1234".into(),
            port: 8080,
            faults,
        })
    }

    fn get(app: &App, target: &str) -> Response {
        app.handle(&parse_head(format!("GET {target} HTTP/1.1").as_bytes()).expect("parse"))
    }

    #[test]
    fn healthy_by_default() {
        let r = get(&app(Faults::default()), "/health");
        assert_eq!(r.status, 200);
        assert!(r.body.starts_with(r#"{"status":"healthy","uptime":0,"timestamp":""#), "{}", r.body);
        assert!(r.body.ends_with(r#""services":{"database":"connected","redis":"connected"}}"#), "{}", r.body);
    }

    #[test]
    fn start_unhealthy_answers_503() {
        let r = get(&app(Faults { start_unhealthy: true, ..Faults::default() }), "/health");
        assert_eq!(r.status, 503);
        assert!(r.body.contains(r#""status":"unhealthy""#));
    }

    #[test]
    fn index_names_the_release() {
        let r = get(&app(Faults::default()), "/");
        assert_eq!(r.status, 200);
        assert!(r.body.contains(r#""version":"v1.2.0""#) && r.body.contains(r#""image_tag":"abc1234""#));
    }

    #[test]
    fn fail_rate_one_always_fails_and_zero_never() {
        let always = app(Faults { fail_rate: 1.0, ..Faults::default() });
        let never = app(Faults::default());
        for _ in 0..50 {
            assert_eq!(get(&always, "/").status, 500);
            assert_eq!(get(&never, "/").status, 200);
        }
    }

    #[test]
    fn fail_rate_is_roughly_honoured() {
        let a = app(Faults { fail_rate: 0.3, ..Faults::default() });
        let fails = (0..2000).filter(|_| get(&a, "/").status == 500).count();
        assert!((450..750).contains(&fails), "{fails} of 2000");
    }

    #[test]
    fn slow_and_unknown_paths() {
        let a = app(Faults::default());
        let started = Instant::now();
        assert_eq!(get(&a, "/slow?ms=30").status, 200);
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert_eq!(get(&a, "/slow").status, 400);
        assert_eq!(get(&a, "/nope").status, 404);
        let post = a.handle(&parse_head(b"POST / HTTP/1.1").expect("parse"));
        assert_eq!(post.status, 405);
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json_escape("a\"b\\c\n"), "a\\\"b\\\\c\\u000a");
    }
}
