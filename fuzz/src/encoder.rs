//! The `request_encoder` target: arbitrary methods, path templates, parameters, queries and
//! headers. The encoder either refuses (and then a plain reading of the documented rules
//! agrees that the input breaks one), or writes a head that `httparse` reads back to exactly
//! the parts given: method, percent-decoded path segments, query pairs, header names and values
//! in order, the framing header — and nothing else (no injected header, no dot segment).

use libfuzzer_sys::arbitrary::{self, Arbitrary};

use docksock_proto::encode::{BodyEncoder, BodyFraming, PathParam, RequestSpec, DEFAULT_HOST};
use docksock_proto::version::ApiVersion;
use docksock_proto::{ChunkedDecoder, ChunkedEvent, Error, Limits, MisuseError};

/// One piece of the path template.
#[derive(Arbitrary, Debug)]
pub enum Seg {
    /// Literal text (may contain `/` and anything else).
    Lit(String),
    /// A placeholder segment `{pN}` with a plain or image parameter.
    Param {
        /// The value.
        value: String,
        /// Image reference instead of plain.
        image: bool,
    },
    /// `prefix{pN}suffix` in one segment.
    Mixed {
        /// Literal before.
        pre: String,
        /// The value.
        value: String,
        /// Literal after.
        post: String,
    },
}

/// The fuzz input, built by `arbitrary`.
#[derive(Arbitrary, Debug)]
pub struct EncInput {
    method_sel: u8,
    method: String,
    segments: Vec<Seg>,
    /// Rarely: a raw template instead of the segments.
    raw_template: Option<String>,
    /// Twists on the parameter list: duplicate one, add a stray one, drop one.
    param_twist: u8,
    query: Vec<(String, String)>,
    headers: Vec<(u8, String, String)>,
    api: Option<(u16, u16)>,
    body_sel: u8,
    body_len: u16,
    upgrade: bool,
    expect: bool,
    pieces: Vec<u8>,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"];
const HEADER_NAMES: &[&str] = &[
    "Host",
    "Content-Type",
    "X-Registry-Auth",
    "X-Registry-Config",
    "content-length",
    "Transfer-Encoding",
    "connection",
    "Upgrade",
    "EXPECT",
    "host",
    "Accept",
];

fn is_tchar(b: u8) -> bool {
    crate::is_tchar(b)
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn path_literal(b: u8) -> bool {
    unreserved(b) || b"!$&'()*+,;=:@/".contains(&b)
}

fn header_value_ok(v: &str) -> bool {
    let b = v.as_bytes();
    b.iter().all(|&c| c == b'\t' || (0x20..=0x7e).contains(&c))
        && !b.first().is_some_and(|&c| c == b' ' || c == b'\t')
        && !b.last().is_some_and(|&c| c == b' ' || c == b'\t')
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = std::str::from_utf8(&s[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Every byte is `allowed`, or `%` and two uppercase hex digits.
fn well_encoded(s: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let ok = s.get(i + 1..i + 3).is_some_and(|h| {
                h.iter()
                    .all(|&c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
            });
            if !ok {
                return false;
            }
            i += 3;
        } else if allowed(s[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// The template pieces as (literal, or placeholder name).
enum Piece {
    Lit(Vec<u8>),
    Hole(String),
}

/// A plain reading of the template rules: `Some(pieces)` when the template is valid.
fn parse_template(t: &str) -> Option<Vec<Piece>> {
    let b = t.as_bytes();
    if b.first() != Some(&b'/') {
        return None;
    }
    let mut pieces = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let close = i + 1 + b[i + 1..].iter().position(|&c| c == b'}')?;
            let name = &b[i + 1..close];
            if name.is_empty()
                || !name
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            {
                return None;
            }
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(Piece::Hole(String::from_utf8(name.to_vec()).ok()?));
            i = close + 1;
        } else if path_literal(b[i]) {
            lit.push(b[i]);
            i += 1;
        } else {
            return None;
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    // Segments: none empty (except the root path), none `.` or `..` unless a placeholder
    // is in it.
    if t != "/" {
        let mut segs: Vec<(Vec<u8>, bool)> = vec![(Vec::new(), false)];
        let mut first = true;
        for p in &pieces {
            match p {
                Piece::Lit(l) => {
                    for &c in l {
                        if c == b'/' {
                            if first {
                                first = false;
                                continue;
                            }
                            segs.push((Vec::new(), false));
                        } else {
                            segs.last_mut().unwrap().0.push(c);
                        }
                    }
                }
                Piece::Hole(_) => segs.last_mut().unwrap().1 = true,
            }
        }
        for (text, hole) in segs {
            if !hole && (text.is_empty() || text == b"." || text == b"..") {
                return None;
            }
        }
    }
    Some(pieces)
}

/// What the documented rules say of `spec`, ignoring image-reference grammar:
/// `Err(())` when a rule is broken.
fn reference_valid(spec: &RequestSpec<'_>) -> Result<(), ()> {
    if spec.method.is_empty() || !spec.method.bytes().all(is_tchar) {
        return Err(());
    }
    let pieces = parse_template(spec.path).ok_or(())?;
    for p in &pieces {
        if let Piece::Hole(name) = p {
            if spec.params.iter().filter(|(n, _)| n == name).count() != 1 {
                return Err(());
            }
        }
    }
    for (name, value) in spec.params {
        if !pieces
            .iter()
            .any(|p| matches!(p, Piece::Hole(n) if n == name))
        {
            return Err(());
        }
        if let PathParam::Plain(v) = value {
            if v.is_empty() || *v == "." || *v == ".." || v.contains('/') {
                return Err(());
            }
        }
    }
    if spec.query.iter().any(|(k, _)| k.is_empty()) {
        return Err(());
    }
    let mut hosts = 0;
    for (n, v) in spec.headers {
        if n.is_empty() || !n.bytes().all(is_tchar) {
            return Err(());
        }
        if [
            "content-length",
            "transfer-encoding",
            "connection",
            "upgrade",
            "expect",
            "sec-websocket-key",
            "sec-websocket-version",
        ]
        .iter()
        .any(|r| r.eq_ignore_ascii_case(n))
        {
            return Err(());
        }
        if !header_value_ok(v) {
            return Err(());
        }
        if n.eq_ignore_ascii_case("host") {
            hosts += 1;
        }
    }
    if hosts > 1 {
        return Err(());
    }
    if spec.expect_continue && spec.body == BodyFraming::None {
        return Err(());
    }
    Ok(())
}

/// The decoded path segments the request must carry.
fn expected_segments(spec: &RequestSpec<'_>) -> Vec<Vec<u8>> {
    let mut path = Vec::new();
    for p in parse_template(spec.path).expect("valid template") {
        match p {
            Piece::Lit(l) => path.extend_from_slice(&l),
            Piece::Hole(name) => {
                let v = spec.params.iter().find(|(n, _)| *n == name).unwrap().1;
                match v {
                    PathParam::Plain(s) | PathParam::Image(s) => {
                        path.extend_from_slice(s.as_bytes())
                    }
                }
            }
        }
    }
    if path == b"/" {
        return vec![];
    }
    path[1..]
        .split(|&c| c == b'/')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Checks the encoded head `out` against `spec`.
fn check_wire(spec: &RequestSpec<'_>, out: &[u8]) {
    let mut headers = vec![httparse::EMPTY_HEADER; spec.headers.len() + 8];
    let mut req = httparse::Request::new(&mut headers);
    let status = req
        .parse(out)
        .unwrap_or_else(|e| panic!("httparse rejects {:?}: {e}", String::from_utf8_lossy(out)));
    assert_eq!(
        status,
        httparse::Status::Complete(out.len()),
        "head not exactly one request"
    );
    assert_eq!(req.method, Some(spec.method));
    assert_eq!(req.version, Some(1));
    let target = req.path.unwrap().as_bytes();
    let (path, query) = match target.iter().position(|&c| c == b'?') {
        Some(q) => (&target[..q], Some(&target[q + 1..])),
        None => (target, None),
    };
    assert!(
        well_encoded(path, |c| path_literal(c)),
        "path {:?} badly encoded",
        String::from_utf8_lossy(path)
    );
    let path = match spec.api_version {
        Some(v) => {
            let prefix = format!("/v{}.{}", v.major, v.minor);
            assert!(path.starts_with(prefix.as_bytes()), "no version prefix");
            &path[prefix.len()..]
        }
        None => path,
    };
    assert_eq!(path.first(), Some(&b'/'));
    let got: Vec<Vec<u8>> = if path == b"/" {
        vec![]
    } else {
        path[1..]
            .split(|&c| c == b'/')
            .map(percent_decode)
            .collect()
    };
    assert_eq!(got, expected_segments(spec), "path segments differ");
    for raw in path[1..].split(|&c| c == b'/') {
        if path != b"/" {
            assert!(
                !raw.is_empty() && raw != b"." && raw != b"..",
                "empty or dot segment on the wire"
            );
        }
    }
    match query {
        None => assert!(spec.query.is_empty()),
        Some(q) => {
            assert!(
                well_encoded(q, |c| unreserved(c) || c == b'=' || c == b'&'),
                "query badly encoded"
            );
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = q
                .split(|&c| c == b'&')
                .map(|p| {
                    let eq = p
                        .iter()
                        .position(|&c| c == b'=')
                        .expect("query pair without '='");
                    (percent_decode(&p[..eq]), percent_decode(&p[eq + 1..]))
                })
                .collect();
            let want: Vec<(Vec<u8>, Vec<u8>)> = spec
                .query
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
            assert_eq!(pairs, want, "query differs");
        }
    }
    // Headers: Host, the caller's (minus Host) in order, upgrade, framing, expect.
    let mut want: Vec<(String, Vec<u8>)> = Vec::new();
    let host = spec
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map_or(DEFAULT_HOST, |h| h.1);
    want.push(("Host".into(), host.as_bytes().to_vec()));
    for (n, v) in spec.headers {
        if !n.eq_ignore_ascii_case("host") {
            want.push((n.to_string(), v.as_bytes().to_vec()));
        }
    }
    if spec.upgrade {
        want.push(("Connection".into(), b"Upgrade".to_vec()));
        want.push(("Upgrade".into(), b"tcp".to_vec()));
    }
    match spec.body {
        BodyFraming::None => {
            if matches!(spec.method, "POST" | "PUT" | "PATCH") {
                want.push(("Content-Length".into(), b"0".to_vec()));
            }
        }
        BodyFraming::Length(n) => want.push(("Content-Length".into(), n.to_string().into_bytes())),
        BodyFraming::Chunked => want.push(("Transfer-Encoding".into(), b"chunked".to_vec())),
    }
    if spec.expect_continue {
        want.push(("Expect".into(), b"100-continue".to_vec()));
    }
    let got: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    assert_eq!(got, want, "headers differ");
}

/// Frames a body of the given piece sizes and reads it back.
fn check_body(framing: BodyFraming, pieces: &[u8]) {
    let mut enc = BodyEncoder::chunked();
    if let BodyFraming::Length(n) = framing {
        enc = BodyEncoder::length(n);
    } else if framing == BodyFraming::None {
        enc = BodyEncoder::none();
    }
    let mut wire = Vec::new();
    let mut body = Vec::new();
    for (i, &len) in pieces.iter().enumerate() {
        let data = vec![b'a' + (i % 26) as u8; usize::from(len)];
        let before = enc;
        match enc.write_vec(&data, &mut wire) {
            Ok(()) => body.extend_from_slice(&data),
            Err(e) => {
                assert!(e.is_misuse());
                assert_eq!(enc, before, "a failed write changed the encoder");
                match framing {
                    BodyFraming::Length(_) => {
                        assert_eq!(e, Error::Misuse(MisuseError::BodyLengthMismatch))
                    }
                    BodyFraming::None => assert!(len > 0),
                    BodyFraming::Chunked => panic!("chunked write failed: {e:?}"),
                }
            }
        }
    }
    match enc.finish() {
        Ok(end) => wire.extend_from_slice(end),
        Err(_) => {
            assert!(matches!(framing, BodyFraming::Length(_)));
            assert_ne!(enc.remaining(), Some(0));
            return;
        }
    }
    assert!(enc.is_finished());
    assert!(enc.finish().is_err() && enc.frame(0).is_err());
    match framing {
        BodyFraming::Chunked => {
            let mut dec = ChunkedDecoder::new(&Limits::default());
            let mut input = &wire[..];
            let mut got = Vec::new();
            loop {
                let (used, ev) = dec.decode(input).expect("own chunked body rejected");
                input = &input[used..];
                match ev {
                    ChunkedEvent::Data(d) => got.extend_from_slice(d),
                    ChunkedEvent::End => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert!(input.is_empty());
            assert_eq!(got, body);
        }
        _ => assert_eq!(wire, body),
    }
}

/// The target.
pub fn fuzz_request_encoder(input: EncInput) {
    fuzz_request_encoder_inner(input);
}

/// The target's body; returns whether the encoder accepted the request (for the harness's own
/// sanity test: most inputs must not be refused, or the round trip is never checked).
pub fn fuzz_request_encoder_inner(input: EncInput) -> bool {
    let method: &str = if input.method_sel < 200 {
        METHODS[usize::from(input.method_sel) % METHODS.len()]
    } else {
        &input.method
    };
    // The template and its parameters.
    let mut template = String::new();
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<(String, bool)> = Vec::new();
    for seg in &input.segments {
        template.push('/');
        match seg {
            Seg::Lit(l) => template.push_str(l),
            Seg::Param { value, image } => {
                let n = format!("p{}", names.len());
                template.push_str(&format!("{{{n}}}"));
                names.push(n);
                values.push((value.clone(), *image));
            }
            Seg::Mixed { pre, value, post } => {
                let n = format!("p{}", names.len());
                template.push_str(&format!("{pre}{{{n}}}{post}"));
                names.push(n);
                values.push((value.clone(), false));
            }
        }
    }
    if template.is_empty() {
        template.push('/');
    }
    let template = match &input.raw_template {
        Some(t) if input.param_twist & 0xf0 == 0xf0 => t.clone(),
        _ => template,
    };
    let mut params: Vec<(&str, PathParam<'_>)> = names
        .iter()
        .zip(&values)
        .map(|(n, (v, image))| {
            (
                n.as_str(),
                if *image {
                    PathParam::Image(v)
                } else {
                    PathParam::Plain(v)
                },
            )
        })
        .collect();
    match input.param_twist & 7 {
        1 if !params.is_empty() => params.push(params[0]),
        2 => params.push(("stray", PathParam::Plain("x"))),
        3 if !params.is_empty() => {
            params.pop();
        }
        _ => {}
    }
    let query: Vec<(&str, &str)> = input
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = input
        .headers
        .iter()
        .map(|(sel, n, v)| {
            let name = if *sel < 128 {
                HEADER_NAMES[usize::from(*sel) % HEADER_NAMES.len()]
            } else {
                n.as_str()
            };
            (name, v.as_str())
        })
        .collect();
    let body = match input.body_sel % 3 {
        0 => BodyFraming::None,
        1 => BodyFraming::Length(u64::from(input.body_len)),
        _ => BodyFraming::Chunked,
    };
    let spec = RequestSpec::new(method, &template)
        .params(&params)
        .query(&query)
        .headers(&headers)
        .api_version(input.api.map(|(a, b)| ApiVersion::new(a, b)))
        .body(body)
        .upgrade(input.upgrade)
        .expect_continue(input.expect);

    let reference = reference_valid(&spec);
    let has_image = params.iter().any(|(_, p)| matches!(p, PathParam::Image(_)));
    let len = spec.encoded_len();
    let mut vec_out = b"prefix".to_vec();
    let vec_res = spec.encode_vec(&mut vec_out);
    match len {
        Ok(needed) => {
            assert!(
                reference.is_ok(),
                "encoder accepts what the rules refuse: {spec:?}"
            );
            let mut buf = vec![0xAAu8; needed + 1];
            let n = spec.encode(&mut buf).expect("encode after encoded_len Ok");
            assert_eq!(n, needed);
            assert_eq!(buf[needed], 0xAA, "wrote past the head");
            let out = &buf[..n];
            vec_res.expect("encode_vec after encoded_len Ok");
            assert_eq!(&vec_out[6..], out, "encode_vec differs from encode");
            if needed > 0 {
                let mut small = vec![0x55u8; needed - 1];
                assert_eq!(
                    spec.encode(&mut small),
                    Err(Error::Misuse(MisuseError::BufferTooSmall { needed }))
                );
                assert!(
                    small.iter().all(|&b| b == 0x55),
                    "a failed encode wrote into the buffer"
                );
            }
            check_wire(&spec, out);
            check_body(body, &input.pieces);
            true
        }
        Err(e) => {
            assert!(e.is_misuse(), "{e:?}");
            assert_eq!(vec_res, Err(e), "encode_vec and encoded_len disagree");
            assert_eq!(vec_out, b"prefix", "a failed encode_vec changed the Vec");
            let mut buf = [0u8; 64];
            assert_eq!(spec.encode(&mut buf), Err(e));
            if reference.is_ok() {
                assert!(
                    has_image && e == Error::Misuse(MisuseError::InvalidImageReference),
                    "encoder refuses what the rules accept ({e:?}): {spec:?}"
                );
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};

    /// Over the working corpus (when there is one), a fair share of inputs must be accepted,
    /// or the round-trip checks never run.
    #[test]
    fn corpus_exercises_the_round_trip() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/request_encoder");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let (mut ok, mut total) = (0, 0);
        for e in entries {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            if let Ok(input) = super::EncInput::arbitrary(&mut Unstructured::new(&data)) {
                total += 1;
                ok += usize::from(super::fuzz_request_encoder_inner(input));
            }
        }
        eprintln!("request_encoder corpus: {ok} of {total} inputs encoded");
        assert!(
            total == 0 || ok * 5 >= total,
            "only {ok} of {total} accepted"
        );
    }
}
