//! Errors: what ends a request or a connection ([`Error`]), and what a caller did wrong
//! ([`SendError`]).

use std::fmt;
use std::io;

/// Which deadline expired: the core's vocabulary, shared by every adapter. See
/// [`Config`](crate::Config) for what each one measures.
pub use docksock_proto::timeout::TimeoutKind;

/// Why a request or a connection failed. Small and `Copy`: it is delivered in
/// [`Output::Error`](crate::Output::Error) and [`Output::Closed`](crate::Output::Closed).
///
/// Every error closes the connection it happened on: the other outstanding requests on it get
/// [`Error::NotAnswered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A socket read or write failed (the kind of the `io::Error`).
    Io(io::ErrorKind),
    /// The peer broke HTTP/1.1 framing or a Docker stream format, or the connection closed in
    /// the middle of a response: the core's error, see [`docksock_proto::PeerError`].
    /// `Peer(UnexpectedEof)` means the body was cut short (data already delivered is not a
    /// complete message); `Peer(ClosedBeforeResponse)` means not a single byte of the response
    /// came.
    Protocol(docksock_proto::Error),
    /// A deadline expired.
    Timeout(TimeoutKind),
    /// The connection ended before this request's response started (an earlier response had
    /// `Connection: close`, or an earlier request failed). The request may or may not have
    /// reached the daemon; an idempotent one can be retried on a new connection.
    NotAnswered,
    /// Bytes arrived while no request was outstanding.
    Unsolicited,
    /// The connection was closed by [`Connection::close`](crate::Connection::close).
    Cancelled,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(kind) => write!(f, "socket error: {kind}"),
            Error::Protocol(e) => write!(f, "{e}"),
            Error::Timeout(k) => write!(f, "timed out ({k:?} deadline)"),
            Error::NotAnswered => f.write_str("connection ended before the response started"),
            Error::Unsolicited => f.write_str("bytes received with no request outstanding"),
            Error::Cancelled => f.write_str("connection closed by the caller"),
        }
    }
}

impl std::error::Error for Error {}

impl From<docksock_proto::Error> for Error {
    fn from(e: docksock_proto::Error) -> Self {
        Error::Protocol(e)
    }
}

/// A call the connection refused; nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The request could not be encoded (invalid method, path, header…), or a body write does
    /// not match the declared framing: the core's misuse error.
    Encode(docksock_proto::Error),
    /// The connection cannot take this request now: the pipeline is full, or an outstanding
    /// request is exclusive (an upgrade, a streamed body, or [`Request::exclusive`]). See
    /// [`Connection::can_send`](crate::Connection::can_send).
    ///
    /// [`Request::exclusive`]: crate::Request::exclusive
    Busy,
    /// The connection is closed (or closing, or its write side failed).
    Closed,
    /// No outstanding request has this id, or it has no streamed body to write to.
    NoStreamedBody,
    /// The streamed body was already finished, or abandoned because the response arrived
    /// before the body was complete.
    BodyDone,
    /// Stdin can be written only after [`Output::Upgraded`](crate::Output::Upgraded) and before
    /// [`close_stdin`](crate::Connection::close_stdin).
    NotUpgraded,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Encode(e) => write!(f, "{e}"),
            SendError::Busy => f.write_str("connection busy: pipeline full or exclusive request"),
            SendError::Closed => f.write_str("connection closed"),
            SendError::NoStreamedBody => f.write_str("no outstanding request with a streamed body"),
            SendError::BodyDone => f.write_str("body already finished or abandoned"),
            SendError::NotUpgraded => f.write_str("stdin needs an upgraded, open stream"),
        }
    }
}

impl std::error::Error for SendError {}
