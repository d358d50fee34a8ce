//! One HTTP/1.1 client connection's rules, decided in one place: the [`Exchange`].
//!
//! An adapter (blocking, mio, …) owns the socket, the buffers and the clock; the exchange owns
//! every rule of the connection: the queue of outstanding requests, whether another request may
//! be sent (pipelining and reuse), what the response bytes mean (wrapping the
//! [`ResponseDecoder`] and splitting bodies into JSON messages or stdcopy frames), early
//! answers, upgrades and tunnels, deadlines, failures and whether a failed request may be
//! retried. It does no I/O, reads no clock and allocates nothing: time is a [`Duration`] since
//! an origin the adapter chooses (it converts its `Instant`s), and events borrow the adapter's
//! input.
//!
//! The shape is quinn-proto's: inputs are `handle_*` (and [`Exchange::decode`]), outputs are
//! `poll_*`, and [`Exchange::poll_timeout`] / [`Exchange::handle_timeout`] carry time.
//!
//! # Where each rule lives
//!
//! * reuse: [`Exchange::is_reusable`]; pipelining: [`Exchange::can_send`];
//! * retry on a fresh connection: [`Exchange::may_retry`] (and [`Failed::retry`]);
//! * early answers, upgrades (`101`, `CONNECT` 2xx, 2xx close-delimited hijack), the end of a
//!   response and what follows it: [`Exchange::decode`];
//! * deadlines: [`Exchange::poll_timeout`].

mod deadline;
mod event;
mod queue;
mod read;
mod request;

use core::time::Duration;

use crate::encode::BodyEncoder;
use crate::json::JsonSplitter;
use crate::stdcopy::Demuxer;
use crate::timeout::Timeout;
use crate::{Error, MisuseError, PeerError, ResponseDecoder};

pub use event::{Decoded, Event, Failed, Failure, UpgradeKind};
pub use request::{BodyMode, Config, Request, RequestBody, RequestId, CAPACITY};

use deadline::Deadlines;
use queue::{Entry, Queue};

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    /// It may carry more requests.
    Open,
    /// An early answer: it closes after the current response.
    Closing,
    /// It is the raw stream of the front request; `input_open` until the adapter half-closes.
    Upgraded { input_open: bool },
    /// Closed (cleanly when `None`): nothing more happens on it.
    Done(Option<Failure>),
}

/// How the body (or raw stream) of the front response is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Delivered as it comes.
    Plain,
    Json(JsonSplitter),
    Stdcopy(Demuxer),
}

/// What the front request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Its response head.
    Head,
    /// The rest of its response body.
    Body(Split),
    /// The raw stream after an upgrade.
    Stream(Split),
}

/// Bytes queued and written by the adapter, counted from the start of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Writes {
    queued: u64,
    written: u64,
    /// A byte moved on the socket (or the adapter said it is connected).
    connected: bool,
    /// The write side failed: nothing more is written.
    failed: bool,
}

impl Writes {
    const fn pending(&self) -> bool {
        self.written < self.queued && !self.failed
    }
}

/// One HTTP/1.1 client connection's state machine. See the [module docs](self).
///
/// # Call order
///
/// 1. [`new`](Self::new) when the socket is created (the connect deadline starts).
/// 2. Sending: when [`can_send`](Self::can_send), encode the request head (and a fixed body)
///    into the write queue, then [`start`](Self::start) with the number of bytes queued. A
///    streamed body goes through [`body_encoder`](Self::body_encoder); report every further
///    byte queued for the request (body pieces, the body's end, raw stream input after an
///    upgrade) with [`queued`](Self::queued).
/// 3. Writing: after each write, [`handle_written`](Self::handle_written) with the bytes that
///    left the queue (this completes requests: the head deadline starts, and moves the write
///    deadline). A write error: [`handle_write_error`](Self::handle_write_error).
/// 4. Reading: after each read, [`handle_read`](Self::handle_read) with the byte count (it
///    moves the idle deadline); then [`decode`](Self::decode) the unconsumed bytes (or
///    [`decode_eof`](Self::decode_eof) once the peer closed or a read failed) until
///    [`Event::NeedMore`], dropping [`Decoded::consumed`] bytes after each call. While the
///    adapter holds undecoded bytes it cannot take yet (its buffer is full), say so with
///    [`set_read_paused`](Self::set_read_paused): the peer is not silent then.
/// 5. Failures: after an error from `decode`, a timeout, or an `End` that does not leave the
///    connection reusable, drain [`poll_failed`](Self::poll_failed): every request that will
///    not be answered comes out once, with its [`Failure`] and whether it may be retried.
/// 6. Time: sleep until [`poll_timeout`](Self::poll_timeout), then call
///    [`handle_timeout`](Self::handle_timeout).
/// 7. When [`is_closed`](Self::is_closed), close the socket; when [`is_reusable`](Self::is_reusable),
///    the connection may go back to a pool.
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use docksock_proto::exchange::{Config, Event, Exchange, Request, RequestId};
/// use docksock_proto::timeout::TimeoutKind;
///
/// let t0 = Duration::ZERO;
/// let mut x = Exchange::new(Config::DEFAULT, t0);
///
/// // Send: the adapter encoded 40 bytes of request head into its write queue.
/// let id = RequestId::new(1);
/// assert!(x.can_send());
/// x.start(id, Request::new("GET"), 40, t0)?;
/// x.handle_written(40, t0)?; // all written: the head deadline starts
/// assert_eq!(x.poll_timeout(), Some((Duration::from_secs(60), TimeoutKind::Head)));
///
/// // Receive.
/// let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
/// x.handle_read(wire.len(), t0);
/// let mut input = &wire[..];
/// let mut body = Vec::new();
/// loop {
///     let step = x.decode(input, t0)?;
///     input = &input[step.consumed..];
///     match step.event {
///         Event::Head { head, .. } => assert_eq!(head.status(), 200),
///         Event::Data { data, .. } => body.extend_from_slice(data),
///         Event::End { id: done, reusable } => {
///             assert_eq!((done, reusable), (id, true));
///             break;
///         }
///         other => panic!("{other:?}"),
///     }
/// }
/// assert_eq!(body, b"OK");
/// assert!(x.is_reusable());
/// assert_eq!(x.poll_timeout(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    config: Config,
    queue: Queue,
    decoder: ResponseDecoder,
    conn: Conn,
    read: Read,
    /// Body bytes at the start of the next input that the decoder consumed but the splitter
    /// has not.
    pending_body: usize,
    /// The front request is completely written (its head deadline started).
    front_sent: bool,
    writes: Writes,
    deadlines: Deadlines,
    /// The adapter holds undecoded bytes: head and idle deadlines are suspended.
    paused: bool,
    /// A response completed on this connection.
    reused: bool,
    /// The adapter reported an I/O error (`true`: a reset by the peer).
    io_error: Option<bool>,
    /// The failure for the request at the front when the connection failed, taken by the
    /// first `poll_failed`.
    cause: Option<Failure>,
    /// Whether that request may be retried.
    front_retry: bool,
    /// Whether the requests behind the failed one may be retried.
    followers_retry: bool,
}

impl Exchange {
    /// A connection created at `now` (the connect deadline starts).
    pub fn new(config: Config, now: Duration) -> Exchange {
        Exchange {
            config,
            queue: Queue::new(),
            decoder: ResponseDecoder::with_limits("GET", config.limits),
            conn: Conn::Open,
            read: Read::Head,
            pending_body: 0,
            front_sent: false,
            writes: Writes {
                queued: 0,
                written: 0,
                connected: false,
                failed: false,
            },
            deadlines: Deadlines {
                connect: config.timeouts.connect.and_then(|t| now.checked_add(t)),
                ..Deadlines::default()
            },
            paused: false,
            reused: false,
            io_error: None,
            cause: None,
            front_retry: false,
            followers_retry: false,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    // ----- state -----------------------------------------------------------------------------

    /// Requests started and not yet answered completely (nor reported failed).
    pub const fn outstanding(&self) -> usize {
        self.queue.len()
    }

    /// The request whose response is being read (or comes next).
    pub fn front(&self) -> Option<RequestId> {
        self.queue.front().map(|e| e.id)
    }

    /// The upgraded request, once the connection is its raw stream.
    pub fn upgraded(&self) -> Option<RequestId> {
        match (self.conn, self.read) {
            (Conn::Upgraded { .. }, Read::Stream(_)) => self.front(),
            _ => None,
        }
    }

    /// True once a response completed on this connection (it was reused since).
    pub const fn is_reused(&self) -> bool {
        self.reused
    }

    /// True when nothing more happens on the connection: close the socket (after draining
    /// [`poll_failed`](Self::poll_failed)).
    pub const fn is_closed(&self) -> bool {
        matches!(self.conn, Conn::Done(_))
    }

    /// The failure that closed the connection, if it did not close cleanly.
    pub const fn failure(&self) -> Option<Failure> {
        match self.conn {
            Conn::Done(f) => f,
            _ => None,
        }
    }

    /// The reuse rule: nothing outstanding, the last response kept the connection alive, every
    /// request was completely written, no upgrade, no failure. Then the connection may carry
    /// the next request later (or go back to a pool).
    pub fn is_reusable(&self) -> bool {
        self.conn == Conn::Open
            && self.queue.is_empty()
            && self.read == Read::Head
            && self.pending_body == 0
            && !self.writes.pending()
            && !self.writes.failed
            && self.io_error.is_none()
    }

    /// The pipelining rule: whether [`start`](Self::start) would accept a request now. The
    /// connection is open (not closing after an early answer, not upgraded, not failed, its
    /// write side intact), the pipeline has room ([`Config::pipeline`]), and no outstanding
    /// request is exclusive (an upgrade, `CONNECT`, a streamed body, or marked exclusive).
    pub fn can_send(&self) -> bool {
        self.conn == Conn::Open
            && !self.writes.failed
            && self.io_error.is_none()
            && self.queue.len() < self.config.depth()
            && !self.queue.iter().any(|e| e.req.is_exclusive())
    }

    /// The retry rule, for the request that failed the connection: it may be sent again on a
    /// fresh connection only if this connection had carried a response before (it was reused),
    /// not one byte of its response arrived, the failure is the peer closing or resetting the
    /// connection, and its body can be sent again.
    pub fn may_retry(&self) -> bool {
        self.failure().is_some() && self.front_retry
    }

    // ----- sending ---------------------------------------------------------------------------

    /// Starts request `id`: the adapter has just queued `queued` bytes for it (its head, and a
    /// fixed body). The write deadline starts if the queue was empty.
    ///
    /// # Errors
    ///
    /// [`MisuseError::ConnectionNotReusable`] when the connection is closing, upgraded or
    /// closed; [`MisuseError::ConnectionBusy`] when [`can_send`](Self::can_send) is false for
    /// another reason; [`MisuseError::UnknownRequest`] when `id` is outstanding already.
    /// Nothing changes then.
    pub fn start(
        &mut self,
        id: RequestId,
        request: Request,
        queued: usize,
        now: Duration,
    ) -> Result<(), Error> {
        if self.conn != Conn::Open || self.writes.failed || self.io_error.is_some() {
            return Err(MisuseError::ConnectionNotReusable.into());
        }
        if !self.can_send() {
            return Err(MisuseError::ConnectionBusy.into());
        }
        if self.queue.iter().any(|e| e.id == id) {
            return Err(MisuseError::UnknownRequest.into());
        }
        let t = self.config.timeouts;
        let entry = Entry {
            id,
            req: request,
            head_timeout: request.head_timeout.resolve(t.head),
            idle_timeout: request.idle_timeout.resolve(t.idle),
            end: self.writes.queued.saturating_add(queued as u64),
            abandoned: false,
        };
        let first = self.queue.is_empty();
        if !self.queue.push(entry) {
            return Err(MisuseError::ConnectionBusy.into());
        }
        if first {
            self.decoder = ResponseDecoder::with_limits(method(&request), self.config.limits);
            self.read = Read::Head;
            self.front_sent = false;
            self.deadlines.head = None;
        }
        self.add_queued(queued, now);
        self.check_front_sent(now);
        Ok(())
    }

    /// The encoder of request `id`'s open streamed body: frame each piece with it, queue the
    /// bytes and report them with [`queued`](Self::queued); end the body with its
    /// [`finish`](BodyEncoder::finish) (the request is complete once the end is written).
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnknownRequest`]; [`MisuseError::BodyNotExpected`] when the request has
    /// no streamed body; [`MisuseError::BodyClosed`] when it was finished, or abandoned because
    /// the response came first;
    /// [`MisuseError::ConnectionNotReusable`] once the connection is closed or its write side
    /// failed.
    pub fn body_encoder(&mut self, id: RequestId) -> Result<&mut BodyEncoder, Error> {
        if matches!(self.conn, Conn::Done(_)) || self.writes.failed {
            return Err(MisuseError::ConnectionNotReusable.into());
        }
        let entry = self.queue.find_mut(id).ok_or(MisuseError::UnknownRequest)?;
        if entry.abandoned {
            return Err(MisuseError::BodyClosed.into());
        }
        match &mut entry.req.body {
            RequestBody::Streamed(enc) if !enc.is_finished() => Ok(enc),
            RequestBody::Streamed(_) => Err(MisuseError::BodyClosed.into()),
            RequestBody::None | RequestBody::Fixed(_) => Err(MisuseError::BodyNotExpected.into()),
        }
    }

    /// `n` more bytes of request `id` were queued (body pieces, the body's end, or raw stream
    /// input after an upgrade). Only the last request started can take bytes (the ones before
    /// it are completely queued).
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnknownRequest`] when `id` is not the last outstanding request,
    /// [`MisuseError::BodyClosed`] when its body was abandoned,
    /// [`MisuseError::ConnectionNotReusable`] once the connection is closed or its write side
    /// failed.
    pub fn queued(&mut self, id: RequestId, n: usize, now: Duration) -> Result<(), Error> {
        if matches!(self.conn, Conn::Done(_)) || self.writes.failed {
            return Err(MisuseError::ConnectionNotReusable.into());
        }
        match self.queue.back() {
            Some(e) if e.id == id && e.abandoned => return Err(MisuseError::BodyClosed.into()),
            Some(e) if e.id == id => {}
            _ => return Err(MisuseError::UnknownRequest.into()),
        }
        let end = self.writes.queued.saturating_add(n as u64);
        if let Some(e) = self.queue.back_mut() {
            e.end = end;
        }
        self.add_queued(n, now);
        self.check_front_sent(now);
        Ok(())
    }

    /// The raw stream's request, when raw input may be written: upgraded, and its input not
    /// closed by [`close_stream_input`](Self::close_stream_input). Queue the bytes, then report
    /// them with [`queued`](Self::queued).
    ///
    /// # Errors
    ///
    /// [`MisuseError::NotUpgraded`].
    pub fn stream_input(&self) -> Result<RequestId, Error> {
        match (self.conn, self.front()) {
            (Conn::Upgraded { input_open: true }, Some(id)) if !self.writes.failed => Ok(id),
            _ => Err(MisuseError::NotUpgraded.into()),
        }
    }

    /// The adapter half-closes the raw stream (after its queued input is written): no more
    /// input may be queued.
    ///
    /// # Errors
    ///
    /// [`MisuseError::NotUpgraded`] (also when already closed).
    pub fn close_stream_input(&mut self) -> Result<RequestId, Error> {
        let id = self.stream_input()?;
        self.conn = Conn::Upgraded { input_open: false };
        Ok(id)
    }

    /// Whether request `id`'s body may be sent again on a fresh connection (an adapter that
    /// reads a body from a one-shot source says `false` once it took bytes from it).
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnknownRequest`].
    pub fn set_replayable(&mut self, id: RequestId, replayable: bool) -> Result<(), Error> {
        let entry = self.queue.find_mut(id).ok_or(MisuseError::UnknownRequest)?;
        entry.req.replayable = replayable;
        Ok(())
    }

    /// Changes how the rest of the front response's body (or raw stream) is delivered, for an
    /// adapter whose caller chooses the mode after seeing the head (a body read as a JSON
    /// message stream once the status is known). Unlike the mode given at
    /// [`start`](Self::start), which applies to a 2xx response only, this applies whatever the
    /// status.
    ///
    /// The body must be delivered plainly so far ([`BodyMode::Bytes`]): there is no splitter
    /// state to lose. `unread` is how many bytes at the end of the last [`Event::Data`] (or
    /// [`Event::Raw`]) the adapter has not used: it keeps them and hands them again as the
    /// start of the next input, where they are split in the new mode.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnknownRequest`] when `id` is not the request whose body is being read;
    /// [`MisuseError::InvalidState`] when its body is split already (in another mode than
    /// `Bytes`). Nothing changes then.
    pub fn set_body_mode(
        &mut self,
        id: RequestId,
        mode: BodyMode,
        unread: usize,
    ) -> Result<(), Error> {
        if self.front() != Some(id) || matches!(self.conn, Conn::Done(_)) {
            return Err(MisuseError::UnknownRequest.into());
        }
        let split = match mode {
            BodyMode::Bytes => Split::Plain,
            BodyMode::Json => Split::Json(JsonSplitter::new(self.config.max_json_message)),
            BodyMode::Stdcopy(m) => Split::Stdcopy(Demuxer::new(m)),
        };
        self.read = match self.read {
            Read::Body(Split::Plain) if self.pending_body == 0 => Read::Body(split),
            Read::Stream(Split::Plain) if self.pending_body == 0 => Read::Stream(split),
            _ => return Err(MisuseError::InvalidState.into()),
        };
        self.pending_body = unread;
        Ok(())
    }

    /// Sets request `id`'s idle timeout (resolved against the connection's), for a caller
    /// that raises or lowers it on an open stream. When its body or raw stream is being read,
    /// the idle deadline starts again from `now` with the new duration.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnknownRequest`].
    pub fn set_idle_timeout(
        &mut self,
        id: RequestId,
        timeout: Timeout,
        now: Duration,
    ) -> Result<(), Error> {
        let idle = timeout.resolve(self.config.timeouts.idle);
        let entry = self.queue.find_mut(id).ok_or(MisuseError::UnknownRequest)?;
        entry.idle_timeout = idle;
        if self.front() == Some(id) {
            self.restart_idle(now);
        }
        Ok(())
    }

    /// True while queued request bytes wait to be written.
    pub const fn write_pending(&self) -> bool {
        self.writes.pending()
    }

    /// `n` queued bytes were written to the socket, in order. Moves the write deadline; a
    /// request whose last byte is written starts its head deadline (once it is at the front).
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidState`] when more bytes are reported written than were queued.
    pub fn handle_written(&mut self, n: usize, now: Duration) -> Result<(), Error> {
        if n == 0 || matches!(self.conn, Conn::Done(_)) {
            return Ok(());
        }
        let written = self.writes.written.saturating_add(n as u64);
        if written > self.writes.queued {
            return Err(MisuseError::InvalidState.into());
        }
        self.writes.written = written;
        self.writes.connected = true;
        self.deadlines.write = if self.writes.pending() {
            self.config.timeouts.write.and_then(|t| now.checked_add(t))
        } else {
            None
        };
        self.check_front_sent(now);
        Ok(())
    }

    /// The socket is connected (for an adapter with a separate connect step): the connect
    /// deadline no longer applies. The first byte written or read says the same.
    pub fn handle_connected(&mut self) {
        self.writes.connected = true;
    }

    /// Writing failed (`reset`: the peer had closed, `EPIPE`/`ECONNRESET`). Nothing more is
    /// written and nothing more may be sent; the read side decides the outcome (a complete
    /// answer may be on its way), and the front request's head deadline starts if it had not.
    pub fn handle_write_error(&mut self, reset: bool, now: Duration) {
        if matches!(self.conn, Conn::Done(_)) {
            return;
        }
        self.writes.failed = true;
        self.io_error = Some(self.io_error.unwrap_or(true) && reset);
        self.deadlines.write = None;
        if !self.front_sent && self.read == Read::Head {
            if let Some(front) = self.queue.front() {
                self.front_sent = true;
                self.deadlines.head = front.head_timeout.and_then(|t| now.checked_add(t));
            }
        }
    }

    // ----- reading ---------------------------------------------------------------------------

    /// `n` bytes were received. A received byte moves the idle deadline of an open body or
    /// raw stream.
    pub fn handle_read(&mut self, n: usize, now: Duration) {
        if n == 0 {
            return;
        }
        self.writes.connected = true;
        self.restart_idle(now);
    }

    /// Reading failed (`reset`: the peer reset the connection). Then decode the bytes still
    /// held with [`decode_eof`](Self::decode_eof): they are all that will come.
    pub fn handle_read_error(&mut self, reset: bool) {
        self.io_error = Some(self.io_error.unwrap_or(true) && reset);
    }

    /// The adapter holds received bytes it cannot decode yet (its buffer is full) — or no
    /// longer. While paused the head and idle deadlines are suspended (back-pressure is not the
    /// peer's fault); on resuming, the idle deadline starts again.
    pub fn set_read_paused(&mut self, paused: bool, now: Duration) {
        if self.paused && !paused {
            self.restart_idle(now);
        }
        self.paused = paused;
    }

    /// Decodes from `input`, the bytes received and not yet consumed. Call again straight
    /// after every event but [`Event::NeedMore`].
    ///
    /// # Errors
    ///
    /// The [`Failure`] that closed the connection (a peer violation, or a misuse): the
    /// connection is then closed and [`poll_failed`](Self::poll_failed) reports the requests
    /// it leaves unanswered. Every later call returns the same failure.
    pub fn decode<'a>(&mut self, input: &'a [u8], now: Duration) -> Result<Decoded<'a>, Failure> {
        self.run(input, false, now)
    }

    /// Like [`decode`](Self::decode), after the peer closed the connection (or a read
    /// failed): `input` is all that will ever come. A close-delimited body or raw stream ends
    /// there; a response cut short fails with [`PeerError::UnexpectedEof`], one that never
    /// started with [`PeerError::ClosedBeforeResponse`]; with nothing outstanding the result is
    /// [`Event::Closed`].
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn decode_eof<'a>(
        &mut self,
        input: &'a [u8],
        now: Duration,
    ) -> Result<Decoded<'a>, Failure> {
        self.run(input, true, now)
    }

    /// The next request that ended without its response, once the connection is closed: the
    /// request at the front gets the failure that closed the connection; the ones behind it
    /// get [`Failure::NotAnswered`] (or [`Failure::Cancelled`]).
    pub fn poll_failed(&mut self) -> Option<Failed> {
        let Conn::Done(failure) = self.conn else {
            return None;
        };
        let entry = self.queue.pop_front()?;
        if let Some(failure) = self.cause.take() {
            return Some(Failed {
                id: entry.id,
                failure,
                retry: self.front_retry,
            });
        }
        let failure = match failure {
            Some(Failure::Cancelled) => Failure::Cancelled,
            _ => Failure::NotAnswered,
        };
        Some(Failed {
            id: entry.id,
            failure,
            retry: self.followers_retry && entry.req.replayable,
        })
    }

    // ----- closing (the deadlines are in `deadline.rs`) --------------------------------------

    /// The adapter closes the connection: every outstanding request fails with
    /// [`Failure::Cancelled`].
    pub fn cancel(&mut self) {
        self.fail(Failure::Cancelled);
    }

    /// The adapter met an I/O error it cannot go on after (`reset`: the peer reset the
    /// connection): the connection fails with [`Failure::Io`].
    pub fn abort(&mut self, reset: bool) {
        self.io_error = Some(self.io_error.unwrap_or(true) && reset);
        self.fail(Failure::Io { reset });
    }

    // ----- internals -------------------------------------------------------------------------

    fn add_queued(&mut self, n: usize, now: Duration) {
        if n == 0 {
            return;
        }
        let was_pending = self.writes.pending();
        self.writes.queued = self.writes.queued.saturating_add(n as u64);
        if !was_pending {
            self.deadlines.write = self.config.timeouts.write.and_then(|t| now.checked_add(t));
        }
    }

    /// Starts the head deadline once the front request is completely written.
    fn check_front_sent(&mut self, now: Duration) {
        if self.front_sent || self.read != Read::Head {
            return;
        }
        let Some(front) = self.queue.front() else {
            return;
        };
        if front.complete() && self.writes.written >= front.end {
            self.front_sent = true;
            self.deadlines.head = front.head_timeout.and_then(|t| now.checked_add(t));
        }
    }

    /// Fails the connection (once): records the cause for the front request and the retry
    /// rule's verdicts, and disarms every deadline. Returns the failure in force.
    fn fail(&mut self, failure: Failure) -> Failure {
        if let Conn::Done(Some(existing)) = self.conn {
            return existing;
        }
        let answered = !self.decoder.is_idle() || self.read != Read::Head;
        let closed = self.is_close(failure);
        let front_retry = self
            .queue
            .front()
            .is_some_and(|f| retry_rule(self.reused, answered, closed, f.req.replayable));
        self.followers_retry = retry_rule(self.reused, false, closed, true);
        if !self.queue.is_empty() {
            self.cause = Some(failure);
        }
        self.front_retry = front_retry;
        self.conn = Conn::Done(Some(failure));
        self.finish_conn();
        failure
    }

    /// The connection ends cleanly after a response that does not leave it reusable: the
    /// requests behind it were not answered.
    fn close_clean(&mut self) {
        if matches!(self.conn, Conn::Done(_)) {
            return;
        }
        self.followers_retry = retry_rule(self.reused, false, true, true);
        self.conn = Conn::Done(None);
        self.finish_conn();
    }

    fn finish_conn(&mut self) {
        self.pending_body = 0;
        self.deadlines = Deadlines::default();
    }

    /// Whether `failure` is the peer closing or resetting the connection.
    fn is_close(&self, failure: Failure) -> bool {
        let by_peer = self.io_error.unwrap_or(true);
        match failure {
            Failure::Peer(PeerError::ClosedBeforeResponse) => by_peer,
            Failure::Io { reset } => reset,
            _ => false,
        }
    }
}

/// The retry rule, the one place it is decided.
const fn retry_rule(reused: bool, answered: bool, closed: bool, replayable: bool) -> bool {
    reused && !answered && closed && replayable
}

/// The method the decoder must know (only `HEAD` changes the framing).
/// The method the response decoder needs to know: `HEAD` (no body) and `CONNECT` (a 2xx
/// answer is a tunnel) change how a response is framed; any other is `GET`'s.
const fn method(request: &Request) -> &'static str {
    if request.head {
        "HEAD"
    } else if request.connect {
        "CONNECT"
    } else {
        "GET"
    }
}

const fn failure_of(e: Error) -> Failure {
    match e {
        Error::Peer(p) => Failure::Peer(p),
        Error::Misuse(m) => Failure::Misuse(m),
    }
}
