//! Reading: every transition a response (or a raw stream) makes, in one `step`.

use core::time::Duration;

use crate::json::JsonSplitter;
use crate::stdcopy::{Demuxer, Frame};
use crate::{BodyKind, Error, Head, MisuseError, PeerError};

use super::queue::Entry;
use super::{
    failure_of, method, BodyMode, Conn, Decoded, Event, Exchange, Failure, Read, RequestId, Split,
    UpgradeKind,
};

impl Exchange {
    pub(super) fn run<'a>(
        &mut self,
        input: &'a [u8],
        eof: bool,
        now: Duration,
    ) -> Result<Decoded<'a>, Failure> {
        let mut base = 0;
        loop {
            let rest = input.get(base..).unwrap_or(&[]);
            let (used, event) = self.step(rest, eof, now)?;
            base += used;
            match event {
                Some(event) => {
                    return Ok(Decoded {
                        consumed: base,
                        event,
                    })
                }
                None if used == 0 => {
                    return Ok(Decoded {
                        consumed: base,
                        event: Event::NeedMore,
                    })
                }
                None => {}
            }
        }
    }

    /// One transition: the bytes it used and the event it made (`None`: used bytes without an
    /// event, go on).
    pub(super) fn step<'a>(
        &mut self,
        input: &'a [u8],
        eof: bool,
        now: Duration,
    ) -> Result<(usize, Option<Event<'a>>), Failure> {
        match self.conn {
            Conn::Done(Some(f)) => return Err(f),
            // After the last response: whatever comes is not the peer's to send.
            Conn::Done(None) => return Ok((input.len(), Some(Event::Closed))),
            _ => {}
        }
        let Some(front) = self.queue.front().copied() else {
            if !input.is_empty() {
                return Err(self.fail(Failure::Peer(PeerError::UnsolicitedResponse)));
            }
            if eof {
                self.close_clean();
                return Ok((0, Some(Event::Closed)));
            }
            return Ok((0, Some(Event::NeedMore)));
        };
        if self.pending_body > 0 {
            let n = self.pending_body;
            let Some(body) = input.get(..n) else {
                return Err(self.fail(Failure::Misuse(MisuseError::InvalidState)));
            };
            let (used, event) = self.split(front.id, body)?;
            self.pending_body = n - used;
            return Ok((used, event));
        }
        if let Read::Stream(_) = self.read {
            return self.stream(front, input, eof);
        }
        let result = if eof {
            self.decoder.decode_eof(input)
        } else {
            self.decoder.decode(input)
        };
        let decoded = match result {
            Ok(d) => d,
            Err(e) => return Err(self.fail(failure_of(e))),
        };
        let consumed = decoded.consumed;
        let id = front.id;
        match decoded.event {
            crate::Event::NeedMore => Ok((consumed, Some(Event::NeedMore))),
            crate::Event::Informational(_) => Ok((consumed, None)),
            crate::Event::Head(head) => Ok((consumed, Some(self.on_head(front, head, now)))),
            crate::Event::Upgrade(head) => {
                // The decoder hands over a `101`, or a 2xx answer to `CONNECT` (a tunnel).
                let kind = if front.req.connect && head.status() != 101 {
                    UpgradeKind::Tunnel
                } else {
                    UpgradeKind::Switching
                };
                if let Some(key) = &front.req.websocket {
                    if let Err(e) = crate::websocket::check_response(&head, key) {
                        return Err(self.fail(failure_of(e)));
                    }
                }
                let abandon_body = self.check_abandon(&front);
                Ok((
                    consumed,
                    Some(self.enter_stream(front, head, kind, abandon_body, now)),
                ))
            }
            crate::Event::Data(data) => {
                if let Read::Body(Split::Plain) = self.read {
                    return Ok((consumed, Some(Event::Data { id, data })));
                }
                // Split the piece: the framing before it is consumed now, the piece as the
                // splitter takes it.
                let framing = consumed - data.len();
                let (used, event) = self.split(id, data)?;
                self.pending_body = data.len() - used;
                Ok((framing + used, event))
            }
            crate::Event::Trailers(trailers) => {
                Ok((consumed, Some(Event::Trailers { id, trailers })))
            }
            crate::Event::End { keep_alive } => {
                let event = self.on_end(front, keep_alive, now)?;
                Ok((consumed, Some(event)))
            }
        }
    }

    /// The early-answer rule: a head for a request not completely written abandons the rest
    /// of it (and whatever is queued behind), and the connection closes after the response.
    fn check_abandon(&mut self, front: &Entry) -> bool {
        if front.complete() && self.writes.written >= front.end {
            return false;
        }
        if let Some(f) = self.queue.front_mut() {
            f.abandoned = true;
        }
        self.writes.queued = self.writes.written;
        self.deadlines.write = None;
        if self.conn == Conn::Open {
            self.conn = Conn::Closing;
        }
        true
    }

    fn on_head<'a>(&mut self, front: Entry, head: Head<'a>, now: Duration) -> Event<'a> {
        let abandon_body = self.check_abandon(&front);
        let success = (200..300).contains(&head.status());
        if success && front.req.upgrade && head.body_kind() == BodyKind::CloseDelimited {
            return self.enter_stream(front, head, UpgradeKind::Hijack, abandon_body, now);
        }
        self.read = Read::Body(self.split_for(front.req.mode, success));
        self.deadlines.head = None;
        self.deadlines.idle = front.idle_timeout.and_then(|t| now.checked_add(t));
        Event::Head {
            id: front.id,
            head,
            abandon_body,
        }
    }

    fn enter_stream<'a>(
        &mut self,
        front: Entry,
        head: Head<'a>,
        kind: UpgradeKind,
        abandon_body: bool,
        now: Duration,
    ) -> Event<'a> {
        self.conn = Conn::Upgraded {
            input_open: !self.writes.failed,
        };
        self.read = Read::Stream(self.split_for(front.req.mode, true));
        self.deadlines.head = None;
        self.deadlines.idle = front.idle_timeout.and_then(|t| now.checked_add(t));
        Event::Upgraded {
            id: front.id,
            head,
            kind,
            abandon_body,
        }
    }

    /// The body ended cleanly: close the splitter, pop the request, and decide the connection's
    /// fate.
    fn on_end<'a>(
        &mut self,
        front: Entry,
        keep_alive: bool,
        now: Duration,
    ) -> Result<Event<'a>, Failure> {
        if let Read::Body(split) | Read::Stream(split) = &mut self.read {
            if let Err(e) = finish(split) {
                return Err(self.fail(failure_of(e)));
            }
        }
        self.queue.pop_front();
        self.reused = true;
        self.read = Read::Head;
        self.front_sent = false;
        self.deadlines.head = None;
        self.deadlines.idle = None;
        let reusable =
            keep_alive && self.conn == Conn::Open && !self.writes.failed && self.io_error.is_none();
        if !reusable {
            self.close_clean();
            return Ok(Event::End {
                id: front.id,
                reusable: false,
            });
        }
        if let Some(next) = self.queue.front().copied() {
            if let Err(e) = self.decoder.next_response(method(&next.req)) {
                return Err(self.fail(failure_of(e)));
            }
            self.check_front_sent(now);
        }
        Ok(Event::End {
            id: front.id,
            reusable: true,
        })
    }

    /// The raw stream after an upgrade.
    fn stream<'a>(
        &mut self,
        front: Entry,
        input: &'a [u8],
        eof: bool,
    ) -> Result<(usize, Option<Event<'a>>), Failure> {
        if !input.is_empty() {
            return self.split(front.id, input);
        }
        if !eof {
            return Ok((0, Some(Event::NeedMore)));
        }
        if let Some(reset) = self.io_error {
            return Err(self.fail(Failure::Io { reset }));
        }
        if let Read::Stream(split) = &mut self.read {
            if let Err(e) = finish(split) {
                return Err(self.fail(failure_of(e)));
            }
        }
        self.queue.pop_front();
        self.read = Read::Head;
        self.close_clean();
        Ok((
            0,
            Some(Event::End {
                id: front.id,
                reusable: false,
            }),
        ))
    }

    fn split_for(&self, mode: BodyMode, success: bool) -> Split {
        match mode {
            _ if !success => Split::Plain,
            BodyMode::Bytes => Split::Plain,
            BodyMode::Json => Split::Json(JsonSplitter::new(self.config.max_json_message)),
            BodyMode::Stdcopy(m) => Split::Stdcopy(Demuxer::new(m)),
        }
    }

    /// Splits body (or raw stream) bytes: the bytes used, and the event they made.
    fn split<'a>(
        &mut self,
        id: RequestId,
        body: &'a [u8],
    ) -> Result<(usize, Option<Event<'a>>), Failure> {
        let (stream, split) = match &mut self.read {
            Read::Body(s) => (false, s),
            Read::Stream(s) => (true, s),
            Read::Head => return Err(self.fail(Failure::Misuse(MisuseError::InvalidState))),
        };
        let result = match split {
            Split::Plain if stream => Ok((body.len(), Some(Event::Raw { id, data: body }))),
            Split::Plain => Ok((body.len(), Some(Event::Data { id, data: body }))),
            Split::Json(splitter) => splitter.scan(body).map(|scan| {
                if let Some(range) = scan.message {
                    let piece = body.get(range).unwrap_or(&[]);
                    let event = if scan.continued {
                        Event::MessagePart {
                            id,
                            part: piece,
                            complete: true,
                        }
                    } else {
                        Event::Message { id, message: piece }
                    };
                    return (scan.consumed, Some(event));
                }
                let event = scan.partial.map(|range| Event::MessagePart {
                    id,
                    part: body.get(range).unwrap_or(&[]),
                    complete: false,
                });
                (scan.consumed, event)
            }),
            Split::Stdcopy(demux) => demux.decode(body).map(|(used, frame)| {
                let event = frame.map(|frame| match frame {
                    Frame::Data {
                        stream,
                        data,
                        frame_end,
                    } => Event::Frame {
                        id,
                        stream,
                        data,
                        frame_end,
                    },
                    Frame::SystemError { text, frame_end } => Event::SystemError {
                        id,
                        text,
                        frame_end,
                    },
                });
                (used, event)
            }),
        };
        result.map_err(|e| self.fail(failure_of(e)))
    }
}

fn finish(split: &mut Split) -> Result<(), Error> {
    match split {
        Split::Plain => Ok(()),
        Split::Json(s) => s.finish(),
        Split::Stdcopy(d) => d.finish(),
    }
}
