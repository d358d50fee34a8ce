//! Driving [`ResponseDecoder`] the way a client does (a receive buffer, bytes appended as they
//! arrive, consumed bytes dropped), recording what comes out, and checking the per-call
//! contract on the way: `consumed` within the input, every borrowed slice within the input,
//! `End.keep_alive` equal to the head's, no call that makes no progress forever.

use docksock_proto::{BodyKind, Error, Event, Head, Headers, Limits, ResponseDecoder, Version};

use crate::split::{pieces, within};

/// A header or trailer field as recorded: name and value bytes.
pub type Field = (Vec<u8>, Vec<u8>);

/// A response head as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRec {
    /// `true` for HTTP/1.1.
    pub http11: bool,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: Vec<u8>,
    /// Fields in order.
    pub headers: Vec<Field>,
    /// Body framing, as the decoder decided it.
    pub body: BodyKind,
    /// The head's keep-alive verdict.
    pub keep_alive: bool,
}

/// One event, with `Data` pieces merged (the split may cut the body anywhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rec {
    /// An informational (1xx) head.
    Informational(HeadRec),
    /// The final head.
    Head(HeadRec),
    /// Body bytes (consecutive pieces joined).
    Data(Vec<u8>),
    /// Trailer fields.
    Trailers(Vec<Field>),
    /// End of a response.
    End(bool),
    /// A 101 head.
    Upgrade(HeadRec),
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    /// Every outstanding response is complete; the bytes no request claims.
    Complete {
        /// Unclaimed bytes (or the upgraded stream).
        leftover: Vec<u8>,
    },
    /// The connection cannot carry the outstanding requests (a response ended without
    /// keep-alive, or upgraded, before the last one).
    NotReusable {
        /// Responses completed.
        done: usize,
    },
    /// Input ended (without EOF) inside a response.
    Incomplete {
        /// Bytes received but not consumed (an incomplete head or trailer section).
        unconsumed: usize,
    },
    /// The decoder failed.
    Failed(Error),
}

/// Events and outcome of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Events in order.
    pub events: Vec<Rec>,
    /// The end.
    pub end: Final,
}

/// Records fields, checking that they borrow `input`, that names are tokens and values hold no
/// CR/LF/NUL, and that `len()` matches the iteration.
pub fn fields(h: Headers<'_>, input: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    for f in h.iter() {
        assert!(
            within(f.name.as_bytes(), input),
            "header name not borrowed from input"
        );
        assert!(
            within(f.value, input),
            "header value not borrowed from input"
        );
        assert!(
            !f.name.is_empty() && f.name.bytes().all(crate::is_tchar),
            "header name {:?} is not a token",
            f.name
        );
        assert!(
            !f.value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0),
            "header value {:?} holds CR, LF or NUL",
            f.value
        );
        out.push((f.name.as_bytes().to_vec(), f.value.to_vec()));
    }
    assert_eq!(out.len(), h.len(), "Headers::len disagrees with iteration");
    assert_eq!(out.is_empty(), h.is_empty());
    for (name, value) in &out {
        // `get` returns the first field of that name.
        let name = std::str::from_utf8(name).unwrap();
        let first = out
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice());
        assert_eq!(h.get(name), first);
        let _ = value;
    }
    out
}

fn head_rec(h: &Head<'_>, input: &[u8]) -> HeadRec {
    assert!(within(h.reason(), input), "reason not borrowed from input");
    assert!(
        (100..=999).contains(&h.status()),
        "status {} out of range",
        h.status()
    );
    HeadRec {
        http11: h.version() == Version::Http11,
        status: h.status(),
        reason: h.reason().to_vec(),
        headers: fields(h.headers(), input),
        body: h.body_kind(),
        keep_alive: h.keep_alive(),
    }
}

/// Methods a selector picks from (index = selector % 8).
pub const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "GET", "OPTIONS", "get",
];

/// Limits small enough that a fuzz input of a few hundred bytes reaches every one.
pub fn tiny_limits() -> Limits {
    let mut l = Limits::default();
    l.max_head_bytes = 96;
    l.max_headers = 4;
    l.max_trailer_bytes = 48;
    l.max_trailers = 2;
    l.max_chunk_ext_bytes = 12;
    l.max_informational = 1;
    l
}

/// One run: `methods` are the outstanding requests in order; the input is fed in pieces of
/// `lengths` with `decode`, and when `eof` the rest goes through `decode_eof`. With
/// `eof_whole`, the very first call is `decode_eof` on the whole input (the harness's path).
pub fn run(
    input: &[u8],
    methods: &[&str],
    limits: Limits,
    lengths: &[usize],
    eof: bool,
    eof_whole: bool,
) -> Outcome {
    let mut events: Vec<Rec> = Vec::new();
    let mut dec = ResponseDecoder::with_limits(methods[0], limits);
    let mut current = 0usize;
    let mut start = 0usize;
    let mut received = 0usize;
    let mut final_head_keep_alive: Option<bool> = None;
    let mut budget = 64 + 8 * input.len() + 4 * lengths.len();

    // Feeding steps: each is (bytes received after it, whether EOF is signalled with it).
    let mut steps: Vec<(usize, bool)> = Vec::new();
    if eof_whole {
        steps.push((input.len(), eof));
    } else {
        let mut acc = 0;
        for &l in lengths {
            acc += l;
            steps.push((acc, false));
        }
        if eof {
            steps.push((input.len(), true));
        }
    }
    debug_assert_eq!(steps.last().map(|s| s.0), Some(input.len()));

    for (upto, eof_now) in steps {
        received = upto;
        loop {
            budget = budget
                .checked_sub(1)
                .expect("decoder makes no progress (livelock)");
            let avail = &input[start..received];
            let step = if eof_now {
                dec.decode_eof(avail)
            } else {
                dec.decode(avail)
            };
            let step = match step {
                Ok(s) => s,
                Err(e) => {
                    // Poisoned: the same error again, whatever comes next.
                    assert_eq!(dec.decode(b"x"), Err(e), "decoder not poisoned");
                    assert_eq!(dec.error(), Some(e));
                    return Outcome {
                        events,
                        end: Final::Failed(e),
                    };
                }
            };
            assert!(
                step.consumed <= avail.len(),
                "consumed {} > input {}",
                step.consumed,
                avail.len()
            );
            start += step.consumed;
            let ended_keep_alive = match step.event {
                Event::NeedMore => {
                    if step.consumed == avail.len() || !eof_now {
                        break;
                    }
                    // NeedMore at EOF with bytes left would leave the caller stuck.
                    panic!(
                        "NeedMore from decode_eof with {} bytes unconsumed",
                        avail.len() - step.consumed
                    );
                }
                Event::Informational(h) => {
                    assert!((100..200).contains(&h.status()) && h.status() != 101);
                    events.push(Rec::Informational(head_rec(&h, avail)));
                    continue;
                }
                Event::Head(h) => {
                    final_head_keep_alive = Some(h.keep_alive());
                    events.push(Rec::Head(head_rec(&h, avail)));
                    continue;
                }
                Event::Data(d) => {
                    assert!(!d.is_empty(), "empty Data event");
                    assert!(
                        within(d, &avail[..step.consumed]),
                        "Data not within the consumed input"
                    );
                    match events.last_mut() {
                        Some(Rec::Data(v)) => v.extend_from_slice(d),
                        _ => events.push(Rec::Data(d.to_vec())),
                    }
                    continue;
                }
                Event::Trailers(t) => {
                    assert!(!t.is_empty(), "Trailers event without fields");
                    events.push(Rec::Trailers(fields(t, avail)));
                    continue;
                }
                Event::Upgrade(h) => {
                    assert_eq!(h.status(), 101);
                    assert!(!h.keep_alive());
                    events.push(Rec::Upgrade(head_rec(&h, avail)));
                    assert!(dec.is_done() && !dec.is_reusable());
                    false
                }
                Event::End { keep_alive } => {
                    assert_eq!(
                        Some(keep_alive),
                        final_head_keep_alive,
                        "End.keep_alive differs from the head's"
                    );
                    assert!(dec.is_done());
                    assert_eq!(dec.is_reusable(), keep_alive);
                    events.push(Rec::End(keep_alive));
                    keep_alive
                }
            };
            // A response is complete.
            current += 1;
            final_head_keep_alive = None;
            if current < methods.len() {
                if ended_keep_alive {
                    dec.next_response(methods[current])
                        .expect("next_response after End{keep_alive}");
                    continue;
                }
                assert!(dec.next_response(methods[current]).is_err());
                return Outcome {
                    events,
                    end: Final::NotReusable { done: current },
                };
            }
            return Outcome {
                events,
                end: Final::Complete {
                    leftover: input[start..].to_vec(),
                },
            };
        }
    }
    Outcome {
        events,
        end: Final::Incomplete {
            unconsumed: received - start,
        },
    }
}

/// The `response_decoder` target: `[flags] [split count] [split bytes…] [response…]`.
///
/// `flags`: bits 0–2 the method, bit 3 no EOF, bit 4 tiny limits, bits 5–6 extra pipelined
/// requests (same method). Runs the input whole (straight into `decode_eof`, as the
/// conformance harness does) and split, and requires the same events and the same end.
pub fn fuzz_response_decoder(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (spec, input) = crate::split::take_spec(rest);
    let method = METHODS[usize::from(flags & 7)];
    let eof = flags & 8 == 0;
    let limits = if flags & 16 != 0 {
        tiny_limits()
    } else {
        Limits::default()
    };
    let methods = vec![method; 1 + usize::from((flags >> 5) & 3)];

    let whole = run(input, &methods, limits, &[input.len()], eof, true);
    let whole_decode = run(input, &methods, limits, &[input.len()], eof, false);
    same(
        &whole,
        &whole_decode,
        "decode then decode_eof differs from decode_eof alone",
    );
    let lengths = pieces(spec, input.len());
    let split = run(input, &methods, limits, &lengths, eof, false);
    same(
        &whole,
        &split,
        &format!("split {lengths:?} changes the outcome"),
    );
    if lengths.len() > 1 {
        let bytewise = run(input, &methods, limits, &vec![1; input.len()], eof, false);
        same(
            &whole,
            &bytewise,
            "byte-by-byte feeding changes the outcome",
        );
    }
}

/// Asserts two outcomes are equal (split invariance, including the error class: the
/// conformance harness prints the same output for every `--split`).
fn same(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(a, b, "{what}");
}
