//! What the exchange reports: [`Event`]s of reading, [`Failed`] requests and their [`Failure`].

use core::fmt;

use crate::stdcopy::StreamKind;
use crate::timeout::TimeoutKind;
use crate::{Head, Headers, MisuseError, PeerError};

use super::RequestId;

/// What one call of [`Exchange::decode`](super::Exchange::decode) did: how many input bytes
/// the adapter may drop, and the event they made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Decoded<'a> {
    /// Bytes of the input used; drop them before the next call.
    pub consumed: usize,
    /// What happened.
    pub event: Event<'a>,
}

/// How a connection became a raw stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpgradeKind {
    /// `101 Switching Protocols`.
    Switching,
    /// A `2xx` answer to `CONNECT`: the connection is a tunnel.
    Tunnel,
    /// A `2xx` close-delimited answer to a request that asked to upgrade: dockerd's other
    /// hijack form (attach and exec start without `101`).
    Hijack,
}

/// An event of reading. Every slice borrows the input of the call that returned it and is the
/// last bytes of what that call consumed (`&input[consumed - len..consumed]`), so an adapter
/// can also locate it in its own buffer by position.
///
/// Per request the events come in this order: [`Head`](Self::Head) or
/// [`Upgraded`](Self::Upgraded); then body events ([`Data`](Self::Data), [`Message`](Self::Message),
/// [`MessagePart`](Self::MessagePart), [`Frame`](Self::Frame), [`SystemError`](Self::SystemError),
/// [`Trailers`](Self::Trailers), [`Raw`](Self::Raw)); then [`End`](Self::End). A request that
/// does not end comes out of [`Exchange::poll_failed`](super::Exchange::poll_failed) instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Nothing more can be done with this input: read more and call again with the unconsumed
    /// bytes and the new ones (an incomplete head stays in the adapter's buffer until whole).
    NeedMore,
    /// The final response head (informational `1xx` responses are skipped).
    Head {
        /// The request answered.
        id: RequestId,
        /// The status line and fields.
        head: Head<'a>,
        /// The daemon answered before the request was completely written (an early answer):
        /// stop writing it, drop every unwritten byte of the write queue (the requests behind
        /// it will not be answered), and close after this response.
        abandon_body: bool,
    },
    /// The connection is now the raw stream of this request; bytes after `consumed` belong
    /// to it (keep them). Stream bytes come next as [`Raw`](Self::Raw), [`Frame`](Self::Frame)
    /// or message events, by the request's mode; the stream ends with `End` when the peer
    /// closes it.
    Upgraded {
        /// The request upgraded.
        id: RequestId,
        /// The head of the answer.
        head: Head<'a>,
        /// Which answer upgraded it.
        kind: UpgradeKind,
        /// As for [`Head`](Self::Head).
        abandon_body: bool,
    },
    /// A piece of the body (mode [`Bytes`](super::BodyMode::Bytes), or a non-2xx status).
    /// Never empty.
    Data {
        /// The request answered.
        id: RequestId,
        /// The bytes.
        data: &'a [u8],
    },
    /// One whole JSON message that lies in this input (mode [`Json`](super::BodyMode::Json)),
    /// without the whitespace between messages.
    Message {
        /// The request answered.
        id: RequestId,
        /// The message bytes.
        message: &'a [u8],
    },
    /// A piece of a JSON message that spans inputs: append it to the adapter's assembly
    /// storage; when `complete`, the storage holds the whole message (take it, then clear the
    /// storage). The splitter's cap ([`Config::max_json_message`](super::Config)) bounds what
    /// the storage must hold.
    MessagePart {
        /// The request answered.
        id: RequestId,
        /// The bytes to append.
        part: &'a [u8],
        /// The message ends with this part.
        complete: bool,
    },
    /// A piece of a stdout/stderr frame (mode [`Stdcopy`](super::BodyMode::Stdcopy)). Never
    /// empty.
    Frame {
        /// The request answered.
        id: RequestId,
        /// The stream the bytes were written to.
        stream: StreamKind,
        /// The payload bytes.
        data: &'a [u8],
        /// This piece ends its frame.
        frame_end: bool,
    },
    /// A piece of the daemon's stream-3 error text; the request then fails with
    /// [`PeerError::DaemonSystemError`].
    SystemError {
        /// The request answered.
        id: RequestId,
        /// The text bytes.
        text: &'a [u8],
        /// This piece ends the frame.
        frame_end: bool,
    },
    /// The trailer fields of a chunked body (only when there are any).
    Trailers {
        /// The request answered.
        id: RequestId,
        /// The fields.
        trailers: Headers<'a>,
    },
    /// Bytes of an upgraded stream in mode [`Bytes`](super::BodyMode::Bytes). Never empty.
    Raw {
        /// The request upgraded.
        id: RequestId,
        /// The bytes.
        data: &'a [u8],
    },
    /// The response is complete (for an upgraded stream: the peer closed it cleanly).
    End {
        /// The request answered.
        id: RequestId,
        /// The connection may carry the next request. When false the connection is done:
        /// requests behind this one come out of
        /// [`poll_failed`](super::Exchange::poll_failed) as not answered, and bytes after the
        /// response are not the peer's to send (they are discarded).
        reusable: bool,
    },
    /// The peer closed a connection with nothing outstanding: a clean end.
    Closed,
}

/// Why a request ended without its response, or why the connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The peer broke HTTP/1.1 framing, a Docker stream format or a limit, or closed the
    /// connection in the middle of a response (`UnexpectedEof`) or before any of it
    /// (`ClosedBeforeResponse`).
    Peer(PeerError),
    /// A deadline expired (not the peer's fault as far as the protocol goes: its own outcome).
    Timeout(TimeoutKind),
    /// The adapter reported an I/O error on the socket; `reset` when it says the peer had
    /// closed the connection (`EPIPE`, `ECONNRESET`).
    Io {
        /// The peer had closed the connection.
        reset: bool,
    },
    /// The connection ended before this request's response started: an earlier response
    /// closed it, or an earlier request failed.
    NotAnswered,
    /// The adapter closed the connection ([`Exchange::cancel`](super::Exchange::cancel)).
    Cancelled,
    /// The exchange was driven out of order (a bug in the adapter).
    Misuse(MisuseError),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Peer(e) => write!(f, "peer protocol violation: {e}"),
            Failure::Timeout(k) => write!(f, "timed out ({k} deadline)"),
            Failure::Io { reset: true } => f.write_str("connection reset by the peer"),
            Failure::Io { reset: false } => f.write_str("socket I/O error"),
            Failure::NotAnswered => f.write_str("connection ended before the response started"),
            Failure::Cancelled => f.write_str("connection closed by the caller"),
            Failure::Misuse(e) => write!(f, "invalid use: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Failure {}

/// A request that ended without its response, from
/// [`Exchange::poll_failed`](super::Exchange::poll_failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Failed {
    /// The request.
    pub id: RequestId,
    /// Why.
    pub failure: Failure,
    /// It may be sent again on a fresh connection (see
    /// [`Exchange::may_retry`](super::Exchange::may_retry) for the rule).
    pub retry: bool,
}
