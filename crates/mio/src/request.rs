//! What to send: a [`Request`] wraps the core's [`RequestSpec`] with the body source, how the
//! response body is delivered ([`BodyMode`]) and per-request deadlines; [`Config`] holds the
//! per-connection settings.

use std::time::Duration;

use docksock_api::{Call, CallBody, ResponseKind};
use docksock_proto::encode::RequestSpec;
use docksock_proto::exchange::{self, RequestBody};
use docksock_proto::stdcopy::Mode;
use docksock_proto::timeout::{Timeout, Timeouts};
use docksock_proto::version::ApiVersion;
use docksock_proto::Limits;

pub use docksock_proto::exchange::BodyMode;

/// Where the request body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodySource<'a> {
    /// As the spec's framing says (normally no body).
    Spec,
    /// These bytes, sent with `Content-Length` (copied into the write queue).
    Full(&'a [u8]),
    /// Written later with [`Connection::write_body`](crate::Connection::write_body).
    Streamed,
}

/// One request to send on a [`Connection`](crate::Connection): the core's [`RequestSpec`] plus
/// what this adapter needs to know. Borrowed only for the [`send`](crate::Connection::send) call:
/// the head is encoded into the connection's write queue at once.
///
/// ```
/// use docksock_mio::proto::encode::{BodyFraming, PathParam, RequestSpec};
/// use docksock_mio::proto::stdcopy::Mode;
/// use docksock_mio::proto::timeout::Timeout;
/// use docksock_mio::{BodyMode, Request};
/// use std::time::Duration;
///
/// // Follow a container's logs: multiplexed frames, no idle deadline (it may be silent).
/// let params = [("id", PathParam::Plain("web"))];
/// let query = [("follow", "1"), ("stdout", "1"), ("stderr", "1")];
/// let logs = Request::new(
///     RequestSpec::new("GET", "/containers/{id}/logs").params(&params).query(&query),
/// )
/// .mode(BodyMode::Stdcopy(Mode::Multiplexed))
/// .idle_timeout(Timeout::Off);
///
/// // Import an image from a tar streamed in pieces.
/// let import = Request::new(
///     RequestSpec::new("POST", "/images/create")
///         .query(&[("fromSrc", "-"), ("repo", "x/y")])
///         .headers(&[("Content-Type", "application/x-tar")])
///         .body(BodyFraming::Chunked),
/// )
/// .streamed_body()
/// .mode(BodyMode::Json)
/// .head_timeout(Timeout::After(Duration::from_secs(300)));
/// # let _ = (logs, import);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub(crate) spec: RequestSpec<'a>,
    pub(crate) body: BodySource<'a>,
    pub(crate) mode: BodyMode,
    pub(crate) head_timeout: Timeout,
    pub(crate) idle_timeout: Timeout,
    pub(crate) exclusive: bool,
}

impl Request<'_> {
    /// Runs `f` with the request of an operation's [`Call`] (see `docksock_api`): the path
    /// prefixed with `/v{version}`, the call's body (bytes are sent with `Content-Length`; a
    /// streamed body is written later with [`Connection::write_body`]), the body mode its
    /// response needs (JSON messages for streams, stdcopy frames for logs and hijacked
    /// streams — multiplexed unless the call knows the container has a TTY), its timeouts, and
    /// exclusivity for hijacks.
    ///
    /// ```
    /// use docksock_mio::proto::version::ApiVersion;
    /// use docksock_mio::{BodyMode, Request};
    /// use docksock_api::{containers, LogsOptions};
    ///
    /// let opts = LogsOptions { follow: true, ..Default::default() };
    /// let call = containers::logs("web", &opts);
    /// Request::with_call(&call, Some(ApiVersion::new(1, 41)), |request| {
    ///     assert_eq!(request.spec().path, "/containers/{id}/logs");
    ///     assert!(matches!(request.body_mode(), BodyMode::Stdcopy(_)));
    ///     // driver.send(conn, &request) here
    /// });
    /// ```
    ///
    /// [`Connection::write_body`]: crate::Connection::write_body
    pub fn with_call<R>(
        call: &Call<'_>,
        version: Option<ApiVersion>,
        f: impl FnOnce(Request<'_>) -> R,
    ) -> R {
        let stdcopy = BodyMode::Stdcopy(call.stream_mode().unwrap_or(Mode::Multiplexed));
        let mode = match call.operation().response {
            ResponseKind::JsonStream => BodyMode::Json,
            ResponseKind::Stdcopy | ResponseKind::Hijack => stdcopy,
            _ => BodyMode::Bytes,
        };
        let exclusive = call.is_upgrade();
        call.with_spec(version, |spec| {
            let request = Request::new(spec);
            let request = match call.body_ref() {
                CallBody::Bytes { data, .. } => request.body(&data[..]),
                CallBody::Stream { .. } => request.streamed_body(),
                _ => request,
            };
            let request = Request {
                exclusive: request.exclusive || exclusive,
                ..request
            }
            .mode(mode)
            .head_timeout(call.head_timeout_setting())
            .idle_timeout(call.idle_timeout_setting());
            f(request)
        })
    }
}

impl<'a> Request<'a> {
    /// A request as `spec` describes it, with [`BodyMode::Bytes`] and the connection's default
    /// deadlines. A spec with [`upgrade`](RequestSpec::upgrade) set is exclusive.
    pub const fn new(spec: RequestSpec<'a>) -> Self {
        Request {
            spec,
            body: BodySource::Spec,
            mode: BodyMode::Bytes,
            head_timeout: Timeout::Default,
            idle_timeout: Timeout::Default,
            exclusive: false,
        }
    }

    /// Sends `body` with `Content-Length` (the spec's framing is replaced). The bytes are
    /// copied into the write queue; for large bodies prefer [`streamed_body`](Self::streamed_body).
    #[must_use]
    pub const fn body(self, body: &'a [u8]) -> Self {
        Request {
            body: BodySource::Full(body),
            ..self
        }
    }

    /// The body is streamed later with [`Connection::write_body`] and ended with
    /// [`Connection::finish_body`]; the spec's framing must be `Chunked` or `Length(n)`. A
    /// request with a streamed body is exclusive: nothing is pipelined behind it.
    ///
    /// [`Connection::write_body`]: crate::Connection::write_body
    /// [`Connection::finish_body`]: crate::Connection::finish_body
    #[must_use]
    pub const fn streamed_body(self) -> Self {
        Request {
            body: BodySource::Streamed,
            ..self
        }
    }

    /// How the body of a successful response is delivered.
    #[must_use]
    pub const fn mode(self, mode: BodyMode) -> Self {
        Request { mode, ..self }
    }

    /// Overrides [`Config::head_timeout`] for this request ([`Timeout::Off`]: wait for the
    /// head forever).
    #[must_use]
    pub const fn head_timeout(self, timeout: Timeout) -> Self {
        Request {
            head_timeout: timeout,
            ..self
        }
    }

    /// Overrides [`Config::idle_timeout`] for this request's response body or upgraded stream
    /// ([`Timeout::Off`]: no idle deadline — for event streams, `logs?follow=1`, `wait` and
    /// attach).
    #[must_use]
    pub const fn idle_timeout(self, timeout: Timeout) -> Self {
        Request {
            idle_timeout: timeout,
            ..self
        }
    }

    /// Marks the request exclusive: no other request is pipelined behind it until its response
    /// ends. Use it for a hijacking endpoint sent without `Upgrade` (attach or exec start
    /// answering `200` with a close-delimited stream). Upgrades and streamed bodies are
    /// exclusive anyway.
    #[must_use]
    pub const fn exclusive(self) -> Self {
        Request {
            exclusive: true,
            ..self
        }
    }

    /// Whether nothing may be pipelined behind this request (the exchange's rule: marked
    /// exclusive, an upgrade, `CONNECT`, or a streamed body).
    pub fn is_exclusive(&self) -> bool {
        self.exchange().is_exclusive()
    }

    /// What the core's exchange needs to know about this request.
    pub fn exchange(&self) -> exchange::Request {
        let body = match self.body {
            // Everything the request sends is queued with its head.
            BodySource::Spec => RequestBody::None,
            BodySource::Full(body) => RequestBody::Fixed(body.len() as u64),
            BodySource::Streamed => RequestBody::Streamed(self.spec.body_encoder()),
        };
        exchange::Request::new(self.spec.method)
            .with_body(body)
            .upgrade(self.spec.upgrade)
            .websocket(self.spec.websocket)
            .mode(self.mode)
            .head_timeout(self.head_timeout)
            .idle_timeout(self.idle_timeout)
            .exclusive(self.exclusive)
    }

    /// How the body of a successful response is delivered.
    pub const fn body_mode(&self) -> BodyMode {
        self.mode
    }

    /// The core's description of the request.
    pub const fn spec(&self) -> &RequestSpec<'a> {
        &self.spec
    }
}

/// Per-connection settings.
///
/// The deadlines (`None` switches one off; the defaults are the core's [`Timeouts::DEFAULT`],
/// the same in every adapter):
/// * `connect_timeout` — from the creation of the connection until the first byte of a queued
///   request is written. Connecting a Unix socket completes (or fails) inside
///   [`Connection::connect`](crate::Connection::connect) on Linux; this catches a peer whose
///   socket never becomes writable.
/// * `head_timeout` — from the moment a request is completely written (or, when pipelined, the
///   previous response ended, whichever is later) until its response head is complete.
/// * `idle_timeout` — the longest silence between two reads while a response body or an
///   upgraded stream is open. It is suspended while the consumer holds the buffer full
///   (back-pressure is not the peer's fault).
/// * `write_timeout` — the longest time queued request bytes (head, body, stdin) may make no
///   progress: the peer stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Capacity of the read buffer in bytes (default 64 KiB). Fixed: when it is full of bytes the
    /// consumer has not taken yet, reading pauses. Raised to fit the decoder's limits if smaller.
    pub read_buffer: usize,
    /// How many bytes of streamed body or stdin may wait in the write queue (default 256 KiB);
    /// [`write_body`](crate::Connection::write_body) and
    /// [`write_stdin`](crate::Connection::write_stdin) accept no more than that.
    pub write_buffer: usize,
    /// Most requests outstanding at once on the connection (pipelining depth, default 8; `1`
    /// switches pipelining off; at most [`CAPACITY`](docksock_proto::exchange::CAPACITY)).
    pub max_in_flight: usize,
    /// Default 5 s.
    pub connect_timeout: Option<Duration>,
    /// Default 60 s.
    pub head_timeout: Option<Duration>,
    /// Default 60 s.
    pub idle_timeout: Option<Duration>,
    /// Default 60 s.
    pub write_timeout: Option<Duration>,
    /// The core decoder's limits on what the peer controls.
    pub limits: Limits,
    /// The largest JSON message accepted in [`BodyMode::Json`] (default 1 MiB); a message split
    /// across reads is assembled in a buffer that grows up to this size.
    pub max_json_message: usize,
}

impl Config {
    /// The defaults listed on each field.
    pub const DEFAULT: Config = Config {
        read_buffer: 64 * 1024,
        write_buffer: 256 * 1024,
        max_in_flight: 8,
        connect_timeout: Timeouts::DEFAULT.connect,
        head_timeout: Timeouts::DEFAULT.head,
        idle_timeout: Timeouts::DEFAULT.idle,
        write_timeout: Timeouts::DEFAULT.write,
        limits: Limits::DEFAULT,
        max_json_message: docksock_proto::json::DEFAULT_MAX_MESSAGE,
    };

    /// The deadlines as the core's [`Timeouts`].
    pub fn timeouts(&self) -> Timeouts {
        let mut t = Timeouts::DEFAULT;
        t.connect = self.connect_timeout;
        t.head = self.head_timeout;
        t.idle = self.idle_timeout;
        t.write = self.write_timeout;
        t
    }

    /// The settings of the core's exchange.
    pub(crate) fn exchange(&self) -> exchange::Config {
        let mut c = exchange::Config::DEFAULT;
        c.pipeline = self.max_in_flight;
        c.timeouts = self.timeouts();
        c.limits = self.limits;
        c.max_json_message = self.max_json_message;
        c
    }

    /// The smallest read buffer that can hold everything the decoder may need to see whole
    /// (a head, a trailer section, chunk extensions) plus room to read into.
    pub(crate) fn effective_read_buffer(&self) -> usize {
        let l = &self.limits;
        let need = l
            .max_head_bytes
            .max(l.max_trailer_bytes)
            .max(l.max_chunk_ext_bytes)
            .saturating_add(4096);
        self.read_buffer.max(need)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use docksock_proto::encode::BodyFraming;
    use docksock_proto::stdcopy::Mode;

    use super::*;

    #[test]
    fn requests_tell_the_exchange_what_it_needs() {
        let spec = RequestSpec::new("POST", "/build").body(BodyFraming::Chunked);
        let build = Request::new(spec).streamed_body().mode(BodyMode::Json);
        let x = build.exchange();
        assert!(matches!(x.body(), RequestBody::Streamed(_)));
        assert!(x.is_exclusive() && build.is_exclusive());
        assert_eq!(x.body_mode(), BodyMode::Json);

        let logs = Request::new(RequestSpec::new("GET", "/containers/x/logs"))
            .mode(BodyMode::Stdcopy(Mode::Raw))
            .idle_timeout(Timeout::Off)
            .body(b"abc");
        assert_eq!(logs.exchange().body(), RequestBody::Fixed(3));
        assert!(!logs.is_exclusive());
        let attach = Request::new(RequestSpec::new("POST", "/attach").upgrade(true));
        assert!(attach.exchange().is_upgrade() && attach.is_exclusive());
        // A WebSocket handshake: the exchange checks the 101 against the key.
        let ws = Request::new(RequestSpec::new("GET", "/ws").websocket(Some([7; 16])));
        assert!(ws.exchange().is_websocket() && ws.is_exclusive());
        let key = *b"the sample nonce";
        let opts = docksock_api::AttachOptions::default();
        let call = docksock_api::containers::attach_websocket("web", &opts).websocket_key(key);
        Request::with_call(&call, None, |request| {
            assert_eq!(request.spec().websocket, Some(key));
            assert!(request.exchange().is_websocket());
            assert_eq!(request.body_mode(), BodyMode::Bytes);
        });
        assert!(Request::new(RequestSpec::new("GET", "/x"))
            .exclusive()
            .is_exclusive());
    }

    #[test]
    fn config_defaults_are_the_cores() {
        let c = Config::DEFAULT;
        assert_eq!(c.timeouts(), Timeouts::DEFAULT);
        assert_eq!(c.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(c.exchange().depth(), 8);
    }
}
