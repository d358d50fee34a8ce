//! Integration tests of `docksock_proto::encode` for body framing: the chunked, length-delimited
//! and empty body encoders, and their `Vec` conveniences.

use docksock_proto::encode::{BodyEncoder, BodyFraming, RequestSpec};
use docksock_proto::MisuseError;

#[path = "support/encoding.rs"]
mod encoding;

#[cfg(feature = "alloc")]
use encoding::enc;
use encoding::misuse;

#[test]
fn chunked_body_encoder() {
    let mut body = BodyEncoder::chunked();
    let empty = body.frame(0).unwrap();
    assert!(empty.prefix().is_empty() && empty.suffix().is_empty());
    for (len, hex) in [
        (1usize, "1"),
        (10, "a"),
        (255, "ff"),
        (4096, "1000"),
        (0xdead_beef, "deadbeef"),
    ] {
        let f = body.frame(len).unwrap();
        assert_eq!(f.prefix(), format!("{hex}\r\n").as_bytes());
        assert_eq!(f.suffix(), b"\r\n");
        assert_eq!(f.overhead(), hex.len() + 4);
    }
    let f = body.frame(usize::MAX).unwrap();
    assert_eq!(f.prefix(), format!("{:x}\r\n", usize::MAX).as_bytes());
    assert!(f.prefix().len() <= 18);
    assert!(!body.is_finished());
    assert_eq!(body.finish(), Ok(&b"0\r\n\r\n"[..]));
    assert!(body.is_finished());
    assert_eq!(body.frame(1), Err(misuse(MisuseError::BodyNotExpected)));
    assert_eq!(body.finish(), Err(misuse(MisuseError::BodyNotExpected)));
}

#[test]
fn length_body_encoder() {
    // Over.
    let mut body = BodyEncoder::length(5);
    assert_eq!(body.remaining(), Some(5));
    assert_eq!(body.frame(6), Err(misuse(MisuseError::BodyLengthMismatch)));
    assert_eq!(body.remaining(), Some(5), "an error changes nothing");
    let f = body.frame(3).unwrap();
    assert!(f.prefix().is_empty() && f.suffix().is_empty());
    assert_eq!(body.frame(3), Err(misuse(MisuseError::BodyLengthMismatch)));
    // Under.
    assert_eq!(body.finish(), Err(misuse(MisuseError::BodyLengthMismatch)));
    assert!(!body.is_finished());
    body.frame(0).unwrap();
    body.frame(2).unwrap();
    assert_eq!(body.remaining(), Some(0));
    assert_eq!(body.finish(), Ok(&b""[..]));
    assert_eq!(body.frame(0), Err(misuse(MisuseError::BodyNotExpected)));

    let mut zero = BodyEncoder::length(0);
    assert_eq!(zero.frame(1), Err(misuse(MisuseError::BodyLengthMismatch)));
    assert_eq!(zero.finish(), Ok(&b""[..]));
}

#[test]
fn no_body_encoder() {
    let mut body = RequestSpec::new("GET", "/info").body_encoder();
    assert_eq!(body, BodyEncoder::none());
    assert_eq!(body.remaining(), None);
    assert!(body.frame(0).unwrap().prefix().is_empty());
    assert_eq!(body.frame(1), Err(misuse(MisuseError::BodyNotExpected)));
    assert_eq!(body.finish(), Ok(&b""[..]));
    assert_eq!(
        RequestSpec::new("POST", "/x")
            .body(BodyFraming::Chunked)
            .body_encoder(),
        BodyEncoder::chunked()
    );
    assert_eq!(
        RequestSpec::new("POST", "/x")
            .body(BodyFraming::Length(7))
            .body_encoder(),
        BodyEncoder::length(7)
    );
}

#[cfg(feature = "alloc")]
#[test]
fn vec_conveniences() {
    let spec = RequestSpec::new("POST", "/build").body(BodyFraming::Chunked);
    let mut out = b"keep".to_vec();
    spec.encode_vec(&mut out).unwrap();
    assert_eq!(&out[..4], b"keep");
    assert_eq!(&out[4..], &enc(&spec).unwrap()[..]);

    let before = out.clone();
    let bad = RequestSpec::new("GET", "/x").headers(&[("X", "\n")]);
    assert!(bad.encode_vec(&mut out).is_err());
    assert!(bad.encode_with_body(b"abc", &mut out).is_err());
    assert_eq!(out, before, "unchanged on error");

    let mut body = spec.body_encoder();
    let mut out = Vec::new();
    body.write_vec(b"hello world", &mut out).unwrap();
    body.write_vec(b"", &mut out).unwrap();
    out.extend_from_slice(body.finish().unwrap());
    assert_eq!(out, b"b\r\nhello world\r\n0\r\n\r\n");
    assert!(body.write_vec(b"x", &mut out).is_err());

    let mut fixed = BodyEncoder::length(2);
    let mut out = Vec::new();
    assert!(fixed.write_vec(b"abc", &mut out).is_err());
    assert!(out.is_empty());
    fixed.write_vec(b"ab", &mut out).unwrap();
    assert_eq!(out, b"ab");

    // encode_with_body replaces whatever framing the spec had.
    let mut out = Vec::new();
    RequestSpec::new("PUT", "/x")
        .body(BodyFraming::Chunked)
        .encode_with_body(b"", &mut out)
        .unwrap();
    assert_eq!(
        out,
        b"PUT /x HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Length: 0\r\n\r\n"
    );
}
