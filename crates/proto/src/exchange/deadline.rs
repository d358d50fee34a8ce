//! Deadlines: which of the connect, write, head and idle deadlines is armed, the earliest one,
//! and firing it.

use core::time::Duration;

use crate::timeout::TimeoutKind;

use super::{Conn, Exchange, Failure, Read};

/// The armed deadlines (absolute, since the adapter's origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Deadlines {
    pub(super) connect: Option<Duration>,
    pub(super) write: Option<Duration>,
    pub(super) head: Option<Duration>,
    pub(super) idle: Option<Duration>,
}

impl Exchange {
    /// The earliest armed deadline and its kind; `None` when nothing is armed. Call
    /// [`handle_timeout`](Self::handle_timeout) when it has come.
    ///
    /// * connect — from [`new`](Self::new) until a byte moves, while bytes wait to be written;
    /// * write — while bytes wait to be written, from the last written byte (or since they
    ///   were queued into an empty queue);
    /// * head — from the moment the front request is completely written (or, pipelined, the
    ///   previous response ended) until its head;
    /// * idle — from the head (or the last received byte) while a body or raw stream is open.
    ///
    /// Head and idle are suspended while reading is paused.
    pub fn poll_timeout(&self) -> Option<(Duration, TimeoutKind)> {
        if matches!(self.conn, Conn::Done(_)) {
            return None;
        }
        let mut best: Option<(Duration, TimeoutKind)> = None;
        let mut arm = |at: Option<Duration>, kind: TimeoutKind| {
            if let Some(at) = at {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, kind));
                }
            }
        };
        if self.writes.pending() {
            if !self.writes.connected {
                arm(self.deadlines.connect, TimeoutKind::Connect);
            }
            arm(self.deadlines.write, TimeoutKind::Write);
        }
        if !self.paused && !self.queue.is_empty() {
            match self.read {
                Read::Head if self.front_sent => arm(self.deadlines.head, TimeoutKind::Head),
                Read::Head => {}
                Read::Body(_) | Read::Stream(_) => arm(self.deadlines.idle, TimeoutKind::Idle),
            }
        }
        best
    }

    /// Fires the earliest deadline if it has come (`now` at or after it): the connection
    /// fails with [`Failure::Timeout`] and the kind is returned. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Duration) -> Option<TimeoutKind> {
        let (at, kind) = self.poll_timeout()?;
        if now < at {
            return None;
        }
        self.fail(Failure::Timeout(kind));
        Some(kind)
    }

    /// Starts the idle deadline again from `now` while a body or raw stream is being read.
    pub(super) fn restart_idle(&mut self, now: Duration) {
        if let (Read::Body(_) | Read::Stream(_), Some(front)) = (self.read, self.queue.front()) {
            self.deadlines.idle = front.idle_timeout.and_then(|t| now.checked_add(t));
        }
    }
}
