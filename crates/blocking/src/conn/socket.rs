//! The socket side of a connection: reading into the buffer, writing, and the socket timeouts
//! that make every blocking call end by the exchange's earliest deadline. No protocol rule
//! here; a deadline that has come is handed to the exchange, which decides what it fails.

use std::io;
use std::time::Duration;

use crate::error::{Error, Result};

use super::{ReadSide, SocketTimeout, State, READ_CHUNK};

/// How far below the wanted socket timeout the current one may be and still be used as is
/// (see [`keep_timeout`]).
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// True for the write/read errors that mean "the peer closed the connection".
fn is_closed_error(e: &io::Error) -> bool {
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

/// A socket timeout for a wait of `want`: whole milliseconds, at least 1 ms (the socket
/// refuses 0), never more than `want` except for that minimum.
pub(crate) fn socket_timeout(want: Duration) -> Duration {
    let want = want.max(Duration::from_millis(1));
    want - Duration::from_nanos(u64::from(want.subsec_nanos() % 1_000_000))
}

/// Whether the socket's current timeout may be kept for a wait of `want`: both unbounded, or
/// the current one at most `want` and within [`TIMEOUT_SLACK`] of it. The head deadline's
/// remaining time differs by microseconds from one request to the next, so a keep-alive
/// connection makes no `setsockopt` per request.
pub(crate) fn keep_timeout(current: SocketTimeout, want: Option<Duration>) -> bool {
    match (current, want) {
        (Some(None), None) => true,
        (Some(Some(t)), Some(want)) => t <= want && want - t <= TIMEOUT_SLACK,
        _ => false,
    }
}

/// Sends what the socket takes at once (`MSG_DONTWAIT`), or waits for room until `wait` at
/// most (`poll`) and then sends. Progress is reported the moment it happens: a blocking
/// `write` with a send timeout would copy part of the data at once and report it only when
/// the timeout ran out, and a deadline moved by that late report would fire twice as late.
///
/// Returns the bytes sent (at least one) and whether it waited for room first (the time a
/// caller last read is then behind), or `TimedOut` when no room came within `wait`, or
/// `Interrupted` (the caller computes the wait again from its deadline).
pub(crate) fn send_or_wait(
    stream: impl std::os::fd::AsFd,
    data: &[u8],
    wait: Option<Duration>,
) -> io::Result<(usize, bool)> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use rustix::io::Errno;
    use rustix::net::{send, SendFlags};

    let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
    match send(&stream, data, flags) {
        Ok(n) => return Ok((n, false)),
        Err(Errno::AGAIN) => {}
        Err(e) => return Err(e.into()),
    }
    let timeout = wait.map(|w| {
        Timespec::try_from(w).unwrap_or(Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 0,
        })
    });
    let mut fds = [PollFd::new(&stream, PollFlags::OUT)];
    match poll(&mut fds, timeout.as_ref()) {
        Ok(0) => Err(io::ErrorKind::TimedOut.into()),
        Ok(_) => match send(&stream, data, flags) {
            Ok(n) => Ok((n, true)),
            Err(Errno::AGAIN) => Err(io::ErrorKind::Interrupted.into()),
            Err(e) => Err(e.into()),
        },
        Err(Errno::INTR) => Err(io::ErrorKind::Interrupted.into()),
        Err(e) => Err(e.into()),
    }
}

impl State {
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

    /// After a read that filled the buffer (more is on its way: a body that streams), reads
    /// go on in full `READ_CHUNK` pieces.
    fn grow_when_filled(&mut self) {
        if self.end == self.buf.len() && self.buf.len() < READ_CHUNK {
            self.buf.resize(READ_CHUNK, 0);
        }
    }

    /// Reads more bytes (at least one, or the end of the stream), waiting until the
    /// exchange's earliest deadline at most. A read error ends the read side (the bytes
    /// received before are still decoded, then the exchange decides).
    pub(crate) fn fill(&mut self) -> Result<()> {
        let now = self.clock();
        self.fill_at(now)
    }

    /// [`fill`](Self::fill), the clock read at `now` (just before: nothing but decoding
    /// happened since, so the time of the last I/O will do and the clock is not read again).
    pub(crate) fn fill_at(&mut self, now: Duration) -> Result<()> {
        if self.read != ReadSide::Open {
            return Ok(());
        }
        self.make_room()?;
        self.exchange.set_read_paused(false, now);
        let result = self.read_some(now);
        self.exchange.set_read_paused(true, self.last);
        result
    }

    /// One read, waiting from `now` until the earliest deadline at most.
    fn read_some(&mut self, mut now: Duration) -> Result<()> {
        loop {
            let wait = self.wait(now)?;
            let spare = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.stream.read_wait(spare, wait, &mut self.read_timeout) {
                Ok(0) => {
                    self.read = ReadSide::Eof;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.grow_when_filled();
                    let now = self.clock();
                    self.exchange.handle_read(n, now);
                    return Ok(());
                }
                // Interrupted, or the socket's timeout (at most the wait) ran out: the wait is
                // computed again from the same deadline.
                Err(e) if e.kind() == io::ErrorKind::Interrupted || is_timeout_error(&e) => {
                    now = self.clock();
                }
                Err(e) => {
                    self.exchange.handle_read_error(is_closed_error(&e));
                    self.keep_io_error(format!("reading from {}", self.path.display()), e);
                    self.read = ReadSide::Failed;
                    return Ok(());
                }
            }
        }
    }

    /// Reads whatever has arrived, without waiting. True when bytes or the end of the stream
    /// came (the daemon answered, or closed, while the request was still being sent).
    pub(crate) fn poll_arrived(&mut self) -> Result<bool> {
        if self.read != ReadSide::Open || self.make_room().is_err() {
            return Ok(true);
        }
        let spare = self.buf.get_mut(self.end..).unwrap_or(&mut []);
        let res = self.stream.read_now(spare);
        match res {
            Ok(0) => {
                self.read = ReadSide::Eof;
                Ok(true)
            }
            Ok(n) => {
                self.end += n;
                self.grow_when_filled();
                let now = self.clock();
                self.exchange.handle_read(n, now);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
            Err(e) => {
                self.exchange.handle_read_error(is_closed_error(&e));
                self.keep_io_error(format!("reading from {}", self.path.display()), e);
                self.read = ReadSide::Failed;
                Ok(true)
            }
        }
    }

    // ----- writing ---------------------------------------------------------------------------

    /// Writes all of `data` (bytes already reported queued to the exchange), waiting until the
    /// exchange's earliest deadline at most. Returns false when the write side failed: nothing
    /// more is written, and the read side decides the outcome (a complete answer may be on its
    /// way).
    ///
    /// Every caller has just read the clock (to start the request or queue these bytes), so
    /// the time starts from that reading; it is read again only after a write that had to wait
    /// for room (a write the socket takes at once takes no time to speak of).
    pub(crate) fn write_all(&mut self, mut data: &[u8]) -> Result<bool> {
        let mut now = self.last;
        while !data.is_empty() {
            if self.write_failed {
                return Ok(false);
            }
            let wait = self.wait(now)?;
            match self.stream.write_or_wait(data, wait) {
                Ok((0, _)) => self.write_error(io::ErrorKind::WriteZero.into()),
                Ok((n, waited)) => {
                    if waited {
                        now = self.clock();
                    }
                    self.exchange.handle_written(n, now)?;
                    data = data.get(n..).unwrap_or(&[]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted || is_timeout_error(&e) => {
                    now = self.clock();
                }
                Err(e) => self.write_error(e),
            }
        }
        // Bytes a transport still holds (TLS records) leave before the request counts as sent.
        while !self.write_failed && self.stream.holds_writes() {
            let wait = self.wait(now)?;
            match self.stream.flush_wait(wait) {
                Ok(true) => break,
                Ok(false) => now = self.clock(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted || is_timeout_error(&e) => {
                    now = self.clock();
                }
                Err(e) => self.write_error(e),
            }
        }
        Ok(!self.write_failed)
    }

    fn write_error(&mut self, e: io::Error) {
        let now = self.clock();
        self.exchange.handle_write_error(is_closed_error(&e), now);
        self.keep_io_error(format!("writing the request to {}", self.path.display()), e);
        self.write_failed = true;
    }

    // ----- deadlines and failures ------------------------------------------------------------

    /// How long the next blocking call may wait: until the exchange's earliest deadline
    /// (`None`: no deadline). A deadline that has come fails the connection.
    fn wait(&mut self, now: Duration) -> Result<Option<Duration>> {
        let Some((at, _)) = self.exchange.poll_timeout() else {
            return Ok(None);
        };
        match at.checked_sub(now) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => {
                self.exchange.handle_timeout(now);
                Err(self.failure())
            }
        }
    }

    /// Keeps the first socket error: it is what the failure it causes is reported as.
    fn keep_io_error(&mut self, context: String, e: io::Error) {
        if self.io_error.is_none() {
            self.io_error = Some(Error::io(context, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{get, pair};
    use super::*;
    use docksock_proto::exchange::Config;
    use docksock_proto::timeout::TimeoutKind;
    use std::io::Write;
    use std::time::Instant;

    #[test]
    fn socket_timeouts_are_set_only_when_they_must_change() {
        let secs = Duration::from_secs;
        // The head deadline's remaining time, a few microseconds under 60 s: whole ms.
        assert_eq!(
            socket_timeout(secs(60) - Duration::from_micros(7)),
            Duration::from_millis(59_999)
        );
        let t = Some(Some(Duration::from_millis(59_999)));
        // The next request's remaining time: kept.
        assert!(keep_timeout(t, Some(secs(60) - Duration::from_micros(3))));
        // Longer by more than the slack, or shorter: set.
        assert!(!keep_timeout(t, Some(secs(61))));
        assert!(!keep_timeout(t, Some(secs(30))));
        assert!(!keep_timeout(t, None));
        assert!(keep_timeout(Some(None), None));
        assert!(!keep_timeout(None, None), "never set");
        // Zero and sub-millisecond waits are 1 ms.
        let ms = Duration::from_millis(1);
        assert_eq!(socket_timeout(Duration::ZERO), ms);
        assert_eq!(socket_timeout(Duration::from_micros(10)), ms);
    }

    #[test]
    fn the_head_deadline_is_one_deadline_for_every_read() {
        let mut config = Config::DEFAULT;
        config.timeouts.head = Some(Duration::from_millis(150));
        let (mut conn, mut peer) = pair(config);
        get(&mut conn, &mut peer);
        let started = Instant::now();
        // A byte every 40 ms: each read is well within the head timeout, the head is not.
        let dripper = std::thread::spawn(move || {
            for b in b"HTTP/1.1 200 OK\r\n" {
                std::thread::sleep(Duration::from_millis(40));
                if peer.write_all(&[*b]).is_err() {
                    break;
                }
            }
        });
        let err = conn.read_head().unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: TimeoutKind::Head,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(150) && elapsed < Duration::from_millis(400),
            "{elapsed:?}"
        );
        dripper.join().unwrap();
    }

    #[test]
    fn a_silent_peer_gets_the_whole_wait() {
        let mut config = Config::DEFAULT;
        config.timeouts.head = Some(Duration::from_millis(60));
        let (mut conn, mut peer) = pair(config);
        get(&mut conn, &mut peer);
        // The socket keeps a timeout 4 ms under the wait (within the slack)...
        conn.read_timeout = Some(Some(Duration::from_millis(56)));
        let super::super::Stream::Unix(s) = &conn.stream else {
            unreachable!("a socket pair")
        };
        s.set_read_timeout(Some(Duration::from_millis(56))).unwrap();
        // ...and the head timeout is still reported only once the deadline has come.
        let started = Instant::now();
        let err = conn.read_head().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: TimeoutKind::Head,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(55),
            "{:?}",
            started.elapsed()
        );
    }
}
