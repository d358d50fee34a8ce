//! The one error type of the crate.

use std::fmt;
use std::io;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which timeout fired: the core's one vocabulary, shared by every docksock adapter. Every
/// timeout is its own error, [`Error::Timeout`], never an I/O error.
pub use docksock_proto::timeout::TimeoutKind;

/// What a timeout means to the person reading the error, and what to raise.
fn describe(kind: TimeoutKind) -> &'static str {
    match kind {
        TimeoutKind::Connect => {
            "timed out connecting to the Docker socket (raise ClientBuilder::connect_timeout)"
        }
        TimeoutKind::Head => {
            "timed out waiting for the daemon's response head (raise \
             ClientBuilder::head_timeout)"
        }
        TimeoutKind::Idle => {
            "the connection went idle for longer than the idle timeout (raise \
             ClientBuilder::idle_timeout, or set_idle_timeout on the stream for a quiet \
             follow/events/wait)"
        }
        TimeoutKind::Write => {
            "timed out writing the request: the daemon took no byte of it for longer than the \
             write timeout (raise ClientBuilder::write_timeout)"
        }
        _ => "a timeout fired",
    }
}

/// Everything that can go wrong talking to the Docker daemon.
///
/// The `Display` text says what happened and, where there is one, what to do about it:
///
/// ```
/// use docksock::{Client, Error};
///
/// let err = Client::builder().host("tcp://127.0.0.1:2375").unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert!(err.to_string().contains("tcp://"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on the socket, with what was being done (`context`) and the socket path.
    Io {
        /// What the client was doing, for example `"connecting to /var/run/docker.sock"`.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A timeout fired.
    Timeout(TimeoutKind),
    /// The daemon (or whatever answered on the socket) broke the HTTP/1.1 wire rules or a Docker
    /// stream format, or the request could not be encoded (an invalid path parameter, header or
    /// image reference). Comes from `docksock-proto`.
    Protocol(docksock_proto::Error),
    /// The daemon answered with a non-2xx status. `message` is its `{"message": ...}`, its plain
    /// text body, or the reason phrase.
    Api {
        /// The HTTP status code (404 no such container/image, 409 conflict, 400 bad parameter,
        /// 500 server error…).
        status: u16,
        /// The daemon's explanation.
        message: String,
    },
    /// A stream the daemon had already started with a 2xx status reported an error in-band: a
    /// build or import `{"error": ..., "errorDetail": {...}}` message, a `wait` result with an
    /// `Error`, or a stdcopy stream-3 (system error) frame.
    Stream {
        /// The daemon's error text.
        message: String,
    },
    /// API version negotiation failed: the daemon is too old or too new for this client, or it
    /// rejected a pinned version.
    Version {
        /// What went wrong, with the versions involved.
        message: String,
    },
    /// The client's configuration is unusable: an unsupported `DOCKER_HOST` scheme, an invalid
    /// `DOCKER_API_VERSION`, or invalid options.
    Config(String),
    /// A response body could not be parsed as the JSON the call expects, or a JSON request body
    /// could not be serialized.
    Json {
        /// What was being parsed.
        context: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The daemon answered in a way this client did not expect (well-formed HTTP, but not what
    /// the endpoint is documented to return), or a response body exceeded the client's cap.
    Unexpected(String),
}

impl Error {
    /// The HTTP status of an [`Error::Api`], if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for an [`Error::Api`] with status 404 (no such container, image, exec…).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for a refusal because of the target's state — a name in use, a container that is
    /// (not) running, an image in use: an [`Error::Api`] with status 409, or Podman's 500 whose
    /// `cause` (the end of its message) is `container state improper`, `that name is already in
    /// use` or `image is in use by a container`.
    ///
    /// ```
    /// use docksock::Error;
    ///
    /// let podman = Error::Api {
    ///     status: 500,
    ///     message: "can only kill running containers. 82338a52 is in state exited: \
    ///               container state improper"
    ///         .into(),
    /// };
    /// assert!(podman.is_conflict());
    /// let other = Error::Api { status: 500, message: "disk full".into() };
    /// assert!(!other.is_conflict());
    /// ```
    pub fn is_conflict(&self) -> bool {
        const PODMAN_CONFLICT_CAUSES: [&str; 3] = [
            "container state improper",
            "that name is already in use",
            "image is in use by a container",
        ];
        match self {
            Error::Api { status: 409, .. } => true,
            Error::Api {
                status: 500,
                message,
            } => PODMAN_CONFLICT_CAUSES
                .iter()
                .any(|cause| message.trim_end().ends_with(cause)),
            _ => false,
        }
    }

    /// True for an [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// An [`Error::Io`] with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn json(context: impl Into<String>, source: serde_json::Error) -> Error {
        Error::Json {
            context: context.into(),
            source,
        }
    }

    /// Recovers this crate's error from an `io::Error` returned by one of its `Read`/`Write`
    /// impls ([`ResponseBody`](crate::ResponseBody), [`Hijacked`](crate::Hijacked)); wraps any
    /// other `io::Error` as [`Error::Io`] with `context`.
    ///
    /// ```
    /// use docksock::{Error, TimeoutKind};
    ///
    /// let plain = std::io::Error::new(std::io::ErrorKind::Other, "disk full");
    /// assert!(matches!(Error::from_io("writing the tar", plain), Error::Io { .. }));
    /// ```
    pub fn from_io(context: &str, e: io::Error) -> Error {
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            if let Some(inner) = e.into_inner() {
                if let Ok(ours) = inner.downcast::<Error>() {
                    return *ours;
                }
            }
            // Not reachable: `is::<Error>()` was checked.
            return Error::Unexpected(format!("{context}: lost error"));
        }
        Error::io(context, e)
    }

    /// Wraps this error into an `io::Error` for a `Read`/`Write` impl, with a fitting kind.
    pub(crate) fn into_io(self) -> io::Error {
        let kind = match &self {
            Error::Io { source, .. } => source.kind(),
            Error::Timeout(_) => io::ErrorKind::TimedOut,
            Error::Protocol(docksock_proto::Error::Peer(
                docksock_proto::PeerError::UnexpectedEof
                | docksock_proto::PeerError::TruncatedStdcopyFrame
                | docksock_proto::PeerError::TruncatedJson,
            )) => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Timeout(kind) => f.write_str(describe(*kind)),
            Error::Protocol(e) if e.is_misuse() => write!(f, "invalid request: {e}"),
            Error::Protocol(e) => write!(f, "bad response from the daemon: {e}"),
            Error::Api { status, message } => {
                write!(f, "the daemon answered {status}: {message}")
            }
            Error::Stream { message } => write!(f, "the daemon reported an error: {message}"),
            Error::Version { message } => write!(f, "API version mismatch: {message}"),
            Error::Config(message) => write!(f, "configuration error: {message}"),
            Error::Json { context, source } => write!(f, "{context}: {source}"),
            Error::Unexpected(message) => write!(f, "unexpected answer from the daemon: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Protocol(e) => Some(e),
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<docksock_proto::Error> for Error {
    fn from(e: docksock_proto::Error) -> Self {
        Error::Protocol(e)
    }
}
