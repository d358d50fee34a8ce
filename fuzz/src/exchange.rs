//! Driving an [`Exchange`] the way an adapter does, from a script the fuzz input describes:
//! requests started when the connection lets them (methods incl. `HEAD` and `CONNECT`, fixed
//! and streamed bodies, upgrades, the three body modes, per-request deadlines), write progress,
//! streamed body pieces and time advancing between *segments* of the response bytes, and the
//! response bytes themselves, fed into a receive buffer that drops what each call consumed.
//!
//! The script fixes everything that happens between segments, so the transport may only cut
//! the bytes *inside* a segment: the run with every segment fed whole is the reference, and
//! the runs with the input's split points (and byte by byte, for short inputs) must produce the
//! same normalized events — ids, head statuses, data, messages and frames joined per request,
//! ends with their reusable flag, upgrades, failures with their class and retry verdict,
//! timeouts. On the way every call is checked: `consumed` within the input, every borrowed
//! slice within the input and the tail of what was consumed, and once the exchange failed it
//! stays failed (the same failure from every later call, nothing armed, nothing accepted).
//!
//! Input layout: `[config] [split count] [split bytes…] [request count] [2 bytes per request]
//! [segment count] [2 bytes per segment] [response bytes…]`, each field documented where it is
//! read ([`Script::parse`]).

use core::time::Duration;

use docksock_proto::encode::BodyEncoder;
use docksock_proto::exchange::{
    BodyMode, Config, Event, Exchange, Failure, Request, RequestBody, RequestId, UpgradeKind,
};
use docksock_proto::stdcopy::{Mode, StreamKind};
use docksock_proto::timeout::{Timeout, TimeoutKind, Timeouts};

use crate::response::{fields, tiny_limits};
use crate::split::{pieces, take_spec, within};

/// Methods a request selector picks from (index = selector % 8).
pub const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "CONNECT", "DELETE", "PUT", "GET", "HEAD",
];

/// Time advances a segment selector picks from (index = selector % 8).
const ADVANCE_MS: [u64; 8] = [0, 0, 500, 1_000, 2_000, 3_000, 60_000, 61_000];

/// Write progress a segment selector picks from (index = selector % 8); `usize::MAX`: all.
const WRITES: [usize; 8] = [0, 1, 7, 20, 64, usize::MAX, usize::MAX, 0];

/// Bytes of request head each request queues with `start`.
const HEAD_BYTES: usize = 20;

/// How a request's body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySpec {
    /// No body.
    None,
    /// A body of this many bytes queued with the head.
    Fixed(u64),
    /// A chunked body streamed after the head.
    Chunked,
    /// A `Content-Length` body of this many bytes streamed after the head.
    Length(u64),
}

/// One request of the script.
#[derive(Debug, Clone, Copy)]
pub struct ReqSpec {
    /// The method.
    pub method: &'static str,
    /// Its body.
    pub body: BodySpec,
    /// The exchange's view of it.
    pub request: Request,
}

/// What happens before a segment of response bytes is fed.
#[derive(Debug, Clone, Copy)]
pub struct SegSpec {
    /// Response bytes in the segment (the last segment takes the rest).
    pub len: usize,
    /// The clock moves this far first (then `handle_timeout`).
    pub advance: Duration,
    /// Queued bytes reported written (capped at what is pending).
    pub write: usize,
    /// Queue a piece of the open streamed body.
    pub piece: bool,
    /// Finish the open streamed body.
    pub finish: bool,
}

/// The parsed input.
#[derive(Debug, Clone)]
pub struct Script<'a> {
    /// The connection's configuration.
    pub config: Config,
    /// Piece lengths of the transport (see [`crate::split`]).
    pub spec: &'a [u8],
    /// The requests, started in order whenever the exchange accepts one.
    pub requests: Vec<ReqSpec>,
    /// The segments.
    pub segments: Vec<SegSpec>,
    /// After the last segment the peer closes the connection (`decode_eof`).
    pub eof: bool,
    /// The response bytes.
    pub wire: &'a [u8],
}

fn timeout(sel: u8) -> Timeout {
    match sel & 3 {
        0 => Timeout::Default,
        1 => Timeout::Off,
        2 => Timeout::After(Duration::from_secs(1)),
        _ => Timeout::After(Duration::from_secs(5)),
    }
}

impl<'a> Script<'a> {
    /// Reads the script from an input; `None` when it is too short to hold one.
    ///
    /// * `config`: bits 0–2 pipelining depth − 1; bit 3 tiny decoder limits; bit 4 a 16-byte
    ///   JSON message cap; bit 5 no EOF at the end; bits 6–7 deadlines (default, short, off,
    ///   short without idle).
    /// * request count: 1 + (byte % 4) requests, each `[kind] [extra]`. `kind`: bits 0–2 the
    ///   method ([`METHODS`]); bits 3–4 the body (none, fixed, chunked streamed, length
    ///   streamed; the size is `extra >> 6` × 3); bit 5 upgrade; bits 6–7 the mode (bytes,
    ///   JSON, multiplexed stdcopy, raw stdcopy). `extra`: bits 0–1 head timeout, bits 2–3
    ///   idle timeout (default, off, 1 s, 5 s); bit 4 exclusive; bit 5 not replayable.
    /// * segment count: 1 + (byte % 4) segments, each `[len] [action]`. `action`: bits 0–2 the
    ///   time advance, bits 3–5 the write progress, bit 6 a streamed body piece, bit 7 finish
    ///   the streamed body.
    pub fn parse(data: &'a [u8]) -> Option<Script<'a>> {
        let (&cfg, rest) = data.split_first()?;
        let (spec, rest) = take_spec(rest);
        let (&nreq, mut rest) = rest.split_first()?;
        let mut requests = Vec::new();
        for _ in 0..1 + usize::from(nreq % 4) {
            let (pair, more) = rest.split_first_chunk::<2>()?;
            rest = more;
            let [kind, extra] = *pair;
            let method = METHODS[usize::from(kind & 7)];
            let size = u64::from(extra >> 6) * 3;
            let body = match (kind >> 3) & 3 {
                0 => BodySpec::None,
                1 => BodySpec::Fixed(size),
                2 => BodySpec::Chunked,
                _ => BodySpec::Length(size),
            };
            let mode = match kind >> 6 {
                0 => BodyMode::Bytes,
                1 => BodyMode::Json,
                2 => BodyMode::Stdcopy(Mode::Multiplexed),
                _ => BodyMode::Stdcopy(Mode::Raw),
            };
            let req_body = match body {
                BodySpec::None => RequestBody::None,
                BodySpec::Fixed(n) => RequestBody::Fixed(n),
                BodySpec::Chunked => RequestBody::Streamed(BodyEncoder::chunked()),
                BodySpec::Length(n) => RequestBody::Streamed(BodyEncoder::length(n)),
            };
            let request = Request::new(method)
                .with_body(req_body)
                .upgrade(kind & 32 != 0)
                .mode(mode)
                .head_timeout(timeout(extra))
                .idle_timeout(timeout(extra >> 2))
                .exclusive(extra & 16 != 0)
                .replayable(extra & 32 == 0);
            requests.push(ReqSpec {
                method,
                body,
                request,
            });
        }
        let (&nseg, mut rest) = rest.split_first()?;
        let mut segments = Vec::new();
        for _ in 0..1 + usize::from(nseg % 4) {
            let (pair, more) = rest.split_first_chunk::<2>()?;
            rest = more;
            let [len, action] = *pair;
            segments.push(SegSpec {
                len: usize::from(len),
                advance: Duration::from_millis(ADVANCE_MS[usize::from(action & 7)]),
                write: WRITES[usize::from((action >> 3) & 7)],
                piece: action & 64 != 0,
                finish: action & 128 != 0,
            });
        }
        let mut config = Config::DEFAULT;
        config.pipeline = 1 + usize::from(cfg & 7);
        if cfg & 8 != 0 {
            config.limits = tiny_limits();
        }
        if cfg & 16 != 0 {
            config.max_json_message = 16;
        }
        let mut short = Timeouts::DEFAULT;
        short.connect = Some(Duration::from_secs(1));
        short.head = Some(Duration::from_secs(2));
        short.idle = Some(Duration::from_secs(3));
        short.write = Some(Duration::from_secs(1));
        let mut off = Timeouts::DEFAULT;
        off.connect = None;
        off.head = None;
        off.idle = None;
        off.write = None;
        let mut no_idle = short;
        no_idle.idle = None;
        config.timeouts = [Timeouts::DEFAULT, short, off, no_idle][usize::from(cfg >> 6)];
        Some(Script {
            config,
            spec,
            requests,
            segments,
            eof: cfg & 32 == 0,
            wire: rest,
        })
    }

    /// The segments' byte ranges of the wire: consecutive, covering it (the last one takes
    /// the rest).
    fn ranges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        for (i, s) in self.segments.iter().enumerate() {
            let end = if i + 1 == self.segments.len() {
                self.wire.len()
            } else {
                (at + s.len).min(self.wire.len())
            };
            out.push((at, end));
            at = end;
        }
        out
    }
}

/// An owned, normalized event: consecutive pieces of one kind and request are joined, JSON
/// parts are assembled into messages, frames keep their boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// A request was started (`start` accepted it).
    Started(u64),
    /// A final head: id, status, abandon_body.
    Head(u64, u16, bool),
    /// An upgrade: id, status, kind, abandon_body.
    Upgraded(u64, u16, UpgradeKind, bool),
    /// Body bytes.
    Data(u64, Vec<u8>),
    /// A whole JSON message.
    Message(u64, Vec<u8>),
    /// A stdcopy frame's payload (joined pieces) and whether its end was seen.
    Frame(u64, StreamKind, Vec<u8>, bool),
    /// Stream-3 error text and whether its end was seen.
    SystemError(u64, Vec<u8>, bool),
    /// Trailer fields.
    Trailers(u64, Vec<(Vec<u8>, Vec<u8>)>),
    /// Raw stream bytes.
    Raw(u64, Vec<u8>),
    /// End of a response (reusable).
    End(u64, bool),
    /// The peer closed with nothing outstanding (or after the last response).
    Closed,
    /// `decode` failed.
    Error(Failure),
    /// A deadline fired.
    Timeout(TimeoutKind),
    /// A request came out of `poll_failed`: id, failure, retry.
    Failed(u64, Failure, bool),
}

/// One run's adapter state.
struct Run<'s, 'a> {
    script: &'s Script<'a>,
    x: Exchange,
    now: Duration,
    log: Vec<Ev>,
    buf: Vec<u8>,
    assembly: Vec<u8>,
    /// Requests started so far.
    next: usize,
    /// Bytes queued and written, as the adapter counts them.
    queued: u64,
    written: u64,
    /// The failure the exchange reported, once it did.
    failed: Option<Failure>,
    /// The exchange closed (cleanly or not): nothing more is fed.
    done: bool,
    /// Calls left before the run counts as a livelock.
    budget: usize,
}

impl Run<'_, '_> {
    fn push(&mut self, ev: Ev) {
        match (self.log.last_mut(), &ev) {
            (Some(Ev::Data(a, acc)), Ev::Data(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::Raw(a, acc)), Ev::Raw(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::SystemError(a, acc, false)), Ev::SystemError(b, more, end)) if a == b => {
                acc.extend_from_slice(more);
                let end = *end;
                if let Some(Ev::SystemError(_, _, e)) = self.log.last_mut() {
                    *e = end;
                }
            }
            (Some(Ev::Frame(a, s, acc, false)), Ev::Frame(b, t, more, end)) if a == b && s == t => {
                acc.extend_from_slice(more);
                let end = *end;
                if let Some(Ev::Frame(_, _, _, e)) = self.log.last_mut() {
                    *e = end;
                }
            }
            _ => self.log.push(ev),
        }
    }

    fn drain_failed(&mut self) {
        while let Some(f) = self.x.poll_failed() {
            assert!(self.x.is_closed(), "poll_failed on an open connection");
            self.push(Ev::Failed(f.id.get(), f.failure, f.retry));
        }
    }

    /// Once failed, the exchange stays failed: the same failure from every call, nothing armed,
    /// nothing accepted.
    fn check_failed(&mut self) {
        let Some(f) = self.failed else {
            return;
        };
        assert!(self.x.is_closed(), "failed exchange not closed");
        assert_eq!(self.x.failure(), Some(f), "failure changed");
        assert_eq!(
            self.x.decode(b"x", self.now),
            Err(f),
            "decode after failure"
        );
        assert_eq!(
            self.x.decode_eof(b"", self.now),
            Err(f),
            "decode_eof after failure"
        );
        assert!(!self.x.can_send() && !self.x.is_reusable());
        assert_eq!(self.x.poll_timeout(), None, "deadline armed after failure");
        assert_eq!(
            self.x.handle_timeout(self.now + Duration::from_secs(3600)),
            None
        );
        assert!(self
            .x
            .start(RequestId::new(999), Request::new("GET"), 1, self.now)
            .is_err());
        assert!(self.x.poll_failed().is_none(), "poll_failed not drained");
    }

    fn fail(&mut self, f: Failure) {
        assert!(
            self.failed.map_or(true, |g| g == f),
            "second failure {f:?} after {:?}",
            self.failed
        );
        self.failed = Some(f);
        self.done = true;
        self.drain_failed();
        self.check_failed();
    }

    /// Starts every request the exchange accepts now.
    fn start_requests(&mut self) {
        while self.next < self.script.requests.len() && self.x.can_send() {
            let r = self.script.requests[self.next];
            let id = RequestId::new(self.next as u64 + 1);
            let n = HEAD_BYTES
                + match r.body {
                    BodySpec::Fixed(n) => n as usize,
                    _ => 0,
                };
            self.x
                .start(id, r.request, n, self.now)
                .expect("start refused although can_send");
            self.queued += n as u64;
            self.next += 1;
            self.push(Ev::Started(id.get()));
        }
    }

    /// The streamed body of the last request started, if open: queue a piece and/or finish it.
    fn stream_body(&mut self, seg: &SegSpec) {
        if self.next == 0 {
            return;
        }
        let id = RequestId::new(self.next as u64);
        if seg.piece {
            let frame = match self.x.body_encoder(id) {
                Ok(enc) => {
                    let len = enc.remaining().map_or(5, |r| r.min(5) as usize);
                    enc.frame(len).ok().map(|f| f.overhead() + len)
                }
                Err(_) => None,
            };
            if let Some(n) = frame {
                self.x.queued(id, n, self.now).expect("queued piece");
                self.queued += n as u64;
            }
        }
        if seg.finish {
            let end = match self.x.body_encoder(id) {
                Ok(enc) => enc.finish().ok().map(<[u8]>::len),
                Err(_) => None,
            };
            if let Some(n) = end {
                self.x.queued(id, n, self.now).expect("queued end");
                self.queued += n as u64;
            }
        }
    }

    /// Decodes what the buffer holds (then EOF when `eof`) until the exchange needs more.
    fn pump(&mut self, eof: bool) {
        loop {
            if self.done {
                return;
            }
            self.budget = self
                .budget
                .checked_sub(1)
                .expect("exchange makes no progress (livelock)");
            let buf = std::mem::take(&mut self.buf);
            let result = if eof {
                self.x.decode_eof(&buf, self.now)
            } else {
                self.x.decode(&buf, self.now)
            };
            let step = match result {
                Ok(step) => step,
                Err(f) => {
                    self.buf = buf;
                    self.push(Ev::Error(f));
                    self.fail(f);
                    return;
                }
            };
            let c = step.consumed;
            assert!(c <= buf.len(), "consumed {c} > input {}", buf.len());
            // Every slice lies in the input and is the tail of what was consumed.
            let tail = |s: &[u8]| {
                assert!(!s.is_empty(), "empty slice event");
                assert!(within(s, &buf), "slice not borrowed from the input");
                assert!(
                    std::ptr::eq(s.as_ptr_range().end, buf[..c].as_ptr_range().end),
                    "slice is not the consumed tail"
                );
            };
            let ev = match step.event {
                Event::NeedMore => None,
                Event::Head {
                    id,
                    head,
                    abandon_body,
                } => {
                    assert!(within(head.reason(), &buf));
                    let _ = fields(head.headers(), &buf);
                    Some(Ev::Head(id.get(), head.status(), abandon_body))
                }
                Event::Upgraded {
                    id,
                    head,
                    kind,
                    abandon_body,
                } => {
                    assert!(within(head.reason(), &buf));
                    let _ = fields(head.headers(), &buf);
                    assert_eq!(self.x.upgraded(), Some(id));
                    Some(Ev::Upgraded(id.get(), head.status(), kind, abandon_body))
                }
                Event::Data { id, data } => {
                    tail(data);
                    Some(Ev::Data(id.get(), data.to_vec()))
                }
                Event::Message { id, message } => {
                    tail(message);
                    assert!(self.assembly.is_empty(), "Message while a part is pending");
                    Some(Ev::Message(id.get(), message.to_vec()))
                }
                Event::MessagePart { id, part, complete } => {
                    if !part.is_empty() {
                        tail(part);
                    }
                    self.assembly.extend_from_slice(part);
                    complete.then(|| Ev::Message(id.get(), std::mem::take(&mut self.assembly)))
                }
                Event::Frame {
                    id,
                    stream,
                    data,
                    frame_end,
                } => {
                    tail(data);
                    Some(Ev::Frame(id.get(), stream, data.to_vec(), frame_end))
                }
                Event::SystemError {
                    id,
                    text,
                    frame_end,
                } => {
                    if !text.is_empty() {
                        tail(text);
                    }
                    Some(Ev::SystemError(id.get(), text.to_vec(), frame_end))
                }
                Event::Trailers { id, trailers } => {
                    Some(Ev::Trailers(id.get(), fields(trailers, &buf)))
                }
                Event::Raw { id, data } => {
                    tail(data);
                    Some(Ev::Raw(id.get(), data.to_vec()))
                }
                Event::End { id, reusable } => {
                    assert!(self.assembly.is_empty(), "End inside a JSON message");
                    Some(Ev::End(id.get(), reusable))
                }
                Event::Closed => Some(Ev::Closed),
                _ => unreachable!("no other event"),
            };
            let need_more = step.event == Event::NeedMore;
            let closed = step.event == Event::Closed;
            self.buf = buf;
            self.buf.drain(..c);
            if let Some(Ev::Head(_, _, true) | Ev::Upgraded(_, _, _, true)) = ev {
                // An early answer: the adapter drops every unwritten byte of its queue.
                self.queued = self.written;
            }
            if let Some(ev) = ev {
                self.push(ev);
            }
            self.drain_failed();
            if closed {
                assert!(self.x.is_closed(), "Closed on an open connection");
                self.done = true;
                return;
            }
            if need_more {
                return;
            }
        }
    }

    /// Time moves to `now`; a deadline that came fires.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        if let Some(kind) = self.x.handle_timeout(self.now) {
            self.push(Ev::Timeout(kind));
            assert_eq!(self.x.failure(), Some(Failure::Timeout(kind)));
            self.fail(Failure::Timeout(kind));
        }
        self.check_failed();
    }

    fn write(&mut self, n: usize) {
        let n = n.min((self.queued - self.written) as usize);
        if n > 0 {
            self.x
                .handle_written(n, self.now)
                .expect("handle_written within what was queued");
            self.written += n as u64;
        }
    }
}

/// One run: the wire cut at `lengths` (piece lengths summing to its length), and cut again
/// at every segment boundary.
pub fn run(script: &Script<'_>, lengths: &[usize]) -> Vec<Ev> {
    let mut r = Run {
        script,
        x: Exchange::new(script.config, Duration::ZERO),
        now: Duration::ZERO,
        log: Vec::new(),
        buf: Vec::new(),
        assembly: Vec::new(),
        next: 0,
        queued: 0,
        written: 0,
        failed: None,
        done: false,
        budget: 64 + 8 * script.wire.len() + 4 * lengths.len(),
    };
    // Cut points of the transport, as absolute offsets.
    let mut cuts = Vec::with_capacity(lengths.len());
    let mut acc = 0;
    for &l in lengths {
        acc += l;
        cuts.push(acc);
    }
    for (seg, (start, end)) in script.segments.iter().zip(script.ranges()) {
        r.advance(seg.advance);
        r.start_requests();
        if !r.done && r.failed.is_none() {
            r.stream_body(seg);
            r.write(seg.write);
            r.start_requests();
        }
        let mut at = start;
        for &cut in cuts.iter().filter(|&&c| c > start && c < end).chain([&end]) {
            let piece = &script.wire[at..cut];
            at = cut;
            if r.done {
                continue;
            }
            r.buf.extend_from_slice(piece);
            r.x.handle_read(piece.len(), r.now);
            r.pump(false);
        }
        r.check_failed();
    }
    if script.eof && !r.done {
        r.pump(true);
    }
    r.check_failed();
    if r.x.is_closed() {
        assert_eq!(
            r.x.poll_timeout(),
            None,
            "deadline armed on a closed connection"
        );
        assert!(r.x.poll_failed().is_none());
    }
    r.log
}

/// The `exchange` target (layout in the [module docs](self)): the wire with every segment fed
/// whole, at the input's split points, and byte by byte when short, must give the same events.
pub fn fuzz_exchange(data: &[u8]) {
    let Some(script) = Script::parse(data) else {
        return;
    };
    let len = script.wire.len();
    let whole = run(&script, &[len]);
    let lengths = pieces(script.spec, len);
    if lengths.len() > 1 {
        let split = run(&script, &lengths);
        assert_eq!(whole, split, "split {lengths:?} changes the events");
    }
    if len <= 256 && len > 1 {
        let bytewise = run(&script, &vec![1; len]);
        assert_eq!(whole, bytewise, "byte-by-byte feeding changes the events");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str) -> Vec<Ev> {
        let path = format!("{}/seeds/exchange/{name}", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(path).unwrap();
        let script = Script::parse(&data).unwrap();
        run(&script, &[script.wire.len()])
    }

    #[test]
    fn seeds_drive_the_exchange() {
        assert!(seed("pipelined-keepalive").contains(&Ev::End(2, true)));
        assert!(seed("upgrade-101-raw").contains(&Ev::Raw(1, b"raw stream bytes".to_vec())));
        assert!(seed("connect-tunnel")
            .iter()
            .any(|e| matches!(e, Ev::Upgraded(1, 200, UpgradeKind::Tunnel, _))));
        assert!(seed("early-answer-streamed").contains(&Ev::Head(1, 400, true)));
        assert!(seed("head-timeout").contains(&Ev::Timeout(TimeoutKind::Head)));
        assert!(seed("idle-timeout-fixed-body").contains(&Ev::Timeout(TimeoutKind::Idle)));
    }
}
