//! JSON message splitting (events, progress, stats). Every vector is fed whole, byte by byte,
//! at every two-way split (small vectors) and at pseudo-random split points, and the collected
//! output must be identical. Recordings from a real dockerd (in `tests/wire`) are checked against
//! a naive line splitter that first collects the whole body.

use docksock_proto::json::{JsonSplitter, JsonStream, DEFAULT_MAX_MESSAGE, MAX_DEPTH};
use docksock_proto::{Error, PeerError};
use proptest::prelude::*;

#[path = "support/split.rs"]
mod split;

use split::{arb_cuts, cuts_for, http_body, pieces_at, splittings};

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

type JsonOutcome = (Vec<Vec<u8>>, Result<(), Error>);

/// Feeds `pieces` to a [`JsonSplitter`] with a growable save buffer, collecting whole messages.
/// Checks the scan contract, and that an error poisons.
fn split_scan(cap: usize, pieces: &[&[u8]]) -> JsonOutcome {
    let mut s = JsonSplitter::new(cap);
    let mut saved: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    let mut result = Ok(());
    'outer: for piece in pieces {
        let mut input = *piece;
        loop {
            let scan = match s.scan(input) {
                Ok(scan) => scan,
                Err(e) => {
                    result = Err(e);
                    break 'outer;
                }
            };
            assert!(scan.consumed <= input.len());
            match scan.message {
                Some(r) => {
                    assert_eq!(r.end, scan.consumed);
                    assert!(scan.partial.is_none());
                    assert!(r.start < r.end);
                    if scan.continued {
                        assert!(!saved.is_empty());
                        saved.extend_from_slice(&input[r]);
                        out.push(std::mem::take(&mut saved));
                    } else {
                        assert!(saved.is_empty());
                        out.push(input[r].to_vec());
                    }
                    input = &input[scan.consumed..];
                }
                None => {
                    assert_eq!(scan.consumed, input.len());
                    if let Some(r) = scan.partial {
                        assert_eq!(r.end, input.len());
                        assert!(r.start < r.end);
                        saved.extend_from_slice(&input[r]);
                    }
                    assert_eq!(s.in_message(), !saved.is_empty());
                    break;
                }
            }
        }
    }
    if result.is_ok() {
        result = s.finish();
    }
    if let Err(e) = result {
        assert_eq!(s.scan(b"{}"), Err(e));
        assert_eq!(s.scan(b""), Err(e));
        assert_eq!(s.finish(), Err(e));
    }
    (out, result)
}

/// The same through [`JsonStream`] with a buffer of exactly `cap` bytes.
fn split_stream(cap: usize, pieces: &[&[u8]]) -> JsonOutcome {
    let mut buf = vec![0u8; cap];
    let mut st = JsonStream::new(&mut buf);
    let mut out = Vec::new();
    let mut result = Ok(());
    'outer: for piece in pieces {
        let mut input = *piece;
        loop {
            match st.next(input) {
                Err(e) => {
                    result = Err(e);
                    break 'outer;
                }
                Ok((n, Some(m))) => {
                    out.push(m.to_vec());
                    input = &input[n..];
                }
                Ok((n, None)) => {
                    assert_eq!(n, input.len());
                    break;
                }
            }
        }
    }
    if result.is_ok() {
        result = st.finish();
    }
    if let Err(e) = result {
        assert_eq!(
            st.next(b"{}").map(|(n, m)| (n, m.map(<[u8]>::to_vec))),
            Err(e)
        );
        assert_eq!(st.finish(), Err(e));
    }
    (out, result)
}

/// Both APIs, fed in `pieces`, must agree.
fn split_json(cap: usize, pieces: &[&[u8]]) -> JsonOutcome {
    let a = split_scan(cap, pieces);
    let b = split_stream(cap, pieces);
    assert_eq!(a, b, "JsonSplitter and JsonStream disagree");
    a
}

fn split_json_all(cap: usize, data: &[u8], exhaustive_limit: usize, random: usize) -> JsonOutcome {
    let whole = split_json(cap, &[data]);
    for pieces in splittings(data, exhaustive_limit, random) {
        assert_eq!(
            split_json(cap, &pieces),
            whole,
            "split {:?}",
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>()
        );
    }
    whole
}

fn msgs(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|m| m.as_bytes().to_vec()).collect()
}

fn ok(list: &[&str]) -> JsonOutcome {
    (msgs(list), Ok(()))
}

fn err(list: &[&str], e: PeerError) -> JsonOutcome {
    (msgs(list), Err(Error::Peer(e)))
}

/// Naive reference for line-delimited recordings: one message per non-blank line, trimmed.
fn naive_lines(body: &[u8]) -> Vec<Vec<u8>> {
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

static EVENTS_FILTERED: &[u8] = include_bytes!("../../../tests/wire/events_filtered.response");
static EVENTS_UNTIL_FUTURE: &[u8] =
    include_bytes!("../../../tests/wire/events_until_future.response");
static BUILD_OK: &[u8] = include_bytes!("../../../tests/wire/build_ok.response");
static BUILD_RUN_FAILS: &[u8] = include_bytes!("../../../tests/wire/build_run_fails.response");
static BUILD_QUIET: &[u8] = include_bytes!("../../../tests/wire/build_quiet.response");
static IMAGES_CREATE_FROMSRC_CHUNKED: &[u8] =
    include_bytes!("../../../tests/wire/images_create_fromsrc_chunked.response");
static CONTAINER_WAIT: &[u8] = include_bytes!("../../../tests/wire/container_wait.response");
static STATS_STREAM0: &[u8] = include_bytes!("../../../tests/wire/stats_stream0.response");

#[test]
fn json_recordings_match_naive_reference() {
    let cases: [(&str, &[u8], usize); 8] = [
        // (name, response, messages) as counted from the recordings.
        ("events_filtered", EVENTS_FILTERED, 2),
        ("events_until_future", EVENTS_UNTIL_FUTURE, 0),
        ("build_ok", BUILD_OK, 12),
        ("build_run_fails", BUILD_RUN_FAILS, 9),
        ("build_quiet", BUILD_QUIET, 1),
        (
            "images_create_fromsrc_chunked",
            IMAGES_CREATE_FROMSRC_CHUNKED,
            1,
        ),
        ("container_wait", CONTAINER_WAIT, 1),
        ("stats_stream0", STATS_STREAM0, 1),
    ];
    for (name, resp, n) in cases {
        let body = http_body(resp);
        let (messages, end) = split_json_all(DEFAULT_MAX_MESSAGE, &body, 1024, 40);
        assert_eq!(end, Ok(()), "{name}");
        assert_eq!(messages, naive_lines(&body), "{name}");
        assert_eq!(messages.len(), n, "{name}");
    }
}

#[test]
fn json_build_recordings_content() {
    let (m, _) = split_json(DEFAULT_MAX_MESSAGE, &[&http_body(BUILD_OK)]);
    assert_eq!(m[0], br#"{"stream":"Step 1/2 : FROM bb:latest"}"#);
    assert_eq!(m[1], br#"{"stream":"\n"}"#);
    assert_eq!(m[2], br#"{"stream":" ---\u003e a69d90f51395\n"}"#);
    assert!(m[9].starts_with(br#"{"aux":{"ID":"sha256:"#));
    let (m, _) = split_json(DEFAULT_MAX_MESSAGE, &[&http_body(BUILD_RUN_FAILS)]);
    let last = m.last().unwrap();
    assert!(last.starts_with(br#"{"errorDetail":{"code":3,"#));
    assert!(last.ends_with(br#"returned a non-zero code: 3"}"#));
}

#[test]
fn json_recordings_as_one_stream_in_http_chunks() {
    // The HTTP chunks themselves as the pieces: one message per chunk in these recordings.
    let body = http_body(BUILD_OK);
    let mut joined = Vec::new();
    for _ in 0..3 {
        joined.extend_from_slice(&body);
    }
    let (m, end) = split_json_all(DEFAULT_MAX_MESSAGE, &joined, 0, 30);
    assert_eq!(end, Ok(()));
    assert_eq!(m.len(), 36);
}

#[test]
fn json_separators() {
    assert_eq!(
        split_json_all(64, b"{\"a\":1}\n{\"b\":2}\n", usize::MAX, 20),
        ok(&["{\"a\":1}", "{\"b\":2}"])
    );
    assert_eq!(
        split_json_all(64, b"{\"a\":1}\r\n{\"b\":2}\r\n", usize::MAX, 20),
        ok(&["{\"a\":1}", "{\"b\":2}"])
    );
    assert_eq!(
        split_json_all(64, b" \t\r\n[1,2] \r\n\r\n\t{}{}[]", usize::MAX, 20),
        ok(&["[1,2]", "{}", "{}", "[]"])
    );
    // Whitespace inside a message is part of it.
    assert_eq!(
        split_json_all(64, b"{ \"a\" :\r\n [ 1 ] }\n", usize::MAX, 20),
        ok(&["{ \"a\" :\r\n [ 1 ] }"])
    );
    assert_eq!(split_json_all(64, b"", 0, 0), ok(&[]));
    assert_eq!(split_json_all(64, b" \r\n\t", usize::MAX, 5), ok(&[]));
}

#[test]
fn json_several_messages_in_one_piece_come_one_per_call() {
    let mut s = JsonSplitter::new(64);
    let input = b"{}\n[]\n{\"x\":[{}]}\n";
    let a = s.scan(input).unwrap();
    assert_eq!((a.consumed, a.message, a.continued), (2, Some(0..2), false));
    let b = s.scan(&input[2..]).unwrap();
    assert_eq!((b.consumed, b.message), (3, Some(1..3)));
    let c = s.scan(&input[5..]).unwrap();
    assert_eq!((c.consumed, c.message), (11, Some(1..11)));
    let d = s.scan(&input[16..]).unwrap();
    assert_eq!((d.consumed, d.message, d.partial), (1, None, None));
    s.finish().unwrap();
}

#[test]
fn json_one_message_over_many_pieces() {
    let m = br#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"a1"}"#;
    let pieces: Vec<&[u8]> = m.chunks(3).chain([&b"\r\n"[..]]).collect();
    let (out, end) = split_json(m.len(), &pieces);
    assert_eq!(end, Ok(()));
    assert_eq!(out, [m.to_vec()]);
    // JsonStream: the middle pieces return nothing; the last returns the assembled message.
    let mut buf = [0u8; 128];
    let mut st = JsonStream::new(&mut buf);
    for p in &pieces[..pieces.len() - 2] {
        assert_eq!(st.next(p).unwrap(), (p.len(), None));
    }
    let last = pieces[pieces.len() - 2];
    assert_eq!(st.next(last).unwrap(), (last.len(), Some(&m[..])));
}

#[test]
fn json_stream_is_zero_copy_for_a_message_in_one_input() {
    let input = b"\n{\"a\":\"b\"}\n";
    let mut buf = [0u8; 0x20];
    let mut st = JsonStream::new(&mut buf);
    let (n, m) = st.next(input).unwrap();
    assert_eq!(n, 10);
    let m = m.unwrap();
    assert_eq!(m, b"{\"a\":\"b\"}");
    assert!(std::ptr::eq(m.as_ptr(), input[1..].as_ptr()));
}

#[test]
fn json_strings_hide_brackets_and_quotes() {
    let v = br#"{"a":"}]{[","b":"\"}","c":"\\","d":"\\\"]","e":["x\"y"]}"#;
    let mut input = v.to_vec();
    input.push(b'\n');
    input.extend_from_slice(br#"["\\"]"#);
    assert_eq!(
        split_json_all(128, &input, usize::MAX, 30),
        (vec![v.to_vec(), br#"["\\"]"#.to_vec()], Ok(()))
    );
    // An escape split from what it escapes, in every way.
    let input = br#"{"k":"a\"}\\"}"#;
    assert_eq!(
        split_json_all(64, input, usize::MAX, 10),
        (vec![input.to_vec()], Ok(()))
    );
    // Go's HTML escaping is just more string bytes.
    assert_eq!(
        split_json_all(64, br#"{"s":"\u003e\u0026"}"#, usize::MAX, 10),
        ok(&[r#"{"s":"\u003e\u0026"}"#])
    );
}

#[test]
fn json_cap_exact_and_one_over() {
    let m = br#"{"stream":"0123456789"}"#;
    let cap = m.len();
    let mut input = m.to_vec();
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(m);
    assert_eq!(
        split_json_all(cap, &input, usize::MAX, 20),
        (vec![m.to_vec(), m.to_vec()], Ok(()))
    );
    assert_eq!(
        split_json_all(cap - 1, &input, usize::MAX, 20),
        err(&[], PeerError::JsonMessageTooLarge)
    );
    // A small message first, then an oversized one: the first still comes out.
    let mut input = b"{}\n".to_vec();
    input.extend_from_slice(br#"{"stream":"0123456789X"}"#);
    assert_eq!(
        split_json_all(cap, &input, usize::MAX, 20),
        err(&["{}"], PeerError::JsonMessageTooLarge)
    );
    // Whitespace between messages does not count.
    let mut input = b"\r\n\r\n    \n".to_vec();
    input.extend_from_slice(m);
    assert_eq!(
        split_json_all(cap, &input, usize::MAX, 10),
        (vec![m.to_vec()], Ok(()))
    );
    // Cap inside a long string (the fast path) is caught the same.
    let long = format!("{{\"s\":\"{}\"}}", "x".repeat(5000));
    assert_eq!(
        split_json_all(long.len(), long.as_bytes(), 0, 10),
        ok(&[&long])
    );
    assert_eq!(
        split_json_all(long.len() - 1, long.as_bytes(), 0, 10),
        err(&[], PeerError::JsonMessageTooLarge)
    );
    // A zero cap rejects every message but accepts an empty or blank stream.
    assert_eq!(split_json_all(0, b"\n\n", usize::MAX, 2), ok(&[]));
    assert_eq!(
        split_json_all(0, b"\n{}", usize::MAX, 2),
        err(&[], PeerError::JsonMessageTooLarge)
    );
}

#[test]
fn json_depth_limit() {
    assert_eq!(MAX_DEPTH, 64);
    let nest = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    let ok64 = nest("[", "]", 64);
    assert_eq!(split_json_all(1024, ok64.as_bytes(), 0, 10), ok(&[&ok64]));
    let mixed: String = (0..64)
        .map(|i| if i % 2 == 0 { "{\"k\":" } else { "[" })
        .collect::<String>()
        + &(0..64)
            .rev()
            .map(|i| if i % 2 == 0 { "}" } else { "]" })
            .collect::<String>();
    assert_eq!(split_json_all(1024, mixed.as_bytes(), 0, 10), ok(&[&mixed]));
    let deep = nest("[", "]", 65);
    assert_eq!(
        split_json_all(1024, deep.as_bytes(), 0, 10),
        err(&[], PeerError::JsonTooDeep)
    );
    // Depth is per message: 64 twice in a row is fine.
    let twice = format!("{ok64}\n{ok64}");
    assert_eq!(
        split_json_all(1024, twice.as_bytes(), 0, 10),
        ok(&[&ok64, &ok64])
    );
}

#[test]
fn json_invalid_top_level() {
    for bad in [
        &b"}"[..],
        b"]",
        b"1",
        b"-1",
        b"true",
        b"null",
        b"\"s\"",
        b",",
        b"\x00",
        b"\xef\xbb\xbf{}",
        b"\x0b{}",
    ] {
        assert_eq!(
            split_json_all(64, bad, usize::MAX, 5),
            err(&[], PeerError::InvalidJson),
            "{bad:?}"
        );
    }
    // After a good message, a stray closer or trailing garbage.
    assert_eq!(
        split_json_all(64, b"{\"a\":1}}\n", usize::MAX, 10),
        err(&["{\"a\":1}"], PeerError::InvalidJson)
    );
    assert_eq!(
        split_json_all(64, b"[1]\n2\n", usize::MAX, 10),
        err(&["[1]"], PeerError::InvalidJson)
    );
}

#[test]
fn json_mismatched_brackets() {
    for bad in [&b"{]"[..], b"[}", b"{\"a\":[}]", b"[{]}"] {
        assert_eq!(
            split_json_all(64, bad, usize::MAX, 5),
            err(&[], PeerError::InvalidJson),
            "{bad:?}"
        );
    }
}

#[test]
fn json_finish_inside_message() {
    for cut_from in [
        &b"{"[..],
        b"{\"a\":",
        b"{\"a\":\"}",
        b"{\"a\":\"\\",
        b"[[]",
        b"{}\n[",
    ] {
        let done: &[&str] = if cut_from.starts_with(b"{}") {
            &["{}"]
        } else {
            &[]
        };
        assert_eq!(
            split_json_all(64, cut_from, usize::MAX, 5),
            err(done, PeerError::TruncatedJson),
            "{cut_from:?}"
        );
    }
    // Truncating a two-message stream at every point: Ok exactly at message ends and between.
    let input = b"{\"a\":\"}\"}\r\n[1,{}]\n";
    for cut in 0..=input.len() {
        let (m, end) = split_json_all(64, &input[..cut], usize::MAX, 3);
        let clean = matches!(cut, 0 | 9..=11 | 17..);
        assert_eq!(end.is_ok(), clean, "cut {cut}");
        if !clean {
            assert_eq!(end, Err(Error::Peer(PeerError::TruncatedJson)));
        }
        assert_eq!(
            m.len(),
            usize::from(cut >= 9) + usize::from(cut >= 17),
            "cut {cut}"
        );
    }
}

#[test]
fn json_splitter_default_and_accessors() {
    let s = JsonSplitter::default();
    assert_eq!(s.max_message(), DEFAULT_MAX_MESSAGE);
    assert_eq!(DEFAULT_MAX_MESSAGE, 1 << 20);
    assert!(!s.in_message());
    assert!(std::mem::size_of::<JsonSplitter>() <= 32);
}

// JSON-ish generators: values are objects/arrays with strings full of brackets, quotes and
// escapes, so the splitter has to track strings to get the boundaries right.

fn arb_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("\\\"".to_string()),
            Just("\\\\".to_string()),
            Just("\\n".to_string()),
            Just("\\u0026".to_string()),
            Just(" ".to_string()),
            Just("é".to_string()),
            "[a-z0-9]{0,6}",
        ],
        0..8,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()))
}

fn arb_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        arb_string(),
        Just("1".to_string()),
        Just("-2.5e3".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((arb_string(), inner), 0..5).prop_map(|v| {
                let fields: Vec<String> = v.into_iter().map(|(k, x)| format!("{k}:{x}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

fn arb_message() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(arb_value(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
        prop::collection::vec((arb_string(), arb_value()), 0..4).prop_map(|v| {
            let fields: Vec<String> = v.into_iter().map(|(k, x)| format!("{k}:{x}")).collect();
            format!("{{{}}}", fields.join(", "))
        }),
    ]
}

fn arb_separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just("\n"),
        Just("\r\n"),
        Just(" \t\r\n"),
        Just("\n\n")
    ]
}

proptest! {
    #[test]
    fn prop_json_split_invariance(
        messages in prop::collection::vec((arb_separator(), arb_message()), 0..8),
        trailer in arb_separator(),
        idx in arb_cuts(),
    ) {
        let mut input = String::new();
        for (sep, m) in &messages {
            input.push_str(sep);
            input.push_str(m);
        }
        input.push_str(trailer);
        let expected: Vec<Vec<u8>> = messages.iter().map(|(_, m)| m.clone().into_bytes()).collect();
        let cap = expected.iter().map(Vec::len).max().unwrap_or(0);
        let pieces = pieces_at(input.as_bytes(), &cuts_for(input.len(), &idx));
        prop_assert_eq!(split_json(cap, &pieces), (expected.clone(), Ok(())));
        let bytes: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
        prop_assert_eq!(split_json(cap, &bytes), (expected, Ok(())));
    }

    /// Arbitrary JSON-ish bytes never panic, and the outcome does not depend on the split.
    #[test]
    fn prop_json_arbitrary_bytes(
        input in prop::collection::vec(
            prop_oneof![
                Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b'"'), Just(b'\\'),
                Just(b'\n'), Just(b'\r'), Just(b' '), Just(b'a'), any::<u8>(),
            ],
            0..100,
        ),
        cap in 0usize..40,
        idx in arb_cuts(),
    ) {
        let whole = split_json(cap, &[&input]);
        let pieces = pieces_at(&input, &cuts_for(input.len(), &idx));
        prop_assert_eq!(split_json(cap, &pieces), whole.clone());
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(split_json(cap, &bytes), whole.clone());
        // Every message is a piece of the input that starts and ends with brackets, in order.
        for m in &whole.0 {
            prop_assert!(matches!(m.first(), Some(b'{' | b'[')), "starts with {:?}", m.first());
            prop_assert!(matches!(m.last(), Some(b'}' | b']')), "ends with {:?}", m.last());
            prop_assert!(m.len() <= cap);
        }
    }
}
