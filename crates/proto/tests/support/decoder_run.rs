//! The response decoder's test vocabulary, shared by the decoder test files: owned events
//! (`Ev`), a runner that feeds one input to pipelined decoders in given pieces (`run`), the
//! vector-table record (`Case`), and the byte-building helpers the tables use.

#![allow(dead_code)]

use docksock_proto::{Error, Event, Limits, MisuseError, PeerError, ResponseDecoder};

/// An owned, normalized event: consecutive data pieces are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
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

pub(crate) fn fields(h: docksock_proto::Headers<'_>) -> Vec<(String, Vec<u8>)> {
    h.iter()
        .map(|f| (f.name.to_string(), f.value.to_vec()))
        .collect()
}

/// Feeds `input` in `pieces` to decoders for `methods` (pipelined), then EOF if `eof`.
pub(crate) fn run(
    methods: &[&str],
    input: &[u8],
    pieces: &[usize],
    eof: bool,
    limits: Limits,
) -> Vec<Ev> {
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

pub(crate) fn h(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect()
}

pub(crate) fn data(s: &[u8]) -> Ev {
    Ev::Data(s.to_vec())
}

pub(crate) fn peer(e: PeerError) -> Ev {
    Ev::Err(Error::Peer(e))
}

pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) methods: &'static [&'static str],
    pub(crate) input: Vec<u8>,
    pub(crate) eof: bool,
    pub(crate) limits: Limits,
    pub(crate) expect: Vec<Ev>,
}

pub(crate) fn case(
    name: &str,
    methods: &'static [&'static str],
    input: &[u8],
    expect: Vec<Ev>,
) -> Case {
    Case {
        name: name.to_string(),
        methods,
        input: input.to_vec(),
        eof: true,
        limits: Limits::default(),
        expect,
    }
}

pub(crate) const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// `n` field lines with names `X-000`… and values of `a`, together exactly `bytes` long.
pub(crate) fn fill_fields(n: usize, bytes: usize) -> Vec<u8> {
    // "X-000: " + value + CRLF: 9 bytes of framing per line.
    let mut out = Vec::new();
    let room = bytes - 9 * n;
    for i in 0..n {
        let len = room / n + usize::from(i < room % n);
        out.extend_from_slice(format!("X-{i:03}: ").as_bytes());
        out.extend(std::iter::repeat_n(b'a', len));
        out.extend_from_slice(b"\r\n");
    }
    assert_eq!(out.len(), bytes);
    out
}

/// Field lines `name: value\r\n` as expected fields (the test's own reading, not the decoder's).
pub(crate) fn parse_fields(lines: &[u8]) -> Vec<(String, Vec<u8>)> {
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
pub(crate) fn random_pieces(len: usize, seed: u64) -> Vec<usize> {
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
