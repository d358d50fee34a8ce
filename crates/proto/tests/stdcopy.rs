//! Docker's stdcopy stream: demultiplexing. Every vector is fed whole, byte by byte, at every
//! two-way split (small vectors) and at pseudo-random split points, and the collected output must
//! be identical. Recordings from a real dockerd (in `tests/wire`) are checked against a naive
//! reference that first collects the whole body.

use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};
use docksock_proto::{Error, PeerError};
use proptest::prelude::*;

#[path = "support/split.rs"]
mod split;

use split::{arb_cuts, cuts_for, http_body, pieces_at, splittings};

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
