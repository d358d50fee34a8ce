//! Turning the exchange's events into [`Output`]s: positions in the read buffer while an event
//! waits, slices when it is handed out. Every decision is the exchange's; this only moves
//! bytes and translates failures into [`Error`]s.

use std::io;

use docksock_proto::exchange::{Event, Failure};
use docksock_proto::stdcopy::StreamKind;
use docksock_proto::{BodyKind, Headers, PeerError, Version};

use super::io::{ReadSide, WriteSide};
use super::{Connection, Life};
use crate::error::Error;
use crate::output::{Output, RequestId, ResponseHead};

/// An event ready to be handed out, described by positions in the read buffer so that no
/// borrow is held while it is being found. Events with positions are handed out as soon as
/// they are made (the buffer does not move before that); only position-free ones wait in
/// the queue.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pending {
    Head {
        id: RequestId,
        version: Version,
        status: u16,
        reason: (usize, usize),
        fields: (usize, usize),
        body: BodyKind,
        keep_alive: bool,
    },
    Data {
        id: RequestId,
        range: (usize, usize),
    },
    Json {
        id: RequestId,
        range: (usize, usize),
    },
    JsonAssembled {
        id: RequestId,
    },
    Frame {
        id: RequestId,
        stream: StreamKind,
        range: (usize, usize),
    },
    SystemError {
        id: RequestId,
        range: (usize, usize),
    },
    Upgraded {
        id: RequestId,
    },
    End {
        id: RequestId,
    },
    WriteReady {
        id: RequestId,
    },
    Error {
        id: RequestId,
        error: Error,
    },
    Closed {
        error: Option<Error>,
    },
}

/// What one decoding step produced.
enum Step {
    Ready(Pending),
    Continue,
    Idle,
}

impl Connection {
    /// The next output, decoding more when none waits.
    pub(crate) fn next_ready(&mut self) -> Option<Pending> {
        if self.json_stale {
            self.json_buf.clear();
            self.json_stale = false;
        }
        loop {
            if let Some(p) = self.pending.pop_front() {
                return Some(p);
            }
            if self.life != Life::Open {
                return None;
            }
            match self.decode_step() {
                Step::Ready(p) => return Some(p),
                Step::Continue => {}
                Step::Idle => return None,
            }
        }
    }

    /// One call of the exchange on the unconsumed bytes.
    fn decode_step(&mut self) -> Step {
        let now = self.since(self.last_now);
        let base = self.rbuf.pos;
        let input = self.rbuf.unread();
        let origin = input.as_ptr() as usize;
        let result = if self.rbuf.ended() {
            self.exchange.decode_eof(input, now)
        } else {
            self.exchange.decode(input, now)
        };
        let decoded = match result {
            Ok(d) => d,
            Err(_) => {
                self.settle();
                return Step::Continue;
            }
        };
        let end = base + decoded.consumed;
        // The exchange puts every slice at the tail of what it consumed.
        let range = |len: usize| (end - len, end);
        // Positions of a head's parts, from their addresses in the input.
        let at = |s: &[u8]| {
            let start = base + (s.as_ptr() as usize).saturating_sub(origin);
            (start, start + s.len())
        };
        let mut abandon = false;
        let step = match decoded.event {
            Event::NeedMore => None,
            Event::Head {
                id,
                head,
                abandon_body,
            } => {
                abandon = abandon_body;
                Some(Step::Ready(Pending::Head {
                    id,
                    version: head.version(),
                    status: head.status(),
                    reason: at(head.reason()),
                    fields: at(head.headers().raw()),
                    body: head.body_kind(),
                    keep_alive: head.keep_alive(),
                }))
            }
            Event::Upgraded {
                id,
                head,
                abandon_body,
                ..
            } => {
                abandon = abandon_body;
                self.pending.push_back(Pending::Upgraded { id });
                Some(Step::Ready(Pending::Head {
                    id,
                    version: head.version(),
                    status: head.status(),
                    reason: at(head.reason()),
                    fields: at(head.headers().raw()),
                    body: head.body_kind(),
                    keep_alive: false,
                }))
            }
            Event::Data { id, data } | Event::Raw { id, data } => {
                Some(Step::Ready(Pending::Data {
                    id,
                    range: range(data.len()),
                }))
            }
            Event::Message { id, message } => Some(Step::Ready(Pending::Json {
                id,
                range: range(message.len()),
            })),
            Event::MessagePart { id, part, complete } => {
                self.json_buf.extend_from_slice(part);
                Some(if complete {
                    Step::Ready(Pending::JsonAssembled { id })
                } else {
                    Step::Continue
                })
            }
            Event::Frame {
                id, stream, data, ..
            } => Some(Step::Ready(Pending::Frame {
                id,
                stream,
                range: range(data.len()),
            })),
            Event::SystemError { id, text, .. } => Some(Step::Ready(Pending::SystemError {
                id,
                range: range(text.len()),
            })),
            Event::End { id, .. } => Some(Step::Ready(Pending::End { id })),
            // Trailers, `Closed`: nothing to hand out.
            _ => Some(Step::Continue),
        };
        self.rbuf.pos = end;
        if abandon {
            // An early answer: the unwritten rest of the request is never sent.
            self.wq.drop_unwritten();
            self.want_write_ready = None;
        }
        let Some(step) = step else {
            // Need more bytes.
            self.rbuf.fresh = false;
            self.sync_pause();
            if !self.rbuf.ended() && self.rbuf.is_full() {
                // Cannot happen with the enforced buffer size; never wait forever.
                self.io_error = Some(io::ErrorKind::OutOfMemory);
                self.exchange.abort(false);
                self.settle();
                return Step::Continue;
            }
            return Step::Idle;
        };
        // After an `End` that closed the connection (or `Closed`), report what is left.
        if self.exchange.is_closed() {
            match step {
                Step::Ready(p) => {
                    self.settle();
                    self.pending.push_front(p);
                    return Step::Continue;
                }
                _ => self.settle(),
            }
        }
        step
    }

    /// Once the exchange closed the connection: every request it leaves unanswered gets its
    /// error, the socket closes, and `Closed` is queued last.
    pub(crate) fn settle(&mut self) {
        if !self.exchange.is_closed() || self.life != Life::Open {
            return;
        }
        while let Some(failed) = self.exchange.poll_failed() {
            let error = self.error_of(failed.failure);
            self.pending.push_back(Pending::Error {
                id: failed.id,
                error,
            });
        }
        let error = match self.exchange.failure() {
            None | Some(Failure::Cancelled) => match self.rbuf.side {
                // The peer's close came with an error while nothing was outstanding.
                ReadSide::Failed(kind) => Some(Error::Io(kind)),
                _ => None,
            },
            Some(f) => Some(self.error_of(f)),
        };
        self.pending.push_back(Pending::Closed { error });
        self.life = Life::Closed;
        self.stream = None;
        self.token = None;
        self.interest = None;
        self.want_write_ready = None;
        self.wq.clear();
    }

    /// The adapter's error for a failure: a cut-short stream that came with a socket error is
    /// that socket error.
    fn error_of(&self, failure: Failure) -> Error {
        let io_kind = match (self.rbuf.side, self.wq.side) {
            (ReadSide::Failed(kind), _) | (_, WriteSide::Failed(kind)) => Some(kind),
            _ => self.io_error,
        };
        match failure {
            Failure::Peer(PeerError::UnexpectedEof | PeerError::ClosedBeforeResponse)
                if io_kind.is_some() =>
            {
                Error::Io(io_kind.unwrap_or(io::ErrorKind::Other))
            }
            Failure::Peer(PeerError::UnsolicitedResponse) => Error::Unsolicited,
            Failure::Peer(p) => Error::Protocol(p.into()),
            Failure::Timeout(kind) => Error::Timeout(kind),
            Failure::Io { .. } => Error::Io(io_kind.unwrap_or(io::ErrorKind::Other)),
            Failure::NotAnswered => Error::NotAnswered,
            Failure::Cancelled => Error::Cancelled,
            Failure::Misuse(m) => Error::Protocol(m.into()),
            _ => Error::Io(io::ErrorKind::Other),
        }
    }

    /// The output for a pending event, borrowing the buffers.
    pub(crate) fn output(&mut self, pending: Pending) -> Output<'_> {
        let buf = &self.rbuf;
        match pending {
            Pending::Head {
                id,
                version,
                status,
                reason,
                fields,
                body,
                keep_alive,
            } => Output::Head {
                id,
                head: ResponseHead {
                    version,
                    status,
                    reason: buf.slice(reason.0, reason.1),
                    headers: Headers::from_raw(buf.slice(fields.0, fields.1)),
                    body,
                    keep_alive,
                },
            },
            Pending::Data { id, range } => Output::Data {
                id,
                data: buf.slice(range.0, range.1),
            },
            Pending::Json { id, range } => Output::Json {
                id,
                message: buf.slice(range.0, range.1),
            },
            Pending::JsonAssembled { id } => {
                self.json_stale = true;
                Output::Json {
                    id,
                    message: &self.json_buf,
                }
            }
            Pending::Frame { id, stream, range } => Output::Frame {
                id,
                stream,
                data: buf.slice(range.0, range.1),
            },
            Pending::SystemError { id, range } => Output::SystemError {
                id,
                text: buf.slice(range.0, range.1),
            },
            Pending::Upgraded { id } => Output::Upgraded { id },
            Pending::End { id } => Output::End { id },
            Pending::WriteReady { id } => Output::WriteReady { id },
            Pending::Error { id, error } => Output::Error { id, error },
            Pending::Closed { error } => {
                self.life = Life::Finished;
                Output::Closed { error }
            }
        }
    }
}
