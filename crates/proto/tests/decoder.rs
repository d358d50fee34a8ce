//! Response decoder vectors, h11 `test_io.py` style: one table of (methods, bytes, expected
//! events), each case fed whole, byte by byte, at random split points, and with trailing
//! bytes. The table's limit and chunk-line parts live in `support/decoder_limits.rs` and
//! `support/decoder_chunk_lines.rs`; the properties are in `decoder_props.rs`, the state
//! accessors in `decoder_state.rs`.

use docksock_proto::{Error, Event, MisuseError, PeerError, ResponseDecoder};

#[path = "support/decoder_run.rs"]
mod decoder_run;

#[path = "support/decoder_limits.rs"]
mod decoder_limits;

#[path = "support/decoder_chunk_lines.rs"]
mod decoder_chunk_lines;

use decoder_chunk_lines::chunk_line_cases;
use decoder_limits::{default_limit_cases, limit_cases};
use decoder_run::{case, data, h, peer, random_pieces, run, Case, Ev};

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
