//! [`Connection`]: one Unix-socket connection to the daemon, driven by the caller's readiness
//! events and clock.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::time::{Duration, Instant};

use docksock_proto::encode::{BodyEncoder, BodyFraming};
use docksock_proto::json::JsonSplitter;
use docksock_proto::stdcopy::{Demuxer, Frame, StreamKind};
use docksock_proto::{BodyKind, Event, PeerError, ResponseDecoder, Version};
use mio::event::Event as MioEvent;
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};

use crate::error::{Error, SendError, TimeoutKind};
use crate::output::{Output, RequestId, ResponseHead};
use crate::request::{BodyMode, BodySource, Config, Request};

/// Framing bytes a chunk may add around body data (hex size, CRLF, CRLF).
const CHUNK_OVERHEAD: usize = 32;

/// Counters of what a connection did on its socket. For tests, tuning and curiosity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Successful `read` calls that returned bytes.
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Successful `write` calls.
    pub writes: u64,
    /// Writes that took fewer bytes than offered.
    pub partial_writes: u64,
    /// Writes that hit `WouldBlock` (the rest waited for writability).
    pub write_would_block: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Times reading stopped because the read buffer was full of unconsumed bytes.
    pub read_pauses: u64,
    /// The most bytes ever held in the read buffer.
    pub peak_buffered: usize,
}

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// HTTP responses, decoded by the core.
    Http,
    /// After a `101`: every byte is the front request's raw stream.
    Upgraded,
    /// Closed: only queued events remain.
    Closed,
}

/// Where a request is in its exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    AwaitHead,
    Body,
    Upgraded,
}

/// A streamed request body.
#[derive(Debug, Clone, Copy)]
struct StreamedBody {
    encoder: BodyEncoder,
    /// The response arrived before the body was finished: the rest is not sent and the
    /// connection closes after the response.
    abandoned: bool,
}

/// Request `id`'s `want_write_ready` flag and its streamed body, if the body is still open
/// for writing.
fn open_body(
    inflight: &mut VecDeque<InFlight>,
    id: RequestId,
) -> Result<(&mut bool, &mut StreamedBody), SendError> {
    let req = inflight
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or(SendError::NoStreamedBody)?;
    let body = req.body.as_mut().ok_or(SendError::NoStreamedBody)?;
    if body.abandoned || body.encoder.is_finished() {
        return Err(SendError::BodyDone);
    }
    Ok((&mut req.want_write_ready, body))
}

/// One outstanding request.
#[derive(Debug)]
struct InFlight {
    id: RequestId,
    head_method: bool,
    mode: BodyMode,
    exclusive: bool,
    stage: Stage,
    /// Absolute write offset where the request ends; `None` while a streamed body is open.
    end_offset: Option<u64>,
    /// When the last byte of the request was written.
    sent_at: Option<Instant>,
    head_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    body: Option<StreamedBody>,
    /// The body mode applies (2xx or 101); otherwise bodies are plain data.
    streaming: bool,
    splitter: JsonSplitter,
    demux: Option<Demuxer>,
    /// A body or stdin write was cut short: send `WriteReady` when the queue drains.
    want_write_ready: bool,
    /// Stdin was half-closed (upgraded streams).
    stdin_closed: bool,
    /// Close the connection after this response.
    close_after: bool,
}

/// An event ready to be handed out, described by ranges so that no borrow is held while it is
/// being found.
#[derive(Debug, Clone, Copy)]
enum Pending {
    Head {
        id: RequestId,
        start: usize,
        end: usize,
        version: Version,
        status: u16,
        body: BodyKind,
        keep_alive: bool,
    },
    Data {
        id: RequestId,
        start: usize,
        end: usize,
    },
    Json {
        id: RequestId,
        start: usize,
        end: usize,
    },
    JsonAssembled {
        id: RequestId,
    },
    Frame {
        id: RequestId,
        stream: StreamKind,
        start: usize,
        end: usize,
    },
    SystemError {
        id: RequestId,
        start: usize,
        end: usize,
    },
    Upgraded {
        id: RequestId,
    },
    End {
        id: RequestId,
    },
    WriteReady {
        id: RequestId,
    },
    Error {
        id: RequestId,
        error: Error,
    },
    Closed {
        error: Option<Error>,
    },
}

/// One connection to the daemon: a non-blocking [`mio::net::UnixStream`], a fixed-size read
/// buffer, the core's [`ResponseDecoder`], and a write queue. It does no I/O of its own
/// accord, has no threads and reads no clock: the caller's event loop hands it readiness events
/// and the time.
///
/// # Call order
///
/// Inputs are `handle_*`, outputs are `poll_*`:
///
/// 1. Create it with [`connect`](Self::connect) (or [`from_stream`](Self::from_stream)) and
///    [`register`](Self::register) it in your [`mio::Poll`] with a [`Token`] of your choosing.
/// 2. [`send`](Self::send) requests (several may be pipelined, see [`can_send`](Self::can_send));
///    stream bodies with [`write_body`](Self::write_body)/[`finish_body`](Self::finish_body).
///    Writing starts at once; what the socket does not take is written on writability.
/// 3. Each loop iteration:
///    * wait with `Poll::poll`, its timeout being the earliest [`next_deadline`](Self::next_deadline)
///      of your connections (a deadline in the past means "at once");
///    * for each mio event with this connection's token, call
///      [`handle_event`](Self::handle_event) (or [`handle_readable`](Self::handle_readable) /
///      [`handle_writable`](Self::handle_writable));
///    * call [`handle_timeout`](Self::handle_timeout) (cheap when nothing is due; it fires expired
///      deadlines and resumes reading after back-pressure);
///    * drain the outputs: `while let Some(out) = conn.poll_event() { ... }`. Events borrow the
///      connection's buffer, so `send` only after the loop (collect what to send).
/// 4. After [`Output::Closed`], drop the connection (its socket is already closed).
///
/// Spurious wake-ups are harmless: every `handle_*` call just tries and stops at `WouldBlock`.
/// `Interrupted` is retried.
///
/// # Back-pressure
///
/// Reading stops when the read buffer (fixed, [`Config::read_buffer`]) is full of bytes not yet
/// turned into events, so a consumer that does not call `poll_event` holds the daemon back
/// instead of making this connection grow. Once events are taken, `next_deadline` returns a past
/// instant so that the next `handle_timeout` resumes reading.
///
/// # Pipelining and reuse
///
/// Requests are written back to back; the FIFO of outstanding requests tells the decoder which
/// method the next response answers. Nothing is pipelined behind an exclusive request (upgrade,
/// streamed body, [`Request::exclusive`]). After a response the connection is reused only when
/// the decoder says so (`End { keep_alive: true }`); otherwise it closes, and requests pipelined
/// behind get [`Error::NotAnswered`].
///
/// # Example
///
/// See the [crate docs](crate) for a complete loop.
#[derive(Debug)]
pub struct Connection {
    stream: Option<UnixStream>,
    token: Option<Token>,
    /// The interest currently registered.
    interest: Option<Interest>,
    config: Config,

    /// The read buffer: allocated on first use and grown (doubling from 4 KiB) up to
    /// `read_cap`, so idle connections cost little memory.
    rbuf: Vec<u8>,
    read_cap: usize,
    /// Start of bytes still needed (a pending piece, or undecoded bytes).
    rhead: usize,
    /// Bytes before this were given to the decoder (or the raw stream).
    dpos: usize,
    /// End of received bytes.
    rend: usize,
    /// Body bytes decoded but not yet fully split into JSON messages or frames.
    piece: Option<(usize, usize)>,
    json_buf: Vec<u8>,
    json_buf_stale: bool,
    eof: bool,
    read_error: Option<io::ErrorKind>,
    /// Reading stopped with the buffer full (the socket may hold more).
    read_blocked: bool,

    phase: Phase,
    decoder: Option<ResponseDecoder>,
    inflight: VecDeque<InFlight>,
    /// When the front request started waiting for its response (the previous one ended).
    front_since: Instant,

    wq: Vec<u8>,
    wpos: usize,
    /// Bytes written since the start.
    written: u64,
    /// Bytes ever queued.
    queued: u64,
    shutdown_pending: bool,
    write_shut: bool,
    /// The connection closes after the current response: nothing more may be sent.
    closing: bool,
    write_error: Option<io::ErrorKind>,
    connected: bool,

    pending: VecDeque<Pending>,
    closed_delivered: bool,

    created: Instant,
    last_now: Instant,
    last_read: Instant,
    last_write: Instant,
    stats: Stats,
}

impl Connection {
    /// Connects to the daemon's socket at `path` (non-blocking). On Linux a Unix-socket connect
    /// completes or fails at once: `ECONNREFUSED` (nobody listens), `ENOENT`, or `WouldBlock`
    /// (`EAGAIN`: the listener's backlog is full — retry later).
    ///
    /// # Errors
    ///
    /// The `connect` error.
    pub fn connect(path: impl AsRef<Path>, config: Config, now: Instant) -> io::Result<Connection> {
        let stream = UnixStream::connect(path)?;
        Ok(Connection::from_stream(stream, config, now))
    }

    /// Wraps a connected (or connecting) non-blocking stream.
    pub fn from_stream(stream: UnixStream, config: Config, now: Instant) -> Connection {
        let cap = config.effective_read_buffer();
        Connection {
            stream: Some(stream),
            token: None,
            interest: None,
            config,
            rbuf: Vec::new(),
            read_cap: cap,
            rhead: 0,
            dpos: 0,
            rend: 0,
            piece: None,
            json_buf: Vec::new(),
            json_buf_stale: false,
            eof: false,
            read_error: None,
            read_blocked: false,
            phase: Phase::Http,
            decoder: None,
            inflight: VecDeque::new(),
            front_since: now,
            wq: Vec::new(),
            wpos: 0,
            written: 0,
            queued: 0,
            shutdown_pending: false,
            write_shut: false,
            closing: false,
            write_error: None,
            connected: false,
            pending: VecDeque::new(),
            closed_delivered: false,
            created: now,
            last_now: now,
            last_read: now,
            last_write: now,
            stats: Stats::default(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Socket counters.
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The token given to [`register`](Self::register).
    pub const fn token(&self) -> Option<Token> {
        self.token
    }

    /// The socket, for inspection (`peer_addr`, …). `None` once closed. Do not read or write it.
    pub const fn stream(&self) -> Option<&UnixStream> {
        self.stream.as_ref()
    }

    /// Registers the socket with `registry` under `token`: readable always, writable only
    /// while there is something to write.
    ///
    /// # Errors
    ///
    /// The registration error (also when called twice).
    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want = self.wanted_interest();
        let Some(stream) = self.stream.as_mut() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        registry.register(stream, token, want)?;
        self.token = Some(token);
        self.interest = Some(want);
        Ok(())
    }

    /// Removes the socket from `registry`. Not needed before dropping: closing the socket
    /// removes it.
    ///
    /// # Errors
    ///
    /// The deregistration error.
    pub fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.token = None;
        self.interest = None;
        match self.stream.as_mut() {
            Some(stream) => registry.deregister(stream),
            None => Ok(()),
        }
    }

    /// Requests sent and not yet answered completely.
    pub fn outstanding(&self) -> usize {
        self.inflight.len()
    }

    /// True when the socket is closed (events may still wait in [`poll_event`](Self::poll_event)).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// True once [`Output::Closed`] has been handed out: drop the connection.
    pub const fn is_finished(&self) -> bool {
        self.closed_delivered
    }

    /// True when the connection is open, has nothing outstanding or queued, and the last
    /// response left it reusable: the clean-connection rule for putting it back in a pool.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Http
            && self.inflight.is_empty()
            && self.wq.len() == self.wpos
            && self.pending.is_empty()
            && !self.eof
            && self.write_error.is_none()
            && self.dpos == self.rend
            && self.decoder.map_or(true, |d| d.is_reusable())
    }

    /// Whether [`send`](Self::send) would accept `request` now: the connection is open, the
    /// pipeline has room ([`Config::max_in_flight`]) and no outstanding request is exclusive.
    pub fn can_send(&self, request: &Request<'_>) -> bool {
        let _ = request;
        self.phase == Phase::Http
            && !self.eof
            && self.write_error.is_none()
            && !self.write_shut
            && !self.closing
            && self.inflight.len() < self.config.max_in_flight.max(1)
            && !self.inflight.iter().any(|r| r.exclusive)
            && (!self.inflight.is_empty() || self.decoder.map_or(true, |d| d.is_reusable()))
    }

    /// Encodes `request` into the write queue and starts writing it. Returns its id; its events
    /// carry that id.
    ///
    /// # Errors
    ///
    /// [`SendError::Encode`] for an invalid request, [`SendError::Busy`] when
    /// [`can_send`](Self::can_send) is false (pipeline full or behind an exclusive request),
    /// [`SendError::Closed`] when the connection is closed or its write side failed. Nothing
    /// is queued then.
    pub fn send(
        &mut self,
        registry: &Registry,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<RequestId, SendError> {
        self.last_now = now;
        if self.phase != Phase::Http
            || self.eof
            || self.write_error.is_some()
            || self.write_shut
            || self.closing
        {
            return Err(SendError::Closed);
        }
        if !self.can_send(request) {
            return Err(SendError::Busy);
        }
        let spec = &request.spec;
        let before = self.wq.len();
        let streamed = match request.body {
            BodySource::Spec => {
                spec.encode_vec(&mut self.wq).map_err(SendError::Encode)?;
                None
            }
            BodySource::Full(body) => {
                spec.encode_with_body(body, &mut self.wq)
                    .map_err(SendError::Encode)?;
                None
            }
            BodySource::Streamed => {
                if !matches!(spec.body, BodyFraming::Chunked | BodyFraming::Length(_)) {
                    return Err(SendError::Encode(
                        docksock_proto::MisuseError::BodyNotExpected.into(),
                    ));
                }
                spec.encode_vec(&mut self.wq).map_err(SendError::Encode)?;
                Some(StreamedBody {
                    encoder: spec.body_encoder(),
                    abandoned: false,
                })
            }
        };
        let queued_before = self.queued;
        self.enqueued(before, now);
        let head_method = spec.method == "HEAD";
        if self.inflight.is_empty() {
            let method = spec.method;
            match self.decoder.as_mut() {
                None => {
                    self.decoder = Some(ResponseDecoder::with_limits(method, self.config.limits));
                }
                Some(d) => {
                    if d.next_response(method).is_err() {
                        // Unreachable by `can_send`; keep the queue consistent anyway.
                        self.wq.truncate(before);
                        self.queued = queued_before;
                        return Err(SendError::Closed);
                    }
                }
            }
            self.front_since = now;
        }
        let id = RequestId::next();
        let mode = request.mode;
        self.inflight.push_back(InFlight {
            id,
            head_method,
            mode,
            exclusive: request.is_exclusive(),
            stage: Stage::AwaitHead,
            end_offset: streamed.is_none().then_some(self.queued),
            sent_at: None,
            head_timeout: request.head_timeout.unwrap_or(self.config.head_timeout),
            idle_timeout: request.idle_timeout.unwrap_or(self.config.idle_timeout),
            body: streamed,
            streaming: false,
            splitter: JsonSplitter::new(self.config.max_json_message),
            demux: match mode {
                BodyMode::Stdcopy(m) => Some(Demuxer::new(m)),
                _ => None,
            },
            want_write_ready: false,
            stdin_closed: false,
            close_after: false,
        });
        self.flush(registry, now);
        Ok(id)
    }

    /// Queues up to `data.len()` bytes of the streamed body of request `id` and starts writing
    /// them. Returns how many bytes were taken: fewer than offered (possibly 0) when the write
    /// queue is full ([`Config::write_buffer`]); then [`Output::WriteReady`] tells when to offer
    /// the rest.
    ///
    /// # Errors
    ///
    /// [`SendError::NoStreamedBody`], [`SendError::BodyDone`] (finished, or abandoned because
    /// the response already arrived), [`SendError::Encode`] when the bytes exceed a declared
    /// `Content-Length`, [`SendError::Closed`].
    pub fn write_body(
        &mut self,
        registry: &Registry,
        id: RequestId,
        data: &[u8],
        now: Instant,
    ) -> Result<usize, SendError> {
        self.last_now = now;
        if self.phase == Phase::Closed || self.write_error.is_some() {
            return Err(SendError::Closed);
        }
        let space = self.write_space();
        let (want_write_ready, body) = open_body(&mut self.inflight, id)?;
        let n = data.len().min(space.saturating_sub(CHUNK_OVERHEAD));
        if n < data.len() {
            *want_write_ready = true;
        }
        if n == 0 {
            return Ok(0);
        }
        let piece = data.get(..n).unwrap_or(&[]);
        let before = self.wq.len();
        body.encoder
            .write_vec(piece, &mut self.wq)
            .map_err(SendError::Encode)?;
        self.enqueued(before, now);
        self.flush(registry, now);
        Ok(n)
    }

    /// Ends the streamed body of request `id` (the last chunk for a chunked body; checks a
    /// `Content-Length` body is complete).
    ///
    /// # Errors
    ///
    /// As [`write_body`](Self::write_body); [`SendError::Encode`] when a `Content-Length` body
    /// still owes bytes.
    pub fn finish_body(
        &mut self,
        registry: &Registry,
        id: RequestId,
        now: Instant,
    ) -> Result<(), SendError> {
        self.last_now = now;
        if self.phase == Phase::Closed || self.write_error.is_some() {
            return Err(SendError::Closed);
        }
        let (_, body) = open_body(&mut self.inflight, id)?;
        let end = body.encoder.finish().map_err(SendError::Encode)?;
        let before = self.wq.len();
        self.wq.extend_from_slice(end);
        self.enqueued(before, now);
        if let Some(req) = self.inflight.iter_mut().find(|r| r.id == id) {
            req.end_offset = Some(self.queued);
        }
        self.flush(registry, now);
        Ok(())
    }

    /// Queues stdin bytes for the upgraded stream (after [`Output::Upgraded`]) and starts
    /// writing them. Returns how many bytes were taken (see [`write_body`](Self::write_body)).
    ///
    /// # Errors
    ///
    /// [`SendError::NotUpgraded`] before the upgrade or after [`close_stdin`](Self::close_stdin);
    /// [`SendError::Closed`].
    pub fn write_stdin(
        &mut self,
        registry: &Registry,
        data: &[u8],
        now: Instant,
    ) -> Result<usize, SendError> {
        self.last_now = now;
        if self.stream.is_none() || self.write_error.is_some() {
            return Err(SendError::Closed);
        }
        let space = self.write_space();
        let Some(req) = self.inflight.front_mut() else {
            return Err(SendError::NotUpgraded);
        };
        if req.stage != Stage::Upgraded || req.stdin_closed || self.phase != Phase::Upgraded {
            return Err(SendError::NotUpgraded);
        }
        let n = data.len().min(space);
        if n < data.len() {
            req.want_write_ready = true;
        }
        if n == 0 {
            return Ok(0);
        }
        let before = self.wq.len();
        self.wq.extend_from_slice(data.get(..n).unwrap_or(&[]));
        self.enqueued(before, now);
        self.flush(registry, now);
        Ok(n)
    }

    /// Half-closes the upgraded stream once the queued stdin is written (`shutdown(Write)`):
    /// the container sees EOF on stdin. Reading goes on until the daemon closes.
    ///
    /// # Errors
    ///
    /// [`SendError::NotUpgraded`], [`SendError::Closed`].
    pub fn close_stdin(&mut self, registry: &Registry, now: Instant) -> Result<(), SendError> {
        self.last_now = now;
        if self.stream.is_none() {
            return Err(SendError::Closed);
        }
        let Some(req) = self.inflight.front_mut() else {
            return Err(SendError::NotUpgraded);
        };
        if req.stage != Stage::Upgraded || req.stdin_closed || self.phase != Phase::Upgraded {
            return Err(SendError::NotUpgraded);
        }
        req.stdin_closed = true;
        self.shutdown_pending = true;
        self.flush(registry, now);
        Ok(())
    }

    /// Closes the connection now: outstanding requests get [`Error::Cancelled`], then
    /// [`Output::Closed`] with no error.
    pub fn close(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        self.fail_with(Error::Cancelled, Error::Cancelled, None);
    }

    /// Handles a readiness event for this connection's token: reads if readable, writes if
    /// writable. Spurious events are harmless.
    pub fn handle_event(&mut self, registry: &Registry, event: &MioEvent, now: Instant) {
        self.last_now = now;
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.handle_readable(now);
        }
        if event.is_writable() || event.is_write_closed() || event.is_error() {
            self.handle_writable(registry, now);
        }
    }

    /// The socket may be readable: reads until `WouldBlock`, EOF, or the buffer is full.
    pub fn handle_readable(&mut self, now: Instant) {
        self.last_now = now;
        self.read(now);
    }

    /// The socket may be writable: writes queued bytes until `WouldBlock` or the queue is
    /// empty, then drops writable interest if nothing is left.
    pub fn handle_writable(&mut self, registry: &Registry, now: Instant) {
        self.last_now = now;
        self.connected = true;
        self.flush(registry, now);
    }

    /// Call when [`next_deadline`](Self::next_deadline) has passed (calling it early or often is
    /// harmless): resumes reading after back-pressure, and fails the connection with
    /// [`Error::Timeout`] when a deadline expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        if self.phase == Phase::Closed {
            return;
        }
        if self.read_blocked && self.has_read_space() {
            self.read(now);
        }
        if let Some((at, kind)) = self.timer() {
            if now >= at {
                self.timeout(kind);
            }
        }
    }

    /// The instant by which [`handle_timeout`](Self::handle_timeout) must be called, if any.
    /// A past instant means "now": events are waiting in [`poll_event`](Self::poll_event), or
    /// reading can resume after back-pressure.
    pub fn next_deadline(&self) -> Option<Instant> {
        if !self.pending.is_empty() && !self.closed_delivered {
            return Some(self.last_now);
        }
        if self.phase == Phase::Closed {
            return None;
        }
        if self.read_blocked && self.has_read_space() {
            return Some(self.last_now);
        }
        self.timer().map(|(at, _)| at)
    }

    /// The next output event, if one is ready. Its slices borrow the connection until the
    /// next call. See [`Output`] for the order of events.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Output<'_>> {
        let ready = self.next_ready()?;
        Some(match ready {
            Pending::Head {
                id,
                start,
                end,
                version,
                status,
                body,
                keep_alive,
            } => Output::Head {
                id,
                head: ResponseHead {
                    raw: slice(&self.rbuf, start, end),
                    version,
                    status,
                    body,
                    keep_alive,
                },
            },
            Pending::Data { id, start, end } => Output::Data {
                id,
                data: slice(&self.rbuf, start, end),
            },
            Pending::Json { id, start, end } => Output::Json {
                id,
                message: slice(&self.rbuf, start, end),
            },
            Pending::JsonAssembled { id } => {
                self.json_buf_stale = true;
                Output::Json {
                    id,
                    message: &self.json_buf,
                }
            }
            Pending::Frame {
                id,
                stream,
                start,
                end,
            } => Output::Frame {
                id,
                stream,
                data: slice(&self.rbuf, start, end),
            },
            Pending::SystemError { id, start, end } => Output::SystemError {
                id,
                text: slice(&self.rbuf, start, end),
            },
            Pending::Upgraded { id } => Output::Upgraded { id },
            Pending::End { id } => Output::End { id },
            Pending::WriteReady { id } => Output::WriteReady { id },
            Pending::Error { id, error } => Output::Error { id, error },
            Pending::Closed { error } => {
                self.closed_delivered = true;
                Output::Closed { error }
            }
        })
    }

    // ----- reading ---------------------------------------------------------------------------

    fn has_read_space(&self) -> bool {
        self.rend - self.rhead < self.read_cap
    }

    fn read(&mut self, now: Instant) {
        if self.phase == Phase::Closed || self.eof {
            return;
        }
        let Some(stream) = self.stream.as_ref() else {
            return;
        };
        loop {
            if self.rhead == self.rend && self.piece.is_none() {
                // Everything was consumed: start over at the front (keeps touched memory small).
                self.rhead = 0;
                self.dpos = 0;
                self.rend = 0;
            }
            if self.rend == self.rbuf.len() && self.rhead == 0 && self.rbuf.len() < self.read_cap {
                let grown = (self.rbuf.len() * 2).clamp(4096, self.read_cap);
                self.rbuf.resize(grown, 0);
            }
            if self.rend == self.rbuf.len() && self.rhead > 0 {
                // Full at the back: move the live bytes to the front.
                let shift = self.rhead;
                self.rbuf.copy_within(self.rhead..self.rend, 0);
                self.rend -= shift;
                self.dpos -= shift;
                self.rhead = 0;
                if let Some((s, e)) = self.piece {
                    self.piece = Some((s - shift, e - shift));
                }
            }
            let Some(space) = self.rbuf.get_mut(self.rend..).filter(|s| !s.is_empty()) else {
                if !self.read_blocked {
                    self.stats.read_pauses += 1;
                }
                self.read_blocked = true;
                return;
            };
            match (&*stream).read(space) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.rend += n;
                    self.connected = true;
                    self.last_read = now;
                    self.stats.reads += 1;
                    self.stats.bytes_read += n as u64;
                    self.stats.peak_buffered = self.stats.peak_buffered.max(self.rend - self.rhead);
                }
                // Drained: mio (edge-triggered) reports the next arrival as a new event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // A signal interrupted the call before any byte moved: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Bytes already received are still decoded; the error ends the stream.
                    self.eof = true;
                    self.read_error = Some(e.kind());
                    break;
                }
            }
        }
        self.read_blocked = false;
    }

    // ----- writing ---------------------------------------------------------------------------

    fn write_space(&self) -> usize {
        self.config
            .write_buffer
            .saturating_sub(self.wq.len() - self.wpos)
    }

    /// Bookkeeping after appending to the write queue from `before`.
    fn enqueued(&mut self, before: usize, now: Instant) {
        if before == self.wpos {
            // The queue was empty: the write-stall clock starts now.
            self.last_write = now;
        }
        self.queued += (self.wq.len() - before) as u64;
    }

    fn wanted_interest(&self) -> Interest {
        if self.wq.len() > self.wpos || (self.shutdown_pending && !self.write_shut) {
            Interest::READABLE.add(Interest::WRITABLE)
        } else {
            Interest::READABLE
        }
    }

    /// Writes what the socket takes, then adjusts the registered interest.
    fn flush(&mut self, registry: &Registry, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        let progressed = self.write(now);
        if progressed {
            self.mark_sent(now);
            self.signal_write_ready();
        }
        if self.wq.len() == self.wpos && self.shutdown_pending && !self.write_shut {
            if let Some(stream) = self.stream.as_ref() {
                match stream.shutdown(Shutdown::Write) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
                    Err(e) => self.write_error = Some(e.kind()),
                }
            }
            self.write_shut = true;
            self.shutdown_pending = false;
        }
        self.update_interest(registry);
    }

    /// Writes until `WouldBlock` or the queue is empty. Returns whether any byte was written.
    fn write(&mut self, now: Instant) -> bool {
        let Some(stream) = self.stream.as_ref() else {
            return false;
        };
        if self.write_error.is_some() {
            return false;
        }
        let mut progressed = false;
        while let Some(rest) = self.wq.get(self.wpos..).filter(|r| !r.is_empty()) {
            match (&*stream).write(rest) {
                Ok(0) => {
                    self.write_failed(io::ErrorKind::WriteZero);
                    break;
                }
                Ok(n) => {
                    if n < rest.len() {
                        self.stats.partial_writes += 1;
                    }
                    self.wpos += n;
                    self.written += n as u64;
                    self.stats.writes += 1;
                    self.stats.bytes_written += n as u64;
                    self.last_write = now;
                    self.connected = true;
                    progressed = true;
                }
                // The socket buffer is full: the rest waits for a writable event (`flush`
                // registers WRITABLE interest for it).
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.stats.write_would_block += 1;
                    break;
                }
                // A signal interrupted the call before any byte moved: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.write_failed(e.kind());
                    break;
                }
            }
        }
        if self.wpos == self.wq.len() {
            self.wq.clear();
            self.wpos = 0;
        } else if self.wpos >= 64 * 1024 && self.wpos * 2 >= self.wq.len() {
            self.wq.drain(..self.wpos);
            self.wpos = 0;
        }
        progressed
    }

    /// The write side failed (the peer went away, usually). Nothing more is written; the read
    /// side decides the outcome, since a complete response may already be on its way.
    fn write_failed(&mut self, kind: io::ErrorKind) {
        self.write_error = Some(kind);
        self.wq.clear();
        self.wpos = 0;
    }

    fn mark_sent(&mut self, now: Instant) {
        let written = self.written;
        for r in self.inflight.iter_mut() {
            if r.sent_at.is_none() && r.end_offset.is_some_and(|o| o <= written) {
                r.sent_at = Some(now);
            }
        }
    }

    fn signal_write_ready(&mut self) {
        if self.wq.len() - self.wpos > self.config.write_buffer / 2 {
            return;
        }
        for r in self.inflight.iter_mut() {
            if r.want_write_ready {
                r.want_write_ready = false;
                self.pending.push_back(Pending::WriteReady { id: r.id });
            }
        }
    }

    fn update_interest(&mut self, registry: &Registry) {
        let (Some(token), Some(current)) = (self.token, self.interest) else {
            return;
        };
        let want = self.wanted_interest();
        if want == current {
            return;
        }
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        match registry.reregister(stream, token, want) {
            Ok(()) => self.interest = Some(want),
            Err(e) => self.fail(Error::Io(e.kind())),
        }
    }

    // ----- deadlines -------------------------------------------------------------------------

    /// The earliest armed deadline and its kind.
    fn timer(&self) -> Option<(Instant, TimeoutKind)> {
        if self.phase == Phase::Closed {
            return None;
        }
        let mut best: Option<(Instant, TimeoutKind)> = None;
        let mut arm = |at: Option<Instant>, kind| {
            if let Some(at) = at {
                if best.map_or(true, |(b, _)| at < b) {
                    best = Some((at, kind));
                }
            }
        };
        let queued = self.wq.len() > self.wpos;
        if queued && self.write_error.is_none() {
            if !self.connected {
                arm(
                    self.config.connect_timeout.map(|t| self.created + t),
                    TimeoutKind::Connect,
                );
            }
            arm(
                self.config.write_timeout.map(|t| self.last_write + t),
                TimeoutKind::Write,
            );
        }
        // Bytes the consumer has not taken yet: the peer is not silent, we are slow.
        let unconsumed = self.dpos < self.rend || self.piece.is_some() || self.read_blocked;
        if let (Some(front), false) = (self.inflight.front(), unconsumed || self.eof) {
            match front.stage {
                Stage::AwaitHead => {
                    if let Some(sent) = front.sent_at {
                        let since = sent.max(self.front_since);
                        arm(front.head_timeout.map(|t| since + t), TimeoutKind::Head);
                    }
                }
                Stage::Body | Stage::Upgraded => {
                    let since = self.last_read.max(self.front_since);
                    arm(front.idle_timeout.map(|t| since + t), TimeoutKind::Idle);
                }
            }
        }
        best
    }

    fn timeout(&mut self, kind: TimeoutKind) {
        self.fail(Error::Timeout(kind));
    }

    // ----- failing ---------------------------------------------------------------------------

    /// Fails the connection: the front request gets `error`, the others `NotAnswered`, then
    /// `Closed(error)`. The socket is closed at once.
    fn fail(&mut self, error: Error) {
        self.fail_with(error, Error::NotAnswered, Some(error));
    }

    fn fail_with(&mut self, front: Error, rest: Error, closed: Option<Error>) {
        let mut first = true;
        while let Some(r) = self.inflight.pop_front() {
            let error = if first { front } else { rest };
            first = false;
            self.pending.push_back(Pending::Error { id: r.id, error });
        }
        self.close_now(closed);
    }

    /// Closes the socket and queues `Closed` (requests still outstanding must be failed first).
    fn close_now(&mut self, error: Option<Error>) {
        self.pending.push_back(Pending::Closed { error });
        self.phase = Phase::Closed;
        self.stream = None;
        self.token = None;
        self.interest = None;
        self.piece = None;
        self.rhead = 0;
        self.dpos = 0;
        self.rend = 0;
        self.read_blocked = false;
        self.wq = Vec::new();
        self.wpos = 0;
    }

    /// Ends the connection after a response that did not leave it reusable.
    fn close_after_response(&mut self) {
        while let Some(r) = self.inflight.pop_front() {
            self.pending.push_back(Pending::Error {
                id: r.id,
                error: Error::NotAnswered,
            });
        }
        self.close_now(None);
    }

    /// The error to report for an end of stream the decoder did not expect.
    fn eof_error(&self, e: docksock_proto::Error) -> Error {
        let cut = matches!(
            e,
            docksock_proto::Error::Peer(PeerError::UnexpectedEof | PeerError::ClosedBeforeResponse)
        );
        match (cut, self.read_error, self.write_error) {
            (true, Some(kind), _) | (true, None, Some(kind)) => Error::Io(kind),
            _ => Error::Protocol(e),
        }
    }

    // ----- decoding --------------------------------------------------------------------------

    fn next_ready(&mut self) -> Option<Pending> {
        if self.json_buf_stale {
            self.json_buf.clear();
            self.json_buf_stale = false;
        }
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(r);
            }
            if self.phase == Phase::Closed {
                return None;
            }
            if self.piece.is_some() {
                if let Some(r) = self.split_piece() {
                    return Some(r);
                }
                continue;
            }
            let step = match self.phase {
                Phase::Http => self.decode_step(),
                Phase::Upgraded => self.raw_step(),
                Phase::Closed => return None,
            };
            match step {
                Step::Ready(r) => return Some(r),
                Step::Continue => {}
                Step::Idle => return None,
            }
        }
    }

    /// One call of the core decoder on the undecoded bytes.
    fn decode_step(&mut self) -> Step {
        let Some(front) = self.inflight.front_mut() else {
            if self.dpos < self.rend {
                self.fail(Error::Unsolicited);
                return Step::Continue;
            }
            if self.eof {
                match self.read_error {
                    Some(kind) => self.close_now(Some(Error::Io(kind))),
                    None => self.close_now(None),
                }
                return Step::Continue;
            }
            return Step::Idle;
        };
        let Some(decoder) = self.decoder.as_mut() else {
            self.fail(Error::Protocol(
                docksock_proto::MisuseError::InvalidState.into(),
            ));
            return Step::Continue;
        };
        let base = self.dpos;
        let input = self.rbuf.get(base..self.rend).unwrap_or(&[]);
        let result = if self.eof {
            decoder.decode_eof(input)
        } else {
            decoder.decode(input)
        };
        let decoded = match result {
            Ok(d) => d,
            Err(e) => {
                let error = self.eof_error(e);
                self.fail(error);
                return Step::Continue;
            }
        };
        let consumed = decoded.consumed;
        self.dpos = base + consumed;
        let id = front.id;
        match decoded.event {
            Event::NeedMore => {
                self.rhead = self.dpos;
                if self.eof {
                    self.fail(self.eof_error(PeerError::UnexpectedEof.into()));
                    return Step::Continue;
                }
                if self.dpos < self.rend && self.rend - self.dpos >= self.read_cap {
                    // Cannot happen with the enforced buffer size; never wait forever.
                    self.fail(Error::Protocol(PeerError::HeadTooLarge.into()));
                    return Step::Continue;
                }
                Step::Idle
            }
            Event::Informational(_) | Event::Trailers(_) => {
                self.rhead = self.dpos;
                Step::Continue
            }
            Event::Head(head) => {
                self.rhead = self.dpos;
                front.stage = Stage::Body;
                front.streaming = head.status() / 100 == 2 && front.mode != BodyMode::Bytes;
                let unsent = front.end_offset.map_or(true, |o| o > self.written);
                if unsent {
                    // The daemon answered before the request (its body) was completely
                    // written: stop sending it, and anything queued behind it, and close after
                    // the response (RFC 9112 §9.5): the connection is not clean.
                    if let Some(body) = front.body.as_mut() {
                        body.abandoned = true;
                    }
                    front.close_after = true;
                    front.want_write_ready = false;
                    self.wq.truncate(self.wpos);
                    self.queued = self.written + (self.wq.len() - self.wpos) as u64;
                    self.closing = true;
                }
                self.front_since = self.last_now;
                self.last_read = self.last_now;
                Step::Ready(Pending::Head {
                    id,
                    start: base,
                    end: base + consumed,
                    version: head.version(),
                    status: head.status(),
                    body: head.body_kind(),
                    keep_alive: head.keep_alive(),
                })
            }
            Event::Upgrade(head) => {
                self.rhead = self.dpos;
                front.stage = Stage::Upgraded;
                front.streaming = front.mode != BodyMode::Bytes;
                self.phase = Phase::Upgraded;
                self.front_since = self.last_now;
                self.last_read = self.last_now;
                self.pending.push_back(Pending::Upgraded { id });
                Step::Ready(Pending::Head {
                    id,
                    start: base,
                    end: base + consumed,
                    version: head.version(),
                    status: head.status(),
                    body: head.body_kind(),
                    keep_alive: false,
                })
            }
            Event::Data(data) => {
                // The core puts data at the tail of what it consumed.
                let end = (base + consumed).min(self.dpos);
                let start = end.saturating_sub(data.len());
                if front.streaming {
                    self.piece = Some((start, end));
                    self.rhead = start;
                    Step::Continue
                } else {
                    self.rhead = self.dpos;
                    Step::Ready(Pending::Data { id, start, end })
                }
            }
            Event::End { keep_alive } => {
                self.rhead = self.dpos;
                if let Err(e) = finish_stream(front) {
                    self.fail(Error::Protocol(e));
                    return Step::Continue;
                }
                let close_after = front.close_after;
                self.inflight.pop_front();
                self.front_since = self.last_now;
                if !keep_alive || close_after {
                    self.pending.push_back(Pending::End { id });
                    self.close_after_response();
                    return Step::Continue;
                }
                if let (Some(next), Some(decoder)) = (self.inflight.front(), self.decoder.as_mut())
                {
                    let method = if next.head_method { "HEAD" } else { "GET" };
                    if let Err(e) = decoder.next_response(method) {
                        self.pending.push_back(Pending::End { id });
                        self.fail(Error::Protocol(e));
                        return Step::Continue;
                    }
                }
                Step::Ready(Pending::End { id })
            }
        }
    }

    /// The upgraded raw stream: everything received belongs to the front request.
    fn raw_step(&mut self) -> Step {
        let Some(front) = self.inflight.front_mut() else {
            self.close_now(None);
            return Step::Continue;
        };
        let id = front.id;
        if self.dpos < self.rend {
            let (start, end) = (self.dpos, self.rend);
            self.dpos = end;
            if front.streaming {
                self.piece = Some((start, end));
                self.rhead = start;
                return Step::Continue;
            }
            self.rhead = end;
            return Step::Ready(Pending::Data { id, start, end });
        }
        self.rhead = self.dpos;
        if !self.eof {
            return Step::Idle;
        }
        if let Some(kind) = self.read_error {
            self.fail(Error::Io(kind));
            return Step::Continue;
        }
        if let Err(e) = finish_stream(front) {
            self.fail(Error::Protocol(e));
            return Step::Continue;
        }
        self.inflight.pop_front();
        self.pending.push_back(Pending::End { id });
        self.close_after_response();
        Step::Continue
    }

    /// Splits the pending body piece into JSON messages or stdcopy frames; `None` when the
    /// piece is used up (or failed: the failure events are pending).
    fn split_piece(&mut self) -> Option<Pending> {
        let (start, end) = self.piece?;
        let Some(front) = self.inflight.front_mut() else {
            self.piece = None;
            return None;
        };
        let id = front.id;
        let input = self.rbuf.get(start..end).unwrap_or(&[]);
        let advance = |conn_piece: &mut Option<(usize, usize)>, rhead: &mut usize, used: usize| {
            let s = start + used;
            if s >= end {
                *conn_piece = None;
            } else {
                *conn_piece = Some((s, end));
                *rhead = s;
            }
        };
        match front.mode {
            BodyMode::Json => match front.splitter.scan(input) {
                Err(e) => {
                    self.piece = None;
                    self.fail(Error::Protocol(e));
                    None
                }
                Ok(scan) => {
                    advance(&mut self.piece, &mut self.rhead, scan.consumed);
                    if self.piece.is_none() {
                        self.rhead = self.dpos;
                    }
                    if let Some(range) = scan.message {
                        let (s, e) = (start + range.start, start + range.end);
                        if !scan.continued {
                            return Some(Pending::Json {
                                id,
                                start: s,
                                end: e,
                            });
                        }
                        self.json_buf
                            .extend_from_slice(self.rbuf.get(s..e).unwrap_or(&[]));
                        return Some(Pending::JsonAssembled { id });
                    }
                    if let Some(range) = scan.partial {
                        let (s, e) = (start + range.start, start + range.end);
                        self.json_buf
                            .extend_from_slice(self.rbuf.get(s..e).unwrap_or(&[]));
                    }
                    None
                }
            },
            BodyMode::Stdcopy(_) => {
                let Some(demux) = front.demux.as_mut() else {
                    self.piece = None;
                    return None;
                };
                match demux.decode(input) {
                    Err(e) => {
                        self.piece = None;
                        self.fail(Error::Protocol(e));
                        None
                    }
                    Ok((used, frame)) => {
                        advance(&mut self.piece, &mut self.rhead, used);
                        if self.piece.is_none() {
                            self.rhead = self.dpos;
                        }
                        // The core puts a piece at the tail of what it consumed.
                        let range_of = |d: &[u8]| {
                            let e = (start + used).min(end);
                            (e.saturating_sub(d.len()), e)
                        };
                        match frame {
                            Some(Frame::Data { stream, data, .. }) => {
                                let (s, e) = range_of(data);
                                Some(Pending::Frame {
                                    id,
                                    stream,
                                    start: s,
                                    end: e,
                                })
                            }
                            Some(Frame::SystemError { text, .. }) => {
                                let (s, e) = range_of(text);
                                Some(Pending::SystemError {
                                    id,
                                    start: s,
                                    end: e,
                                })
                            }
                            None => None,
                        }
                    }
                }
            }
            BodyMode::Bytes => {
                self.piece = None;
                self.rhead = self.dpos;
                Some(Pending::Data { id, start, end })
            }
        }
    }
}

/// What one decoding step produced.
enum Step {
    Ready(Pending),
    Continue,
    Idle,
}

/// The body ended: a JSON message or a stdcopy frame must not be left open.
fn finish_stream(front: &mut InFlight) -> Result<(), docksock_proto::Error> {
    if !front.streaming {
        return Ok(());
    }
    match front.mode {
        BodyMode::Json => front.splitter.finish(),
        BodyMode::Stdcopy(_) => front.demux.as_mut().map_or(Ok(()), Demuxer::finish),
        BodyMode::Bytes => Ok(()),
    }
}

/// `buf[s..e]`, or empty if out of range (never, by construction).
fn slice(buf: &[u8], s: usize, e: usize) -> &[u8] {
    buf.get(s..e).unwrap_or(&[])
}
