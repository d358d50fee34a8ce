//! Field sections: finding their end as bytes arrive, validating them strictly, and reading
//! them back zero-copy. Used for the response head and for chunked trailers.

use crate::chars::{is_field_value_byte, is_tchar, trim_ows};
use crate::error::PeerError;
use crate::simd::{token_run, value_run};

/// The HTTP version of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `HTTP/1.0`
    Http10,
    /// `HTTP/1.1`
    Http11,
}

impl Version {
    /// The version as written on the wire (`"HTTP/1.1"`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// How the body of a response is delimited (RFC 9112 §6.3), decided from the request method,
/// the status and the framing headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body: HEAD request, 1xx, 204, 304, or `Content-Length: 0`.
    None,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither header: the body runs until the peer closes the connection.
    CloseDelimited,
    /// `101 Switching Protocols`: every byte after the head belongs to the raw stream.
    Upgrade,
}

/// A header field, borrowed from the caller's input. The name is a validated token; the value
/// has its surrounding whitespace removed and may hold opaque bytes 0x80–0xFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The field name, as received (compare case-insensitively).
    pub name: &'a str,
    /// The field value without leading or trailing SP/HTAB.
    pub value: &'a [u8],
}

/// The fields of a head or trailer section in the order received, duplicates kept. Iterating
/// re-reads the already validated bytes; nothing is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers<'a> {
    /// Field lines, each ending in CRLF; the final empty line is not included.
    raw: &'a [u8],
    count: usize,
}

impl<'a> Headers<'a> {
    pub(crate) const fn new(raw: &'a [u8], count: usize) -> Self {
        Headers { raw, count }
    }

    /// The field lines as received, each ending in CRLF (without the final empty line). A
    /// driver that must keep a head past the input buffer copies these bytes and reads them
    /// again with [`from_raw`](Self::from_raw).
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Reads field lines kept from [`raw`](Self::raw). Other bytes are not validated again:
    /// iterating them never panics, but yields only what parses as `name:value` lines.
    pub fn from_raw(raw: &'a [u8]) -> Self {
        Headers {
            raw,
            count: memchr::memchr_iter(b'\n', raw).count(),
        }
    }

    /// An empty field section.
    pub const fn empty() -> Self {
        Headers { raw: b"", count: 0 }
    }

    /// Number of field lines.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// True when there are no fields.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The value of the first field with this name (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        let mut rest = self.raw;
        while let Some((n, value, next)) = split_field(rest) {
            if n.eq_ignore_ascii_case(name.as_bytes()) {
                return Some(value);
            }
            rest = rest.get(next..).unwrap_or(b"");
        }
        None
    }

    /// The fields in order.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter {
            rest: self.raw,
            // One UTF-8 check for the whole section instead of one per name.
            text: core::str::from_utf8(self.raw).unwrap_or(""),
        }
    }
}

impl<'a> IntoIterator for Headers<'a> {
    type Item = Header<'a>;
    type IntoIter = HeaderIter<'a>;
    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Headers`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
    /// `rest` as text when the section is valid UTF-8 (names are then sliced from it without
    /// checking each again); empty otherwise.
    text: &'a str,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        let (name, value, next) = split_field(self.rest)?;
        self.rest = self.rest.get(next..).unwrap_or(b"");
        let name = match self.text.get(..name.len()) {
            Some(text) if !self.text.is_empty() => {
                self.text = self.text.get(next..).unwrap_or("");
                text
            }
            _ => core::str::from_utf8(name).unwrap_or(""),
        };
        Some(Header { name, value })
    }
}

/// The first field line of `rest`: its name, its value without OWS, and where the next line
/// starts.
#[inline]
fn split_field(rest: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    // The section was validated when it was parsed: every line is `token ":" value CRLF`.
    // Names hold no ':' and values no CR, so the two runs end exactly there; bytes kept from
    // elsewhere (`from_raw`) fall back to searching for the delimiters.
    let colon = match token_run(rest) {
        n if rest.get(n) == Some(&b':') => n,
        _ => rest.iter().position(|&b| b == b':')?,
    };
    let name = rest.get(..colon)?;
    let after = rest.get(colon + 1..)?;
    let cr = match value_run(after) {
        n if after.get(n) == Some(&b'\r') => n,
        _ => memchr::memchr(b'\r', after)?,
    };
    let value = trim_ows(after.get(..cr)?);
    Some((name, value, colon + cr + 3))
}

/// A response head (status line and header fields), borrowed from the caller's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head<'a> {
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: &'a [u8],
    pub(crate) headers: Headers<'a>,
    pub(crate) body: BodyKind,
    pub(crate) keep_alive: bool,
}

impl<'a> Head<'a> {
    /// The HTTP version of the status line.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// The status code (100–999).
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as sent (free text; dockerd puts error detail here). May be empty.
    pub const fn reason(&self) -> &'a [u8] {
        self.reason
    }

    /// The header fields in order, duplicates kept.
    pub const fn headers(&self) -> Headers<'a> {
        self.headers
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.get(name)
    }

    /// How the body is delimited.
    pub const fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// Whether the connection can carry another request after this response, as far as the
    /// head tells (HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `keep-alive`; never
    /// for close-delimited bodies or upgrades).
    pub const fn keep_alive(&self) -> bool {
        self.keep_alive
    }
}

/// What the framing-relevant headers of a response say.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    pub(crate) content_length: Option<u64>,
    pub(crate) transfer_encoding: bool,
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
}

/// Incremental, strict reader of a field section (the header fields of a head, or trailers).
///
/// Each call reads the complete field lines that arrived since the last call, validating every
/// byte once: names are tokens followed at once by `:`, values hold no control byte but HTAB,
/// every line ends in CRLF. An error is reported as soon as its byte is there; a line cut by the
/// end of the input is read again, whole, on the next call. The state is offsets from the
/// start of the section, so the caller must present the same section start on every call.
///
/// The caller passes at most `limit` bytes of the section: nothing past the limit is ever
/// looked at, so the verdict on a section does not depend on how its bytes were split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldReader {
    /// Bytes of complete, validated lines.
    parsed: usize,
    /// Field lines read.
    count: usize,
}

impl FieldReader {
    pub(crate) const fn new() -> Self {
        FieldReader {
            parsed: 0,
            count: 0,
        }
    }

    /// The number of field lines read so far.
    pub(crate) const fn count(&self) -> usize {
        self.count
    }

    /// Reads on in `section`. Returns `Ok(Some(end))` with the section's length including the
    /// empty line once it is complete, `Ok(None)` when more bytes are needed. `framing`, when
    /// given, collects Content-Length, Transfer-Encoding and Connection.
    ///
    /// One loop over the lines with the offsets in locals, stored back once: per line a
    /// name scan, a value scan and the checks of the bytes that stopped them.
    pub(crate) fn read(
        &mut self,
        section: &[u8],
        max_fields: usize,
        too_many: PeerError,
        mut framing: Option<&mut Framing>,
    ) -> Result<Option<usize>, PeerError> {
        let mut pos = self.parsed;
        let mut count = self.count;
        loop {
            let rest = section.get(pos..).unwrap_or(b"");
            // Name: one or more tchar, then ':' at once. The common case is checked first;
            // `line_stop` sorts out the empty line, the end of the input and the errors.
            let name_len = token_run(rest);
            let (Some(name), Some(b':')) = (rest.get(..name_len), rest.get(name_len)) else {
                self.parsed = pos;
                self.count = count;
                return line_stop(rest, name_len, count == 0).map(|end| end.map(|e| pos + e));
            };
            if name_len == 0 {
                // The line starts with ':'.
                return Err(PeerError::InvalidHeaderName);
            }
            let value = rest.get(name_len + 1..).unwrap_or(b"");
            let value_len = value_run(value);
            match (value.get(value_len), value.get(value_len + 1)) {
                (Some(b'\r'), Some(b'\n')) => {}
                (None, _) | (Some(b'\r'), None) => {
                    self.parsed = pos;
                    self.count = count;
                    return Ok(None);
                }
                (Some(b'\r'), Some(_)) => return Err(PeerError::BareCr),
                (Some(b'\n'), _) => return Err(PeerError::BareLf),
                _ => return Err(PeerError::InvalidHeaderValue),
            }
            count += 1;
            if count > max_fields {
                return Err(too_many);
            }
            if let Some(f) = framing.as_deref_mut() {
                if Framing::may_matter(name) {
                    f.add(name, trim_ows(value.get(..value_len).unwrap_or(b"")))?;
                }
            }
            pos += name_len + value_len + 3;
        }
    }
}

/// A line that is not `name ":"` at once (`name_len` tchar bytes, then no colon): the empty
/// line (`Some` with its length), the end of the input (`None`), or the error.
#[cold]
fn line_stop(rest: &[u8], name_len: usize, first: bool) -> Result<Option<usize>, PeerError> {
    match rest {
        [] | [b'\r'] => Ok(None),
        [b'\r', b'\n', ..] => Ok(Some(2)),
        _ if name_len != 0 && name_len == rest.len() => Ok(None),
        _ => Err(line_stop_error(rest, first)),
    }
}

/// The error for a line that does not start with `token ":"`.
#[cold]
fn line_stop_error(rest: &[u8], first: bool) -> PeerError {
    let name_len = rest.iter().take_while(|&&b| is_tchar(b)).count();
    match rest {
        [b'\r', ..] => PeerError::BareCr,
        [b'\n', ..] => PeerError::BareLf,
        [b' ' | b'\t', ..] if first => PeerError::InvalidHeaderName,
        [b' ' | b'\t', ..] => PeerError::ObsFold,
        _ if rest.get(name_len) == Some(&b'\n') => PeerError::BareLf,
        _ => PeerError::InvalidHeaderName,
    }
}

impl Framing {
    pub(crate) const fn new() -> Self {
        Framing {
            content_length: None,
            transfer_encoding: false,
            close: false,
            keep_alive: false,
        }
    }

    /// Whether a field with this name can be a framing header: only names of the lengths of
    /// `Connection` (10), `Content-Length` (14) and `Transfer-Encoding` (17) go on to `add`.
    #[inline(always)]
    fn may_matter(name: &[u8]) -> bool {
        const LENGTHS: u32 = 1 << 10 | 1 << 14 | 1 << 17;
        name.len() < 32 && LENGTHS & (1 << name.len()) != 0
    }

    fn add(&mut self, name: &[u8], value: &[u8]) -> Result<(), PeerError> {
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => self.add_content_length(value),
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                // Exactly one coding, `chunked`, on exactly one line.
                if self.transfer_encoding || !value.eq_ignore_ascii_case(b"chunked") {
                    return Err(PeerError::UnsupportedTransferCoding);
                }
                self.transfer_encoding = true;
                Ok(())
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',') {
                    let token = trim_ows(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        self.close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        self.keep_alive = true;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn add_content_length(&mut self, value: &[u8]) -> Result<(), PeerError> {
        // `1*DIGIT` items; identical repeats (in a list or on several lines) collapse.
        for item in value.split(|&b| b == b',') {
            let item = trim_ows(item);
            if item.is_empty() {
                return Err(PeerError::InvalidContentLength);
            }
            let mut n: u64 = 0;
            for &b in item {
                if !b.is_ascii_digit() {
                    return Err(PeerError::InvalidContentLength);
                }
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(b - b'0')))
                    .ok_or(PeerError::InvalidContentLength)?;
            }
            match self.content_length {
                Some(prev) if prev != n => return Err(PeerError::InvalidContentLength),
                _ => self.content_length = Some(n),
            }
        }
        Ok(())
    }
}

/// Parses a status line `HTTP/1.x SP 3DIGIT [SP reason]` (without its CRLF).
pub(crate) fn parse_status_line(line: &[u8]) -> Result<(Version, u16, &[u8]), PeerError> {
    let version = match line.get(..9) {
        Some(b"HTTP/1.1 ") => Version::Http11,
        Some(b"HTTP/1.0 ") => Version::Http10,
        _ => return Err(PeerError::InvalidStatusLine),
    };
    let mut status: u16 = 0;
    for i in 9..12 {
        match line.get(i) {
            Some(&d) if d.is_ascii_digit() => status = status * 10 + u16::from(d - b'0'),
            _ => return Err(PeerError::InvalidStatusLine),
        }
    }
    let reason = match line.get(12) {
        None => b"".as_slice(),
        Some(b' ') => line.get(13..).unwrap_or(b""),
        Some(_) => return Err(PeerError::InvalidStatusLine),
    };
    if !reason.iter().all(|&b| is_field_value_byte(b)) {
        return Err(PeerError::InvalidStatusLine);
    }
    if status < 100 {
        return Err(PeerError::InvalidStatusCode);
    }
    Ok((version, status, reason))
}

/// True when `prefix` could still begin a valid status line (`HTTP/1.0 ` or `HTTP/1.1 `), so
/// that garbage is rejected before a whole line arrives.
pub(crate) fn could_be_status_line(prefix: &[u8]) -> bool {
    const A: &[u8] = b"HTTP/1.1 ";
    const B: &[u8] = b"HTTP/1.0 ";
    let n = prefix.len().min(A.len());
    let p = prefix.get(..n).unwrap_or(b"");
    A.starts_with(p) || B.starts_with(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a whole section (the final empty line appended) at once.
    fn parse_fields(
        buf: &[u8],
        max: usize,
        too_many: PeerError,
        framing: Option<&mut Framing>,
    ) -> Result<usize, PeerError> {
        let mut section = [0u8; 256];
        let n = buf.len();
        section[..n].copy_from_slice(buf);
        section[n..n + 2].copy_from_slice(b"\r\n");
        let mut r = FieldReader::new();
        match r.read(&section[..n + 2], max, too_many, framing)? {
            Some(end) => {
                assert_eq!(end, n + 2);
                Ok(r.count())
            }
            None => Err(PeerError::UnexpectedEof),
        }
    }

    #[test]
    fn reader_resumes_at_every_split() {
        let section = b"A: b\r\nContent-Length: 12\r\n\r\nrest";
        for split in 0..section.len() {
            let mut r = FieldReader::new();
            let mut f = Framing::default();
            let end = match r.read(
                &section[..split],
                10,
                PeerError::TooManyHeaders,
                Some(&mut f),
            ) {
                Ok(Some(e)) => e,
                Ok(None) => r
                    .read(section, 10, PeerError::TooManyHeaders, Some(&mut f))
                    .unwrap()
                    .unwrap(),
                Err(e) => panic!("split {split}: {e:?}"),
            };
            assert_eq!(end, section.len() - 4, "split {split}");
            assert_eq!(
                (r.count(), f.content_length),
                (2, Some(12)),
                "split {split}"
            );
        }
    }

    #[test]
    fn reader_rejects_bare_lf_and_cr_as_soon_as_seen() {
        let mut r = FieldReader::new();
        assert_eq!(
            r.read(b"A: b\nB", 10, PeerError::TooManyHeaders, None),
            Err(PeerError::BareLf)
        );
        let mut r = FieldReader::new();
        assert_eq!(
            r.read(b"A: b\rc", 10, PeerError::TooManyHeaders, None),
            Err(PeerError::BareCr)
        );
        // A CR at the end of the input is undecided, not an error.
        let mut r = FieldReader::new();
        assert_eq!(
            r.read(b"A: b\r", 10, PeerError::TooManyHeaders, None),
            Ok(None)
        );
    }

    #[test]
    fn value_run_agrees_with_the_byte_class() {
        // Every byte value at every position of a 19-byte value.
        for b in 0u8..=255 {
            for at in 0..19 {
                let mut v = [b'a'; 19];
                v[at] = b;
                let expect = if is_field_value_byte(b) { 19 } else { at };
                assert_eq!(value_run(&v), expect, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(value_run(b""), 0);
        assert_eq!(value_run(b"\t\t\t\t\t\t\t\t\t x\r\n"), 11);
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 404 Not Found"),
            Ok((Version::Http11, 404, b"Not Found".as_slice()))
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.0 200"),
            Ok((Version::Http10, 200, b"".as_slice()))
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 "),
            Ok((Version::Http11, 200, b"".as_slice()))
        );
        for bad in [
            b"HTTP/2.0 200 OK".as_slice(),
            b"HTTP/1.1 20 OK",
            b"HTTP/1.1 2000 OK",
            b"HTTP/1.1  200 OK",
            b"HTTP/1.1 200 \x00",
            b"http/1.1 200 OK",
            b"HTTP/1.1 -20 OK",
        ] {
            assert!(parse_status_line(bad).is_err(), "{:?}", bad);
        }
        assert_eq!(
            parse_status_line(b"HTTP/1.1 099 Weird"),
            Err(PeerError::InvalidStatusCode)
        );
    }

    #[test]
    fn fields_and_framing() {
        let mut f = Framing::default();
        let n = parse_fields(
            b"Content-Length: 5, 5\r\nConnection: keep-alive, Close\r\n",
            10,
            PeerError::TooManyHeaders,
            Some(&mut f),
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(f.content_length, Some(5));
        assert!(f.close && f.keep_alive);
        for (bad, err) in [
            (
                b"Content-Length: 5, 6\r\n".as_slice(),
                PeerError::InvalidContentLength,
            ),
            (b"Content-Length: +5\r\n", PeerError::InvalidContentLength),
            (b"Content-Length: \r\n", PeerError::InvalidContentLength),
            (
                b"Content-Length: 99999999999999999999\r\n",
                PeerError::InvalidContentLength,
            ),
            (b"A : b\r\n", PeerError::InvalidHeaderName),
            (b" A: b\r\n", PeerError::InvalidHeaderName),
            (b"A: b\r\n c\r\n", PeerError::ObsFold),
            (b"A: \x01\r\n", PeerError::InvalidHeaderValue),
            (b"A: \x7f\r\n", PeerError::InvalidHeaderValue),
            (
                b"Transfer-Encoding: gzip, chunked\r\n",
                PeerError::UnsupportedTransferCoding,
            ),
            (
                b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                PeerError::UnsupportedTransferCoding,
            ),
        ] {
            let mut f = Framing::default();
            assert_eq!(
                parse_fields(bad, 10, PeerError::TooManyHeaders, Some(&mut f)),
                Err(err),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
        assert_eq!(
            parse_fields(b"A: b\r\nA: b\r\n", 1, PeerError::TooManyHeaders, None),
            Err(PeerError::TooManyHeaders)
        );
        assert_eq!(
            parse_fields(b"A: b\r\nA: b\r\n", 2, PeerError::TooManyHeaders, None),
            Ok(2)
        );
        for (bad, err) in [
            (b"A: b\r\n\rX: c\r\n".as_slice(), PeerError::BareCr),
            (b"A: b\r\nAbc\nX: c\r\n", PeerError::BareLf),
            (b"A: b\r\n: c\r\n", PeerError::InvalidHeaderName),
            (b"A: b\r\nA\x01: c\r\n", PeerError::InvalidHeaderName),
        ] {
            let mut r = FieldReader::new();
            assert_eq!(
                r.read(bad, 10, PeerError::TooManyHeaders, None),
                Err(err),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn framing_names_are_found_by_length_and_longer_names_pass() {
        // Only the lengths 10, 14 and 17 can be framing names; names of every other length,
        // up to and past the filter's 32-bit mask, are read and ignored.
        for len in 1..=40 {
            let mut section = [0u8; 64];
            section[..len].fill(b'x');
            section[len..len + 7].copy_from_slice(b": 5\r\n\r\n");
            let mut r = FieldReader::new();
            let mut f = Framing::default();
            let end = r.read(
                &section[..len + 7],
                10,
                PeerError::TooManyHeaders,
                Some(&mut f),
            );
            assert_eq!(end, Ok(Some(len + 7)), "{len}");
            assert_eq!(f, Framing::default(), "{len}");
        }
        let mut f = Framing::default();
        parse_fields(
            b"cOnNeCtIoN: close\r\nCONTENT-LENGTH: 7\r\ntransfer-encodinG: chunked\r\n",
            10,
            PeerError::TooManyHeaders,
            Some(&mut f),
        )
        .unwrap();
        assert_eq!(
            (f.close, f.content_length, f.transfer_encoding),
            (true, Some(7), true)
        );
    }

    #[test]
    fn names_of_sections_that_are_not_utf8() {
        // A value with obs-text makes the section invalid UTF-8: every name is still read,
        // and `get` compares bytes.
        let raw = b"A: \xff\xfe\r\nBb: \xc3\r\nCcc: d\r\n";
        let h = Headers::new(raw, 3);
        let names: [&str; 3] = ["A", "Bb", "Ccc"];
        assert!(h.iter().map(|f| f.name).eq(names.iter().copied()));
        assert_eq!(h.get("ccc"), Some(b"d".as_slice()));
        assert_eq!(h.get("bB"), Some(b"\xc3".as_slice()));
        assert_eq!(h.get("D"), None);
        // Valid UTF-8 values (multi-byte) keep the names in step with the text.
        let raw = "A: \u{e9}\u{e9}\r\nBb: \u{1f600}\r\nCcc: d\r\n".as_bytes();
        let h = Headers::from_raw(raw);
        assert!(h.iter().map(|f| f.name).eq(names.iter().copied()));
        assert_eq!(
            h.iter().nth(1).map(|f| f.value),
            Some("\u{1f600}".as_bytes())
        );
    }

    #[test]
    fn kept_bytes_that_are_not_tokens_or_values_iterate_as_before() {
        // `from_raw` does not validate again: a name with a space or a value with a control
        // byte still splits at the first ':' and the first CR.
        let raw = b"A b: c\x01d\r\nE: f\r\n";
        let h = Headers::from_raw(raw);
        let v: [(&str, &[u8]); 2] = [("A b", b"c\x01d"), ("E", b"f")];
        assert!(h.iter().map(|h| (h.name, h.value)).eq(v.iter().copied()));
        let long =
            b"Name-Longer-Than-Sixteen-Bytes: value that is longer than thirty-two \x7f bytes\r\n";
        let f = Headers::from_raw(long).iter().next().unwrap();
        assert_eq!(f.name, "Name-Longer-Than-Sixteen-Bytes");
        assert_eq!(f.value, &long[32..long.len() - 2]);
    }

    #[test]
    fn header_iteration_trims_and_keeps_order() {
        let raw = b"A:  x y \r\nB:\t\xff\r\nA: z\r\n";
        let h = Headers::new(raw, 3);
        let v: [(&str, &[u8]); 3] = [("A", b"x y"), ("B", b"\xff"), ("A", b"z")];
        assert!(h.iter().map(|h| (h.name, h.value)).eq(v.iter().copied()));
        assert_eq!(h.get("a"), Some(b"x y".as_slice()));
        let kept = h.raw().to_vec();
        let again = Headers::from_raw(&kept);
        assert_eq!(again.len(), 3);
        assert!(again.iter().eq(h.iter()));
    }
}
