//! The `stdcopy` target: the [`Demuxer`] in both modes, fed whole and split, against a naive
//! frame-by-frame reference.

use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};
use docksock_proto::{Error, PeerError};

use crate::split::{pieces, take_spec, within};

/// A whole frame as recorded: stream byte (3 = system error) and payload.
pub type FrameRec = (u8, Vec<u8>);

/// Frames (pieces of one frame joined) and the end: `Ok` for a clean `finish`, or the error.
pub type DemuxOutcome = (Vec<FrameRec>, Result<(), Error>);

fn stream_byte(s: StreamKind) -> u8 {
    match s {
        StreamKind::Stdin => 0,
        StreamKind::Stdout => 1,
        StreamKind::Stderr => 2,
    }
}

/// Feeds `input` in pieces of `lengths`, then calls `finish`.
pub fn run(input: &[u8], mode: Mode, lengths: &[usize]) -> DemuxOutcome {
    let mut d = Demuxer::new(mode);
    assert_eq!(d.mode(), mode);
    let mut frames: Vec<FrameRec> = Vec::new();
    // Whether the last recorded frame is still open (its end not seen).
    let mut open = false;
    let mut start = 0usize;
    let mut budget = 64 + 8 * input.len() + 4 * lengths.len();
    for &l in lengths {
        let end = start + l;
        let mut piece = &input[start..end];
        loop {
            budget = budget.checked_sub(1).expect("demuxer makes no progress");
            let (used, frame) = match d.decode(piece) {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(d.decode(b"\x01"), Err(e), "demuxer not poisoned");
                    assert_eq!(d.finish(), Err(e));
                    return (frames, Err(e));
                }
            };
            assert!(used <= piece.len());
            let consumed = &piece[..used];
            piece = &piece[used..];
            let (stream, bytes, frame_end) = match frame {
                None => {
                    assert!(piece.is_empty(), "(n, None) with n != input.len()");
                    break;
                }
                Some(Frame::Data {
                    stream,
                    data,
                    frame_end,
                }) => {
                    assert!(!data.is_empty(), "empty Data frame piece");
                    if mode == Mode::Raw {
                        assert!(!frame_end && stream == StreamKind::Stdout);
                    }
                    (stream_byte(stream), data, frame_end)
                }
                Some(Frame::SystemError { text, frame_end }) => {
                    assert_eq!(mode, Mode::Multiplexed);
                    (3, text, frame_end)
                }
            };
            assert!(
                within(bytes, consumed),
                "frame bytes not within the consumed input"
            );
            if !bytes.is_empty() {
                assert!(
                    bytes.as_ptr_range().end == consumed.as_ptr_range().end,
                    "a piece must end where consumption ends"
                );
            }
            match frames.last_mut() {
                Some((s, v)) if open => {
                    assert_eq!(*s, stream, "stream changed inside a frame");
                    v.extend_from_slice(bytes);
                }
                _ => frames.push((stream, bytes.to_vec())),
            }
            open = !frame_end;
            if stream == 3 && frame_end {
                assert_eq!(
                    d.decode(b""),
                    Err(Error::Peer(PeerError::DaemonSystemError)),
                    "no DaemonSystemError after a stream-3 frame"
                );
                return (frames, Err(Error::Peer(PeerError::DaemonSystemError)));
            }
        }
        start = end;
    }
    let fin = d.finish();
    if fin.is_err() {
        assert_eq!(d.finish(), fin, "finish not poisoned");
    }
    (frames, fin)
}

/// The plain reading of the format: a whole buffer, frame by frame.
pub fn reference(input: &[u8], mode: Mode) -> DemuxOutcome {
    if mode == Mode::Raw {
        let frames = if input.is_empty() {
            vec![]
        } else {
            vec![(1, input.to_vec())]
        };
        return (frames, Ok(()));
    }
    let mut frames = Vec::new();
    let mut rest = input;
    loop {
        if rest.is_empty() {
            return (frames, Ok(()));
        }
        let stream = rest[0];
        if stream > 3 {
            return (frames, Err(Error::Peer(PeerError::InvalidStdcopyStream)));
        }
        for i in 1..4 {
            match rest.get(i) {
                Some(0) => {}
                Some(_) => return (frames, Err(Error::Peer(PeerError::InvalidStdcopyHeader))),
                None => return (frames, Err(Error::Peer(PeerError::TruncatedStdcopyFrame))),
            }
        }
        if rest.len() < 8 {
            return (frames, Err(Error::Peer(PeerError::TruncatedStdcopyFrame)));
        }
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let payload = &rest[8..];
        if payload.len() < len {
            // Data streams deliver what is there before the truncation error.
            if !payload.is_empty() {
                frames.push((stream, payload.to_vec()));
            }
            return (frames, Err(Error::Peer(PeerError::TruncatedStdcopyFrame)));
        }
        if len > 0 || stream == 3 {
            frames.push((stream, payload[..len].to_vec()));
        }
        if stream == 3 {
            return (frames, Err(Error::Peer(PeerError::DaemonSystemError)));
        }
        rest = &payload[len..];
    }
}

/// `[flags] [split count] [split bytes…] [body…]`; flags bit 0: raw (TTY) mode.
pub fn fuzz_stdcopy(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (spec, input) = take_spec(rest);
    let mode = if flags & 1 != 0 {
        Mode::Raw
    } else {
        Mode::Multiplexed
    };
    let whole = run(input, mode, &[input.len()]);
    let lengths = pieces(spec, input.len());
    let split = run(input, mode, &lengths);
    assert_eq!(whole, split, "split {lengths:?} changes the outcome");
    if lengths.len() > 1 {
        assert_eq!(
            whole,
            run(input, mode, &vec![1; input.len()]),
            "byte-by-byte changes the outcome"
        );
    }
    assert_eq!(
        whole,
        reference(input, mode),
        "demuxer differs from the reference"
    );
}
