//! The socket side of a connection: the read buffer, the write queue, and their counters. No
//! protocol rule here: bytes in, bytes out.

use std::io::{self, Read, Write};
use std::net::Shutdown;

use super::stream::Stream;

/// Counters of what a connection did on its socket. For tests, tuning and curiosity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Successful `read` calls that returned bytes.
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Successful `write` calls.
    pub writes: u64,
    /// Writes that took fewer bytes than offered.
    pub partial_writes: u64,
    /// Writes that hit `WouldBlock` (the rest waited for writability).
    pub write_would_block: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Times reading stopped because the read buffer was full of unconsumed bytes.
    pub read_pauses: u64,
    /// The most bytes ever held in the read buffer.
    pub peak_buffered: usize,
}

/// Where the read side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadSide {
    /// Reading when the socket is readable.
    Open,
    /// The buffer is full of bytes not decoded yet: reading waits for room.
    Full,
    /// The peer closed (a read returned 0).
    Eof,
    /// A read failed; bytes received before are still decoded.
    Failed(io::ErrorKind),
}

/// The read buffer: allocated on first use and grown (doubling from 4 KiB) up to `cap`, so idle
/// connections cost little memory. Bytes before `pos` were consumed by decoding.
#[derive(Debug)]
pub(crate) struct ReadBuf {
    buf: Vec<u8>,
    cap: usize,
    /// Start of the bytes not consumed yet.
    pub(crate) pos: usize,
    /// End of the received bytes.
    pub(crate) end: usize,
    pub(crate) side: ReadSide,
    /// Bytes arrived that were not decoded yet (the consumer has not polled since).
    pub(crate) fresh: bool,
}

impl ReadBuf {
    pub(crate) const fn new(cap: usize) -> ReadBuf {
        ReadBuf {
            buf: Vec::new(),
            cap,
            pos: 0,
            end: 0,
            side: ReadSide::Open,
            fresh: false,
        }
    }

    /// The bytes received and not consumed.
    pub(crate) fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// `buf[start..end]`, or empty if out of range (never, by construction).
    pub(crate) fn slice(&self, start: usize, end: usize) -> &[u8] {
        self.buf.get(start..end).unwrap_or(&[])
    }

    pub(crate) const fn ended(&self) -> bool {
        matches!(self.side, ReadSide::Eof | ReadSide::Failed(_))
    }

    pub(crate) fn has_room(&self) -> bool {
        self.end - self.pos < self.cap
    }

    /// Full of undecoded bytes (a decoder never needs more than the buffer holds; the buffer
    /// is sized for the decoder's limits).
    pub(crate) fn is_full(&self) -> bool {
        !self.has_room()
    }

    /// Reads until `WouldBlock`, EOF, an error, or the buffer is full. Returns the bytes read.
    pub(crate) fn fill(&mut self, stream: &Stream, stats: &mut Stats) -> usize {
        if self.ended() {
            return 0;
        }
        let mut total = 0;
        loop {
            if self.pos == self.end {
                // Everything was consumed: start over at the front (keeps touched memory small).
                self.pos = 0;
                self.end = 0;
            }
            if self.end == self.buf.len() && self.pos == 0 && self.buf.len() < self.cap {
                let grown = (self.buf.len() * 2).clamp(4096, self.cap);
                self.buf.resize(grown, 0);
            }
            if self.end == self.buf.len() && self.pos > 0 {
                // Full at the back: move the live bytes to the front.
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            let Some(space) = self.buf.get_mut(self.end..).filter(|s| !s.is_empty()) else {
                if self.side != ReadSide::Full {
                    stats.read_pauses += 1;
                }
                self.side = ReadSide::Full;
                return total;
            };
            match (&*stream).read(space) {
                Ok(0) => {
                    self.side = ReadSide::Eof;
                    return total;
                }
                Ok(n) => {
                    self.end += n;
                    total += n;
                    self.fresh = true;
                    stats.reads += 1;
                    stats.bytes_read += n as u64;
                    stats.peak_buffered = stats.peak_buffered.max(self.end - self.pos);
                }
                // Drained: mio (edge-triggered) reports the next arrival as a new event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // A signal interrupted the call before any byte moved: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.side = ReadSide::Failed(e.kind());
                    return total;
                }
            }
        }
        self.side = ReadSide::Open;
        total
    }
}

/// Where the write side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteSide {
    Open,
    /// Half-close once the queue is written.
    ShutdownPending,
    Shut,
    Failed(io::ErrorKind),
}

/// The write queue: bytes encoded and not yet written.
#[derive(Debug)]
pub(crate) struct WriteQueue {
    buf: Vec<u8>,
    pos: usize,
    pub(crate) side: WriteSide,
}

impl WriteQueue {
    pub(crate) const fn new() -> WriteQueue {
        WriteQueue {
            buf: Vec::new(),
            pos: 0,
            side: WriteSide::Open,
        }
    }

    /// The queue to append to.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Bytes waiting.
    pub(crate) fn waiting(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Drops the bytes not written yet (an early answer: they will never be sent).
    pub(crate) fn drop_unwritten(&mut self) {
        self.buf.truncate(self.pos);
    }

    /// Undoes an append that the exchange refused.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.buf.truncate(len.max(self.pos));
    }

    pub(crate) fn wants_writable(&self) -> bool {
        self.waiting() > 0 && self.side != WriteSide::Shut
            || self.side == WriteSide::ShutdownPending
    }

    /// Writes until `WouldBlock` or the queue is empty, then half-closes if asked. Returns
    /// the bytes written.
    pub(crate) fn flush(&mut self, stream: &Stream, stats: &mut Stats) -> usize {
        if matches!(self.side, WriteSide::Failed(_)) {
            return 0;
        }
        let mut total = 0;
        while let Some(rest) = self.buf.get(self.pos..).filter(|r| !r.is_empty()) {
            match (&*stream).write(rest) {
                Ok(0) => {
                    self.failed(io::ErrorKind::WriteZero);
                    return total;
                }
                Ok(n) => {
                    if n < rest.len() {
                        stats.partial_writes += 1;
                    }
                    self.pos += n;
                    total += n;
                    stats.writes += 1;
                    stats.bytes_written += n as u64;
                }
                // The socket buffer is full: the rest waits for a writable event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    stats.write_would_block += 1;
                    break;
                }
                // A signal interrupted the call before any byte moved: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failed(e.kind());
                    return total;
                }
            }
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.side == WriteSide::ShutdownPending {
                self.side = match stream.shutdown(Shutdown::Write) {
                    Ok(()) => WriteSide::Shut,
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => WriteSide::Shut,
                    Err(e) => WriteSide::Failed(e.kind()),
                };
            }
        } else if self.pos >= 64 * 1024 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        total
    }

    /// The write side failed: nothing more is written.
    fn failed(&mut self, kind: io::ErrorKind) {
        self.side = WriteSide::Failed(kind);
        self.buf.clear();
        self.pos = 0;
    }

    /// Frees the queue (the connection closed).
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
        self.pos = 0;
    }
}

/// True for the errors that say the peer closed the connection.
pub(crate) fn is_reset(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
    )
}
