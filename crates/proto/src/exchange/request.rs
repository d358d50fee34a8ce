//! What the exchange needs to know about a request: [`Request`], [`RequestBody`], [`BodyMode`],
//! [`RequestId`], and the connection settings [`Config`].

use core::fmt;

use crate::encode::{BodyEncoder, BodyFraming, RequestSpec};
use crate::stdcopy::Mode;
use crate::timeout::{Timeout, Timeouts};
use crate::Limits;

/// Most requests an [`Exchange`](super::Exchange) holds at once (sent and not yet answered).
pub const CAPACITY: usize = 16;

/// Identifies one request on a connection. The adapter chooses it (a counter of its own, unique
/// at least among the requests outstanding on one connection) and every event about the request
/// carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The id with this number.
    pub const fn new(n: u64) -> RequestId {
        RequestId(n)
    }

    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What the request sends after its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestBody {
    /// No body: the request is complete once its head is queued.
    None,
    /// A body of this many bytes, queued with the head: the request is complete at once.
    Fixed(u64),
    /// A body streamed after the head through the encoder of
    /// [`Exchange::body_encoder`](super::Exchange::body_encoder): the request is complete once
    /// that encoder is finished. A request with a streamed body is exclusive.
    Streamed(BodyEncoder),
}

/// How the body of a successful response (2xx), or an upgraded stream, is delivered.
///
/// Any other status is delivered as [`Event::Data`](super::Event::Data) whatever the mode:
/// dockerd sends `{"message":"..."}` or plain text there, never frames. The mode is **never
/// guessed from the bytes**: the caller knows it from the endpoint and, for logs, attach and
/// exec, from the container's or exec's `Tty` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyMode {
    /// Body bytes as [`Event::Data`](super::Event::Data); an upgraded stream as
    /// [`Event::Raw`](super::Event::Raw).
    #[default]
    Bytes,
    /// Whole JSON messages ([`Event::Message`](super::Event::Message) and
    /// [`Event::MessagePart`](super::Event::MessagePart)), split by the core's
    /// [`JsonSplitter`](crate::json::JsonSplitter).
    Json,
    /// Docker's stdout/stderr stream ([`Event::Frame`](super::Event::Frame) and
    /// [`Event::SystemError`](super::Event::SystemError)), demultiplexed by the core's
    /// [`Demuxer`](crate::stdcopy::Demuxer) in this mode.
    Stdcopy(Mode),
}

/// One request as the exchange sees it: not its bytes (the adapter encodes and writes them) but
/// everything that decides how its response is read and what may follow it on the connection.
///
/// ```
/// use core::time::Duration;
/// use docksock_proto::encode::{BodyFraming, RequestSpec};
/// use docksock_proto::exchange::{BodyMode, Request, RequestBody};
/// use docksock_proto::stdcopy::Mode;
/// use docksock_proto::timeout::Timeout;
///
/// // Follow logs: frames, no idle deadline.
/// let logs = Request::new("GET")
///     .mode(BodyMode::Stdcopy(Mode::Multiplexed))
///     .idle_timeout(Timeout::Off);
/// assert!(!logs.is_exclusive());
///
/// // From an encoder's spec: a chunked upload is a streamed body, hence exclusive.
/// let spec = RequestSpec::new("POST", "/build").body(BodyFraming::Chunked);
/// let build = Request::from_spec(&spec).mode(BodyMode::Json);
/// assert!(matches!(build.body(), RequestBody::Streamed(_)));
/// assert!(build.is_exclusive());
/// # let _ = Duration::ZERO;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub(crate) head: bool,
    pub(crate) connect: bool,
    pub(crate) upgrade: bool,
    /// The key of a WebSocket handshake.
    pub(crate) websocket: Option<[u8; 16]>,
    pub(crate) body: RequestBody,
    pub(crate) mode: BodyMode,
    pub(crate) head_timeout: Timeout,
    pub(crate) idle_timeout: Timeout,
    pub(crate) exclusive: bool,
    pub(crate) replayable: bool,
}

impl Request {
    /// A request with this method (only `HEAD` and `CONNECT` change the rules), no body,
    /// [`BodyMode::Bytes`], the connection's default deadlines, not exclusive, replayable.
    pub fn new(method: &str) -> Request {
        Request {
            head: method == "HEAD",
            connect: method == "CONNECT",
            upgrade: false,
            websocket: None,
            body: RequestBody::None,
            mode: BodyMode::Bytes,
            head_timeout: Timeout::Default,
            idle_timeout: Timeout::Default,
            exclusive: false,
            replayable: true,
        }
    }

    /// The request a [`RequestSpec`] encodes: its method, its upgrade flag or WebSocket key,
    /// and its body
    /// framing (`Length(n)` → [`RequestBody::Fixed`], queued with the head; `Chunked` →
    /// [`RequestBody::Streamed`]). For a `Length` body streamed after the head, set
    /// [`with_body`](Self::with_body) to `Streamed(spec.body_encoder())` instead.
    pub fn from_spec(spec: &RequestSpec<'_>) -> Request {
        let body = match spec.body {
            BodyFraming::None => RequestBody::None,
            BodyFraming::Length(n) => RequestBody::Fixed(n),
            BodyFraming::Chunked => RequestBody::Streamed(spec.body_encoder()),
        };
        Request {
            upgrade: spec.upgrade,
            websocket: spec.websocket,
            body,
            ..Request::new(spec.method)
        }
    }

    /// What the request sends after its head.
    #[must_use]
    pub const fn with_body(self, body: RequestBody) -> Request {
        Request { body, ..self }
    }

    /// The request asks to upgrade the connection (`Upgrade: tcp`, attach and exec start).
    /// Its answer may be `101`, or a `2xx` with a close-delimited body (dockerd's other hijack
    /// form): either way, every byte after the head is the raw stream. Exclusive.
    #[must_use]
    pub const fn upgrade(self, upgrade: bool) -> Request {
        Request { upgrade, ..self }
    }

    /// The request is a WebSocket opening handshake sent with `key` (see
    /// [`RequestSpec::websocket`]): only a `101` upgrades it, and that `101` must pass
    /// [`websocket::check_response`](crate::websocket::check_response) or the connection
    /// fails with its [`PeerError`](crate::PeerError). The frames that follow are the raw
    /// stream ([`Event::Raw`](super::Event::Raw) in [`BodyMode::Bytes`]), for a
    /// [`FrameDecoder`](crate::websocket::FrameDecoder). Exclusive.
    #[must_use]
    pub const fn websocket(self, key: Option<[u8; 16]>) -> Request {
        Request {
            websocket: key,
            ..self
        }
    }

    /// How the body of a successful response (or an upgraded stream) is delivered.
    #[must_use]
    pub const fn mode(self, mode: BodyMode) -> Request {
        Request { mode, ..self }
    }

    /// The head deadline of this request (default: the connection's).
    #[must_use]
    pub const fn head_timeout(self, timeout: Timeout) -> Request {
        Request {
            head_timeout: timeout,
            ..self
        }
    }

    /// The idle deadline of this request's body or upgraded stream (default: the
    /// connection's; [`Timeout::Off`] for event streams, follows, waits and attach).
    #[must_use]
    pub const fn idle_timeout(self, timeout: Timeout) -> Request {
        Request {
            idle_timeout: timeout,
            ..self
        }
    }

    /// Nothing is pipelined behind this request until its response ends (a hijacking
    /// endpoint sent without `Upgrade`). Upgrades, `CONNECT` and streamed bodies are exclusive
    /// anyway.
    #[must_use]
    pub const fn exclusive(self, exclusive: bool) -> Request {
        Request { exclusive, ..self }
    }

    /// Whether the body can be sent again on a fresh connection (default true; false for a
    /// body read from a one-shot source once bytes were taken from it, see
    /// [`Exchange::set_replayable`](super::Exchange::set_replayable)).
    #[must_use]
    pub const fn replayable(self, replayable: bool) -> Request {
        Request { replayable, ..self }
    }

    /// The body description.
    pub const fn body(&self) -> RequestBody {
        self.body
    }

    /// The response body mode.
    pub const fn body_mode(&self) -> BodyMode {
        self.mode
    }

    /// True for a `HEAD` request (its response never has a body).
    pub const fn is_head(&self) -> bool {
        self.head
    }

    /// True for a `CONNECT` request (a 2xx answer makes the connection a tunnel).
    pub const fn is_connect(&self) -> bool {
        self.connect
    }

    /// True when the request asks to upgrade the connection (`Upgrade: tcp` or a WebSocket
    /// handshake).
    pub const fn is_upgrade(&self) -> bool {
        self.upgrade || self.websocket.is_some()
    }

    /// True for a WebSocket opening handshake.
    pub const fn is_websocket(&self) -> bool {
        self.websocket.is_some()
    }

    /// Whether nothing may be pipelined behind this request: marked exclusive, an upgrade (a
    /// WebSocket handshake too), a `CONNECT`, or a streamed body.
    pub const fn is_exclusive(&self) -> bool {
        self.exclusive
            || self.upgrade
            || self.websocket.is_some()
            || self.connect
            || matches!(self.body, RequestBody::Streamed(_))
    }
}

/// The settings of one connection's exchange.
///
/// ```
/// use docksock_proto::exchange::Config;
///
/// let mut config = Config::DEFAULT;
/// config.pipeline = 1; // no pipelining
/// assert_eq!(config.timeouts.connect, Some(core::time::Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Most requests outstanding at once (pipelining depth): 1 to [`CAPACITY`], default 8.
    /// Values outside are clamped.
    pub pipeline: usize,
    /// The connection's deadlines, [`Timeouts::DEFAULT`] by default. Requests override the
    /// head and idle ones.
    pub timeouts: Timeouts,
    /// The response decoder's limits.
    pub limits: Limits,
    /// The largest JSON message accepted in [`BodyMode::Json`] (default 1 MiB).
    pub max_json_message: usize,
}

impl Config {
    /// The defaults listed on each field.
    pub const DEFAULT: Config = Config {
        pipeline: 8,
        timeouts: Timeouts::DEFAULT,
        limits: Limits::DEFAULT,
        max_json_message: crate::json::DEFAULT_MAX_MESSAGE,
    };

    /// The pipelining depth in force (clamped to `1..=CAPACITY`).
    pub const fn depth(&self) -> usize {
        if self.pipeline == 0 {
            1
        } else if self.pipeline > CAPACITY {
            CAPACITY
        } else {
            self.pipeline
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}
