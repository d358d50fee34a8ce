//! The `decoder_differential` target: structured responses built from the fuzz bytes (mostly
//! valid, with the odd mutation), decoded by the core and by the naive [`reference`] decoder,
//! which must agree on the verdict and, when both accept, on every part of the response.
//!
//! [`reference`]: crate::reference

use docksock_proto::Limits;

use crate::reference::{self, RefHead, RefResponse};
use crate::response::{run, Final, HeadRec, Rec};

/// Reads choices from the fuzz bytes; zeros once they run out (so every input is complete).
pub struct Reader<'a> {
    data: &'a [u8],
    /// Build a response in the accepted language (only blind mutations break it).
    pub valid: bool,
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, valid: false }
    }

    /// The next byte, or 0.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n
    }

    /// True with probability about 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// One of `items`; in valid mode one of its first `valid` (the ones that keep a response
    /// in the accepted language).
    pub fn pick_in<T: Copy>(&mut self, items: &[T], valid: usize) -> T {
        if self.valid {
            items[self.below(valid)]
        } else {
            self.pick(items)
        }
    }

    /// Up to `max` raw bytes.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self.below(max + 1).min(self.data.len());
        let (b, rest) = self.data.split_at(n);
        self.data = rest;
        b
    }
}

/// Field names: the first `NAMES_VALID` are tokens that leave the framing alone.
const NAMES: &[&[u8]] = &[
    b"Content-Type",
    b"Date",
    b"Server",
    b"Api-Version",
    b"Docker-Experimental",
    b"Connection",
    b"X-A",
    b"Ostype",
    b"!#$%&'*+-.^_`|~",
    b"Keep-Alive",
    b"Content-Length",
    b"Transfer-Encoding",
    b"content-length",
    b"TRANSFER-ENCODING",
    b"Bad Name",
    b"",
    b"X\x80",
    b" Folded",
];
const NAMES_VALID: usize = 10;

/// Field values: the first `VALUES_VALID` are valid for any of the valid names.
const VALUES: &[&[u8]] = &[
    b"application/json",
    b"text/plain; charset=utf-8",
    b"Thu, 26 Nov 2026 21:25:36 GMT",
    b"1.41",
    b"",
    b"  padded  ",
    b"\t",
    b"caf\xc3\xa9 \xff",
    b"close",
    b"keep-alive",
    b"Keep-Alive, Upgrade",
    b"upgrade, close",
    b"a\x01b",
    b"a\x7fb",
    b"a\x00b",
    b"chunked",
    b"Chunked",
    b"gzip, chunked",
    b"chunked, chunked",
    b"identity",
    b"0",
    b"5",
    b"5, 5",
    b"5,6",
    b"+5",
    b"05",
    b" 7 ",
    b"18446744073709551615",
    b"18446744073709551616",
    b"1_0",
];
const VALUES_VALID: usize = 12;

const REASONS: &[&[u8]] = &[
    b" OK",
    b" OK",
    b"",
    b" ",
    b" Not Found",
    b" Bad Request: missing required Host header",
    b" UPGRADED",
    b" \x80\xff",
    b" tab\there",
    b"  OK",
    b" a\x01b",
    b"OK",
];
const REASONS_VALID: usize = 10;

const STATUSES: &[&[u8]] = &[
    b"200", b"200", b"200", b"201", b"204", b"304", b"404", b"500", b"101", b"999", b"100", b"103",
    b"199", b"099", b"20", b"2000", b"2x0",
];
/// (A final 1xx is valid, but then the body is read as the next head.)
const STATUSES_VALID: usize = 10;

const VERSIONS: &[&[u8]] = &[
    b"HTTP/1.1",
    b"HTTP/1.1",
    b"HTTP/1.1",
    b"HTTP/1.1",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/1.0",
    b"HTTP/2.0",
    b"http/1.1",
    b"HTTP/1.1 ",
    b"HTTP/0.9",
];
const VERSIONS_VALID: usize = 7;

const EXTENSIONS: &[&[u8]] = &[
    b";a",
    b";a=b",
    b"; a = \"q\\\"x\"",
    b" ;x",
    b";a=\"\\\x80\"",
    b";a=b;c",
    b";a ; b",
    b"\t;z=\"\"",
    b";",
    b"; =",
    b";a=\"\x01\"",
    b"  ",
    b";a=",
    b";a=\"x\" ",
];
const EXTENSIONS_VALID: usize = 8;

/// A line end: CRLF, or rarely a bare LF or CR.
fn eol(r: &mut Reader<'_>, out: &mut Vec<u8>) {
    if !r.valid && r.one_in(48) {
        out.extend_from_slice(r.pick(&[&b"\n"[..], b"\r", b"\r\r\n", b"\n\r"]));
    } else {
        out.extend_from_slice(b"\r\n");
    }
}

/// What framing the generated head announces, so that a matching body can follow.
enum Framing {
    None,
    Length(usize),
    Chunked,
}

fn head(r: &mut Reader<'_>, out: &mut Vec<u8>, status: &[u8]) -> Framing {
    let version = r.pick_in(VERSIONS, VERSIONS_VALID);
    out.extend_from_slice(version);
    out.push(b' ');
    out.extend_from_slice(status);
    out.extend_from_slice(r.pick_in(REASONS, REASONS_VALID));
    eol(r, out);
    let mut framing = Framing::None;
    let body_len = r.below(40);
    match r.below(4) {
        0 => {}
        1 | 2 => {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(body_len.to_string().as_bytes());
            eol(r, out);
            framing = Framing::Length(body_len);
        }
        _ if r.valid && version == b"HTTP/1.0" => {}
        _ => {
            out.extend_from_slice(b"Transfer-Encoding: chunked");
            eol(r, out);
            framing = Framing::Chunked;
        }
    }
    for _ in 0..r.below(5) {
        let name = r.pick_in(NAMES, NAMES_VALID);
        let value: &[u8] = if !r.valid && r.one_in(6) {
            r.bytes(12)
        } else {
            r.pick_in(VALUES, VALUES_VALID)
        };
        out.extend_from_slice(name);
        out.extend_from_slice(r.pick_in(&[&b": "[..], b":", b":  ", b":\t", b" :"], 4));
        out.extend_from_slice(value);
        eol(r, out);
    }
    eol(r, out);
    framing
}

fn chunked_body(r: &mut Reader<'_>, out: &mut Vec<u8>) {
    for _ in 0..r.below(5) {
        let data = r.bytes(24);
        let mut size = data.len();
        if !r.valid && r.one_in(24) {
            size = size.wrapping_add(r.pick(&[1usize, usize::MAX]));
        }
        let hex = match r.below(8) {
            0 => format!("{size:X}"),
            1 => format!("00{size:x}"),
            _ => format!("{size:x}"),
        };
        if size == 0 && data.is_empty() {
            continue;
        }
        out.extend_from_slice(hex.as_bytes());
        if r.one_in(6) {
            out.extend_from_slice(r.pick_in(EXTENSIONS, EXTENSIONS_VALID));
        }
        eol(r, out);
        out.extend_from_slice(data);
        if !r.valid && r.one_in(32) {
            out.extend_from_slice(r.pick(&[&b""[..], b"\n", b"x\r\n", b"\r"]));
        } else {
            eol(r, out);
        }
    }
    out.extend_from_slice(r.pick(&[&b"0"[..], b"0", b"0", b"000", b"0;e=1"]));
    eol(r, out);
    for _ in 0..if r.one_in(4) { r.below(3) } else { 0 } {
        out.extend_from_slice(r.pick_in(NAMES, NAMES_VALID));
        out.extend_from_slice(b": ");
        out.extend_from_slice(r.pick_in(VALUES, VALUES_VALID));
        eol(r, out);
    }
    eol(r, out);
}

/// Builds one response (with optional informational heads before it) and the request method.
pub fn generate(r: &mut Reader<'_>) -> (Vec<u8>, &'static str) {
    // Three inputs in four stay in the accepted language (up to the rare blind mutation).
    r.valid = !r.one_in(4);
    let method = r.pick(&["GET", "GET", "GET", "HEAD", "POST"]);
    let mut out = Vec::new();
    for _ in 0..r.below(3) {
        out.extend_from_slice(b"\r\n");
    }
    if r.one_in(4) {
        let max = if r.valid { 6 } else { 7 };
        for _ in 0..r.below(max) {
            let status = r.pick(&[&b"100"[..], b"102", b"103"]);
            // Bodies of informational responses are never read; announce none.
            out.extend_from_slice(b"HTTP/1.1 ");
            out.extend_from_slice(status);
            out.extend_from_slice(r.pick_in(REASONS, REASONS_VALID));
            eol(r, &mut out);
            if r.one_in(2) {
                out.extend_from_slice(b"X-Step: 1");
                eol(r, &mut out);
            }
            eol(r, &mut out);
        }
    }
    let status = r.pick_in(STATUSES, STATUSES_VALID);
    let framing = head(r, &mut out, status);
    match framing {
        Framing::None => {
            let b = r.bytes(32);
            out.extend_from_slice(b);
        }
        Framing::Length(n) => {
            let b = r.bytes(n + 8);
            out.extend_from_slice(b);
            if r.valid && b.len() < n {
                // Complete the body (the fuzz bytes ran out).
                out.resize(out.len() + n - b.len(), b'.');
            }
        }
        Framing::Chunked => chunked_body(r, &mut out),
    }
    if r.one_in(4) {
        // Pipelined or stray bytes after the response (leftover, or the tail of a
        // close-delimited body).
        out.extend_from_slice(r.bytes(16));
    }
    // Rare blind mutations.
    if !out.is_empty() && r.one_in(12) {
        let at = r.below(out.len());
        match r.below(3) {
            0 => out.truncate(at),
            1 => out[at] = r.u8(),
            _ => {
                let b = r.u8();
                out.insert(at, b);
            }
        }
    }
    (out, method)
}

fn ref_head(h: &HeadRec) -> RefHead {
    RefHead {
        http11: h.http11,
        status: h.status,
        reason: h.reason.clone(),
        headers: h.headers.clone(),
    }
}

/// The core's outcome in the reference's terms (`None`: an error).
pub fn core_as_reference(
    input: &[u8],
    method: &str,
    lengths: &[usize],
    whole: bool,
) -> Option<RefResponse> {
    let out = run(input, &[method], Limits::default(), lengths, true, whole);
    let leftover = match out.end {
        Final::Complete { leftover } => leftover,
        Final::Failed(_) => return None,
        other => panic!("with EOF the run must complete or fail, not {other:?}"),
    };
    let mut informational = Vec::new();
    let mut head = None;
    let mut body = Vec::new();
    let mut trailers = Vec::new();
    let mut keep_alive = false;
    let mut upgrade = false;
    for e in out.events {
        match e {
            Rec::Informational(h) => informational.push(ref_head(&h)),
            Rec::Head(h) => head = Some(ref_head(&h)),
            Rec::Upgrade(h) => {
                head = Some(ref_head(&h));
                upgrade = true;
            }
            Rec::Data(d) => body.extend_from_slice(&d),
            Rec::Trailers(t) => trailers = t,
            Rec::End(k) => keep_alive = k,
        }
    }
    Some(RefResponse {
        informational,
        head: head.expect("a complete response has a head"),
        body,
        trailers,
        keep_alive,
        upgrade,
        leftover,
    })
}

/// The target.
pub fn fuzz_decoder_differential(data: &[u8]) {
    let mut r = Reader::new(data);
    let split = r.u8();
    let (wire, method) = generate(&mut r);
    check(&wire, method, split);
}

/// Compares the core with the reference on `wire`; `split` > 0 also feeds it in pieces of
/// that size.
pub fn check(wire: &[u8], method: &str, split: u8) {
    let expected = reference::decode(wire, method);
    let got = core_as_reference(wire, method, &[wire.len()], true);
    assert_eq!(
        got,
        expected,
        "core (left) and reference (right) disagree on {:?} for {method}",
        String::from_utf8_lossy(wire)
    );
    if split > 0 {
        let lengths = crate::split::pieces(&[split], wire.len());
        assert_eq!(
            core_as_reference(wire, method, &lengths, false),
            expected,
            "split {split}"
        );
    }
}

#[cfg(test)]
mod tests {
    /// On random bytes, most generated responses are in the accepted language.
    #[test]
    fn random_inputs_are_mostly_valid() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let (mut ok, total) = (0, 10_000);
        for _ in 0..total {
            let data: Vec<u8> = (0..256)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let mut r = super::Reader::new(&data);
            let _split = r.u8();
            let (wire, method) = super::generate(&mut r);
            ok += usize::from(crate::reference::decode(&wire, method).is_some());
            super::check(&wire, method, 3);
        }
        eprintln!("decoder_differential, random inputs: {ok} of {total} valid");
        assert!(ok * 2 >= total, "only {ok} of {total} valid");
    }

    /// Over the working corpus (when there is one): how many are valid (informative only; the
    /// corpus keeps inputs for their coverage, and invalid ones cover the error paths).
    #[test]
    fn corpus_is_mostly_in_the_accepted_language() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/decoder_differential");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let (mut ok, mut total) = (0, 0);
        for e in entries {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            let mut r = super::Reader::new(&data);
            let _split = r.u8();
            let (wire, method) = super::generate(&mut r);
            total += 1;
            ok += usize::from(crate::reference::decode(&wire, method).is_some());
        }
        eprintln!("decoder_differential corpus: {ok} of {total} inputs valid");
    }
}
