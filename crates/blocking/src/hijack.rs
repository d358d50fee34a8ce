//! Hijacked (upgraded) streams of attach and exec.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use docksock_proto::exchange::BodyMode;
use docksock_proto::stdcopy::Mode;

use crate::conn::{Conn, Step};
use crate::demux::{Demux, Frames, Piece};
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
    pub(crate) conn: Conn,
    mode: Mode,
    /// The framing the daemon's `Content-Type` declared, if it declared one that counts.
    pub(crate) announced: Option<Mode>,
    /// [`close_stdin`](Self::close_stdin) (or the writer of a [`split`](Self::split)) shut
    /// the write side (the exchange is told on the next read or write).
    pub(crate) stdin_closed: Arc<AtomicBool>,
    /// The write side was handed to a [`HijackedWriter`](crate::HijackedWriter).
    pub(crate) split: bool,
    /// The cap of a demultiplexed output collected whole (the client's `max_body`).
    pub(crate) max_output: usize,
    /// What a TTY resize applies to, and the client to send it with.
    pub(crate) session: Option<crate::duplex::Session>,
    /// The raw stream ended cleanly.
    ended: bool,
    /// Splitting the stream as frames could not start: the first frame read reports it.
    failed: Option<Error>,
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
    pub(crate) fn new(conn: Conn, max_output: usize) -> Hijacked {
        Hijacked {
            conn,
            mode: Mode::Multiplexed,
            announced: None,
            stdin_closed: Arc::new(AtomicBool::new(false)),
            split: false,
            max_output,
            session: None,
            ended: false,
            failed: None,
        }
    }

    pub(crate) fn with_mode(mut self, mode: Mode) -> Hijacked {
        self.mode = mode;
        self
    }

    /// How the output is framed: [`Mode::Raw`] for a TTY, else [`Mode::Multiplexed`]. Set by
    /// the call that opened the stream: from the response's `Content-Type` where the daemon
    /// declares it (API 1.42+), else from the container's or exec's `Tty` flag.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The framing the daemon declared in the response's `Content-Type`, when it declared one
    /// a client can rely on (API 1.42+; see
    /// [`mode_from_content_type`](docksock_api::containers::mode_from_content_type)). `None`:
    /// [`mode`](Self::mode) came from the container's or exec's `Tty`.
    pub fn declared_mode(&self) -> Option<Mode> {
        self.announced
    }

    /// Sets the idle timeout for reads of this stream: the longest silence while waiting for
    /// output (`None`: none, the default of attach and exec).
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.conn.set_idle_timeout(timeout.into());
    }

    /// Closes the stdin direction (shutdown of the write side); the output can still be read.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the shutdown fails.
    pub fn close_stdin(&self) -> Result<()> {
        if self.split {
            return Err(Error::Config(
                "stdin belongs to the HijackedWriter of split(): close it there".into(),
            ));
        }
        self.conn.stream().shutdown_write().map_err(|e| {
            Error::io(
                format!(
                    "{}: closing stdin on {}",
                    self.conn.operation(),
                    self.conn.path().display()
                ),
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
        self.demux_as(mode)
    }

    /// The output, demultiplexed as `mode` (when the caller knows better). The connection's
    /// exchange splits the frames from the first byte not read yet.
    pub fn demux_as(mut self, mode: Mode) -> Demux<Hijacked> {
        if !self.ended {
            if let Err(e) = self.conn.set_body_mode(BodyMode::Stdcopy(mode)) {
                self.failed = Some(e);
            }
        }
        let frames = Frames {
            next: Hijacked::next_frame,
            bytes: Hijacked::frame_bytes,
            operation: self.conn.operation().to_owned(),
            max_output: self.max_output,
        };
        Demux::from_exchange(self, mode, frames)
    }

    /// The next piece of a stdcopy frame (the stream's mode set by
    /// [`demux_as`](Self::demux_as)); `None` at the end of the stream.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Piece>> {
        if let Some(e) = self.failed.take() {
            self.ended = true;
            return Err(e);
        }
        self.sync_stdin();
        loop {
            if self.ended {
                return Ok(None);
            }
            match self.conn.next_event()? {
                Step::Frame(kind, start, end) => return Ok(Some(Piece::Data(kind, start, end))),
                Step::SystemError(start, end, frame_end) => {
                    return Ok(Some(Piece::SystemError(start, end, frame_end)))
                }
                Step::Skip => {}
                Step::End => self.ended = true,
                _ => {
                    return Err(Error::Unexpected(
                        "a stdcopy stream delivered otherwise".into(),
                    ))
                }
            }
        }
    }

    /// The bytes of a piece [`next_frame`](Self::next_frame) handed out.
    pub(crate) fn frame_bytes(&self, start: usize, end: usize) -> &[u8] {
        self.conn.buffered(start, end)
    }

    /// Tells the exchange about a [`close_stdin`](Self::close_stdin).
    fn sync_stdin(&mut self) -> bool {
        let closed = self.stdin_closed.load(Ordering::Relaxed);
        if closed {
            self.conn.close_stream_input();
        }
        closed
    }

    pub(crate) fn read_inner(&mut self, out: &mut [u8]) -> Result<usize> {
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
                _ => {
                    return Err(Error::Unexpected(
                        "the stream is read as frames, not as bytes".into(),
                    ))
                }
            }
        }
    }
}

impl Read for Hijacked {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_inner(out)
            .map_err(|e| e.in_operation(self.conn.operation()).into_io())
    }
}

impl Write for Hijacked {
    /// Writes all of `data` (a hijacked stream's stdin is written whole or fails).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.split {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "stdin belongs to the HijackedWriter of split()",
            ));
        }
        if self.sync_stdin() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin was closed (close_stdin)",
            ));
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.conn
            .write_stream(data)
            .map_err(|e| e.in_operation(self.conn.operation()).into_io())?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
