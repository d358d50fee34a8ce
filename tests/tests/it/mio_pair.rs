//! Unit tests: a `Connection` against the other end of a socket pair, driven by a real `Poll`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::time::{Duration, Instant};

use docksock_proto::encode::{BodyFraming, RequestSpec};
use docksock_proto::{MisuseError, PeerError};
use mio::{Events, Poll, Token};

use crate::{
    BodyMode, Config, Connection, Error, Output, Request, RequestId, SendError, TimeoutKind,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Head(u16),
    Data(Vec<u8>),
    Json(Vec<u8>),
    End,
    Error(Error),
    Closed(Option<Error>),
    Other,
}

struct Pair {
    poll: Poll,
    events: Events,
    conn: Connection,
    peer: StdStream,
    log: Vec<(Option<RequestId>, Ev)>,
}

fn pair(config: Config) -> Pair {
    let (ours, peer) = StdStream::pair().expect("pair");
    ours.set_nonblocking(true).expect("nonblocking");
    peer.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let poll = Poll::new().expect("poll");
    let mut conn =
        Connection::from_stream(mio::net::UnixStream::from_std(ours), config, Instant::now());
    conn.register(poll.registry(), Token(1)).expect("register");
    Pair {
        poll,
        events: Events::with_capacity(16),
        conn,
        peer,
        log: Vec::new(),
    }
}

impl Pair {
    fn send(&mut self, request: &Request<'_>) -> Result<RequestId, SendError> {
        self.conn
            .send(self.poll.registry(), request, Instant::now())
            .map(|id| {
                self.pump(Duration::ZERO);
                id
            })
    }

    /// One loop turn.
    fn pump(&mut self, max: Duration) {
        let now = Instant::now();
        let timeout = self
            .conn
            .next_deadline()
            .map_or(max, |d| d.saturating_duration_since(now).min(max));
        self.poll
            .poll(&mut self.events, Some(timeout))
            .expect("poll");
        let now = Instant::now();
        for e in self.events.iter() {
            self.conn.handle_event(self.poll.registry(), e, now);
        }
        self.conn.handle_timeout(now);
        while let Some(out) = self.conn.poll_event() {
            let ev = match out {
                Output::Head { head, .. } => Ev::Head(head.status()),
                Output::Data { data, .. } => Ev::Data(data.to_vec()),
                Output::Json { message, .. } => Ev::Json(message.to_vec()),
                Output::End { .. } => Ev::End,
                Output::Error { error, .. } => Ev::Error(error),
                Output::Closed { error } => Ev::Closed(error),
                _ => Ev::Other,
            };
            self.log.push((out.id(), ev));
        }
    }

    fn until(&mut self, mut done: impl FnMut(&[(Option<RequestId>, Ev)]) -> bool) {
        let limit = Instant::now() + Duration::from_secs(5);
        while !done(&self.log) {
            assert!(Instant::now() < limit, "log: {:?}", self.log);
            self.pump(Duration::from_millis(20));
        }
    }

    fn ends(&self) -> usize {
        self.log.iter().filter(|(_, e)| *e == Ev::End).count()
    }

    fn of(&self, id: RequestId) -> Vec<Ev> {
        self.log
            .iter()
            .filter(|(i, _)| *i == Some(id))
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Reads from the peer side until `n` request heads (`\r\n\r\n`) arrived.
    fn peer_read_heads(&mut self, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while got.windows(4).filter(|w| *w == b"\r\n\r\n").count() < n {
            let k = self.peer.read(&mut buf).expect("peer read");
            assert!(k > 0, "client closed");
            got.extend_from_slice(&buf[..k]);
        }
        got
    }
}

fn get(path: &str) -> Request<'_> {
    Request::new(RequestSpec::new("GET", path))
}

#[test]
fn pipelined_head_not_modified_and_get_frame_correctly() {
    let mut p = pair(Config::default());
    let a = p
        .send(&Request::new(RequestSpec::new("HEAD", "/_ping")))
        .unwrap();
    let b = p.send(&get("/x")).unwrap();
    let c = p.send(&get("/_ping")).unwrap();
    assert_eq!(p.conn.outstanding(), 3);
    let heads = p.peer_read_heads(3);
    assert!(heads.starts_with(b"HEAD /_ping HTTP/1.1\r\n"));
    // HEAD: Content-Length without a body; 304: no body; then a plain response. One write.
    p.peer
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n\
              HTTP/1.1 304 Not Modified\r\n\r\n\
              HTTP/1.1 100 Continue\r\n\r\n\
              HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
        )
        .unwrap();
    p.until(|log| log.iter().filter(|(_, e)| *e == Ev::End).count() == 3);
    assert_eq!(p.of(a), [Ev::Head(200), Ev::End]);
    assert_eq!(p.of(b), [Ev::Head(304), Ev::End]);
    assert_eq!(p.of(c), [Ev::Head(200), Ev::Data(b"OK".to_vec()), Ev::End]);
    assert!(p.conn.is_idle());
    // Reused afterwards.
    let d = p.send(&get("/_ping")).unwrap();
    p.peer_read_heads(1);
    p.peer
        .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
        .unwrap();
    p.until(|log| log.iter().filter(|(_, e)| *e == Ev::End).count() == 4);
    assert_eq!(p.of(d), [Ev::Head(204), Ev::End]);
}

#[test]
fn send_refusals_queue_nothing() {
    let config = Config {
        max_in_flight: 2,
        ..Config::DEFAULT
    };
    let mut p = pair(config);
    assert!(matches!(
        p.send(&get("/a b")),
        Err(SendError::Encode(docksock_proto::Error::Misuse(
            MisuseError::InvalidPathTemplate
        )))
    ));
    assert!(matches!(
        p.send(&get("/x").streamed_body()),
        Err(SendError::Encode(_))
    ));
    let a = p.send(&get("/a")).unwrap();
    assert_eq!(
        p.conn
            .write_body(p.poll.registry(), a, b"x", Instant::now()),
        Err(SendError::NoStreamedBody)
    );
    p.send(&get("/b")).unwrap();
    assert_eq!(p.send(&get("/c")), Err(SendError::Busy), "pipeline depth 2");
    let heads = p.peer_read_heads(2);
    assert_eq!(
        heads,
        b"GET /a HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n"
    );
}

#[test]
fn unsolicited_bytes_close_the_connection() {
    let mut p = pair(Config::default());
    p.peer.write_all(b"HTTP/1.1 200 OK\r\n\r\n").unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert_eq!(p.log, [(None, Ev::Closed(Some(Error::Unsolicited)))]);
    assert!(p.conn.is_finished());
    assert_eq!(p.conn.next_deadline(), None);
}

#[test]
fn reused_connection_closed_before_response_is_retryable() {
    let mut p = pair(Config::default());
    let a = p.send(&get("/a")).unwrap();
    p.peer_read_heads(1);
    p.peer
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    p.until(|log| log.iter().any(|(_, e)| *e == Ev::End));
    let b = p.send(&get("/b")).unwrap();
    p.peer_read_heads(1);
    p.peer.shutdown(std::net::Shutdown::Both).unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert_eq!(p.of(a), [Ev::Head(200), Ev::End]);
    assert_eq!(
        p.of(b),
        [Ev::Error(Error::Protocol(
            PeerError::ClosedBeforeResponse.into()
        ))]
    );
}

#[test]
fn peer_that_stops_reading_fires_the_write_deadline() {
    let config = Config {
        write_timeout: Some(Duration::from_millis(100)),
        ..Config::DEFAULT
    };
    let mut p = pair(config);
    let body = vec![b'x'; 8 << 20];
    let spec = RequestSpec::new("POST", "/images/load");
    let started = Instant::now();
    let a = p.send(&Request::new(spec).body(&body)).unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(p.of(a), [Ev::Error(Error::Timeout(TimeoutKind::Write))]);
    assert!(p.conn.stats().write_would_block >= 1);
}

#[test]
fn early_response_abandons_the_streamed_body() {
    let mut p = pair(Config::default());
    let spec = RequestSpec::new("POST", "/build").body(BodyFraming::Chunked);
    let a = p
        .send(&Request::new(spec).streamed_body().mode(BodyMode::Json))
        .unwrap();
    assert_eq!(
        p.conn
            .write_body(p.poll.registry(), a, b"tar bytes", Instant::now()),
        Ok(9)
    );
    p.peer_read_heads(1);
    let msg = b"{\"message\":\"Cannot locate specified Dockerfile: Dockerfile\"}\n";
    let resp = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        msg.len()
    );
    p.peer.write_all(resp.as_bytes()).unwrap();
    p.until(|log| !log.is_empty());
    assert_eq!(
        p.conn
            .write_body(p.poll.registry(), a, b"more", Instant::now()),
        Err(SendError::BodyDone)
    );
    p.peer.write_all(msg).unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    // An error status: the body is data even in JSON mode; then the connection closes
    // because the request body was never completed.
    assert_eq!(p.of(a), [Ev::Head(500), Ev::Data(msg.to_vec()), Ev::End]);
    assert_eq!(p.log.last(), Some(&(None, Ev::Closed(None))));
}

#[test]
fn json_message_over_the_cap_fails() {
    let config = Config {
        max_json_message: 16,
        ..Config::DEFAULT
    };
    let mut p = pair(config);
    let a = p.send(&get("/events").mode(BodyMode::Json)).unwrap();
    p.peer_read_heads(1);
    p.peer
        .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"a\":1}\n\r\n14\r\n{\"b\":\"0123456789ab\"}\r\n")
        .unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert_eq!(
        p.of(a),
        [
            Ev::Head(200),
            Ev::Json(b"{\"a\":1}".to_vec()),
            Ev::Error(Error::Protocol(PeerError::JsonMessageTooLarge.into()))
        ]
    );
    assert_eq!(p.ends(), 0);
}

#[test]
fn close_cancels_outstanding_requests() {
    let mut p = pair(Config::default());
    let a = p.send(&get("/events").mode(BodyMode::Json)).unwrap();
    p.conn.close();
    assert!(p.conn.is_closed());
    assert!(p.conn.next_deadline().is_some(), "events are waiting");
    p.pump(Duration::ZERO);
    assert_eq!(
        p.log,
        [
            (Some(a), Ev::Error(Error::Cancelled)),
            (None, Ev::Closed(None))
        ]
    );
    assert_eq!(p.conn.next_deadline(), None);
    let mut buf = [0u8; 256];
    let n = p.peer.read(&mut buf).unwrap();
    assert!(n > 0);
    assert_eq!(p.peer.read(&mut buf).unwrap(), 0, "socket closed");
}

#[test]
fn early_response_to_a_partly_written_request_is_not_reused() {
    let mut p = pair(Config::default());
    let body = vec![b'x'; 8 << 20];
    let spec = RequestSpec::new("POST", "/images/load");
    let a = p.send(&Request::new(spec).body(&body)).unwrap();
    let b = p.send(&get("/_ping")).unwrap();
    p.peer_read_heads(1);
    // Answer (keep-alive!) while most of the body is still unsent.
    p.peer
        .write_all(b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert_eq!(p.of(a), [Ev::Head(413), Ev::End]);
    assert_eq!(p.of(b), [Ev::Error(Error::NotAnswered)]);
    assert_eq!(p.log.last(), Some(&(None, Ev::Closed(None))));
    assert!(p.conn.stats().bytes_written < body.len() as u64);
}
