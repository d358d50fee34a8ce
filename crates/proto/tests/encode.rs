//! Integration tests of `docksock_proto::encode`: the request samples of
//! `crates/proto/tests/conformance/request_cases.sample.json` transcribed as vectors, exact buffer sizing,
//! injection attempts, percent-encoding round trips, image references, body framing, and
//! property tests.

use docksock_proto::encode::{
    BodyEncoder, BodyFraming, PathParam, RequestSpec, DEFAULT_HOST, MAX_HEAD_BYTES,
};
use docksock_proto::version::ApiVersion;
use docksock_proto::{Error, MisuseError};
use proptest::prelude::*;

const V145: Option<ApiVersion> = Some(ApiVersion::new(1, 45));

/// Encodes into a buffer of exactly `encoded_len` bytes and checks both agree.
fn enc(spec: &RequestSpec<'_>) -> Result<Vec<u8>, Error> {
    let n = spec.encoded_len()?;
    let mut buf = vec![0u8; n];
    let written = spec.encode(&mut buf)?;
    assert_eq!(written, n);
    Ok(buf)
}

fn misuse(e: MisuseError) -> Error {
    Error::Misuse(e)
}

/// Encodes a body the way the harness does: chunked pieces through a `BodyEncoder`.
fn stream_body(spec: &RequestSpec<'_>, pieces: &[&[u8]], out: &mut Vec<u8>) -> Result<(), Error> {
    let mut body = spec.body_encoder();
    for piece in pieces {
        let frame = body.frame(piece.len())?;
        out.extend_from_slice(frame.prefix());
        out.extend_from_slice(piece);
        out.extend_from_slice(frame.suffix());
    }
    out.extend_from_slice(body.finish()?);
    Ok(())
}

fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None, // lowercase hex is never produced
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hi = hex(*s.get(i + 1)?)?;
            let lo = hex(*s.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// The sample cases, transcribed.
// ---------------------------------------------------------------------------------------------

fn expect_error(spec: RequestSpec<'_>, class: &str) {
    let err = enc(&spec).expect_err("must fail");
    assert_eq!(err.class(), class, "{err:?}");
    // Nothing is written on error, whatever the buffer.
    let mut buf = vec![0xAAu8; 1 << 12];
    assert!(spec.encode(&mut buf).is_err());
    assert!(buf.iter().all(|&b| b == 0xAA));
}

#[test]
fn case_req_header_value_bare_lf() {
    let spec = RequestSpec::new("GET", "/info")
        .api_version(V145)
        .headers(&[("X-Trace", "a\nX-Injected: 1")]);
    expect_error(spec, "invalid-header-value");
}

#[test]
fn case_req_path_non_ascii() {
    let spec = RequestSpec::new("GET", "/containers/{id}/json")
        .api_version(V145)
        .params(&[("id", PathParam::Plain("été"))]);
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /v1.45/containers/%C3%A9t%C3%A9/json HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
}

fn long_header_spec<'a>(headers: &'a [(&'a str, &'a str)]) -> RequestSpec<'a> {
    RequestSpec::new("POST", "/images/create")
        .api_version(V145)
        .query(&[("fromImage", "alpine")])
        .body(BodyFraming::Length(0))
        .headers(headers)
}

#[test]
fn case_req_long_header_ok() {
    let value = "A".repeat(4096);
    let got = enc(&long_header_spec(&[("X-Registry-Auth", &value)])).unwrap();
    let mut want = b"POST /v1.45/images/create?fromImage=alpine HTTP/1.1\r\nHost: api.moby.localhost\r\nX-Registry-Auth: ".to_vec();
    want.extend_from_slice(value.as_bytes());
    want.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(got, want);
    // Without an explicit Length(0), as the harness sends it: the same bytes.
    let headers = [("X-Registry-Auth", value.as_str())];
    let spec = long_header_spec(&headers).body(BodyFraming::None);
    assert_eq!(enc(&spec).unwrap(), want);
}

#[test]
fn case_req_long_header_too_large() {
    let value = "A".repeat(2 * 1024 * 1024);
    let headers = [("X-Registry-Auth", value.as_str())];
    let spec = long_header_spec(&headers);
    assert_eq!(spec.encoded_len(), Err(misuse(MisuseError::HeadTooLarge)));
    expect_error(spec, "header-too-large");
    // Even with a buffer big enough for it, nothing is written.
    let mut buf = vec![0u8; 3 * 1024 * 1024];
    assert_eq!(
        spec.encode(&mut buf),
        Err(misuse(MisuseError::HeadTooLarge))
    );
    assert!(buf.iter().all(|&b| b == 0));
}

#[test]
fn case_req_chunked_stream_empty_write() {
    let spec = RequestSpec::new("POST", "/build")
        .api_version(V145)
        .headers(&[("Content-Type", "application/x-tar")])
        .body(BodyFraming::Chunked);
    let mut out = enc(&spec).unwrap();
    stream_body(&spec, &[b"hel", b"", b"lo"], &mut out).unwrap();
    assert_eq!(
        out,
        b"POST /v1.45/build HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
    );
}

#[test]
fn case_req_post_json_body() {
    let body = br#"{"Image":"alpine"}"#;
    let spec = RequestSpec::new("POST", "/containers/create")
        .api_version(V145)
        .query(&[("name", "web")])
        .headers(&[("Content-Type", "application/json")]);
    let want: &[u8] = b"POST /v1.45/containers/create?name=web HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"Image\":\"alpine\"}";

    // Through the slice API and a Length body encoder.
    let framed = spec.body(BodyFraming::Length(body.len() as u64));
    let mut out = enc(&framed).unwrap();
    stream_body(&framed, &[&body[..5], &body[5..]], &mut out).unwrap();
    assert_eq!(out, want);

    // Through the Vec convenience.
    #[cfg(feature = "alloc")]
    {
        let mut v = b"previous".to_vec();
        spec.encode_with_body(body, &mut v).unwrap();
        assert_eq!(&v[..8], b"previous");
        assert_eq!(&v[8..], want);
    }
}

#[test]
fn case_req_host_crlf() {
    let spec = RequestSpec::new("GET", "/info")
        .api_version(V145)
        .headers(&[("Host", "api.moby.localhost\r\nX-Injected: 1")]);
    expect_error(spec, "invalid-header-value");
}

#[test]
fn case_req_query_crlf_in_value() {
    let spec = RequestSpec::new("GET", "/containers/{id}/logs")
        .api_version(V145)
        .params(&[("id", PathParam::Plain("abc"))])
        .query(&[("since", "1\r\nX-Injected: 1"), ("stdout", "1")]);
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /v1.45/containers/abc/logs?since=1%0D%0AX-Injected%3A%201&stdout=1 HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
}

#[test]
fn case_req_path_crlf() {
    let spec = RequestSpec::new("GET", "/containers/{id}/json")
        .api_version(V145)
        .params(&[("id", PathParam::Plain("abc\r\nX-Injected: 1"))]);
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /v1.45/containers/abc%0D%0AX-Injected%3A%201/json HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
}

#[test]
fn case_req_header_name_space() {
    let spec = RequestSpec::new("GET", "/info")
        .api_version(V145)
        .headers(&[("X Bad", "1")]);
    expect_error(spec, "invalid-header-name");
}

// ---------------------------------------------------------------------------------------------
// Sizing.
// ---------------------------------------------------------------------------------------------

#[test]
fn buffer_too_small_reports_exact_size() {
    let spec = RequestSpec::new("POST", "/containers/{id}/attach")
        .params(&[("id", PathParam::Plain("web"))])
        .query(&[("stream", "1"), ("stdin", "1")])
        .headers(&[("Content-Type", "application/json")])
        .api_version(Some(ApiVersion::new(1, 41)))
        .upgrade(true);
    let needed = spec.encoded_len().unwrap();
    let mut exact = vec![0u8; needed];
    assert_eq!(spec.encode(&mut exact), Ok(needed));
    for short in [0, 1, needed / 2, needed - 1] {
        let mut buf = vec![0x55u8; short];
        assert_eq!(
            spec.encode(&mut buf),
            Err(misuse(MisuseError::BufferTooSmall { needed }))
        );
        assert!(buf.iter().all(|&b| b == 0x55), "nothing written");
    }
    let mut big = vec![0u8; needed + 100];
    assert_eq!(spec.encode(&mut big), Ok(needed));
    assert_eq!(&big[..needed], &exact[..]);
}

#[test]
fn head_cap_is_inclusive() {
    // The header value length that makes the head exactly MAX_HEAD_BYTES.
    let with = |value: &str| {
        let headers = [("X-A", value)];
        RequestSpec::new("GET", "/info")
            .headers(&headers)
            .encoded_len()
    };
    let fill = MAX_HEAD_BYTES - with("A").unwrap() + 1;
    let exact = "A".repeat(fill);
    assert_eq!(with(&exact), Ok(MAX_HEAD_BYTES));
    let headers = [("X-A", exact.as_str())];
    assert_eq!(
        enc(&RequestSpec::new("GET", "/info").headers(&headers))
            .unwrap()
            .len(),
        MAX_HEAD_BYTES
    );
    let over = "A".repeat(fill + 1);
    assert_eq!(with(&over), Err(misuse(MisuseError::HeadTooLarge)));
}

// ---------------------------------------------------------------------------------------------
// Head layout and validation.
// ---------------------------------------------------------------------------------------------

#[test]
fn full_layout_order() {
    let spec = RequestSpec::new("POST", "/exec/{id}/start")
        .params(&[("id", PathParam::Plain("abc"))])
        .headers(&[
            ("Content-Type", "application/json"),
            ("host", "docker"),
            ("X-Empty", ""),
        ])
        .api_version(Some(ApiVersion::new(1, 9)))
        .upgrade(true)
        .body(BodyFraming::Length(0))
        .expect_continue(true);
    assert_eq!(
        enc(&spec).unwrap(),
        b"POST /v1.9/exec/abc/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nX-Empty:\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"
    );
}

#[test]
fn minimal_request_and_defaults() {
    let spec = RequestSpec::new("GET", "/_ping");
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /_ping HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
    assert_eq!(DEFAULT_HOST, "api.moby.localhost");
    assert_eq!(spec.body, BodyFraming::None);
    assert!(!spec.upgrade && !spec.expect_continue && spec.api_version.is_none());
    let spec = RequestSpec::new("GET", "/").api_version(Some(ApiVersion::new(65535, 65535)));
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /v65535.65535/ HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
    let spec = RequestSpec::new("POST", "/x").body(BodyFraming::Length(u64::MAX));
    assert!(enc(&spec)
        .unwrap()
        .ends_with(b"Content-Length: 18446744073709551615\r\n\r\n"));
}

#[test]
fn query_encoding() {
    let spec = RequestSpec::new("GET", "/containers/json").query(&[
        ("filters", r#"{"label":["a=b c+d"]}"#),
        ("all", ""),
        ("k~._-", "x/y?z#w&v=1"),
    ]);
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /containers/json?filters=%7B%22label%22%3A%5B%22a%3Db%20c%2Bd%22%5D%7D&all=&k~._-=x%2Fy%3Fz%23w%26v%3D1 HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
    let spec = RequestSpec::new("GET", "/x").query(&[("a", "1"), ("", "2")]);
    assert_eq!(enc(&spec), Err(misuse(MisuseError::InvalidQuery)));
}

#[test]
fn method_must_be_token() {
    for m in [
        "", "GET ", " GET", "GE T", "GET\r\n", "GET\n", "G\0", "GÉT", "GET/", "(GET)",
    ] {
        let spec = RequestSpec::new(m, "/info");
        assert_eq!(enc(&spec), Err(misuse(MisuseError::InvalidMethod)), "{m:?}");
    }
    for m in ["GET", "M-SEARCH", "x!#$%&'*+-.^_`|~9"] {
        assert!(enc(&RequestSpec::new(m, "/info")).is_ok(), "{m:?}");
    }
}

#[test]
fn path_template_rules() {
    for t in [
        "",
        "info",
        "/info\r\nX: 1",
        "/info\n",
        "/in\0fo",
        "/in fo",
        "/info?x=1",
        "/info#f",
        "/a%2Fb",
        "/é",
        "/a//b",
        "/a/",
        "/a/./b",
        "/a/..",
        "/{id",
        "/id}",
        "/{}",
        "/{i d}",
        "/{a{b}}",
        "/a\\b",
        "/a\"b",
        "/<a>",
        "/a|b",
    ] {
        let spec = RequestSpec::new("GET", t);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidPathTemplate)),
            "{t:?}"
        );
    }
    let spec = RequestSpec::new("GET", "/a:b@c!$&'()*+,;=-._~/x");
    assert!(enc(&spec)
        .unwrap()
        .starts_with(b"GET /a:b@c!$&'()*+,;=-._~/x HTTP/1.1\r\n"));
}

#[test]
fn params_match_placeholders() {
    let p = |v| PathParam::Plain(v);
    let cases: &[(&str, &[(&str, PathParam<'_>)])] = &[
        ("/containers/{id}/json", &[]),
        ("/containers/{id}/json", &[("name", p("x"))]),
        (
            "/containers/{id}/json",
            &[("id", p("x")), ("extra", p("y"))],
        ),
        ("/containers/{id}/json", &[("id", p("x")), ("id", p("y"))]),
        ("/containers/json", &[("id", p("x"))]),
        ("/containers/{ID}/json", &[("id", p("x"))]),
    ];
    for (t, params) in cases {
        let spec = RequestSpec::new("GET", t).params(params);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::MissingPathParam)),
            "{t} {params:?}"
        );
    }
    // One param may serve a placeholder used twice; placeholders may touch literals.
    let params = [("a", p("1")), ("b", p("2"))];
    let spec = RequestSpec::new("GET", "/{a}/x{a}.{b}").params(&params);
    assert!(enc(&spec).unwrap().starts_with(b"GET /1/x1.2 HTTP/1.1\r\n"));
    // Placeholder names are letters, digits, `_` and `-`.
    let params = [
        ("exec_id", p("e1")),
        ("plugin-name", p("p2")),
        ("N0", p("3")),
    ];
    let spec = RequestSpec::new("POST", "/exec/{exec_id}/{plugin-name}/{N0}").params(&params);
    assert!(enc(&spec)
        .unwrap()
        .starts_with(b"POST /exec/e1/p2/3 HTTP/1.1\r\n"));
    for t in ["/{a.b}", "/{a:b}", "/{a/b}", "/{a~b}"] {
        let spec = RequestSpec::new("GET", t).params(&params);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidPathTemplate)),
            "{t}"
        );
    }
}

#[test]
fn plain_param_rules() {
    for v in ["", ".", "..", "/", "a/b", "../etc", "/abs"] {
        let params = [("id", PathParam::Plain(v))];
        let spec = RequestSpec::new("GET", "/containers/{id}/json").params(&params);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidPathParam)),
            "{v:?}"
        );
    }
    for (v, want) in [
        ("...", "..."),
        ("a.b", "a.b"),
        ("%2F", "%252F"),
        ("a b+c", "a%20b%2Bc"),
        ("\\..", "%5C.."),
        ("a:b@c", "a%3Ab%40c"),
        ("?#", "%3F%23"),
    ] {
        let params = [("id", PathParam::Plain(v))];
        let spec = RequestSpec::new("GET", "/c/{id}").params(&params);
        let line = format!("GET /c/{want} HTTP/1.1\r\n");
        assert!(enc(&spec).unwrap().starts_with(line.as_bytes()), "{v:?}");
    }
}

#[test]
fn percent_encoding_all_bytes_round_trips() {
    // Every ASCII byte alone, except '/' (not allowed in a plain param), as a path param and
    // as a query value (where '/' is allowed).
    for b in 0u8..0x80 {
        let s = char::from(b).to_string();
        let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let want = if unreserved {
            s.clone()
        } else {
            format!("%{b:02X}")
        };
        if b != b'/' && b != b'.' {
            let params = [("id", PathParam::Plain(&s))];
            let spec = RequestSpec::new("GET", "/c/{id}").params(&params);
            let line = format!("GET /c/{want} HTTP/1.1\r\n");
            assert!(enc(&spec).unwrap().starts_with(line.as_bytes()), "{b:#x}");
        }
        let query = [(s.as_str(), s.as_str())];
        let spec = RequestSpec::new("GET", "/c").query(&query);
        let line = format!("GET /c?{want}={want} HTTP/1.1\r\n");
        assert!(enc(&spec).unwrap().starts_with(line.as_bytes()), "{b:#x}");
    }
    // All 256 code points U+0000..=U+00FF in one value: the decoded wire bytes are its UTF-8.
    let all: String = (0u8..=255).map(char::from).collect();
    let no_slash: String = all.chars().filter(|&c| c != '/').collect();
    let params = [("id", PathParam::Plain(&no_slash))];
    let query = [("v", all.as_str())];
    let spec = RequestSpec::new("GET", "/c/{id}")
        .params(&params)
        .query(&query);
    let wire = enc(&spec).unwrap();
    let line_end = wire.windows(2).position(|w| w == b"\r\n").unwrap();
    let line = &wire[..line_end];
    assert!(line.iter().all(|&b| (0x21..0x7f).contains(&b) || b == b' '));
    let target = line
        .strip_prefix(b"GET ")
        .unwrap()
        .strip_suffix(b" HTTP/1.1")
        .unwrap();
    let (path, query) = target.split_at(target.iter().position(|&b| b == b'?').unwrap());
    assert_eq!(
        percent_decode(path.strip_prefix(b"/c/").unwrap()).unwrap(),
        no_slash.as_bytes()
    );
    assert_eq!(
        percent_decode(query.strip_prefix(b"?v=").unwrap()).unwrap(),
        all.as_bytes()
    );
    // Uppercase hex only.
    assert!(!line
        .windows(3)
        .any(|w| w[0] == b'%' && (w[1].is_ascii_lowercase() || w[2].is_ascii_lowercase())));
}

#[test]
fn header_rules() {
    let bad_names = [
        "",
        "X Bad",
        "X:Bad",
        "X-A\r\nX-B",
        "X\n",
        "X\0",
        "Ü",
        "X\t",
        "(X)",
    ];
    for name in bad_names {
        let headers = [(name, "1")];
        let spec = RequestSpec::new("GET", "/info").headers(&headers);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidHeaderName)),
            "{name:?}"
        );
    }
    let bad_values = [
        " a",
        "a ",
        "\ta",
        "a\t",
        " ",
        "a\rb",
        "a\nb",
        "a\r\nX: 1",
        "a\0b",
        "a\x7fb",
        "a\x01",
        "é",
        "\u{80}",
    ];
    for value in bad_values {
        for name in ["X-Test", "Host", "host"] {
            let headers = [(name, value)];
            let spec = RequestSpec::new("GET", "/info").headers(&headers);
            assert_eq!(
                enc(&spec),
                Err(misuse(MisuseError::InvalidHeaderValue)),
                "{name} {value:?}"
            );
        }
    }
    for name in [
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "TRANSFER-ENCODING",
        "Connection",
        "Upgrade",
        "expect",
    ] {
        let headers = [(name, "x")];
        let spec = RequestSpec::new("GET", "/info").headers(&headers);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::ReservedHeader)),
            "{name}"
        );
    }
    let spec =
        RequestSpec::new("GET", "/info").headers(&[("Host", "a"), ("X", "1"), ("HOST", "b")]);
    assert_eq!(enc(&spec), Err(misuse(MisuseError::DuplicateHost)));
    // Inner whitespace, all visible ASCII, and an empty value are fine.
    let visible: String = (0x21u8..0x7f).map(char::from).collect();
    let headers = [("X-A", "a b\tc"), ("X-B", visible.as_str()), ("X-C", "")];
    let spec = RequestSpec::new("GET", "/info").headers(&headers);
    let wire = enc(&spec).unwrap();
    let want = format!("X-A: a b\tc\r\nX-B: {visible}\r\nX-C:\r\n\r\n");
    assert!(wire.ends_with(want.as_bytes()));
}

#[test]
fn content_length_zero_for_body_methods_without_body() {
    for m in ["POST", "PUT", "PATCH"] {
        let wire = enc(&RequestSpec::new(m, "/x")).unwrap();
        let want =
            format!("{m} /x HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(wire, want.as_bytes());
        assert_eq!(
            wire,
            enc(&RequestSpec::new(m, "/x").body(BodyFraming::Length(0))).unwrap()
        );
    }
    for m in ["GET", "HEAD", "DELETE", "OPTIONS", "post", "Put"] {
        let wire = enc(&RequestSpec::new(m, "/x")).unwrap();
        let want = format!("{m} /x HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n");
        assert_eq!(wire, want.as_bytes());
    }
    // Never together with chunked framing or the upgrade headers' order.
    let wire = enc(&RequestSpec::new("POST", "/x").body(BodyFraming::Chunked)).unwrap();
    assert!(!wire.windows(14).any(|w| w == b"Content-Length"));
    let wire = enc(&RequestSpec::new("POST", "/x").upgrade(true)).unwrap();
    assert!(wire.ends_with(b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"));
}

#[test]
fn expect_needs_a_body() {
    let spec = RequestSpec::new("POST", "/x").expect_continue(true);
    assert_eq!(enc(&spec), Err(misuse(MisuseError::BodyNotExpected)));
    let spec = spec.body(BodyFraming::Chunked);
    assert!(enc(&spec)
        .unwrap()
        .ends_with(b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
}

// ---------------------------------------------------------------------------------------------
// Image references.
// ---------------------------------------------------------------------------------------------

const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn image_references_valid() {
    let digest_ref = format!("ubuntu@sha256:{HEX64}");
    let sha_id = format!("sha256:{HEX64}");
    let full = format!("localhost:5000/a/b:tag@sha256:{HEX64}");
    for (img, want) in [
        ("busybox", "busybox"),
        ("busybox:latest", "busybox:latest"),
        ("localhost:5000/a/b:tag", "localhost:5000/a/b:tag"),
        ("docksock-test/bb:1", "docksock-test/bb:1"),
        (digest_ref.as_str(), digest_ref.as_str()),
        (HEX64, HEX64),
        (sha_id.as_str(), sha_id.as_str()),
        (full.as_str(), full.as_str()),
        ("a__b/c--d.e_f:V1.0-rc_1", "a__b/c--d.e_f:V1.0-rc_1"),
        ("[::1]:5000/img", "%5B::1%5D:5000/img"),
        (
            "my-registry.example.com:5000/team/app:1",
            "my-registry.example.com:5000/team/app:1",
        ),
        ("Reg-1.Example:443/x", "Reg-1.Example:443/x"),
    ] {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("POST", "/images/{name}/tag").params(&params);
        let line = format!("POST /images/{want}/tag HTTP/1.1\r\n");
        let wire = enc(&spec).unwrap_or_else(|e| panic!("{img}: {e:?}"));
        assert!(wire.starts_with(line.as_bytes()), "{img}");
    }
}

#[test]
fn image_references_invalid() {
    let long = "a".repeat(256);
    let long_tag = format!("a:{}", "t".repeat(129));
    let bad_digest = format!("a@sha256:{}", &HEX64[..63]);
    let upper_digest = format!("a@sha256:{}", HEX64.to_uppercase());
    for img in [
        "",
        "UPPER",
        "a//b",
        "a:",
        "-a",
        "a-",
        "a b",
        "a..b",
        "a_.b",
        "/a",
        "a/",
        ":latest",
        "a@",
        "a@sha256:",
        "a:b:c",
        "a\r\nb",
        "a\0",
        "a\tb",
        "été",
        "a/../b",
        "..",
        ".",
        "a?b",
        "a#b",
        "a%2Fb",
        "Docker.io/Library/Ubuntu",
        "my_registry.com:5000/x",
        "bad!host:5000/x",
        "-reg.example:5000/x",
        "reg-.example:5000/x",
        "reg..example:5000/x",
        long.as_str(),
        long_tag.as_str(),
        bad_digest.as_str(),
        upper_digest.as_str(),
    ] {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidImageReference)),
            "{img:?}"
        );
    }
    // 255 is the cap on the name.
    let max = "a".repeat(255);
    let params = [("name", PathParam::Image(&max))];
    let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
    assert!(enc(&spec).is_ok());
}

#[test]
fn image_digests_only_with_the_algorithms_moby_accepts() {
    // go-digest (through distribution/reference) knows sha256, sha384 and sha512, each with
    // exactly its length of lowercase hex; moby rejects any other algorithm.
    let hex = |n: usize| HEX64.repeat(2)[..n].to_string();
    let check = |img: &str, ok: bool| {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
        let want = if ok {
            Ok(format!("GET /images/{img}/json HTTP/1.1\r\n"))
        } else {
            Err(misuse(MisuseError::InvalidImageReference))
        };
        let got = enc(&spec).map(|w| {
            let line = w.split(|&b| b == b'\n').next().unwrap();
            format!("{}\n", String::from_utf8_lossy(line))
        });
        assert_eq!(got, want, "{img}");
    };
    for (algo, len) in [("sha256", 64), ("sha384", 96), ("sha512", 128)] {
        check(&format!("a@{algo}:{}", hex(len)), true);
        check(&format!("a:t@{algo}:{}", hex(len)), true);
        check(&format!("a@{algo}:{}", hex(len - 1)), false);
        check(&format!("a@{algo}:{}f", hex(len)), false);
        check(&format!("a@{}:{}", algo.to_uppercase(), hex(len)), false);
    }
    for algo in [
        "sha1",
        "md5",
        "blake3",
        "sha3",
        "sha256+b64",
        "multihash+base58",
        "sha512.x",
        "a",
        "x-y",
    ] {
        for len in [32, 40, 64, 96, 128] {
            check(&format!("a@{algo}:{}", hex(len)), false);
        }
    }
    check(&format!("a@:{}", hex(64)), false);
    check(&format!("a@sha256{}", hex(64)), false);
}

// ---------------------------------------------------------------------------------------------
// Body framing.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

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
