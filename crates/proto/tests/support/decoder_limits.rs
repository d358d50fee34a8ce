//! The decoder vectors for limits: every configurable limit hit exactly (accepted) and by one
//! more (rejected), and the default limits the same way with `Limits::default()`.

use docksock_proto::{Limits, PeerError, ResponseDecoder};

use crate::decoder_run::{case, data, fill_fields, h, parse_fields, peer, Case, Ev, CHUNKED_HEAD};

/// Every limit, hit exactly (accepted) and by one more (rejected).
pub(crate) fn limit_cases() -> Vec<Case> {
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
    endless.extend(std::iter::repeat_n(b'a', 20_000));
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

/// The default limits (16 KiB head, 100 fields, 16 KiB and 100 trailers, 16 KiB of chunk
/// extensions), each hit exactly and by one more, with `Limits::default()`.
pub(crate) fn default_limit_cases() -> Vec<Case> {
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
            e.extend(std::iter::repeat_n(b'e', len - 1));
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
