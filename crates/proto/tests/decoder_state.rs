//! Response decoder state: `is_idle`, `is_done`, `is_reusable`, `error` and `limits` after
//! each kind of response and after a failure, the head's accessors, `Headers`, and the chunked
//! decoder's `is_done`.

use docksock_proto::{
    BodyKind, ChunkedDecoder, ChunkedEvent, Error, Event, Limits, MisuseError, PeerError,
    ResponseDecoder, Version,
};

#[path = "support/decoder_run.rs"]
mod decoder_run;

use decoder_run::{fill_fields, random_pieces};

/// What the adapters read from the decoder and the head, for one response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    version: Version,
    status: u16,
    reason: Vec<u8>,
    body_kind: BodyKind,
    head_keep_alive: bool,
    /// `Head::header` for `content-length`, `CONNECTION` and `x-absent`.
    looked_up: [Option<Vec<u8>>; 3],
    /// `keep_alive` of `End`; `None` for an upgrade.
    end: Option<bool>,
    reusable: bool,
}

/// Drives one response in `pieces`, checking `is_idle`, `is_done` and `is_reusable` after every
/// call, and returns what it saw.
fn observe(method: &str, input: &[u8], pieces: &[usize]) -> Seen {
    let mut dec = ResponseDecoder::new(method);
    assert!(dec.is_idle() && !dec.is_done() && !dec.is_reusable());
    // An empty read is not the response starting.
    assert_eq!(dec.decode(b"").unwrap().event, Event::NeedMore);
    assert!(dec.is_idle());
    let mut seen: Option<Seen> = None;
    let mut buf = Vec::new();
    let mut start = 0;
    let mut offsets = pieces
        .iter()
        .scan(0, |at, &p| {
            *at = (*at + p).min(input.len());
            Some(*at)
        })
        .collect::<Vec<_>>();
    offsets.push(input.len());
    let mut prev = 0;
    for (i, &end) in offsets.iter().enumerate() {
        buf.extend_from_slice(&input[prev..end]);
        prev = end;
        let last = i + 1 == offsets.len();
        loop {
            let step = if last {
                dec.decode_eof(&buf[start..])
            } else {
                dec.decode(&buf[start..])
            }
            .unwrap();
            start += step.consumed;
            if start > 0 || !buf.is_empty() {
                assert!(!dec.is_idle(), "a byte arrived: not idle");
            }
            match step.event {
                Event::NeedMore => {
                    assert!(!dec.is_done() && !dec.is_reusable());
                    break;
                }
                Event::Informational(_) | Event::Data(_) | Event::Trailers(_) => {
                    assert!(!dec.is_done() && !dec.is_reusable());
                }
                Event::Head(head) | Event::Upgrade(head) => {
                    let upgrade = matches!(step.event, Event::Upgrade(_));
                    assert_eq!(dec.is_done(), upgrade);
                    assert!(!dec.is_reusable());
                    let look = |n: &str| head.header(n).map(<[u8]>::to_vec);
                    let fields = head.headers();
                    assert_eq!(fields.len(), fields.iter().count());
                    assert_eq!(fields.is_empty(), fields.iter().next().is_none());
                    assert_eq!(
                        fields.raw().iter().filter(|&&b| b == b'\n').count(),
                        fields.len()
                    );
                    seen = Some(Seen {
                        version: head.version(),
                        status: head.status(),
                        reason: head.reason().to_vec(),
                        body_kind: head.body_kind(),
                        head_keep_alive: head.keep_alive(),
                        looked_up: [look("content-length"), look("CONNECTION"), look("x-absent")],
                        end: None,
                        reusable: false,
                    });
                    if upgrade {
                        assert_eq!(
                            dec.next_response("GET"),
                            Err(Error::Misuse(MisuseError::ConnectionNotReusable))
                        );
                        return seen.unwrap();
                    }
                }
                Event::End { keep_alive } => {
                    assert!(dec.is_done());
                    assert_eq!(dec.is_reusable(), keep_alive);
                    let mut s = seen.take().expect("End after Head");
                    s.end = Some(keep_alive);
                    s.reusable = dec.is_reusable();
                    if keep_alive {
                        dec.next_response("GET").unwrap();
                        assert!(dec.is_idle() && !dec.is_done() && !dec.is_reusable());
                    }
                    return s;
                }
            }
        }
    }
    panic!("the response did not end");
}

#[test]
fn state_accessors_after_each_kind_of_response() {
    use BodyKind as K;
    use Version::{Http10, Http11};
    let cl = |v: &str| Some(v.as_bytes().to_vec());
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, &[u8], Seen)] = &[
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Seen {
                version: Http11,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::Length(2),
                head_keep_alive: true,
                looked_up: [cl("2"), None, None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "GET",
            b"HTTP/1.1 201 Created, with detail\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nT: 1\r\n\r\n",
            Seen {
                version: Http11,
                status: 201,
                reason: b"Created, with detail".to_vec(),
                body_kind: K::Chunked,
                head_keep_alive: true,
                looked_up: [None, None, None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "GET",
            b"HTTP/1.1 200 \r\nContent-Type: text/plain\r\n\r\nuntil the end",
            Seen {
                version: Http11,
                status: 200,
                reason: b"".to_vec(),
                body_kind: K::CloseDelimited,
                head_keep_alive: false,
                looked_up: [None, None, None],
                end: Some(false),
                reusable: false,
            },
        ),
        (
            "HEAD",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n",
            Seen {
                version: Http11,
                status: 404,
                reason: b"Not Found".to_vec(),
                body_kind: K::None,
                head_keep_alive: true,
                looked_up: [cl("29"), None, None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "HEAD",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            Seen {
                version: Http11,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::None,
                head_keep_alive: false,
                looked_up: [None, cl("close"), None],
                end: Some(false),
                reusable: false,
            },
        ),
        (
            "DELETE",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            Seen {
                version: Http11,
                status: 204,
                reason: b"No Content".to_vec(),
                body_kind: K::None,
                head_keep_alive: true,
                looked_up: [None, None, None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "POST",
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
            Seen {
                version: Http11,
                status: 304,
                reason: b"Not Modified".to_vec(),
                body_kind: K::None,
                head_keep_alive: true,
                looked_up: [cl("7"), None, None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "POST",
            b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nraw bytes",
            Seen {
                version: Http11,
                status: 101,
                reason: b"UPGRADED".to_vec(),
                body_kind: K::Upgrade,
                head_keep_alive: false,
                looked_up: [None, cl("Upgrade"), None],
                end: None,
                reusable: false,
            },
        ),
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok",
            Seen {
                version: Http11,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::Length(2),
                head_keep_alive: false,
                looked_up: [cl("2"), cl("keep-alive, close"), None],
                end: Some(false),
                reusable: false,
            },
        ),
        (
            "GET",
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Seen {
                version: Http10,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::Length(2),
                head_keep_alive: false,
                looked_up: [cl("2"), None, None],
                end: Some(false),
                reusable: false,
            },
        ),
        (
            "GET",
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
            Seen {
                version: Http10,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::None,
                head_keep_alive: true,
                looked_up: [cl("0"), cl("Keep-Alive"), None],
                end: Some(true),
                reusable: true,
            },
        ),
        (
            "GET",
            b"HTTP/1.0 500 Internal Server Error\r\nConnection: keep-alive\r\n\r\nbody",
            Seen {
                version: Http10,
                status: 500,
                reason: b"Internal Server Error".to_vec(),
                body_kind: K::CloseDelimited,
                head_keep_alive: false,
                looked_up: [None, cl("keep-alive"), None],
                end: Some(false),
                reusable: false,
            },
        ),
        (
            "POST",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Seen {
                version: Http11,
                status: 200,
                reason: b"OK".to_vec(),
                body_kind: K::None,
                head_keep_alive: true,
                looked_up: [cl("0"), None, None],
                end: Some(true),
                reusable: true,
            },
        ),
    ];
    for (method, input, want) in cases {
        let name = String::from_utf8_lossy(&input[..input.len().min(40)]);
        assert_eq!(
            &observe(method, input, &[input.len()]),
            want,
            "{name}: whole"
        );
        assert_eq!(
            &observe(method, input, &vec![1; input.len()]),
            want,
            "{name}: bytewise"
        );
        for seed in 0..8 {
            let pieces = random_pieces(input.len(), seed);
            assert_eq!(&observe(method, input, &pieces), want, "{name}: {pieces:?}");
        }
    }
}

#[test]
fn empty_headers() {
    let e = docksock_proto::Headers::empty();
    assert!(e.is_empty() && e.raw().is_empty());
    assert_eq!(e.len(), 0);
    assert_eq!(e.iter().next(), None);
    assert_eq!(e.get("content-length"), None);
    let one = docksock_proto::Headers::from_raw(b"A: 1\r\n");
    assert!(!one.is_empty() && one.len() == 1);
}

#[test]
fn a_failed_decoder_is_neither_done_nor_reusable() {
    let mut dec = ResponseDecoder::new("GET");
    let err = dec.decode(b"HTTP/1.1 200 OK\nX: y\r\n\r\n").unwrap_err();
    assert_eq!(err, Error::Peer(PeerError::BareLf));
    assert!(!dec.is_done() && !dec.is_reusable() && !dec.is_idle());
    assert_eq!(dec.error(), Some(err));
    assert_eq!(dec.next_response("GET"), Err(err));
    // Before the error, and for a decoder that never failed, there is none.
    assert_eq!(ResponseDecoder::new("GET").error(), None);
}

#[test]
fn new_uses_the_default_limits() {
    // 16 KiB heads pass `ResponseDecoder::new`, one byte more does not.
    let status = b"HTTP/1.1 204 No Content\r\n";
    for (total, ok) in [(16 * 1024, true), (16 * 1024 + 1, false)] {
        let input = [
            &status[..],
            &fill_fields(99, total - status.len() - 2),
            b"\r\n",
        ]
        .concat();
        let got = ResponseDecoder::new("GET")
            .decode(&input)
            .map(|s| s.consumed);
        let want = if ok {
            Ok(total)
        } else {
            Err(Error::Peer(PeerError::HeadTooLarge))
        };
        assert_eq!(got, want, "{total} bytes");
    }
    assert_eq!(ResponseDecoder::new("GET").limits(), &Limits::default());
    assert_eq!(Limits::default(), Limits::DEFAULT);
    // Explicit limits are the ones in force, and stay so for the next response.
    let mut limits = Limits::default();
    limits.max_head_bytes = 1000;
    limits.max_trailers = 3;
    let mut dec = ResponseDecoder::with_limits("GET", limits);
    assert_eq!(dec.limits(), &limits);
    let wire = b"HTTP/1.1 204 No Content\r\n\r\n";
    assert!(matches!(dec.decode(wire).unwrap().event, Event::Head(_)));
    assert!(matches!(
        dec.decode(b"").unwrap().event,
        Event::End { keep_alive: true }
    ));
    dec.next_response("GET").unwrap();
    assert_eq!(dec.limits(), &limits);
}

#[test]
fn chunked_decoder_is_done_after_the_last_chunk_and_trailers_only() {
    for (wire, trailers) in [
        (&b"3\r\nabc\r\n0\r\nT: 1\r\n\r\n"[..], true),
        (b"3\r\nabc\r\n0;x=y\r\n\r\n", false),
    ] {
        for piece in [1, 2, 5, wire.len()] {
            let mut dec = ChunkedDecoder::new(&Limits::default());
            let mut buf = Vec::new();
            let mut start = 0;
            let mut events = Vec::new();
            'feed: for chunk in wire.chunks(piece) {
                buf.extend_from_slice(chunk);
                loop {
                    assert!(!dec.is_done(), "done before the end: {events:?}");
                    let (used, ev) = dec.decode(&buf[start..]).unwrap();
                    start += used;
                    match ev {
                        ChunkedEvent::NeedMore => break,
                        ChunkedEvent::Data(_) => events.push("data"),
                        ChunkedEvent::Trailers(t) => {
                            assert_eq!(t.get("t"), Some(&b"1"[..]));
                            assert!(dec.is_done());
                            events.push("trailers");
                            break 'feed;
                        }
                        ChunkedEvent::End => {
                            assert!(dec.is_done());
                            events.push("end");
                            break 'feed;
                        }
                    }
                }
            }
            assert!(dec.is_done(), "piece {piece}");
            assert_eq!(start, wire.len(), "piece {piece}");
            assert_eq!(events.last() == Some(&"trailers"), trailers);
        }
    }
    // A failed decoder is not done.
    let mut dec = ChunkedDecoder::new(&Limits::default());
    assert!(dec.decode(b"x\r\n").is_err());
    assert!(!dec.is_done());
}
