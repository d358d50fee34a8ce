//! Attach over a WebSocket (`GET /containers/{id}/attach/ws`): the [`WebSocket`] duplex handle,
//! its two halves for two threads, and the client calls that open one.
//!
//! Every wire rule is the core's ([`docksock_proto::websocket`]): the handshake's key and the
//! check of the `101` (done by the connection's exchange), the frame decoder and the frame
//! encoder. This module drives them: it reads the container's output through the decoder,
//! writes stdin as masked binary frames, answers pings, and sends a close frame to end stdin.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use docksock_api::{containers, AttachOptions, Call};
use docksock_proto::timeout::TimeoutKind;
use docksock_proto::websocket::{
    apply_mask, encode_close, encode_header, FrameDecoder, FrameEvent, MessageKind, Opcode,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
};

use crate::body::Body;
use crate::client::Client;
use crate::conn::{Conn, Step, WriteFailure, WriteHalf, READ_CHUNK};
use crate::duplex::{resize, Session, Target};
use crate::error::{Error, Result};
use crate::exchange;
use crate::headers::Keep;
use crate::response::Response;

/// The largest payload of one frame this client writes: longer stdin is cut into frames of
/// this size (dockerd joins every frame's payload into the container's stdin).
const MAX_SEND_FRAME: usize = 64 * 1024;

/// The close code sent to end stdin (and echoed when the daemon closes without one): normal
/// closure (RFC 6455 §7.4.1).
const NORMAL_CLOSURE: u16 = 1000;

/// Unpredictable numbers for handshake keys and frame masks (RFC 6455 §5.3, §10.3): SipHash of
/// a counter under the random keys of std's `RandomState` (seeded from the operating system's
/// generator), so no crate is needed for them.
struct Random {
    state: RandomState,
    counter: u64,
}

impl Random {
    fn new() -> Random {
        Random {
            state: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut h = self.state.build_hasher();
        h.write_u64(self.counter);
        self.counter = self.counter.wrapping_add(1);
        h.finish()
    }

    /// A frame's masking key.
    fn mask(&mut self) -> [u8; 4] {
        let [a, b, c, d, ..] = self.next_u64().to_le_bytes();
        [a, b, c, d]
    }

    /// A handshake key: 16 random bytes.
    fn key(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        let (lo, hi) = key.split_at_mut(8);
        lo.copy_from_slice(&self.next_u64().to_le_bytes());
        hi.copy_from_slice(&self.next_u64().to_le_bytes());
        key
    }
}

/// The write side of a WebSocket, shared by the reader (pongs, the answer to the daemon's
/// close) and the writer (stdin, the close that ends it).
struct Sender {
    stream: WriteHalf,
    timeout: Option<Duration>,
    random: Random,
    /// One frame, encoded and masked.
    buf: Vec<u8>,
    /// A close frame was sent: no frame may follow it.
    close_sent: bool,
    op: Arc<str>,
}

impl Sender {
    /// Sends one frame: header, then `payload` masked with a fresh key.
    fn send(&mut self, opcode: Opcode, payload: &[u8]) -> Result<()> {
        let mask = self.random.mask();
        self.buf.clear();
        self.buf.resize(MAX_HEADER_LEN, 0);
        let n = encode_header(true, opcode, payload.len() as u64, mask, &mut self.buf)?;
        self.buf.truncate(n);
        self.buf.extend_from_slice(payload);
        if let Some(body) = self.buf.get_mut(n..) {
            apply_mask(mask, 0, body);
        }
        self.write_buf()
    }

    /// Sends stdin bytes as binary frames of at most [`MAX_SEND_FRAME`] bytes.
    fn send_data(&mut self, data: &[u8]) -> Result<()> {
        if self.close_sent {
            return Err(Error::Config(format!(
                "{}: stdin was closed (a close frame was sent)",
                self.op
            )));
        }
        for chunk in data.chunks(MAX_SEND_FRAME) {
            self.send(Opcode::Binary, chunk)?;
        }
        Ok(())
    }

    /// Sends the close frame (once).
    fn send_close(&mut self, code: Option<u16>) -> Result<()> {
        if self.close_sent {
            return Ok(());
        }
        self.close_sent = true;
        let mut frame = [0u8; MAX_HEADER_LEN + MAX_CONTROL_PAYLOAD];
        let n = encode_close(code, b"", self.random.mask(), &mut frame)?;
        self.buf.clear();
        self.buf.extend_from_slice(frame.get(..n).unwrap_or(&[]));
        self.write_buf()
    }

    /// Writes the whole buffer; the daemon taking no byte for the write timeout is
    /// [`TimeoutKind::Write`] (a deadline only progress moves).
    fn write_buf(&mut self) -> Result<()> {
        match self.stream.write_all_within(&self.buf, self.timeout) {
            Ok(()) => Ok(()),
            Err(WriteFailure::TimedOut) => {
                Err(Error::timeout(TimeoutKind::Write).in_operation(&self.op))
            }
            Err(WriteFailure::Io(e)) => Err(self.io_error(e)),
        }
    }

    fn io_error(&self, e: io::Error) -> Error {
        Error::io(format!("{}: writing a WebSocket frame", self.op), e)
    }
}

/// Locks the shared sender (a panic of the other half while it held the lock leaves it usable:
/// the frame it was writing is the only thing lost, and the socket reports what follows).
fn lock(sender: &Mutex<Sender>) -> MutexGuard<'_, Sender> {
    sender
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A write error that only means the daemon is gone (its close or the end of the output
/// tells the rest).
fn is_gone(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if matches!(
        source.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::NotConnected
    ))
}

/// One whole data message of a WebSocket ([`WebSocket::next_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Text or binary (dockerd sends binary from API 1.28 on, text before).
    pub kind: MessageKind,
    /// The payload.
    pub data: Vec<u8>,
}

/// A container attached over a WebSocket (`GET /containers/{id}/attach/ws`), once the daemon
/// has answered the handshake with a checked `101`.
///
/// * Reading: `Read` gives the container's output as a byte stream (the payloads of the data
///   messages in order); [`next_message`](Self::next_message) gives it message by message.
///   dockerd never multiplexes this stream: stdout and stderr arrive mixed, as the container
///   wrote them. Pings are answered with pongs while reading. The output ends when the daemon
///   sends its close frame (answered with a close, then [`close_code`](Self::close_code) says
///   the code) or closes the connection.
/// * Writing: `Write` sends stdin, each write as masked binary frames with fresh random
///   masking keys. [`close_stdin`](Self::close_stdin) sends the close frame: the daemon takes
///   it as the end of stdin (a container with `StdinOnce` sees EOF) and keeps sending the
///   output. Dropping the handle sends the close frame too.
/// * [`split`](Self::split) gives a reader and a writer for two threads.
///
/// The deadlines are those of [`Hijacked`](crate::Hijacked): no idle limit on reads unless
/// set with [`set_idle_timeout`](Self::set_idle_timeout), the client's write timeout on
/// writes.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use docksock::AttachOptions;
///
/// let docker = docksock::Client::from_env()?;
/// // A running container with `OpenStdin` and `StdinOnce` that runs `cat`.
/// let mut ws = docker.attach_container_websocket("my-cat", &AttachOptions::default())?;
/// ws.write_all(b"hello\n").map_err(|e| docksock::Error::from_io("stdin", e))?;
/// ws.close_stdin()?;
/// let mut out = Vec::new();
/// ws.read_to_end(&mut out).map_err(|e| docksock::Error::from_io("output", e))?;
/// assert_eq!(out, b"hello\n");
/// # Ok::<(), docksock::Error>(())
/// ```
pub struct WebSocket {
    conn: Conn,
    decoder: FrameDecoder,
    sender: Arc<Mutex<Sender>>,
    /// The write side belongs to a [`WebSocketWriter`].
    split: bool,
    /// The cap of one message read whole.
    max_message: usize,
    session: Option<Session>,
    /// The output ended (the daemon's close frame, or the end of the connection).
    ended: bool,
    /// The daemon's close frame came, with this code (`Some(None)`: without one).
    peer_close: Option<Option<u16>>,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("path", &self.conn.path())
            .field("ended", &self.ended)
            .field("peer_close", &self.peer_close)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    fn new(conn: Conn, max_message: usize, random: Random) -> Result<WebSocket> {
        let op: Arc<str> = Arc::from(conn.operation());
        let stream = conn.stream().write_half().map_err(|e| {
            Error::io(
                format!("{op}: sharing the socket {}", conn.path().display()),
                e,
            )
        })?;
        let sender = Sender {
            stream,
            timeout: conn.write_timeout_setting(),
            random,
            buf: Vec::new(),
            close_sent: false,
            op,
        };
        // A frame longer than the cap of a message could never be read whole.
        let cap = u64::try_from(max_message).unwrap_or(u64::MAX);
        Ok(WebSocket {
            conn,
            decoder: FrameDecoder::new(cap),
            sender: Arc::new(Mutex::new(sender)),
            split: false,
            max_message,
            session: None,
            ended: false,
            peer_close: None,
        })
    }

    /// Sets the idle timeout for reads: the longest silence while waiting for output
    /// (`None`: none, the default of attach).
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.conn.set_idle_timeout(timeout.into());
    }

    /// The status code of the daemon's close frame, once it came (`None` before, or when it
    /// gave no code). dockerd sends 1000 when the attach ends.
    pub fn close_code(&self) -> Option<u16> {
        self.peer_close.flatten()
    }

    /// True once the daemon's close frame came.
    pub fn is_closed_by_daemon(&self) -> bool {
        self.peer_close.is_some()
    }

    /// Ends stdin: sends the close frame (code 1000). The output can still be read until the
    /// daemon closes. Nothing is sent when a close frame went out already.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the write side belongs to a [`WebSocketWriter`]; the errors of
    /// a write ([`Error::Io`], [`Error::Timeout`] with [`TimeoutKind::Write`]), except the
    /// daemon having gone already.
    pub fn close_stdin(&self) -> Result<()> {
        if self.split {
            return Err(Error::Config(
                "stdin belongs to the WebSocketWriter of split(): close it there".into(),
            ));
        }
        match lock(&self.sender).send_close(Some(NORMAL_CLOSURE)) {
            Err(e) if is_gone(&e) => Ok(()),
            other => other,
        }
    }

    /// Sends all of `data` as stdin (binary frames).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] after [`close_stdin`](Self::close_stdin) or [`split`](Self::split);
    /// [`Error::Io`] (`EPIPE` once the daemon is gone); [`Error::Timeout`] with
    /// [`TimeoutKind::Write`].
    pub fn write_stdin(&mut self, data: &[u8]) -> Result<()> {
        if self.split {
            return Err(Error::Config(
                "stdin belongs to the WebSocketWriter of split()".into(),
            ));
        }
        lock(&self.sender).send_data(data)
    }

    /// The next whole data message, or `None` once the output ended.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] for a message longer than the client's `max_body`;
    /// [`Error::Protocol`] for a frame that breaks RFC 6455 (the core's
    /// [`PeerError`](docksock_proto::PeerError)); I/O errors and timeouts.
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        let max = self.max_message;
        let mut data = Vec::new();
        loop {
            let mut over = false;
            let piece = self.next_piece(READ_CHUNK, &mut |d| {
                if data.len().saturating_add(d.len()) > max {
                    over = true;
                } else {
                    data.extend_from_slice(d);
                }
            })?;
            if over {
                return Err(Error::TooLarge {
                    operation: self.conn.operation().to_owned(),
                    what: "a WebSocket message",
                    limit: max,
                    setting: "ClientBuilder::max_body",
                });
            }
            match piece {
                None => return Ok(None),
                Some((kind, true)) => return Ok(Some(Message { kind, data })),
                Some((_, false)) => {}
            }
        }
    }

    /// The next piece of a data message, at most `max` bytes, handed to `take`: its kind and
    /// whether it ends the message; `None` once the output ended. Pings are answered, and the
    /// daemon's close frame is answered and ends the output.
    fn next_piece(
        &mut self,
        max: usize,
        take: &mut dyn FnMut(&[u8]),
    ) -> Result<Option<(MessageKind, bool)>> {
        loop {
            if self.ended {
                return Ok(None);
            }
            if !self.conn.has_pending() {
                match self.conn.next_event()? {
                    Step::Data | Step::Skip => continue,
                    Step::End => {
                        // The daemon closed the connection: complete frames only.
                        self.ended = true;
                        self.decoder.finish().map_err(|e| self.proto_error(e))?;
                        return Ok(None);
                    }
                    _ => {
                        return Err(Error::Unexpected(format!(
                            "{}: the WebSocket stream was delivered as frames of another kind",
                            self.conn.operation()
                        )))
                    }
                }
            }
            let pending = self.conn.pending_bytes();
            let input = pending.get(..max.max(1)).unwrap_or(pending);
            let (used, event) = match self.decoder.decode(input) {
                Ok(step) => step,
                Err(e) => {
                    self.ended = true;
                    return Err(self.proto_error(e));
                }
            };
            match event {
                FrameEvent::Data {
                    kind,
                    data,
                    message_end,
                    ..
                } => {
                    take(data);
                    self.conn.consume_pending(used);
                    return Ok(Some((kind, message_end)));
                }
                FrameEvent::Ping => {
                    self.conn.consume_pending(used);
                    let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
                    let ping = self.decoder.control_payload();
                    let n = ping.len().min(MAX_CONTROL_PAYLOAD);
                    if let (Some(dst), Some(src)) = (payload.get_mut(..n), ping.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    let mut sender = lock(&self.sender);
                    if !sender.close_sent {
                        match sender.send(Opcode::Pong, payload.get(..n).unwrap_or(&[])) {
                            Err(e) if !is_gone(&e) => return Err(e),
                            _ => {}
                        }
                    }
                }
                FrameEvent::Close { code } => {
                    self.conn.consume_pending(used);
                    self.peer_close = Some(code);
                    self.ended = true;
                    // Answer with a close (echoing the code) unless one went out already.
                    match lock(&self.sender).send_close(code.or(Some(NORMAL_CLOSURE))) {
                        Err(e) if !is_gone(&e) => return Err(e),
                        _ => {}
                    }
                    return Ok(None);
                }
                _ => self.conn.consume_pending(used),
            }
        }
    }

    fn proto_error(&self, e: docksock_proto::Error) -> Error {
        Error::from(e).in_operation(self.conn.operation())
    }

    fn read_inner(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let mut n = 0;
            let piece = self.next_piece(out.len(), &mut |d| {
                if let Some(dst) = out.get_mut(..d.len()) {
                    dst.copy_from_slice(d);
                    n = d.len();
                }
            })?;
            match piece {
                None => return Ok(0),
                // An empty frame: nothing to hand out (0 would read as the end).
                Some(_) if n == 0 => {}
                Some(_) => return Ok(n),
            }
        }
    }

    /// Splits the handle into its two directions, for two threads: the [`WebSocketReader`]
    /// reads the output (and answers pings), the [`WebSocketWriter`] writes stdin; its
    /// [`close`](WebSocketWriter::close) (or drop) sends the close frame that ends stdin.
    pub fn split(mut self) -> (WebSocketReader, WebSocketWriter) {
        self.split = true;
        let writer = WebSocketWriter {
            sender: Arc::clone(&self.sender),
            session: self.session.clone(),
        };
        (WebSocketReader { inner: self }, writer)
    }

    /// Resizes the container's TTY (`POST /containers/{id}/resize`), in characters.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a handle opened with [`Client::run_websocket`] (its container is
    /// unknown); the errors of the call.
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        resize(self.session.as_ref(), height, width)
    }
}

impl Read for WebSocket {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_inner(out)
            .map_err(|e| e.in_operation(self.conn.operation()).into_io())
    }
}

impl Write for WebSocket {
    /// Writes all of `data` as stdin (written whole or failed).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_stdin(data).map_err(Error::into_io)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        if !self.split {
            let _ = lock(&self.sender).send_close(Some(NORMAL_CLOSURE));
        }
    }
}

/// The output side of a [`WebSocket::split`]: `Read` for the output bytes, or
/// [`next_message`](Self::next_message). It answers the daemon's pings and close frame.
#[derive(Debug)]
pub struct WebSocketReader {
    inner: WebSocket,
}

impl WebSocketReader {
    /// The next whole data message (see [`WebSocket::next_message`]).
    ///
    /// # Errors
    ///
    /// As [`WebSocket::next_message`].
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        self.inner.next_message()
    }

    /// Sets the idle timeout for reads (`None`: none).
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.inner.set_idle_timeout(timeout);
    }

    /// The status code of the daemon's close frame (see [`WebSocket::close_code`]).
    pub fn close_code(&self) -> Option<u16> {
        self.inner.close_code()
    }
}

impl Read for WebSocketReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inner.read(out)
    }
}

/// The stdin side of a [`WebSocket::split`]: every write goes out whole as binary frames or
/// fails; [`close`](Self::close), or dropping the writer, sends the close frame that ends
/// stdin.
pub struct WebSocketWriter {
    sender: Arc<Mutex<Sender>>,
    session: Option<Session>,
}

impl std::fmt::Debug for WebSocketWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sender = lock(&self.sender);
        f.debug_struct("WebSocketWriter")
            .field("operation", &sender.op)
            .field("closed", &sender.close_sent)
            .finish()
    }
}

impl WebSocketWriter {
    /// Sends all of `data` as stdin.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::write_stdin`].
    pub fn write_stdin(&mut self, data: &[u8]) -> Result<()> {
        lock(&self.sender).send_data(data)
    }

    /// Ends stdin: sends the close frame (once).
    ///
    /// # Errors
    ///
    /// The errors of a write, except the daemon having gone already.
    pub fn close(&mut self) -> Result<()> {
        match lock(&self.sender).send_close(Some(NORMAL_CLOSURE)) {
            Err(e) if is_gone(&e) => Ok(()),
            other => other,
        }
    }

    /// Resizes the TTY (see [`WebSocket::resize`]).
    ///
    /// # Errors
    ///
    /// As [`WebSocket::resize`].
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        resize(self.session.as_ref(), height, width)
    }
}

impl Write for WebSocketWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_stdin(data).map_err(Error::into_io)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for WebSocketWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Client {
    /// Runs an operation that opens a WebSocket (`ContainerAttachWebsocket`, or a custom call
    /// of such an endpoint): draws a random key, sends the handshake, and returns the handle
    /// once the daemon has answered with a `101` whose `Sec-WebSocket-Accept` the connection's
    /// exchange has checked.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for an error status (404 unknown container); [`Error::Protocol`] for a
    /// `101` that fails the handshake's checks
    /// ([`PeerError::WebSocketAcceptMismatch`](docksock_proto::PeerError::WebSocketAcceptMismatch)…);
    /// [`Error::Unexpected`] for a 2xx that is not `101`; connection and timeout errors.
    pub fn run_websocket(&self, call: Call<'_>) -> Result<WebSocket> {
        let v = self.api_version()?;
        let mut random = Random::new();
        let call = call.websocket_key(random.key());
        let sent = exchange::send(&self.inner, &call, Body::empty(), Some(v), Keep::All)?;
        if sent.upgraded {
            return WebSocket::new(sent.conn, self.inner.cfg.max_body, random);
        }
        let status = sent.head.status;
        let resp = Response::new(sent, Arc::clone(&self.inner));
        if !(200..300).contains(&status) {
            return Err(resp.into_error());
        }
        Err(Error::Unexpected(format!(
            "expected 101 Switching Protocols for a WebSocket, got {status} {}",
            resp.reason
        )))
    }

    /// `GET /containers/{id}/attach/ws`: the container's stdio over a WebSocket, returned once
    /// the daemon has answered the handshake (see [`WebSocket`]). The output comes
    /// unmultiplexed whatever the container's `Tty`; dockerd honours `opts.stdin`,
    /// `opts.stdout` and `opts.stderr` from API 1.42 on (before, all three are attached).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container; the errors of
    /// [`run_websocket`](Self::run_websocket).
    pub fn attach_container_websocket(&self, id: &str, opts: &AttachOptions) -> Result<WebSocket> {
        let mut ws = self.run_websocket(containers::attach_websocket(id, opts))?;
        ws.session = Some(Session {
            client: self.clone(),
            target: Target::Container(id.to_owned()),
        });
        Ok(ws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_and_masks_differ() {
        let mut a = Random::new();
        let mut b = Random::new();
        let keys = [a.key(), a.key(), b.key()];
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        assert_ne!(a.mask(), a.mask());
    }

    #[test]
    fn handles_are_send() {
        fn assert_send<T: Send>() {}
        assert_send::<WebSocket>();
        assert_send::<WebSocketReader>();
        assert_send::<WebSocketWriter>();
    }
}
