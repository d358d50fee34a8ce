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
//!   `Content-Length`, `Transfer-Encoding`, `Connection`, `Upgrade`, `Expect`,
//!   `Sec-WebSocket-Key` and `Sec-WebSocket-Version` come from the request's fields, never from
//!   `headers` ([`MisuseError::ReservedHeader`]). At most one
//!   `Host` ([`MisuseError::DuplicateHost`]); it replaces the default
//!   `Host: api.moby.localhost` ([`DEFAULT_HOST`]).
//! * A [`base_path`](RequestSpec::base_path) (`/base`, from `tcp://host:port/base`) follows
//!   the template's rules without placeholders and has no trailing `/`
//!   ([`MisuseError::InvalidPathTemplate`]); it is written before `/vX.Y`. A
//!   [`host`](RequestSpec::host) is a valid header value ([`MisuseError::InvalidHeaderValue`]).
//! * `Expect: 100-continue` needs a body ([`MisuseError::BodyNotExpected`]).
//! * `Upgrade: tcp` and a WebSocket handshake exclude each other
//!   ([`MisuseError::ConflictingUpgrade`]).
//! * The whole head is at most [`MAX_HEAD_BYTES`] ([`MisuseError::HeadTooLarge`]).
//!
//! The head is written in this order: the request line, `Host`, the caller's headers in their
//! order, `Connection: Upgrade` and `Upgrade: tcp` for an upgrade (for a WebSocket handshake
//! `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and
//! `Sec-WebSocket-Key`), the framing header
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

mod body;
mod image;
mod template;
mod write;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::chars::is_token;
use crate::num::format_u64;
use crate::version::ApiVersion;
use crate::{Error, MisuseError};

pub use body::{BodyEncoder, ChunkFrame};
use image::is_image_reference;
use template::{is_header_value, walk_template, Piece};
#[cfg(feature = "alloc")]
use write::VecSink;
use write::{percent_encode, put_header, Counter, Sink, SliceSink};

/// The `Host` value sent when the caller gives none. Docker's own client sends it over a Unix
/// socket (a `.localhost` name can never resolve to a real host).
pub const DEFAULT_HOST: &str = "api.moby.localhost";

/// The cap on a whole request head (request line, headers and the empty line): 1 MiB, Go's
/// `http.DefaultMaxHeaderBytes`, which dockerd uses. A larger head is
/// [`MisuseError::HeadTooLarge`] and nothing is written.
pub const MAX_HEAD_BYTES: usize = 1 << 20;

/// Header names the encoder writes itself, from the request's fields.
const RESERVED_HEADERS: [&str; 7] = [
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Upgrade",
    "Expect",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
];

/// The terminator of a chunked body: the last (zero-size) chunk and an empty trailer section.
pub(crate) const CHUNKED_END: &[u8] = b"0\r\n\r\n";

pub(crate) const fn misuse(e: MisuseError) -> Error {
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

impl PathParam<'_> {
    /// The rule this value breaks, in words a person can act on, or `None` for a valid value
    /// (the same check [`RequestSpec`] makes before encoding).
    ///
    /// ```
    /// use docksock_proto::encode::PathParam;
    ///
    /// assert_eq!(PathParam::Image("Busybox").problem(), Some("repository name must be lowercase"));
    /// assert_eq!(PathParam::Image("busybox:latest").problem(), None);
    /// assert!(PathParam::Plain("a/b").problem().is_some());
    /// ```
    pub fn problem(&self) -> Option<&'static str> {
        match *self {
            PathParam::Plain(v) => {
                if v.is_empty() {
                    Some("must not be empty")
                } else if matches!(v, "." | "..") {
                    Some("must not be `.` or `..`")
                } else if v.contains('/') {
                    Some("must not contain `/`")
                } else {
                    None
                }
            }
            PathParam::Image(v) => image::reference_problem(v.as_bytes()),
        }
    }
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
    /// A WebSocket opening handshake (RFC 6455 §4.1) with these 16 random bytes as its key:
    /// adds `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and
    /// `Sec-WebSocket-Key` (their base64). The caller draws the bytes at random for each
    /// request; [`websocket::check_response`](crate::websocket::check_response) checks the
    /// answer against them.
    pub websocket: Option<[u8; 16]>,
    /// A path written before the version prefix and the path (`tcp://host:port/base` in
    /// `DOCKER_HOST`): empty, or `/`-rooted with the rules of a template without placeholders
    /// and without a trailing `/` ([`MisuseError::InvalidPathTemplate`]).
    pub base_path: &'a str,
    /// The `Host` value when `headers` has none (`None`: [`DEFAULT_HOST`]); a valid header
    /// value ([`MisuseError::InvalidHeaderValue`]).
    pub host: Option<&'a str>,
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
            websocket: None,
            base_path: "",
            host: None,
        }
    }

    /// Sets the base path written before the version prefix (see [`base_path`](Self::base_path)).
    #[must_use]
    pub const fn base_path(self, base_path: &'a str) -> Self {
        RequestSpec { base_path, ..self }
    }

    /// Sets the `Host` value used when `headers` has none (`None`: [`DEFAULT_HOST`]).
    #[must_use]
    pub const fn host(self, host: Option<&'a str>) -> Self {
        RequestSpec { host, ..self }
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

    /// Makes the request a WebSocket opening handshake with `key` (16 random bytes), or with
    /// `None` an ordinary request. See the [`websocket`](Self::websocket) field.
    ///
    /// ```
    /// use docksock_proto::encode::RequestSpec;
    ///
    /// let key: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
    /// let spec = RequestSpec::new("GET", "/containers/web/attach/ws").websocket(Some(key));
    /// let mut buf = [0u8; 256];
    /// let n = spec.encode(&mut buf)?;
    /// assert_eq!(
    ///     &buf[..n],
    ///     &b"GET /containers/web/attach/ws HTTP/1.1\r\nHost: api.moby.localhost\r\n\
    ///        Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
    ///        Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\r\n"[..]
    /// );
    /// # Ok::<(), docksock_proto::Error>(())
    /// ```
    #[must_use]
    pub const fn websocket(self, key: Option<[u8; 16]>) -> Self {
        RequestSpec {
            websocket: key,
            ..self
        }
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

        if !self.base_path.is_empty() {
            walk_template(self.base_path, |piece| match piece {
                Piece::Literal(_) => Ok(()),
                Piece::Placeholder(_) => Err(misuse(MisuseError::InvalidPathTemplate)),
            })?;
            if self.base_path.ends_with('/') {
                return Err(misuse(MisuseError::InvalidPathTemplate));
            }
        }
        if let Some(host) = self.host {
            if host.is_empty() || !is_header_value(host.as_bytes()) {
                return Err(misuse(MisuseError::InvalidHeaderValue));
            }
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
        if self.upgrade && self.websocket.is_some() {
            return Err(misuse(MisuseError::ConflictingUpgrade));
        }
        Ok(())
    }

    /// Writes the head to `sink`. Called only after [`validate`](Self::validate); the same code
    /// counts the size and writes the bytes, so the two always agree.
    fn write_head<S: Sink>(&self, sink: &mut S) -> Result<(), Error> {
        // Request line.
        sink.put(self.method.as_bytes());
        sink.put(b" ");
        sink.put(self.base_path.as_bytes());
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
            .map_or(self.host.unwrap_or(DEFAULT_HOST), |(_, v)| *v);
        put_header(sink, "Host", host);
        for (name, value) in self.headers {
            if !name.eq_ignore_ascii_case("Host") {
                put_header(sink, name, value);
            }
        }

        if self.upgrade {
            sink.put(b"Connection: Upgrade\r\nUpgrade: tcp\r\n");
        }
        if let Some(key) = &self.websocket {
            sink.put(b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: ");
            sink.put(crate::websocket::VERSION.as_bytes());
            sink.put(b"\r\nSec-WebSocket-Key: ");
            sink.put(&crate::websocket::encode_key(key));
            sink.put(b"\r\n");
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

/// True for the methods that get `Content-Length: 0` without a body (case-sensitive, as methods
/// are).
fn sends_empty_length(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}
