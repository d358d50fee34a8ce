//! The server loop: the script thread that runs the [`Step`]s in order over accepted
//! connections, reads requests by their framing, and then refuses connections until dropped.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::framing::{body_framing, chunked_end, find_head_end, Framing};
use super::{lock, Shared, Step, POLL};

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

struct Runner<'a> {
    listener: UnixListener,
    shared: &'a Shared,
    current: Option<Conn>,
    parked: Vec<Conn>,
}

pub(super) fn run(listener: UnixListener, script: Vec<Step>, shared: &Shared) {
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
            Step::ReadBytes(n) => {
                self.conn()?;
                loop {
                    let c = self.current.as_mut().expect("connection");
                    if c.buf.len() >= *n {
                        c.buf.drain(..*n);
                        break;
                    }
                    if c.eof {
                        return Err(Stop::Io(io::ErrorKind::UnexpectedEof.into()));
                    }
                    self.fill()?;
                }
            }
            Step::AcceptWebSocket(extra) => {
                let key = lock(&self.shared.requests)
                    .last()
                    .and_then(|head| websocket_key(head))
                    .unwrap_or_default();
                let accept = docksock_proto::websocket::accept_for(key.as_bytes());
                let mut answer = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    String::from_utf8_lossy(&accept)
                )
                .into_bytes();
                answer.extend_from_slice(extra);
                self.write_all(&answer)?;
            }
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

/// The `Sec-WebSocket-Key` value of a request head.
fn websocket_key(head: &[u8]) -> Option<String> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("Sec-WebSocket-Key")
                .then(|| value.trim().to_owned())
        })
}

fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
