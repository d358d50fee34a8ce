//! The decoder vectors for chunk-size lines: missing digits, bytes after the digits, and the
//! chunk-extension grammar, each line as the first, a middle and the last chunk.

use docksock_proto::PeerError;

use crate::decoder_run::{case, data, h, peer, Case, Ev, CHUNKED_HEAD};

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
pub(crate) fn chunk_line_cases() -> Vec<Case> {
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
