//! The mio adapter against the scripted fault server: partial writes (a multi-megabyte body to
//! a server that reads late), dripped responses, a stalled peer (deadlines fire), a peer that
//! closes mid-body, pipelining behind `Connection: close`, back-pressure and an upgraded stream.
//!
//! Each test drives one `Connection` in its own `mio::Poll`, the way a user embeds it.

use std::time::{Duration, Instant};

use docksock_mio::proto::encode::{BodyFraming, RequestSpec};
use docksock_mio::proto::stdcopy::{Mode, StreamKind};
use docksock_mio::proto::timeout::Timeout;
use docksock_mio::proto::{Error as ProtoError, PeerError};
use docksock_mio::{BodyMode, Config, Error, Request, SendError, TimeoutKind};
use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};
use docksock_tests::mio_rig::{Ev, Rig};

fn get(path: &str) -> Request<'_> {
    Request::new(RequestSpec::new("GET", path))
}

/// A chunked response head with these extra header lines.
fn chunked_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec()
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut v = format!("{:x}\r\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\r\n");
    v
}

fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![stream, 0, 0, 0];
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// Decodes a chunked body (test side, lenient), returning the data.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = body.iter().position(|&b| b == b'\n').expect("size line");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..nl - 1]).unwrap(), 16)
            .expect("hex size");
        body = &body[nl + 1..];
        if size == 0 {
            assert_eq!(body, b"\r\n");
            return out;
        }
        out.extend_from_slice(&body[..size]);
        assert_eq!(&body[size..size + 2], b"\r\n");
        body = &body[size + 2..];
    }
}

fn split_head(request: &[u8]) -> (&[u8], &[u8]) {
    let end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head end")
        + 4;
    request.split_at(end)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn dripped_ping_response_byte_by_byte() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::drip(dockerd_ping_response(), Duration::from_millis(1)),
        Step::Sleep(Duration::from_millis(300)),
    ]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let id = rig.send(&get("/_ping"));
    rig.run(Duration::from_secs(10), |log| {
        log.iter().any(|(_, e)| *e == Ev::End)
    });
    assert_eq!(
        rig.of(id),
        [Ev::Head(200), Ev::Data(b"OK".to_vec()), Ev::End]
    );
    // The head arrived in many small reads.
    assert!(rig.conn.stats().reads > 100, "{:?}", rig.conn.stats());
    assert!(
        rig.conn.is_idle(),
        "a complete keep-alive response leaves it reusable"
    );
    // The script ends by closing: a clean close of an idle connection.
    rig.run_to_close(Duration::from_secs(5));
    assert_eq!(rig.closed(), Some(None));
}

#[test]
fn dripped_pipelined_json_and_stdcopy_streams() {
    // Two messages split across chunks, two in one chunk, whitespace between them.
    let mut events = chunked_head();
    events.extend(chunk(b"{\"a\":1}\n{\"b\":\"x}"));
    events.extend(chunk(b"y\"}\n"));
    events.extend(chunk(b"{\"c\":[1,{}]}\n{\"d\":2}\n"));
    events.extend(b"0\r\n\r\n");
    // stdcopy frames: one split across chunks, one frame header split, a TTY-less stream.
    let mut body = frame(1, b"out-1\n");
    body.extend(frame(2, b"err-1\n"));
    body.extend(frame(1, b"out-2\n"));
    let mut logs = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    logs.extend(chunk(&body[..10]));
    logs.extend(chunk(&body[10..17]));
    logs.extend(chunk(&body[17..]));
    logs.extend(b"0\r\n\r\n");
    let mut both = events.clone();
    both.extend(&logs);
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::ReadRequest,
        Step::drip(both, Duration::from_micros(200)),
    ]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let ev = rig.send(&get("/events").mode(BodyMode::Json));
    let lg = rig.send(&get("/containers/x/logs").mode(BodyMode::Stdcopy(Mode::Multiplexed)));
    assert_eq!(rig.conn.outstanding(), 2, "pipelined");
    rig.run(Duration::from_secs(20), |log| {
        log.iter().filter(|(_, e)| *e == Ev::End).count() == 2
    });
    assert_eq!(
        rig.of(ev),
        [
            Ev::Head(200),
            Ev::Json(b"{\"a\":1}".to_vec()),
            // The `}` in the first piece is inside a string: not the end of the message.
            Ev::Json(b"{\"b\":\"x}y\"}".to_vec()),
            Ev::Json(b"{\"c\":[1,{}]}".to_vec()),
            Ev::Json(b"{\"d\":2}".to_vec()),
            Ev::End
        ]
    );
    // Dripped: frames come in pieces; join them per stream.
    let got = rig.of(lg);
    assert_eq!(got.first(), Some(&Ev::Head(200)));
    assert_eq!(got.last(), Some(&Ev::End));
    let mut joined: Vec<(StreamKind, Vec<u8>)> = Vec::new();
    for e in &got[1..got.len() - 1] {
        let Ev::Frame(s, d) = e else {
            panic!("unexpected {e:?}")
        };
        match joined.last_mut() {
            Some((ls, acc)) if ls == s => acc.extend_from_slice(d),
            _ => joined.push((*s, d.clone())),
        }
    }
    assert_eq!(
        joined,
        [
            (StreamKind::Stdout, b"out-1\n".to_vec()),
            (StreamKind::Stderr, b"err-1\n".to_vec()),
            (StreamKind::Stdout, b"out-2\n".to_vec()),
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].starts_with(b"GET /events HTTP/1.1\r\n"));
    assert!(requests[1].starts_with(b"GET /containers/x/logs HTTP/1.1\r\n"));
}

#[test]
fn error_status_bodies_are_data_not_frames() {
    let body = b"{\"message\":\"No such container: x\"}\n";
    let mut resp = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    resp.extend_from_slice(body);
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Write(resp)]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let id = rig.send(&get("/containers/x/logs").mode(BodyMode::Stdcopy(Mode::Multiplexed)));
    rig.run(Duration::from_secs(5), |log| {
        log.iter().any(|(_, e)| *e == Ev::End)
    });
    assert_eq!(
        rig.of(id),
        [Ev::Head(404), Ev::Data(body.to_vec()), Ev::End]
    );
}

#[test]
fn partial_writes_resume_on_writability() {
    // The server reads nothing for 300 ms: a 4 MiB body fills the socket buffer, writes come
    // back short or WouldBlock, and the rest goes out on writability.
    let body = pattern(4 << 20);
    let server = FaultServer::start(vec![
        Step::Sleep(Duration::from_millis(300)),
        Step::ReadRequest,
        Step::write("HTTP/1.1 204 No Content\r\n\r\n"),
    ]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let spec =
        RequestSpec::new("POST", "/images/load").headers(&[("Content-Type", "application/x-tar")]);
    let id = rig.send(&Request::new(spec).body(&body));
    rig.run(Duration::from_secs(20), |log| {
        log.iter().any(|(_, e)| *e == Ev::End)
    });
    assert_eq!(rig.of(id), [Ev::Head(204), Ev::End]);
    let stats = *rig.conn.stats();
    assert!(stats.write_would_block >= 1, "{stats:?}");
    assert!(stats.writes >= 2, "{stats:?}");
    let requests = server.requests();
    let (head, got) = split_head(&requests[0]);
    assert!(head.starts_with(b"POST /images/load HTTP/1.1\r\n"));
    assert!(String::from_utf8_lossy(head).contains(&format!("Content-Length: {}\r\n", body.len())));
    assert!(
        got == body,
        "body differs ({} vs {} bytes)",
        got.len(),
        body.len()
    );
}

#[test]
fn streamed_body_respects_the_write_queue_bound() {
    let body = pattern(3 << 20);
    let server = FaultServer::start(vec![
        Step::Sleep(Duration::from_millis(200)),
        Step::ReadRequest,
        Step::write(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"ok\"}\n",
        ),
    ]);
    let mut config = Config::default();
    config.write_buffer = 64 * 1024;
    let mut rig = Rig::connect(server.path(), config);
    let spec = RequestSpec::new("POST", "/images/create")
        .query(&[("fromSrc", "-")])
        .headers(&[("Content-Type", "application/x-tar")])
        .body(BodyFraming::Chunked);
    let id = rig.send(&Request::new(spec).streamed_body().mode(BodyMode::Json));
    let other = rig
        .conn
        .send(rig.poll.registry(), &get("/_ping"), Instant::now());
    assert_eq!(
        other,
        Err(SendError::Busy),
        "nothing pipelined behind a streamed body"
    );
    let mut offset = 0;
    let until = Instant::now() + Duration::from_secs(20);
    let mut short = 0;
    while offset < body.len() {
        assert!(Instant::now() < until, "stuck at {offset}");
        let end = (offset + 50_000).min(body.len());
        let n = rig
            .conn
            .write_body(rig.poll.registry(), id, &body[offset..end], Instant::now())
            .expect("write_body");
        offset += n;
        if n < end - offset + n {
            short += 1;
            // Wait for the queue to drain.
            rig.run(Duration::from_secs(20), |log| {
                log.iter()
                    .any(|(i, e)| *i == Some(id) && *e == Ev::WriteReady)
            });
            rig.log.retain(|(_, e)| *e != Ev::WriteReady);
        }
    }
    rig.conn
        .finish_body(rig.poll.registry(), id, Instant::now())
        .expect("finish");
    rig.run(Duration::from_secs(20), |log| {
        log.iter().any(|(_, e)| *e == Ev::End)
    });
    assert!(short > 0, "the bounded queue pushed back");
    assert_eq!(
        rig.of(id),
        [
            Ev::Head(200),
            Ev::Json(b"{\"status\":\"ok\"}".to_vec()),
            Ev::End
        ]
    );
    let requests = server.requests();
    let (_, raw) = split_head(&requests[0]);
    assert!(dechunk(raw) == body);
}

#[test]
fn stalled_peer_fires_the_head_deadline() {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Hang]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let started = Instant::now();
    let id = rig.send(&get("/_ping").head_timeout(Timeout::After(Duration::from_millis(200))));
    rig.run_to_close(Duration::from_secs(5));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(rig.of(id), [Ev::Error(Error::Timeout(TimeoutKind::Head))]);
    assert_eq!(rig.closed(), Some(Some(Error::Timeout(TimeoutKind::Head))));
    assert!(rig.conn.is_finished());
}

#[test]
fn stall_mid_body_fires_the_idle_deadline() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
        Step::Hang,
    ]);
    let mut config = Config::default();
    config.idle_timeout = Some(Duration::from_millis(200));
    let mut rig = Rig::connect(server.path(), config);
    let id = rig.send(&get("/containers/json"));
    let started = Instant::now();
    rig.run_to_close(Duration::from_secs(5));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        rig.of(id),
        [
            Ev::Head(200),
            Ev::Data(b"0123456789".to_vec()),
            Ev::Error(Error::Timeout(TimeoutKind::Idle))
        ]
    );
}

#[test]
fn silent_stream_without_idle_deadline_stays_open() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(chunked_head()),
        Step::Hang,
    ]);
    let mut config = Config::default();
    config.idle_timeout = Some(Duration::from_millis(50));
    let mut rig = Rig::connect(server.path(), config);
    let id = rig.send(
        &get("/events")
            .mode(BodyMode::Json)
            .idle_timeout(Timeout::Off),
    );
    let until = Instant::now() + Duration::from_millis(400);
    while Instant::now() < until {
        rig.turn(Duration::from_millis(50), true);
    }
    assert_eq!(rig.of(id), [Ev::Head(200)]);
    assert_eq!(rig.conn.next_deadline(), None);
    assert!(!rig.conn.is_closed());
}

#[test]
fn peer_closing_mid_body_is_an_error_never_an_end() {
    for (name, mode, resp) in [
        (
            "content-length",
            BodyMode::Bytes,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".to_vec(),
        ),
        ("chunked", BodyMode::Json, {
            let mut v = chunked_head();
            v.extend(chunk(b"{\"a\":1}\n{\"b\""));
            v
        }),
    ] {
        let server = FaultServer::start(vec![Step::ReadRequest, Step::Write(resp), Step::Close]);
        let mut rig = Rig::connect(server.path(), Config::default());
        let id = rig.send(&get("/x").mode(mode));
        rig.run_to_close(Duration::from_secs(5));
        let got = rig.of(id);
        assert!(!got.contains(&Ev::End), "{name}: {got:?}");
        assert_eq!(
            got.last(),
            Some(&Ev::Error(Error::Protocol(ProtoError::Peer(
                PeerError::UnexpectedEof
            )))),
            "{name}: {got:?}"
        );
        assert!(rig.closed().is_some_and(|e| e.is_some()), "{name}");
    }
}

#[test]
fn connection_close_fails_the_pipelined_followers() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nOK"),
        Step::Close,
    ]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let a = rig.send(&get("/_ping"));
    let b = rig.send(&get("/_ping"));
    rig.run_to_close(Duration::from_secs(5));
    assert_eq!(
        rig.of(a),
        [Ev::Head(200), Ev::Data(b"OK".to_vec()), Ev::End]
    );
    assert_eq!(rig.of(b), [Ev::Error(Error::NotAnswered)]);
    assert_eq!(rig.closed(), Some(None));
}

#[test]
fn back_pressure_pauses_reading_and_never_grows_the_buffer() {
    let body = pattern(2 << 20);
    let mut resp =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    resp.extend_from_slice(&body);
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Write(resp)]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let id = rig.send(&get("/images/x/get"));
    // A consumer that handles readiness but takes no events for a while.
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        rig.turn(Duration::from_millis(20), false);
    }
    let stats = *rig.conn.stats();
    assert!(stats.read_pauses >= 1, "{stats:?}");
    assert!(stats.peak_buffered <= 64 * 1024, "{stats:?}");
    assert!(stats.bytes_read < body.len() as u64, "{stats:?}");
    assert!(
        rig.conn.next_deadline().is_none(),
        "full buffer: nothing due until the consumer takes events"
    );
    // Now consume: reading resumes through the deadline path.
    rig.run(Duration::from_secs(20), |log| {
        log.iter().any(|(_, e)| *e == Ev::End)
    });
    assert_eq!(rig.of(id), [Ev::Head(200), Ev::Data(body), Ev::End]);
    assert!(rig.conn.stats().peak_buffered <= 64 * 1024);
}

#[test]
fn upgraded_stream_reads_frames_writes_stdin_and_half_closes() {
    let mut upgrade = b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".to_vec();
    upgrade.extend(frame(1, b"hello\n"));
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(upgrade),
        Step::ReadToEof,
        Step::Write(frame(2, b"bye\n")),
    ]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let spec = RequestSpec::new("POST", "/containers/x/attach")
        .query(&[
            ("stream", "1"),
            ("stdin", "1"),
            ("stdout", "1"),
            ("stderr", "1"),
        ])
        .upgrade(true);
    let id = rig.send(
        &Request::new(spec)
            .mode(BodyMode::Stdcopy(Mode::Multiplexed))
            .idle_timeout(Timeout::Off),
    );
    // Stdin before the 101 would be lost by dockerd: refused.
    assert_eq!(
        rig.conn
            .write_stdin(rig.poll.registry(), b"early", Instant::now()),
        Err(SendError::NotUpgraded)
    );
    rig.run(Duration::from_secs(5), |log| {
        log.iter().any(|(_, e)| matches!(e, Ev::Frame(..)))
    });
    let reg = rig.poll.registry();
    assert_eq!(
        rig.conn.write_stdin(reg, b"stdin-1\n", Instant::now()),
        Ok(8)
    );
    assert_eq!(
        rig.conn.write_stdin(reg, b"stdin-2\n", Instant::now()),
        Ok(8)
    );
    rig.conn
        .close_stdin(reg, Instant::now())
        .expect("close_stdin");
    rig.run_to_close(Duration::from_secs(5));
    assert_eq!(
        rig.of(id),
        [
            Ev::Head(101),
            Ev::Upgraded,
            Ev::Frame(StreamKind::Stdout, b"hello\n".to_vec()),
            Ev::Frame(StreamKind::Stderr, b"bye\n".to_vec()),
            Ev::End
        ]
    );
    assert_eq!(rig.closed(), Some(None));
    let received = server.received();
    assert!(
        received[0].ends_with(b"\r\n\r\nstdin-1\nstdin-2\n"),
        "{:?}",
        String::from_utf8_lossy(&received[0])
    );
}

#[test]
fn daemon_system_error_frame_is_reported() {
    let mut body = frame(1, b"line\n");
    body.extend(frame(3, b"Error grabbing logs: boom\n"));
    let mut resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    resp.extend(chunk(&body));
    resp.extend(b"0\r\n\r\n");
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Write(resp)]);
    let mut rig = Rig::connect(server.path(), Config::default());
    let id = rig.send(&get("/containers/x/logs").mode(BodyMode::Stdcopy(Mode::Multiplexed)));
    rig.run_to_close(Duration::from_secs(5));
    assert_eq!(
        rig.of(id),
        [
            Ev::Head(200),
            Ev::Frame(StreamKind::Stdout, b"line\n".to_vec()),
            Ev::SystemError(b"Error grabbing logs: boom\n".to_vec()),
            Ev::Error(Error::Protocol(ProtoError::Peer(
                PeerError::DaemonSystemError
            ))),
        ]
    );
}
