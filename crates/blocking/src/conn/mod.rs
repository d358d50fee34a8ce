//! One connection to the daemon: the socket, the read buffer, and the core's
//! [`Exchange`] that owns every rule of the connection (what the bytes mean, when it may be
//! reused, whether a failed request may be retried, when it has waited too long).
//!
//! This module is the blocking I/O loop around the exchange (the socket side is in `socket`,
//! the request and decoding side here): a read or a write blocks at most
//! until the exchange's earliest deadline ([`Exchange::poll_timeout`]), computed again before
//! every system call from that absolute deadline, so an interrupted call (`EINTR`), a partial
//! read or a partial write never extends it; when it has come, [`Exchange::handle_timeout`]
//! fails the connection with the timeout's kind.
//!
//! The buffer holds the bytes received and not consumed yet, `buf[pos..end]`; the exchange is
//! given that slice, and what it consumes is dropped by advancing `pos`. Body bytes it hands
//! out stay in the buffer (`pending`) until the reader takes them; [`State::fill`] reads more
//! after `end`, compacting or (for a long head or trailer section) growing the buffer first.
//!
//! Outside [`State::fill`] the exchange is told reading is paused: a caller that takes its time
//! between two reads of a body is not a silent daemon, so the head and idle deadlines only
//! run while the client waits for bytes (the idle one starts again with each wait).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use docksock_proto::encode::{BodyFraming, ChunkFrame, RequestSpec};
use docksock_proto::exchange::{BodyMode, Config, Event, Exchange, Failure, Request, RequestId};
use docksock_proto::stdcopy::StreamKind;
use docksock_proto::timeout::{Timeout, TimeoutKind};
use docksock_proto::PeerError;

use crate::error::{Error, Result};
use crate::headers::{Keep, OwnedHead};

mod socket;
mod ssh;
#[cfg(feature = "tls")]
pub(crate) mod tls;
mod transport;

pub(crate) use socket::is_timeout_error;
pub(crate) use ssh::SshStream;
pub(crate) use transport::{bracket, connect_tcp, Stream, WriteFailure, WriteHalf};

/// Bytes asked for per read once an answer streams: the read buffer grows to this size the
/// first time one read fills it.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The read buffer a connection starts with: the short answers of most requests fit, and a
/// short-lived client does not zero (and fault in) 64 KiB it never uses.
const FIRST_READ_BUF: usize = 8 * 1024;

/// The socket path, shared by every connection for error messages.
pub(crate) type SharedPath = Arc<Path>;

/// The largest encode buffer kept with an idle connection; a larger one (a request with a big
/// inline body) is freed after use.
const MAX_KEPT_WBUF: usize = 16 * 1024;

/// Where the read side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadSide {
    Open,
    /// The peer closed (a read returned 0).
    Eof,
    /// A read failed; the bytes received before are still decoded.
    Failed,
}

/// A socket timeout as last set (`None`: never set).
type SocketTimeout = Option<Option<Duration>>;

/// What one call of the exchange gave, without borrowing the buffer.
#[derive(Debug)]
pub(crate) enum Step {
    /// Read more.
    NeedMore,
    /// The response head; `upgraded`: the connection is now the request's raw stream.
    Head { head: OwnedHead, upgraded: bool },
    /// Body (or raw stream) bytes, now [`pending`](State::take_pending).
    Data,
    /// A whole JSON message at `buf[start..end]` ([`BodyMode::Json`]).
    Message(usize, usize),
    /// A piece of a JSON message that spans reads, at `buf[start..end]`; the message is
    /// whole with the piece that says `complete`.
    Part(usize, usize, bool),
    /// A piece of a stdout/stderr frame at `buf[start..end]` ([`BodyMode::Stdcopy`]).
    Frame(StreamKind, usize, usize),
    /// A piece of the daemon's stream-3 error text at `buf[start..end]`; `true` when the
    /// frame ends with it.
    SystemError(usize, usize, bool),
    /// The response (or raw stream) ended.
    End,
    /// Nothing to hand out (trailers).
    Skip,
}

/// One connection: the socket, its read buffer and its exchange (see the module docs), boxed.
///
/// It moves on every request: out of the pool, into the response, back into the pool. Boxed,
/// that is a pointer, not the few hundred bytes of [`State`]; allocated once per connection.
pub(crate) struct Conn(Box<State>);

impl std::ops::Deref for Conn {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.0
    }
}

/// What a [`Conn`] holds.
pub(crate) struct State {
    stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Body bytes handed out by the exchange and not taken by the reader yet:
    /// `buf[pending.0..pending.1]`, always just before `pos`.
    pending: (usize, usize),
    read: ReadSide,
    write_failed: bool,
    /// The socket error met reading or writing, reported for the failure it causes.
    io_error: Option<Error>,
    /// Every rule of the connection.
    exchange: Exchange,
    /// The exchange's clock origin.
    origin: Instant,
    /// The time of the last clock reading, taken around every I/O: decoding does none, so
    /// it goes by this one.
    last: Duration,
    /// The request being answered, and the number of the next one.
    current: RequestId,
    next_id: u64,
    read_timeout: SocketTimeout,
    /// The buffer requests are encoded into, kept with the connection and reused by the next
    /// request on it (see [`take_wbuf`](Self::take_wbuf)).
    wbuf: Vec<u8>,
    /// The request whose head `wbuf` holds, when it is a plain one (see [`PlainRequest`]).
    wbuf_holds: PlainRequest,
    /// What of the next response head is copied out.
    keep: Keep,
    /// The buffer never grows past this (a head or trailer section at the decoder's limit, plus
    /// one read).
    max_buf: usize,
    path: SharedPath,
    /// The operation being run (method and path), named by its errors; the buffer is reused
    /// by each request.
    op: String,
    /// The configured write timeout.
    write_timeout_setting: Option<Duration>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("path", &self.path)
            .field("buffered", &(self.end - self.pos))
            .field("read", &self.read)
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl Conn {
    /// Connects to `path`, mapping the usual failures to messages a person can act on. The
    /// exchange's clock starts at `started` (before the connect): its connect deadline fails
    /// the first request when the connect itself took too long.
    ///
    /// A Unix-socket `connect` completes or fails at once, except when the daemon's accept
    /// backlog is full: then it waits for room, until the connect deadline at most (see
    /// [`connect_socket`]).
    pub(crate) fn connect(
        path: &SharedPath,
        max_buf: usize,
        config: Config,
        started: Instant,
    ) -> Result<Conn> {
        let deadline = config.timeouts.connect.and_then(|t| started.checked_add(t));
        let stream = Stream::Unix(connect_socket(path, deadline)?);
        Ok(Conn::new(stream, path, max_buf, config, started))
    }

    /// A connection over `stream`, already connected (`path` names it in errors).
    pub(crate) fn over(
        stream: Stream,
        path: &SharedPath,
        max_buf: usize,
        config: Config,
        started: Instant,
    ) -> Conn {
        Conn::new(stream, path, max_buf, config, started)
    }

    fn new(
        stream: Stream,
        path: &SharedPath,
        max_buf: usize,
        config: Config,
        origin: Instant,
    ) -> Conn {
        let write_timeout_setting = config.timeouts.write;
        let mut exchange = Exchange::new(config, Duration::ZERO);
        exchange.set_read_paused(true, Duration::ZERO);
        Conn(Box::new(State {
            stream,
            buf: vec![0; FIRST_READ_BUF],
            pos: 0,
            end: 0,
            pending: (0, 0),
            read: ReadSide::Open,
            write_failed: false,
            io_error: None,
            exchange,
            origin,
            last: Duration::ZERO,
            current: RequestId::new(0),
            next_id: 1,
            read_timeout: None,
            wbuf: Vec::new(),
            wbuf_holds: PlainRequest::default(),
            keep: Keep::All,
            max_buf: max_buf.max(READ_CHUNK),
            path: Arc::clone(path),
            op: String::new(),
            write_timeout_setting,
        }))
    }
}

impl State {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The operation being run on this connection (named by errors).
    pub(crate) fn operation(&self) -> &str {
        &self.op
    }

    /// Names the operation the next request runs (`name` writes it into the cleared buffer).
    pub(crate) fn set_operation(&mut self, name: &dyn Fn(&mut String)) {
        name(&mut self.op);
    }

    /// What of the next response head to copy out.
    pub(crate) fn set_keep(&mut self, keep: Keep) {
        self.keep = keep;
    }

    /// The byte stream (to split it or half-close it).
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Time on the exchange's clock, now (kept as the time of the last I/O).
    fn clock(&mut self) -> Duration {
        self.last = self.origin.elapsed();
        self.last
    }

    // ----- requests --------------------------------------------------------------------------

    /// Starts a request whose first `queued` bytes (head, and a `Content-Length` body) the
    /// caller writes next with [`write_all`](Self::write_all).
    pub(crate) fn start(&mut self, request: Request, queued: usize) -> Result<()> {
        let id = RequestId::new(self.next_id);
        let now = self.clock();
        self.exchange.start(id, request, queued, now)?;
        self.next_id += 1;
        self.current = id;
        Ok(())
    }

    /// Frames `len` bytes of the streamed body and reports them queued: the chunk-size line
    /// and the suffix to write around the data. Once a byte of a one-shot source is taken, the
    /// request may not be sent again.
    pub(crate) fn frame_body(&mut self, len: usize) -> Result<ChunkFrame> {
        let id = self.current;
        self.exchange.set_replayable(id, false)?;
        let frame = self.exchange.body_encoder(id)?.frame(len)?;
        let now = self.clock();
        self.exchange.queued(id, len + frame.overhead(), now)?;
        Ok(frame)
    }

    /// The streamed body's source is being consumed (a producer called): from here on the
    /// request may not be sent again.
    pub(crate) fn consume_body(&mut self) -> Result<()> {
        let id = self.current;
        self.exchange.set_replayable(id, false)?;
        Ok(())
    }

    /// Ends the streamed body: the bytes to write last, reported queued.
    pub(crate) fn finish_body(&mut self) -> Result<&'static [u8]> {
        let id = self.current;
        let end = self.exchange.body_encoder(id)?.finish()?;
        let now = self.clock();
        self.exchange.queued(id, end.len(), now)?;
        Ok(end)
    }

    /// Writes stdin bytes to the raw stream of an upgraded request.
    pub(crate) fn write_stream(&mut self, data: &[u8]) -> Result<()> {
        let id = self.exchange.stream_input()?;
        let now = self.clock();
        self.exchange.queued(id, data.len(), now)?;
        if self.write_all(data)? {
            return Ok(());
        }
        Err(self.io_error.take().unwrap_or_else(|| {
            Error::io(
                format!("writing to {}", self.path.display()),
                io::ErrorKind::BrokenPipe.into(),
            )
        }))
    }

    /// The raw stream's input is closed (the caller shut the socket's write side).
    pub(crate) fn close_stream_input(&mut self) {
        let _ = self.exchange.close_stream_input();
    }

    /// Changes how the rest of the body is delivered (see [`Exchange::set_body_mode`]): the
    /// bytes handed out and not taken yet are given to the exchange again.
    pub(crate) fn set_body_mode(&mut self, mode: BodyMode) -> Result<()> {
        let (start, end) = self.pending;
        debug_assert!(start == end || end == self.pos, "pending bytes end at pos");
        self.exchange
            .set_body_mode(self.current, mode, end - start)?;
        if start < end {
            self.pos = start;
        }
        self.pending = (0, 0);
        Ok(())
    }

    /// Sets the idle timeout of the request being answered (from now on; `None`: none).
    pub(crate) fn set_idle_timeout(&mut self, timeout: Option<Duration>) {
        let now = self.clock();
        let _ = self
            .exchange
            .set_idle_timeout(self.current, Timeout::from_option(timeout), now);
    }

    /// The client's write timeout (for a hijacked stream's writer, which writes on its own).
    pub(crate) fn write_timeout_setting(&self) -> Option<Duration> {
        self.write_timeout_setting
    }

    /// Whether the request that just failed may be sent again on a fresh connection (the
    /// exchange's retry rule).
    pub(crate) fn may_retry(&self) -> bool {
        self.exchange.may_retry()
    }

    /// Whether the connection may carry another request. Bytes received after the response,
    /// or the peer's close, are given to the exchange first: they are its to judge.
    pub(crate) fn is_reusable(&mut self) -> bool {
        if self.pos < self.end || self.read != ReadSide::Open {
            let _ = self.step();
        }
        self.exchange.is_reusable()
    }

    // ----- reading ---------------------------------------------------------------------------

    /// Decodes the bytes received (no I/O): one event.
    pub(crate) fn step(&mut self) -> Result<Step> {
        let now = self.last;
        let base = self.pos;
        let input = self.buf.get(self.pos..self.end).unwrap_or(&[]);
        let result = if self.read == ReadSide::Open {
            self.exchange.decode(input, now)
        } else {
            self.exchange.decode_eof(input, now)
        };
        let Ok(decoded) = result else {
            return Err(self.failure());
        };
        let end = base + decoded.consumed;
        // The exchange puts every slice at the tail of what it consumed.
        let at = |len: usize| end - len;
        let step = match decoded.event {
            Event::NeedMore => Step::NeedMore,
            Event::Head { head, .. } => Step::Head {
                head: OwnedHead::new(&head, self.keep),
                upgraded: false,
            },
            Event::Upgraded { head, .. } => Step::Head {
                head: OwnedHead::new(&head, Keep::All),
                upgraded: true,
            },
            Event::Data { data, .. } | Event::Raw { data, .. } => {
                self.pending = (at(data.len()), end);
                Step::Data
            }
            Event::Message { message, .. } => Step::Message(at(message.len()), end),
            Event::MessagePart { part, complete, .. } => Step::Part(at(part.len()), end, complete),
            Event::Frame { stream, data, .. } => Step::Frame(stream, at(data.len()), end),
            Event::SystemError {
                text, frame_end, ..
            } => Step::SystemError(at(text.len()), end, frame_end),
            Event::End { .. } | Event::Closed => Step::End,
            _ => Step::Skip,
        };
        self.pos = end;
        Ok(step)
    }

    /// The next event, reading from the socket as needed.
    pub(crate) fn next_event(&mut self) -> Result<Step> {
        loop {
            match self.step()? {
                Step::NeedMore if self.read != ReadSide::Open => {
                    // The exchange always answers at the end of the input.
                    let e =
                        Error::Unexpected("the connection ended and the response did not".into());
                    return Err(self.explained(e));
                }
                Step::NeedMore => self.fill()?,
                step => return Ok(step),
            }
        }
    }

    /// The response head, if the bytes received hold it (no I/O).
    pub(crate) fn poll_head(&mut self) -> Result<Option<(OwnedHead, bool)>> {
        loop {
            match self.step()? {
                Step::NeedMore => return Ok(None),
                Step::Head { head, upgraded } => return Ok(Some((head, upgraded))),
                Step::Skip => {}
                _ => {
                    return Err(Error::Unexpected(
                        "body event before the response head".into(),
                    ))
                }
            }
        }
    }

    /// The response head, reading until it is whole.
    pub(crate) fn read_head(&mut self) -> Result<(OwnedHead, bool)> {
        loop {
            // Nothing received yet on an open connection: nothing to decode, read first.
            let idle = self.pos == self.end && self.read == ReadSide::Open;
            if !idle || self.exchange.is_closed() {
                if let Some(head) = self.poll_head()? {
                    return Ok(head);
                }
            }
            if self.read != ReadSide::Open {
                let e = Error::Unexpected("the connection ended before the response head".into());
                return Err(self.explained(e));
            }
            // Called straight after the request was written, and between two reads here only
            // decoding happens: the time of the last I/O is now.
            self.fill_at(self.last)?;
        }
    }

    /// True when body bytes wait to be taken.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.0 < self.pending.1
    }

    /// Takes up to `max` pending body bytes.
    pub(crate) fn take_pending(&mut self, max: usize) -> &[u8] {
        let (start, end) = self.pending;
        let stop = end.min(start.saturating_add(max));
        self.pending.0 = stop;
        self.buf.get(start..stop).unwrap_or(&[])
    }

    /// The pending body bytes, without taking them (see
    /// [`consume_pending`](Self::consume_pending)).
    pub(crate) fn pending_bytes(&self) -> &[u8] {
        self.buf.get(self.pending.0..self.pending.1).unwrap_or(&[])
    }

    /// Takes the first `n` pending body bytes (at most all of them).
    pub(crate) fn consume_pending(&mut self, n: usize) {
        self.pending.0 = self.pending.1.min(self.pending.0.saturating_add(n));
    }

    /// The buffer bytes `start..end` (positions from a [`Step`]).
    pub(crate) fn buffered(&self, start: usize, end: usize) -> &[u8] {
        self.buf.get(start..end).unwrap_or(&[])
    }

    /// The encode buffer for `spec`, the next request on this connection: `true` with the
    /// head it holds when that is `spec`'s already (the same plain request as the one before,
    /// so the operation's name is the same too), else `false` with the buffer emptied. The
    /// connection keeps an empty one until [`set_wbuf`](Self::set_wbuf) gives it back.
    pub(crate) fn take_wbuf(&mut self, spec: &RequestSpec<'_>) -> (Vec<u8>, bool) {
        let mut buf = std::mem::take(&mut self.wbuf);
        if self.wbuf_holds.is(spec) {
            // Until it is given back, the connection holds no head.
            self.wbuf_holds.set = false;
            return (buf, true);
        }
        self.wbuf_holds.forget();
        buf.clear();
        (buf, false)
    }

    /// Gives back the buffer [`take_wbuf`](Self::take_wbuf) found holding the head asked for,
    /// unchanged.
    pub(crate) fn keep_wbuf(&mut self, buf: Vec<u8>) {
        self.wbuf = buf;
        // The request's parts are still there (a method is never empty).
        self.wbuf_holds.set = !self.wbuf_holds.text.is_empty();
    }

    /// Keeps `buf`, holding the head of `spec` when that is given (and nothing after it), as
    /// the encode buffer for the next request (unless it grew large).
    pub(crate) fn set_wbuf(&mut self, buf: Vec<u8>, spec: Option<&RequestSpec<'_>>) {
        if buf.capacity() > MAX_KEPT_WBUF {
            self.wbuf_holds.forget();
            return;
        }
        self.wbuf = buf;
        match spec {
            Some(spec) => self.wbuf_holds.remember(spec),
            None => self.wbuf_holds.forget(),
        }
    }

    // ----- failures ---------------------------------------------------------------------------

    /// The error for the failure that closed the exchange (the requests it leaves unanswered
    /// are drained).
    fn failure(&mut self) -> Error {
        let mut failure = self.exchange.failure();
        while let Some(failed) = self.exchange.poll_failed() {
            if failed.id == self.current {
                failure = Some(failed.failure);
            }
        }
        let e = match failure {
            Some(Failure::Timeout(kind)) => Error::timeout(kind),
            Some(Failure::Peer(PeerError::UnexpectedEof | PeerError::ClosedBeforeResponse))
                if self.io_error.is_some() =>
            {
                self.take_io_error()
            }
            Some(Failure::Peer(
                p @ (PeerError::UnexpectedEof | PeerError::ClosedBeforeResponse),
            )) => {
                let e = docksock_proto::Error::from(p).into();
                self.explained(e)
            }
            Some(Failure::Peer(p)) => docksock_proto::Error::from(p).into(),
            Some(Failure::Io { .. }) => self.take_io_error(),
            Some(Failure::Misuse(m)) => docksock_proto::Error::from(m).into(),
            Some(other) => Error::Unexpected(format!("the connection failed: {other}")),
            None => Error::Unexpected("the connection was closed".into()),
        };
        e.in_operation(&self.op)
    }

    fn take_io_error(&mut self) -> Error {
        let e = self.io_error.take().unwrap_or_else(|| {
            Error::io(
                format!("using {}", self.path.display()),
                io::Error::other("the connection failed"),
            )
        });
        self.explained(e)
    }

    /// `e`, with what the transport said when it ended (ssh's exit status and stderr) when it
    /// said something.
    pub(crate) fn explained(&mut self, e: Error) -> Error {
        match self.stream.diagnostics() {
            Some(said) => Error::io(
                said,
                io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string()),
            ),
            None => e,
        }
    }
}

/// A plain request (no path parameter, query, extra header, body, `Expect`, upgrade key) as
/// what its head is made of, owned: a keep-alive connection sending the same one again (a
/// ping, a poll) reuses the head it encoded for it last time instead of encoding it again.
/// The head is a function of these fields alone (encoding is deterministic), so equal fields
/// mean an equal head.
#[derive(Debug, Default)]
struct PlainRequest {
    /// Method, path template, base path and `Host`, one after the other.
    text: String,
    /// The lengths of the first three in `text`, and of the `Host` when set.
    lens: [usize; 3],
    host: Option<usize>,
    api_version: Option<docksock_proto::version::ApiVersion>,
    upgrade: bool,
    /// Whether the fields above describe the buffer's head.
    set: bool,
}

impl PlainRequest {
    /// `spec`'s parts when it is plain.
    fn parts<'s>(spec: &RequestSpec<'s>) -> Option<[&'s str; 4]> {
        // Every field named: a field added to the spec does not go unnoticed here.
        let RequestSpec {
            method,
            path,
            params,
            query,
            headers,
            api_version: _,
            body,
            upgrade: _,
            expect_continue,
            websocket,
            base_path,
            host,
        } = *spec;
        let plain = params.is_empty()
            && query.is_empty()
            && headers.is_empty()
            && body == BodyFraming::None
            && !expect_continue
            && websocket.is_none();
        plain.then_some([method, path, base_path, host.unwrap_or_default()])
    }

    /// Whether the buffer holds `spec`'s head.
    fn is(&self, spec: &RequestSpec<'_>) -> bool {
        if !self.set || self.api_version != spec.api_version || self.upgrade != spec.upgrade {
            return false;
        }
        let Some(parts) = Self::parts(spec) else {
            return false;
        };
        if self.host != spec.host.map(str::len) {
            return false;
        }
        // The lengths first (cheap), then the bytes.
        let lens = self.lens.iter().chain(self.host.iter());
        if !parts.iter().zip(lens).all(|(part, len)| part.len() == *len) {
            return false;
        }
        let mut rest = self.text.as_bytes();
        for part in parts {
            match rest.split_at_checked(part.len()) {
                Some((kept, after)) if kept == part.as_bytes() => rest = after,
                _ => return false,
            }
        }
        rest.is_empty()
    }

    /// The buffer now holds `spec`'s head (and nothing after it).
    fn remember(&mut self, spec: &RequestSpec<'_>) {
        self.forget();
        let Some(parts) = Self::parts(spec) else {
            return;
        };
        for (part, len) in parts.iter().zip(self.lens.iter_mut()) {
            self.text.push_str(part);
            *len = part.len();
        }
        if let Some(host) = spec.host {
            self.text.push_str(host);
            self.host = Some(host.len());
        }
        self.api_version = spec.api_version;
        self.upgrade = spec.upgrade;
        self.set = true;
    }

    fn forget(&mut self) {
        self.text.clear();
        self.host = None;
        self.set = false;
    }
}

/// Connects a Unix stream socket to `path` (any bytes: the path is passed to the kernel as it
/// is), waiting for room in the daemon's accept backlog until `deadline` at most.
///
/// `std` cannot bound that wait: `UnixStream::connect` creates and connects the socket in one
/// call. Here the socket is created first (`rustix`), and its send timeout — which is what
/// bounds a Unix-socket `connect` waiting on a full backlog in the kernel — is set to the time
/// left before each attempt: an interrupted connect (`EINTR`) or one the timeout ended
/// (`EAGAIN`) is tried again with what remains of the same deadline, never a fresh timeout. A
/// non-blocking connect and `poll` would not do for a Unix socket: the connect fails with
/// `EAGAIN` at once and the unconnected socket polls writable.
fn connect_socket(
    path: &Path,
    deadline: Option<Instant>,
) -> Result<std::os::unix::net::UnixStream> {
    use rustix::io::Errno;
    use rustix::net::{sockopt, AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

    let addr = SocketAddrUnix::new(path).map_err(|e| connect_error(path, e.into()))?;
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| connect_error(path, e.into()))?;
    loop {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::timeout(TimeoutKind::Connect));
            }
            sockopt::set_socket_timeout(
                &fd,
                sockopt::Timeout::Send,
                Some(socket::socket_timeout(left)),
            )
            .map_err(|e| connect_error(path, e.into()))?;
        }
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => break,
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) if deadline.is_some() => {}
            Err(e) => return Err(connect_error(path, e.into())),
        }
    }
    if deadline.is_some() {
        sockopt::set_socket_timeout(&fd, sockopt::Timeout::Send, None)
            .map_err(|e| connect_error(path, e.into()))?;
    }
    Ok(std::os::unix::net::UnixStream::from(fd))
}

/// An actionable error for a failed connect.
fn connect_error(path: &Path, e: io::Error) -> Error {
    let p = path.display();
    let hint = match e.kind() {
        io::ErrorKind::NotFound => {
            let candidates = crate::config::socket_candidates();
            if candidates.iter().any(|c| c == path) {
                // The discovered default: say every path that was looked at.
                let tried: Vec<String> =
                    candidates.iter().map(|c| c.display().to_string()).collect();
                Some(format!(
                    "no Docker socket at {p} (looked for {}): is dockerd (or podman system \
                     service) running?",
                    tried.join(", ")
                ))
            } else {
                Some(format!("no Docker socket at {p}: is dockerd running?"))
            }
        }
        io::ErrorKind::PermissionDenied => Some(format!(
            "permission denied on {p}: add your user to the docker group or run as root"
        )),
        io::ErrorKind::ConnectionRefused => {
            Some(format!("nothing is listening on {p} (stale socket?)"))
        }
        _ if is_timeout_error(&e) => return Error::timeout(TimeoutKind::Connect),
        _ => None,
    };
    Error::io(hint.unwrap_or_else(|| format!("connecting to {p}")), e)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A connection over a socket pair, for the tests of this module and its children.

    use super::*;
    use std::os::unix::net::UnixStream;

    pub(crate) fn pair(config: Config) -> (Conn, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        let path: SharedPath = Arc::from(Path::new("/test.sock"));
        (
            Conn::new(Stream::Unix(a), &path, 0, config, Instant::now()),
            b,
        )
    }

    /// Starts a `GET` and writes it; the peer reads it.
    pub(crate) fn get(conn: &mut Conn, peer: &mut UnixStream) {
        let req = b"GET / HTTP/1.1\r\n\r\n";
        conn.start(Request::new("GET"), req.len()).unwrap();
        assert!(conn.write_all(req).unwrap());
        let mut got = [0u8; 18];
        std::io::Read::read_exact(peer, &mut got).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{get, pair};
    use super::*;
    use std::io::Write;

    #[test]
    fn missing_default_socket_names_every_path_looked_at() {
        let e = io::Error::from(io::ErrorKind::NotFound);
        let text = connect_error(Path::new("/run/podman/podman.sock"), e).to_string();
        assert!(
            text.contains("no Docker socket at /run/podman/podman.sock"),
            "{text}"
        );
        assert!(
            text.contains("looked for /var/run/docker.sock, ") && text.contains("is dockerd"),
            "{text}"
        );
        assert!(!text.contains("scripts/"), "{text}");
        let e = io::Error::from(io::ErrorKind::NotFound);
        let text = connect_error(Path::new("/elsewhere.sock"), e).to_string();
        assert!(!text.contains("looked for"), "{text}");
    }

    #[test]
    fn a_response_is_read_and_leaves_the_connection_reusable() {
        let (mut conn, mut peer) = pair(Config::DEFAULT);
        get(&mut conn, &mut peer);
        peer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
            .unwrap();
        let (head, upgraded) = conn.read_head().unwrap();
        assert_eq!((head.status, upgraded), (200, false));
        assert!(matches!(conn.next_event().unwrap(), Step::Data));
        assert_eq!(conn.take_pending(2), b"ab");
        assert_eq!(conn.take_pending(9), b"c");
        assert!(matches!(conn.next_event().unwrap(), Step::End));
        assert!(conn.is_reusable());
        // Bytes nobody asked for: the exchange refuses to reuse the connection.
        get(&mut conn, &mut peer);
        peer.write_all(b"HTTP/1.1 204 No Content\r\n\r\nextra")
            .unwrap();
        conn.read_head().unwrap();
        assert!(matches!(conn.next_event().unwrap(), Step::End));
        assert!(!conn.is_reusable());
    }

    #[test]
    fn the_encode_buffer_is_kept_unless_large() {
        let (mut conn, _peer) = pair(Config::DEFAULT);
        let spec = RequestSpec::new("GET", "/_ping");
        let (mut buf, held) = conn.take_wbuf(&spec);
        assert!(!held);
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let ptr = buf.as_ptr();
        conn.set_wbuf(buf, None);
        let (again, held) = conn.take_wbuf(&spec);
        assert!(again.is_empty() && !held);
        assert_eq!(again.as_ptr(), ptr, "the same allocation");
        conn.set_wbuf(Vec::with_capacity(MAX_KEPT_WBUF + 1), Some(&spec));
        let (buf, held) = conn.take_wbuf(&spec);
        assert_eq!((buf.capacity(), held), (0, false));
    }

    /// The head kept for a plain request is used again for an equal one only.
    #[test]
    fn a_kept_head_is_used_again_for_the_same_plain_request_only() {
        use docksock_proto::encode::PathParam;
        use docksock_proto::version::ApiVersion;

        let (mut conn, _peer) = pair(Config::DEFAULT);
        let v41 = Some(ApiVersion::new(1, 41));
        let ping = RequestSpec::new("GET", "/_ping").api_version(v41);
        let encoded = |spec: &RequestSpec<'_>| {
            let mut out = Vec::new();
            spec.encode_vec(&mut out).unwrap();
            out
        };
        // Keeps `spec`'s head, then asks for `next`: the head back, or an empty buffer.
        let mut kept_for = |spec: &RequestSpec<'_>, next: &RequestSpec<'_>| {
            let conn = &mut conn;
            let (mut buf, _) = conn.take_wbuf(spec);
            buf.clear();
            buf.extend_from_slice(&encoded(spec));
            conn.set_wbuf(buf, Some(spec));
            let (buf, held) = conn.take_wbuf(next);
            assert_eq!(held, !buf.is_empty());
            if held {
                assert_eq!(buf, encoded(next), "{next:?}");
            }
            held
        };
        assert!(kept_for(&ping, &ping));
        assert!(kept_for(
            &ping,
            &RequestSpec::new("GET", "/_ping").api_version(v41)
        ));
        let with_host = ping.host(Some("docker:2375")).base_path("/base");
        assert!(kept_for(&with_host, &with_host));
        // Any part that differs.
        let params = [("id", PathParam::Plain("web"))];
        let query = [("all", "1")];
        let headers = [("X-A", "1")];
        let others = [
            RequestSpec::new("HEAD", "/_ping").api_version(v41),
            RequestSpec::new("GET", "/_pin").api_version(v41),
            RequestSpec::new("GET", "/_ping"),
            RequestSpec::new("GET", "/_ping").api_version(Some(ApiVersion::new(1, 42))),
            ping.host(Some("docker:2375")),
            ping.host(Some("docker")),
            ping.base_path("/base"),
            ping.upgrade(true),
            with_host.host(Some("docker:2376")),
            with_host.base_path("/bas"),
            with_host.api_version(None),
        ];
        for (i, a) in others.iter().enumerate() {
            assert!(!kept_for(&ping, a), "{a:?}");
            assert!(!kept_for(a, &ping), "{a:?}");
            for (j, b) in others.iter().enumerate() {
                assert_eq!(kept_for(a, b), i == j, "{a:?} then {b:?}");
            }
        }
        // Requests that are not plain are never taken for the one before.
        let not_plain = [
            RequestSpec::new("GET", "/containers/{id}/json").params(&params),
            ping.query(&query),
            ping.headers(&headers),
            ping.body(BodyFraming::Length(2)),
            ping.websocket(Some([7; 16])),
        ];
        for spec in &not_plain {
            assert!(!kept_for(spec, spec), "{spec:?}");
        }
        // A buffer given back without its request, or with a body after the head, is
        // forgotten.
        assert!(kept_for(&ping, &ping));
        conn.set_wbuf(encoded(&ping), Some(&ping));
        conn.set_wbuf(Vec::new(), None);
        assert!(!conn.take_wbuf(&ping).1);
        // A head taken is there for the next request once given back unchanged...
        conn.set_wbuf(encoded(&ping), Some(&ping));
        let (buf, held) = conn.take_wbuf(&ping);
        assert!(held);
        conn.keep_wbuf(buf);
        let (buf, held) = conn.take_wbuf(&ping);
        assert!(held);
        assert_eq!(buf, encoded(&ping));
        // ...and not before (the buffer left with the connection is empty): it is forgotten.
        assert!(!conn.take_wbuf(&ping).1, "taken already");
        conn.keep_wbuf(buf);
        assert!(!conn.take_wbuf(&ping).1);
    }
}
