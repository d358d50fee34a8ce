//! A mio `Connection` against the other end of a socket pair, driven by a real `Poll` (the
//! shared rig of `docksock_tests::mio_rig`): pipelining, refusals, unsolicited bytes, retry,
//! write deadline, early answers, caps, cancel.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::time::{Duration, Instant};

use docksock_mio::proto::encode::{BodyFraming, RequestSpec};
use docksock_mio::proto::{Error as ProtoError, MisuseError, PeerError};
use docksock_mio::{BodyMode, Config, Error, Request, RequestId, SendError, TimeoutKind};
use docksock_tests::mio_rig::{read_heads, Ev, Rig};

/// The rig and the peer's end of the socket pair.
struct Pair {
    rig: Rig,
    peer: StdStream,
}

fn pair(config: Config) -> Pair {
    let (rig, peer) = Rig::pair(config);
    Pair { rig, peer }
}

impl Pair {
    fn send(&mut self, request: &Request<'_>) -> Result<RequestId, SendError> {
        self.rig.try_send(request)
    }

    fn pump(&mut self, max: Duration) {
        self.rig.turn(max, true);
    }

    fn until(&mut self, done: impl FnMut(&[(Option<RequestId>, Ev)]) -> bool) {
        self.rig.until(done);
    }

    fn ends(&self) -> usize {
        self.rig.ends()
    }

    fn of(&self, id: RequestId) -> Vec<Ev> {
        self.rig.of(id)
    }

    fn peer_read_heads(&mut self, n: usize) -> Vec<u8> {
        read_heads(&mut self.peer, n)
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
    assert_eq!(p.rig.conn.outstanding(), 3);
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
    assert!(p.rig.conn.is_idle());
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
    let mut config = Config::DEFAULT;
    config.max_in_flight = 2;
    let mut p = pair(config);
    assert!(matches!(
        p.send(&get("/a b")),
        Err(SendError::Encode(ProtoError::Misuse(
            MisuseError::InvalidPathTemplate
        )))
    ));
    assert!(matches!(
        p.send(&get("/x").streamed_body()),
        Err(SendError::Encode(_))
    ));
    let a = p.send(&get("/a")).unwrap();
    assert_eq!(
        p.rig
            .conn
            .write_body(p.rig.poll.registry(), a, b"x", Instant::now()),
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
    assert_eq!(p.rig.log, [(None, Ev::Closed(Some(Error::Unsolicited)))]);
    assert!(p.rig.conn.is_finished());
    assert_eq!(p.rig.conn.next_deadline(), None);
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
    let mut config = Config::DEFAULT;
    config.write_timeout = Some(Duration::from_millis(100));
    let mut p = pair(config);
    let body = vec![b'x'; 8 << 20];
    let spec = RequestSpec::new("POST", "/images/load");
    let started = Instant::now();
    let a = p.send(&Request::new(spec).body(&body)).unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(p.of(a), [Ev::Error(Error::Timeout(TimeoutKind::Write))]);
    assert!(p.rig.conn.stats().write_would_block >= 1);
}

#[test]
fn early_response_abandons_the_streamed_body() {
    let mut p = pair(Config::default());
    let spec = RequestSpec::new("POST", "/build").body(BodyFraming::Chunked);
    let a = p
        .send(&Request::new(spec).streamed_body().mode(BodyMode::Json))
        .unwrap();
    assert_eq!(
        p.rig
            .conn
            .write_body(p.rig.poll.registry(), a, b"tar bytes", Instant::now()),
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
        p.rig
            .conn
            .write_body(p.rig.poll.registry(), a, b"more", Instant::now()),
        Err(SendError::BodyDone)
    );
    p.peer.write_all(msg).unwrap();
    p.until(|log| log.iter().any(|(_, e)| matches!(e, Ev::Closed(_))));
    // An error status: the body is data even in JSON mode; then the connection closes
    // because the request body was never completed.
    assert_eq!(p.of(a), [Ev::Head(500), Ev::Data(msg.to_vec()), Ev::End]);
    assert_eq!(p.rig.log.last(), Some(&(None, Ev::Closed(None))));
}

#[test]
fn json_message_over_the_cap_fails() {
    let mut config = Config::DEFAULT;
    config.max_json_message = 16;
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
    p.rig.conn.close();
    assert!(p.rig.conn.is_closed());
    assert!(p.rig.conn.next_deadline().is_some(), "events are waiting");
    p.pump(Duration::ZERO);
    assert_eq!(
        p.rig.log,
        [
            (Some(a), Ev::Error(Error::Cancelled)),
            (None, Ev::Closed(None))
        ]
    );
    assert_eq!(p.rig.conn.next_deadline(), None);
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
    assert_eq!(p.rig.log.last(), Some(&(None, Ev::Closed(None))));
    assert!(p.rig.conn.stats().bytes_written < body.len() as u64);
}
