//! Integration tests of `docksock_proto::encode`, the request head: the request samples of
//! `crates/proto/tests/conformance/request_cases.sample.json` transcribed as vectors, exact buffer
//! sizing, and the head's layout and validation (injection attempts, percent-encoding round
//! trips). Image references are in `encode_image.rs`, body framing in `encode_body.rs`, the
//! properties in `encode_props.rs`.

use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec, DEFAULT_HOST, MAX_HEAD_BYTES};
use docksock_proto::version::ApiVersion;
use docksock_proto::{Error, MisuseError};

#[path = "support/encoding.rs"]
mod encoding;

use encoding::{enc, misuse, percent_decode, V145};

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

#[test]
fn base_path_and_host_of_a_tcp_endpoint() {
    let spec = RequestSpec::new("GET", "/containers/{id}/json")
        .params(&[("id", PathParam::Plain("web"))])
        .api_version(V145)
        .base_path("/docker/api")
        .host(Some("127.0.0.1:2375"));
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /docker/api/v1.45/containers/web/json HTTP/1.1\r\nHost: 127.0.0.1:2375\r\n\r\n"
    );
    // A Host among the headers wins over the endpoint's.
    let spec = RequestSpec::new("GET", "/_ping")
        .host(Some("127.0.0.1:2375"))
        .headers(&[("Host", "other")]);
    assert_eq!(
        enc(&spec).unwrap(),
        b"GET /_ping HTTP/1.1\r\nHost: other\r\n\r\n"
    );
    for bad in [
        "base", "/base/", "/", "/a//b", "/a/../b", "/a b", "/a?b", "/{x}", "/a%2f",
    ] {
        let spec = RequestSpec::new("GET", "/_ping").base_path(bad);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidPathTemplate)),
            "{bad:?}"
        );
    }
    for bad in ["", "a\r\nX: y", " a"] {
        let spec = RequestSpec::new("GET", "/_ping").host(Some(bad));
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidHeaderValue)),
            "{bad:?}"
        );
    }
}
