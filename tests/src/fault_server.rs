//! A scripted Unix-socket server for fault-injection tests.
//!
//! [`FaultServer::start`] binds a fresh socket in a private temporary directory and runs a
//! [`Step`] script on a background thread. Steps run strictly in order, one at a time, across
//! connections: a script can read a request, answer it partly, drip bytes, close mid-response, hang,
//! then accept the client's next connection and answer differently.
//!
//! ```no_run
//! use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};
//! use std::time::Duration;
//!
//! let server = FaultServer::start(vec![
//!     Step::ReadRequest,
//!     Step::write(&dockerd_ping_response()[..40]), // half a head...
//!     Step::Close,                                 // ...then EOF
//!     Step::ReadRequest,                           // the client's retry, on a new connection
//!     Step::Drip { bytes: dockerd_ping_response(), delay: Duration::from_millis(1) },
//! ]);
//! // point the client at server.path() ...
//! assert!(server.wait_finished(Duration::from_secs(5)));
//! assert_eq!(server.connections(), 2);
//! ```
//!
//! Connection rules:
//! * Steps that need a connection ([`Step::ReadRequest`], [`Step::ReadHead`], [`Step::ReadBody`],
//!   [`Step::ReadToEof`], [`Step::Write`], [`Step::Drip`], [`Step::ShutdownWrite`], [`Step::Hang`],
//!   [`Step::Close`]) accept the next connection first if there is no current one. So a script need
//!   not start with [`Step::Accept`], and after a [`Step::Close`] the next reading/writing step waits
//!   for the client's next connection.
//! * [`Step::Accept`] closes the current connection (if any) and accepts the next one.
//! * [`Step::Hang`] parks the current connection: it stays open, unread and unanswered, until the
//!   server is dropped; the script then goes on (without a current connection).
//! * When the script is over, the current connection is closed (EOF for the client), parked ones
//!   stay open, and any further connection is accepted (counted in [`FaultServer::connections`])
//!   and closed at once.
//! * I/O errors (the client went away) do not stop the script; they are collected in
//!   [`FaultServer::errors`], and later steps on that connection fail quietly the same way.
//! * Closing a Unix socket that still has unread received bytes makes Linux report `ECONNRESET`
//!   to the peer (after the peer has read everything already sent) instead of a clean EOF. Read
//!   the request before [`Step::Close`] if the test needs a clean EOF.
//!
//! Dropping the [`FaultServer`] stops the thread within about 50 ms wherever the script is (every
//! wait polls a stop flag), closes all connections and removes the socket and its directory.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often blocked operations wake up to check the stop flag.
const POLL: Duration = Duration::from_millis(10);

/// One step of a [`FaultServer`] script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Read one whole HTTP request: the head up to the empty line, then its body (`Content-Length`
    /// bytes, or a chunked body through the last chunk and trailers; `Transfer-Encoding: chunked`
    /// wins over `Content-Length`). The raw bytes are recorded as one entry of
    /// [`FaultServer::requests`]. Bytes after the request (a pipelined request) stay buffered for
    /// the next read step. Same as [`Step::ReadHead`] followed by [`Step::ReadBody`].
    ReadRequest,
    /// Read only a request head (through the empty line) and record it as a new entry of
    /// [`FaultServer::requests`]. Use with [`Step::ReadBody`] to answer `Expect: 100-continue`
    /// (`ReadHead, Write(100 Continue), ReadBody, Write(response)`) or to answer before the body.
    ReadHead,
    /// Read the body announced by the last head read on this connection and append it to the last
    /// entry of [`FaultServer::requests`].
    ReadBody,
    /// Read until the client shuts down its write side or closes (bytes only show in
    /// [`FaultServer::received`]). For hijacked-stream tests.
    ReadToEof,
    /// Write these bytes (all of them, in as few writes as the kernel allows).
    Write(Vec<u8>),
    /// Write the bytes one at a time, waiting `delay` between two bytes.
    Drip {
        /// The bytes to send.
        bytes: Vec<u8>,
        /// The pause between two single-byte writes.
        delay: Duration,
    },
    /// Write `chunk` this many times (a large hostile body in constant memory: 64 KiB × 16384
    /// is 1 GiB). Stops quietly when the client goes away.
    Repeat {
        /// The bytes written each time.
        chunk: Vec<u8>,
        /// How many times.
        times: u64,
    },
    /// Do nothing for this long (the current connection stays as it is).
    Sleep(Duration),
    /// Close the current connection (the client sees EOF).
    Close,
    /// Shut down the write side of the current connection (the client sees EOF; the server can
    /// still read).
    ShutdownWrite,
    /// Keep the current connection open without reading or answering until the server is dropped.
    Hang,
    /// Close the current connection, if any, and take the next one.
    Accept,
}

impl Step {
    /// `Step::Write` from anything byte-like: `Step::write("HTTP/1.1 204 No Content\r\n\r\n")`.
    pub fn write(bytes: impl AsRef<[u8]>) -> Step {
        Step::Write(bytes.as_ref().to_vec())
    }

    /// `Step::Drip` from anything byte-like.
    pub fn drip(bytes: impl AsRef<[u8]>, delay: Duration) -> Step {
        Step::Drip {
            bytes: bytes.as_ref().to_vec(),
            delay,
        }
    }
}

/// The exact bytes dockerd 20.10.24 (API 1.41) sent for `GET /v1.41/_ping`: 289 bytes, a
/// `Content-Length: 2` response with body `OK` (recorded in `tests/wire/ping_get_v141.response`).
pub fn dockerd_ping_response() -> Vec<u8> {
    include_bytes!("../wire/ping_get_v141.response").to_vec()
}

/// State shared between the handle and the script thread.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    connections: AtomicUsize,
    requests: Mutex<Vec<Vec<u8>>>,
    received: Mutex<Vec<Vec<u8>>>,
    errors: Mutex<Vec<String>>,
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A scripted Unix-socket server; see the [module docs](self).
pub struct FaultServer {
    dir: PathBuf,
    path: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultServer")
            .field("path", &self.path)
            .field("connections", &self.connections())
            .field("requests", &lock(&self.shared.requests).len())
            .finish()
    }
}

impl FaultServer {
    /// Bind a new socket in a fresh temporary directory and run `script` on a background thread.
    /// The socket is listening when this returns, so a client may connect at once.
    ///
    /// Panics if the directory or the socket cannot be created.
    pub fn start(script: Vec<Step>) -> FaultServer {
        let dir = make_temp_dir();
        let path = dir.join("fault.sock");
        let listener = UnixListener::bind(&path)
            .unwrap_or_else(|e| panic!("fault_server: bind {}: {e}", path.display()));
        listener
            .set_nonblocking(true)
            .expect("fault_server: set_nonblocking");
        let shared = Arc::new(Shared::default());
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fault-server".into())
                .spawn(move || run(listener, script, &shared))
                .expect("fault_server: spawn thread")
        };
        FaultServer {
            dir,
            path,
            shared,
            thread: Some(thread),
        }
    }

    /// The socket path to connect to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw requests read so far, in order, across connections (one entry per
    /// [`Step::ReadRequest`] or [`Step::ReadHead`]; a request cut short by EOF is recorded as far as
    /// it arrived). An entry is recorded before the next step runs, so once the client has seen the
    /// answer to a request, that request is here.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.requests).clone()
    }

    /// Every byte read so far, one entry per accepted connection (including bytes read by
    /// [`Step::ReadToEof`] and bytes buffered beyond the last request).
    pub fn received(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.received).clone()
    }

    /// How many connections have been accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// I/O errors met while running the script (e.g. a write to a client that has gone away).
    pub fn errors(&self) -> Vec<String> {
        lock(&self.shared.errors).clone()
    }

    /// Wait until every step of the script has run. Returns `false` on timeout.
    pub fn wait_finished(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut done = lock(&self.shared.finished);
        while !*done {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = self
                .shared
                .finished_cv
                .wait_timeout(done, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Whether every step of the script has run.
    pub fn is_finished(&self) -> bool {
        *lock(&self.shared.finished)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // The thread polls the stop flag every POLL; a panic there is already reported.
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn make_temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = base.join(format!(
            "docksock-fault-{}-{n}-{nanos:08x}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return dir,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("fault_server: create {}: {e}", dir.display()),
        }
    }
}

/// Why an operation did not complete.
enum Stop {
    /// The server is being dropped: end the script.
    Stopped,
    /// The connection failed or hit EOF; the script goes on.
    Io(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

/// One accepted connection.
struct Conn {
    stream: UnixStream,
    /// Index into `Shared::received`.
    index: usize,
    /// Bytes read but not yet consumed by a read step.
    buf: Vec<u8>,
    /// Body framing of the last head read on this connection.
    pending_body: Option<Framing>,
    /// The peer has shut down its write side (or the read side failed).
    eof: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

struct Runner<'a> {
    listener: UnixListener,
    shared: &'a Shared,
    current: Option<Conn>,
    parked: Vec<Conn>,
}

fn run(listener: UnixListener, script: Vec<Step>, shared: &Shared) {
    let mut r = Runner {
        listener,
        shared,
        current: None,
        parked: Vec::new(),
    };
    for step in &script {
        if r.stopped() {
            break;
        }
        match r.step(step) {
            Ok(()) => {}
            Err(Stop::Stopped) => break,
            Err(Stop::Io(e)) => lock(&shared.errors).push(format!("{step:?}: {e}")),
        }
    }
    r.current = None;
    {
        *lock(&shared.finished) = true;
        shared.finished_cv.notify_all();
    }
    // Script over: refuse (accept + close) further connections until dropped.
    while !r.stopped() {
        match r.listener.accept() {
            Ok((s, _)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                lock(&shared.received).push(Vec::new());
                drop(s);
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
    // Dropping `r` closes the parked connections and the listener.
}

impl Runner<'_> {
    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn step(&mut self, step: &Step) -> Result<(), Stop> {
        match step {
            Step::Accept => {
                self.current = None;
                self.accept()?;
            }
            Step::Sleep(d) => self.sleep(*d)?,
            Step::ReadRequest => {
                self.read_head()?;
                self.read_body()?;
            }
            Step::ReadHead => self.read_head()?,
            Step::ReadBody => self.read_body()?,
            Step::ReadToEof => {
                self.conn()?;
                loop {
                    let c = self.current.as_mut().expect("connection");
                    let taken = std::mem::take(&mut c.buf);
                    drop(taken);
                    if c.eof {
                        break;
                    }
                    self.fill()?;
                }
            }
            Step::Write(bytes) => self.write_all(bytes)?,
            Step::Repeat { chunk, times } => {
                for _ in 0..*times {
                    self.write_all(chunk)?;
                }
            }
            Step::Drip { bytes, delay } => {
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        self.sleep(*delay)?;
                    }
                    self.write_all(std::slice::from_ref(b))?;
                }
            }
            Step::Close => {
                self.conn()?;
                self.current = None;
            }
            Step::ShutdownWrite => {
                let c = self.conn()?;
                c.stream.shutdown(Shutdown::Write)?;
            }
            Step::Hang => {
                self.conn()?;
                if let Some(c) = self.current.take() {
                    self.parked.push(c);
                }
            }
        }
        Ok(())
    }

    fn sleep(&self, d: Duration) -> Result<(), Stop> {
        let deadline = Instant::now() + d;
        loop {
            if self.stopped() {
                return Err(Stop::Stopped);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            std::thread::sleep((deadline - now).min(POLL));
        }
    }

    fn accept(&mut self) -> Result<&mut Conn, Stop> {
        let stream = loop {
            if self.stopped() {
                return Err(Stop::Stopped);
            }
            match self.listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Stop::Io(e)),
            }
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(POLL))?;
        self.shared.connections.fetch_add(1, Ordering::SeqCst);
        let index = {
            let mut rec = lock(&self.shared.received);
            rec.push(Vec::new());
            rec.len() - 1
        };
        self.current = Some(Conn {
            stream,
            index,
            buf: Vec::new(),
            pending_body: None,
            eof: false,
        });
        Ok(self.current.as_mut().expect("just set"))
    }

    /// The current connection, accepting one if there is none.
    fn conn(&mut self) -> Result<&mut Conn, Stop> {
        if self.current.is_none() {
            self.accept()?;
        }
        Ok(self.current.as_mut().expect("connection"))
    }

    /// Read more bytes into the current connection's buffer (at least one, or EOF).
    fn fill(&mut self) -> Result<(), Stop> {
        let shared = self.shared;
        let stop = &shared.stop;
        let c = self.current.as_mut().expect("connection");
        if c.eof {
            return Err(Stop::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        let mut tmp = [0u8; 16 * 1024];
        loop {
            if stop.load(Ordering::SeqCst) {
                return Err(Stop::Stopped);
            }
            match c.stream.read(&mut tmp) {
                Ok(0) => {
                    c.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    c.buf.extend_from_slice(&tmp[..n]);
                    lock(&shared.received)[c.index].extend_from_slice(&tmp[..n]);
                    return Ok(());
                }
                Err(e) if is_retry(&e) => {}
                Err(e) => {
                    c.eof = true;
                    return Err(Stop::Io(e));
                }
            }
        }
    }

    fn read_head(&mut self) -> Result<(), Stop> {
        self.conn()?;
        loop {
            let c = self.current.as_mut().expect("connection");
            if let Some(end) = find_head_end(&c.buf) {
                let head: Vec<u8> = c.buf.drain(..end).collect();
                c.pending_body = Some(body_framing(&head));
                lock(&self.shared.requests).push(head);
                return Ok(());
            }
            if c.eof {
                let partial = std::mem::take(&mut c.buf);
                c.pending_body = None;
                if !partial.is_empty() {
                    lock(&self.shared.requests).push(partial);
                }
                return Err(Stop::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "EOF before a complete request head",
                )));
            }
            self.fill()?;
        }
    }

    fn read_body(&mut self) -> Result<(), Stop> {
        self.conn()?;
        let framing = self
            .current
            .as_mut()
            .expect("connection")
            .pending_body
            .take();
        let framing = match framing {
            Some(f) => f,
            None => return Ok(()),
        };
        loop {
            let c = self.current.as_mut().expect("connection");
            let need = match framing {
                Framing::Length(n) => (c.buf.len() >= n).then_some(n),
                Framing::Chunked => chunked_end(&c.buf),
            };
            let take = match need {
                Some(n) => Some(n),
                None if c.eof => Some(c.buf.len()),
                None => None,
            };
            if let Some(n) = take {
                let body: Vec<u8> = c.buf.drain(..n).collect();
                let mut reqs = lock(&self.shared.requests);
                match reqs.last_mut() {
                    Some(last) => last.extend_from_slice(&body),
                    None => reqs.push(body),
                }
                drop(reqs);
                if need.is_none() {
                    return Err(Stop::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "EOF before the end of the request body",
                    )));
                }
                return Ok(());
            }
            self.fill()?;
        }
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), Stop> {
        let shared = self.shared;
        let stop = &shared.stop;
        let c = self.conn()?;
        while !bytes.is_empty() {
            if stop.load(Ordering::SeqCst) {
                return Err(Stop::Stopped);
            }
            match c.stream.write(bytes) {
                Ok(0) => return Err(Stop::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if is_retry(&e) => {}
                Err(e) => return Err(Stop::Io(e)),
            }
        }
        Ok(())
    }
}

fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// The end (exclusive) of a request head: just after the first empty line (`\r\n\r\n` or a bare
/// `\n\n`). Leading empty lines before the request line are skipped as RFC 9112 allows.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    // Skip leading CRLFs / LFs.
    while start < buf.len() && (buf[start] == b'\r' || buf[start] == b'\n') {
        start += 1;
    }
    let mut i = start;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        if rest.starts_with(b"\n") {
            return Some(nl + 2);
        }
        if rest.is_empty() || rest == b"\r" {
            return None;
        }
        i = nl + 1;
    }
    None
}

/// The body framing a request head announces.
fn body_framing(head: &[u8]) -> Framing {
    let text = String::from_utf8_lossy(head);
    let mut length = 0usize;
    let mut chunked = false;
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            if value
                .to_ascii_lowercase()
                .split(',')
                .any(|t| t.trim() == "chunked")
            {
                chunked = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        }
    }
    if chunked {
        Framing::Chunked
    } else {
        Framing::Length(length)
    }
}

/// The length of a complete chunked body at the start of `buf` (through the last chunk, the
/// trailers and the final empty line), or `None` if more bytes are needed. Malformed size lines
/// end the body where they start, so a broken request cannot stall the script.
fn chunked_end(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let line_end = pos + buf[pos..].iter().position(|&b| b == b'\n')?;
        let line = String::from_utf8_lossy(&buf[pos..line_end]);
        let size_text = line
            .trim_end_matches('\r')
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        let size = match usize::from_str_radix(size_text, 16) {
            Ok(s) => s,
            Err(_) => return Some(pos),
        };
        pos = line_end + 1;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let end = pos + buf[pos..].iter().position(|&b| b == b'\n')?;
                let empty = buf[pos..end].iter().all(|&b| b == b'\r');
                pos = end + 1;
                if empty {
                    return Some(pos);
                }
            }
        }
        // Data, then CRLF (or a bare LF).
        if buf.len() < pos + size + 1 {
            return None;
        }
        pos += size;
        if buf[pos] == b'\r' {
            if buf.len() < pos + 2 {
                return None;
            }
            pos += 2;
        } else {
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: &[u8] = b"GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";

    fn connect(server: &FaultServer) -> UnixStream {
        let s = UnixStream::connect(server.path()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    fn read_to_eof(s: &mut UnixStream) -> Vec<u8> {
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("read to EOF");
        out
    }

    #[test]
    fn ping_response_is_the_recording() {
        let r = dockerd_ping_response();
        assert_eq!(r.len(), 289);
        assert!(r.starts_with(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"));
        assert!(r.ends_with(b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOK"));
    }

    #[test]
    fn write_and_read() {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::Write(dockerd_ping_response()),
        ]);
        assert!(server.path().exists());
        let mut c = connect(&server);
        c.write_all(PING).unwrap();
        assert_eq!(read_to_eof(&mut c), dockerd_ping_response());
        assert!(server.wait_finished(Duration::from_secs(5)));
        assert_eq!(server.requests(), vec![PING.to_vec()]);
        assert_eq!(server.received(), vec![PING.to_vec()]);
        assert_eq!(server.connections(), 1);
        assert!(server.errors().is_empty(), "{:?}", server.errors());
    }

    #[test]
    fn pipelined_requests_with_bodies_are_split() {
        let post = b"POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}".to_vec();
        let chunked = b"POST /build HTTP/1.1\r\nHost: docker\r\ntransfer-encoding: Chunked\r\nContent-Length: 99\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n".to_vec();
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::ReadRequest,
            Step::ReadRequest,
            Step::write("HTTP/1.1 204 No Content\r\n\r\n"),
        ]);
        let mut c = connect(&server);
        let mut all = post.clone();
        all.extend_from_slice(&chunked);
        all.extend_from_slice(PING);
        // Split at an awkward place to exercise partial reads.
        c.write_all(&all[..70]).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        c.write_all(&all[70..]).unwrap();
        assert_eq!(read_to_eof(&mut c), b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(server.requests(), vec![post, chunked, PING.to_vec()]);
    }

    #[test]
    fn head_then_body_for_expect_continue() {
        let head =
            b"POST /x HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
        let server = FaultServer::start(vec![
            Step::ReadHead,
            Step::write("HTTP/1.1 100 Continue\r\n\r\n"),
            Step::ReadBody,
            Step::write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ]);
        let mut c = connect(&server);
        c.write_all(head).unwrap();
        let mut interim = [0u8; 25];
        c.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        c.write_all(b"body").unwrap();
        assert_eq!(
            read_to_eof(&mut c),
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        );
        let mut want = head.to_vec();
        want.extend_from_slice(b"body");
        assert_eq!(server.requests(), vec![want]);
    }

    #[test]
    fn drip_sends_one_byte_at_a_time() {
        let bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
        let delay = Duration::from_millis(10);
        let server = FaultServer::start(vec![Step::ReadRequest, Step::drip(&bytes, delay)]);
        let mut c = connect(&server);
        c.write_all(PING).unwrap();
        let started = Instant::now();
        let mut got = Vec::new();
        let mut reads = 0;
        let mut buf = [0u8; 64];
        loop {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            reads += 1;
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, bytes);
        assert!(started.elapsed() >= delay * (bytes.len() as u32 - 1));
        // Nearly every read sees a single byte (allow for scheduling hiccups).
        assert!(
            reads >= bytes.len() / 2,
            "{reads} reads for {} bytes",
            bytes.len()
        );
    }

    #[test]
    fn close_mid_response() {
        let resp = dockerd_ping_response();
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write(&resp[..100]),
            Step::Close,
        ]);
        let mut c = connect(&server);
        c.write_all(PING).unwrap();
        assert_eq!(read_to_eof(&mut c), &resp[..100]);
        assert!(server.wait_finished(Duration::from_secs(5)));
    }

    #[test]
    fn shutdown_write_then_keep_reading() {
        let server = FaultServer::start(vec![
            Step::write("early"),
            Step::ShutdownWrite,
            Step::ReadRequest,
            Step::ReadToEof,
        ]);
        let mut c = connect(&server);
        assert_eq!(read_to_eof(&mut c), b"early");
        c.write_all(PING).unwrap();
        c.write_all(b"raw stdin").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert!(server.wait_finished(Duration::from_secs(5)));
        assert_eq!(server.requests(), vec![PING.to_vec()]);
        let mut all = PING.to_vec();
        all.extend_from_slice(b"raw stdin");
        assert_eq!(server.received(), vec![all]);
    }

    #[test]
    fn hang_times_out_the_client_and_drop_releases_it() {
        let server = FaultServer::start(vec![Step::ReadRequest, Step::Hang]);
        let mut c = connect(&server);
        c.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        c.write_all(PING).unwrap();
        let mut buf = [0u8; 16];
        let err = c.read(&mut buf).expect_err("no answer while hanging");
        assert!(matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
        assert!(
            server.wait_finished(Duration::from_secs(5)),
            "Hang parks, the script ends"
        );
        assert_eq!(server.requests(), vec![PING.to_vec()]);
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(1));
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(
            c.read(&mut buf).unwrap(),
            0,
            "EOF once the server is dropped"
        );
    }

    #[test]
    fn steps_continue_on_the_next_connection() {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"),
            Step::Close,
            Step::ReadRequest,
            Step::Write(dockerd_ping_response()),
            Step::Accept,
            Step::write("third"),
        ]);
        let mut a = connect(&server);
        a.write_all(PING).unwrap();
        assert_eq!(
            read_to_eof(&mut a),
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"
        );
        let mut b = connect(&server);
        b.write_all(PING).unwrap();
        assert_eq!(read_to_eof(&mut b), dockerd_ping_response());
        let mut c = connect(&server);
        assert_eq!(read_to_eof(&mut c), b"third");
        assert!(server.wait_finished(Duration::from_secs(5)));
        assert_eq!(server.connections(), 3);
        assert_eq!(server.requests().len(), 2);
        // After the script: connections are accepted and closed at once.
        let mut d = connect(&server);
        assert_eq!(read_to_eof(&mut d), b"");
    }

    #[test]
    fn hang_then_accept_keeps_the_first_connection_open() {
        let server = FaultServer::start(vec![Step::Hang, Step::Accept, Step::write("second")]);
        let mut a = connect(&server);
        let mut b = connect(&server);
        assert_eq!(read_to_eof(&mut b), b"second");
        a.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 4];
        assert!(
            a.read(&mut buf).is_err(),
            "first connection still open and silent"
        );
    }

    #[test]
    fn eof_mid_request_records_the_partial_request() {
        let server = FaultServer::start(vec![Step::ReadRequest, Step::write("never read")]);
        let mut c = connect(&server);
        c.write_all(b"GET /_ping HTTP/1.1\r\nHo").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert!(server.wait_finished(Duration::from_secs(5)));
        assert_eq!(
            server.requests(),
            vec![b"GET /_ping HTTP/1.1\r\nHo".to_vec()]
        );
        assert_eq!(server.errors().len(), 1, "{:?}", server.errors());
        assert_eq!(read_to_eof(&mut c), b"never read");
    }

    #[test]
    fn drop_does_not_block_on_pending_steps() {
        // Waiting for a connection that never comes.
        let server = FaultServer::start(vec![Step::ReadRequest]);
        let path = server.path().to_path_buf();
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(!path.exists(), "socket removed");
        assert!(!path.parent().unwrap().exists(), "directory removed");

        // Waiting for a request from an idle client, and in a long sleep.
        for script in [
            vec![Step::ReadRequest],
            vec![Step::Accept, Step::Sleep(Duration::from_secs(60))],
        ] {
            let server = FaultServer::start(script);
            let mut c = connect(&server);
            std::thread::sleep(Duration::from_millis(50));
            let started = Instant::now();
            drop(server);
            assert!(started.elapsed() < Duration::from_secs(1));
            assert_eq!(read_to_eof(&mut c), b"");
        }

        // Writing a big response to a client that never reads.
        let server = FaultServer::start(vec![Step::Write(vec![b'x'; 8 << 20])]);
        let _c = connect(&server);
        std::thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn head_end_and_chunked_parsing() {
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\nrest"), Some(16));
        assert_eq!(
            find_head_end(b"\r\nGET / HTTP/1.1\r\nA: b\r\n\r\n"),
            Some(26)
        );
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r"), None);
        assert_eq!(chunked_end(b"0\r\n\r\nNEXT"), Some(5));
        assert_eq!(chunked_end(b"3\r\nabc\r\n0\r\n\r\n"), Some(13));
        assert_eq!(chunked_end(b"3\r\nabc\r\n0\r\n"), None);
        assert_eq!(chunked_end(b"3\r\nab"), None);
        assert_eq!(chunked_end(b"zz\r\n"), Some(0));
        assert_eq!(
            body_framing(b"POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\n"),
            Framing::Length(7)
        );
        assert_eq!(body_framing(b"GET / HTTP/1.1\r\n\r\n"), Framing::Length(0));
    }
}
