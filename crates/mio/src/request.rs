//! What to send: a [`Request`] wraps the core's [`RequestSpec`] with the body source, how the
//! response body is delivered ([`BodyMode`]) and per-request deadlines; [`Config`] holds the
//! per-connection settings.

use std::time::Duration;

use docksock_proto::encode::RequestSpec;
use docksock_proto::stdcopy::Mode;
use docksock_proto::Limits;

/// How the body of a successful (2xx, or the raw stream after a 101) response is delivered.
///
/// Error responses (any other status) are always delivered as [`Output::Data`], whatever the
/// mode: dockerd sends `{"message":"..."}` or plain text there, never frames.
///
/// Which mode a response needs is **never guessed from the bytes**: the caller knows it from the
/// endpoint and, for logs, attach and exec, from the container's or exec's `Tty` flag.
///
/// [`Output::Data`]: crate::Output::Data
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyMode {
    /// Raw body bytes as [`Output::Data`](crate::Output::Data) pieces (default).
    #[default]
    Bytes,
    /// A stream of JSON messages (events, stats, wait, build and pull progress), split by the
    /// core's [`JsonSplitter`](docksock_proto::json::JsonSplitter): each whole message is one
    /// [`Output::Json`](crate::Output::Json), however the HTTP chunks cut it.
    Json,
    /// Docker's stdout/stderr stream (logs, attach, exec): [`Output::Frame`](crate::Output::Frame)
    /// pieces demultiplexed by the core's [`Demuxer`](docksock_proto::stdcopy::Demuxer).
    /// [`Mode::Multiplexed`] without a TTY, [`Mode::Raw`] with one (everything is stdout).
    Stdcopy(Mode),
}

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
/// use docksock_mio::{BodyMode, Request};
/// use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
/// use docksock_proto::stdcopy::Mode;
/// use std::time::Duration;
///
/// // Follow a container's logs: multiplexed frames, no idle deadline (it may be silent).
/// let params = [("id", PathParam::Plain("web"))];
/// let query = [("follow", "1"), ("stdout", "1"), ("stderr", "1")];
/// let logs = Request::new(
///     RequestSpec::new("GET", "/containers/{id}/logs").params(&params).query(&query),
/// )
/// .mode(BodyMode::Stdcopy(Mode::Multiplexed))
/// .idle_timeout(None);
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
/// .head_timeout(Some(Duration::from_secs(300)));
/// # let _ = (logs, import);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub(crate) spec: RequestSpec<'a>,
    pub(crate) body: BodySource<'a>,
    pub(crate) mode: BodyMode,
    pub(crate) head_timeout: Option<Option<Duration>>,
    pub(crate) idle_timeout: Option<Option<Duration>>,
    pub(crate) exclusive: bool,
}

impl<'a> Request<'a> {
    /// A request as `spec` describes it, with [`BodyMode::Bytes`] and the connection's default
    /// deadlines. A spec with [`upgrade`](RequestSpec::upgrade) set is exclusive.
    pub const fn new(spec: RequestSpec<'a>) -> Self {
        Request {
            spec,
            body: BodySource::Spec,
            mode: BodyMode::Bytes,
            head_timeout: None,
            idle_timeout: None,
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

    /// Overrides [`Config::head_timeout`] for this request (`None`: wait for the head forever).
    #[must_use]
    pub const fn head_timeout(self, timeout: Option<Duration>) -> Self {
        Request {
            head_timeout: Some(timeout),
            ..self
        }
    }

    /// Overrides [`Config::idle_timeout`] for this request's response body or upgraded stream
    /// (`None`: no idle deadline — for event streams, `logs?follow=1`, `wait` and attach).
    #[must_use]
    pub const fn idle_timeout(self, timeout: Option<Duration>) -> Self {
        Request {
            idle_timeout: Some(timeout),
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

    /// Whether nothing may be pipelined behind this request.
    pub const fn is_exclusive(&self) -> bool {
        self.exclusive || self.spec.upgrade || matches!(self.body, BodySource::Streamed)
    }

    /// The core spec.
    pub const fn spec(&self) -> &RequestSpec<'a> {
        &self.spec
    }
}

/// Per-connection settings.
///
/// The deadlines (`None` switches one off):
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
    /// switches pipelining off).
    pub max_in_flight: usize,
    /// Default 10 s.
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
        connect_timeout: Some(Duration::from_secs(10)),
        head_timeout: Some(Duration::from_secs(60)),
        idle_timeout: Some(Duration::from_secs(60)),
        write_timeout: Some(Duration::from_secs(60)),
        limits: Limits::DEFAULT,
        max_json_message: docksock_proto::json::DEFAULT_MAX_MESSAGE,
    };

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
