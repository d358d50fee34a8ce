//! One connection to the daemon: the socket and the read buffer the decoder works on.
//!
//! The buffer holds the bytes received and not yet consumed, `buf[pos..end]`. The decoder is
//! given that slice; what it consumes is dropped by advancing `pos`; `fill` reads more bytes
//! after `end`, compacting or (for a long head or trailer section) growing the buffer first.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result, TimeoutKind};

/// Bytes asked for per read, and the initial buffer size.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The socket path, shared by every connection for error messages.
pub(crate) type SharedPath = Arc<Path>;

pub(crate) struct Conn {
    stream: UnixStream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The peer closed its side (a read returned 0).
    eof: bool,
    /// The connection came out of the idle pool (it carried an earlier exchange).
    pub(crate) reused: bool,
    /// The socket's read timeout as last set (`None`: never set).
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The buffer requests are encoded into, kept with the connection and reused by the next
    /// request on it (see [`take_wbuf`](Self::take_wbuf)).
    wbuf: Vec<u8>,
    /// The buffer never grows past this (a head or trailer section at the decoder's limit, plus
    /// one read).
    max_buf: usize,
    path: SharedPath,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("path", &self.path)
            .field("buffered", &(self.end - self.pos))
            .field("eof", &self.eof)
            .field("reused", &self.reused)
            .finish()
    }
}

/// True for the write/read errors that mean "the peer closed the connection".
pub(crate) fn is_closed_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
    )
}

/// True for the errors a socket timeout produces.
pub(crate) fn is_timeout_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// `set_read_timeout` rejects a zero duration; a timeout that has run out is 1 ms.
fn nonzero(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

/// How far below the wanted read timeout the socket's current one may be and still be used as
/// is (see [`Conn::fill`]).
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// The largest encode buffer kept with an idle connection; a larger one (a request with a big
/// inline body) is freed after use.
const MAX_KEPT_WBUF: usize = 16 * 1024;

impl Conn {
    /// Connects to `path`, mapping the usual failures to messages a person can act on.
    ///
    /// A Unix-socket `connect` completes or fails at once, except when the daemon's accept
    /// backlog is full; std offers no way to bound that wait, so the connect timeout is only
    /// reported when the kernel itself gives up (`EAGAIN`/`ETIMEDOUT`).
    pub(crate) fn connect(path: &SharedPath, max_buf: usize) -> Result<Conn> {
        let stream = UnixStream::connect(path).map_err(|e| connect_error(path, e))?;
        Ok(Conn::new(stream, path, max_buf))
    }

    fn new(stream: UnixStream, path: &SharedPath, max_buf: usize) -> Conn {
        Conn {
            stream,
            buf: vec![0; READ_CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            reused: false,
            read_timeout: None,
            write_timeout: None,
            wbuf: Vec::new(),
            max_buf: max_buf.max(READ_CHUNK),
            path: Arc::clone(path),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes received and not consumed yet.
    pub(crate) fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Drops `n` bytes from the front of [`unread`](Self::unread).
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.end);
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
    }

    /// The buffer position of the first byte of [`unread`](Self::unread).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The buffer bytes `start..end` (positions as from [`position`](Self::position)).
    pub(crate) fn buffered(&self, start: usize, end: usize) -> &[u8] {
        self.buf.get(start..end).unwrap_or(&[])
    }

    /// True once the peer closed its side.
    pub(crate) fn eof(&self) -> bool {
        self.eof
    }

    /// True when no byte is buffered and the peer has not closed: the connection is clean.
    pub(crate) fn is_clean(&self) -> bool {
        self.pos == self.end && !self.eof
    }

    /// Makes the socket's read timeout at most `want` and returns it. A timeout already set
    /// that is at most `want` and within [`TIMEOUT_SLACK`] of it is kept: the head deadline's
    /// remaining time differs by microseconds from one request to the next, and equals the idle
    /// timeout up to that, so a keep-alive connection makes no `setsockopt` per request. A new
    /// one is rounded down to whole milliseconds for the same reason.
    fn read_timeout_for(&mut self, want: Duration) -> io::Result<Duration> {
        let want = nonzero(want);
        if let Some(t) = self.read_timeout {
            if t <= want && want - t <= TIMEOUT_SLACK {
                return Ok(t);
            }
        }
        // Whole milliseconds, at least 1 ms (`want` is).
        let t = want - Duration::from_nanos(u64::from(want.subsec_nanos() % 1_000_000));
        self.stream.set_read_timeout(Some(t))?;
        self.read_timeout = Some(t);
        Ok(t)
    }

    pub(crate) fn set_write_timeout(&mut self, t: Duration) -> Result<()> {
        let t = Some(nonzero(t));
        if self.write_timeout != t {
            self.stream
                .set_write_timeout(t)
                .map_err(|e| Error::io(format!("configuring {}", self.path.display()), e))?;
            self.write_timeout = t;
        }
        Ok(())
    }

    /// Makes room after `end` for one read: compacts, or grows the buffer when it is full of
    /// one unfinished head or trailer section.
    fn make_room(&mut self) -> Result<()> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        }
        if self.end < self.buf.len() {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            return Ok(());
        }
        if self.buf.len() >= self.max_buf {
            // The decoder's limits stop a head or trailer section before this.
            return Err(Error::Unexpected(format!(
                "response section larger than the read buffer ({} bytes)",
                self.max_buf
            )));
        }
        let grown = self.buf.len().saturating_mul(2).min(self.max_buf);
        self.buf.resize(grown, 0);
        Ok(())
    }

    /// Reads more bytes (at least one, or EOF), waiting at most `timeout`. Returns the
    /// number of bytes read; 0 means the peer closed (then [`eof`](Self::eof) is true).
    ///
    /// The socket's read timeout may be up to [`TIMEOUT_SLACK`] shorter than `timeout` (see
    /// [`read_timeout_for`](Self::read_timeout_for)); when it runs out, the read is retried
    /// for the rest, so the wait is never cut short.
    pub(crate) fn fill(&mut self, timeout: Duration, kind: TimeoutKind) -> Result<usize> {
        if self.eof {
            return Ok(0);
        }
        self.make_room()?;
        let mut want = nonzero(timeout);
        let configure = |path: &Path, e| Error::io(format!("configuring {}", path.display()), e);
        let mut t = self
            .read_timeout_for(want)
            .map_err(|e| configure(&self.path, e))?;
        loop {
            let spare = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.stream.read(spare) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout_error(&e) && t < want => {
                    // At least `t` has passed: wait for the rest.
                    want -= t;
                    t = self
                        .read_timeout_for(want)
                        .map_err(|e| configure(&self.path, e))?;
                }
                Err(e) if is_timeout_error(&e) => return Err(Error::Timeout(kind)),
                Err(e) => {
                    return Err(Error::io(
                        format!("reading from {}", self.path.display()),
                        e,
                    ))
                }
            }
        }
    }

    /// Reads whatever is available right now without blocking. Returns true if bytes or EOF
    /// arrived (the daemon answered, or closed, while the request was still being sent).
    pub(crate) fn poll_readable(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(true);
        }
        if self.make_room().is_err() {
            return Ok(true);
        }
        self.stream.set_nonblocking(true)?;
        let spare = self.buf.get_mut(self.end..).unwrap_or(&mut []);
        let res = self.stream.read(spare);
        self.stream.set_nonblocking(false)?;
        match res {
            Ok(0) => {
                self.eof = true;
                Ok(true)
            }
            Ok(n) => {
                self.end += n;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
            // A reset with nothing to read: let the response reading see it.
            Err(e) if is_closed_error(&e) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Writes all of `data` (the write timeout must be set). Raw `io::Error` so the caller can
    /// tell a closed connection from other failures.
    pub(crate) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data)
    }

    /// The encode buffer, emptied, for the next request on this connection (the connection
    /// keeps an empty one until [`set_wbuf`](Self::set_wbuf) gives it back).
    pub(crate) fn take_wbuf(&mut self) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.wbuf);
        buf.clear();
        buf
    }

    /// Keeps `buf` as the encode buffer for the next request (unless it grew large).
    pub(crate) fn set_wbuf(&mut self, buf: Vec<u8>) {
        if buf.capacity() <= MAX_KEPT_WBUF {
            self.wbuf = buf;
        }
    }

    /// Splits the connection into its socket and the buffered bytes (after an upgrade: the
    /// first bytes of the raw stream).
    pub(crate) fn into_parts(self) -> (UnixStream, Vec<u8>, usize, usize, bool, SharedPath) {
        (
            self.stream,
            self.buf,
            self.pos,
            self.end,
            self.eof,
            self.path,
        )
    }
}

/// An actionable error for a failed connect.
fn connect_error(path: &Path, e: io::Error) -> Error {
    let p = path.display();
    let hint = match e.kind() {
        io::ErrorKind::NotFound => {
            let candidates = crate::client::socket_candidates();
            if candidates.iter().any(|c| c == path) {
                // The discovered default: say every path that was looked at.
                let tried: Vec<String> =
                    candidates.iter().map(|c| c.display().to_string()).collect();
                Some(format!(
                    "no Docker socket at {p} (looked for {}): is dockerd (or podman system \
                     service) running? (scripts/dockerd starts one)",
                    tried.join(", ")
                ))
            } else {
                Some(format!(
                    "no Docker socket at {p}: is dockerd running? (scripts/dockerd starts one)"
                ))
            }
        }
        io::ErrorKind::PermissionDenied => Some(format!(
            "permission denied on {p}: add your user to the docker group or run as root"
        )),
        io::ErrorKind::ConnectionRefused => {
            Some(format!("nothing is listening on {p} (stale socket?)"))
        }
        _ if is_timeout_error(&e) => return Error::Timeout(TimeoutKind::Connect),
        _ => None,
    };
    Error::io(hint.unwrap_or_else(|| format!("connecting to {p}")), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn pair() -> (Conn, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        let path: SharedPath = Arc::from(Path::new("/test.sock"));
        (Conn::new(a, &path, 0), b)
    }

    #[test]
    fn missing_default_socket_names_every_path_looked_at() {
        let e = io::Error::from(io::ErrorKind::NotFound);
        let text = connect_error(Path::new("/run/podman/podman.sock"), e).to_string();
        assert!(
            text.contains("no Docker socket at /run/podman/podman.sock"),
            "{text}"
        );
        assert!(
            text.contains("looked for /var/run/docker.sock, ") && text.contains("is dockerd"),
            "{text}"
        );
        let e = io::Error::from(io::ErrorKind::NotFound);
        let text = connect_error(Path::new("/elsewhere.sock"), e).to_string();
        assert!(!text.contains("looked for"), "{text}");
    }

    #[test]
    fn read_timeout_is_set_only_when_it_must_change() {
        let (mut conn, _peer) = pair();
        let secs = Duration::from_secs;
        // The head deadline's remaining time, a few microseconds under 60 s: set once, rounded
        // down to whole milliseconds.
        let t = conn
            .read_timeout_for(secs(60) - Duration::from_micros(7))
            .unwrap();
        assert_eq!(t, Duration::from_millis(59_999));
        // The next request's remaining time, and the 60 s idle timeout of a body: kept.
        for want in [secs(60) - Duration::from_micros(3), secs(60)] {
            assert_eq!(conn.read_timeout_for(want).unwrap(), t);
        }
        // Longer by more than the slack, or shorter: set.
        assert_eq!(conn.read_timeout_for(secs(61)).unwrap(), secs(61));
        assert_eq!(conn.read_timeout_for(secs(30)).unwrap(), secs(30));
        assert_eq!(conn.stream.read_timeout().unwrap(), Some(secs(30)));
        // Zero and sub-millisecond waits are 1 ms (the socket refuses 0).
        let ms = Duration::from_millis(1);
        assert_eq!(conn.read_timeout_for(Duration::ZERO).unwrap(), ms);
        assert_eq!(
            conn.read_timeout_for(Duration::from_micros(10)).unwrap(),
            ms
        );
    }

    #[test]
    fn a_shorter_socket_timeout_never_cuts_the_wait_short() {
        let (mut conn, _peer) = pair();
        // The socket keeps a timeout 4 ms under the wait asked for (within the slack)...
        let want = Duration::from_millis(60);
        let kept = conn
            .read_timeout_for(want - Duration::from_millis(4))
            .unwrap();
        assert_eq!(conn.read_timeout_for(want).unwrap(), kept);
        // ...and a silent peer still gets the whole wait before the timeout is reported.
        let started = Instant::now();
        let err = conn.fill(want, TimeoutKind::Idle).unwrap_err();
        assert!(matches!(err, Error::Timeout(TimeoutKind::Idle)), "{err:?}");
        assert!(started.elapsed() >= want, "{:?}", started.elapsed());
    }

    #[test]
    fn fill_reads_what_arrives() {
        let (mut conn, mut peer) = pair();
        peer.write_all(b"abc").unwrap();
        assert_eq!(
            conn.fill(Duration::from_secs(5), TimeoutKind::Head)
                .unwrap(),
            3
        );
        assert_eq!(conn.unread(), b"abc");
        drop(peer);
        conn.consume(3);
        assert_eq!(
            conn.fill(Duration::from_secs(5), TimeoutKind::Idle)
                .unwrap(),
            0
        );
        assert!(conn.eof());
    }

    #[test]
    fn the_encode_buffer_is_kept_unless_large() {
        let (mut conn, _peer) = pair();
        let mut buf = conn.take_wbuf();
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let ptr = buf.as_ptr();
        conn.set_wbuf(buf);
        let again = conn.take_wbuf();
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), ptr, "the same allocation");
        conn.set_wbuf(Vec::with_capacity(MAX_KEPT_WBUF + 1));
        assert_eq!(conn.take_wbuf().capacity(), 0);
    }
}
