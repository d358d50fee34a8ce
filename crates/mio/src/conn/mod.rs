//! [`Connection`]: one Unix-socket connection to the daemon, driven by the caller's readiness
//! events and clock. The socket, the buffers and the registration live here; every rule of the
//! connection (pipelining, reuse, early answers, upgrades, body splitting, deadlines) is the
//! core's [`Exchange`].

mod events;
mod io;
mod stream;

use std::collections::VecDeque;
use std::io as stdio;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docksock_proto::encode::BodyFraming;
use docksock_proto::exchange::Exchange;
use docksock_proto::{Error as ProtoError, MisuseError};
use mio::event::Event as MioEvent;
use mio::net::UnixStream;

use mio::{Interest, Registry, Token};
pub use stream::Stream;

use crate::output::{Output, RequestId};
use crate::request::{BodySource, Config, Request};
use crate::SendError;

use events::Pending;
pub use io::Stats;
use io::{is_reset, ReadBuf, ReadSide, WriteQueue, WriteSide};

/// Framing bytes a chunk may add around body data (hex size, CRLF, CRLF).
const CHUNK_OVERHEAD: usize = 32;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    /// The socket is open.
    Open,
    /// The socket is closed; queued events remain.
    Closed,
    /// [`Output::Closed`] was handed out.
    Finished,
}

/// A fresh id, unique within the process.
fn next_id() -> RequestId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    RequestId::new(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// One connection to the daemon: a non-blocking [`mio::net::UnixStream`], a fixed-size read
/// buffer, a write queue, and the core's [`Exchange`] deciding what the bytes mean. It does no
/// I/O of its own accord, has no threads and reads no clock: the caller's event loop hands it
/// readiness events and the time.
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
/// instead of making this connection grow; head and idle deadlines wait meanwhile. Once events
/// are taken, `next_deadline` returns a past instant so that the next `handle_timeout` resumes
/// reading.
///
/// # Pipelining and reuse
///
/// Requests are written back to back; the exchange's queue of outstanding requests tells which
/// request the next response answers. Nothing is pipelined behind an exclusive request
/// (upgrade, streamed body, [`Request::exclusive`]). After a response the connection is reused
/// only when the exchange says so; otherwise it closes, and requests pipelined behind get
/// [`Error::NotAnswered`](crate::Error::NotAnswered).
///
/// # Example
///
/// See the [crate docs](crate) for a complete loop.
#[derive(Debug)]
pub struct Connection {
    stream: Option<Stream>,
    token: Option<Token>,
    /// The interest currently registered.
    interest: Option<Interest>,
    config: Config,
    exchange: Exchange,
    life: Life,

    rbuf: ReadBuf,
    wq: WriteQueue,
    /// A JSON message that arrived in pieces, assembled.
    json_buf: Vec<u8>,
    /// `json_buf` was handed out: clear it on the next call.
    json_stale: bool,
    /// The request whose body or stdin write was cut short: it gets `WriteReady` when the queue
    /// drains (only one request writes at a time: a streamed body or stdin is exclusive).
    want_write_ready: Option<RequestId>,
    /// A socket error met outside reading and writing (registration).
    io_error: Option<stdio::ErrorKind>,

    pending: VecDeque<Pending>,
    /// The clock origin of the exchange.
    created: Instant,
    last_now: Instant,
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
    pub fn connect(
        path: impl AsRef<Path>,
        config: Config,
        now: Instant,
    ) -> stdio::Result<Connection> {
        let stream = UnixStream::connect(path)?;
        Ok(Connection::from_stream(stream, config, now))
    }

    /// Connects to a `tcp://` endpoint's address (non-blocking: the connect completes when the
    /// socket turns writable; the connect deadline of [`Config`] bounds it). `TCP_NODELAY` is
    /// set: a request is written whole, and a small one must not wait for an acknowledgement.
    ///
    /// # Errors
    ///
    /// The `connect` or `setsockopt` error.
    pub fn connect_tcp(
        addr: std::net::SocketAddr,
        config: Config,
        now: Instant,
    ) -> stdio::Result<Connection> {
        let stream = mio::net::TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Connection::from_stream(stream, config, now))
    }

    /// Wraps a connected (or connecting) non-blocking stream (a `mio` `UnixStream` or
    /// `TcpStream`, or a [`Stream`]).
    pub fn from_stream(stream: impl Into<Stream>, config: Config, now: Instant) -> Connection {
        Connection {
            stream: Some(stream.into()),
            token: None,
            interest: None,
            config,
            exchange: Exchange::new(config.exchange(), Duration::ZERO),
            life: Life::Open,
            rbuf: ReadBuf::new(config.effective_read_buffer()),
            wq: WriteQueue::new(),
            json_buf: Vec::new(),
            json_stale: false,
            want_write_ready: None,
            io_error: None,
            pending: VecDeque::new(),
            created: now,
            last_now: now,
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

    /// The connection's rules and state, for inspection.
    pub const fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// The token given to [`register`](Self::register).
    pub const fn token(&self) -> Option<Token> {
        self.token
    }

    /// The socket, for inspection (`peer_addr`, …). `None` once closed. Do not read or write it.
    pub const fn stream(&self) -> Option<&Stream> {
        self.stream.as_ref()
    }

    /// Registers the socket with `registry` under `token`: readable always, writable only
    /// while there is something to write.
    ///
    /// # Errors
    ///
    /// The registration error (also when called twice).
    pub fn register(&mut self, registry: &Registry, token: Token) -> stdio::Result<()> {
        let want = self.wanted_interest();
        let Some(stream) = self.stream.as_mut() else {
            return Err(stdio::ErrorKind::NotConnected.into());
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
    pub fn deregister(&mut self, registry: &Registry) -> stdio::Result<()> {
        self.token = None;
        self.interest = None;
        match self.stream.as_mut() {
            Some(stream) => registry.deregister(stream),
            None => Ok(()),
        }
    }

    /// Requests sent and not yet answered completely.
    pub const fn outstanding(&self) -> usize {
        self.exchange.outstanding()
    }

    /// True when the socket is closed (events may still wait in [`poll_event`](Self::poll_event)).
    pub fn is_closed(&self) -> bool {
        self.life != Life::Open
    }

    /// True once [`Output::Closed`] has been handed out: drop the connection.
    pub fn is_finished(&self) -> bool {
        self.life == Life::Finished
    }

    /// True when the connection is open, every event was taken and every received byte
    /// decoded, and the exchange says it is reusable (nothing outstanding or queued, the last
    /// response kept it alive): the clean-connection rule for putting it back in a pool.
    pub fn is_idle(&self) -> bool {
        self.life == Life::Open
            && self.pending.is_empty()
            && self.rbuf.unread().is_empty()
            && !self.rbuf.ended()
            && self.exchange.is_reusable()
    }

    /// Whether [`send`](Self::send) would accept `request` now: the connection is open and the
    /// exchange's pipelining rule allows another request ([`Config::max_in_flight`], no
    /// exclusive request outstanding).
    pub fn can_send(&self, request: &Request<'_>) -> bool {
        let _ = request;
        self.life == Life::Open && !self.rbuf.ended() && self.exchange.can_send()
    }

    /// Encodes `request` into the write queue and starts writing it. Returns its id; its events
    /// carry that id.
    ///
    /// # Errors
    ///
    /// [`SendError::Encode`] for an invalid request, [`SendError::Busy`] when
    /// [`can_send`](Self::can_send) is false (pipeline full or behind an exclusive request),
    /// [`SendError::Closed`] when the connection is closed, closing, or its write side failed.
    /// Nothing is queued then.
    pub fn send(
        &mut self,
        registry: &Registry,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<RequestId, SendError> {
        self.last_now = now;
        if self.life != Life::Open || self.rbuf.ended() {
            return Err(SendError::Closed);
        }
        let spec = &request.spec;
        if request.body == BodySource::Streamed
            && !matches!(spec.body, BodyFraming::Chunked | BodyFraming::Length(_))
        {
            return Err(SendError::Encode(MisuseError::BodyNotExpected.into()));
        }
        let before = self.wq.buf().len();
        let encoded = match request.body {
            BodySource::Spec | BodySource::Streamed => spec.encode_vec(self.wq.buf()),
            BodySource::Full(body) => spec.encode_with_body(body, self.wq.buf()),
        };
        encoded.map_err(SendError::Encode)?;
        let queued = self.wq.buf().len() - before;
        let id = next_id();
        let at = self.since(now);
        if let Err(e) = self.exchange.start(id, request.exchange(), queued, at) {
            self.wq.truncate(before);
            return Err(match e {
                ProtoError::Misuse(MisuseError::ConnectionBusy) => SendError::Busy,
                _ => SendError::Closed,
            });
        }
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
        let space = self.write_space();
        self.check_writable()?;
        let encoder = self.exchange.body_encoder(id).map_err(body_error)?;
        let n = data.len().min(space.saturating_sub(CHUNK_OVERHEAD));
        if n < data.len() {
            self.want_write_ready = Some(id);
        }
        if n == 0 {
            return Ok(0);
        }
        let before = self.wq.buf().len();
        encoder
            .write_vec(data.get(..n).unwrap_or(&[]), self.wq.buf())
            .map_err(SendError::Encode)?;
        self.queued(id, before, now)?;
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
        self.check_writable()?;
        let encoder = self.exchange.body_encoder(id).map_err(body_error)?;
        let end = encoder.finish().map_err(SendError::Encode)?;
        let before = self.wq.buf().len();
        self.wq.buf().extend_from_slice(end);
        self.queued(id, before, now)?;
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
        let id = self
            .exchange
            .stream_input()
            .map_err(|_| SendError::NotUpgraded)?;
        self.check_writable()?;
        let n = data.len().min(self.write_space());
        if n < data.len() {
            self.want_write_ready = Some(id);
        }
        if n == 0 {
            return Ok(0);
        }
        let before = self.wq.buf().len();
        self.wq
            .buf()
            .extend_from_slice(data.get(..n).unwrap_or(&[]));
        self.queued(id, before, now)?;
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
        self.exchange
            .close_stream_input()
            .map_err(|_| SendError::NotUpgraded)?;
        if self.wq.side == WriteSide::Open {
            self.wq.side = WriteSide::ShutdownPending;
        }
        self.flush(registry, now);
        Ok(())
    }

    /// Closes the connection now: outstanding requests get
    /// [`Error::Cancelled`](crate::Error::Cancelled), then [`Output::Closed`] with no error.
    pub fn close(&mut self) {
        if self.life != Life::Open {
            return;
        }
        self.exchange.cancel();
        self.settle();
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
        self.exchange.handle_connected();
        self.flush(registry, now);
    }

    /// Call when [`next_deadline`](Self::next_deadline) has passed (calling it early or often is
    /// harmless): resumes reading after back-pressure, and fails the connection with
    /// [`Error::Timeout`](crate::Error::Timeout) when a deadline expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        if self.life != Life::Open {
            return;
        }
        if self.rbuf.side == ReadSide::Full && self.rbuf.has_room() {
            self.read(now);
        }
        if self.exchange.handle_timeout(self.since(now)).is_some() {
            self.settle();
        }
    }

    /// The instant by which [`handle_timeout`](Self::handle_timeout) must be called, if any.
    /// A past instant means "now": events are waiting in [`poll_event`](Self::poll_event), or
    /// reading can resume after back-pressure.
    pub fn next_deadline(&self) -> Option<Instant> {
        if !self.pending.is_empty() && self.life != Life::Finished {
            return Some(self.last_now);
        }
        if self.life != Life::Open {
            return None;
        }
        if self.rbuf.side == ReadSide::Full && self.rbuf.has_room() {
            return Some(self.last_now);
        }
        let (at, _) = self.exchange.poll_timeout()?;
        Some(self.created.checked_add(at).unwrap_or(self.last_now))
    }

    /// The next output event, if one is ready. Its slices borrow the connection until the
    /// next call. See [`Output`] for the order of events.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Output<'_>> {
        let ready = self.next_ready()?;
        Some(self.output(ready))
    }

    // ----- socket ----------------------------------------------------------------------------

    /// Time since the exchange's origin.
    fn since(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.created)
    }

    fn read(&mut self, now: Instant) {
        if self.life != Life::Open {
            return;
        }
        let Some(stream) = self.stream.as_ref() else {
            return;
        };
        let n = self.rbuf.fill(stream, &mut self.stats);
        let at = self.since(now);
        self.exchange.handle_read(n, at);
        if let ReadSide::Failed(kind) = self.rbuf.side {
            self.exchange.handle_read_error(is_reset(kind));
        }
        self.sync_pause();
    }

    /// Tells the exchange whether received bytes wait for the consumer (back-pressure).
    fn sync_pause(&mut self) {
        let paused = self.rbuf.fresh || self.rbuf.side == ReadSide::Full;
        let at = self.since(self.last_now);
        self.exchange.set_read_paused(paused, at);
    }

    fn write_space(&self) -> usize {
        self.config.write_buffer.saturating_sub(self.wq.waiting())
    }

    fn check_writable(&self) -> Result<(), SendError> {
        match (self.life, self.wq.side) {
            (Life::Open, WriteSide::Open) => Ok(()),
            _ => Err(SendError::Closed),
        }
    }

    /// Reports the bytes appended to the write queue since `before` to the exchange.
    fn queued(&mut self, id: RequestId, before: usize, now: Instant) -> Result<(), SendError> {
        let n = self.wq.buf().len() - before;
        let at = self.since(now);
        self.exchange.queued(id, n, at).map_err(|e| {
            self.wq.truncate(before);
            body_error(e)
        })
    }

    fn wanted_interest(&self) -> Interest {
        if self.wq.wants_writable() {
            Interest::READABLE.add(Interest::WRITABLE)
        } else {
            Interest::READABLE
        }
    }

    /// Writes what the socket takes, tells the exchange, then adjusts the registered interest.
    fn flush(&mut self, registry: &Registry, now: Instant) {
        if self.life != Life::Open {
            return;
        }
        let Some(stream) = self.stream.as_ref() else {
            return;
        };
        let n = self.wq.flush(stream, &mut self.stats);
        let at = self.since(now);
        if self.exchange.handle_written(n, at).is_err() {
            // The queue and the exchange disagree: a bug; close rather than go on.
            self.exchange.abort(false);
        }
        if let WriteSide::Failed(kind) = self.wq.side {
            self.exchange.handle_write_error(is_reset(kind), at);
        }
        if n > 0 && self.wq.waiting() <= self.config.write_buffer / 2 {
            if let Some(id) = self.want_write_ready.take() {
                self.pending.push_back(Pending::WriteReady { id });
            }
        }
        self.settle();
        self.update_interest(registry);
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
            Err(e) => {
                self.io_error = Some(e.kind());
                self.exchange.abort(false);
                self.settle();
            }
        }
    }
}

/// The send error for the exchange's refusal of a body or stdin write.
fn body_error(e: ProtoError) -> SendError {
    match e {
        ProtoError::Misuse(MisuseError::UnknownRequest | MisuseError::BodyNotExpected) => {
            SendError::NoStreamedBody
        }
        ProtoError::Misuse(MisuseError::BodyClosed) => SendError::BodyDone,
        ProtoError::Misuse(MisuseError::NotUpgraded) => SendError::NotUpgraded,
        _ => SendError::Closed,
    }
}
