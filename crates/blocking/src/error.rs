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
            "timed out connecting to the Docker daemon (raise ClientBuilder::connect_timeout)"
        }
        TimeoutKind::Head => {
            "timed out waiting for the daemon's response head (raise \
             ClientBuilder::head_timeout)"
        }
        TimeoutKind::Idle => {
            "the daemon sent nothing for longer than the idle timeout (raise \
             ClientBuilder::idle_timeout, or set_idle_timeout on the stream)"
        }
        TimeoutKind::Write => {
            "timed out writing: the daemon took no byte of the request for longer than the \
             write timeout (raise ClientBuilder::write_timeout)"
        }
        TimeoutKind::Wait => "the wait outlasted the timeout it was given (WaitOptions::timeout)",
        _ => "a timeout fired",
    }
}

/// At most this many characters of a refused value are shown.
const MAX_SHOWN_VALUE: usize = 64;

/// A value for an error message: escaped (control characters, quotes, non-ASCII as escapes) and
/// cut to [`MAX_SHOWN_VALUE`] characters, in double quotes.
pub(crate) fn shown(value: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in value.chars().enumerate() {
        if i == MAX_SHOWN_VALUE {
            out.push_str("\"…");
            return out;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

/// Everything that can go wrong talking to the Docker daemon.
///
/// The `Display` text says what happened and, where there is one, what to do about it:
///
/// ```
/// use docksock::{Client, Error};
///
/// let err = Client::builder().host("npipe:////./pipe/docker_engine").unwrap_err();
/// assert!(matches!(err, Error::Config(_)));
/// assert!(err.to_string().contains("npipe://"));
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
    Timeout {
        /// Which one.
        kind: TimeoutKind,
        /// The operation it cut short (`POST /containers/{id}/wait`…; empty when unknown).
        operation: String,
    },
    /// The daemon (or whatever answered on the socket) broke the HTTP/1.1 wire rules or a Docker
    /// stream format, or the request could not be encoded (a header the core refuses). Comes
    /// from `docksock-proto`.
    Protocol {
        /// The operation (empty when unknown).
        operation: String,
        /// The core's error.
        source: docksock_proto::Error,
    },
    /// An argument of a call was refused before anything was sent: `value` (escaped and
    /// truncated) broke `rule` (for example "repository name must be lowercase").
    InvalidArgument {
        /// The operation.
        operation: String,
        /// What the argument is (`image reference`, `path parameter "id"`…).
        what: String,
        /// The value, escaped and truncated for display.
        value: String,
        /// The rule it broke.
        rule: &'static str,
    },
    /// Something the client accumulates (a body read whole, a demultiplexed output, the
    /// daemon's error text) reached its cap; nothing more was read.
    TooLarge {
        /// The operation.
        operation: String,
        /// What reached the cap.
        what: &'static str,
        /// The cap, in bytes.
        limit: usize,
        /// The setting that raises it, if there is one.
        setting: &'static str,
    },
    /// The daemon answered with a non-2xx status. `message` is its `{"message": ...}`, its plain
    /// text body, or the reason phrase.
    Api {
        /// The operation (method and path, for example `GET /v1.41/containers/web/json`).
        operation: String,
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
        /// The operation (empty when unknown).
        operation: String,
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
    /// the endpoint is documented to return). The text says what, after the operation.
    Unexpected(String),
    /// Registry credentials could not be read or stored: an unreadable or malformed
    /// `config.json` or `DOCKER_AUTH_CONFIG`, or a credential helper that failed (not one that
    /// answered "credentials not found": that is no credentials, not an error).
    Credentials {
        /// The registry (its `config.json` key), or empty when the error is not about one.
        registry: String,
        /// What went wrong, naming the file or the helper.
        message: String,
    },
    /// A copy between the local file system and a container (feature `archive`) was refused:
    /// a tar entry that would land outside the destination (a `..` component, an absolute
    /// path, a link pointing out of it, a path through a symbolic link), an entry of a kind
    /// that is not extracted, a file that changed size while it was archived, or a path of
    /// the wrong kind (not a directory). `message` says which.
    Archive {
        /// The tar entry, local path or container path concerned.
        path: String,
        /// What is wrong with it.
        message: String,
    },
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
    ///     operation: "POST /v1.41/containers/web/kill".into(),
    ///     status: 500,
    ///     message: "can only kill running containers. 82338a52 is in state exited: \
    ///               container state improper"
    ///         .into(),
    /// };
    /// assert!(podman.is_conflict());
    /// let other = Error::Api {
    ///     operation: "POST /v1.41/containers/web/kill".into(),
    ///     status: 500,
    ///     message: "disk full".into(),
    /// };
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
                ..
            } => PODMAN_CONFLICT_CAUSES
                .iter()
                .any(|cause| message.trim_end().ends_with(cause)),
            _ => false,
        }
    }

    /// True for an [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The kind of an [`Error::Timeout`], if this is one.
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        match self {
            Error::Timeout { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The operation this error is about (method and path, or the call), when known.
    pub fn operation(&self) -> Option<&str> {
        let op = match self {
            Error::Timeout { operation, .. }
            | Error::Protocol { operation, .. }
            | Error::InvalidArgument { operation, .. }
            | Error::TooLarge { operation, .. }
            | Error::Api { operation, .. }
            | Error::Stream { operation, .. } => operation.as_str(),
            _ => return None,
        };
        (!op.is_empty()).then_some(op)
    }

    /// A timeout of `kind` (the operation is filled in by [`in_operation`](Self::in_operation)).
    pub(crate) fn timeout(kind: TimeoutKind) -> Error {
        Error::Timeout {
            kind,
            operation: String::new(),
        }
    }

    /// The daemon's in-band error text (the operation is filled in later).
    pub(crate) fn stream(message: String) -> Error {
        Error::Stream {
            operation: String::new(),
            message,
        }
    }

    /// Names `op` in this error, unless it names an operation already: the field of the
    /// variants that have one, the front of the text of the others ([`Error::Io`],
    /// [`Error::Json`], [`Error::Unexpected`]).
    pub(crate) fn in_operation(mut self, op: &str) -> Error {
        if op.is_empty() {
            return self;
        }
        match &mut self {
            Error::Timeout { operation, .. }
            | Error::Protocol { operation, .. }
            | Error::InvalidArgument { operation, .. }
            | Error::TooLarge { operation, .. }
            | Error::Api { operation, .. }
            | Error::Stream { operation, .. } => {
                if operation.is_empty() {
                    op.clone_into(operation);
                }
            }
            Error::Io { context: text, .. }
            | Error::Json { context: text, .. }
            | Error::Unexpected(text) => {
                if !text.starts_with(op) {
                    *text = format!("{op}: {text}");
                }
            }
            Error::Version { .. }
            | Error::Config(_)
            | Error::Credentials { .. }
            | Error::Archive { .. } => {}
        }
        self
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
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::Protocol {
                source:
                    docksock_proto::Error::Peer(
                        docksock_proto::PeerError::UnexpectedEof
                        | docksock_proto::PeerError::TruncatedStdcopyFrame
                        | docksock_proto::PeerError::TruncatedJson,
                    ),
                ..
            } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.operation() {
            write!(f, "{op}: ")?;
        }
        match self {
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Timeout { kind, .. } => f.write_str(describe(*kind)),
            Error::Protocol { source, .. } if source.is_misuse() => {
                write!(f, "the request cannot be sent: {source}")
            }
            Error::Protocol { source, .. } => write!(f, "bad response from the daemon: {source}"),
            Error::InvalidArgument {
                what, value, rule, ..
            } => write!(f, "{what} {value} refused: {rule}"),
            Error::TooLarge {
                what,
                limit,
                setting,
                ..
            } => {
                write!(
                    f,
                    "{what} exceeds the {limit}-byte cap; nothing more was read"
                )?;
                if !setting.is_empty() {
                    write!(f, " (raise {setting})")?;
                }
                Ok(())
            }
            Error::Api {
                status, message, ..
            } => write!(f, "the daemon answered {status}: {message}"),
            Error::Stream { message, .. } => write!(f, "the daemon reported an error: {message}"),
            Error::Version { message } => write!(f, "API version mismatch: {message}"),
            Error::Config(message) => write!(f, "configuration error: {message}"),
            Error::Json { context, source } => write!(f, "{context}: {source}"),
            Error::Unexpected(message) => f.write_str(message),
            Error::Credentials { registry, message } if registry.is_empty() => {
                write!(f, "registry credentials: {message}")
            }
            Error::Credentials { registry, message } => {
                write!(f, "registry credentials for {registry}: {message}")
            }
            Error::Archive { path, message } => write!(f, "{path:?}: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Protocol { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<docksock_proto::Error> for Error {
    fn from(source: docksock_proto::Error) -> Self {
        Error::Protocol {
            operation: String::new(),
            source,
        }
    }
}
