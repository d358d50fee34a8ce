//! Docker's multiplexed stdout/stderr stream ("stdcopy").
//!
//! A container started without a TTY has its output multiplexed into frames, each an 8-byte
//! header and a payload:
//!
//! ```text
//! [stream: u8] [0x00 0x00 0x00] [length: u32, big-endian] [payload: length bytes]
//! ```
//!
//! Stream 0 is stdin, 1 stdout, 2 stderr. Stream 3 is the daemon's *system error* stream (for
//! example `Error grabbing logs: …` when a log file is corrupt): its text is delivered as
//! [`Frame::SystemError`] pieces and then the demuxer fails with
//! [`PeerError::DaemonSystemError`]. Any other stream byte, or non-zero padding, is an error.
//!
//! A container started with a TTY sends raw bytes with no frames at all. Which of the two a
//! response carries is **never guessed from the bytes**: the caller knows it from the request
//! (the container's or exec's `Tty` flag) and picks the [`Mode`].
//!
//! The [`Demuxer`] is incremental and zero-copy: feed it whatever the transport delivered, in
//! any pieces, and it hands back slices of that input as soon as payload bytes are there. It never
//! buffers a frame; the only bytes it keeps are the up to 8 bytes of a header split across inputs.
//! Frames of zero length produce no output (except on stream 3, see [`Frame::SystemError`]).
//!
//! # Examples
//!
//! ```
//! use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};
//!
//! let body = b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n\x02\x00\x00\x00\x00\x00\x00\x04oops";
//! let mut demux = Demuxer::new(Mode::Multiplexed);
//! let mut out = Vec::new();
//! // The body arrives in two pieces, split inside the first payload.
//! for mut piece in [&body[..10], &body[10..]] {
//!     loop {
//!         let (used, frame) = demux.decode(piece)?;
//!         piece = &piece[used..];
//!         match frame {
//!             Some(Frame::Data { stream, data, .. }) => out.push((stream, data.to_vec())),
//!             // Stream 3: the daemon's error text; the next call fails with DaemonSystemError.
//!             Some(Frame::SystemError { text, .. }) => {
//!                 eprintln!("{}", String::from_utf8_lossy(text))
//!             }
//!             None => break, // all of `piece` consumed: wait for more bytes
//!         }
//!     }
//! }
//! demux.finish()?; // EOF at a frame boundary
//! assert_eq!(
//!     out,
//!     [
//!         (StreamKind::Stdout, b"hi".to_vec()),
//!         (StreamKind::Stdout, b"\n".to_vec()),
//!         (StreamKind::Stderr, b"oops".to_vec()),
//!     ]
//! );
//! # Ok::<(), docksock_proto::Error>(())
//! ```

use crate::{Error, PeerError};

/// Length of a frame header.
const HEADER_LEN: usize = 8;

/// The stream a frame belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Stream byte 0: the container's standard input (dockerd never sends it in practice).
    Stdin,
    /// Stream byte 1: standard output. Also every byte of a [`Mode::Raw`] stream.
    Stdout,
    /// Stream byte 2: standard error.
    Stderr,
}

/// How the response body is framed. The caller decides from the request, never from the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The container or exec has no TTY: the body is stdcopy frames.
    Multiplexed,
    /// The container or exec has a TTY: the body is raw bytes, all delivered as
    /// [`StreamKind::Stdout`].
    Raw,
}

/// A piece of output, borrowed from the input passed to [`Demuxer::decode`]. The piece is
/// always the last bytes of what that call consumed (`&input[consumed - len..consumed]`), so a
/// driver can locate it in its own buffer by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A piece of a frame's payload on `stream`: never empty.
    ///
    /// `frame_end` is true when this piece ends its frame. Frames are the daemon's write units
    /// (json-file logs split long lines at 16384 bytes), not lines. In [`Mode::Raw`] there are no
    /// frames and `frame_end` is always false.
    Data {
        /// The stream the frame was sent on.
        stream: StreamKind,
        /// The payload bytes, a slice of the input.
        data: &'a [u8],
        /// This piece is the last of its frame.
        frame_end: bool,
    },
    /// A piece of a stream-3 (daemon system error) frame. Once the frame ends (the piece with
    /// `frame_end` true) the demuxer fails with [`PeerError::DaemonSystemError`]. A stream-3
    /// frame of length zero yields one empty piece with `frame_end` true.
    SystemError {
        /// The error text bytes, a slice of the input (usually UTF-8 ending in `\n`).
        text: &'a [u8],
        /// This piece is the last of the frame.
        frame_end: bool,
    },
}

/// The stream of a frame being read: one of the three data streams, or the system error stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Data(StreamKind),
    SystemError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Collecting a header: `len` of its 8 bytes are in `buf`, each already validated.
    Header { buf: [u8; HEADER_LEN], len: u8 },
    /// Inside a payload with `remaining` (> 0) bytes left.
    Payload { kind: Payload, remaining: u32 },
    /// Poisoned: every call returns this error.
    Failed(PeerError),
}

const EMPTY_HEADER: State = State::Header {
    buf: [0; HEADER_LEN],
    len: 0,
};

/// An incremental, zero-copy stdcopy demultiplexer. See the [module docs](self).
///
/// Call [`decode`](Demuxer::decode) with the unconsumed bytes until it returns `None`, read more,
/// repeat; call [`finish`](Demuxer::finish) at EOF. After an error every call returns that
/// error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demuxer {
    mode: Mode,
    state: State,
}

impl Demuxer {
    /// A demuxer at the start of a stream framed as `mode`.
    pub const fn new(mode: Mode) -> Self {
        Demuxer {
            mode,
            state: EMPTY_HEADER,
        }
    }

    /// The mode this demuxer was created with.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Decodes from the start of `input`. Returns how many bytes were consumed and, if a payload
    /// piece is available, that piece (a slice of `input`).
    ///
    /// At most one piece comes out per call; call again with `&input[consumed..]`. `(n, None)`
    /// always has `n == input.len()`: everything was consumed (header bytes kept inside, or
    /// zero-length frames skipped) and more input is needed. Payload bytes are returned as soon
    /// as they are there, so a piece may be a part of a frame; `frame_end` marks the last one.
    ///
    /// # Errors
    ///
    /// * [`PeerError::InvalidStdcopyStream`] — a stream byte above 3.
    /// * [`PeerError::InvalidStdcopyHeader`] — non-zero header padding.
    /// * [`PeerError::DaemonSystemError`] — called again after a stream-3 frame ended.
    ///
    /// Header bytes are checked as they arrive. After an error the demuxer is poisoned.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Frame<'a>>), Error> {
        if let State::Failed(e) = self.state {
            return Err(Error::Peer(e));
        }
        if self.mode == Mode::Raw {
            if input.is_empty() {
                return Ok((0, None));
            }
            let frame = Frame::Data {
                stream: StreamKind::Stdout,
                data: input,
                frame_end: false,
            };
            return Ok((input.len(), Some(frame)));
        }
        match self.decode_mux(input) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.state = State::Failed(e);
                Err(Error::Peer(e))
            }
        }
    }

    /// The stream ended (EOF).
    ///
    /// # Errors
    ///
    /// [`PeerError::TruncatedStdcopyFrame`] when the stream stopped inside a header or a
    /// payload (this poisons the demuxer), or the error the demuxer is poisoned with. In
    /// [`Mode::Raw`] every end is a clean end.
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.state {
            State::Failed(e) => Err(Error::Peer(e)),
            State::Header { len: 0, .. } => Ok(()),
            State::Header { .. } | State::Payload { .. } => {
                let e = PeerError::TruncatedStdcopyFrame;
                self.state = State::Failed(e);
                Err(Error::Peer(e))
            }
        }
    }

    fn decode_mux<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<Frame<'a>>), PeerError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Failed(e) => return Err(e),
                State::Header { mut buf, mut len } => {
                    // Take header bytes one at a time, checking each as it lands.
                    while usize::from(len) < HEADER_LEN {
                        let Some(&b) = input.get(pos) else {
                            self.state = State::Header { buf, len };
                            return Ok((pos, None));
                        };
                        check_header_byte(usize::from(len), b)?;
                        if let Some(slot) = buf.get_mut(usize::from(len)) {
                            *slot = b;
                        }
                        len += 1;
                        pos += 1;
                    }
                    let [stream, _, _, _, l0, l1, l2, l3] = buf;
                    let kind = match stream {
                        0 => Payload::Data(StreamKind::Stdin),
                        1 => Payload::Data(StreamKind::Stdout),
                        2 => Payload::Data(StreamKind::Stderr),
                        // ok: check_header_byte let only 0..=3 through.
                        _ => Payload::SystemError,
                    };
                    let remaining = u32::from_be_bytes([l0, l1, l2, l3]);
                    if remaining == 0 {
                        self.state = EMPTY_HEADER;
                        if kind == Payload::SystemError {
                            self.state = State::Failed(PeerError::DaemonSystemError);
                            let frame = Frame::SystemError {
                                text: &[],
                                frame_end: true,
                            };
                            return Ok((pos, Some(frame)));
                        }
                        // Zero-length data frames carry nothing: skip them.
                        continue;
                    }
                    self.state = State::Payload { kind, remaining };
                }
                State::Payload { kind, remaining } => {
                    let rest = input.get(pos..).unwrap_or(&[]);
                    if rest.is_empty() {
                        return Ok((pos, None));
                    }
                    let want = usize::try_from(remaining).unwrap_or(usize::MAX);
                    let take = want.min(rest.len());
                    let (piece, _) = rest.split_at(take); // ok: take <= rest.len()
                    let frame_end = take == want;
                    self.state = if frame_end {
                        EMPTY_HEADER
                    } else {
                        // `take < want = remaining` here, so `take` fits a u32.
                        let took = u32::try_from(take).unwrap_or(remaining);
                        State::Payload {
                            kind,
                            remaining: remaining - took, // ok: took = take < remaining
                        }
                    };
                    let frame = match kind {
                        Payload::Data(stream) => Frame::Data {
                            stream,
                            data: piece,
                            frame_end,
                        },
                        Payload::SystemError => {
                            if frame_end {
                                self.state = State::Failed(PeerError::DaemonSystemError);
                            }
                            Frame::SystemError {
                                text: piece,
                                frame_end,
                            }
                        }
                    };
                    return Ok((pos + take, Some(frame)));
                }
            }
        }
    }
}

/// Checks header byte number `i` (0-based): the stream byte must be 0..=3, padding must be 0.
/// Length bytes may be anything.
fn check_header_byte(i: usize, b: u8) -> Result<(), PeerError> {
    match i {
        0 if b > 3 => Err(PeerError::InvalidStdcopyStream),
        1..=3 if b != 0 => Err(PeerError::InvalidStdcopyHeader),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_payload_counts_down() {
        let mut d = Demuxer::new(Mode::Multiplexed);
        let (n, f) = d.decode(b"\x02\0\0\0\0\0\0\x05ab").unwrap();
        assert_eq!(n, 10);
        assert_eq!(
            f,
            Some(Frame::Data {
                stream: StreamKind::Stderr,
                data: b"ab",
                frame_end: false
            })
        );
        let (n, f) = d.decode(b"cde").unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            f,
            Some(Frame::Data {
                stream: StreamKind::Stderr,
                data: b"cde",
                frame_end: true
            })
        );
        d.finish().unwrap();
    }

    #[test]
    fn max_length_header_is_not_buffered() {
        let mut d = Demuxer::new(Mode::Multiplexed);
        let (n, f) = d.decode(b"\x01\0\0\0\xff\xff\xff\xffx").unwrap();
        assert_eq!(n, 9);
        assert!(matches!(
            f,
            Some(Frame::Data {
                frame_end: false,
                ..
            })
        ));
        assert_eq!(
            d.finish(),
            Err(Error::Peer(PeerError::TruncatedStdcopyFrame))
        );
    }
}
