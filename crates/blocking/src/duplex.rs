//! Duplex hijacked streams: a [`Hijacked`] split into a reader and a writer that two threads
//! use at once, the ready-made runners that pump stdin on a thread of their own while the
//! output is demultiplexed ([`Hijacked::run`], [`Client::exec_run`], [`Client::attach_run`]),
//! and TTY resizes ([`Hijacked::resize`]).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docksock_api::{containers, exec, AttachOptions, WaitOptions};
use docksock_proto::stdcopy::{Mode, StreamKind};
use docksock_proto::timeout::TimeoutKind;
use serde_json::Value;

use crate::client::Client;
use crate::conn::{WriteFailure, WriteHalf};
use crate::demux::{Demux, Frames};
use crate::error::{Error, Result};
use crate::hijack::Hijacked;

/// What a TTY resize of a hijacked stream applies to.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) target: Target,
}

/// An exec or a container.
#[derive(Clone)]
pub(crate) enum Target {
    Exec(String),
    Container(String),
}

impl Hijacked {
    /// Remembers what this stream is attached to, for [`resize`](Self::resize).
    pub(crate) fn with_session(mut self, client: &Client, target: Target) -> Hijacked {
        self.session = Some(Session {
            client: client.clone(),
            target,
        });
        self
    }

    /// Splits the stream into its two directions, for two threads: the
    /// [`HijackedReader`] reads (or demultiplexes) the output, the [`HijackedWriter`] writes
    /// stdin, and its [`close`](HijackedWriter::close) (or drop) is the half-close the
    /// container sees as the end of its stdin. Each keeps its deadlines: the reader the idle
    /// timeout (none for attach and exec unless set), the writer the client's write timeout.
    ///
    /// ```no_run
    /// use std::io::{Read, Write};
    ///
    /// let docker = docksock::Client::from_env()?;
    /// let exec = docker.create_exec(
    ///     "my-container",
    ///     &serde_json::json!({"Cmd": ["cat"], "AttachStdin": true, "AttachStdout": true}),
    /// )?;
    /// let (reader, mut writer) = docker.start_exec(&exec)?.split()?;
    /// let pump = std::thread::spawn(move || -> docksock::Result<()> {
    ///     writer.write_all(b"hello\n").map_err(|e| docksock::Error::from_io("stdin", e))?;
    ///     writer.close()
    /// });
    /// let out = reader.demux().collect_output()?;
    /// pump.join().expect("the stdin thread")?;
    /// assert_eq!(out.stdout, b"hello\n");
    /// # Ok::<(), docksock::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the socket cannot be shared between the two (`dup` failed);
    /// [`Error::Config`] when stdin was already closed.
    pub fn split(mut self) -> Result<(HijackedReader, HijackedWriter)> {
        if self.stdin_closed.load(Ordering::Relaxed) {
            return Err(Error::Config(
                "stdin is closed already: nothing to split".into(),
            ));
        }
        let op: Arc<str> = Arc::from(self.conn.operation());
        let stream = self.conn.stream().write_half().map_err(|e| {
            Error::io(
                format!("{op}: sharing the socket {}", self.conn.path().display()),
                e,
            )
        })?;
        self.split = true;
        let writer = HijackedWriter {
            stream,
            timeout: self.conn.write_timeout_setting(),
            closed: Arc::clone(&self.stdin_closed),
            op,
            session: self.session.clone(),
        };
        Ok((HijackedReader { inner: self }, writer))
    }

    /// Resizes the TTY of the exec or container this stream is attached to
    /// (`POST /exec/{id}/resize` or `POST /containers/{id}/resize`), in characters.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a stream opened with [`Client::run_hijack`] (its target is
    /// unknown); the errors of the call ([`Error::Api`] 404, or 409/500 without a TTY).
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        resize(self.session.as_ref(), height, width)
    }

    /// Runs the session: copies `stdin` (if any) to the stream on a thread of its own and
    /// closes it at its end, while the output is demultiplexed (by [`mode`](Self::mode)) into
    /// `stdout` and `stderr` on this thread, until the output ends. Memory stays bounded
    /// whatever the sizes: one buffer each way.
    ///
    /// A container that stops reading its stdin and exits (`head -c 1`) ends the output;
    /// the stdin copy's broken pipe then is no error.
    ///
    /// # Errors
    ///
    /// The output's errors (I/O, timeouts, [`Error::Stream`]); a failed write to `stdout` or
    /// `stderr` ([`Error::Io`]); the stdin copy's errors (reading `stdin`, a write timeout).
    pub fn run<I, O, E>(self, stdin: Option<I>, mut stdout: O, mut stderr: E) -> Result<()>
    where
        I: Read + Send,
        O: Write,
        E: Write,
    {
        let mode = self.mode();
        let op = self.conn.operation().to_owned();
        let (reader, mut writer) = self.split()?;
        let Some(mut stdin) = stdin else {
            writer.close()?;
            return copy_output(reader.demux_as(mode), &mut stdout, &mut stderr, &op);
        };
        let output_done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let pump = scope.spawn(|| -> Result<()> {
                let result = copy_stdin(&mut stdin, &mut writer);
                let closed = writer.close();
                match result {
                    // The output ended first: the process is gone, and its stdin with it.
                    Err(_) if output_done.load(Ordering::Acquire) => Ok(()),
                    Err(e) => Err(e),
                    Ok(()) => closed,
                }
            });
            let out = copy_output(reader.demux_as(mode), &mut stdout, &mut stderr, &op);
            output_done.store(true, Ordering::Release);
            let pumped = match pump.join() {
                Ok(r) => r,
                Err(_) => Err(Error::Unexpected(format!(
                    "{op}: the stdin thread panicked"
                ))),
            };
            out.and(pumped)
        })
    }
}

/// Copies all of `stdin` to `writer`, 64 KiB at a time.
fn copy_stdin(stdin: &mut dyn Read, writer: &mut HijackedWriter) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from_io("reading the stdin to send", e)),
        };
        writer.write_stdin(buf.get(..n).unwrap_or(&[]))?;
    }
}

/// Demultiplexes the output into `stdout` and `stderr` until it ends.
fn copy_output(
    mut demux: Demux<HijackedReader>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    op: &str,
) -> Result<()> {
    while let Some((kind, data)) = demux.next_chunk()? {
        let (written, name) = match kind {
            StreamKind::Stderr => (
                stderr.write_all(data).and_then(|()| stderr.flush()),
                "stderr",
            ),
            _ => (
                stdout.write_all(data).and_then(|()| stdout.flush()),
                "stdout",
            ),
        };
        written.map_err(|e| Error::io(format!("{op}: writing the {name} output"), e))?;
    }
    Ok(())
}

/// The output side of a [`Hijacked::split`]: `Read` for the raw output, or
/// [`demux`](Self::demux) into stdout and stderr. Reads keep the idle deadline of the stream.
pub struct HijackedReader {
    inner: Hijacked,
}

impl std::fmt::Debug for HijackedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HijackedReader")
            .field("stream", &self.inner)
            .finish()
    }
}

impl HijackedReader {
    /// How the output is framed (see [`Hijacked::mode`]).
    pub fn mode(&self) -> Mode {
        self.inner.mode()
    }

    /// Sets the idle timeout for reads (`None`: none).
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.inner.set_idle_timeout(timeout);
    }

    /// Resizes the TTY (see [`Hijacked::resize`]).
    ///
    /// # Errors
    ///
    /// As [`Hijacked::resize`].
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        self.inner.resize(height, width)
    }

    /// The output, demultiplexed according to [`mode`](Self::mode).
    pub fn demux(self) -> Demux<HijackedReader> {
        let mode = self.inner.mode();
        self.demux_as(mode)
    }

    /// The output, demultiplexed as `mode`.
    pub fn demux_as(self, mode: Mode) -> Demux<HijackedReader> {
        // The frames are split by the stream's exchange, as for `Hijacked::demux_as`.
        let inner = self.inner.demux_as(mode).into_inner();
        let frames = Frames {
            next: |r: &mut HijackedReader| r.inner.next_frame(),
            bytes: |r: &HijackedReader, a, b| r.inner.frame_bytes(a, b),
            operation: inner.conn.operation().to_owned(),
            max_output: inner.max_output,
        };
        Demux::from_exchange(HijackedReader { inner }, mode, frames)
    }
}

impl Read for HijackedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inner.read(out)
    }
}

/// The stdin side of a [`Hijacked::split`]. Every `write` sends all of its bytes or fails;
/// the daemon taking no byte for the client's write timeout is
/// [`TimeoutKind::Write`](crate::TimeoutKind::Write), a deadline that only progress moves
/// (an interrupted call or a partial write never extends it). [`close`](Self::close), or
/// dropping the writer, shuts the socket's write side: the container sees the end of stdin.
pub struct HijackedWriter {
    stream: WriteHalf,
    timeout: Option<Duration>,
    closed: Arc<AtomicBool>,
    op: Arc<str>,
    session: Option<Session>,
}

impl std::fmt::Debug for HijackedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HijackedWriter")
            .field("operation", &self.op)
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl HijackedWriter {
    /// Sends all of `data` as stdin.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] ([`TimeoutKind::Write`]) when the daemon takes no byte for the write
    /// timeout; [`Error::Io`] (`EPIPE` once the process is gone); [`Error::Config`] after
    /// [`close`](Self::close).
    pub fn write_stdin(&mut self, data: &[u8]) -> Result<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(Error::Config(format!("{}: stdin was closed", self.op)));
        }
        // One deadline from the last progress: a byte taken moves it, nothing else does.
        match self.stream.write_all_within(data, self.timeout) {
            Ok(()) => Ok(()),
            Err(WriteFailure::TimedOut) => {
                Err(Error::timeout(TimeoutKind::Write).in_operation(&self.op))
            }
            Err(WriteFailure::Io(e)) => Err(self.io_error(e)),
        }
    }

    fn io_error(&self, e: io::Error) -> Error {
        Error::io(format!("{}: writing stdin", self.op), e)
    }

    /// Closes stdin: shuts the write side of the socket (the output can still be read).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the shutdown fails (not when the daemon closed first).
    pub fn close(&mut self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match self.stream.shutdown_write() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            Err(e) => Err(Error::io(format!("{}: closing stdin", self.op), e)),
        }
    }

    /// Resizes the TTY (see [`Hijacked::resize`]).
    ///
    /// # Errors
    ///
    /// As [`Hijacked::resize`].
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        resize(self.session.as_ref(), height, width)
    }
}

impl Write for HijackedWriter {
    /// Writes all of `data` (stdin is written whole or fails).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_stdin(data).map_err(Error::into_io)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for HijackedWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

pub(crate) fn resize(session: Option<&Session>, height: u32, width: u32) -> Result<()> {
    let Some(session) = session else {
        return Err(Error::Config(
            "this stream does not know its exec or container (opened with run_hijack): resize \
             it with the resize call of docksock_api"
                .into(),
        ));
    };
    let call = match &session.target {
        Target::Exec(id) => exec::resize(id, height, width),
        Target::Container(id) => containers::resize(id, height, width),
    };
    session.client.run(call)?.body.discard();
    Ok(())
}

/// How long [`Client::exec_run`] waits for the daemon to record the exit code once the
/// output has ended.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(10);

impl Client {
    /// Runs a command in a running container (`docker exec -i`): creates the exec from
    /// `config` (`Cmd`, `Tty`, `Env`, `User`…; `AttachStdin`, `AttachStdout` and
    /// `AttachStderr` are filled in when absent), starts it attached, copies `stdin` to it on
    /// a thread of its own while its output goes to `stdout` and `stderr` (a TTY's all to
    /// `stdout`), and returns its exit code. Memory stays bounded whatever the sizes.
    ///
    /// ```no_run
    /// use serde_json::json;
    ///
    /// let docker = docksock::Client::from_env()?;
    /// let mut out = Vec::new();
    /// let code = docker.exec_run(
    ///     "my-container",
    ///     &json!({"Cmd": ["tr", "a-z", "A-Z"]}),
    ///     Some(&b"hello\n"[..]),
    ///     &mut out,
    ///     std::io::sink(),
    /// )?;
    /// assert_eq!((code, &out[..]), (0, &b"HELLO\n"[..]));
    /// # Ok::<(), docksock::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The errors of exec create, start and inspect ([`Error::Api`] 404 unknown container,
    /// 409 not running); those of [`Hijacked::run`].
    pub fn exec_run<I, O, E>(
        &self,
        container: &str,
        config: &Value,
        stdin: Option<I>,
        stdout: O,
        stderr: E,
    ) -> Result<i64>
    where
        I: Read + Send,
        O: Write,
        E: Write,
    {
        let mut config = config.clone();
        if let Some(obj) = config.as_object_mut() {
            for (key, value) in [
                ("AttachStdin", stdin.is_some()),
                ("AttachStdout", true),
                ("AttachStderr", true),
            ] {
                obj.entry(key).or_insert(Value::Bool(value));
            }
        }
        let id = self.create_exec(container, &config)?;
        self.start_exec(&id)?.run(stdin, stdout, stderr)?;
        self.exec_exit_code(&id)
    }

    /// The exit code of a finished exec: its inspect, again until the daemon has recorded it.
    fn exec_exit_code(&self, id: &str) -> Result<i64> {
        let started = Instant::now();
        loop {
            let v = self.inspect_exec(id)?;
            if v["Running"] == false {
                if let Some(code) = v["ExitCode"].as_i64() {
                    return Ok(code);
                }
            }
            if started.elapsed() > EXIT_CODE_WAIT {
                return Err(Error::Unexpected(format!(
                    "GET /exec/{id}/json: the exec's output ended but the daemon reports it \
                     running after {EXIT_CODE_WAIT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Attaches to a container, starts it if it is not running, and runs the session like
    /// [`Hijacked::run`]: `stdin` (if any) copied on a thread of its own (the container needs
    /// `OpenStdin`, and `StdinOnce` to see its end), the output into `stdout` and `stderr`.
    /// Returns the container's exit code once it has stopped.
    ///
    /// # Errors
    ///
    /// The errors of attach, start and wait; those of [`Hijacked::run`].
    pub fn attach_run<I, O, E>(
        &self,
        container: &str,
        opts: &AttachOptions,
        stdin: Option<I>,
        stdout: O,
        stderr: E,
    ) -> Result<i64>
    where
        I: Read + Send,
        O: Write,
        E: Write,
    {
        let stream = self.attach_container(container, opts)?;
        self.start_container(container)?;
        stream.run(stdin, stdout, stderr)?;
        self.wait_container(container, &WaitOptions::default())
    }
}
