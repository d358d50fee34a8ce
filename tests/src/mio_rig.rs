//! One mio [`Connection`] in its own [`Poll`], driven the way a user embeds it, with every
//! [`Output`] copied into a log. The peer is either the scripted fault server
//! ([`Rig::connect`]) or the other end of a socket pair ([`Rig::pair`]).

use std::io::Read;
use std::os::unix::net::UnixStream as StdStream;
use std::path::Path;
use std::time::{Duration, Instant};

use docksock_mio::mio::{Events, Poll, Token};
use docksock_mio::proto::stdcopy::StreamKind;
use docksock_mio::{Config, Connection, Error, Output, Request, RequestId, SendError};

/// The token of the rig's connection.
pub const TOKEN: Token = Token(3);

/// An owned copy of an [`Output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// `Output::Head` with its status.
    Head(u16),
    /// `Output::Data`.
    Data(Vec<u8>),
    /// `Output::Json`.
    Json(Vec<u8>),
    /// `Output::Frame`.
    Frame(StreamKind, Vec<u8>),
    /// `Output::SystemError`.
    SystemError(Vec<u8>),
    /// `Output::Upgraded`.
    Upgraded,
    /// `Output::End`.
    End,
    /// `Output::WriteReady`.
    WriteReady,
    /// `Output::Error`.
    Error(Error),
    /// `Output::Closed`.
    Closed(Option<Error>),
}

/// The request id (if any) and an owned copy of `out`.
pub fn own(out: &Output<'_>) -> (Option<RequestId>, Ev) {
    let ev = match *out {
        Output::Head { head, .. } => Ev::Head(head.status()),
        Output::Data { data, .. } => Ev::Data(data.to_vec()),
        Output::Json { message, .. } => Ev::Json(message.to_vec()),
        Output::Frame { stream, data, .. } => Ev::Frame(stream, data.to_vec()),
        Output::SystemError { text, .. } => Ev::SystemError(text.to_vec()),
        Output::Upgraded { .. } => Ev::Upgraded,
        Output::End { .. } => Ev::End,
        Output::WriteReady { .. } => Ev::WriteReady,
        Output::Error { error, .. } => Ev::Error(error),
        Output::Closed { error } => Ev::Closed(error),
    };
    (out.id(), ev)
}

/// One connection in its own poll loop, and the log of its outputs.
pub struct Rig {
    /// The poll the connection is registered in.
    pub poll: Poll,
    events: Events,
    /// The connection.
    pub conn: Connection,
    /// Every output so far, in order.
    pub log: Vec<(Option<RequestId>, Ev)>,
}

impl Rig {
    /// Registers `conn` in a new poll.
    pub fn new(mut conn: Connection) -> Rig {
        let poll = Poll::new().expect("poll");
        conn.register(poll.registry(), TOKEN).expect("register");
        Rig {
            poll,
            events: Events::with_capacity(64),
            conn,
            log: Vec::new(),
        }
    }

    /// A connection to the socket at `path`.
    pub fn connect(path: &Path, config: Config) -> Rig {
        Rig::new(Connection::connect(path, config, Instant::now()).expect("connect"))
    }

    /// A connection to one end of a socket pair; the other end is returned (blocking, with a
    /// 5 s read timeout).
    pub fn pair(config: Config) -> (Rig, StdStream) {
        let (ours, peer) = StdStream::pair().expect("pair");
        ours.set_nonblocking(true).expect("nonblocking");
        peer.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let stream = docksock_mio::mio::net::UnixStream::from_std(ours);
        let conn = Connection::from_stream(stream, config, Instant::now());
        (Rig::new(conn), peer)
    }

    /// Sends `request` (it must be accepted); the loop does not turn.
    pub fn send(&mut self, request: &Request<'_>) -> RequestId {
        self.conn
            .send(self.poll.registry(), request, Instant::now())
            .expect("send")
    }

    /// Sends `request`, then turns the loop once without waiting.
    pub fn try_send(&mut self, request: &Request<'_>) -> Result<RequestId, SendError> {
        let id = self
            .conn
            .send(self.poll.registry(), request, Instant::now())?;
        self.turn(Duration::ZERO, true);
        Ok(id)
    }

    /// Waits for readiness or the connection's deadline (at most `max`) and handles it; when
    /// `drain`, also fires deadlines and logs the outputs (returning how many).
    pub fn turn(&mut self, max: Duration, drain: bool) -> usize {
        let now = Instant::now();
        let timeout = self
            .conn
            .next_deadline()
            .map_or(max, |d| d.saturating_duration_since(now).min(max));
        self.poll
            .poll(&mut self.events, Some(timeout))
            .expect("poll");
        let now = Instant::now();
        for event in self.events.iter() {
            assert_eq!(event.token(), TOKEN);
            self.conn.handle_event(self.poll.registry(), event, now);
        }
        if !drain {
            return 0;
        }
        self.conn.handle_timeout(now);
        let before = self.log.len();
        while let Some(out) = self.conn.poll_event() {
            self.log.push(own(&out));
        }
        self.log.len() - before
    }

    /// Turns until `done(log)`, or panics with the log after `limit`.
    pub fn run(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&[(Option<RequestId>, Ev)]) -> bool,
    ) {
        let until = Instant::now() + limit;
        while !done(&self.log) {
            assert!(Instant::now() < until, "timed out; log: {:?}", self.log);
            self.turn(Duration::from_millis(20), true);
        }
    }

    /// Turns until `done(log)` (at most 5 s).
    pub fn until(&mut self, done: impl FnMut(&[(Option<RequestId>, Ev)]) -> bool) {
        self.run(Duration::from_secs(5), done);
    }

    /// Turns until the connection reported `Closed`.
    pub fn run_to_close(&mut self, limit: Duration) {
        self.run(limit, |log| {
            log.iter().any(|(_, e)| matches!(e, Ev::Closed(_)))
        });
    }

    /// The events of one request, with consecutive data pieces joined.
    pub fn of(&self, id: RequestId) -> Vec<Ev> {
        let mut out: Vec<Ev> = Vec::new();
        for (i, ev) in &self.log {
            if *i != Some(id) {
                continue;
            }
            match (out.last_mut(), ev) {
                (Some(Ev::Data(acc)), Ev::Data(more)) => acc.extend_from_slice(more),
                _ => out.push(ev.clone()),
            }
        }
        out
    }

    /// How many responses ended.
    pub fn ends(&self) -> usize {
        self.log.iter().filter(|(_, e)| *e == Ev::End).count()
    }

    /// The error of `Closed`, once it came.
    pub fn closed(&self) -> Option<Option<Error>> {
        self.log.iter().find_map(|(_, e)| match e {
            Ev::Closed(err) => Some(*err),
            _ => None,
        })
    }
}

/// Reads from `peer` until `n` request heads (`\r\n\r\n`) arrived.
pub fn read_heads(peer: &mut StdStream, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.windows(4).filter(|w| *w == b"\r\n\r\n").count() < n {
        let k = peer.read(&mut buf).expect("peer read");
        assert!(k > 0, "client closed");
        got.extend_from_slice(&buf[..k]);
    }
    got
}
