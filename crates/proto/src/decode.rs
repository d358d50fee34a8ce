//! The response decoder: one HTTP/1.1 response at a time, strictly, incrementally, zero-copy.

use crate::chunked::{ChunkedDecoder, ChunkedEvent};
use crate::error::{Error, MisuseError, PeerError};
use crate::head::{
    could_be_status_line, parse_status_line, BodyKind, FieldReader, Framing, Head, Headers, Version,
};

/// Limits on everything the peer controls. The defaults are those of the conformance policy.
///
/// ```
/// let mut limits = docksock_proto::Limits::default();
/// limits.max_head_bytes = 64 * 1024;
/// let decoder = docksock_proto::ResponseDecoder::with_limits("GET", limits);
/// # let _ = decoder;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest response head (status line, fields, final empty line), in bytes. Default 16 KiB.
    pub max_head_bytes: usize,
    /// Most header fields in a head. Default 100.
    pub max_headers: usize,
    /// Largest trailer section, in bytes. Default 16 KiB.
    pub max_trailer_bytes: usize,
    /// Most trailer fields. Default 100.
    pub max_trailers: usize,
    /// Most bytes of chunk extensions in one message. Default 16 KiB.
    pub max_chunk_ext_bytes: usize,
    /// Most informational (1xx, not 101) responses before the final one. Default 5.
    pub max_informational: usize,
}

impl Limits {
    /// The default limits (see each field).
    pub const DEFAULT: Limits = Limits {
        max_head_bytes: 16 * 1024,
        max_headers: 100,
        max_trailer_bytes: 16 * 1024,
        max_trailers: 100,
        max_chunk_ext_bytes: 16 * 1024,
        max_informational: 5,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What one call of [`ResponseDecoder::decode`] did: how many input bytes it used, and the
/// event they made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Decoded<'a> {
    /// Bytes of the input used; the caller drops them before the next call.
    pub consumed: usize,
    /// What happened.
    pub event: Event<'a>,
}

/// An event of response decoding. Slices borrow the input of the call that returned them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Nothing more can be done with this input. If `consumed` is less than the input's length,
    /// the unconsumed bytes are an incomplete head or trailer section: keep them and call again
    /// with more bytes appended.
    NeedMore,
    /// An informational (1xx other than 101) response was read and skipped; the final response
    /// follows.
    Informational(Head<'a>),
    /// The head of the final response.
    Head(Head<'a>),
    /// A piece of the body. It is always the last bytes of what the call consumed
    /// (`data == &input[consumed - data.len()..consumed]`), so a driver can locate it in its
    /// own buffer by position.
    Data(&'a [u8]),
    /// The trailer section of a chunked body (only when it has fields).
    Trailers(Headers<'a>),
    /// The response is complete. `keep_alive` tells whether the connection may carry another
    /// request; when false, any bytes after the response are not the peer's to send and must
    /// be discarded.
    End {
        /// Whether the connection can be reused.
        keep_alive: bool,
    },
    /// A `101 Switching Protocols` response, or a 2xx answer to `CONNECT` (a tunnel, RFC 9112
    /// §6.3: its `Content-Length` and `Transfer-Encoding` are ignored): the decoder is done,
    /// and every byte after `consumed` belongs to the upgraded (raw) stream.
    Upgrade(Head<'a>),
}

/// A strict, incremental, zero-copy HTTP/1.1 response decoder for one connection.
///
/// It holds no buffer and allocates nothing: the caller owns the input buffer, and events
/// borrow from it. It is small and `Copy`, so an event loop can keep one per connection in a
/// map keyed by token.
///
/// # Driving it
///
/// 1. Create it with the method of the request whose response comes next:
///    [`new`](Self::new) or [`with_limits`](Self::with_limits).
/// 2. Append bytes read from the socket to your buffer, then call
///    [`decode`](Self::decode) with the unconsumed part of the buffer. Drop the
///    [`consumed`](Decoded::consumed) bytes and act on the [`Event`]:
///    * [`Event::NeedMore`] — read more bytes, append, call again (keep unconsumed bytes: an
///      incomplete head stays in your buffer until it is whole);
///    * [`Event::Informational`], [`Event::Head`], [`Event::Data`], [`Event::Trailers`] —
///      handle, then call again straight away (more may be decodable without reading);
///    * [`Event::End`] — the response is complete;
///    * [`Event::Upgrade`] — the rest of the buffer, and the socket, are the raw stream.
/// 3. When the peer closes the connection (a read returns 0), call
///    [`decode_eof`](Self::decode_eof) with the unconsumed bytes until it returns
///    `End` (a close-delimited body ends there) or an error ([`PeerError::UnexpectedEof`]:
///    the message was cut short, even if data was already delivered;
///    [`PeerError::ClosedBeforeResponse`]: not a single byte came).
/// 4. After `End { keep_alive: true }`, call [`next_response`](Self::next_response) with the
///    method of the next outstanding (pipelined) request and keep decoding the same buffer.
///
/// Any error poisons the decoder: every later call returns the same error.
///
/// # Example
///
/// ```
/// use docksock_proto::{Event, ResponseDecoder};
///
/// let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
/// let mut decoder = ResponseDecoder::new("GET");
/// let mut input = &wire[..];
/// let mut body = Vec::new();
/// loop {
///     let step = decoder.decode(input).unwrap();
///     input = &input[step.consumed..];
///     match step.event {
///         Event::Head(head) => assert_eq!(head.status(), 200),
///         Event::Data(data) => body.extend_from_slice(data),
///         Event::End { keep_alive } => {
///             assert!(keep_alive);
///             break;
///         }
///         Event::NeedMore => unreachable!("the whole response is in `wire`"),
///         _ => {}
///     }
/// }
/// assert_eq!(body, b"OK");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseDecoder {
    limits: Limits,
    head_request: bool,
    /// The request is a `CONNECT`: a 2xx answer is a tunnel (RFC 9112 §6.3 rule 2).
    connect_request: bool,
    state: State,
    /// Informational responses seen for this request.
    informational: usize,
    /// Whether any byte of this response arrived (tells `ClosedBeforeResponse` apart).
    seen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a head: up to two empty lines are skipped first, then the status line, then
    /// the fields, each line validated once as it arrives.
    Head(HeadProgress),
    Length {
        remaining: u64,
        keep_alive: bool,
    },
    Chunked {
        decoder: ChunkedDecoder,
        keep_alive: bool,
    },
    CloseDelimited,
    /// The message is complete; `End` is reported on the next call.
    Finishing {
        keep_alive: bool,
    },
    Done {
        keep_alive: bool,
    },
    Upgraded,
    Failed(Error),
}

/// How far a head has been read. Offsets count from the status line's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadProgress {
    empty_lines: u8,
    /// The status line, once it is complete.
    status: Option<StatusLine>,
    fields: FieldReader,
    framing: Framing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatusLine {
    version: Version,
    code: u16,
    /// The reason phrase's range.
    reason: (usize, usize),
    /// Length including CRLF: the fields start here.
    len: usize,
}

const HEAD_START: State = State::Head(HeadProgress {
    empty_lines: 0,
    status: None,
    fields: FieldReader::new(),
    framing: Framing::new(),
});

impl ResponseDecoder {
    /// A decoder for the response to a request with this method (only `HEAD` changes the
    /// framing), with the default [`Limits`].
    pub fn new(method: &str) -> Self {
        Self::with_limits(method, Limits::DEFAULT)
    }

    /// A decoder with explicit limits.
    pub fn with_limits(method: &str, limits: Limits) -> Self {
        ResponseDecoder {
            limits,
            head_request: method == "HEAD",
            connect_request: method == "CONNECT",
            state: HEAD_START,
            informational: 0,
            seen: false,
        }
    }

    /// The limits in force.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// True after the final `End` or `Upgrade` event.
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Done { .. } | State::Upgraded)
    }

    /// True when the response is complete and the connection may carry the next one.
    pub const fn is_reusable(&self) -> bool {
        matches!(self.state, State::Done { keep_alive: true })
    }

    /// True before the first byte of the response arrived.
    pub const fn is_idle(&self) -> bool {
        !self.seen
    }

    /// The error this decoder failed with, if it did.
    pub const fn error(&self) -> Option<Error> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Prepares for the response to the next request on the same connection (pipelined or
    /// sequential). Fails with [`MisuseError::ConnectionNotReusable`] if the last response
    /// did not leave the connection reusable, and with [`MisuseError::InvalidState`] if it is
    /// not complete yet.
    pub fn next_response(&mut self, method: &str) -> Result<(), Error> {
        match self.state {
            State::Done { keep_alive: true } => {
                *self = Self::with_limits(method, self.limits);
                Ok(())
            }
            State::Done { keep_alive: false } | State::Upgraded => {
                Err(MisuseError::ConnectionNotReusable.into())
            }
            State::Failed(e) => Err(e),
            _ => Err(MisuseError::InvalidState.into()),
        }
    }

    /// Decodes from `input`, the bytes received and not yet consumed. See the
    /// [type docs](Self) for the call order.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<'a>, Error> {
        self.run(input, false)
    }

    /// Like [`decode`](Self::decode), after the peer closed the connection: `input` is all
    /// that will ever come. Returns the remaining events, ending in `End` for a complete
    /// message, or fails with [`PeerError::UnexpectedEof`] or
    /// [`PeerError::ClosedBeforeResponse`].
    pub fn decode_eof<'a>(&mut self, input: &'a [u8]) -> Result<Decoded<'a>, Error> {
        self.run(input, true)
    }

    fn run<'a>(&mut self, input: &'a [u8], eof: bool) -> Result<Decoded<'a>, Error> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        match self.step(input, eof) {
            Ok((consumed, event)) => Ok(Decoded { consumed, event }),
            Err(e) => {
                self.state = State::Failed(e);
                Err(e)
            }
        }
    }

    fn step<'a>(&mut self, input: &'a [u8], eof: bool) -> Result<(usize, Event<'a>), Error> {
        if !input.is_empty() {
            self.seen = true;
        }
        match self.state {
            State::Head { .. } => self.head(input, eof),
            State::Length {
                remaining,
                keep_alive,
            } => {
                if input.is_empty() {
                    return if eof {
                        Err(PeerError::UnexpectedEof.into())
                    } else {
                        Ok((0, Event::NeedMore))
                    };
                }
                let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                let remaining = remaining - n as u64;
                self.state = if remaining == 0 {
                    State::Finishing { keep_alive }
                } else {
                    State::Length {
                        remaining,
                        keep_alive,
                    }
                };
                Ok((n, Event::Data(input.get(..n).unwrap_or(b"")))) // ok: n <= len
            }
            State::Chunked {
                mut decoder,
                keep_alive,
            } => {
                let (used, ev) = decoder.decode(input)?;
                let ev = match ev {
                    ChunkedEvent::NeedMore if eof => return Err(PeerError::UnexpectedEof.into()),
                    ChunkedEvent::NeedMore => Event::NeedMore,
                    ChunkedEvent::Data(d) => Event::Data(d),
                    ChunkedEvent::Trailers(t) => Event::Trailers(t),
                    ChunkedEvent::End => {
                        self.state = State::Done { keep_alive };
                        return Ok((used, Event::End { keep_alive }));
                    }
                };
                self.state = State::Chunked {
                    decoder,
                    keep_alive,
                };
                Ok((used, ev))
            }
            State::CloseDelimited => {
                if !input.is_empty() {
                    Ok((input.len(), Event::Data(input)))
                } else if eof {
                    self.state = State::Done { keep_alive: false };
                    Ok((0, Event::End { keep_alive: false }))
                } else {
                    Ok((0, Event::NeedMore))
                }
            }
            State::Finishing { keep_alive } => {
                self.state = State::Done { keep_alive };
                Ok((0, Event::End { keep_alive }))
            }
            State::Done { .. } | State::Upgraded => Err(MisuseError::InvalidState.into()),
            State::Failed(e) => Err(e),
        }
    }

    /// Reads the head of a response (informational or final) once it is complete.
    fn head<'a>(&mut self, input: &'a [u8], eof: bool) -> Result<(usize, Event<'a>), Error> {
        let State::Head(mut p) = self.state else {
            return Err(MisuseError::InvalidState.into());
        };
        // Up to two empty lines may precede the status line (RFC 9112 §2.2).
        let mut skipped = 0;
        while p.status.is_none() {
            match input.get(skipped..).unwrap_or(b"") {
                [b'\r', b'\n', ..] => {
                    if p.empty_lines == 2 {
                        return Err(PeerError::TooManyLeadingEmptyLines.into());
                    }
                    p.empty_lines += 1;
                    skipped += 2;
                }
                [b'\n', ..] => return Err(PeerError::BareLf.into()),
                [b'\r'] => {
                    self.state = State::Head(p);
                    return self.need_more(skipped, eof);
                }
                _ => break,
            }
        }
        // Nothing past the head limit is looked at: the verdict cannot depend on the splits.
        let max = self.limits.max_head_bytes;
        let all = input.get(skipped..).unwrap_or(b"");
        let buf = all.get(..max).unwrap_or(all);
        let status = match p.status {
            Some(s) => s,
            None => {
                if !could_be_status_line(buf) {
                    return Err(PeerError::InvalidStatusLine.into());
                }
                // A status line holds only field-value bytes up to its CR (checked again by
                // `parse_status_line`); any other stop falls back to searching for CR or LF.
                let run = crate::simd::value_run(buf);
                let cr = match buf.get(run) {
                    Some(b'\r' | b'\n') => run,
                    _ => match memchr::memchr2(b'\r', b'\n', buf) {
                        Some(cr) => cr,
                        None => return self.head_partial(p, skipped, buf.len(), eof),
                    },
                };
                match (buf.get(cr), buf.get(cr + 1)) {
                    (Some(b'\n'), _) => return Err(PeerError::BareLf.into()),
                    (_, None) => return self.head_partial(p, skipped, buf.len(), eof),
                    (_, Some(b'\n')) => {}
                    (_, Some(_)) => return Err(PeerError::BareCr.into()),
                }
                let line = buf.get(..cr).unwrap_or(b"");
                let (version, code, reason) = parse_status_line(line)?;
                let s = StatusLine {
                    version,
                    code,
                    reason: (cr - reason.len(), cr),
                    len: cr + 2,
                };
                p.status = Some(s);
                s
            }
        };
        let fields_buf = buf.get(status.len..).unwrap_or(b"");
        // A 2xx answer to CONNECT is a tunnel: its Content-Length and Transfer-Encoding are
        // ignored (RFC 9112 §6.3 rule 2), so they are not even checked.
        let tunnel = self.connect_request && (200..300).contains(&status.code);
        let end = p.fields.read(
            fields_buf,
            self.limits.max_headers,
            PeerError::TooManyHeaders,
            if tunnel { None } else { Some(&mut p.framing) },
        )?;
        let Some(fields_end) = end else {
            return self.head_partial(p, skipped, buf.len(), eof);
        };
        let end = status.len + fields_end;
        let framing = p.framing;
        let version = status.version;
        let reason = buf.get(status.reason.0..status.reason.1).unwrap_or(b"");
        let fields = fields_buf.get(..fields_end - 2).unwrap_or(b""); // ok: ends in the empty line
        let count = p.fields.count();
        if framing.transfer_encoding {
            if framing.content_length.is_some() {
                return Err(PeerError::ContentLengthWithTransferEncoding.into());
            }
            if version == Version::Http10 {
                return Err(PeerError::TransferEncodingInHttp10.into());
            }
        }
        let consumed = skipped + end;
        let headers = Headers::new(fields, count);
        let persistent = match version {
            Version::Http11 => !framing.close,
            Version::Http10 => framing.keep_alive && !framing.close,
        };
        let status = status.code;
        let mut head = Head {
            version,
            status,
            reason,
            headers,
            body: BodyKind::None,
            keep_alive: persistent,
        };

        if (100..200).contains(&status) && status != 101 {
            self.informational += 1;
            if self.informational > self.limits.max_informational {
                return Err(PeerError::TooManyInformational.into());
            }
            self.state = HEAD_START;
            return Ok((consumed, Event::Informational(head)));
        }
        if status == 101 || tunnel {
            head.body = BodyKind::Upgrade;
            head.keep_alive = false;
            self.state = State::Upgraded;
            return Ok((consumed, Event::Upgrade(head)));
        }
        head.body = if self.head_request || status == 204 || status == 304 {
            BodyKind::None
        } else if framing.transfer_encoding {
            BodyKind::Chunked
        } else {
            match framing.content_length {
                Some(0) => BodyKind::None,
                Some(n) => BodyKind::Length(n),
                None => BodyKind::CloseDelimited,
            }
        };
        let keep_alive = persistent && head.body != BodyKind::CloseDelimited;
        head.keep_alive = keep_alive;
        self.state = match head.body {
            BodyKind::None => State::Finishing { keep_alive },
            BodyKind::Length(remaining) => State::Length {
                remaining,
                keep_alive,
            },
            BodyKind::Chunked => State::Chunked {
                decoder: ChunkedDecoder::new(&self.limits),
                keep_alive,
            },
            BodyKind::CloseDelimited | BodyKind::Upgrade => State::CloseDelimited,
        };
        Ok((consumed, Event::Head(head)))
    }

    /// The head is not complete in `len` bytes (after `skipped` empty lines): keep the
    /// progress, or fail when the limit is reached or the peer closed.
    fn head_partial<'a>(
        &mut self,
        p: HeadProgress,
        skipped: usize,
        len: usize,
        eof: bool,
    ) -> Result<(usize, Event<'a>), Error> {
        // Not complete within `len` bytes, so the head needs at least `len + 1`.
        if len >= self.limits.max_head_bytes {
            return Err(PeerError::HeadTooLarge.into());
        }
        self.state = State::Head(p);
        self.need_more(skipped, eof)
    }

    fn need_more<'a>(&self, consumed: usize, eof: bool) -> Result<(usize, Event<'a>), Error> {
        if !eof {
            Ok((consumed, Event::NeedMore))
        } else if self.seen {
            Err(PeerError::UnexpectedEof.into())
        } else {
            Err(PeerError::ClosedBeforeResponse.into())
        }
    }
}
