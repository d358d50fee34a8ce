//! Properties of `docksock_proto::encode`: arbitrary path parameters, queries and image
//! references round-trip or fail cleanly without breaking the request line, arbitrary request
//! parts never panic, and chunked pieces reassemble.

use docksock_proto::encode::{BodyEncoder, BodyFraming, PathParam, RequestSpec};
use docksock_proto::MisuseError;
use proptest::prelude::*;

#[path = "support/encoding.rs"]
mod encoding;

use encoding::{enc, misuse, percent_decode, V145};

/// Splits a head's request line into (method, target), checking it is `M SP T SP HTTP/1.1` with
/// no other SP, CR, LF or non-visible byte.
fn request_line(wire: &[u8]) -> (&[u8], &[u8]) {
    let end = wire.windows(2).position(|w| w == b"\r\n").expect("CRLF");
    let line = &wire[..end];
    assert!(
        line.iter().all(|&b| (0x21..0x7f).contains(&b) || b == b' '),
        "{line:?}"
    );
    assert_eq!(line.iter().filter(|&&b| b == b' ').count(), 2);
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (m, t, v) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(v, b"HTTP/1.1");
    (m, t)
}

proptest! {
    #[test]
    fn arbitrary_params_and_query_round_trip(id in any::<String>(), key in any::<String>(), value in any::<String>()) {
        let params = [("id", PathParam::Plain(&id))];
        let query = [(key.as_str(), value.as_str()), ("k", "v")];
        let spec = RequestSpec::new("GET", "/containers/{id}/json")
            .params(&params)
            .query(&query)
            .api_version(V145);
        let res = enc(&spec);
        if matches!(id.as_str(), "" | "." | "..") || id.contains('/') {
            prop_assert_eq!(res, Err(misuse(MisuseError::InvalidPathParam)));
        } else if key.is_empty() {
            prop_assert_eq!(res, Err(misuse(MisuseError::InvalidQuery)));
        } else {
            let wire = res.unwrap();
            let (m, target) = request_line(&wire);
            prop_assert_eq!(m, b"GET");
            let rest = target.strip_prefix(b"/v1.45/containers/").unwrap();
            let (path, query) = rest.split_at(rest.iter().position(|&b| b == b'?').unwrap());
            let enc_id = path.strip_suffix(b"/json").unwrap();
            prop_assert_eq!(percent_decode(enc_id).unwrap(), id.as_bytes());
            let query = &query[1..];
            let pairs: Vec<&[u8]> = query.split(|&b| b == b'&').collect();
            prop_assert_eq!(pairs.len(), 2);
            let (k, v) = pairs[0].split_at(pairs[0].iter().position(|&b| b == b'=').unwrap());
            prop_assert_eq!(percent_decode(k).unwrap(), key.as_bytes());
            prop_assert_eq!(percent_decode(&v[1..]).unwrap(), value.as_bytes());
            prop_assert_eq!(pairs[1], b"k=v");
            prop_assert_eq!(&wire[wire.len() - 4..], b"\r\n\r\n");
        }
    }

    #[test]
    fn arbitrary_image_params_never_break_the_line(img in prop_oneof![any::<String>(), "[a-zA-Z0-9._:/@ \\[\\]-]{1,40}", "([a-z0-9]{1,4}[._-]?){1,3}(/[a-z0-9]{1,4}){0,2}(:[a-zA-Z0-9_.-]{1,5})?"]) {
        let params = [("name", PathParam::Image(&img))];
        let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
        if let Ok(wire) = enc(&spec) {
            let (_, target) = request_line(&wire);
            let enc_img = target.strip_prefix(b"/images/").unwrap().strip_suffix(b"/json").unwrap();
            prop_assert_eq!(percent_decode(enc_img).unwrap(), img.as_bytes());
            // The policy: a reference never injects into the line (no space) and never climbs
            // out of its path (no `.` or `..` segment); `..` inside a tag (`a:A..`) is legal.
            prop_assert!(!img.is_empty() && !img.contains(' '));
            prop_assert!(img.split('/').all(|seg| seg != "." && seg != ".."), "path segment: {img:?}");
        }
    }

    #[test]
    fn arbitrary_request_parts_never_panic(
        method in any::<String>(),
        path in any::<String>(),
        name in any::<String>(),
        value in any::<String>(),
        body in prop_oneof![Just(BodyFraming::None), any::<u64>().prop_map(BodyFraming::Length), Just(BodyFraming::Chunked)],
        upgrade in any::<bool>(),
        expect in any::<bool>(),
    ) {
        let headers = [(name.as_str(), value.as_str())];
        let spec = RequestSpec::new(&method, &path)
            .headers(&headers)
            .body(body)
            .upgrade(upgrade)
            .expect_continue(expect);
        match enc(&spec) {
            Ok(wire) => {
                request_line(&wire);
                // The head ends exactly once, at the end: no injected line break anywhere.
                let head = &wire[..wire.len() - 2];
                prop_assert!(!head.windows(4).any(|w| w == b"\r\n\r\n"));
                prop_assert_eq!(
                    wire.iter().filter(|&&b| b == b'\n').count(),
                    wire.windows(2).filter(|w| w == b"\r\n").count()
                );
            }
            Err(e) => prop_assert!(e.is_misuse()),
        }
    }

    #[test]
    fn chunked_pieces_reassemble(pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let mut body = BodyEncoder::chunked();
        let mut wire = Vec::new();
        for p in &pieces {
            let f = body.frame(p.len()).unwrap();
            wire.extend_from_slice(f.prefix());
            wire.extend_from_slice(p);
            wire.extend_from_slice(f.suffix());
        }
        wire.extend_from_slice(body.finish().unwrap());
        // A naive chunked decoder.
        let mut out = Vec::new();
        let mut rest = &wire[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size_txt = std::str::from_utf8(&rest[..eol]).unwrap();
            prop_assert!(size_txt.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            let size = usize::from_str_radix(size_txt, 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                prop_assert_eq!(rest, b"\r\n");
                break;
            }
            out.extend_from_slice(&rest[..size]);
            prop_assert_eq!(&rest[size..size + 2], b"\r\n");
            rest = &rest[size + 2..];
        }
        prop_assert_eq!(out, pieces.concat());
    }
}
