//! The JSON stream media types newer engines send, from constructed bytes (no engine here speaks
//! API 1.52): `application/json-seq` (RFC 7464: every record starts with RS, 0x1E, and ends with
//! LF; Docker 29), `application/jsonl` and `application/x-ndjson` (one message per line). The
//! splitter skips RS between messages in every stream (see the `json` module docs for why not
//! only in a json-seq one). Every vector is split whole, byte by byte, at every two-way split and
//! at random points, through both APIs, and the messages must be the same every time.

use docksock_proto::json::{JsonSplitter, JsonStream, RS};
use docksock_proto::{Error, PeerError};
use proptest::prelude::*;

#[path = "support/split.rs"]
mod split;

use split::{arb_cuts, cuts_for, pieces_at, splittings};

type Outcome = (Vec<Vec<u8>>, Result<(), Error>);

/// Messages through [`JsonSplitter::scan`], saving partial pieces as the caller must.
fn with_scan(pieces: &[&[u8]]) -> Outcome {
    let mut s = JsonSplitter::new(1 << 16);
    let mut saved = Vec::new();
    let mut out = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            let scan = match s.scan(input) {
                Ok(scan) => scan,
                Err(e) => return (out, Err(e)),
            };
            match scan.message {
                Some(r) => {
                    saved.extend_from_slice(&input[r]);
                    out.push(std::mem::take(&mut saved));
                    input = &input[scan.consumed..];
                }
                None => {
                    if let Some(r) = scan.partial {
                        saved.extend_from_slice(&input[r]);
                    }
                    break;
                }
            }
        }
    }
    let end = s.finish();
    (out, end)
}

/// Messages through [`JsonStream`].
fn with_stream(pieces: &[&[u8]]) -> Outcome {
    let mut buf = vec![0u8; 1 << 16];
    let mut st = JsonStream::new(&mut buf);
    let mut out = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            match st.next(input) {
                Err(e) => return (out, Err(e)),
                Ok((n, Some(m))) => {
                    out.push(m.to_vec());
                    input = &input[n..];
                }
                Ok((_, None)) => break,
            }
        }
    }
    let end = st.finish();
    (out, end)
}

/// The outcome of `data` split every way, both APIs agreeing.
fn split_all(data: &[u8]) -> Outcome {
    let whole = with_scan(&[data]);
    for pieces in splittings(data, 96, 48) {
        let sizes: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
        assert_eq!(with_scan(&pieces), whole, "scan, split {sizes:?}");
        assert_eq!(with_stream(&pieces), whole, "stream, split {sizes:?}");
    }
    whole
}

fn ok(messages: &[&str]) -> Outcome {
    (
        messages.iter().map(|m| m.as_bytes().to_vec()).collect(),
        Ok(()),
    )
}

/// Docker 29's `events` as `application/json-seq`: RS, the event, LF.
const EVENTS_SEQ: &[u8] =
    b"\x1e{\"Type\":\"container\",\"Action\":\"create\",\"Actor\":{\"ID\":\"c1\",\
\"Attributes\":{\"name\":\"web\"}},\"scope\":\"local\",\"time\":1767225600}\n\
\x1e{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"c1\",\"Attributes\":{}},\
\"scope\":\"local\",\"time\":1767225601}\n";

#[test]
fn json_seq_records_split_any_way() {
    assert_eq!(RS, 0x1e);
    let (messages, end) = split_all(EVENTS_SEQ);
    end.unwrap();
    assert_eq!(messages.len(), 2);
    for m in &messages {
        assert_eq!(m.first(), Some(&b'{'), "no RS inside a message");
        let v: serde_json::Value = serde_json::from_slice(m).unwrap();
        assert_eq!(v["Type"], "container");
    }
}

#[test]
fn json_seq_and_jsonl_and_ndjson_give_the_same_messages() {
    let seq = b"\x1e{\"a\":1}\n\x1e[2,{\"b\":\"}\"}]\n\x1e{}\n";
    // jsonl and x-ndjson are the same bytes: one message per line.
    let lines = b"{\"a\":1}\n[2,{\"b\":\"}\"}]\n{}\n";
    let crlf = b"{\"a\":1}\r\n[2,{\"b\":\"}\"}]\r\n{}\r\n";
    let want = ok(&[r#"{"a":1}"#, r#"[2,{"b":"}"}]"#, "{}"]);
    assert_eq!(split_all(seq), want);
    assert_eq!(split_all(lines), want);
    assert_eq!(split_all(crlf), want);
}

#[test]
fn rs_anywhere_between_messages_is_skipped() {
    // Consecutive RS mark no empty records (RFC 7464 §2.1); RS without LF, LF before RS, RS at
    // the very start and the very end, RS mixed with whitespace: all between messages.
    let data = b"\x1e\x1e\x1e{\"a\":1}\x1e{\"b\":2}\n\n\x1e \t\r\n\x1e{\"c\":3}{\"d\":4}\x1e";
    assert_eq!(
        split_all(data),
        ok(&[r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#, r#"{"d":4}"#])
    );
    // Only separators: no message, a clean end.
    assert_eq!(split_all(b"\x1e\n\x1e\x1e\r\n"), ok(&[]));
    assert_eq!(split_all(b""), ok(&[]));
}

#[test]
fn rs_inside_a_message_is_part_of_it() {
    // Inside a string (and anywhere inside a message) RS is just a byte of the message.
    let data = b"\x1e{\"s\":\"a\x1eb\",\"t\":[\x1e]}\n";
    assert_eq!(split_all(data), ok(&["{\"s\":\"a\x1eb\",\"t\":[\x1e]}"]));
}

#[test]
fn json_seq_errors_are_the_usual_ones() {
    // A record that is not an object or array.
    let (messages, end) = split_all(b"\x1e{\"a\":1}\n\x1e42\n");
    assert_eq!(messages, ok(&[r#"{"a":1}"#]).0);
    assert_eq!(end, Err(Error::Peer(PeerError::InvalidJson)));
    // A record cut short by EOF.
    let (messages, end) = split_all(b"\x1e{\"a\":1}\n\x1e{\"b\":");
    assert_eq!(messages.len(), 1);
    assert_eq!(end, Err(Error::Peer(PeerError::TruncatedJson)));
    // A record cut short by the next record: not resynchronised on, an error at EOF.
    let (messages, end) = split_all(b"\x1e{\"a\":\n\x1e{\"b\":2}\n");
    assert!(messages.is_empty());
    assert_eq!(end, Err(Error::Peer(PeerError::TruncatedJson)));
    // Any other control byte between messages is still invalid.
    let (_, end) = split_all(b"{}\x1f{}");
    assert_eq!(end, Err(Error::Peer(PeerError::InvalidJson)));
}

/// One of the separators a stream of any of the media types may put between messages.
fn separator() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![RS, b'\n', b'\r', b' ', b'\t']),
        0..4,
    )
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    (any::<u32>(), "[a-z\\x1e\"\\\\{}]{0,12}").prop_map(|(n, s)| {
        serde_json::to_vec(&serde_json::json!({"n": n, "s": s, "l": [s.len()]})).unwrap()
    })
}

proptest! {
    /// Messages with any separators between them, at any cuts: the same messages.
    #[test]
    fn any_separators_any_cuts(
        parts in prop::collection::vec((separator(), message()), 0..6),
        tail in separator(),
        idx in arb_cuts(),
    ) {
        let mut data = Vec::new();
        let mut want = Vec::new();
        for (sep, m) in &parts {
            data.extend_from_slice(sep);
            data.extend_from_slice(m);
            want.push(m.clone());
        }
        data.extend_from_slice(&tail);
        let pieces = pieces_at(&data, &cuts_for(data.len(), &idx));
        prop_assert_eq!(with_scan(&pieces), (want.clone(), Ok(())));
        prop_assert_eq!(with_stream(&pieces), (want, Ok(())));
    }
}
