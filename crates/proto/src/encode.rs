//! Request encoding, sans-IO: a [`RequestSpec`] describes one request and writes its head into a
//! buffer the caller owns; a [`BodyEncoder`] frames the body that follows.
//!
//! The encoder never repairs its input. Every rule below is checked before a single byte is
//! written, and a violation is a [`MisuseError`], never a silent fix:
//!
//! * The method is a token ([`MisuseError::InvalidMethod`]).
//! * The path template starts with `/` and holds only RFC 3986 path characters (unreserved,
//!   sub-delims, `:`, `@`, `/`) and `{name}` placeholders. It has no `%`, `?`, `#`, whitespace,
//!   control or non-ASCII byte, no empty segment (`//`, a trailing `/` except in `/` itself) and
//!   no `.` or `..` segment: dockerd cleans paths, so such a path would reach another handler
//!   ([`MisuseError::InvalidPathTemplate`]). Every placeholder has exactly one parameter and
//!   every parameter a placeholder ([`MisuseError::MissingPathParam`]).
//! * A [`PathParam::Plain`] parameter is not empty, `.` or `..` and holds no `/`
//!   ([`MisuseError::InvalidPathParam`]); every byte outside RFC 3986 `unreserved` is
//!   percent-encoded with uppercase hex (`été` → `%C3%A9t%C3%A9`, CR LF → `%0D%0A`). A
//!   [`PathParam::Image`] parameter must be a valid Docker image reference
//!   ([`MisuseError::InvalidImageReference`]) and keeps `/`, `:` and `@` as they are.
//! * Query keys and values are percent-encoded the same way, in the given order; a space is
//!   `%20`, never `+` (dockerd decodes `+` as a space). An empty key is
//!   [`MisuseError::InvalidQuery`]; an empty value is sent as `key=`.
//! * Header names are tokens ([`MisuseError::InvalidHeaderName`]); values hold only visible
//!   ASCII, SP and HTAB, with no leading or trailing SP/HTAB ([`MisuseError::InvalidHeaderValue`]).
//!   `Content-Length`, `Transfer-Encoding`, `Connection`, `Upgrade` and `Expect` come from the
//!   request's fields, never from `headers` ([`MisuseError::ReservedHeader`]). At most one
//!   `Host` ([`MisuseError::DuplicateHost`]); it replaces the default
//!   `Host: api.moby.localhost` ([`DEFAULT_HOST`]).
//! * `Expect: 100-continue` needs a body ([`MisuseError::BodyNotExpected`]).
//! * The whole head is at most [`MAX_HEAD_BYTES`] ([`MisuseError::HeadTooLarge`]).
//!
//! The head is written in this order: the request line, `Host`, the caller's headers in their
//! order, `Connection: Upgrade` and `Upgrade: tcp` for an upgrade, the framing header
//! (`Content-Length` or `Transfer-Encoding: chunked`; `Content-Length: 0` for a `POST`, `PUT` or
//! `PATCH` without a body, see [`BodyFraming::None`]), `Expect: 100-continue`, and the empty line.
//!
//! # Examples
//!
//! Streaming a build context with a chunked body (see [`RequestSpec`] for a simpler request):
//!
//! ```
//! use docksock_proto::encode::{BodyFraming, RequestSpec};
//! use docksock_proto::version::ApiVersion;
//!
//! let spec = RequestSpec::new("POST", "/build")
//!     .headers(&[("Content-Type", "application/x-tar")])
//!     .api_version(Some(ApiVersion::new(1, 45)))
//!     .body(BodyFraming::Chunked);
//! let mut wire = [0u8; 512];
//! let mut n = spec.encode(&mut wire)?;
//!
//! let mut body = spec.body_encoder();
//! for piece in [&b"hel"[..], b"", b"lo"] {
//!     let frame = body.frame(piece.len())?;
//!     for part in [frame.prefix(), piece, frame.suffix()] {
//!         wire[n..n + part.len()].copy_from_slice(part);
//!         n += part.len();
//!     }
//! }
//! let end = body.finish()?;
//! wire[n..n + end.len()].copy_from_slice(end);
//! n += end.len();
//!
//! assert_eq!(
//!     &wire[..n],
//!     &b"POST /v1.45/build HTTP/1.1\r\nHost: api.moby.localhost\r\n\
//!        Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n\
//!        3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"[..]
//! );
//! # Ok::<(), docksock_proto::Error>(())
//! ```

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::chars::{is_token, is_unreserved, HEX_LOWER, HEX_UPPER};
use crate::version::ApiVersion;
use crate::{Error, MisuseError};

/// The `Host` value sent when the caller gives none. Docker's own client sends it over a Unix
/// socket (a `.localhost` name can never resolve to a real host).
pub const DEFAULT_HOST: &str = "api.moby.localhost";

/// The cap on a whole request head (request line, headers and the empty line): 1 MiB, Go's
/// `http.DefaultMaxHeaderBytes`, which dockerd uses. A larger head is
/// [`MisuseError::HeadTooLarge`] and nothing is written.
pub const MAX_HEAD_BYTES: usize = 1 << 20;

/// Header names the encoder writes itself, from the request's fields.
const RESERVED_HEADERS: [&str; 5] = [
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Upgrade",
    "Expect",
];

/// The terminator of a chunked body: the last (zero-size) chunk and an empty trailer section.
const CHUNKED_END: &[u8] = b"0\r\n\r\n";

const fn misuse(e: MisuseError) -> Error {
    Error::Misuse(e)
}

/// The value substituted for one `{name}` placeholder of a path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathParam<'a> {
    /// An ordinary path segment (a container id or name, a volume name…). It must not be empty,
    /// `.` or `..` and must not contain `/`; every byte outside RFC 3986 `unreserved` is
    /// percent-encoded (UTF-8 bytes, uppercase hex).
    Plain(&'a str),
    /// A Docker image reference (`busybox`, `localhost:5000/a/b:tag`, `ubuntu@sha256:…`, a
    /// 64-hex image id or `sha256:<64 hex>`). It is checked against moby's reference grammar and
    /// keeps `/`, `:` and `@` literally; other bytes are encoded as for [`Plain`](Self::Plain).
    ///
    /// The grammar: an optional registry `host[:port]` first component (domain labels of
    /// letters, digits and inner `-`, or a bracketed IPv6 address), then path components of
    /// lowercase letters and digits separated by `.`, `_`, `__` or runs of `-`, joined by `/`;
    /// the name is at most 255 bytes. Then an optional `:tag` (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`)
    /// and an optional `@algorithm:hex` digest: `sha256`, `sha384` or `sha512` with exactly 64, 96
    /// or 128 lowercase hex digits (moby rejects other algorithms).
    Image(&'a str),
}

/// How the body after the head is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body. No framing header either, except `Content-Length: 0` for `POST`, `PUT` and
    /// `PATCH`: RFC 9110 §8.6 says a user agent should send a length when the method gives the
    /// content a meaning, and Go's `net/http` (so moby's own client) does exactly this.
    None,
    /// `Content-Length: n` (written even for `0`); exactly `n` body bytes must follow.
    Length(u64),
    /// `Transfer-Encoding: chunked`; the body is streamed with a [`BodyEncoder`].
    Chunked,
}

/// One request to encode: method, path template and parameters, query, headers, API version,
/// body framing, upgrade and `Expect: 100-continue`. It borrows everything and allocates nothing.
///
/// Build one with [`new`](Self::new) and the builder-style setters (or fill the public fields),
/// then write the head with [`encode`](Self::encode) (into a slice) or
/// [`encode_vec`](Self::encode_vec) (appending to a `Vec`), and the body, if any, through
/// [`body_encoder`](Self::body_encoder). The rules checked are listed in the
/// [module docs](self).
///
/// # Examples
///
/// ```
/// use docksock_proto::encode::{PathParam, RequestSpec};
/// use docksock_proto::version::ApiVersion;
///
/// let spec = RequestSpec::new("GET", "/containers/{id}/logs")
///     .params(&[("id", PathParam::Plain("web 1"))])
///     .query(&[("stdout", "1"), ("since", "1\r\n")])
///     .api_version(Some(ApiVersion::new(1, 45)));
///
/// // Everything is validated first; the exact size is known before writing.
/// let needed = spec.encoded_len()?;
/// let mut buf = [0u8; 256];
/// let n = spec.encode(&mut buf)?;
/// assert_eq!(n, needed);
/// assert_eq!(
///     &buf[..n],
///     &b"GET /v1.45/containers/web%201/logs?stdout=1&since=1%0D%0A HTTP/1.1\r\n\
///        Host: api.moby.localhost\r\n\r\n"[..]
/// );
///
/// // Invalid input is an error, never sanitized.
/// let bad = RequestSpec::new("GET", "/info").headers(&[("X-Trace", "a\nX-Injected: 1")]);
/// assert!(bad.encode(&mut buf).is_err());
/// # Ok::<(), docksock_proto::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestSpec<'a> {
    /// The method, a token (`GET`, `POST`…).
    pub method: &'a str,
    /// The path template, like `/containers/{id}/json`, without the version prefix or query.
    pub path: &'a str,
    /// One value per `{name}` placeholder of `path`.
    pub params: &'a [(&'a str, PathParam<'a>)],
    /// Query pairs, written in this order and percent-encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Extra headers, written in this order after `Host`. A `Host` here replaces the default.
    pub headers: &'a [(&'a str, &'a str)],
    /// When set, the path is prefixed with `/v{major}.{minor}` (for example `/v1.45`).
    pub api_version: Option<ApiVersion>,
    /// The body framing header to send.
    pub body: BodyFraming,
    /// Adds `Connection: Upgrade` and `Upgrade: tcp` (attach and exec hijacking).
    pub upgrade: bool,
    /// Adds `Expect: 100-continue`; needs a body.
    pub expect_continue: bool,
}

impl<'a> RequestSpec<'a> {
    /// A request with this method and path template, and nothing else: no parameters, query,
    /// extra headers, version prefix or body, no upgrade and no `Expect`.
    pub const fn new(method: &'a str, path: &'a str) -> Self {
        RequestSpec {
            method,
            path,
            params: &[],
            query: &[],
            headers: &[],
            api_version: None,
            body: BodyFraming::None,
            upgrade: false,
            expect_continue: false,
        }
    }

    /// Sets the path parameters, one per `{name}` placeholder.
    #[must_use]
    pub const fn params(self, params: &'a [(&'a str, PathParam<'a>)]) -> Self {
        RequestSpec { params, ..self }
    }

    /// Sets the query pairs.
    #[must_use]
    pub const fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        RequestSpec { query, ..self }
    }

    /// Sets the extra headers.
    #[must_use]
    pub const fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        RequestSpec { headers, ..self }
    }

    /// Sets (or with `None` removes) the API version prefix.
    #[must_use]
    pub const fn api_version(self, api_version: Option<ApiVersion>) -> Self {
        RequestSpec {
            api_version,
            ..self
        }
    }

    /// Sets the body framing.
    #[must_use]
    pub const fn body(self, body: BodyFraming) -> Self {
        RequestSpec { body, ..self }
    }

    /// Sets whether the request asks for a connection upgrade (`Upgrade: tcp`).
    #[must_use]
    pub const fn upgrade(self, upgrade: bool) -> Self {
        RequestSpec { upgrade, ..self }
    }

    /// Sets whether the request sends `Expect: 100-continue`.
    #[must_use]
    pub const fn expect_continue(self, expect_continue: bool) -> Self {
        RequestSpec {
            expect_continue,
            ..self
        }
    }

    /// Writes the whole head (request line, headers, empty line) to the start of `out` and
    /// returns its length. The input is validated completely and the size computed before
    /// anything is written.
    ///
    /// # Errors
    ///
    /// Any rule violation of the [module docs](self), as a [`MisuseError`];
    /// [`MisuseError::HeadTooLarge`] above [`MAX_HEAD_BYTES`]; and
    /// [`MisuseError::BufferTooSmall`] with the exact size needed when `out` is shorter (then
    /// `out` is left untouched).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let needed = self.encoded_len()?;
        if out.len() < needed {
            return Err(misuse(MisuseError::BufferTooSmall { needed }));
        }
        let mut sink = SliceSink {
            buf: out,
            pos: 0,
            overflow: false,
        };
        self.write_head(&mut sink)?;
        if sink.overflow || sink.pos != needed {
            // Not reachable: the counting pass and the writing pass are the same code.
            return Err(misuse(MisuseError::BufferTooSmall { needed }));
        }
        Ok(sink.pos)
    }

    /// The exact length of the head [`encode`](Self::encode) would write, after validating the
    /// request.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode), except [`MisuseError::BufferTooSmall`].
    pub fn encoded_len(&self) -> Result<usize, Error> {
        self.validate()?;
        let mut counter = Counter(0);
        self.write_head(&mut counter)?;
        if counter.0 > MAX_HEAD_BYTES {
            return Err(misuse(MisuseError::HeadTooLarge));
        }
        Ok(counter.0)
    }

    /// Appends the head to `out`. On error `out` is left as it was.
    ///
    /// # Errors
    ///
    /// As [`encoded_len`](Self::encoded_len).
    #[cfg(feature = "alloc")]
    pub fn encode_vec(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let needed = self.encoded_len()?;
        out.reserve(needed);
        let start = out.len();
        let mut sink = VecSink(out);
        if let Err(e) = self.write_head(&mut sink) {
            out.truncate(start);
            return Err(e);
        }
        Ok(())
    }

    /// Appends a whole request with a `Content-Length` body to `out`: the head, with the `body`
    /// field replaced by [`BodyFraming::Length`]`(body.len())`, then `body`. On error `out` is
    /// left as it was.
    ///
    /// # Errors
    ///
    /// As [`encoded_len`](Self::encoded_len).
    #[cfg(feature = "alloc")]
    pub fn encode_with_body(&self, body: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let spec = RequestSpec {
            body: BodyFraming::Length(u64::try_from(body.len()).unwrap_or(u64::MAX)),
            ..*self
        };
        spec.encode_vec(out)?;
        out.extend_from_slice(body);
        Ok(())
    }

    /// A [`BodyEncoder`] for this request's [`body`](Self::body) framing.
    pub const fn body_encoder(&self) -> BodyEncoder {
        match self.body {
            BodyFraming::None => BodyEncoder::none(),
            BodyFraming::Length(n) => BodyEncoder::length(n),
            BodyFraming::Chunked => BodyEncoder::chunked(),
        }
    }

    /// Checks every rule of the module docs except the size cap.
    fn validate(&self) -> Result<(), Error> {
        if !is_token(self.method.as_bytes()) {
            return Err(misuse(MisuseError::InvalidMethod));
        }

        // The template's characters and placeholders; each placeholder has exactly one param.
        walk_template(self.path, |piece| match piece {
            Piece::Literal(_) => Ok(()),
            Piece::Placeholder(name) => {
                if self.params.iter().filter(|(n, _)| *n == name).count() == 1 {
                    Ok(())
                } else {
                    Err(misuse(MisuseError::MissingPathParam))
                }
            }
        })?;
        // Each param has a placeholder, and a valid value.
        for &(name, value) in self.params {
            let mut found = false;
            walk_template(self.path, |piece| {
                if piece == Piece::Placeholder(name) {
                    found = true;
                }
                Ok(())
            })?;
            if !found {
                return Err(misuse(MisuseError::MissingPathParam));
            }
            match value {
                PathParam::Plain(v) => {
                    if matches!(v, "" | "." | "..") || v.contains('/') {
                        return Err(misuse(MisuseError::InvalidPathParam));
                    }
                }
                PathParam::Image(v) => {
                    if !is_image_reference(v.as_bytes()) {
                        return Err(misuse(MisuseError::InvalidImageReference));
                    }
                }
            }
        }

        if self.query.iter().any(|(k, _)| k.is_empty()) {
            return Err(misuse(MisuseError::InvalidQuery));
        }

        let mut hosts = 0usize;
        for (name, value) in self.headers {
            if !is_token(name.as_bytes()) {
                return Err(misuse(MisuseError::InvalidHeaderName));
            }
            if RESERVED_HEADERS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name))
            {
                return Err(misuse(MisuseError::ReservedHeader));
            }
            if !is_header_value(value.as_bytes()) {
                return Err(misuse(MisuseError::InvalidHeaderValue));
            }
            if name.eq_ignore_ascii_case("Host") {
                hosts += 1;
                if hosts > 1 {
                    return Err(misuse(MisuseError::DuplicateHost));
                }
            }
        }

        if self.expect_continue && self.body == BodyFraming::None {
            return Err(misuse(MisuseError::BodyNotExpected));
        }
        Ok(())
    }

    /// Writes the head to `sink`. Called only after [`validate`](Self::validate); the same code
    /// counts the size and writes the bytes, so the two always agree.
    fn write_head<S: Sink>(&self, sink: &mut S) -> Result<(), Error> {
        // Request line.
        sink.put(self.method.as_bytes());
        sink.put(b" ");
        if let Some(v) = self.api_version {
            let mut buf = [0u8; 20];
            sink.put(b"/v");
            sink.put(format_u64(u64::from(v.major), 10, &mut buf));
            sink.put(b".");
            sink.put(format_u64(u64::from(v.minor), 10, &mut buf));
        }
        walk_template(self.path, |piece| {
            match piece {
                Piece::Literal(lit) => sink.put(lit.as_bytes()),
                Piece::Placeholder(name) => {
                    let value = self
                        .params
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| *v)
                        .ok_or(misuse(MisuseError::MissingPathParam))?;
                    match value {
                        PathParam::Plain(v) => percent_encode(v.as_bytes(), b"", sink),
                        PathParam::Image(v) => percent_encode(v.as_bytes(), b"/:@", sink),
                    }
                }
            }
            Ok(())
        })?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            sink.put(if i == 0 { b"?" } else { b"&" });
            percent_encode(k.as_bytes(), b"", sink);
            sink.put(b"=");
            percent_encode(v.as_bytes(), b"", sink);
        }
        sink.put(b" HTTP/1.1\r\n");

        // Host first: the caller's, or the default.
        let host = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Host"))
            .map_or(DEFAULT_HOST, |(_, v)| *v);
        put_header(sink, "Host", host);
        for (name, value) in self.headers {
            if !name.eq_ignore_ascii_case("Host") {
                put_header(sink, name, value);
            }
        }

        if self.upgrade {
            sink.put(b"Connection: Upgrade\r\nUpgrade: tcp\r\n");
        }
        match self.body {
            BodyFraming::None if sends_empty_length(self.method) => {
                sink.put(b"Content-Length: 0\r\n");
            }
            BodyFraming::None => {}
            BodyFraming::Length(n) => {
                let mut buf = [0u8; 20];
                sink.put(b"Content-Length: ");
                sink.put(format_u64(n, 10, &mut buf));
                sink.put(b"\r\n");
            }
            BodyFraming::Chunked => sink.put(b"Transfer-Encoding: chunked\r\n"),
        }
        if self.expect_continue {
            sink.put(b"Expect: 100-continue\r\n");
        }
        sink.put(b"\r\n");
        Ok(())
    }
}

/// Frames a request body after the head and checks it against the declared framing.
///
/// Get one from [`RequestSpec::body_encoder`] (or [`none`](Self::none),
/// [`length`](Self::length), [`chunked`](Self::chunked)). For each piece of body data call
/// [`frame`](Self::frame) and send `prefix`, the data, and `suffix`; at the end call
/// [`finish`](Self::finish) and send what it returns. A call that returns an error leaves the
/// encoder unchanged.
///
/// # Examples
///
/// ```
/// use docksock_proto::encode::BodyEncoder;
///
/// let mut body = BodyEncoder::chunked();
/// let frame = body.frame(300)?;
/// assert_eq!(frame.prefix(), b"12c\r\n");
/// assert_eq!(frame.suffix(), b"\r\n");
/// // An empty write emits nothing: a zero-size chunk would end the body.
/// assert!(body.frame(0)?.prefix().is_empty());
/// assert_eq!(body.finish()?, b"0\r\n\r\n");
///
/// let mut fixed = BodyEncoder::length(5);
/// fixed.frame(3)?;
/// assert!(fixed.frame(3).is_err()); // more than declared
/// assert!(fixed.finish().is_err()); // 2 bytes still owed
/// # Ok::<(), docksock_proto::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyEncoder {
    kind: BodyKind,
    finished: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyKind {
    None,
    Length { remaining: u64 },
    Chunked,
}

impl BodyEncoder {
    /// For a request without a body: only empty writes are accepted.
    pub const fn none() -> Self {
        BodyEncoder {
            kind: BodyKind::None,
            finished: false,
        }
    }

    /// For a `Content-Length: n` body: exactly `n` bytes, written as they are.
    pub const fn length(n: u64) -> Self {
        BodyEncoder {
            kind: BodyKind::Length { remaining: n },
            finished: false,
        }
    }

    /// For a `Transfer-Encoding: chunked` body.
    pub const fn chunked() -> Self {
        BodyEncoder {
            kind: BodyKind::Chunked,
            finished: false,
        }
    }

    /// For a `Content-Length` body, the bytes still owed; `None` for other framings.
    pub const fn remaining(&self) -> Option<u64> {
        match self.kind {
            BodyKind::Length { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// True once [`finish`](Self::finish) has succeeded.
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    /// Frames one piece of body data of `len` bytes: send the frame's
    /// [`prefix`](ChunkFrame::prefix), the data, then its [`suffix`](ChunkFrame::suffix).
    ///
    /// For a chunked body the prefix is the size in lowercase hex and CRLF, the suffix CRLF; an
    /// empty piece gets an empty prefix and suffix (nothing is sent), since a zero-size chunk
    /// would end the body. For a `Content-Length` body both are empty and `len` is counted
    /// against the declared length.
    ///
    /// # Errors
    ///
    /// [`MisuseError::BodyLengthMismatch`] when `len` exceeds the bytes still owed to a
    /// `Content-Length` body; [`MisuseError::BodyNotExpected`] for a non-empty piece without a
    /// body, or any call after [`finish`](Self::finish).
    pub fn frame(&mut self, len: usize) -> Result<ChunkFrame, Error> {
        if self.finished {
            return Err(misuse(MisuseError::BodyNotExpected));
        }
        match &mut self.kind {
            BodyKind::None if len == 0 => Ok(ChunkFrame::EMPTY),
            BodyKind::None => Err(misuse(MisuseError::BodyNotExpected)),
            BodyKind::Length { remaining } => {
                let len = u64::try_from(len).unwrap_or(u64::MAX);
                match remaining.checked_sub(len) {
                    Some(left) => {
                        *remaining = left;
                        Ok(ChunkFrame::EMPTY)
                    }
                    None => Err(misuse(MisuseError::BodyLengthMismatch)),
                }
            }
            BodyKind::Chunked if len == 0 => Ok(ChunkFrame::EMPTY),
            BodyKind::Chunked => Ok(ChunkFrame::chunk(len)),
        }
    }

    /// Ends the body and returns the bytes to send last: `0\r\n\r\n` for a chunked body,
    /// nothing otherwise.
    ///
    /// # Errors
    ///
    /// [`MisuseError::BodyLengthMismatch`] when a `Content-Length` body still owes bytes (the
    /// encoder stays open); [`MisuseError::BodyNotExpected`] when the body was already finished.
    pub fn finish(&mut self) -> Result<&'static [u8], Error> {
        if self.finished {
            return Err(misuse(MisuseError::BodyNotExpected));
        }
        let end: &'static [u8] = match self.kind {
            BodyKind::None => b"",
            BodyKind::Length { remaining: 0 } => b"",
            BodyKind::Length { .. } => return Err(misuse(MisuseError::BodyLengthMismatch)),
            BodyKind::Chunked => CHUNKED_END,
        };
        self.finished = true;
        Ok(end)
    }

    /// Appends one framed piece (prefix, `data`, suffix) to `out`.
    ///
    /// # Errors
    ///
    /// As [`frame`](Self::frame); `out` is unchanged then.
    #[cfg(feature = "alloc")]
    pub fn write_vec(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let frame = self.frame(data.len())?;
        out.reserve(frame.overhead().saturating_add(data.len()));
        out.extend_from_slice(frame.prefix());
        out.extend_from_slice(data);
        out.extend_from_slice(frame.suffix());
        Ok(())
    }
}

/// The framing around one piece of body data, from [`BodyEncoder::frame`]. It is stored inline
/// (no allocation): the prefix is at most 18 bytes (16 hex digits and CRLF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkFrame {
    prefix: [u8; 18],
    prefix_len: u8,
    suffix: &'static [u8],
}

impl ChunkFrame {
    const EMPTY: ChunkFrame = ChunkFrame {
        prefix: [0; 18],
        prefix_len: 0,
        suffix: b"",
    };

    /// A chunk header for `len` (> 0) data bytes.
    fn chunk(len: usize) -> Self {
        let mut digits = [0u8; 20];
        let hex = format_u64(u64::try_from(len).unwrap_or(u64::MAX), 16, &mut digits);
        let mut prefix = [0u8; 18];
        let mut n = 0usize;
        for (slot, &b) in prefix.iter_mut().zip(hex.iter().chain(b"\r\n")) {
            *slot = b;
            n += 1;
        }
        ChunkFrame {
            prefix,
            prefix_len: u8::try_from(n).unwrap_or(0),
            suffix: b"\r\n",
        }
    }

    /// The bytes to send before the data (empty for a `Content-Length` body or an empty piece).
    pub fn prefix(&self) -> &[u8] {
        self.prefix
            .get(..usize::from(self.prefix_len))
            .unwrap_or(&[])
    }

    /// The bytes to send after the data: CRLF for a chunk, otherwise empty.
    pub const fn suffix(&self) -> &'static [u8] {
        self.suffix
    }

    /// The framing bytes added around the data: prefix plus suffix length.
    pub fn overhead(&self) -> usize {
        self.prefix().len() + self.suffix.len()
    }
}

/// Where the head goes: a counter, a slice or a `Vec`.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// Counts bytes (saturating, so a huge input cannot wrap around the size cap).
struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

/// Writes into a slice; records an overflow instead of panicking.
struct SliceSink<'b> {
    buf: &'b mut [u8],
    pos: usize,
    overflow: bool,
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.checked_add(bytes.len());
        match end.and_then(|end| self.buf.get_mut(self.pos..end)) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.pos += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

#[cfg(feature = "alloc")]
struct VecSink<'v>(&'v mut Vec<u8>);

#[cfg(feature = "alloc")]
impl Sink for VecSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// True for the methods that get `Content-Length: 0` without a body (case-sensitive, as methods
/// are).
fn sends_empty_length(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

/// Writes `name: value\r\n` (`name:\r\n` for an empty value).
fn put_header<S: Sink>(sink: &mut S, name: &str, value: &str) {
    sink.put(name.as_bytes());
    sink.put(b":");
    if !value.is_empty() {
        sink.put(b" ");
        sink.put(value.as_bytes());
    }
    sink.put(b"\r\n");
}

/// Percent-encodes every byte outside RFC 3986 `unreserved` and `keep`, in uppercase hex.
fn percent_encode<S: Sink>(mut s: &[u8], keep: &[u8], sink: &mut S) {
    let literal = |b: &u8| is_unreserved(*b) || keep.contains(b);
    while !s.is_empty() {
        let run = s.iter().take_while(|b| literal(b)).count();
        let (plain, rest) = s.split_at(run);
        if !plain.is_empty() {
            sink.put(plain);
        }
        if let Some((&b, rest)) = rest.split_first() {
            let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX_UPPER.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
            sink.put(&[b'%', hi, lo]);
            s = rest;
        } else {
            s = rest;
        }
    }
}

/// Formats `n` in `radix` (10 or 16, lowercase) into the end of `buf`; returns the digits.
fn format_u64(mut n: u64, radix: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        let digit = usize::try_from(n % radix).unwrap_or(0);
        *slot = HEX_LOWER.get(digit).copied().unwrap_or(b'0');
        start -= 1;
        n /= radix;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// A header value: visible ASCII, SP and HTAB only, no leading or trailing SP/HTAB. Empty is
/// allowed.
fn is_header_value(v: &[u8]) -> bool {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    v.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b))
        && !v.first().is_some_and(ows)
        && !v.last().is_some_and(ows)
}

/// A literal byte of a path template: RFC 3986 `pchar` without `%` (pct-encoded), or `/`.
fn is_path_literal(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

/// A byte of a placeholder name.
fn is_placeholder_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A piece of a path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece<'t> {
    /// Literal text (with its slashes), written as is.
    Literal(&'t str),
    /// A `{name}` placeholder, by name.
    Placeholder(&'t str),
}

/// Walks a path template, validating it, and calls `f` for each piece in order.
fn walk_template<'t>(
    t: &'t str,
    mut f: impl FnMut(Piece<'t>) -> Result<(), Error>,
) -> Result<(), Error> {
    let invalid = misuse(MisuseError::InvalidPathTemplate);
    let bytes = t.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(invalid);
    }
    // The segment being read: literal bytes, whether they are all dots, any placeholder.
    let mut seg_len = 0usize;
    let mut seg_dots = true;
    let mut seg_placeholder = false;
    let segment_ok =
        |len: usize, dots: bool, placeholder: bool| placeholder || (len > 0 && !(dots && len <= 2));

    let mut lit_start = 0usize;
    let mut i = 1usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => {
                let name_len = bytes
                    .get(i + 1..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|&&c| is_placeholder_byte(c))
                    .count();
                let close = i + 1 + name_len;
                if name_len == 0 || bytes.get(close) != Some(&b'}') {
                    return Err(invalid);
                }
                if lit_start < i {
                    f(Piece::Literal(t.get(lit_start..i).ok_or(invalid)?))?;
                }
                f(Piece::Placeholder(t.get(i + 1..close).ok_or(invalid)?))?;
                seg_placeholder = true;
                i = close + 1;
                lit_start = i;
            }
            b'/' => {
                if !segment_ok(seg_len, seg_dots, seg_placeholder) {
                    return Err(invalid);
                }
                seg_len = 0;
                seg_dots = true;
                seg_placeholder = false;
                i += 1;
            }
            b if is_path_literal(b) => {
                seg_len += 1;
                seg_dots &= b == b'.';
                i += 1;
            }
            _ => return Err(invalid),
        }
    }
    // The last segment; `/` alone is the root path.
    if t.len() > 1 && !segment_ok(seg_len, seg_dots, seg_placeholder) {
        return Err(invalid);
    }
    if lit_start < bytes.len() {
        f(Piece::Literal(t.get(lit_start..).ok_or(invalid)?))?;
    }
    Ok(())
}

/// True for a valid Docker image reference (see [`PathParam::Image`]).
fn is_image_reference(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    // A bare image id, or a `sha256:` id (both also fit the grammar below; kept explicit).
    if is_lower_hex_of_len(s, 64)
        || s.strip_prefix(b"sha256:")
            .is_some_and(|h| is_lower_hex_of_len(h, 64))
    {
        return true;
    }
    let (rest, digest) = match s.iter().position(|&b| b == b'@') {
        Some(at) => (s.get(..at).unwrap_or(&[]), s.get(at + 1..)),
        None => (s, None),
    };
    if let Some(d) = digest {
        if !is_digest(d) {
            return false;
        }
    }
    // A tag follows the last `:` after the last `/`; an earlier `:` is a registry port.
    let last_slash = rest.iter().rposition(|&b| b == b'/');
    let last_colon = rest.iter().rposition(|&b| b == b':');
    let (name, tag) = match last_colon {
        Some(c) if last_slash.map_or(true, |sl| c > sl) => {
            (rest.get(..c).unwrap_or(&[]), rest.get(c + 1..))
        }
        _ => (rest, None),
    };
    if let Some(t) = tag {
        if !is_tag(t) {
            return false;
        }
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut components = name.split(|&b| b == b'/');
    let several = name.contains(&b'/');
    let first_ok = components
        .next()
        .is_some_and(|c| is_path_component(c) || (several && is_domain(c)));
    first_ok && components.all(is_path_component)
}

fn is_lower_hex_of_len(s: &[u8], len: usize) -> bool {
    s.len() == len
        && s.iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with separator `.`, `_`, `__` or `-`+.
fn is_path_component(c: &[u8]) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut rest = c;
    loop {
        let run = rest.iter().take_while(|b| alnum(b)).count();
        if run == 0 {
            return false;
        }
        rest = rest.get(run..).unwrap_or(&[]);
        if rest.is_empty() {
            return true;
        }
        let sep_len = rest.iter().take_while(|b| !alnum(b)).count();
        let sep = rest.get(..sep_len).unwrap_or(&[]);
        if !(sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|&b| b == b'-')) {
            return false;
        }
        rest = rest.get(sep_len..).unwrap_or(&[]);
    }
}

/// A registry `host[:port]`: domain labels or a bracketed IPv6 address, optional digits port.
fn is_domain(d: &[u8]) -> bool {
    let (host_ok, after) = if let Some(inner) = d.strip_prefix(b"[") {
        match inner.iter().position(|&b| b == b']') {
            Some(close) => {
                let addr = inner.get(..close).unwrap_or(&[]);
                let ok =
                    !addr.is_empty() && addr.iter().all(|&b| b.is_ascii_hexdigit() || b == b':');
                (ok, inner.get(close + 1..).unwrap_or(&[]))
            }
            None => return false,
        }
    } else {
        let colon = d.iter().position(|&b| b == b':').unwrap_or(d.len());
        let host = d.get(..colon).unwrap_or(&[]);
        let label = |l: &[u8]| {
            !l.is_empty()
                && l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
        };
        (
            !host.is_empty() && host.split(|&b| b == b'.').all(label),
            d.get(colon..).unwrap_or(&[]),
        )
    };
    host_ok
        && (after.is_empty()
            || after
                .strip_prefix(b":")
                .is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit)))
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_tag(t: &[u8]) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    (1..=128).contains(&t.len())
        && t.first().is_some_and(word)
        && t.iter().all(|b| word(b) || *b == b'.' || *b == b'-')
}

/// `algorithm:hex` with an algorithm moby accepts (go-digest's `sha256`, `sha384`, `sha512`)
/// and exactly its number of lowercase hex digits; any other algorithm is rejected, as moby does.
fn is_digest(d: &[u8]) -> bool {
    let Some(colon) = d.iter().position(|&b| b == b':') else {
        return false;
    };
    let hex = d.get(colon + 1..).unwrap_or(&[]);
    match d.get(..colon).unwrap_or(&[]) {
        b"sha256" => is_lower_hex_of_len(hex, 64),
        b"sha384" => is_lower_hex_of_len(hex, 96),
        b"sha512" => is_lower_hex_of_len(hex, 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn image_grammar() {
        let hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let digest =
            "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let sha_id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for ok in [
            "busybox",
            "busybox:latest",
            "localhost:5000/a/b:tag",
            "docksock-test/bb:1",
            "library/ubuntu:22.04",
            "a__b",
            "a--b",
            "a.b_c",
            "Registry.Example.com/x",
            "[::1]:5000/x:y",
            "localhost:5000",
            "a:A..",
            "a/b:x..y",
            "quay.io/org/app:v1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            hex64,
            digest,
            sha_id,
        ] {
            assert!(is_image_reference(ok.as_bytes()), "{ok}");
        }
        let long_name = "a".repeat(256);
        let long_tag = alloc_string("a:", &"t".repeat(129));
        for bad in [
            "",
            "UPPER",
            "a//b",
            "a:",
            "-a",
            "a-",
            "a b",
            "a..b",
            "..",
            "a/../b",
            "a/..:tag",
            "./a",
            "a___b",
            "a._b",
            "/a",
            "a/",
            ":tag",
            "a@",
            "a@sha256:abc",
            "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "a:-tag",
            "a\n",
            "a\0b",
            "héllo",
            "a/B",
            "-x.com/a",
            "x.com:/a",
            "[zz]/a",
            long_name.as_str(),
            long_tag.as_str(),
        ] {
            assert!(!is_image_reference(bad.as_bytes()), "{bad:?}");
        }
    }

    fn alloc_string(a: &str, b: &str) -> std::string::String {
        let mut s = std::string::String::from(a);
        s.push_str(b);
        s
    }

    #[test]
    fn format_radix() {
        let mut buf = [0u8; 20];
        assert_eq!(format_u64(0, 10, &mut buf), b"0");
        assert_eq!(format_u64(u64::MAX, 10, &mut buf), b"18446744073709551615");
        assert_eq!(format_u64(u64::MAX, 16, &mut buf), b"ffffffffffffffff");
        assert_eq!(format_u64(0x12c, 16, &mut buf), b"12c");
    }

    #[test]
    fn chunk_prefix_max() {
        let f = ChunkFrame::chunk(usize::MAX);
        assert_eq!(f.prefix().len(), 2 * core::mem::size_of::<usize>() + 2);
        assert!(f.prefix().ends_with(b"\r\n"));
    }

    #[test]
    fn template_walk() {
        let mut pieces = std::vec::Vec::new();
        walk_template("/a/{id}/b{x}c", |p| {
            pieces.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            pieces,
            [
                Piece::Literal("/a/"),
                Piece::Placeholder("id"),
                Piece::Literal("/b"),
                Piece::Placeholder("x"),
                Piece::Literal("c"),
            ]
        );
        for bad in [
            "", "a", "/a//b", "/a/", "/./a", "/a/..", "/{", "/{}", "/{a", "/a}", "/{a{b}}", "/a?b",
            "/a#b", "/a%20", "/a b", "/é", "/a\r\n",
        ] {
            assert!(walk_template(bad, |_| Ok(())).is_err(), "{bad:?}");
        }
        for ok in [
            "/",
            "/_ping",
            "/a/.../b",
            "/a.b/{x}.",
            "/{a}/..{b}",
            "/a:b@c!$&'()*+,;=~",
        ] {
            assert!(walk_template(ok, |_| Ok(())).is_ok(), "{ok:?}");
        }
    }
}
