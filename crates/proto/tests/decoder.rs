//! Response decoder vectors, h11 `test_io.py` style: one table of (methods, bytes, expected
//! events), each case fed whole, byte by byte, at random split points, and with trailing
//! bytes; plus property tests for split invariance and chunked round trips.

use docksock_proto::encode::BodyEncoder;
use docksock_proto::{
    BodyKind, ChunkedDecoder, ChunkedEvent, Error, Event, Limits, MisuseError, PeerError,
    ResponseDecoder, Version,
};
use proptest::prelude::*;

/// An owned, normalized event: consecutive data pieces are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Info(u16),
    Head(u16, Vec<(String, Vec<u8>)>),
    Data(Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>),
    End(bool),
    /// Upgrade with the bytes that belong to the raw stream.
    Upgrade(u16, Vec<u8>),
    /// Input ended (no EOF) with the response incomplete.
    Incomplete,
    /// Bytes left after the last response.
    Leftover(Vec<u8>),
    Err(Error),
}

fn fields(h: docksock_proto::Headers<'_>) -> Vec<(String, Vec<u8>)> {
    h.iter()
        .map(|f| (f.name.to_string(), f.value.to_vec()))
        .collect()
}

/// Feeds `input` in `pieces` to decoders for `methods` (pipelined), then EOF if `eof`.
fn run(methods: &[&str], input: &[u8], pieces: &[usize], eof: bool, limits: Limits) -> Vec<Ev> {
    let mut out: Vec<Ev> = Vec::new();
    let push = |out: &mut Vec<Ev>, ev: Ev| {
        if let (Some(Ev::Data(prev)), Ev::Data(d)) = (out.last_mut(), &ev) {
            prev.extend_from_slice(d);
            return;
        }
        out.push(ev);
    };
    let mut dec = ResponseDecoder::with_limits(methods[0], limits);
    let mut current = 0;
    let mut buf = Vec::new();
    let mut start = 0;
    let mut offsets = Vec::new();
    let mut at = 0;
    for &p in pieces {
        at = (at + p).min(input.len());
        offsets.push(at);
    }
    if offsets.last() != Some(&input.len()) {
        offsets.push(input.len());
    }
    let mut prev = 0;
    let mut done = false;
    for (i, &end) in offsets.iter().enumerate() {
        buf.extend_from_slice(&input[prev..end]);
        prev = end;
        if done {
            continue;
        }
        let last = i + 1 == offsets.len();
        loop {
            let r = if last && eof {
                dec.decode_eof(&buf[start..])
            } else {
                dec.decode(&buf[start..])
            };
            let step = match r {
                Ok(s) => s,
                Err(e) => {
                    // A failed decoder stays failed.
                    assert_eq!(dec.decode(b"more"), Err(e));
                    assert_eq!(dec.error(), Some(e));
                    out.push(Ev::Err(e));
                    return out;
                }
            };
            assert!(step.consumed <= buf.len() - start);
            if let Event::Data(d) = step.event {
                // Data carries bytes, and is the tail of what was consumed, in the caller's buffer.
                assert!(!d.is_empty(), "an empty Data event");
                let at = start + step.consumed - d.len();
                assert!(std::ptr::eq(d.as_ptr(), buf[at..].as_ptr()));
            }
            start += step.consumed;
            match step.event {
                Event::NeedMore => break,
                Event::Informational(h) => push(&mut out, Ev::Info(h.status())),
                Event::Head(h) => push(&mut out, Ev::Head(h.status(), fields(h.headers()))),
                Event::Data(d) => push(&mut out, Ev::Data(d.to_vec())),
                Event::Trailers(t) => push(&mut out, Ev::Trailers(fields(t))),
                Event::Upgrade(h) => {
                    push(&mut out, Ev::Upgrade(h.status(), Vec::new()));
                    done = true;
                    break;
                }
                Event::End { keep_alive } => {
                    push(&mut out, Ev::End(keep_alive));
                    current += 1;
                    if keep_alive && current < methods.len() {
                        dec.next_response(methods[current]).unwrap();
                        continue;
                    }
                    if !keep_alive {
                        assert_eq!(
                            dec.next_response("GET"),
                            Err(Error::Misuse(MisuseError::ConnectionNotReusable))
                        );
                    }
                    done = true;
                    break;
                }
            }
        }
    }
    let rest = buf[start..].to_vec();
    if let Some(Ev::Upgrade(_, raw)) = out.last_mut() {
        *raw = rest;
    } else if !done {
        out.push(Ev::Incomplete);
    } else if !rest.is_empty() {
        out.push(Ev::Leftover(rest));
    }
    out
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn data(s: &[u8]) -> Ev {
    Ev::Data(s.to_vec())
}

fn peer(e: PeerError) -> Ev {
    Ev::Err(Error::Peer(e))
}

struct Case {
    name: String,
    methods: &'static [&'static str],
    input: Vec<u8>,
    eof: bool,
    limits: Limits,
    expect: Vec<Ev>,
}

fn case(name: &str, methods: &'static [&'static str], input: &[u8], expect: Vec<Ev>) -> Case {
    Case {
        name: name.to_string(),
        methods,
        input: input.to_vec(),
        eof: true,
        limits: Limits::default(),
        expect,
    }
}

fn cases() -> Vec<Case> {
    let get: &[&str] = &["GET"];
    let mut v = vec![
        case(
            "content-length body",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            vec![Ev::Head(200, h(&[("Content-Length", "5")])), data(b"hello"), Ev::End(true)],
        ),
        case(
            "chunked with extensions and trailers",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d;e\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n",
            vec![
                Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])),
                data(b"hello world"),
                Ev::Trailers(h(&[("X-T", "1"), ("Y", "2")])),
                Ev::End(true),
            ],
        ),
        case(
            "HEAD then GET pipelined: HEAD has no body whatever Content-Length says",
            &["HEAD", "GET"],
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
            vec![
                Ev::Head(404, h(&[("Content-Length", "29")])),
                Ev::End(true),
                Ev::Head(200, h(&[("Content-Length", "2")])),
                data(b"OK"),
                Ev::End(true),
            ],
        ),
        case(
            "204 and 304 have no body, pipelining goes on",
            &["POST", "POST", "GET"],
            b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            vec![
                Ev::Head(204, vec![]),
                Ev::End(true),
                Ev::Head(304, vec![]),
                Ev::End(true),
                Ev::Head(200, h(&[("Content-Length", "1")])),
                data(b"x"),
                Ev::End(true),
            ],
        ),
        case(
            "100 Continue then 201",
            &["POST"],
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
            vec![Ev::Info(100), Ev::Head(201, h(&[("Content-Length", "2")])), data(b"{}"), Ev::End(true)],
        ),
        case(
            "five informational responses are allowed",
            get,
            &[&b"HTTP/1.1 102 Processing\r\n\r\n".repeat(5)[..], b"HTTP/1.1 204 No Content\r\n\r\n"].concat(),
            vec![
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                Ev::Head(204, vec![]),
                Ev::End(true),
            ],
        ),
        case(
            "a sixth informational response is an error",
            get,
            &b"HTTP/1.1 102 Processing\r\n\r\n".repeat(6),
            vec![
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                Ev::Info(102),
                peer(PeerError::TooManyInformational),
            ],
        ),
        case(
            "HTTP/1.0 close-delimited body ends at EOF",
            get,
            b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
            vec![
                Ev::Head(200, h(&[("Content-Type", "application/json")])),
                data(b"{\"a\":1}"),
                Ev::End(false),
            ],
        ),
        case(
            "HTTP/1.0 with keep-alive and a length is reusable",
            &["GET", "GET"],
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nOKHTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
            vec![
                Ev::Head(200, h(&[("Connection", "keep-alive"), ("Content-Length", "2")])),
                data(b"OK"),
                Ev::End(true),
                Ev::Head(200, h(&[("Content-Length", "0")])),
                Ev::End(false),
            ],
        ),
        case(
            "Connection: close discards what follows",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nOKHTTP/1.1 200 OK\r\n\r\n",
            vec![
                Ev::Head(200, h(&[("Connection", "close"), ("Content-Length", "2")])),
                data(b"OK"),
                Ev::End(false),
                Ev::Leftover(b"HTTP/1.1 200 OK\r\n\r\n".to_vec()),
            ],
        ),
        case(
            "101 hands every following byte to the raw stream",
            &["POST"],
            b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x02hi",
            vec![Ev::Upgrade(101, b"\x01\x00\x00\x00\x00\x00\x00\x02hi".to_vec())],
        ),
        case(
            "CONNECT 2xx is a tunnel: Content-Length ignored, every byte after the head is the tunnel's",
            &["CONNECT"],
            b"HTTP/1.1 200 Connection established\r\nContent-Length: 5\r\n\r\nhelloworld",
            vec![Ev::Upgrade(200, b"helloworld".to_vec())],
        ),
        case(
            "CONNECT 2xx is a tunnel: Transfer-Encoding (even with Content-Length) ignored",
            &["CONNECT"],
            b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nraw",
            vec![Ev::Upgrade(204, b"raw".to_vec())],
        ),
        case(
            "CONNECT refused (407) has an ordinary body",
            &["CONNECT"],
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
            vec![
                Ev::Head(407, h(&[("Content-Length", "2")])),
                data(b"no"),
                Ev::End(true),
            ],
        ),
        case(
            "empty input then EOF: closed before any response byte, whatever the split",
            get,
            b"",
            vec![peer(PeerError::ClosedBeforeResponse)],
        ),
        case(
            "dockerd's hijack error: raw text, close-delimited",
            &["POST"],
            b"HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nNo such container: x\r\n",
            vec![
                Ev::Head(404, h(&[("Content-Type", "application/vnd.docker.raw-stream")])),
                data(b"No such container: x\r\n"),
                Ev::End(false),
            ],
        ),
        case(
            "two empty lines before the status line are tolerated",
            get,
            b"\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            vec![Ev::Head(204, vec![]), Ev::End(true)],
        ),
        case("a bare LF before the status line", get, b"\nHTTP/1.1 204 No Content\r\n\r\n", vec![peer(PeerError::BareLf)]),
        case(
            "a bare LF after an empty line before the status line",
            get,
            b"\r\n\nHTTP/1.1 204 No Content\r\n\r\n",
            vec![peer(PeerError::BareLf)],
        ),
        case(
            "a bare LF ending the status line",
            get,
            b"HTTP/1.1 204 No Content\n\r\n",
            vec![peer(PeerError::BareLf)],
        ),
        case(
            "a bare CR ending the status line",
            get,
            b"HTTP/1.1 204 No Content\rX: y\r\n\r\n",
            vec![peer(PeerError::BareCr)],
        ),
        case(
            "three empty lines are not",
            get,
            b"\r\n\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            vec![peer(PeerError::TooManyLeadingEmptyLines)],
        ),
        case(
            "reason phrase is free text with obs-text; values keep 0x80-0xFF",
            get,
            b"HTTP/1.1 400 Bad Request: missing required Host header \xe9\r\nX: \xff\xfe\r\nContent-Length: 0\r\n\r\n",
            vec![
                Ev::Head(400, vec![("X".into(), b"\xff\xfe".to_vec()), ("Content-Length".into(), b"0".to_vec())]),
                Ev::End(true),
            ],
        ),
        case(
            "EOF before any byte",
            get,
            b"",
            vec![peer(PeerError::ClosedBeforeResponse)],
        ),
        case(
            "EOF inside the head",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Len",
            vec![peer(PeerError::UnexpectedEof)],
        ),
        case(
            "EOF inside a content-length body, after data was delivered",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfoo",
            vec![Ev::Head(200, h(&[("Content-Length", "10")])), data(b"foo"), peer(PeerError::UnexpectedEof)],
        ),
        case(
            "EOF inside chunked framing",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), data(b"hel"), peer(PeerError::UnexpectedEof)],
        ),
        case(
            "EOF inside trailers",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::UnexpectedEof)],
        ),
        case("bare LF in the head", get, b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", vec![peer(PeerError::BareLf)]),
        case("bare CR in the head", get, b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", vec![peer(PeerError::BareCr)]),
        case("a field line starting with a bare CR", get, b"HTTP/1.1 200 OK\r\n\rX: y\r\n\r\n", vec![peer(PeerError::BareCr)]),
        case("a bare LF after a field name", get, b"HTTP/1.1 200 OK\r\nX\nY: z\r\n\r\n", vec![peer(PeerError::BareLf)]),
        case("a field line that is a bare LF", get, b"HTTP/1.1 200 OK\r\nA: b\r\n\n\r\n", vec![peer(PeerError::BareLf)]),
        case(
            "a trailer line starting with a bare CR",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX: y\r\n\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::BareCr)],
        ),
        case(
            "a bare LF after a trailer name",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX\n\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::BareLf)],
        ),
        case("obs-fold", get, b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", vec![peer(PeerError::ObsFold)]),
        case("space before colon", get, b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", vec![peer(PeerError::InvalidHeaderName)]),
        case("NUL in a value", get, b"HTTP/1.1 200 OK\r\nA: b\x00\r\n\r\n", vec![peer(PeerError::InvalidHeaderValue)]),
        case(
            "Content-Length with Transfer-Encoding",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            vec![peer(PeerError::ContentLengthWithTransferEncoding)],
        ),
        case(
            "Transfer-Encoding in HTTP/1.0",
            get,
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            vec![peer(PeerError::TransferEncodingInHttp10)],
        ),
        case(
            "gzip, chunked",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            vec![peer(PeerError::UnsupportedTransferCoding)],
        ),
        case(
            "different Content-Length lines",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            vec![peer(PeerError::InvalidContentLength)],
        ),
        case(
            "identical Content-Length lines collapse",
            get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
            vec![Ev::Head(200, h(&[("Content-Length", "1"), ("Content-Length", "1")])), data(b"x"), Ev::End(true)],
        ),
        case(
            "chunk size overflow is caught by value",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::ChunkSizeOverflow)],
        ),
        case(
            "sixteen f digits fit",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), data(b"ab"), peer(PeerError::UnexpectedEof)],
        ),
        case(
            "chunk data must end in CRLF",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), data(b"ab"), peer(PeerError::InvalidChunkEnd)],
        ),
        case(
            "whitespace after a chunk size without an extension",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n",
            // BWS may only precede `;`: the line is read as a broken extension.
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::InvalidChunkExtension)],
        ),
        case(
            "a sign in a chunk size",
            get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
            vec![Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])), peer(PeerError::InvalidChunkSize)],
        ),
        case(
            "status 099",
            get,
            b"HTTP/1.1 099 Weird\r\n\r\n",
            vec![peer(PeerError::InvalidStatusCode)],
        ),
        case(
            "HTTP/0.9-style answer is rejected before a line ends",
            get,
            b"Baguettes",
            vec![peer(PeerError::InvalidStatusLine)],
        ),
        case(
            "HTTP/2 status line",
            get,
            b"HTTP/2 200 OK\r\n\r\n",
            vec![peer(PeerError::InvalidStatusLine)],
        ),
    ];
    // Without EOF, an unfinished response is incomplete, not an error.
    let mut open = case(
        "open stream without EOF",
        get,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        vec![
            Ev::Head(200, h(&[("Transfer-Encoding", "chunked")])),
            data(b"abc"),
            Ev::Incomplete,
        ],
    );
    open.eof = false;
    v.push(open);
    v.extend(limit_cases());
    v.extend(decoy_cases());
    v.extend(chunk_line_cases());
    v.extend(default_limit_cases());
    v
}

/// Every limit, hit exactly (accepted) and by one more (rejected).
fn limit_cases() -> Vec<Case> {
    let get: &[&str] = &["GET"];
    let mut v = Vec::new();
    let head = b"HTTP/1.1 204 No Content\r\nX: aaaa\r\n\r\n";
    let mut limits = Limits::default();
    limits.max_head_bytes = head.len();
    v.push(Case {
        limits,
        ..case(
            "head exactly at the limit",
            get,
            head,
            vec![Ev::Head(204, h(&[("X", "aaaa")])), Ev::End(true)],
        )
    });
    limits.max_head_bytes = head.len() - 1;
    v.push(Case {
        limits,
        ..case(
            "head one byte over the limit",
            get,
            head,
            vec![peer(PeerError::HeadTooLarge)],
        )
    });
    // The head limit fires as bytes arrive, without waiting for a line end or EOF.
    let mut endless = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    endless.extend(std::iter::repeat(b'a').take(20_000));
    v.push(Case {
        eof: false,
        ..case(
            "head limit fires before the line ends",
            get,
            &endless,
            vec![peer(PeerError::HeadTooLarge)],
        )
    });

    let two = b"HTTP/1.1 204 No Content\r\nA: 1\r\nB: 2\r\n\r\n";
    let mut limits = Limits::default();
    limits.max_headers = 2;
    v.push(Case {
        limits,
        ..case(
            "headers exactly at the count limit",
            get,
            two,
            vec![Ev::Head(204, h(&[("A", "1"), ("B", "2")])), Ev::End(true)],
        )
    });
    limits.max_headers = 1;
    v.push(Case {
        limits,
        ..case(
            "one header over the count limit",
            get,
            two,
            vec![peer(PeerError::TooManyHeaders)],
        )
    });

    let trailers =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\n\r\n";
    let section = b"A: 1\r\nB: 2\r\n\r\n".len();
    let te = || Ev::Head(200, h(&[("Transfer-Encoding", "chunked")]));
    let mut limits = Limits::default();
    limits.max_trailer_bytes = section;
    limits.max_trailers = 2;
    v.push(Case {
        limits,
        ..case(
            "trailers exactly at both limits",
            get,
            trailers,
            vec![
                te(),
                Ev::Trailers(h(&[("A", "1"), ("B", "2")])),
                Ev::End(true),
            ],
        )
    });
    let mut l2 = limits;
    l2.max_trailer_bytes = section - 1;
    v.push(Case {
        limits: l2,
        ..case(
            "trailers one byte over",
            get,
            trailers,
            vec![te(), peer(PeerError::TrailersTooLarge)],
        )
    });
    let mut l3 = limits;
    l3.max_trailers = 1;
    v.push(Case {
        limits: l3,
        ..case(
            "one trailer over the count",
            get,
            trailers,
            vec![te(), peer(PeerError::TooManyTrailers)],
        )
    });

    // Extensions: `;a=b` is 4 bytes per chunk, 8 per message here.
    let ext = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n1;a=b\r\ny\r\n0\r\n\r\n";
    let mut limits = Limits::default();
    limits.max_chunk_ext_bytes = 8;
    v.push(Case {
        limits,
        ..case(
            "chunk extensions exactly at the limit",
            get,
            ext,
            vec![te(), data(b"xy"), Ev::End(true)],
        )
    });
    limits.max_chunk_ext_bytes = 7;
    v.push(Case {
        limits,
        ..case(
            "chunk extensions one byte over",
            get,
            ext,
            vec![te(), data(b"x"), peer(PeerError::ChunkExtensionsTooLarge)],
        )
    });
    v
}

/// Fields whose names have the lengths of the framing headers (`content-length` 14,
/// `transfer-encoding` 17, `connection` 10) but are other fields: they frame nothing.
fn decoy_cases() -> Vec<Case> {
    let get: &[&str] = &["GET"];
    assert_eq!(
        [
            "X-Something-14".len(),
            "X-Decoy-Header-17".len(),
            "X-Decoy-10".len()
        ],
        [
            "content-length".len(),
            "transfer-encoding".len(),
            "connection".len()
        ]
    );
    vec![
        case(
            "a 14-byte name is not Content-Length: the body is close-delimited",
            get,
            b"HTTP/1.1 200 OK\r\nX-Something-14: 7\r\n\r\nabc",
            vec![Ev::Head(200, h(&[("X-Something-14", "7")])), data(b"abc"), Ev::End(false)],
        ),
        case(
            "a 14-byte name does not conflict with the real Content-Length",
            get,
            b"HTTP/1.1 200 OK\r\nX-Something-14: 7\r\nContent-Length: 3\r\n\r\nabc",
            vec![
                Ev::Head(200, h(&[("X-Something-14", "7"), ("Content-Length", "3")])),
                data(b"abc"),
                Ev::End(true),
            ],
        ),
        case(
            "a 17-byte name is not Transfer-Encoding: the body is close-delimited",
            get,
            b"HTTP/1.1 200 OK\r\nX-Decoy-Header-17: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            vec![
                Ev::Head(200, h(&[("X-Decoy-Header-17", "chunked")])),
                data(b"3\r\nabc\r\n0\r\n\r\n"),
                Ev::End(false),
            ],
        ),
        case(
            "a 17-byte name does not conflict with Content-Length",
            get,
            b"HTTP/1.1 200 OK\r\nX-Decoy-Header-17: chunked\r\nContent-Length: 2\r\n\r\nok",
            vec![
                Ev::Head(200, h(&[("X-Decoy-Header-17", "chunked"), ("Content-Length", "2")])),
                data(b"ok"),
                Ev::End(true),
            ],
        ),
        case(
            "a 17-byte name with another coding is no coding at all",
            get,
            b"HTTP/1.1 200 OK\r\nX-Decoy-Header-17: gzip\r\nContent-Length: 2\r\n\r\nok",
            vec![
                Ev::Head(200, h(&[("X-Decoy-Header-17", "gzip"), ("Content-Length", "2")])),
                data(b"ok"),
                Ev::End(true),
            ],
        ),
        case(
            "a 17-byte name in HTTP/1.0 is not Transfer-Encoding",
            get,
            b"HTTP/1.0 200 OK\r\nX-Decoy-Header-17: chunked\r\nContent-Length: 2\r\n\r\nok",
            vec![
                Ev::Head(200, h(&[("X-Decoy-Header-17", "chunked"), ("Content-Length", "2")])),
                data(b"ok"),
                Ev::End(false),
            ],
        ),
        case(
            "a 10-byte name saying close is not Connection: the connection is reused",
            &["GET", "GET"],
            b"HTTP/1.1 200 OK\r\nX-Decoy-10: close\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n",
            vec![
                Ev::Head(200, h(&[("X-Decoy-10", "close"), ("Content-Length", "2")])),
                data(b"ok"),
                Ev::End(true),
                Ev::Head(204, vec![]),
                Ev::End(true),
            ],
        ),
        case(
            "a 10-byte name saying keep-alive does not keep an HTTP/1.0 connection",
            get,
            b"HTTP/1.0 200 OK\r\nX-Decoy-10: keep-alive\r\nContent-Length: 2\r\n\r\nok",
            vec![
                Ev::Head(200, h(&[("X-Decoy-10", "keep-alive"), ("Content-Length", "2")])),
                data(b"ok"),
                Ev::End(false),
            ],
        ),
        case(
            "framing header names are case-insensitive",
            &["GET", "GET", "GET"],
            b"HTTP/1.1 200 OK\r\ncontent-LENGTH: 2\r\n\r\nokHTTP/1.1 200 OK\r\nTRANSFER-encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nCONNECTION: Close\r\ncontent-length: 1\r\n\r\nyz",
            vec![
                Ev::Head(200, h(&[("content-LENGTH", "2")])),
                data(b"ok"),
                Ev::End(true),
                Ev::Head(200, h(&[("TRANSFER-encoding", "Chunked")])),
                data(b"x"),
                Ev::End(true),
                Ev::Head(200, h(&[("CONNECTION", "Close"), ("content-length", "1")])),
                data(b"y"),
                Ev::End(false),
                Ev::Leftover(b"z".to_vec()),
            ],
        ),
    ]
}

const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// A chunked response: the head, then `body`.
fn chunked_case(name: String, body: &[u8], expect: Vec<Ev>) -> Case {
    Case {
        name,
        ..case("", &["GET"], &[CHUNKED_HEAD, body].concat(), expect)
    }
}

/// Chunk-size lines: no digits, bytes after the digits, and the extension grammar
/// (`*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`, RFC 9112 §7.1.1), each
/// line as the first chunk, after a chunk (where the steady-state fast path runs) and as the
/// last chunk.
fn chunk_line_cases() -> Vec<Case> {
    let te = || Ev::Head(200, h(&[("Transfer-Encoding", "chunked")]));
    let mut v = Vec::new();
    // Size lines without a digit are never the last chunk.
    for line in [
        &b"\r\n"[..],
        b";x\r\n",
        b";\r\n",
        b" 1\r\n",
        b"\t0\r\n",
        b"=1\r\n",
    ] {
        let name = |at: &str| format!("size line {:?} {at}", String::from_utf8_lossy(line));
        let bad = || peer(PeerError::InvalidChunkSize);
        v.push(chunked_case(
            name("first"),
            &[line, b"\r\n0\r\n\r\n"].concat(),
            vec![te(), bad()],
        ));
        v.push(chunked_case(
            name("after a chunk"),
            &[&b"3\r\nabc\r\n"[..], line, b"\r\n0\r\n\r\n"].concat(),
            vec![te(), data(b"abc"), bad()],
        ));
    }
    // Lines with a size: Ok(()) when valid, else the error.
    let lines: &[(&[u8], Result<(), PeerError>)] = &[
        // Valid: BWS before `;`, around `=`, tokens, quoted strings with quoted-pairs.
        (b"1;a", Ok(())),
        (b"1;a;b;c", Ok(())),
        (b"1 ;a", Ok(())),
        (b"1\t;\ta", Ok(())),
        (b"1; a", Ok(())),
        (b"1;a=b", Ok(())),
        (b"1;a =b", Ok(())),
        (b"1;a= b", Ok(())),
        (b"1;a \t= \tb", Ok(())),
        (b"1;a=b ;c", Ok(())),
        (b"1;a=b\t; c = d", Ok(())),
        (b"1;a=\"b\"", Ok(())),
        (b"1;a=\"\"", Ok(())),
        (b"1;a = \"b\" ;c", Ok(())),
        (b"1;a=\"x;y=z\"", Ok(())),
        (b"1;a=\"\t \xff!#~\"", Ok(())),
        (b"1;a=\"x\\\"y\"", Ok(())),
        (b"1;a=\"\\\\\"", Ok(())),
        (b"1;a=\"\\\t\\ \\\xff\"", Ok(())),
        (b"01;a", Ok(())),
        // After the digits: only BWS then `;`, or CRLF.
        (b"1x", Err(PeerError::InvalidChunkSize)),
        (b"1x;a", Err(PeerError::InvalidChunkSize)),
        (b"1\x0b;a", Err(PeerError::InvalidChunkSize)),
        (b"1\x0c;a", Err(PeerError::InvalidChunkSize)),
        (b"1\x00;a", Err(PeerError::InvalidChunkSize)),
        (b"1\x7f;a", Err(PeerError::InvalidChunkSize)),
        (b"1=a", Err(PeerError::InvalidChunkSize)),
        (b"1 ", Err(PeerError::InvalidChunkExtension)),
        (b"1 x;a", Err(PeerError::InvalidChunkExtension)),
        (b"1 \x0b;a", Err(PeerError::InvalidChunkExtension)),
        // The first byte of a name.
        (b"1;", Err(PeerError::InvalidChunkExtension)),
        (b"1; ", Err(PeerError::InvalidChunkExtension)),
        (b"1;\x01a", Err(PeerError::InvalidChunkExtension)),
        (b"1;\x7fa", Err(PeerError::InvalidChunkExtension)),
        (b"1;\x0ba", Err(PeerError::InvalidChunkExtension)),
        (b"1;=a", Err(PeerError::InvalidChunkExtension)),
        (b"1;\"a\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;;a", Err(PeerError::InvalidChunkExtension)),
        (b"1;\xffa", Err(PeerError::InvalidChunkExtension)),
        (b"1; \x01a", Err(PeerError::InvalidChunkExtension)),
        // After a name.
        (b"1;a ", Err(PeerError::InvalidChunkExtension)),
        (b"1;a b", Err(PeerError::InvalidChunkExtension)),
        (b"1;a\x01", Err(PeerError::InvalidChunkExtension)),
        (b"1;a\x0b=b", Err(PeerError::InvalidChunkExtension)),
        (b"1;a \x0b=b", Err(PeerError::InvalidChunkExtension)),
        (b"1;a\"b\"", Err(PeerError::InvalidChunkExtension)),
        // The first byte of a value.
        (b"1;a=", Err(PeerError::InvalidChunkExtension)),
        (b"1;a= ", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\x01", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\x0bb", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\x7fb", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=;b", Err(PeerError::InvalidChunkExtension)),
        (b"1;a==b", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\xffb", Err(PeerError::InvalidChunkExtension)),
        (b"1;a= \x01", Err(PeerError::InvalidChunkExtension)),
        // After a value.
        (b"1;a=b=c", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=b ", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=b\x01", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=b\x0b;c", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"b\"c", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"b\" ", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"b\"\x0b;c", Err(PeerError::InvalidChunkExtension)),
        // Inside a quoted string: no CTL but HTAB, no DEL, and an escape needs a value byte.
        (b"1;a=\"\x01\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"b\x00c\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"\x0b\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"\x7f\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"\\\x01\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"\\\x7f\"", Err(PeerError::InvalidChunkExtension)),
        (b"1;a=\"b", Err(PeerError::InvalidChunkExtension)),
    ];
    for &(line, want) in lines {
        let show = String::from_utf8_lossy(line);
        let crlf = |l: &[u8]| [l, b"\r\n"].concat();
        // The same line with the size replaced by 0.
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let last = [b"0", &line[digits..]].concat();
        let (first, after, as_last) = match want {
            Ok(()) => (
                vec![te(), data(b"x"), Ev::End(true)],
                vec![te(), data(b"abcx"), Ev::End(true)],
                vec![te(), Ev::End(true)],
            ),
            Err(e) => (
                vec![te(), peer(e)],
                vec![te(), data(b"abc"), peer(e)],
                vec![te(), peer(e)],
            ),
        };
        v.push(chunked_case(
            format!("chunk line {show:?} first"),
            &[&crlf(line)[..], b"x\r\n0\r\n\r\n"].concat(),
            first,
        ));
        v.push(chunked_case(
            format!("chunk line {show:?} after a chunk"),
            &[&b"3\r\nabc\r\n"[..], &crlf(line), b"x\r\n0\r\n\r\n"].concat(),
            after,
        ));
        v.push(chunked_case(
            format!("chunk line {show:?} as the last chunk"),
            &[&crlf(&last)[..], b"\r\n"].concat(),
            as_last,
        ));
    }
    // What follows chunk data: exactly CRLF.
    for (after, err) in [
        (&b"\n"[..], PeerError::BareLf),
        (b"\rx", PeerError::BareCr),
        (b"\r\r\n", PeerError::BareCr),
        (b"x\r\n", PeerError::InvalidChunkEnd),
        (b" \r\n", PeerError::InvalidChunkEnd),
    ] {
        let show = String::from_utf8_lossy(after);
        // The first chunk, and one after another chunk (where the fast path runs).
        for (at, before, body) in [
            ("first", &b""[..], &b"abc"[..]),
            ("after a chunk", b"1\r\nz\r\n", b"zabc"),
        ] {
            v.push(chunked_case(
                format!("{show:?} after chunk data, {at}"),
                &[before, b"3\r\nabc", after, b"0\r\n\r\n"].concat(),
                vec![te(), data(body), peer(err)],
            ));
        }
    }
    // A bare LF anywhere in a size line is a bare LF, whatever came before it.
    for line in [
        &b"\n"[..],
        b"1\n",
        b"1 \n",
        b"1;\n",
        b"1; \n",
        b"1;a\n",
        b"1;a \n",
        b"1;a=\n",
        b"1;a= \n",
        b"1;a=b\n",
        b"1;a=\"b\"\n",
    ] {
        v.push(chunked_case(
            format!("bare LF in {:?}", String::from_utf8_lossy(line)),
            &[line, b"x\r\n0\r\n\r\n"].concat(),
            vec![te(), peer(PeerError::BareLf)],
        ));
    }
    v
}

/// `n` field lines with names `X-000`… and values of `a`, together exactly `bytes` long.
fn fill_fields(n: usize, bytes: usize) -> Vec<u8> {
    // "X-000: " + value + CRLF: 9 bytes of framing per line.
    let mut out = Vec::new();
    let room = bytes - 9 * n;
    for i in 0..n {
        let len = room / n + usize::from(i < room % n);
        out.extend_from_slice(format!("X-{i:03}: ").as_bytes());
        out.extend(std::iter::repeat(b'a').take(len));
        out.extend_from_slice(b"\r\n");
    }
    assert_eq!(out.len(), bytes);
    out
}

/// The default limits (16 KiB head, 100 fields, 16 KiB and 100 trailers, 16 KiB of chunk
/// extensions), each hit exactly and by one more, with `Limits::default()`.
fn default_limit_cases() -> Vec<Case> {
    let get: &[&str] = &["GET"];
    let te = || Ev::Head(200, h(&[("Transfer-Encoding", "chunked")]));
    let status = b"HTTP/1.1 204 No Content\r\n";
    let mut v = Vec::new();
    // The head: status line, 99 fields, the empty line.
    for (total, ok) in [(16 * 1024, true), (16 * 1024 + 1, false)] {
        let fields = fill_fields(99, total - status.len() - 2);
        let input = [&status[..], &fields, b"\r\n"].concat();
        assert_eq!(input.len(), total);
        let expect = if ok {
            let head = ResponseDecoder::new("GET")
                .decode(&input)
                .map(|s| s.consumed);
            assert_eq!(head, Ok(total));
            vec![Ev::Head(204, parse_fields(&fields)), Ev::End(true)]
        } else {
            vec![peer(PeerError::HeadTooLarge)]
        };
        v.push(case(
            &format!("default head limit, {total} bytes"),
            get,
            &input,
            expect,
        ));
    }
    // The field count.
    for (n, ok) in [(100, true), (101, false)] {
        let fields = fill_fields(n, n * 10);
        let input = [&status[..], &fields, b"\r\n"].concat();
        let expect = if ok {
            vec![Ev::Head(204, parse_fields(&fields)), Ev::End(true)]
        } else {
            vec![peer(PeerError::TooManyHeaders)]
        };
        v.push(case(
            &format!("default field count, {n} fields"),
            get,
            &input,
            expect,
        ));
    }
    // The trailer section, its empty line included.
    for (total, ok) in [(16 * 1024, true), (16 * 1024 + 1, false)] {
        let fields = fill_fields(99, total - 2);
        let input = [CHUNKED_HEAD, b"0\r\n", &fields, b"\r\n"].concat();
        let expect = if ok {
            vec![te(), Ev::Trailers(parse_fields(&fields)), Ev::End(true)]
        } else {
            vec![te(), peer(PeerError::TrailersTooLarge)]
        };
        v.push(case(
            &format!("default trailer limit, {total} bytes"),
            get,
            &input,
            expect,
        ));
    }
    for (n, ok) in [(100, true), (101, false)] {
        let fields = fill_fields(n, n * 10);
        let input = [CHUNKED_HEAD, b"0\r\n", &fields, b"\r\n"].concat();
        let expect = if ok {
            vec![te(), Ev::Trailers(parse_fields(&fields)), Ev::End(true)]
        } else {
            vec![te(), peer(PeerError::TooManyTrailers)]
        };
        v.push(case(
            &format!("default trailer count, {n} trailers"),
            get,
            &input,
            expect,
        ));
    }
    // Chunk extensions: `;` and the name count, in two chunks of one message.
    for (total, ok) in [(16 * 1024, true), (16 * 1024 + 1, false)] {
        let half = total / 2;
        let ext = |len: usize| {
            let mut e = b";".to_vec();
            e.extend(std::iter::repeat(b'e').take(len - 1));
            e
        };
        let input = [
            CHUNKED_HEAD,
            b"1",
            &ext(half),
            b"\r\nx\r\n1",
            &ext(total - half),
            b"\r\ny\r\n0\r\n\r\n",
        ]
        .concat();
        let expect = if ok {
            vec![te(), data(b"xy"), Ev::End(true)]
        } else {
            vec![te(), data(b"x"), peer(PeerError::ChunkExtensionsTooLarge)]
        };
        v.push(case(
            &format!("default chunk-extension limit, {total} bytes"),
            get,
            &input,
            expect,
        ));
    }
    v
}

/// Field lines `name: value\r\n` as expected fields (the test's own reading, not the decoder's).
fn parse_fields(lines: &[u8]) -> Vec<(String, Vec<u8>)> {
    lines
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = l.strip_suffix(b"\r").unwrap();
            let colon = l.iter().position(|&b| b == b':').unwrap();
            let ows = |b: &u8| *b == b' ' || *b == b'\t';
            let value: Vec<u8> = l[colon + 1..].iter().copied().skip_while(ows).collect();
            let end = value.iter().rposition(|b| !ows(b)).map_or(0, |i| i + 1);
            let value = value[..end].to_vec();
            (String::from_utf8(l[..colon].to_vec()).unwrap(), value)
        })
        .collect()
}

/// Random piece sizes from a seed (deterministic).
fn random_pieces(len: usize, seed: u64) -> Vec<usize> {
    let mut x = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    let mut out = Vec::new();
    let mut total = 0;
    while total < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = 1 + (x % 13) as usize;
        out.push(n);
        total += n;
    }
    out
}

#[test]
fn vectors_whole_bytewise_and_random_splits() {
    for c in cases() {
        let whole = run(c.methods, &c.input, &[c.input.len()], c.eof, c.limits);
        assert_eq!(whole, c.expect, "{}: whole", c.name);
        let bytewise = run(
            c.methods,
            &c.input,
            &vec![1; c.input.len()],
            c.eof,
            c.limits,
        );
        assert_eq!(bytewise, c.expect, "{}: byte by byte", c.name);
        for seed in 0..16 {
            let pieces = random_pieces(c.input.len(), seed);
            let got = run(c.methods, &c.input, &pieces, c.eof, c.limits);
            assert_eq!(got, c.expect, "{}: pieces {pieces:?}", c.name);
        }
    }
}

#[test]
fn vectors_with_trailing_bytes() {
    // Bytes after a complete, reusable response are the next response's, left unconsumed.
    for c in cases() {
        let Some(Ev::End(true)) = c.expect.last() else {
            continue;
        };
        if c.methods.len() != 1 {
            continue;
        }
        let mut input = c.input.clone();
        input.extend_from_slice(b"HTTP/1.1 2");
        let mut expect = c.expect.clone();
        expect.push(Ev::Leftover(b"HTTP/1.1 2".to_vec()));
        assert_eq!(
            run(c.methods, &input, &[input.len()], false, c.limits),
            expect,
            "{}",
            c.name
        );
        assert_eq!(
            run(c.methods, &input, &vec![1; input.len()], false, c.limits),
            expect,
            "{}",
            c.name
        );
    }
}

#[test]
fn every_prefix_of_a_head_is_need_more() {
    let head = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\n";
    for n in 0..head.len() {
        let mut dec = ResponseDecoder::new("GET");
        let step = dec.decode(&head[..n]).unwrap();
        assert_eq!(step.event, Event::NeedMore, "prefix {n}");
    }
}

#[test]
fn misuse_is_not_a_peer_error() {
    let mut dec = ResponseDecoder::new("GET");
    assert_eq!(
        dec.next_response("GET"),
        Err(Error::Misuse(MisuseError::InvalidState))
    );
    let mut dec = ResponseDecoder::new("GET");
    let s = dec.decode(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
    assert!(matches!(s.event, Event::Head(_)));
    assert!(matches!(
        dec.decode(b"").unwrap().event,
        Event::End { keep_alive: true }
    ));
    let e = dec.decode(b"").unwrap_err();
    assert!(e.is_misuse() && !e.is_peer());
}

/// A generated well-formed response and the body it carries.
fn response_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let body = proptest::collection::vec(any::<u8>(), 0..300);
    let chunks = proptest::collection::vec(1usize..40, 1..12);
    (body, chunks, any::<bool>(), any::<bool>()).prop_map(|(body, chunks, chunked, trailers)| {
        let mut out = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n".to_vec();
        if chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = &body[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = chunks[i % chunks.len()].min(rest.len());
                out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                out.extend_from_slice(&rest[..n]);
                out.extend_from_slice(b"\r\n");
                rest = &rest[n..];
                i += 1;
            }
            out.extend_from_slice(b"0\r\n");
            if trailers {
                out.extend_from_slice(b"X-Trailer: yes\r\n");
            }
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
        }
        (out, body)
    })
}

proptest! {
    #[test]
    fn decoder_is_split_invariant(
        (wire, body) in response_strategy(),
        pieces in proptest::collection::vec(1usize..50, 1..40),
    ) {
        let whole = run(&["GET"], &wire, &[wire.len()], true, Limits::default());
        let split = run(&["GET"], &wire, &pieces, true, Limits::default());
        prop_assert_eq!(&whole, &split);
        let got: Vec<u8> = whole.iter().filter_map(|e| match e { Ev::Data(d) => Some(d.clone()), _ => None }).flatten().collect();
        prop_assert_eq!(got, body);
        prop_assert_eq!(whole.last(), Some(&Ev::End(true)));
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(
        wire in proptest::collection::vec(any::<u8>(), 0..400),
        pieces in proptest::collection::vec(1usize..30, 1..20),
        head in any::<bool>(),
    ) {
        let m: &[&str] = if head { &["HEAD"] } else { &["GET"] };
        let whole = run(m, &wire, &[wire.len()], true, Limits::default());
        let split = run(m, &wire, &pieces, true, Limits::default());
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn chunked_encode_decode_round_trip(
        pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..20),
        splits in proptest::collection::vec(1usize..20, 1..30),
    ) {
        let mut enc = BodyEncoder::chunked();
        let mut wire = Vec::new();
        for p in &pieces {
            enc.write_vec(p, &mut wire).unwrap();
        }
        wire.extend_from_slice(enc.finish().unwrap());
        let mut dec = ChunkedDecoder::new(&Limits::default());
        let mut buf = Vec::new();
        let mut start = 0;
        let mut body = Vec::new();
        let mut at = 0;
        let mut ended = false;
        let mut i = 0;
        while at < wire.len() && !ended {
            let n = splits[i % splits.len()].min(wire.len() - at);
            i += 1;
            buf.extend_from_slice(&wire[at..at + n]);
            at += n;
            loop {
                let (used, ev) = dec.decode(&buf[start..]).unwrap();
                start += used;
                match ev {
                    ChunkedEvent::NeedMore => break,
                    ChunkedEvent::Data(d) => {
                        prop_assert!(!d.is_empty(), "an empty Data event");
                        body.extend_from_slice(d)
                    }
                    ChunkedEvent::Trailers(_) => {}
                    ChunkedEvent::End => { ended = true; break; }
                }
            }
        }
        prop_assert!(ended);
        prop_assert_eq!(start, wire.len());
        prop_assert_eq!(body, pieces.concat());
    }
}

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
