//! The accept loop: one thread per connection, and a graceful stop on SIGTERM/SIGINT (stop
//! accepting, let in-flight requests finish within a bound, exit 0). Log lines go through
//! [`AccessLog`], so a connection is done the moment it is answered, whatever stderr does.

use crate::access_log::AccessLog;
use crate::clock;
use crate::config::Config;
use crate::http::{self, ParseError, Response};
use crate::routes::App;
use crate::signal;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a stop waits for in-flight requests. Docker's default stop grace is 10 s and
/// opsdeck's may be longer; past this bound the process exits anyway.
const DRAIN_LIMIT: Duration = Duration::from_secs(25);
/// How often the accept loop looks at the stop flag.
const POLL: Duration = Duration::from_millis(200);
/// A client that sends nothing (or reads nothing) for this long is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the last log lines may take to leave at exit (stderr may be a pipe nobody reads).
const LOG_CLOSE_LIMIT: Duration = Duration::from_secs(2);
/// Past this many open connections, new ones get a 503 instead of a thread.
const MAX_CONNECTIONS: usize = 512;

pub fn serve(config: Config) -> io::Result<()> {
    signal::install()?;
    let listener = TcpListener::bind(("0.0.0.0", config.port))?;
    listener.set_nonblocking(true)?;
    let app = Arc::new(App::new(config));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(AccessLog::to_stderr());
    let c = &app.config;
    log.line(format!(
        "{} {} {} ({}) listening on :{}",
        clock::now_rfc3339(),
        c.service,
        c.version,
        c.image_tag,
        c.port
    ));
    println!("{} {}", clock::now_rfc3339(), crate::logs::environment_line(std::env::vars()));

    while !signal::stop_requested() {
        if !wait_readable(&listener, POLL)? {
            continue;
        }
        match listener.accept() {
            Ok((stream, _)) => spawn_connection(stream, &app, &in_flight, &log),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            // Out of descriptors and the like: back off rather than spin.
            Err(e) => {
                log.line(format!("{} accept failed: {e}", clock::now_rfc3339()));
                std::thread::sleep(POLL);
            }
        }
    }

    drop(listener);
    let stopping = Instant::now();
    while in_flight.load(Ordering::SeqCst) > 0 && stopping.elapsed() < DRAIN_LIMIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = in_flight.load(Ordering::SeqCst);
    log.line(format!("{} stopped ({left} requests cut off)", clock::now_rfc3339()));
    log.close(LOG_CLOSE_LIMIT);
    Ok(())
}

/// Waits up to `timeout` for a connection to accept; `false` on timeout or a signal.
fn wait_readable(listener: &TcpListener, timeout: Duration) -> io::Result<bool> {
    let mut fds = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call.
    let rc = unsafe { libc::poll(&mut fds, 1, timeout.as_millis() as libc::c_int) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(e) };
    }
    Ok(rc > 0)
}

/// Counts a connection as in flight until the guard drops.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn spawn_connection(mut stream: TcpStream, app: &Arc<App>, in_flight: &Arc<AtomicUsize>, log: &Arc<AccessLog>) {
    let open = in_flight.fetch_add(1, Ordering::SeqCst);
    let guard = InFlight(Arc::clone(in_flight));
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    if open >= MAX_CONNECTIONS {
        http::write_response(&mut stream, &Response::text(503, "too many connections"));
        return;
    }
    let (app, thread_log) = (Arc::clone(app), Arc::clone(log));
    let spawned = std::thread::Builder::new().name("conn".into()).spawn(move || {
        let _guard = guard;
        handle_connection(&mut stream, &app, &thread_log);
    });
    if let Err(e) = spawned {
        log.line(format!("{} cannot start a thread: {e}", clock::now_rfc3339()));
    }
}

fn handle_connection(stream: &mut TcpStream, app: &App, log: &AccessLog) {
    let started = Instant::now();
    let request = match http::read_request(stream) {
        Ok(Some(r)) => r,
        // The peer left, or sent nothing in time: nothing to answer.
        Ok(None) | Err(_) => return,
    };
    let (response, line) = match request {
        Ok(req) => {
            let response = app.handle(&req);
            let line = format!("{} {}", req.method, req.path);
            (response, line)
        }
        Err(ParseError::TooLarge) => (Response::text(431, "request too large"), "-".into()),
        Err(ParseError::Malformed(why)) => (Response::text(400, why), "-".into()),
    };
    http::write_response(stream, &response);
    // Health checks arrive every second from HAProxy and Docker; logging them would bury the rest.
    if !line.ends_with(" /health") || response.status != 200 {
        log.line(format!("{} {line} {} {}ms", clock::now_rfc3339(), response.status, started.elapsed().as_millis()));
    }
}
