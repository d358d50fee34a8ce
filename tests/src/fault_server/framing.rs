//! Request framing as the server reads it: where a request head ends, the body framing it
//! announces, and where a chunked body ends.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Framing {
    Length(usize),
    Chunked,
}

/// The end (exclusive) of a request head: just after the first empty line (`\r\n\r\n` or a bare
/// `\n\n`). Leading empty lines before the request line are skipped as RFC 9112 allows.
pub(super) fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    // Skip leading CRLFs / LFs.
    while start < buf.len() && (buf[start] == b'\r' || buf[start] == b'\n') {
        start += 1;
    }
    let mut i = start;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        if rest.starts_with(b"\n") {
            return Some(nl + 2);
        }
        if rest.is_empty() || rest == b"\r" {
            return None;
        }
        i = nl + 1;
    }
    None
}

/// The body framing a request head announces.
pub(super) fn body_framing(head: &[u8]) -> Framing {
    let text = String::from_utf8_lossy(head);
    let mut length = 0usize;
    let mut chunked = false;
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            if value
                .to_ascii_lowercase()
                .split(',')
                .any(|t| t.trim() == "chunked")
            {
                chunked = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        }
    }
    if chunked {
        Framing::Chunked
    } else {
        Framing::Length(length)
    }
}

/// The length of a complete chunked body at the start of `buf` (through the last chunk, the
/// trailers and the final empty line), or `None` if more bytes are needed. Malformed size lines
/// end the body where they start, so a broken request cannot stall the script.
pub(super) fn chunked_end(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let line_end = pos + buf[pos..].iter().position(|&b| b == b'\n')?;
        let line = String::from_utf8_lossy(&buf[pos..line_end]);
        let size_text = line
            .trim_end_matches('\r')
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        let size = match usize::from_str_radix(size_text, 16) {
            Ok(s) => s,
            Err(_) => return Some(pos),
        };
        pos = line_end + 1;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let end = pos + buf[pos..].iter().position(|&b| b == b'\n')?;
                let empty = buf[pos..end].iter().all(|&b| b == b'\r');
                pos = end + 1;
                if empty {
                    return Some(pos);
                }
            }
        }
        // Data, then CRLF (or a bare LF).
        if buf.len() < pos + size + 1 {
            return None;
        }
        pos += size;
        if buf[pos] == b'\r' {
            if buf.len() < pos + 2 {
                return None;
            }
            pos += 2;
        } else {
            pos += 1;
        }
    }
}
