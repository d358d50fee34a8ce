//! The `chunked_decoder` target: [`ChunkedDecoder`] fed whole and split must agree, and every
//! `Data` slice must lie in the consumed part of its input.

use docksock_proto::{ChunkedDecoder, ChunkedEvent, Error, Limits};

use crate::response::{fields, tiny_limits, Field};
use crate::split::{pieces, take_spec, within};

/// One event, `Data` pieces merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CRec {
    /// Body bytes.
    Data(Vec<u8>),
    /// Trailer fields.
    Trailers(Vec<Field>),
    /// The body is complete.
    End,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CFinal {
    /// `End` seen; bytes after the body.
    Done {
        /// Unconsumed bytes after the body.
        rest: usize,
    },
    /// Input ran out first; bytes held back (an incomplete trailer section).
    Incomplete {
        /// Bytes received but not consumed.
        unconsumed: usize,
    },
    /// The decoder failed.
    Failed(Error),
}

/// Feeds `input` in pieces of `lengths` through a fresh decoder.
pub fn run(input: &[u8], limits: &Limits, lengths: &[usize]) -> (Vec<CRec>, CFinal) {
    let mut dec = ChunkedDecoder::new(limits);
    let mut events = Vec::new();
    let mut start = 0usize;
    let mut received = 0usize;
    let mut budget = 64 + 8 * input.len() + 4 * lengths.len();
    for &l in lengths {
        received += l;
        loop {
            budget = budget
                .checked_sub(1)
                .expect("chunked decoder makes no progress");
            let avail = &input[start..received];
            let (used, ev) = match dec.decode(avail) {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(dec.decode(b"0\r\n\r\n"), Err(e), "decoder not poisoned");
                    return (events, CFinal::Failed(e));
                }
            };
            assert!(
                used <= avail.len(),
                "consumed {used} > input {}",
                avail.len()
            );
            start += used;
            match ev {
                ChunkedEvent::NeedMore => {
                    assert!(!dec.is_done());
                    break;
                }
                ChunkedEvent::Data(d) => {
                    assert!(!d.is_empty(), "empty Data event");
                    assert!(
                        within(d, &avail[..used]),
                        "Data not within the consumed input"
                    );
                    match events.last_mut() {
                        Some(CRec::Data(v)) => v.extend_from_slice(d),
                        _ => events.push(CRec::Data(d.to_vec())),
                    }
                }
                ChunkedEvent::Trailers(t) => {
                    assert!(!t.is_empty());
                    assert!(dec.is_done());
                    events.push(CRec::Trailers(fields(t, avail)));
                    // `End` follows (the decoder is done).
                    let again = dec.decode(&avail[used..]);
                    assert_eq!(again, Ok((0, ChunkedEvent::End)));
                    events.push(CRec::End);
                    return (
                        events,
                        CFinal::Done {
                            rest: input.len() - start,
                        },
                    );
                }
                ChunkedEvent::End => {
                    assert!(dec.is_done());
                    events.push(CRec::End);
                    return (
                        events,
                        CFinal::Done {
                            rest: input.len() - start,
                        },
                    );
                }
            }
        }
    }
    (
        events,
        CFinal::Incomplete {
            unconsumed: received - start,
        },
    )
}

/// Asserts two runs are equal (split invariance, including the error class: the
/// conformance harness prints the same output for every `--split`).
fn same(a: &(Vec<CRec>, CFinal), b: &(Vec<CRec>, CFinal), what: &str) {
    assert_eq!(a, b, "{what}");
}

/// `[flags] [split count] [split bytes…] [chunked body…]`; flags bit 0: tiny limits.
pub fn fuzz_chunked_decoder(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (spec, input) = take_spec(rest);
    let limits = if flags & 1 != 0 {
        tiny_limits()
    } else {
        Limits::default()
    };
    let whole = run(input, &limits, &[input.len()]);
    let lengths = pieces(spec, input.len());
    let split = run(input, &limits, &lengths);
    same(
        &whole,
        &split,
        &format!("split {lengths:?} changes the outcome"),
    );
    if lengths.len() > 1 {
        let bytewise = run(input, &limits, &vec![1; input.len()]);
        same(
            &whole,
            &bytewise,
            "byte-by-byte feeding changes the outcome",
        );
    }
    // The same body inside a response must give the same data and verdict.
    if let (events, CFinal::Done { rest }) = &whole {
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let body_len = input.len() - rest;
        wire.extend_from_slice(&input[..body_len]);
        let out = crate::response::run(&wire, &["GET"], limits, &[wire.len()], true, true);
        let data: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                CRec::Data(d) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let got: Vec<u8> = out
            .events
            .iter()
            .filter_map(|e| match e {
                crate::response::Rec::Data(d) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(
            data, got,
            "ChunkedDecoder and ResponseDecoder disagree on the body"
        );
        assert!(
            matches!(out.end, crate::response::Final::Complete { .. }),
            "a body ChunkedDecoder accepts fails inside a response: {:?}",
            out.end
        );
    }
}
