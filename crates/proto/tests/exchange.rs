//! The exchange without sockets or clocks: an in-memory peer feeds scripted response bytes
//! to an [`Exchange`], whole, byte by byte and at random splits, and the normalized events
//! must be the same every time. Time is a number; deadlines fire exactly at their instant.

use core::time::Duration;

use docksock_proto::encode::{BodyEncoder, BodyFraming, RequestSpec};
use docksock_proto::exchange::{
    BodyMode, Config, Event, Exchange, Failed, Failure, Request, RequestBody, RequestId,
    UpgradeKind,
};
use docksock_proto::stdcopy::{Mode, StreamKind};
use docksock_proto::timeout::{Timeout, TimeoutKind};
use docksock_proto::{Error, MisuseError, PeerError};
use proptest::prelude::*;

/// An owned, normalized event: consecutive pieces of one kind are joined, JSON parts are
/// assembled into messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Head(u64, u16, bool),
    Upgraded(u64, u16, UpgradeKind),
    Data(u64, Vec<u8>),
    Message(u64, Vec<u8>),
    Frame(u64, StreamKind, Vec<u8>),
    SystemError(u64, Vec<u8>),
    Trailers(u64, Vec<(String, Vec<u8>)>),
    Raw(u64, Vec<u8>),
    End(u64, bool),
    Closed,
    /// `decode` failed.
    Error(Failure),
    Failed(u64, Failure, bool),
}

fn id(n: u64) -> RequestId {
    RequestId::new(n)
}

const T0: Duration = Duration::ZERO;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The in-memory reading side of an adapter: a buffer, an assembly buffer for JSON messages,
/// and the event log.
#[derive(Default)]
struct Reader {
    buf: Vec<u8>,
    assembly: Vec<u8>,
    log: Vec<Ev>,
    done: bool,
}

impl Reader {
    fn push(&mut self, ev: Ev) {
        match (self.log.last_mut(), &ev) {
            (Some(Ev::Data(a, acc)), Ev::Data(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::Raw(a, acc)), Ev::Raw(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::SystemError(a, acc)), Ev::SystemError(b, more)) if a == b => {
                acc.extend_from_slice(more)
            }
            (Some(Ev::Frame(a, s, acc)), Ev::Frame(b, t, more)) if a == b && s == t => {
                acc.extend_from_slice(more)
            }
            _ => self.log.push(ev),
        }
    }

    fn drain_failed(&mut self, x: &mut Exchange) {
        while let Some(Failed { id, failure, retry }) = x.poll_failed() {
            self.push(Ev::Failed(id.get(), failure, retry));
        }
    }

    /// Decodes what the buffer holds (then EOF when `eof`) until the exchange needs more.
    fn pump(&mut self, x: &mut Exchange, eof: bool, now: Duration) {
        for _ in 0..100_000 {
            if self.done {
                return;
            }
            let result = if eof {
                x.decode_eof(&self.buf, now)
            } else {
                x.decode(&self.buf, now)
            };
            let step = match result {
                Ok(step) => step,
                Err(f) => {
                    self.push(Ev::Error(f));
                    self.drain_failed(x);
                    self.done = true;
                    return;
                }
            };
            // Every slice is the tail of what was consumed.
            let tail = |s: &[u8]| {
                let c = step.consumed;
                assert_eq!(
                    s,
                    &self.buf[c - s.len()..c],
                    "slice is not the consumed tail"
                );
            };
            let ev = match step.event {
                Event::NeedMore => None,
                Event::Head {
                    id,
                    head,
                    abandon_body,
                } => Some(Ev::Head(id.get(), head.status(), abandon_body)),
                Event::Upgraded { id, head, kind, .. } => {
                    Some(Ev::Upgraded(id.get(), head.status(), kind))
                }
                Event::Data { id, data } => {
                    tail(data);
                    Some(Ev::Data(id.get(), data.to_vec()))
                }
                Event::Message { id, message } => {
                    tail(message);
                    Some(Ev::Message(id.get(), message.to_vec()))
                }
                Event::MessagePart { id, part, complete } => {
                    tail(part);
                    self.assembly.extend_from_slice(part);
                    complete.then(|| Ev::Message(id.get(), std::mem::take(&mut self.assembly)))
                }
                Event::Frame {
                    id, stream, data, ..
                } => {
                    tail(data);
                    Some(Ev::Frame(id.get(), stream, data.to_vec()))
                }
                Event::SystemError { id, text, .. } => {
                    tail(text);
                    Some(Ev::SystemError(id.get(), text.to_vec()))
                }
                Event::Trailers { id, trailers } => Some(Ev::Trailers(
                    id.get(),
                    trailers
                        .iter()
                        .map(|f| (f.name.to_string(), f.value.to_vec()))
                        .collect(),
                )),
                Event::Raw { id, data } => {
                    tail(data);
                    Some(Ev::Raw(id.get(), data.to_vec()))
                }
                Event::End { id, reusable } => Some(Ev::End(id.get(), reusable)),
                Event::Closed => Some(Ev::Closed),
                _ => unreachable!("no other event"),
            };
            let need_more = step.event == Event::NeedMore;
            let closed = step.event == Event::Closed;
            self.buf.drain(..step.consumed);
            if let Some(ev) = ev {
                self.push(ev);
            }
            self.drain_failed(x);
            if closed {
                self.done = true;
                return;
            }
            if need_more {
                return;
            }
        }
        panic!("no progress: {:?}", self.log);
    }
}

/// A scenario: how to set the exchange up (requests started and written), the peer's bytes,
/// and whether the peer closes after them.
struct Scenario {
    name: &'static str,
    setup: fn(&mut Exchange),
    wire: Vec<u8>,
    eof: bool,
    expect: Vec<Ev>,
}

/// Starts request `n` with a 10-byte head, completely written.
fn sent(x: &mut Exchange, n: u64, request: Request) {
    x.start(id(n), request, 10, T0).expect("start");
    x.handle_written(10, T0).expect("written");
}

fn get() -> Request {
    Request::new("GET")
}

/// Feeds `wire` cut at `cuts` (piece lengths; the rest in one piece).
fn play(s: &Scenario, cuts: &[usize]) -> Vec<Ev> {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    (s.setup)(&mut x);
    let mut r = Reader::default();
    let mut at = 0;
    let mut pieces = Vec::new();
    for &c in cuts {
        if at >= s.wire.len() {
            break;
        }
        let end = (at + c).min(s.wire.len());
        pieces.push(&s.wire[at..end]);
        at = end;
    }
    if at < s.wire.len() {
        pieces.push(&s.wire[at..]);
    }
    for piece in pieces {
        r.buf.extend_from_slice(piece);
        x.handle_read(piece.len(), T0);
        r.pump(&mut x, false, T0);
    }
    if s.eof {
        r.pump(&mut x, true, T0);
    }
    r.log
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut v = format!("{:x}\r\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\r\n");
    v
}

fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![stream, 0, 0, 0];
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn scenarios() -> Vec<Scenario> {
    let json_body = cat(&[
        &chunk(b"{\"status\":\"a\"}\n{\"sta"),
        &chunk(b"tus\":\"b\"}\n"),
        &chunk(b"  [1,{\"x\":\"]}\"}]"),
        b"0\r\n\r\n",
    ]);
    let frames = cat(&[&frame(1, b"out\n"), &frame(2, b"err\n"), &frame(1, b"")]);
    vec![
        Scenario {
            name: "pipelined keep-alive: length, chunked with trailers, 204, 304",
            setup: |x| {
                for n in 1..=4 {
                    sent(x, n, get());
                }
            },
            wire: cat(&[
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                &chunk(b"hello "),
                &chunk(b"world"),
                b"0\r\nX-Sum: 1\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
                b"HTTP/1.1 304 Not Modified\r\n\r\n",
            ]),
            eof: false,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Data(1, b"abc".to_vec()),
                Ev::End(1, true),
                Ev::Head(2, 200, false),
                Ev::Data(2, b"hello world".to_vec()),
                Ev::Trailers(2, vec![("X-Sum".into(), b"1".to_vec())]),
                Ev::End(2, true),
                Ev::Head(3, 204, false),
                Ev::End(3, true),
                Ev::Head(4, 304, false),
                Ev::End(4, true),
            ],
        },
        Scenario {
            name: "HEAD: no body whatever the length says",
            setup: |x| {
                sent(x, 1, Request::new("HEAD"));
                sent(x, 2, get());
            },
            wire: cat(&[
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            ]),
            eof: true,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::End(1, true),
                Ev::Head(2, 200, false),
                Ev::Data(2, b"ok".to_vec()),
                Ev::End(2, true),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "close-delimited body ends at EOF and closes; the follower is not answered",
            setup: |x| {
                sent(x, 1, get());
                sent(x, 2, get());
            },
            wire: b"HTTP/1.1 200 OK\r\n\r\nuntil the end".to_vec(),
            eof: true,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Data(1, b"until the end".to_vec()),
                Ev::End(1, false),
                Ev::Failed(2, Failure::NotAnswered, true),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "informational responses are skipped",
            setup: |x| sent(x, 1, get()),
            wire: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
            eof: false,
            expect: vec![Ev::Head(1, 200, false), Ev::End(1, true)],
        },
        Scenario {
            name: "JSON messages spanning inputs and chunks, assembled",
            setup: |x| sent(x, 1, get().mode(BodyMode::Json)),
            wire: cat(&[
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                &json_body,
            ]),
            eof: false,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Message(1, b"{\"status\":\"a\"}".to_vec()),
                Ev::Message(1, b"{\"status\":\"b\"}".to_vec()),
                Ev::Message(1, b"[1,{\"x\":\"]}\"}]".to_vec()),
                Ev::End(1, true),
            ],
        },
        Scenario {
            name: "error statuses are data whatever the mode",
            setup: |x| sent(x, 1, get().mode(BodyMode::Json)),
            wire: b"HTTP/1.1 404 Not Found\r\nContent-Length: 15\r\n\r\n{\"message\":\"x\"}"
                .to_vec(),
            eof: false,
            expect: vec![
                Ev::Head(1, 404, false),
                Ev::Data(1, b"{\"message\":\"x\"}".to_vec()),
                Ev::End(1, true),
            ],
        },
        Scenario {
            name: "stdcopy frames in a length body",
            setup: |x| sent(x, 1, get().mode(BodyMode::Stdcopy(Mode::Multiplexed))),
            wire: cat(&[
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", frames.len()).as_bytes(),
                &frames,
            ]),
            eof: false,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Frame(1, StreamKind::Stdout, b"out\n".to_vec()),
                Ev::Frame(1, StreamKind::Stderr, b"err\n".to_vec()),
                Ev::End(1, true),
            ],
        },
        Scenario {
            name: "a stream-3 frame: its text, then the daemon's error fails the request",
            setup: |x| sent(x, 1, get().mode(BodyMode::Stdcopy(Mode::Multiplexed))),
            wire: cat(&[
                b"HTTP/1.1 200 OK\r\n\r\n",
                &frame(1, b"x"),
                &frame(3, b"boom\n"),
            ]),
            eof: true,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Frame(1, StreamKind::Stdout, b"x".to_vec()),
                Ev::SystemError(1, b"boom\n".to_vec()),
                Ev::Error(Failure::Peer(PeerError::DaemonSystemError)),
                Ev::Failed(1, Failure::Peer(PeerError::DaemonSystemError), false),
            ],
        },
        Scenario {
            name: "101 upgrade: leftover bytes belong to the raw stream",
            setup: |x| sent(x, 1, get().upgrade(true)),
            wire: b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nleftover and more"
                .to_vec(),
            eof: true,
            expect: vec![
                Ev::Upgraded(1, 101, UpgradeKind::Switching),
                Ev::Raw(1, b"leftover and more".to_vec()),
                Ev::End(1, false),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "CONNECT 2xx: a tunnel, the length field does not apply",
            setup: |x| sent(x, 1, Request::new("CONNECT")),
            wire: b"HTTP/1.1 200 Connection established\r\nContent-Length: 2\r\n\r\ntunnel bytes"
                .to_vec(),
            eof: true,
            expect: vec![
                Ev::Upgraded(1, 200, UpgradeKind::Tunnel),
                Ev::Raw(1, b"tunnel bytes".to_vec()),
                Ev::End(1, false),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "2xx close-delimited answer to an upgrade: dockerd's hijack, frames",
            setup: |x| {
                sent(
                    x,
                    1,
                    get()
                        .upgrade(true)
                        .mode(BodyMode::Stdcopy(Mode::Multiplexed)),
                )
            },
            wire: cat(&[
                b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n",
                &frames,
            ]),
            eof: true,
            expect: vec![
                Ev::Upgraded(1, 200, UpgradeKind::Hijack),
                Ev::Frame(1, StreamKind::Stdout, b"out\n".to_vec()),
                Ev::Frame(1, StreamKind::Stderr, b"err\n".to_vec()),
                Ev::End(1, false),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "a 4xx answer to an upgrade is a plain response",
            setup: |x| sent(x, 1, get().upgrade(true)),
            wire: b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\n\r\nno".to_vec(),
            eof: false,
            expect: vec![
                Ev::Head(1, 409, false),
                Ev::Data(1, b"no".to_vec()),
                Ev::End(1, true),
            ],
        },
        Scenario {
            name: "Connection: close fails the pipelined followers as not answered",
            setup: |x| {
                for n in 1..=3 {
                    sent(x, n, get());
                }
            },
            wire: b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n"
                .to_vec(),
            eof: false,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Data(1, b"x".to_vec()),
                Ev::End(1, false),
                Ev::Failed(2, Failure::NotAnswered, true),
                Ev::Failed(3, Failure::NotAnswered, true),
                Ev::Closed,
            ],
        },
        Scenario {
            name: "a peer error fails the front request and the others are not answered",
            setup: |x| {
                for n in 1..=3 {
                    sent(x, n, get());
                }
            },
            wire: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\nX: y\r\n\r\n"
                .to_vec(),
            eof: false,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Data(1, b"ok".to_vec()),
                Ev::End(1, true),
                Ev::Error(Failure::Peer(PeerError::BareLf)),
                Ev::Failed(2, Failure::Peer(PeerError::BareLf), false),
                Ev::Failed(3, Failure::NotAnswered, false),
            ],
        },
        Scenario {
            name: "a body cut short is an error, never an end",
            setup: |x| sent(x, 1, get()),
            wire: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
            eof: true,
            expect: vec![
                Ev::Head(1, 200, false),
                Ev::Data(1, b"abc".to_vec()),
                Ev::Error(Failure::Peer(PeerError::UnexpectedEof)),
                Ev::Failed(1, Failure::Peer(PeerError::UnexpectedEof), false),
            ],
        },
        Scenario {
            name: "bytes with nothing outstanding are unsolicited",
            setup: |x| sent(x, 1, get()),
            wire: b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".to_vec(),
            eof: false,
            expect: vec![
                Ev::Head(1, 204, false),
                Ev::End(1, true),
                Ev::Error(Failure::Peer(PeerError::UnsolicitedResponse)),
            ],
        },
        Scenario {
            name: "the peer closes an idle connection: a clean end",
            setup: |_| {},
            wire: Vec::new(),
            eof: true,
            expect: vec![Ev::Closed],
        },
    ]
}

#[test]
fn every_scenario_whole_byte_by_byte_and_at_splits() {
    for s in scenarios() {
        let whole = play(&s, &[]);
        assert_eq!(whole, s.expect, "{}: whole", s.name);
        let bytes = play(&s, &vec![1; s.wire.len()]);
        assert_eq!(bytes, s.expect, "{}: byte by byte", s.name);
        for first in [2, 3, 7, 13, 31] {
            let cuts: Vec<usize> = (0..s.wire.len())
                .map(|i| 1 + (first * (i + 1)) % 9)
                .collect();
            assert_eq!(play(&s, &cuts), s.expect, "{}: cuts from {first}", s.name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The events do not depend on how the bytes are cut.
    #[test]
    fn split_invariance(which in 0usize..17, cuts in prop::collection::vec(1usize..24, 0..40)) {
        let all = scenarios();
        let s = &all[which % all.len()];
        prop_assert_eq!(play(s, &cuts), s.expect.clone(), "{}", s.name);
    }
}

// ----- sending: pipelining, early answers, misuse -------------------------------------------

#[test]
fn pipelining_stops_at_depth_and_behind_exclusive_requests() {
    let mut config = Config::DEFAULT;
    config.pipeline = 2;
    let mut x = Exchange::new(config, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get());
    assert!(!x.can_send());
    assert_eq!(
        x.start(id(3), get(), 10, T0),
        Err(Error::Misuse(MisuseError::ConnectionBusy))
    );

    for exclusive in [
        get().exclusive(true),
        get().upgrade(true),
        Request::new("CONNECT"),
        get().with_body(RequestBody::Streamed(BodyEncoder::chunked())),
    ] {
        let mut x = Exchange::new(Config::DEFAULT, T0);
        x.start(id(1), exclusive, 10, T0).expect("start");
        assert!(!x.can_send(), "{exclusive:?}");
    }

    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    assert_eq!(
        x.start(id(1), get(), 10, T0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
}

#[test]
fn from_spec_reads_method_framing_and_upgrade() {
    let spec = RequestSpec::new("POST", "/x").body(BodyFraming::Length(3));
    assert_eq!(Request::from_spec(&spec).body(), RequestBody::Fixed(3));
    let spec = RequestSpec::new("POST", "/x").upgrade(true);
    let r = Request::from_spec(&spec);
    assert!(r.is_upgrade() && r.is_exclusive());
    assert!(Request::from_spec(&RequestSpec::new("HEAD", "/x")).is_head());
}

/// A streamed upload the daemon answers early (413): the rest of the body is abandoned, the
/// unwritten bytes are dropped, and the connection closes after the response.
#[test]
fn early_answer_abandons_the_streamed_body() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::chunked()));
    x.start(id(1), upload, 50, T0).expect("start");
    x.handle_written(50, T0).expect("head written");
    let frame = x
        .body_encoder(id(1))
        .expect("open")
        .frame(100)
        .expect("frame");
    x.queued(id(1), frame.overhead() + 100, T0).expect("queued");
    x.handle_written(30, T0).expect("part written");
    assert!(x.write_pending());
    // No head deadline while the body is open.
    assert_eq!(x.poll_timeout().map(|(_, k)| k), Some(TimeoutKind::Write));

    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n\r\nbig!");
    r.pump(&mut x, false, T0);
    assert_eq!(
        r.log,
        [
            Ev::Head(1, 413, true),
            Ev::Data(1, b"big!".to_vec()),
            Ev::End(1, false),
            Ev::Closed,
        ]
    );
    assert!(!x.write_pending());
    assert!(x.is_closed() && x.failure().is_none());
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::ConnectionNotReusable))
    );
}

#[test]
fn early_answer_mid_body_refuses_more_body() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::length(10)));
    x.start(id(1), upload, 50, T0).expect("start");
    x.handle_written(50, T0).expect("written");
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert_eq!(r.log, [Ev::Head(1, 400, true)]);
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::BodyClosed))
    );
    assert!(!x.can_send());
}

#[test]
fn a_fixed_length_streamed_body_completes_on_finish() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    let upload = get().with_body(RequestBody::Streamed(BodyEncoder::length(3)));
    x.start(id(1), upload, 20, T0).expect("start");
    x.body_encoder(id(1))
        .expect("open")
        .frame(3)
        .expect("frame");
    x.queued(id(1), 3, T0).expect("queued");
    x.handle_written(23, secs(1)).expect("written");
    assert_eq!(
        x.poll_timeout(),
        None,
        "the body is not finished: no head deadline"
    );
    let end = x
        .body_encoder(id(1))
        .expect("open")
        .finish()
        .expect("finish");
    assert!(end.is_empty());
    x.queued(id(1), 0, secs(2)).expect("queued");
    assert_eq!(x.poll_timeout(), Some((secs(62), TimeoutKind::Head)));
    assert_eq!(
        x.body_encoder(id(1)).err(),
        Some(Error::Misuse(MisuseError::BodyClosed))
    );
}

#[test]
fn stream_input_only_while_upgraded_and_open() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().upgrade(true));
    assert_eq!(
        x.stream_input(),
        Err(Error::Misuse(MisuseError::NotUpgraded))
    );
    let mut r = Reader::default();
    r.buf.extend_from_slice(b"HTTP/1.1 101 UPGRADED\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert_eq!(x.upgraded(), Some(id(1)));
    assert_eq!(x.stream_input(), Ok(id(1)));
    x.queued(id(1), 5, T0).expect("stdin queued");
    assert!(x.write_pending());
    x.handle_written(5, T0).expect("written");
    assert_eq!(x.close_stream_input(), Ok(id(1)));
    assert_eq!(
        x.stream_input(),
        Err(Error::Misuse(MisuseError::NotUpgraded))
    );
    assert!(!x.is_reusable());
}

#[test]
fn reuse_rule() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    assert!(x.is_reusable());
    x.start(id(1), get(), 10, T0).expect("start");
    assert!(!x.is_reusable(), "outstanding");
    x.handle_written(10, T0).expect("written");
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n");
    r.pump(&mut x, false, T0);
    assert!(!x.is_reusable(), "body open");
    r.buf.push(b'x');
    r.pump(&mut x, false, T0);
    assert!(x.is_reusable());
    assert!(x.is_reused());
    // A request not completely written is never left behind on a reusable connection.
    x.start(id(2), get(), 10, T0).expect("start");
    x.handle_write_error(true, T0);
    assert!(!x.is_reusable() && !x.can_send());
}

#[test]
fn written_more_than_queued_is_misuse() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 10, T0).expect("start");
    assert_eq!(
        x.handle_written(11, T0),
        Err(Error::Misuse(MisuseError::InvalidState))
    );
    assert_eq!(
        x.queued(id(9), 1, T0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
}

#[test]
fn cancel_fails_every_request_as_cancelled() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get());
    x.cancel();
    let mut r = Reader::default();
    r.drain_failed(&mut x);
    assert_eq!(
        r.log,
        [
            Ev::Failed(1, Failure::Cancelled, false),
            Ev::Failed(2, Failure::Cancelled, false)
        ]
    );
    assert_eq!(x.poll_timeout(), None);
}

// ----- deadlines ----------------------------------------------------------------------------

const NS: Duration = Duration::from_nanos(1);

/// Fires nothing 1 ns before `at`, fires `kind` at `at`, and fails the front request with it.
fn fires_exactly(x: &mut Exchange, at: Duration, kind: TimeoutKind) {
    assert_eq!(x.poll_timeout(), Some((at, kind)));
    assert_eq!(x.handle_timeout(at - NS), None);
    assert!(!x.is_closed());
    assert_eq!(x.handle_timeout(at), Some(kind));
    assert_eq!(x.failure(), Some(Failure::Timeout(kind)));
    let failed = x.poll_failed().expect("the front request failed");
    assert_eq!(failed.failure, Failure::Timeout(kind));
    assert!(!failed.retry);
    assert_eq!(x.poll_timeout(), None);
}

#[test]
fn connect_deadline_runs_from_creation_while_bytes_wait() {
    let mut x = Exchange::new(Config::DEFAULT, secs(100));
    assert_eq!(x.poll_timeout(), None, "nothing queued");
    x.start(id(1), get(), 10, secs(102)).expect("start");
    fires_exactly(&mut x, secs(105), TimeoutKind::Connect);
}

#[test]
fn write_deadline_moves_only_with_written_bytes() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 100, secs(1)).expect("start");
    x.handle_written(10, secs(2)).expect("written");
    assert_eq!(x.poll_timeout(), Some((secs(62), TimeoutKind::Write)));
    x.handle_read(0, secs(30));
    x.handle_written(0, secs(30)).expect("nothing");
    x.handle_written(10, secs(40)).expect("written");
    fires_exactly(&mut x, secs(100), TimeoutKind::Write);
}

#[test]
fn head_deadline_starts_when_the_request_is_written() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    x.start(id(1), get(), 10, T0).expect("start");
    x.handle_written(10, secs(3)).expect("written");
    fires_exactly(&mut x, secs(63), TimeoutKind::Head);
}

#[test]
fn head_deadline_of_a_pipelined_request_starts_when_the_previous_response_ends() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    sent(&mut x, 2, get().head_timeout(Timeout::After(secs(5))));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    x.handle_read(r.buf.len(), secs(50));
    r.pump(&mut x, false, secs(50));
    assert_eq!(r.log, [Ev::Head(1, 200, false), Ev::End(1, true)]);
    fires_exactly(&mut x, secs(55), TimeoutKind::Head);
}

#[test]
fn idle_deadline_moves_with_received_bytes_and_pauses_with_backpressure() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
    x.handle_read(r.buf.len(), secs(1));
    r.pump(&mut x, false, secs(3));
    assert_eq!(x.poll_timeout(), Some((secs(63), TimeoutKind::Idle)));
    x.handle_read(1, secs(10));
    assert_eq!(x.poll_timeout(), Some((secs(70), TimeoutKind::Idle)));
    x.set_read_paused(true, secs(20));
    assert_eq!(
        x.poll_timeout(),
        None,
        "back-pressure is not the peer's fault"
    );
    assert_eq!(x.handle_timeout(secs(500)), None);
    x.set_read_paused(false, secs(600));
    fires_exactly(&mut x, secs(660), TimeoutKind::Idle);
}

#[test]
fn per_request_timeouts_override_and_switch_off() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().head_timeout(Timeout::Off));
    assert_eq!(x.poll_timeout(), None);
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(
        &mut x,
        1,
        get().mode(BodyMode::Json).idle_timeout(Timeout::Off),
    );
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    assert_eq!(
        x.poll_timeout(),
        None,
        "a quiet event stream may last forever"
    );
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(
        &mut x,
        1,
        get().upgrade(true).idle_timeout(Timeout::After(secs(2))),
    );
    let mut r = Reader::default();
    r.buf.extend_from_slice(b"HTTP/1.1 101 UPGRADED\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    fires_exactly(&mut x, secs(3), TimeoutKind::Idle);
}

// ----- retry --------------------------------------------------------------------------------

/// A connection that carried one response, with request 2 sent on it.
fn reused(replayable: bool) -> Exchange {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    r.pump(&mut x, false, T0);
    sent(&mut x, 2, get().replayable(replayable));
    x
}

fn eof_outcome(x: &mut Exchange, bytes: &[u8]) -> Vec<Ev> {
    let mut r = Reader::default();
    r.buf.extend_from_slice(bytes);
    r.pump(x, true, T0);
    r.log
}

#[test]
fn retry_only_on_a_reused_connection_closed_before_any_byte() {
    let closed = Failure::Peer(PeerError::ClosedBeforeResponse);
    let mut x = reused(true);
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(2, closed, true)]
    );
    assert!(x.may_retry());

    // A fresh connection: the daemon saw the request.
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(1, closed, false)]
    );
    assert!(!x.may_retry());

    // One byte of the response arrived.
    let mut x = reused(true);
    let cut = Failure::Peer(PeerError::UnexpectedEof);
    assert_eq!(
        eof_outcome(&mut x, b"H"),
        [Ev::Error(cut), Ev::Failed(2, cut, false)]
    );

    // The body cannot be sent again.
    let mut x = reused(false);
    assert_eq!(
        eof_outcome(&mut x, b""),
        [Ev::Error(closed), Ev::Failed(2, closed, false)]
    );

    // A reset counts as a close; another I/O error does not.
    let mut x = reused(true);
    x.handle_read_error(true);
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, true));
    let mut x = reused(true);
    x.handle_read_error(false);
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, false));
    let mut x = reused(true);
    x.abort(true);
    assert!(x.may_retry());

    // A timeout is not a close.
    let mut x = reused(true);
    assert_eq!(x.handle_timeout(secs(60)), Some(TimeoutKind::Head));
    assert!(!x.may_retry());

    // A replayable body marked consumed.
    let mut x = reused(true);
    x.set_replayable(id(2), false).expect("outstanding");
    assert_eq!(eof_outcome(&mut x, b"")[1], Ev::Failed(2, closed, false));
}

#[test]
fn raw_stream_read_error_is_io_not_end() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().upgrade(true));
    x.handle_read_error(true);
    assert_eq!(
        eof_outcome(&mut x, b"HTTP/1.1 101 UPGRADED\r\n\r\nab"),
        [
            Ev::Upgraded(1, 101, UpgradeKind::Switching),
            Ev::Raw(1, b"ab".to_vec()),
            Ev::Error(Failure::Io { reset: true }),
            Ev::Failed(1, Failure::Io { reset: true }, false),
        ]
    );
}

#[test]
fn json_message_over_the_cap_fails() {
    let mut config = Config::DEFAULT;
    config.max_json_message = 8;
    let mut x = Exchange::new(config, T0);
    sent(&mut x, 1, get().mode(BodyMode::Json));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n{\"a\":1}{\"long\":\"message\"}");
    r.pump(&mut x, false, T0);
    let too_large = Failure::Peer(PeerError::JsonMessageTooLarge);
    assert_eq!(
        r.log,
        [
            Ev::Head(1, 200, false),
            Ev::Message(1, b"{\"a\":1}".to_vec()),
            Ev::Error(too_large),
            Ev::Failed(1, too_large, false),
        ]
    );
}

// ----- modes and timeouts chosen after the head -------------------------------------------

#[test]
fn body_mode_set_after_the_head_splits_the_rest_and_the_unread_tail() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    let wire = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n\
                 c\r\n[0] {\"a\":1}\n\r\n9\r\n{\"b\":2} \n\r\n0\r\n\r\n";
    let head = x.decode(wire, T0).expect("head");
    assert!(matches!(head.event, Event::Head { .. }));
    let mut input = &wire[head.consumed..];
    // The first piece comes plainly; the adapter uses 4 bytes of it, then asks for messages
    // (whatever the status: the caller asked after seeing it).
    let step = x.decode(input, T0).expect("data");
    let Event::Data { data, .. } = step.event else {
        panic!("{:?}", step.event)
    };
    assert_eq!(data, b"[0] {\"a\":1}\n");
    let unread = data.len() - 4;
    let rest = [&data[4..], &input[step.consumed..]].concat();
    x.set_body_mode(id(1), BodyMode::Json, unread)
        .expect("plain so far");
    assert_eq!(
        x.set_body_mode(id(1), BodyMode::Bytes, 0),
        Err(Error::Misuse(MisuseError::InvalidState)),
        "a splitter holds state now"
    );
    assert_eq!(
        x.set_body_mode(id(2), BodyMode::Json, 0),
        Err(Error::Misuse(MisuseError::UnknownRequest))
    );
    input = &rest;
    let mut events = Vec::new();
    loop {
        let step = x.decode(input, T0).expect("decode");
        input = &input[step.consumed..];
        match step.event {
            Event::Message { message, .. } => events.push(message.to_vec()),
            Event::End { reusable, .. } => {
                assert!(reusable);
                break;
            }
            Event::NeedMore => panic!("all input was given"),
            _ => {}
        }
    }
    // The unread tail was split with the rest.
    assert_eq!(events, [b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
}

#[test]
fn idle_timeout_set_on_an_open_body_restarts_the_deadline() {
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get().idle_timeout(Timeout::Off));
    let mut r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    r.pump(&mut x, false, secs(1));
    assert_eq!(x.poll_timeout(), None);
    x.set_idle_timeout(id(1), Timeout::After(secs(3)), secs(10))
        .expect("outstanding");
    fires_exactly(&mut x, secs(13), TimeoutKind::Idle);
    assert_eq!(
        x.set_idle_timeout(id(1), Timeout::Default, secs(20)),
        Err(Error::Misuse(MisuseError::UnknownRequest)),
        "the request failed and left the queue"
    );

    // Before the head: only the duration changes.
    let mut x = Exchange::new(Config::DEFAULT, T0);
    sent(&mut x, 1, get());
    x.set_idle_timeout(id(1), Timeout::After(secs(2)), secs(5))
        .expect("outstanding");
    assert_eq!(x.poll_timeout(), Some((secs(60), TimeoutKind::Head)));
    r = Reader::default();
    r.buf
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    r.pump(&mut x, false, secs(7));
    fires_exactly(&mut x, secs(9), TimeoutKind::Idle);
}
