//! The one error type of the core.
//!
//! [`Error`] is small and `Copy`: it carries no strings and no heap data, so an event loop can keep
//! it in a per-connection state and compare it cheaply. It separates whose fault a failure is:
//!
//! * [`Error::Peer`] — the daemon (or whatever answered on the socket) sent bytes that break
//!   HTTP/1.1 framing, the strict policy of this crate, a configured limit, or a Docker stream
//!   format. Nothing the caller can fix by retrying the same call on the same connection; the
//!   connection must be closed.
//! * [`Error::Misuse`] — the caller asked for something invalid: a header value with a line break,
//!   a path parameter of `..`, a buffer too small, a decoder driven in the wrong order.
//!
//! A decoder that returned an error keeps returning that same error: it is poisoned.

use core::fmt;

/// Any failure reported by this crate, split by whose fault it is:
/// [`Peer`](Error::Peer) and [`Misuse`](Error::Misuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated the protocol, a format, or a limit.
    Peer(PeerError),
    /// The caller misused the API or passed invalid input.
    Misuse(MisuseError),
}

/// A violation by the remote peer. Every variant names one rule of
/// `crates/proto/tests/conformance/README.md` (the strict wire policy) or of a Docker stream format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeerError {
    /// The status line is not `HTTP/1.1` or `HTTP/1.0`, one SP, three digits, and an optional
    /// SP-led reason of visible bytes (HTTP/0.9 and HTTP/2 status lines included).
    InvalidStatusLine,
    /// The status code has three digits but is below 100.
    InvalidStatusCode,
    /// A header or trailer field name is empty, holds a non-token byte, or is followed by
    /// whitespace before the colon.
    InvalidHeaderName,
    /// A header or trailer field value holds NUL, another control byte (except HTAB) or DEL.
    InvalidHeaderValue,
    /// A line starts with SP or HTAB (obsolete line folding).
    ObsFold,
    /// A line in the head, trailers or chunked framing ends in LF without the CR before it.
    BareLf,
    /// A CR is not followed by LF.
    BareCr,
    /// More than two empty lines came before the status line.
    TooManyLeadingEmptyLines,
    /// The response head is larger than [`Limits::max_head_bytes`](crate::Limits).
    HeadTooLarge,
    /// The response head has more fields than [`Limits::max_headers`](crate::Limits).
    TooManyHeaders,
    /// `Content-Length` is not plain ASCII digits, overflows `u64`, or lists different values.
    InvalidContentLength,
    /// `Transfer-Encoding` is anything but exactly one `chunked` coding on one line.
    UnsupportedTransferCoding,
    /// Both `Transfer-Encoding` and `Content-Length` are present.
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 response.
    TransferEncodingInHttp10,
    /// More informational (1xx) responses than [`Limits::max_informational`](crate::Limits).
    TooManyInformational,
    /// A chunk size is empty or holds a byte other than a hex digit (no sign, no `0x`).
    InvalidChunkSize,
    /// A chunk size does not fit in a `u64`.
    ChunkSizeOverflow,
    /// A chunk extension breaks the `;name[=token|quoted-string]` grammar.
    InvalidChunkExtension,
    /// The chunk extensions of one message exceed
    /// [`Limits::max_chunk_ext_bytes`](crate::Limits).
    ChunkExtensionsTooLarge,
    /// Chunk data is not followed by exactly CRLF.
    InvalidChunkEnd,
    /// The trailer section is larger than [`Limits::max_trailer_bytes`](crate::Limits).
    TrailersTooLarge,
    /// The trailer section has more fields than [`Limits::max_trailers`](crate::Limits).
    TooManyTrailers,
    /// The connection closed before any byte of the response arrived. On a reused keep-alive
    /// connection this is the one case where a request may be retried on a fresh connection.
    ClosedBeforeResponse,
    /// The connection closed in the middle of a response (head, body, chunk framing or
    /// trailers). Data already delivered is not a complete message.
    UnexpectedEof,
    /// A stdcopy frame header has an unknown stream byte (not 0, 1, 2 or 3).
    InvalidStdcopyStream,
    /// A stdcopy frame header has non-zero padding bytes.
    InvalidStdcopyHeader,
    /// The stream ended inside a stdcopy frame.
    TruncatedStdcopyFrame,
    /// The daemon sent a stdcopy stream-3 (system error) frame; its text was delivered as
    /// [`Frame::SystemError`](crate::stdcopy::Frame) pieces before this error.
    DaemonSystemError,
    /// A byte between JSON messages is not whitespace, or a message is not an object or array,
    /// or its brackets do not match.
    InvalidJson,
    /// A JSON message nests deeper than the splitter tracks.
    JsonTooDeep,
    /// A JSON message is larger than the splitter's cap.
    JsonMessageTooLarge,
    /// The stream ended inside a JSON message.
    TruncatedJson,
    /// An `Api-Version` value is not `MAJOR.MINOR` in plain digits.
    InvalidApiVersion,
    /// The daemon's API versions do not overlap the range this client supports (it is too old
    /// or too new). Not a wire violation, but a property of the peer, not of the caller.
    UnsupportedApiVersion,
    /// Response bytes arrived while no request was outstanding on the connection.
    UnsolicitedResponse,
    /// The answer to a WebSocket handshake is not a `101` with `Upgrade: websocket` and a
    /// `Connection` field holding `upgrade` (RFC 6455 §4.1).
    WebSocketNotUpgraded,
    /// The `Sec-WebSocket-Accept` of a WebSocket handshake's `101` is missing, repeated, or not
    /// base64(SHA-1(key + GUID)) of the key sent (RFC 6455 §4.1).
    WebSocketAcceptMismatch,
    /// The `101` of a WebSocket handshake names an extension or subprotocol that was not asked
    /// for.
    WebSocketUnrequestedExtension,
    /// A WebSocket frame has a reserved bit (RSV1–3) set without a negotiated extension.
    WebSocketReservedBits,
    /// A WebSocket frame has a reserved opcode.
    WebSocketUnknownOpcode,
    /// A WebSocket frame from the server is masked (RFC 6455 §5.1).
    WebSocketMaskedFrame,
    /// A WebSocket control frame (close, ping, pong) is fragmented or longer than 125 bytes.
    WebSocketInvalidControlFrame,
    /// A WebSocket continuation frame came outside a fragmented message, or a new data message
    /// started inside one.
    WebSocketInvalidContinuation,
    /// A WebSocket frame length is not in its shortest form, or a 64-bit length has its top bit
    /// set.
    WebSocketNonMinimalLength,
    /// A WebSocket frame's payload is longer than the decoder's cap.
    WebSocketFrameTooLarge,
    /// A WebSocket close frame has a one-byte payload or a status code that may not be sent.
    WebSocketInvalidClose,
    /// Bytes came after the server's WebSocket close frame.
    WebSocketDataAfterClose,
    /// The stream ended inside a WebSocket frame or fragmented message.
    TruncatedWebSocketFrame,
}

/// A misuse by the caller: invalid input to the encoder, or an API called out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MisuseError {
    /// The output buffer is too small; `needed` bytes are required for the whole output.
    BufferTooSmall {
        /// Bytes the whole output needs.
        needed: usize,
    },
    /// The method is empty or not a token.
    InvalidMethod,
    /// The path template is not `/`-rooted, has characters outside the RFC 3986 path set, or has
    /// an unbalanced `{`/`}`.
    InvalidPathTemplate,
    /// A `{placeholder}` has no parameter, or a parameter has no placeholder.
    MissingPathParam,
    /// A path parameter is empty, `.`, `..`, or contains `/`.
    InvalidPathParam,
    /// An image-reference parameter is not a valid Docker image reference.
    InvalidImageReference,
    /// A query key is empty.
    InvalidQuery,
    /// A header name is empty or not a token.
    InvalidHeaderName,
    /// A header value holds CR, LF, NUL or another control byte, or has leading or trailing
    /// whitespace.
    InvalidHeaderValue,
    /// A header the encoder owns (`Content-Length`, `Transfer-Encoding`, `Connection`, `Upgrade`,
    /// `Expect`) was passed as a plain header; use the request's framing fields instead.
    ReservedHeader,
    /// More than one `Host` header was given.
    DuplicateHost,
    /// The encoded request head would exceed the 1 MiB header-section cap.
    HeadTooLarge,
    /// A body write or finish does not match the declared `Content-Length`.
    BodyLengthMismatch,
    /// A body was written for a request framed without a body, or after the body was finished.
    BodyNotExpected,
    /// The decoder was driven out of order (for example `decode` after the end of a message
    /// without [`ResponseDecoder::next_response`](crate::ResponseDecoder::next_response)).
    InvalidState,
    /// The next response was requested on a connection that is not reusable (the last response
    /// had `Connection: close`, was close-delimited, or upgraded).
    ConnectionNotReusable,
    /// A version string passed by the caller is not `MAJOR.MINOR`, or a range is empty.
    InvalidApiVersion,
    /// The connection cannot take this request now: the pipeline is full, or an outstanding
    /// request is exclusive (an upgrade, a `CONNECT`, a streamed body, or marked exclusive).
    ConnectionBusy,
    /// No outstanding request has this id (or the id is already in use).
    UnknownRequest,
    /// The request has no open streamed body: it has none, it was finished, or it was
    /// abandoned because the response arrived first.
    BodyClosed,
    /// Raw stream bytes can be written only after an upgrade and before the stream's input is
    /// closed.
    NotUpgraded,
    /// A request asks for both `Upgrade: tcp` and a WebSocket handshake.
    ConflictingUpgrade,
    /// A WebSocket control frame to encode is not final or its payload exceeds 125 bytes.
    WebSocketControlFrame,
    /// A WebSocket close code to send is reserved or out of range (or a reason has no code).
    WebSocketCloseCode,
}

impl Error {
    /// True when the remote peer is at fault.
    pub const fn is_peer(&self) -> bool {
        matches!(self, Error::Peer(_))
    }

    /// True when the caller is at fault.
    pub const fn is_misuse(&self) -> bool {
        matches!(self, Error::Misuse(_))
    }

    /// A stable kebab-case class name, the vocabulary of the conformance harness
    /// (for example `"bare-lf"` or `"invalid-content-length"`).
    pub const fn class(&self) -> &'static str {
        match self {
            Error::Peer(p) => p.class(),
            Error::Misuse(m) => m.class(),
        }
    }
}

impl PeerError {
    /// The stable kebab-case class name of this error.
    pub const fn class(&self) -> &'static str {
        use PeerError::*;
        match self {
            InvalidStatusLine => "invalid-status-line",
            InvalidStatusCode => "invalid-status-code",
            InvalidHeaderName => "invalid-header-name",
            InvalidHeaderValue => "invalid-header-value",
            ObsFold => "obs-fold",
            BareLf => "bare-lf",
            BareCr => "bare-cr",
            TooManyLeadingEmptyLines => "invalid-status-line",
            HeadTooLarge => "header-too-large",
            TooManyHeaders => "too-many-headers",
            InvalidContentLength => "invalid-content-length",
            UnsupportedTransferCoding => "unsupported-transfer-coding",
            ContentLengthWithTransferEncoding => "cl-te-conflict",
            TransferEncodingInHttp10 => "te-in-http10",
            TooManyInformational => "too-many-informational",
            InvalidChunkSize => "invalid-chunk-size",
            ChunkSizeOverflow => "chunk-size-overflow",
            InvalidChunkExtension => "invalid-chunk-extension",
            ChunkExtensionsTooLarge => "chunk-extensions-too-large",
            InvalidChunkEnd => "invalid-chunk-end",
            TrailersTooLarge => "trailers-too-large",
            TooManyTrailers => "too-many-trailers",
            ClosedBeforeResponse => "closed-before-response",
            UnexpectedEof => "truncated-body",
            InvalidStdcopyStream => "invalid-stdcopy-stream",
            InvalidStdcopyHeader => "invalid-stdcopy-header",
            TruncatedStdcopyFrame => "truncated-stdcopy-frame",
            DaemonSystemError => "daemon-system-error",
            InvalidJson => "invalid-json",
            JsonTooDeep => "json-too-deep",
            JsonMessageTooLarge => "json-message-too-large",
            TruncatedJson => "truncated-json",
            InvalidApiVersion => "invalid-api-version",
            UnsupportedApiVersion => "unsupported-api-version",
            UnsolicitedResponse => "unsolicited-response",
            WebSocketNotUpgraded => "websocket-not-upgraded",
            WebSocketAcceptMismatch => "websocket-accept-mismatch",
            WebSocketUnrequestedExtension => "websocket-unrequested-extension",
            WebSocketReservedBits => "websocket-reserved-bits",
            WebSocketUnknownOpcode => "websocket-unknown-opcode",
            WebSocketMaskedFrame => "websocket-masked-frame",
            WebSocketInvalidControlFrame => "websocket-invalid-control-frame",
            WebSocketInvalidContinuation => "websocket-invalid-continuation",
            WebSocketNonMinimalLength => "websocket-non-minimal-length",
            WebSocketFrameTooLarge => "websocket-frame-too-large",
            WebSocketInvalidClose => "websocket-invalid-close",
            WebSocketDataAfterClose => "websocket-data-after-close",
            TruncatedWebSocketFrame => "truncated-websocket-frame",
        }
    }
}

impl MisuseError {
    /// The stable kebab-case class name of this error.
    pub const fn class(&self) -> &'static str {
        use MisuseError::*;
        match self {
            BufferTooSmall { .. } => "buffer-too-small",
            InvalidMethod => "invalid-method",
            InvalidPathTemplate => "invalid-path-template",
            MissingPathParam => "missing-path-param",
            InvalidPathParam => "invalid-path-param",
            InvalidImageReference => "invalid-image-reference",
            InvalidQuery => "invalid-query",
            InvalidHeaderName => "invalid-header-name",
            InvalidHeaderValue => "invalid-header-value",
            ReservedHeader => "reserved-header",
            DuplicateHost => "duplicate-host",
            HeadTooLarge => "header-too-large",
            BodyLengthMismatch => "body-length-mismatch",
            BodyNotExpected => "body-not-expected",
            InvalidState => "invalid-state",
            ConnectionNotReusable => "connection-not-reusable",
            InvalidApiVersion => "invalid-api-version",
            ConnectionBusy => "connection-busy",
            UnknownRequest => "unknown-request",
            BodyClosed => "body-closed",
            NotUpgraded => "not-upgraded",
            ConflictingUpgrade => "conflicting-upgrade",
            WebSocketControlFrame => "websocket-control-frame",
            WebSocketCloseCode => "websocket-close-code",
        }
    }
}

impl From<PeerError> for Error {
    fn from(e: PeerError) -> Self {
        Error::Peer(e)
    }
}

impl From<MisuseError> for Error {
    fn from(e: MisuseError) -> Self {
        Error::Misuse(e)
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PeerError::*;
        f.write_str(match self {
            InvalidStatusLine => "invalid status line",
            InvalidStatusCode => "invalid status code (below 100)",
            InvalidHeaderName => "invalid header field name",
            InvalidHeaderValue => "invalid byte in header field value",
            ObsFold => "obsolete line folding in header section",
            BareLf => "line ends in LF without CR",
            BareCr => "CR not followed by LF",
            TooManyLeadingEmptyLines => "more than two empty lines before the status line",
            HeadTooLarge => "response head exceeds the size limit",
            TooManyHeaders => "response head exceeds the header count limit",
            InvalidContentLength => "invalid Content-Length",
            UnsupportedTransferCoding => "unsupported Transfer-Encoding (only one `chunked`)",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 response",
            TooManyInformational => "too many informational (1xx) responses",
            InvalidChunkSize => "invalid chunk size",
            ChunkSizeOverflow => "chunk size overflows u64",
            InvalidChunkExtension => "invalid chunk extension",
            ChunkExtensionsTooLarge => "chunk extensions exceed the size limit",
            InvalidChunkEnd => "chunk data not followed by CRLF",
            TrailersTooLarge => "trailer section exceeds the size limit",
            TooManyTrailers => "trailer section exceeds the field count limit",
            ClosedBeforeResponse => "connection closed before any response byte",
            UnexpectedEof => "connection closed before the response was complete",
            InvalidStdcopyStream => "unknown stdcopy stream byte",
            InvalidStdcopyHeader => "non-zero padding in stdcopy frame header",
            TruncatedStdcopyFrame => "stream ended inside a stdcopy frame",
            DaemonSystemError => "the daemon reported a system error in the stream",
            InvalidJson => "invalid JSON message framing",
            JsonTooDeep => "JSON message nests too deeply",
            JsonMessageTooLarge => "JSON message exceeds the size cap",
            TruncatedJson => "stream ended inside a JSON message",
            InvalidApiVersion => "invalid API version string",
            UnsupportedApiVersion => "the daemon's API versions are outside the supported range",
            UnsolicitedResponse => "response bytes with no request outstanding",
            WebSocketNotUpgraded => {
                "WebSocket handshake answered without 101, `Upgrade: websocket` or \
                 `Connection: upgrade`"
            }
            WebSocketAcceptMismatch => {
                "WebSocket handshake: Sec-WebSocket-Accept missing or not derived from the key sent"
            }
            WebSocketUnrequestedExtension => {
                "WebSocket handshake: an extension or subprotocol that was not asked for"
            }
            WebSocketReservedBits => "WebSocket frame with a reserved bit set",
            WebSocketUnknownOpcode => "WebSocket frame with a reserved opcode",
            WebSocketMaskedFrame => "masked WebSocket frame from the server",
            WebSocketInvalidControlFrame => {
                "WebSocket control frame fragmented or longer than 125 bytes"
            }
            WebSocketInvalidContinuation => {
                "WebSocket continuation outside a fragmented message, or a new message inside one"
            }
            WebSocketNonMinimalLength => "WebSocket frame length not in its shortest form",
            WebSocketFrameTooLarge => "WebSocket frame payload exceeds the size cap",
            WebSocketInvalidClose => "WebSocket close frame with an invalid payload or code",
            WebSocketDataAfterClose => "bytes after the WebSocket close frame",
            TruncatedWebSocketFrame => "stream ended inside a WebSocket frame or message",
        })
    }
}

impl fmt::Display for MisuseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MisuseError::*;
        match self {
            BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            other => f.write_str(match other {
                InvalidMethod => "method is not a token",
                InvalidPathTemplate => "invalid path template",
                MissingPathParam => "path placeholder and parameters do not match",
                InvalidPathParam => "path parameter is empty, `.`, `..` or contains `/`",
                InvalidImageReference => "invalid image reference",
                InvalidQuery => "empty query key",
                InvalidHeaderName => "header name is not a token",
                InvalidHeaderValue => "header value has a control byte or surrounding whitespace",
                ReservedHeader => {
                    "header is set by the encoder (framing, Connection, Upgrade, Expect)"
                }
                DuplicateHost => "more than one Host header",
                HeadTooLarge => "request head exceeds 1 MiB",
                BodyLengthMismatch => "body length does not match Content-Length",
                BodyNotExpected => "body written where none is framed",
                InvalidState => "decoder driven out of order",
                ConnectionNotReusable => "connection is not reusable for another response",
                InvalidApiVersion => "invalid API version",
                ConnectionBusy => "connection busy: pipeline full or exclusive request",
                UnknownRequest => "no outstanding request has this id",
                BodyClosed => "no open streamed body for this request",
                NotUpgraded => "raw stream writes need an upgraded connection with open input",
                ConflictingUpgrade => "both `Upgrade: tcp` and a WebSocket handshake asked for",
                WebSocketControlFrame => {
                    "WebSocket control frame not final or longer than 125 bytes"
                }
                WebSocketCloseCode => "WebSocket close code reserved or out of range",
                BufferTooSmall { .. } => "output buffer too small",
            }),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Peer(e) => write!(f, "peer protocol violation: {e}"),
            Error::Misuse(e) => write!(f, "invalid use: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PeerError {}
#[cfg(feature = "std")]
impl std::error::Error for MisuseError {}
#[cfg(feature = "std")]
impl std::error::Error for Error {}
