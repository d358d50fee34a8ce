//! The Docker stream formats: stdcopy demultiplexing and JSON message splitting.
//!
//! Every vector is fed whole, byte by byte, at every two-way split (small vectors) and at
//! pseudo-random split points, and the collected output must be identical. Recordings from a
//! real dockerd (in `tests/wire`) are checked against naive reference
//! implementations that first collect the whole body.

use docksock_proto::json::{JsonSplitter, JsonStream, DEFAULT_MAX_MESSAGE, MAX_DEPTH};
use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};
use docksock_proto::{Error, PeerError};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Test-only helpers: HTTP framing, splitting.
// ---------------------------------------------------------------------------------------------

/// The body of a recorded HTTP response: after the head, de-chunked if chunked, cut to
/// Content-Length if present, else everything (close-delimited or upgraded). Test-only and
/// trusting: the real decoder lives elsewhere.
fn http_body(resp: &[u8]) -> Vec<u8> {
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head end");
    let head = String::from_utf8_lossy(&resp[..end]).to_ascii_lowercase();
    let mut rest = &resp[end + 4..];
    if head.contains("\r\ntransfer-encoding: chunked") {
        let mut out = Vec::new();
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").expect("size");
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap(), 16)
                .expect("hex size");
            rest = &rest[eol + 2..];
            if size == 0 {
                return out;
            }
            out.extend_from_slice(&rest[..size]);
            assert_eq!(&rest[size..size + 2], b"\r\n");
            rest = &rest[size + 2..];
        }
    }
    if let Some(i) = head.find("\r\ncontent-length: ") {
        let v = &head[i + 18..];
        let n: usize = v[..v.find("\r\n").unwrap_or(v.len())].parse().unwrap();
        return rest[..n].to_vec();
    }
    rest.to_vec()
}

/// A small deterministic PRNG (xorshift64*) for reproducible random splits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Cuts `data` at the sorted, deduplicated `cuts` (positions beyond the end are dropped).
fn pieces_at<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c <= data.len()).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        out.push(&data[prev..c]);
        prev = c;
    }
    out.push(&data[prev..]);
    out
}

/// The ways each vector is split: whole, byte by byte, every two-way split (for vectors up to
/// `exhaustive_limit` bytes), and `random` random splittings with pieces of varied sizes.
fn splittings(data: &[u8], exhaustive_limit: usize, random: usize) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![data], data.chunks(1).collect()];
    if data.len() <= exhaustive_limit {
        for c in 0..=data.len() {
            all.push(pieces_at(data, &[c]));
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ data.len() as u64);
    for i in 0..random {
        let n = 1 + rng.below(1 + data.len().min(64));
        let cuts: Vec<usize> = (0..n).map(|_| rng.below(data.len() + 1)).collect();
        let mut p = pieces_at(data, &cuts);
        if i % 3 == 0 {
            // Empty inputs in between must change nothing.
            p.insert(p.len() / 2, &[]);
        }
        all.push(p);
    }
    all
}

// ---------------------------------------------------------------------------------------------
// stdcopy
// ---------------------------------------------------------------------------------------------

/// One frame's payload as collected: `None` stream = system error (stream 3); `complete` false
/// when the stream ended (or failed) before the frame did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Collected {
    stream: Option<StreamKind>,
    bytes: Vec<u8>,
    complete: bool,
}

/// Feeds `pieces` to a fresh demuxer, joins payload pieces per frame, and ends with `finish`.
/// Checks the call contract on the way, and that an error poisons.
fn demux(mode: Mode, pieces: &[&[u8]]) -> (Vec<Collected>, Result<(), Error>) {
    let mut d = Demuxer::new(mode);
    let mut out = Vec::new();
    let mut open: Option<Collected> = None;
    let mut result = Ok(());
    'outer: for piece in pieces {
        let mut input = *piece;
        loop {
            match d.decode(input) {
                Err(e) => {
                    result = Err(e);
                    break 'outer;
                }
                Ok((n, None)) => {
                    assert_eq!(n, input.len(), "None must consume everything");
                    break;
                }
                Ok((n, Some(frame))) => {
                    assert!(n > 0 && n <= input.len());
                    let (stream, bytes, end) = match frame {
                        Frame::Data {
                            stream,
                            data,
                            frame_end,
                        } => {
                            assert!(!data.is_empty(), "data pieces are never empty");
                            (Some(stream), data, frame_end)
                        }
                        Frame::SystemError { text, frame_end } => (None, text, frame_end),
                    };
                    // The piece is the tail of the consumed bytes.
                    assert!(input[..n].ends_with(bytes));
                    let c = open.get_or_insert(Collected {
                        stream,
                        bytes: Vec::new(),
                        complete: false,
                    });
                    assert_eq!(c.stream, stream, "a frame's pieces share a stream");
                    c.bytes.extend_from_slice(bytes);
                    if end {
                        let mut c = open.take().unwrap();
                        c.complete = true;
                        out.push(c);
                    }
                    input = &input[n..];
                }
            }
        }
    }
    if result.is_ok() {
        result = d.finish();
    }
    if let Err(e) = result {
        // Poisoned: every later call returns the same error.
        assert_eq!(d.decode(b"\x01\0\0\0\0\0\0\x01x"), Err(e));
        assert_eq!(d.decode(b""), Err(e));
        assert_eq!(d.finish(), Err(e));
    }
    out.extend(open);
    (out, result)
}

/// Feeds `data` in every splitting and asserts all results equal; returns the result.
fn demux_all_splits(
    mode: Mode,
    data: &[u8],
    exhaustive_limit: usize,
    random: usize,
) -> (Vec<Collected>, Result<(), Error>) {
    let whole = demux(mode, &[data]);
    for pieces in splittings(data, exhaustive_limit, random) {
        assert_eq!(
            demux(mode, &pieces),
            whole,
            "split {:?}",
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>()
        );
    }
    whole
}

/// Naive reference: walks the frames of a whole body. Returns (stream byte, payload) per frame,
/// zero-length frames included, or the byte offset where it failed.
fn naive_frames(body: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body.len() - i < 8 {
            return Err(i);
        }
        let h = &body[i..i + 8];
        if h[0] > 3 || h[1..4] != [0, 0, 0] {
            return Err(i);
        }
        let n = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        if body.len() - i - 8 < n {
            return Err(i);
        }
        out.push((h[0], body[i + 8..i + 8 + n].to_vec()));
        i += 8 + n;
    }
    Ok(out)
}

fn kind(b: u8) -> Option<StreamKind> {
    match b {
        0 => Some(StreamKind::Stdin),
        1 => Some(StreamKind::Stdout),
        2 => Some(StreamKind::Stderr),
        _ => None,
    }
}

/// The expected collection for a well-formed body without stream 3, from the naive reference.
fn expected_frames(body: &[u8]) -> Vec<Collected> {
    naive_frames(body)
        .expect("well-formed")
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(s, p)| Collected {
            stream: kind(s),
            bytes: p,
            complete: true,
        })
        .collect()
}

fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![stream, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn data(stream: StreamKind, bytes: &[u8]) -> Collected {
    Collected {
        stream: Some(stream),
        bytes: bytes.to_vec(),
        complete: true,
    }
}

const PEER_SYSERR: Error = Error::Peer(PeerError::DaemonSystemError);
const PEER_TRUNCATED: Error = Error::Peer(PeerError::TruncatedStdcopyFrame);

static LOGS_BIG: &[u8] = include_bytes!("../../../tests/wire/logs_big.response");
static LOGS_MUX: &[u8] = include_bytes!("../../../tests/wire/logs_mux.response");
static LOGS_MUX_TIMESTAMPS: &[u8] =
    include_bytes!("../../../tests/wire/logs_mux_timestamps.response");
static LOGS_STDOUT_ONLY: &[u8] = include_bytes!("../../../tests/wire/logs_stdout_only.response");
static LOGS_TTY: &[u8] = include_bytes!("../../../tests/wire/logs_tty.response");
static ATTACH_LOGS_EXITED: &[u8] =
    include_bytes!("../../../tests/wire/attach_logs_exited.response");
static EXEC_START_STDIN: &[u8] = include_bytes!("../../../tests/wire/exec_start_stdin.response");

#[test]
fn stdcopy_logs_mux_recording() {
    let body = http_body(LOGS_MUX);
    let (frames, end) = demux_all_splits(Mode::Multiplexed, &body, usize::MAX, 50);
    assert_eq!(end, Ok(()));
    assert_eq!(
        frames,
        [
            data(StreamKind::Stdout, b"out1\n"),
            data(StreamKind::Stderr, b"err1\n"),
            data(StreamKind::Stdout, b"out2\n"),
            data(StreamKind::Stderr, b"err2\n"),
        ]
    );
    assert_eq!(frames, expected_frames(&body));
}

#[test]
fn stdcopy_small_recordings_match_naive_reference() {
    let cases: [(&[u8], usize, usize); 5] = [
        // (response, frames, stderr frames) as counted by hand from the recordings.
        (LOGS_MUX, 4, 2),
        (LOGS_MUX_TIMESTAMPS, 2, 1),
        (LOGS_STDOUT_ONLY, 2, 0),
        (ATTACH_LOGS_EXITED, 5, 2),
        (EXEC_START_STDIN, 2, 0),
    ];
    for (resp, n, n_err) in cases {
        let body = http_body(resp);
        let (frames, end) = demux_all_splits(Mode::Multiplexed, &body, usize::MAX, 50);
        assert_eq!(end, Ok(()));
        assert_eq!(frames, expected_frames(&body));
        assert_eq!(frames.len(), n);
        let errs = frames
            .iter()
            .filter(|c| c.stream == Some(StreamKind::Stderr))
            .count();
        assert_eq!(errs, n_err);
    }
}

#[test]
fn stdcopy_timestamps_are_inside_the_payload() {
    let (frames, _) = demux(Mode::Multiplexed, &[&http_body(LOGS_MUX_TIMESTAMPS)]);
    assert_eq!(
        frames,
        [
            data(StreamKind::Stdout, b"2026-11-26T21:26:22.281155420Z out2\n"),
            data(StreamKind::Stderr, b"2026-11-26T21:26:22.281155476Z err2\n"),
        ]
    );
}

#[test]
fn stdcopy_logs_big_recording() {
    let body = http_body(LOGS_BIG);
    // Ground truth computed independently (Python over the raw recording): 3003 stdout frames,
    // 3001 lines, json-file's 16384-byte split of long lines.
    let (frames, end) = demux_all_splits(Mode::Multiplexed, &body, 0, 20);
    assert_eq!(end, Ok(()));
    assert_eq!(frames, expected_frames(&body));
    assert_eq!(frames.len(), 3003);
    assert!(frames
        .iter()
        .all(|c| c.stream == Some(StreamKind::Stdout) && c.complete));
    let joined: Vec<u8> = frames.iter().flat_map(|c| c.bytes.clone()).collect();
    assert_eq!(joined.iter().filter(|&&b| b == b'\n').count(), 3001);
    assert_eq!(joined.len(), body.len() - 8 * 3003);
    assert_eq!(
        &frames[0].bytes,
        b"line 0 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
    );
    assert_eq!(frames.iter().map(|c| c.bytes.len()).max(), Some(16384));
}

#[test]
fn stdcopy_payload_pieces_are_returned_without_buffering_the_frame() {
    // A 1000-byte frame of which only 10 bytes have arrived: they come out at once.
    let mut input = vec![1, 0, 0, 0, 0, 0, 0x03, 0xe8];
    input.extend_from_slice(b"0123456789");
    let mut d = Demuxer::new(Mode::Multiplexed);
    let (n, f) = d.decode(&input).unwrap();
    assert_eq!(n, input.len());
    assert_eq!(
        f,
        Some(Frame::Data {
            stream: StreamKind::Stdout,
            data: b"0123456789",
            frame_end: false
        })
    );
    assert_eq!(d.decode(b"").unwrap(), (0, None));
    assert_eq!(d.finish(), Err(PEER_TRUNCATED));
}

#[test]
fn stdcopy_one_piece_per_call() {
    let mut input = frame(1, b"ab");
    input.extend(frame(2, b"cd"));
    let mut d = Demuxer::new(Mode::Multiplexed);
    let (n, f) = d.decode(&input).unwrap();
    assert_eq!(n, 10);
    assert_eq!(
        f,
        Some(Frame::Data {
            stream: StreamKind::Stdout,
            data: b"ab",
            frame_end: true
        })
    );
    let (n, f) = d.decode(&input[10..]).unwrap();
    assert_eq!(n, 10);
    assert_eq!(
        f,
        Some(Frame::Data {
            stream: StreamKind::Stderr,
            data: b"cd",
            frame_end: true
        })
    );
    assert_eq!(d.decode(&input[20..]).unwrap(), (0, None));
    d.finish().unwrap();
}

#[test]
fn stdcopy_zero_length_frames_are_skipped() {
    let mut input = frame(1, b"");
    input.extend(frame(2, b""));
    input.extend(frame(0, b"in"));
    input.extend(frame(1, b""));
    let (frames, end) = demux_all_splits(Mode::Multiplexed, &input, usize::MAX, 20);
    assert_eq!(end, Ok(()));
    assert_eq!(frames, [data(StreamKind::Stdin, b"in")]);
    // Only zero-length frames: consumed, nothing out, a clean end.
    let mut d = Demuxer::new(Mode::Multiplexed);
    assert_eq!(d.decode(&frame(1, b"")).unwrap(), (8, None));
    d.finish().unwrap();
}

#[test]
fn stdcopy_empty_stream_is_clean() {
    assert_eq!(demux(Mode::Multiplexed, &[]), (vec![], Ok(())));
    assert_eq!(demux(Mode::Multiplexed, &[b""]), (vec![], Ok(())));
}

#[test]
fn stdcopy_system_error_frame() {
    // The stream-3 frame dockerd sent with a corrupted local log file (README §6).
    let text: &[u8] = b"Error grabbing logs: log message is too large (2147483647 > 1000000)\n";
    assert_eq!(text.len(), 0x45);
    let mut input = frame(1, b"before\n");
    input.extend(frame(3, text));
    input.extend(frame(1, b"never delivered\n"));
    let (frames, end) = demux_all_splits(Mode::Multiplexed, &input, usize::MAX, 50);
    assert_eq!(end, Err(PEER_SYSERR));
    assert_eq!(
        frames,
        [
            data(StreamKind::Stdout, b"before\n"),
            Collected {
                stream: None,
                bytes: text.to_vec(),
                complete: true
            },
        ]
    );
    // The error comes even when nothing follows the frame.
    let (frames, end) = demux(Mode::Multiplexed, &[&frame(3, text)]);
    assert_eq!(end, Err(PEER_SYSERR));
    assert_eq!(frames.len(), 1);
    // Cut inside the stream-3 frame: the text so far, then truncation.
    let f = frame(3, text);
    let (frames, end) = demux(Mode::Multiplexed, &[&f[..20]]);
    assert_eq!(end, Err(PEER_TRUNCATED));
    assert_eq!(
        frames,
        [Collected {
            stream: None,
            bytes: f[8..20].to_vec(),
            complete: false
        }]
    );
}

#[test]
fn stdcopy_empty_system_error_frame_still_fails() {
    let mut d = Demuxer::new(Mode::Multiplexed);
    let input = frame(3, b"");
    assert_eq!(
        d.decode(&input).unwrap(),
        (
            8,
            Some(Frame::SystemError {
                text: b"",
                frame_end: true
            })
        )
    );
    assert_eq!(d.decode(b""), Err(PEER_SYSERR));
    assert_eq!(d.finish(), Err(PEER_SYSERR));
}

#[test]
fn stdcopy_unknown_stream_byte() {
    for b in 4..=255u8 {
        let mut input = frame(1, b"ok");
        let mut bad = frame(1, b"x");
        bad[0] = b;
        input.extend(bad);
        let (frames, end) = demux_all_splits(Mode::Multiplexed, &input, usize::MAX, 2);
        assert_eq!(end, Err(Error::Peer(PeerError::InvalidStdcopyStream)));
        assert_eq!(frames, [data(StreamKind::Stdout, b"ok")]);
        // Detected as soon as the stream byte arrives, before the rest of the header.
        let mut d = Demuxer::new(Mode::Multiplexed);
        assert_eq!(
            d.decode(&[b]),
            Err(Error::Peer(PeerError::InvalidStdcopyStream))
        );
    }
}

#[test]
fn stdcopy_nonzero_padding() {
    for pad in 1..4 {
        for v in [1u8, 0x80, 0xff] {
            let mut input = frame(2, b"e");
            let mut bad = frame(1, b"x");
            bad[pad] = v;
            input.extend(bad);
            let (frames, end) = demux_all_splits(Mode::Multiplexed, &input, usize::MAX, 2);
            assert_eq!(end, Err(Error::Peer(PeerError::InvalidStdcopyHeader)));
            assert_eq!(frames, [data(StreamKind::Stderr, b"e")]);
        }
    }
    // Bad stream byte and bad padding: the stream byte comes first.
    let mut d = Demuxer::new(Mode::Multiplexed);
    assert_eq!(
        d.decode(b"\x09\x01\0\0\0\0\0\0"),
        Err(Error::Peer(PeerError::InvalidStdcopyStream))
    );
}

#[test]
fn stdcopy_truncated_at_every_cut_point() {
    let mut input = frame(1, b"hello\n");
    input.extend(frame(2, b""));
    input.extend(frame(2, b"oops\n"));
    input.extend(frame(3, b"sys\n"));
    let boundaries = [0, 14, 22, 35, 47];
    let whole = naive_frames(&input).unwrap();
    for cut in 0..=input.len() {
        let prefix = &input[..cut];
        let (frames, end) = demux_all_splits(Mode::Multiplexed, prefix, usize::MAX, 3);
        if cut == input.len() {
            assert_eq!(end, Err(PEER_SYSERR));
        } else if boundaries.contains(&cut) {
            assert_eq!(end, Ok(()), "cut {cut}");
        } else {
            assert_eq!(end, Err(PEER_TRUNCATED), "cut {cut}");
        }
        // Whatever came out is a prefix of the payload bytes, per stream.
        let got: Vec<u8> = frames.iter().flat_map(|c| c.bytes.clone()).collect();
        let all: Vec<u8> = whole.iter().flat_map(|(_, p)| p.clone()).collect();
        assert!(all.starts_with(&got), "cut {cut}");
        // Every payload byte that arrived was delivered.
        let header_bytes: usize = boundaries
            .windows(2)
            .filter(|w| cut > w[0])
            .map(|w| (cut - w[0]).min(8))
            .sum();
        assert_eq!(got.len(), cut - header_bytes, "cut {cut}");
    }
}

#[test]
fn stdcopy_raw_mode_passes_bytes_through() {
    let body = http_body(LOGS_TTY);
    assert_eq!(body, b"tty-out\r\ntty-err\r\nno-newline");
    for pieces in splittings(&body, usize::MAX, 20) {
        let mut d = Demuxer::new(Mode::Raw);
        let mut out = Vec::new();
        for p in &pieces {
            let (n, f) = d.decode(p).unwrap();
            assert_eq!(n, p.len());
            match f {
                Some(Frame::Data {
                    stream: StreamKind::Stdout,
                    data,
                    frame_end: false,
                }) => {
                    assert_eq!(data, *p);
                    out.extend_from_slice(data);
                }
                None => assert!(p.is_empty()),
                other => panic!("unexpected {other:?}"),
            }
        }
        d.finish().unwrap();
        assert_eq!(out, body);
    }
    // Bytes that would be invalid stdcopy headers are plain data in raw mode.
    let mut d = Demuxer::new(Mode::Raw);
    assert!(d.decode(b"\xff\x01\x02\x03").unwrap().1.is_some());
    assert_eq!(d.mode(), Mode::Raw);
    d.finish().unwrap();
}

#[test]
fn stdcopy_demuxer_is_small_and_copy() {
    assert!(std::mem::size_of::<Demuxer>() <= 16);
    // A copy taken in the middle of a frame carries the progress and then goes its own way:
    // an event loop can keep demuxers by value.
    let wire = [frame(1, b"hello"), frame(2, b"!")].concat();
    let mut d = Demuxer::new(Mode::Multiplexed);
    let (n, f) = d.decode(&wire[..5]).unwrap();
    assert_eq!((n, f), (5, None));
    let mut e = d;
    // `d` goes on to the end of the first frame and into the second one.
    let (n, f) = d.decode(&wire[5..10]).unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        f,
        Some(Frame::Data {
            stream: StreamKind::Stdout,
            data: b"he",
            frame_end: false
        })
    );
    assert_ne!(d, e);
    // The copy still expects the rest of the first header, whatever `d` did since.
    let (n, f) = e.decode(&wire[5..]).unwrap();
    assert_eq!(n, 8);
    assert_eq!(
        f,
        Some(Frame::Data {
            stream: StreamKind::Stdout,
            data: b"hello",
            frame_end: true
        })
    );
    let (n, f) = e.decode(&wire[13..]).unwrap();
    assert_eq!((n, f.is_some()), (9, true));
    e.finish().unwrap();
    // `d`, mid-frame, is not finished.
    assert!(d.finish().is_err());
}

fn arb_frames() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    prop::collection::vec((0u8..3, prop::collection::vec(any::<u8>(), 0..40)), 0..12)
}

fn arb_cuts() -> impl Strategy<Value = Vec<prop::sample::Index>> {
    prop::collection::vec(any::<prop::sample::Index>(), 0..16)
}

fn cuts_for(len: usize, idx: &[prop::sample::Index]) -> Vec<usize> {
    idx.iter().map(|i| i.index(len + 1)).collect()
}

proptest! {
    #[test]
    fn prop_stdcopy_split_invariance(frames in arb_frames(), idx in arb_cuts()) {
        let input: Vec<u8> = frames.iter().flat_map(|(s, p)| frame(*s, p)).collect();
        let whole = demux(Mode::Multiplexed, &[&input]);
        let expected: Vec<Collected> = frames
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(s, p)| Collected { stream: kind(*s), bytes: p.clone(), complete: true })
            .collect();
        prop_assert_eq!(&whole, &(expected, Ok(())));
        let pieces = pieces_at(&input, &cuts_for(input.len(), &idx));
        prop_assert_eq!(demux(Mode::Multiplexed, &pieces), whole);
    }

    /// Arbitrary bytes never panic, and the outcome does not depend on the split.
    #[test]
    fn prop_stdcopy_arbitrary_bytes(
        input in prop::collection::vec(
            prop_oneof![4 => 0u8..4, 1 => any::<u8>()], 0..120),
        idx in arb_cuts(),
    ) {
        let whole = demux(Mode::Multiplexed, &[&input]);
        let pieces = pieces_at(&input, &cuts_for(input.len(), &idx));
        prop_assert_eq!(demux(Mode::Multiplexed, &pieces), whole.clone());
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(demux(Mode::Multiplexed, &bytes), whole.clone());
        // Agreement with the naive reference on well-formed, stream-3-free input.
        if let Ok(frames) = naive_frames(&input) {
            if frames.iter().all(|(s, _)| *s < 3) {
                prop_assert_eq!(whole, (expected_frames(&input), Ok(())));
            }
        }
    }

    #[test]
    fn prop_stdcopy_raw_split_invariance(
        input in prop::collection::vec(any::<u8>(), 0..200),
        idx in arb_cuts(),
    ) {
        let pieces = pieces_at(&input, &cuts_for(input.len(), &idx));
        let (frames, end) = demux(Mode::Raw, &pieces);
        prop_assert_eq!(end, Ok(()));
        let out: Vec<u8> = frames.iter().flat_map(|c| c.bytes.clone()).collect();
        prop_assert_eq!(out, input);
    }
}

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
