//! `demo-service probe [--url http://127.0.0.1:8080/health]`: exit 0 when the URL answers 200
//! with `"status":"healthy"`. Docker's HEALTHCHECK runs it inside the scratch image.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// Below Docker's HEALTHCHECK timeout, so the probe reports its own reason first.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// The design's bound on a `/health` body.
const MAX_BODY: usize = 64 * 1024;

pub fn run(args: &[String]) -> ExitCode {
    let default_port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let mut url = format!("http://127.0.0.1:{default_port}/health");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--url", Some(u)) => url = u.clone(),
            _ => {
                eprintln!("usage: demo-service probe [--url http://HOST:PORT/PATH]");
                return ExitCode::from(2);
            }
        }
    }
    match check(&url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Splits `http://host:port/path` into (`host:port`, `/path`).
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// is supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url}: no host"));
    }
    let authority = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
    Ok((authority, path.to_string()))
}

fn check(url: &str) -> Result<(), String> {
    let (authority, path) = split_url(url)?;
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority}: no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.take(MAX_BODY as u64 + 4096).read_to_end(&mut answer).map_err(|e| e.to_string())?;
    verdict(&String::from_utf8_lossy(&answer))
}

/// Healthy means status 200 and a body whose `status` is `healthy`.
pub fn verdict(answer: &str) -> Result<(), String> {
    let status_line = answer.lines().next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).unwrap_or("?");
    if status != "200" {
        return Err(format!("HTTP {status}"));
    }
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains(r#""status":"healthy""#) {
        Ok(())
    } else {
        Err("status is not healthy".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_path() {
        assert_eq!(split_url("http://127.0.0.1:8080/health"), Ok(("127.0.0.1:8080".into(), "/health".into())));
        assert_eq!(split_url("http://localhost"), Ok(("localhost:80".into(), "/".into())));
        assert!(split_url("https://x/health").is_err());
    }

    #[test]
    fn verdicts() {
        assert!(verdict("HTTP/1.1 200 OK\r\n\r\n{\"status\": \"healthy\"}").is_ok());
        assert!(verdict("HTTP/1.1 503 Service Unavailable\r\n\r\n{\"status\":\"unhealthy\"}").is_err());
        assert!(verdict("HTTP/1.1 200 OK\r\n\r\n{\"status\":\"unhealthy\"}").is_err());
        assert!(verdict("").is_err());
    }
}
