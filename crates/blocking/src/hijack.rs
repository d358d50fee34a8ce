//! Hijacked (upgraded) streams of attach and exec, and stdcopy demultiplexing.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};

use crate::conn::{Conn, Step};
use crate::error::{Error, Result};

/// The raw duplex stream of an attach or exec start, after the daemon's `101 UPGRADED` (or its
/// close-delimited `200` form).
///
/// * `Read` gives the container's output as the daemon sends it: stdcopy frames, or raw bytes
///   for a TTY; [`demux`](Self::demux) splits it into stdout and stderr. Bytes that arrived in
///   the same read as the response head are kept and come first.
/// * `Write` sends the container's stdin. The request waited for the daemon's answer before
///   returning this stream, because dockerd drops stdin bytes sent before its `101`.
/// * [`close_stdin`](Self::close_stdin) shuts the write side: a container started with
///   `StdinOnce` sees EOF on stdin.
///
/// The connection's exchange keeps the deadlines: a read fails with
/// [`TimeoutKind::Idle`](crate::TimeoutKind::Idle) after the idle timeout without a byte (none
/// for attach unless set with [`set_idle_timeout`](Self::set_idle_timeout)), a write with
/// [`TimeoutKind::Write`](crate::TimeoutKind::Write) when the daemon takes no stdin for the
/// client's write timeout.
///
/// ```no_run
/// use std::io::Write;
/// use docksock::{AttachOptions, StreamKind};
///
/// let docker = docksock::Client::from_env()?;
/// let mut stream = docker.attach_container("my-cat", &AttachOptions::default())?;
/// stream.write_all(b"hello\n").map_err(|e| docksock::Error::io("stdin", e))?;
/// stream.close_stdin()?;
/// for chunk in stream.demux() {
///     let chunk = chunk?;
///     if chunk.stream == StreamKind::Stdout {
///         print!("{}", String::from_utf8_lossy(&chunk.data));
///     }
/// }
/// # Ok::<(), docksock::Error>(())
/// ```
pub struct Hijacked {
    conn: Conn,
    mode: Mode,
    /// [`close_stdin`](Self::close_stdin) shut the write side (the exchange is told on the
    /// next read or write).
    stdin_closed: AtomicBool,
    /// The raw stream ended cleanly.
    ended: bool,
}

impl std::fmt::Debug for Hijacked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hijacked")
            .field("path", &self.conn.path())
            .field("mode", &self.mode)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Hijacked {
    pub(crate) fn new(conn: Conn) -> Hijacked {
        Hijacked {
            conn,
            mode: Mode::Multiplexed,
            stdin_closed: AtomicBool::new(false),
            ended: false,
        }
    }

    pub(crate) fn with_mode(mut self, mode: Mode) -> Hijacked {
        self.mode = mode;
        self
    }

    /// How the output is framed: [`Mode::Raw`] for a TTY, else [`Mode::Multiplexed`]. Set by
    /// the call that opened the stream from the container's or exec's `Tty` flag.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Sets the idle timeout for reads of this stream: the longest silence while waiting for
    /// output.
    pub fn set_idle_timeout(&mut self, timeout: Duration) {
        self.conn.set_idle_timeout(timeout);
    }

    /// Closes the stdin direction (shutdown of the write side); the output can still be read.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the shutdown fails.
    pub fn close_stdin(&self) -> Result<()> {
        self.conn.stream().shutdown(Shutdown::Write).map_err(|e| {
            Error::io(
                format!("closing stdin on {}", self.conn.path().display()),
                e,
            )
        })?;
        self.stdin_closed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The output, demultiplexed according to [`mode`](Self::mode). Writing stdin stays
    /// possible through [`Demux::get_mut`].
    pub fn demux(self) -> Demux<Hijacked> {
        let mode = self.mode;
        Demux::new(self, mode)
    }

    /// The output, demultiplexed as `mode` (when the caller knows better).
    pub fn demux_as(self, mode: Mode) -> Demux<Hijacked> {
        Demux::new(self, mode)
    }

    /// Tells the exchange about a [`close_stdin`](Self::close_stdin).
    fn sync_stdin(&mut self) -> bool {
        let closed = self.stdin_closed.load(Ordering::Relaxed);
        if closed {
            self.conn.close_stream_input();
        }
        closed
    }

    fn read_inner(&mut self, out: &mut [u8]) -> Result<usize> {
        self.sync_stdin();
        loop {
            if self.conn.has_pending() {
                let data = self.conn.take_pending(out.len());
                let n = data.len();
                if let Some(dst) = out.get_mut(..n) {
                    dst.copy_from_slice(data);
                }
                return Ok(n);
            }
            if self.ended || out.is_empty() {
                return Ok(0);
            }
            match self.conn.next_event()? {
                Step::Data | Step::Skip => {}
                Step::End => self.ended = true,
                _ => return Err(Error::Unexpected("a response inside a raw stream".into())),
            }
        }
    }
}

impl Read for Hijacked {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_inner(out).map_err(Error::into_io)
    }
}

impl Write for Hijacked {
    /// Writes all of `data` (a hijacked stream's stdin is written whole or fails).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.sync_stdin() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin was closed (close_stdin)",
            ));
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.conn.write_stream(data).map_err(Error::into_io)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

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

/// Demultiplexes a stdcopy stream (logs, attach, exec) with the core's [`Demuxer`].
///
/// The [`Mode`] comes from the request (the container's or exec's `Tty`), never from the
/// bytes. A stream-3 (daemon system error) frame ends the stream with [`Error::Stream`]
/// carrying its text; a stream cut inside a frame is a protocol error.
///
/// Use it as an iterator of owned [`Chunk`]s, or zero-copy with [`next_chunk`](Self::next_chunk).
pub struct Demux<R> {
    reader: R,
    demuxer: Demuxer,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    syserr: Vec<u8>,
    done: bool,
}

impl<R> std::fmt::Debug for Demux<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demux")
            .field("mode", &self.demuxer.mode())
            .field("done", &self.done)
            .finish()
    }
}

impl<R: Read> Demux<R> {
    /// Demultiplexes `reader` as `mode`.
    pub fn new(reader: R, mode: Mode) -> Demux<R> {
        Demux {
            reader,
            demuxer: Demuxer::new(mode),
            buf: vec![0; 32 * 1024],
            pos: 0,
            end: 0,
            syserr: Vec::new(),
            done: false,
        }
    }

    /// The underlying stream (for a [`Hijacked`]: to write stdin or close it).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The next piece of output, borrowed from the internal buffer; `None` at the clean end.
    ///
    /// # Errors
    ///
    /// The reader's errors; [`Error::Stream`] for a stream-3 frame; [`Error::Protocol`] for a
    /// malformed or truncated frame. The stream ends after an error.
    pub fn next_chunk(&mut self) -> Result<Option<(StreamKind, &[u8])>> {
        match self.advance() {
            Ok(Some((kind, a, b))) => Ok(Some((kind, self.buf.get(a..b).unwrap_or(&[])))),
            Ok(None) => Ok(None),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn advance(&mut self) -> Result<Option<(StreamKind, usize, usize)>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if self.pos < self.end {
                let input = self.buf.get(self.pos..self.end).unwrap_or(&[]);
                let (used, frame) = self.demuxer.decode(input)?;
                self.pos += used;
                match frame {
                    Some(Frame::Data { stream, data, .. }) => {
                        // The core puts a piece at the tail of what it consumed.
                        return Ok(Some((stream, self.pos - data.len(), self.pos)));
                    }
                    Some(Frame::SystemError { text, frame_end }) => {
                        self.syserr.extend_from_slice(text);
                        if frame_end {
                            self.done = true;
                            let message = String::from_utf8_lossy(&self.syserr).trim().to_owned();
                            return Err(Error::Stream { message });
                        }
                    }
                    None => {}
                }
                continue;
            }
            self.pos = 0;
            self.end = 0;
            let n = loop {
                match self.reader.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::from_io("reading the stream", e)),
                }
            };
            if n == 0 {
                self.done = true;
                self.demuxer.finish()?;
                return Ok(None);
            }
            self.end = n;
        }
    }

    /// Reads to the end and returns stdout and stderr separately.
    ///
    /// # Errors
    ///
    /// As [`next_chunk`](Self::next_chunk).
    pub fn collect_output(mut self) -> Result<Output> {
        let mut out = Output::default();
        while let Some((kind, data)) = self.next_chunk()? {
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
            Err(Error::Stream { message }) => assert_eq!(message, "boom"),
            other => panic!("{other:?}"),
        }
        assert!(d.next().is_none());

        let err = Demux::new(&b"\x01\0\0\0\0\0\0\x09short"[..], Mode::Multiplexed)
            .collect_output()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Protocol(docksock_proto::Error::Peer(
                docksock_proto::PeerError::TruncatedStdcopyFrame
            ))
        ));
        let err = Demux::new(&b"\x07\0\0\0\0\0\0\x01x"[..], Mode::Multiplexed)
            .collect_output()
            .unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }
}
