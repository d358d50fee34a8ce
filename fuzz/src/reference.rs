//! A naive reference response decoder: the wire policy of `crates/proto/tests/conformance/README.md`
//! written as plainly as possible, over a whole buffer that ends with EOF, with the default
//! limits. No state machine, no incremental anything: find the lines, check them, cut the body.

use crate::response::Field;

/// A decoded head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefHead {
    /// HTTP/1.1 (else 1.0).
    pub http11: bool,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: Vec<u8>,
    /// Fields.
    pub headers: Vec<Field>,
}

/// A decoded response (the last one of a pipeline, plus what came before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefResponse {
    /// Informational heads skipped before the final one.
    pub informational: Vec<RefHead>,
    /// The final head.
    pub head: RefHead,
    /// The decoded body.
    pub body: Vec<u8>,
    /// Trailer fields.
    pub trailers: Vec<Field>,
    /// Whether the connection may be reused.
    pub keep_alive: bool,
    /// A 101.
    pub upgrade: bool,
    /// Bytes after the response.
    pub leftover: Vec<u8>,
}

const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_TRAILER: usize = 16 * 1024;
const MAX_TRAILERS: usize = 100;
const MAX_EXT: usize = 16 * 1024;
const MAX_INFORMATIONAL: usize = 5;

fn tchar(b: u8) -> bool {
    crate::is_tchar(b)
}

fn value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

fn ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [f, r @ ..] = v {
        if ows(*f) {
            v = r;
        } else {
            break;
        }
    }
    while let [r @ .., l] = v {
        if ows(*l) {
            v = r;
        } else {
            break;
        }
    }
    v
}

/// Splits a field section (from `at`) into lines: returns the lines (without CRLF) and the
/// position after the empty line, or `None` for a bare CR/LF, no end, or more than `max` bytes.
fn section(buf: &[u8], at: usize, max: usize) -> Option<(Vec<&[u8]>, usize)> {
    let mut lines = Vec::new();
    let mut pos = at;
    loop {
        // The line runs to the next CRLF; no other CR or LF may be inside it.
        let rest = &buf[pos..];
        let lf = rest.iter().position(|&b| b == b'\n')?;
        if lf == 0 || rest[lf - 1] != b'\r' {
            return None;
        }
        let line = &rest[..lf - 1];
        if line.contains(&b'\r') {
            return None;
        }
        pos += lf + 1;
        if pos - at > max {
            return None;
        }
        if line.is_empty() {
            return Some((lines, pos));
        }
        lines.push(line);
    }
}

/// Checks field lines; returns the fields.
fn parse_fields(lines: &[&[u8]], max: usize) -> Option<Vec<Field>> {
    if lines.len() > max {
        return None;
    }
    let mut out = Vec::new();
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| tchar(b)) {
            return None;
        }
        if !value.iter().all(|&b| value_byte(b)) {
            return None;
        }
        out.push((name.to_vec(), trim(value).to_vec()));
    }
    Some(out)
}

fn parse_status(line: &[u8]) -> Option<(bool, u16, Vec<u8>)> {
    let http11 = match line.get(..9)? {
        b"HTTP/1.1 " => true,
        b"HTTP/1.0 " => false,
        _ => return None,
    };
    let digits = line.get(9..12)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = digits
        .iter()
        .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    if status < 100 {
        return None;
    }
    let reason = match line.get(12) {
        None => &[][..],
        Some(b' ') => &line[13..],
        Some(_) => return None,
    };
    if !reason.iter().all(|&b| value_byte(b)) {
        return None;
    }
    Some((http11, status, reason.to_vec()))
}

#[derive(Default)]
struct Framing {
    length: Option<u64>,
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

fn framing(fields: &[Field]) -> Option<Framing> {
    let mut f = Framing::default();
    let mut te_lines = 0;
    for (name, value) in fields {
        if name.eq_ignore_ascii_case(b"content-length") {
            for item in value.split(|&b| b == b',') {
                let item = trim(item);
                if item.is_empty() || !item.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let mut n: u64 = 0;
                for &d in item {
                    n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                }
                if f.length.is_some_and(|l| l != n) {
                    return None;
                }
                f.length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te_lines += 1;
            if te_lines > 1 || !value.eq_ignore_ascii_case(b"chunked") {
                return None;
            }
            f.chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for t in value.split(|&b| b == b',') {
                let t = trim(t);
                f.close |= t.eq_ignore_ascii_case(b"close");
                f.keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    if f.chunked && f.length.is_some() {
        return None;
    }
    Some(f)
}

fn hex(b: u8) -> Option<u64> {
    (b as char).to_digit(16).map(u64::from)
}

/// One chunk-size line from `pos`: the size and the position after its CRLF.
fn chunk_line(buf: &[u8], mut pos: usize, ext: &mut usize) -> Option<(u64, usize)> {
    let mut size: u64 = 0;
    let digits_start = pos;
    while let Some(d) = buf.get(pos).and_then(|&b| hex(b)) {
        size = size.checked_mul(16)?.checked_add(d)?;
        pos += 1;
    }
    if pos == digits_start {
        return None;
    }
    // Extensions: (BWS ";" BWS name [BWS "=" BWS (token | quoted)])*, then CRLF with no
    // whitespace right before it.
    let ext_start = pos;
    loop {
        let ws_start = pos;
        while buf.get(pos).is_some_and(|&b| ows(b)) {
            pos += 1;
        }
        let had_ws = pos > ws_start;
        match buf.get(pos)? {
            b'\r' if !had_ws => break,
            b';' => pos += 1,
            _ => return None,
        }
        while buf.get(pos).is_some_and(|&b| ows(b)) {
            pos += 1;
        }
        let name_start = pos;
        while buf.get(pos).is_some_and(|&b| tchar(b)) {
            pos += 1;
        }
        if pos == name_start {
            return None;
        }
        let before_ws = pos;
        while buf.get(pos).is_some_and(|&b| ows(b)) {
            pos += 1;
        }
        if buf.get(pos) != Some(&b'=') {
            // No value: give the whitespace back to the loop head.
            pos = before_ws;
            continue;
        }
        pos += 1;
        while buf.get(pos).is_some_and(|&b| ows(b)) {
            pos += 1;
        }
        if buf.get(pos) == Some(&b'"') {
            pos += 1;
            loop {
                match *buf.get(pos)? {
                    b'"' => {
                        pos += 1;
                        break;
                    }
                    b'\\' => {
                        if !value_byte(*buf.get(pos + 1)?) {
                            return None;
                        }
                        pos += 2;
                    }
                    b if value_byte(b) => pos += 1,
                    _ => return None,
                }
            }
        } else {
            let tok = pos;
            while buf.get(pos).is_some_and(|&b| tchar(b)) {
                pos += 1;
            }
            if pos == tok {
                return None;
            }
        }
    }
    *ext += pos - ext_start;
    if *ext > MAX_EXT {
        return None;
    }
    if buf.get(pos + 1) != Some(&b'\n') {
        return None;
    }
    Some((size, pos + 2))
}

/// Decodes `input` (followed by EOF) as the response to `method`. `None` is any error.
pub fn decode(input: &[u8], method: &str) -> Option<RefResponse> {
    let mut pos = 0;
    let mut informational = Vec::new();
    loop {
        // Up to two empty lines before the status line.
        let mut empties = 0;
        while input[pos..].starts_with(b"\r\n") {
            empties += 1;
            if empties > 2 {
                return None;
            }
            pos += 2;
        }
        let (lines, after) = section(input, pos, MAX_HEAD)?;
        let (status_line, field_lines) = lines.split_first()?;
        let (http11, status, reason) = parse_status(status_line)?;
        let headers = parse_fields(field_lines, MAX_HEADERS)?;
        let f = framing(&headers)?;
        if f.chunked && !http11 {
            return None;
        }
        let head = RefHead {
            http11,
            status,
            reason,
            headers,
        };
        pos = after;
        let persistent = if http11 {
            !f.close
        } else {
            f.keep_alive && !f.close
        };
        if (100..200).contains(&status) && status != 101 {
            informational.push(head);
            if informational.len() > MAX_INFORMATIONAL {
                return None;
            }
            continue;
        }
        if status == 101 {
            return Some(RefResponse {
                informational,
                head,
                body: Vec::new(),
                trailers: Vec::new(),
                keep_alive: false,
                upgrade: true,
                leftover: input[pos..].to_vec(),
            });
        }
        let mut body = Vec::new();
        let mut trailers = Vec::new();
        let mut keep_alive = persistent;
        if method == "HEAD" || status == 204 || status == 304 {
            // No body whatever the headers say.
        } else if f.chunked {
            let mut ext = 0;
            loop {
                let (size, data) = chunk_line(input, pos, &mut ext)?;
                if size == 0 {
                    let (lines, end) = section(input, data, MAX_TRAILER)?;
                    trailers = parse_fields(&lines, MAX_TRAILERS)?;
                    pos = end;
                    break;
                }
                let end = usize::try_from(size).ok()?.checked_add(data)?;
                body.extend_from_slice(input.get(data..end)?);
                if input.get(end..end + 2)? != b"\r\n" {
                    return None;
                }
                pos = end + 2;
            }
        } else if let Some(n) = f.length {
            let end = usize::try_from(n).ok()?.checked_add(pos)?;
            body.extend_from_slice(input.get(pos..end)?);
            pos = end;
        } else {
            body.extend_from_slice(&input[pos..]);
            pos = input.len();
            keep_alive = false;
        }
        return Some(RefResponse {
            informational,
            head,
            body,
            trailers,
            keep_alive,
            upgrade: false,
            leftover: input[pos..].to_vec(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_basics() {
        let r = decode(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKx", "GET").unwrap();
        assert_eq!(r.body, b"OK");
        assert_eq!(r.leftover, b"x");
        assert!(r.keep_alive);
        let r = decode(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a = \"x\\\"\" ;b\r\nOK\r\n0\r\nT: 1\r\n\r\n",
            "GET",
        )
        .unwrap();
        assert_eq!(r.body, b"OK");
        assert_eq!(r.trailers, vec![(b"T".to_vec(), b"1".to_vec())]);
        assert!(decode(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nOK\r\n0\r\n\r\n",
            "GET"
        )
        .is_none());
        assert!(decode(b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nOK", "GET").is_none());
        assert!(decode(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nOK", "GET").is_none());
        let r = decode(b"HTTP/1.1 200 OK\r\n\r\nall", "GET").unwrap();
        assert_eq!(r.body, b"all");
        assert!(!r.keep_alive);
    }
}
