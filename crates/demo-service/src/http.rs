//! Just enough HTTP/1.1: read one request head from a stream, parse it, and write one response
//! (always `Connection: close`, so there is no keep-alive state to get wrong).

use std::io::{self, Read, Write};

/// Request heads larger than this are refused: the service never needs more.
const MAX_HEAD: usize = 16 * 1024;
/// Bodies are read and discarded (closing with unread bytes would reset the connection and
/// lose the response); anything bigger than this is refused instead.
const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub content_length: usize,
}

impl Request {
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read; each maps to the status answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not HTTP we understand (400).
    Malformed(&'static str),
    /// Head or body over the limits (431 / 413).
    TooLarge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    pub fn json(status: u16, body: String) -> Response {
        Response { status, content_type: "application/json", body }
    }

    pub fn text(status: u16, body: &str) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", body: format!("{body}\n") }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Reads one request head (and discards its body). `Ok(None)` when the peer closed first.
pub fn read_request(stream: &mut impl Read) -> io::Result<Option<Result<Request, ParseError>>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(end) = find_head_end(&buf) {
            if end > MAX_HEAD {
                return Ok(Some(Err(ParseError::TooLarge)));
            }
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Ok(Some(Err(ParseError::TooLarge)));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(if buf.is_empty() { None } else { Some(Err(ParseError::Malformed("truncated head"))) });
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let request = match parse_head(&buf[..head_end]) {
        Ok(r) => r,
        Err(e) => return Ok(Some(Err(e))),
    };
    if request.content_length > MAX_BODY {
        return Ok(Some(Err(ParseError::TooLarge)));
    }
    let already = buf.len() - (head_end + 4);
    if request.content_length > already {
        let mut rest = vec![0u8; request.content_length - already];
        stream.read_exact(&mut rest)?;
    }
    Ok(Some(Ok(request)))
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parses a request line and headers (without the final blank line).
pub fn parse_head(head: &[u8]) -> Result<Request, ParseError> {
    let text = std::str::from_utf8(head).map_err(|_| ParseError::Malformed("head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::Malformed("bad request line"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(ParseError::Malformed("bad request line"));
    }
    let mut content_length = 0;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(ParseError::Malformed("bad header"))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            content_length = value.trim().parse().map_err(|_| ParseError::Malformed("bad content-length"))?;
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Ok(Request { method: method.to_string(), path: path.to_string(), query, content_length })
}

/// Writes the response; a peer that went away is not an error worth reporting.
pub fn write_response(stream: &mut impl Write, response: &Response) {
    let _ = stream.write_all(&response.to_bytes()).and_then(|()| stream.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_line_with_query() {
        let r = parse_head(b"GET /slow?ms=250&x HTTP/1.1\r\nHost: a\r\nUser-Agent: t").expect("parse");
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/slow");
        assert_eq!(r.query_param("ms"), Some("250"));
        assert_eq!(r.query_param("x"), Some(""));
        assert_eq!(r.query_param("y"), None);
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert!(parse_head(b"GET /").is_err());
        assert!(parse_head(b"GET / SPDY/3").is_err());
        assert!(parse_head(b"GET nopath HTTP/1.1").is_err());
        assert!(parse_head(b"GET / HTTP/1.1\r\nno-colon").is_err());
        assert!(parse_head(b"GET / HTTP/1.1\r\nContent-Length: many").is_err());
    }

    #[test]
    fn reads_a_head_and_discards_the_body() {
        let raw = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let r = read_request(&mut &raw[..]).expect("io").expect("some").expect("request");
        assert_eq!(r.content_length, 5);
        let empty: &[u8] = b"";
        assert!(read_request(&mut &empty[..]).expect("io").is_none());
        let truncated: &[u8] = b"GET / HTTP/1.1\r\n";
        assert!(matches!(read_request(&mut &truncated[..]), Ok(Some(Err(_)))));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD + 10));
        assert_eq!(read_request(&mut huge.as_bytes()).expect("io"), Some(Err(ParseError::TooLarge)));
    }

    #[test]
    fn responses_carry_length_and_close() {
        let bytes = Response::json(503, "{}".into()).to_bytes();
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
    }
}
