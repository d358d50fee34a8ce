//! The exchange without sockets or clocks: an in-memory peer feeds scripted response bytes
//! to an [`Exchange`], whole, byte by byte and at random splits, and the normalized events
//! must be the same every time. Sending is in `exchange_sending.rs`, deadlines in
//! `exchange_deadlines.rs`, retry and failures in `exchange_retry.rs`, modes chosen after the
//! head in `exchange_modes.rs`.

use docksock_proto::exchange::{BodyMode, Config, Exchange, Failure, Request, UpgradeKind};
use docksock_proto::stdcopy::{Mode, StreamKind};
use docksock_proto::PeerError;
use proptest::prelude::*;

#[path = "support/exchange_peer.rs"]
mod exchange_peer;

use exchange_peer::{cat, frame, get, sent, Ev, Reader, T0};

/// A scenario: how to set the exchange up (requests started and written), the peer's bytes,
/// and whether the peer closes after them.
struct Scenario {
    name: &'static str,
    setup: fn(&mut Exchange),
    wire: Vec<u8>,
    eof: bool,
    expect: Vec<Ev>,
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
