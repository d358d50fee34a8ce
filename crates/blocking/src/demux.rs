//! Demultiplexing a stdcopy stream (logs, attach, exec) into stdout and stderr: by the
//! connection's exchange for this client's own streams, by the core's [`Demuxer`] for any
//! other reader.

use std::io::{self, Read};

use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};

use crate::config::DEFAULT_MAX_BODY;
use crate::error::{Error, Result};

/// The cap on the daemon's stream-3 (system error) text kept for [`Error::Stream`]: 64 KiB.
pub const MAX_SYSTEM_ERROR: usize = 64 << 10;

/// One piece of demultiplexed output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The stream it was written to ([`StreamKind::Stdout`] for everything of a TTY).
    pub stream: StreamKind,
    /// The bytes (a frame, or a part of one: frames are the daemon's write units, not lines).
    pub data: Vec<u8>,
}

/// The whole output of a finished stream, split by stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Everything written to stdout (all output of a TTY).
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

/// A piece of a frame from a connection's exchange, at `start..end` of the stream's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece {
    /// Output written to a stream.
    Data(StreamKind, usize, usize),
    /// The daemon's stream-3 error text; `true` when the frame ends with this piece.
    SystemError(usize, usize, bool),
}

/// How a stream of this client ([`ResponseBody`](crate::ResponseBody),
/// [`Hijacked`](crate::Hijacked)) hands out the frames its connection's exchange splits.
pub(crate) struct Frames<R> {
    /// The next piece; `None` at the clean end.
    pub(crate) next: fn(&mut R) -> Result<Option<Piece>>,
    /// The bytes of a piece just handed out.
    pub(crate) bytes: fn(&R, usize, usize) -> &[u8],
    /// The operation whose answer this is (named by errors).
    pub(crate) operation: String,
    /// The client's cap on a body read whole (the cap of [`Demux::collect_output`]).
    pub(crate) max_output: usize,
}

/// Where the frames come from.
enum Source<R> {
    /// Any reader: the core's demuxer over a buffer of this demultiplexer.
    Reader {
        demuxer: Demuxer,
        buf: Vec<u8>,
        pos: usize,
        end: usize,
    },
    /// A stream of this client: its exchange splits the frames where they lie in the
    /// connection's buffer (no copy).
    Exchange(Frames<R>),
}

/// Demultiplexes a stdcopy stream (logs, attach, exec).
///
/// The [`Mode`] comes from the request (the container's or exec's `Tty`), never from the
/// bytes. A stream-3 (daemon system error) frame ends the stream with [`Error::Stream`]
/// carrying its text; a stream cut inside a frame is a protocol error.
///
/// A demultiplexer made by [`Response::demux`](crate::Response::demux) or
/// [`Hijacked::demux`](crate::Hijacked::demux) takes the frames from the connection's
/// exchange, where they lie in its buffer: the rest of that stream is frames (read it through
/// this demultiplexer, not through the stream's own `Read`). [`Demux::new`] demultiplexes any
/// other reader with the core's [`Demuxer`].
///
/// Use it as an iterator of owned [`Chunk`]s, or zero-copy with [`next_chunk`](Self::next_chunk).
///
/// Memory is bounded: the daemon's stream-3 text is kept up to [`MAX_SYSTEM_ERROR`], and
/// [`collect_output`](Self::collect_output) stops at its cap ([`set_max_output`](Self::set_max_output);
/// by default the client's `max_body`, the cap of [`Response::bytes`](crate::Response::bytes),
/// or [`DEFAULT_MAX_BODY`] for [`Demux::new`]), each with [`Error::TooLarge`].
pub struct Demux<R> {
    reader: R,
    source: Source<R>,
    mode: Mode,
    syserr: Vec<u8>,
    done: bool,
    /// The operation named by errors (empty for [`Demux::new`]).
    operation: String,
    max_output: usize,
}

impl<R> std::fmt::Debug for Demux<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demux")
            .field("mode", &self.mode)
            .field("exchange", &matches!(self.source, Source::Exchange(_)))
            .field("done", &self.done)
            .finish()
    }
}

impl<R> Demux<R> {
    /// The frames of a stream of this client, split by its connection's exchange (already
    /// set to `mode`).
    pub(crate) fn from_exchange(reader: R, mode: Mode, frames: Frames<R>) -> Demux<R> {
        Demux {
            reader,
            operation: frames.operation.clone(),
            max_output: frames.max_output,
            source: Source::Exchange(frames),
            mode,
            syserr: Vec::new(),
            done: false,
        }
    }

    /// Sets the cap of [`collect_output`](Self::collect_output): the most bytes of stdout
    /// and stderr together it keeps.
    pub fn set_max_output(&mut self, bytes: usize) {
        self.max_output = bytes;
    }
}

impl<R: Read> Demux<R> {
    /// Demultiplexes `reader` as `mode`.
    pub fn new(reader: R, mode: Mode) -> Demux<R> {
        Demux {
            reader,
            source: Source::Reader {
                demuxer: Demuxer::new(mode),
                buf: vec![0; 32 * 1024],
                pos: 0,
                end: 0,
            },
            mode,
            syserr: Vec::new(),
            done: false,
            operation: String::new(),
            max_output: DEFAULT_MAX_BODY,
        }
    }

    /// The underlying stream (for a [`Hijacked`](crate::Hijacked): to write stdin or close
    /// it).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The next piece of output, borrowed from the internal (or the connection's) buffer;
    /// `None` at the clean end.
    ///
    /// # Errors
    ///
    /// The reader's errors; [`Error::Stream`] for a stream-3 frame; [`Error::Protocol`] for a
    /// malformed or truncated frame. The stream ends after an error.
    pub fn next_chunk(&mut self) -> Result<Option<(StreamKind, &[u8])>> {
        match self.advance() {
            Ok(Some((kind, a, b))) => {
                let data = match &self.source {
                    Source::Reader { buf, .. } => buf.get(a..b).unwrap_or(&[]),
                    Source::Exchange(frames) => (frames.bytes)(&self.reader, a, b),
                };
                Ok(Some((kind, data)))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.done = true;
                Err(e.in_operation(&self.operation))
            }
        }
    }

    /// A stream-3 piece: the text is kept (up to [`MAX_SYSTEM_ERROR`]); the stream ends with
    /// it at the frame's end.
    fn system_error(&mut self, text: &[u8], frame_end: bool) -> Result<()> {
        if self.syserr.len() + text.len() > MAX_SYSTEM_ERROR {
            self.done = true;
            self.syserr = Vec::new();
            return Err(Error::TooLarge {
                operation: String::new(),
                what: "the daemon's error text (a stream-3 frame)",
                limit: MAX_SYSTEM_ERROR,
                setting: "",
            });
        }
        self.syserr.extend_from_slice(text);
        if !frame_end {
            return Ok(());
        }
        self.done = true;
        let message = String::from_utf8_lossy(&self.syserr).trim().to_owned();
        Err(Error::stream(message))
    }

    fn advance(&mut self) -> Result<Option<(StreamKind, usize, usize)>> {
        if self.done {
            return Ok(None);
        }
        let (next, bytes) = match &self.source {
            Source::Exchange(frames) => (frames.next, frames.bytes),
            Source::Reader { .. } => return self.advance_reader(),
        };
        loop {
            match next(&mut self.reader)? {
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some(Piece::Data(kind, a, b)) => return Ok(Some((kind, a, b))),
                Some(Piece::SystemError(a, b, frame_end)) => {
                    let text = bytes(&self.reader, a, b).to_vec();
                    self.system_error(&text, frame_end)?;
                }
            }
        }
    }

    /// [`advance`](Self::advance) over any reader, with the core's demuxer.
    fn advance_reader(&mut self) -> Result<Option<(StreamKind, usize, usize)>> {
        loop {
            let Source::Reader {
                demuxer,
                buf,
                pos,
                end,
            } = &mut self.source
            else {
                return Ok(None);
            };
            if *pos < *end {
                let input = buf.get(*pos..*end).unwrap_or(&[]);
                let (used, frame) = demuxer.decode(input)?;
                *pos += used;
                let at = *pos;
                match frame {
                    Some(Frame::Data { stream, data, .. }) => {
                        // The core puts a piece at the tail of what it consumed.
                        return Ok(Some((stream, at - data.len(), at)));
                    }
                    Some(Frame::SystemError { text, frame_end }) => {
                        let text = text.to_vec();
                        self.system_error(&text, frame_end)?;
                    }
                    None => {}
                }
                continue;
            }
            *pos = 0;
            *end = 0;
            let n = loop {
                match self.reader.read(buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::from_io("reading the stream", e)),
                }
            };
            if n == 0 {
                self.done = true;
                demuxer.finish()?;
                return Ok(None);
            }
            *end = n;
        }
    }

    /// Reads to the end and returns stdout and stderr separately, keeping at most the cap
    /// ([`set_max_output`](Self::set_max_output)) of both together.
    ///
    /// # Errors
    ///
    /// As [`next_chunk`](Self::next_chunk); [`Error::TooLarge`] when the output exceeds the
    /// cap (read it with [`next_chunk`](Self::next_chunk) instead).
    pub fn collect_output(mut self) -> Result<Output> {
        let mut out = Output::default();
        let cap = self.max_output;
        while let Some((kind, data)) = self.next_chunk()? {
            if out.stdout.len() + out.stderr.len() + data.len() > cap {
                self.done = true;
                return Err(Error::TooLarge {
                    operation: self.operation.clone(),
                    what: "the output (read it chunk by chunk instead)",
                    limit: cap,
                    setting: "ClientBuilder::max_body or Demux::set_max_output",
                });
            }
            match kind {
                StreamKind::Stderr => out.stderr.extend_from_slice(data),
                _ => out.stdout.extend_from_slice(data),
            }
        }
        Ok(out)
    }

    /// The underlying stream, dropping any buffered bytes.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: Read> Iterator for Demux<R> {
    type Item = Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_chunk() {
            Ok(Some((stream, data))) => Some(Ok(Chunk {
                stream,
                data: data.to_vec(),
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields one byte per read: every frame header and payload is split.
    struct Drip<'a>(&'a [u8]);

    impl Read for Drip<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    const MUX: &[u8] = b"\x01\0\0\0\0\0\0\x03o1\n\x02\0\0\0\0\0\0\x03e1\n\x01\0\0\0\0\0\0\x00\
                         \x01\0\0\0\0\0\0\x03o2\n";

    #[test]
    fn demux_whole_and_dripped() {
        let whole = Demux::new(MUX, Mode::Multiplexed).collect_output().unwrap();
        assert_eq!(whole.stdout, b"o1\no2\n");
        assert_eq!(whole.stderr, b"e1\n");
        let dripped = Demux::new(Drip(MUX), Mode::Multiplexed)
            .collect_output()
            .unwrap();
        assert_eq!(dripped, whole);
        let chunks: Vec<Chunk> = Demux::new(MUX, Mode::Multiplexed)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[1].stream, StreamKind::Stderr);
    }

    #[test]
    fn demux_raw_never_looks_at_the_bytes() {
        // Bytes that would be a stdcopy header are data in raw mode.
        let out = Demux::new(MUX, Mode::Raw).collect_output().unwrap();
        assert_eq!(out.stdout, MUX);
        assert!(out.stderr.is_empty());
    }

    #[test]
    fn demux_errors() {
        let syserr = b"\x01\0\0\0\0\0\0\x02ok\x03\0\0\0\0\0\0\x05boom\n";
        let mut d = Demux::new(Drip(syserr), Mode::Multiplexed);
        assert_eq!(d.next().unwrap().unwrap().data, b"o");
        assert_eq!(d.next().unwrap().unwrap().data, b"k");
        match d.next().unwrap() {
            Err(Error::Stream { message, .. }) => assert_eq!(message, "boom"),
            other => panic!("{other:?}"),
        }
        assert!(d.next().is_none());

        let err = Demux::new(&b"\x01\0\0\0\0\0\0\x09short"[..], Mode::Multiplexed)
            .collect_output()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Protocol {
                source: docksock_proto::Error::Peer(
                    docksock_proto::PeerError::TruncatedStdcopyFrame
                ),
                ..
            }
        ));
        let err = Demux::new(&b"\x07\0\0\0\0\0\0\x01x"[..], Mode::Multiplexed)
            .collect_output()
            .unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    }
}
