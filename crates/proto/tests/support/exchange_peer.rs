//! The exchange tests' in-memory peer, shared by the exchange test files: owned, normalized
//! events (`Ev`), the reading side of an adapter that pumps an [`Exchange`] (`Reader`), request
//! and wire builders, and the check that a deadline fires exactly at its instant.

#![allow(dead_code)]

use core::time::Duration;

use docksock_proto::exchange::{Event, Exchange, Failed, Failure, Request, RequestId, UpgradeKind};
use docksock_proto::stdcopy::StreamKind;
use docksock_proto::timeout::TimeoutKind;

/// An owned, normalized event: consecutive pieces of one kind are joined, JSON parts are
/// assembled into messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
    Head(u64, u16, bool),
    Upgraded(u64, u16, UpgradeKind),
    Data(u64, Vec<u8>),
    Message(u64, Vec<u8>),
    Frame(u64, StreamKind, Vec<u8>),
    SystemError(u64, Vec<u8>),
    Trailers(u64, Vec<(String, Vec<u8>)>),
    Raw(u64, Vec<u8>),
    End(u64, bool),
    Closed,
    /// `decode` failed.
    Error(Failure),
    Failed(u64, Failure, bool),
}

pub(crate) fn id(n: u64) -> RequestId {
    RequestId::new(n)
}

pub(crate) const T0: Duration = Duration::ZERO;

pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The in-memory reading side of an adapter: a buffer, an assembly buffer for JSON messages,
/// and the event log.
#[derive(Default)]
pub(crate) struct Reader {
    pub(crate) buf: Vec<u8>,
    pub(crate) assembly: Vec<u8>,
    pub(crate) log: Vec<Ev>,
    pub(crate) done: bool,
}

impl Reader {
    pub(crate) fn push(&mut self, ev: Ev) {
        match (self.log.last_mut(), &ev) {
            (Some(Ev::Data(a, acc)), Ev::Data(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::Raw(a, acc)), Ev::Raw(b, more)) if a == b => acc.extend_from_slice(more),
            (Some(Ev::SystemError(a, acc)), Ev::SystemError(b, more)) if a == b => {
                acc.extend_from_slice(more)
            }
            (Some(Ev::Frame(a, s, acc)), Ev::Frame(b, t, more)) if a == b && s == t => {
                acc.extend_from_slice(more)
            }
            _ => self.log.push(ev),
        }
    }

    pub(crate) fn drain_failed(&mut self, x: &mut Exchange) {
        while let Some(Failed { id, failure, retry }) = x.poll_failed() {
            self.push(Ev::Failed(id.get(), failure, retry));
        }
    }

    /// Decodes what the buffer holds (then EOF when `eof`) until the exchange needs more.
    pub(crate) fn pump(&mut self, x: &mut Exchange, eof: bool, now: Duration) {
        for _ in 0..100_000 {
            if self.done {
                return;
            }
            let result = if eof {
                x.decode_eof(&self.buf, now)
            } else {
                x.decode(&self.buf, now)
            };
            let step = match result {
                Ok(step) => step,
                Err(f) => {
                    self.push(Ev::Error(f));
                    self.drain_failed(x);
                    self.done = true;
                    return;
                }
            };
            // Every slice is the tail of what was consumed.
            let tail = |s: &[u8]| {
                let c = step.consumed;
                assert_eq!(
                    s,
                    &self.buf[c - s.len()..c],
                    "slice is not the consumed tail"
                );
            };
            let ev = match step.event {
                Event::NeedMore => None,
                Event::Head {
                    id,
                    head,
                    abandon_body,
                } => Some(Ev::Head(id.get(), head.status(), abandon_body)),
                Event::Upgraded { id, head, kind, .. } => {
                    Some(Ev::Upgraded(id.get(), head.status(), kind))
                }
                Event::Data { id, data } => {
                    tail(data);
                    Some(Ev::Data(id.get(), data.to_vec()))
                }
                Event::Message { id, message } => {
                    tail(message);
                    Some(Ev::Message(id.get(), message.to_vec()))
                }
                Event::MessagePart { id, part, complete } => {
                    tail(part);
                    self.assembly.extend_from_slice(part);
                    complete.then(|| Ev::Message(id.get(), std::mem::take(&mut self.assembly)))
                }
                Event::Frame {
                    id, stream, data, ..
                } => {
                    tail(data);
                    Some(Ev::Frame(id.get(), stream, data.to_vec()))
                }
                Event::SystemError { id, text, .. } => {
                    tail(text);
                    Some(Ev::SystemError(id.get(), text.to_vec()))
                }
                Event::Trailers { id, trailers } => Some(Ev::Trailers(
                    id.get(),
                    trailers
                        .iter()
                        .map(|f| (f.name.to_string(), f.value.to_vec()))
                        .collect(),
                )),
                Event::Raw { id, data } => {
                    tail(data);
                    Some(Ev::Raw(id.get(), data.to_vec()))
                }
                Event::End { id, reusable } => Some(Ev::End(id.get(), reusable)),
                Event::Closed => Some(Ev::Closed),
                _ => unreachable!("no other event"),
            };
            let need_more = step.event == Event::NeedMore;
            let closed = step.event == Event::Closed;
            self.buf.drain(..step.consumed);
            if let Some(ev) = ev {
                self.push(ev);
            }
            self.drain_failed(x);
            if closed {
                self.done = true;
                return;
            }
            if need_more {
                return;
            }
        }
        panic!("no progress: {:?}", self.log);
    }
}

/// Starts request `n` with a 10-byte head, completely written.
pub(crate) fn sent(x: &mut Exchange, n: u64, request: Request) {
    x.start(id(n), request, 10, T0).expect("start");
    x.handle_written(10, T0).expect("written");
}

pub(crate) fn get() -> Request {
    Request::new("GET")
}

pub(crate) fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![stream, 0, 0, 0];
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

pub(crate) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub(crate) const NS: Duration = Duration::from_nanos(1);

/// Fires nothing 1 ns before `at`, fires `kind` at `at`, and fails the front request with it.
pub(crate) fn fires_exactly(x: &mut Exchange, at: Duration, kind: TimeoutKind) {
    assert_eq!(x.poll_timeout(), Some((at, kind)));
    assert_eq!(x.handle_timeout(at - NS), None);
    assert!(!x.is_closed());
    assert_eq!(x.handle_timeout(at), Some(kind));
    assert_eq!(x.failure(), Some(Failure::Timeout(kind)));
    let failed = x.poll_failed().expect("the front request failed");
    assert_eq!(failed.failure, Failure::Timeout(kind));
    assert!(!failed.retry);
    assert_eq!(x.poll_timeout(), None);
}
