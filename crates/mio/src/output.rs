//! What a connection reports: [`Output`] events, borrowed from the connection's buffers.

use std::fmt;

use docksock_proto::stdcopy::StreamKind;
use docksock_proto::{BodyKind, Headers, Version};

use crate::Error;

pub use docksock_proto::exchange::RequestId;

/// One event of a connection, from [`Connection::poll_event`](crate::Connection::poll_event).
///
/// Slices borrow the connection's read buffer (zero-copy) or, for a JSON message that arrived in
/// pieces, its assembly buffer: they are valid until the next call on the connection, which the
/// borrow checker enforces. Copy what you keep.
///
/// Per request the events come in this order: [`Head`](Self::Head); then [`Data`](Self::Data),
/// [`Json`](Self::Json), [`Frame`](Self::Frame) or [`SystemError`](Self::SystemError) pieces (an
/// [`Upgraded`](Self::Upgraded) right after the head of a `101`); then exactly one of
/// [`End`](Self::End) or [`Error`](Self::Error). [`WriteReady`](Self::WriteReady) may come at any
/// time. The last event of a connection is always [`Closed`](Self::Closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output<'a> {
    /// The final response head (informational `1xx` responses are skipped).
    Head {
        /// The request answered.
        id: RequestId,
        /// The status line and fields.
        head: ResponseHead<'a>,
    },
    /// A piece of the body (mode [`BodyMode::Bytes`](crate::BodyMode::Bytes), or any error
    /// response). Never empty.
    Data {
        /// The request answered.
        id: RequestId,
        /// The bytes.
        data: &'a [u8],
    },
    /// One whole JSON message (mode [`BodyMode::Json`](crate::BodyMode::Json)), without the
    /// whitespace between messages. Hand it to a JSON parser.
    Json {
        /// The request answered.
        id: RequestId,
        /// The message bytes.
        message: &'a [u8],
    },
    /// A piece of a stdout/stderr frame (mode [`BodyMode::Stdcopy`](crate::BodyMode::Stdcopy)).
    /// Frames are the daemon's write units, not lines. Never empty.
    Frame {
        /// The request answered.
        id: RequestId,
        /// The stream the bytes were written to.
        stream: StreamKind,
        /// The payload bytes.
        data: &'a [u8],
    },
    /// A piece of the daemon's stream-3 error text (for example `Error grabbing logs: …`); an
    /// [`Error`](Self::Error) with `DaemonSystemError` follows.
    SystemError {
        /// The request answered.
        id: RequestId,
        /// The text bytes (usually UTF-8).
        text: &'a [u8],
    },
    /// A `101 Switching Protocols` head was received: the connection is now the raw stream of
    /// this request. Reads arrive as `Frame` (or `Data`) pieces; write stdin with
    /// [`write_stdin`](crate::Connection::write_stdin) and half-close with
    /// [`close_stdin`](crate::Connection::close_stdin). The stream ends with `End` when the
    /// daemon closes it.
    Upgraded {
        /// The request upgraded.
        id: RequestId,
    },
    /// The response is complete (for an upgraded stream: the daemon closed it cleanly).
    End {
        /// The request answered.
        id: RequestId,
    },
    /// The write queue drained after a [`write_body`](crate::Connection::write_body) or
    /// [`write_stdin`](crate::Connection::write_stdin) call accepted fewer bytes than offered:
    /// write more now.
    WriteReady {
        /// The request whose body or stdin can take more bytes.
        id: RequestId,
    },
    /// The request failed; no more events come for it.
    Error {
        /// The request that failed.
        id: RequestId,
        /// Why.
        error: Error,
    },
    /// The connection is closed: `error` is `None` for a clean end (the peer closed an idle
    /// connection, or the last response said `Connection: close`). Nothing follows; drop the
    /// connection.
    Closed {
        /// What closed it, if it failed.
        error: Option<Error>,
    },
}

impl Output<'_> {
    /// The request this event belongs to (`None` for `Closed`).
    pub const fn id(&self) -> Option<RequestId> {
        match self {
            Output::Head { id, .. }
            | Output::Data { id, .. }
            | Output::Json { id, .. }
            | Output::Frame { id, .. }
            | Output::SystemError { id, .. }
            | Output::Upgraded { id }
            | Output::End { id }
            | Output::WriteReady { id }
            | Output::Error { id, .. } => Some(*id),
            Output::Closed { .. } => None,
        }
    }
}

/// A response head, borrowed from the read buffer (zero-copy). Its parts are the ones the core
/// decoder validated and returned; nothing is parsed again.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: &'a [u8],
    pub(crate) headers: Headers<'a>,
    pub(crate) body: BodyKind,
    pub(crate) keep_alive: bool,
}

impl fmt::Debug for ResponseHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseHead")
            .field("status", &self.status)
            .field("reason", &String::from_utf8_lossy(self.reason))
            .field("body", &self.body)
            .field("headers", &self.headers.len())
            .finish()
    }
}

impl<'a> ResponseHead<'a> {
    /// The HTTP version of the status line.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// The status code.
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// True for a 2xx status.
    pub const fn is_success(&self) -> bool {
        self.status >= 200 && self.status < 300
    }

    /// How the body is delimited.
    pub const fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// Whether the head allows another request on the connection.
    pub const fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The reason phrase as sent (free text; dockerd puts error detail there). May be empty.
    pub const fn reason(&self) -> &'a [u8] {
        self.reason
    }

    /// The header fields in order, duplicates kept, read with the core's iterator.
    pub const fn headers(&self) -> Headers<'a> {
        self.headers
    }

    /// The value of the first field with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.get(name)
    }
}
