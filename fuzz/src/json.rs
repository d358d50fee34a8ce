//! The `json_splitter` target: [`JsonSplitter`] (ranges API) and [`JsonStream`] (assembly
//! buffer), fed whole and split, against a naive reference; every message starts with `{` or
//! `[` and is balanced.

use docksock_proto::json::{JsonSplitter, JsonStream, MAX_DEPTH};
use docksock_proto::{Error, PeerError};

use crate::split::{pieces, take_spec};

/// Messages and the end (`finish` included).
pub type JsonOutcome = (Vec<Vec<u8>>, Result<(), Error>);

/// The ranges API, with the caller saving partial pieces.
pub fn run_scan(input: &[u8], cap: usize, lengths: &[usize]) -> JsonOutcome {
    let mut s = JsonSplitter::new(cap);
    assert_eq!(s.max_message(), cap);
    let mut messages = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let mut start = 0usize;
    let mut budget = 64 + 4 * input.len() + 4 * lengths.len();
    for &l in lengths {
        let mut piece = &input[start..start + l];
        start += l;
        loop {
            budget = budget.checked_sub(1).expect("splitter makes no progress");
            let scan = match s.scan(piece) {
                Ok(scan) => scan,
                Err(e) => {
                    assert_eq!(s.scan(b"{}").map(|_| ()), Err(e), "splitter not poisoned");
                    assert_eq!(s.finish(), Err(e));
                    return (messages, Err(e));
                }
            };
            assert!(scan.consumed <= piece.len());
            match (&scan.message, &scan.partial) {
                (Some(r), None) => {
                    assert_eq!(r.end, scan.consumed, "message.end != consumed");
                    assert!(r.start <= r.end);
                    if !scan.continued {
                        assert!(partial.is_empty());
                    }
                    partial.extend_from_slice(&piece[r.clone()]);
                    messages.push(std::mem::take(&mut partial));
                    assert!(!s.in_message());
                }
                (None, p) => {
                    assert_eq!(scan.consumed, piece.len(), "no message but input left");
                    assert!(!scan.continued);
                    if let Some(r) = p {
                        assert!(r.start < r.end && r.end == piece.len(), "bad partial {r:?}");
                        partial.extend_from_slice(&piece[r.clone()]);
                        assert!(s.in_message());
                    } else if !piece.is_empty() {
                        // (An empty input inside a message also gives no partial.)
                        assert!(!s.in_message() && partial.is_empty());
                    }
                }
                (Some(_), Some(_)) => panic!("message and partial at once"),
            }
            piece = &piece[scan.consumed..];
            if piece.is_empty() {
                break;
            }
        }
    }
    let fin = s.finish();
    (messages, fin)
}

/// The assembling API with a buffer of exactly `cap` bytes.
pub fn run_stream(input: &[u8], cap: usize, lengths: &[usize]) -> JsonOutcome {
    let mut buf = vec![0u8; cap];
    let mut st = JsonStream::new(&mut buf);
    let mut messages = Vec::new();
    let mut start = 0usize;
    for &l in lengths {
        let mut piece = &input[start..start + l];
        start += l;
        loop {
            match st.next(piece) {
                Ok((used, m)) => {
                    assert!(used <= piece.len());
                    match m {
                        Some(m) => {
                            messages.push(m.to_vec());
                            piece = &piece[used..];
                        }
                        None => {
                            assert_eq!(used, piece.len());
                            break;
                        }
                    }
                }
                Err(e) => {
                    assert_eq!(st.finish(), Err(e));
                    return (messages, Err(e));
                }
            }
            if piece.is_empty() {
                break;
            }
        }
    }
    let fin = st.finish();
    (messages, fin)
}

/// A message is whole: opens with `{` or `[`, brackets match outside strings, strings and
/// escapes are closed, and the outermost bracket closes at the last byte.
pub fn balanced(m: &[u8]) -> bool {
    if !matches!(m.first(), Some(b'{' | b'[')) {
        return false;
    }
    let mut stack = Vec::new();
    let mut in_str = false;
    let mut esc = false;
    for (i, &b) in m.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' => stack.push(b'}'),
            b'[' => stack.push(b']'),
            b'}' | b']' => {
                if stack.pop() != Some(b) {
                    return false;
                }
                if stack.is_empty() {
                    return i + 1 == m.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// The plain reading: whitespace between messages, a message is an object or array whose
/// brackets match outside strings, depth at most [`MAX_DEPTH`], length at most `cap`.
pub fn reference(input: &[u8], cap: usize) -> JsonOutcome {
    let mut messages = Vec::new();
    let mut i = 0;
    let err = |e| Err(Error::Peer(e));
    loop {
        // Between messages: whitespace, and RS (0x1E), which starts every record of
        // `application/json-seq` (RFC 7464).
        while i < input.len() && matches!(input[i], b' ' | b'\t' | b'\r' | b'\n' | 0x1E) {
            i += 1;
        }
        if i == input.len() {
            return (messages, Ok(()));
        }
        if !matches!(input[i], b'{' | b'[') {
            return (messages, err(PeerError::InvalidJson));
        }
        let start = i;
        let mut stack: Vec<u8> = Vec::new();
        let mut in_str = false;
        let mut esc = false;
        loop {
            if i == input.len() {
                return (messages, err(PeerError::TruncatedJson));
            }
            if i - start + 1 > cap {
                return (messages, err(PeerError::JsonMessageTooLarge));
            }
            let b = input[i];
            i += 1;
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => {
                    if stack.len() >= usize::from(MAX_DEPTH) {
                        return (messages, err(PeerError::JsonTooDeep));
                    }
                    stack.push(if b == b'{' { b'}' } else { b']' });
                }
                b'}' | b']' => {
                    if stack.pop() != Some(b) {
                        return (messages, err(PeerError::InvalidJson));
                    }
                    if stack.is_empty() {
                        messages.push(input[start..i].to_vec());
                        break;
                    }
                }
                _ => {}
            }
        }
    }
}

/// `[cap selector] [split count] [split bytes…] [stream…]`. The cap is the default 1 MiB, or
/// small (1–64 bytes) so that the size limit is fuzzed too.
pub fn fuzz_json_splitter(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (spec, input) = take_spec(rest);
    let cap = if sel & 0x80 != 0 {
        docksock_proto::json::DEFAULT_MAX_MESSAGE
    } else {
        1 + usize::from(sel & 0x3f)
    };
    let whole = run_scan(input, cap, &[input.len()]);
    for m in &whole.0 {
        assert!(
            balanced(m),
            "unbalanced message {:?}",
            String::from_utf8_lossy(m)
        );
        assert!(m.len() <= cap);
    }
    let lengths = pieces(spec, input.len());
    let split = run_scan(input, cap, &lengths);
    assert_eq!(whole, split, "split {lengths:?} changes the outcome");
    if lengths.len() > 1 {
        assert_eq!(
            whole,
            run_scan(input, cap, &vec![1; input.len()]),
            "byte-by-byte changes the outcome"
        );
    }
    assert_eq!(
        whole,
        run_stream(input, cap, &[input.len()]),
        "JsonStream (whole) differs"
    );
    assert_eq!(
        whole,
        run_stream(input, cap, &lengths),
        "JsonStream (split) differs"
    );
    assert_eq!(
        whole,
        reference(input, cap),
        "splitter differs from the reference"
    );
}
