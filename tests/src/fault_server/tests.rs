//! The fault server's own tests: each kind of step against a plain client socket, the
//! connection rules, dropping, and the request framing.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::framing::{body_framing, chunked_end, find_head_end, Framing};
use super::*;

const PING: &[u8] = b"GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";

fn connect(server: &FaultServer) -> UnixStream {
    let s = UnixStream::connect(server.path()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn read_to_eof(s: &mut UnixStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read to EOF");
    out
}

#[test]
fn ping_response_is_the_recording() {
    let r = dockerd_ping_response();
    assert_eq!(r.len(), 289);
    assert!(r.starts_with(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"));
    assert!(r.ends_with(b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOK"));
}

#[test]
fn write_and_read() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    assert!(server.path().exists());
    let mut c = connect(&server);
    c.write_all(PING).unwrap();
    assert_eq!(read_to_eof(&mut c), dockerd_ping_response());
    assert!(server.wait_finished(Duration::from_secs(5)));
    assert_eq!(server.requests(), vec![PING.to_vec()]);
    assert_eq!(server.received(), vec![PING.to_vec()]);
    assert_eq!(server.connections(), 1);
    assert!(server.errors().is_empty(), "{:?}", server.errors());
}

#[test]
fn pipelined_requests_with_bodies_are_split() {
    let post = b"POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}".to_vec();
    let chunked = b"POST /build HTTP/1.1\r\nHost: docker\r\ntransfer-encoding: Chunked\r\nContent-Length: 99\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n".to_vec();
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::ReadRequest,
        Step::ReadRequest,
        Step::write("HTTP/1.1 204 No Content\r\n\r\n"),
    ]);
    let mut c = connect(&server);
    let mut all = post.clone();
    all.extend_from_slice(&chunked);
    all.extend_from_slice(PING);
    // Split at an awkward place to exercise partial reads.
    c.write_all(&all[..70]).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    c.write_all(&all[70..]).unwrap();
    assert_eq!(read_to_eof(&mut c), b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(server.requests(), vec![post, chunked, PING.to_vec()]);
}

#[test]
fn head_then_body_for_expect_continue() {
    let head = b"POST /x HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
    let server = FaultServer::start(vec![
        Step::ReadHead,
        Step::write("HTTP/1.1 100 Continue\r\n\r\n"),
        Step::ReadBody,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let mut c = connect(&server);
    c.write_all(head).unwrap();
    let mut interim = [0u8; 25];
    c.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.write_all(b"body").unwrap();
    assert_eq!(
        read_to_eof(&mut c),
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    );
    let mut want = head.to_vec();
    want.extend_from_slice(b"body");
    assert_eq!(server.requests(), vec![want]);
}

#[test]
fn drip_sends_one_byte_at_a_time() {
    let bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
    let delay = Duration::from_millis(10);
    let server = FaultServer::start(vec![Step::ReadRequest, Step::drip(&bytes, delay)]);
    let mut c = connect(&server);
    c.write_all(PING).unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 64];
    loop {
        let n = c.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        reads += 1;
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, bytes);
    assert!(started.elapsed() >= delay * (bytes.len() as u32 - 1));
    // Nearly every read sees a single byte (allow for scheduling hiccups).
    assert!(
        reads >= bytes.len() / 2,
        "{reads} reads for {} bytes",
        bytes.len()
    );
}

#[test]
fn close_mid_response() {
    let resp = dockerd_ping_response();
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(&resp[..100]),
        Step::Close,
    ]);
    let mut c = connect(&server);
    c.write_all(PING).unwrap();
    assert_eq!(read_to_eof(&mut c), &resp[..100]);
    assert!(server.wait_finished(Duration::from_secs(5)));
}

#[test]
fn shutdown_write_then_keep_reading() {
    let server = FaultServer::start(vec![
        Step::write("early"),
        Step::ShutdownWrite,
        Step::ReadRequest,
        Step::ReadToEof,
    ]);
    let mut c = connect(&server);
    assert_eq!(read_to_eof(&mut c), b"early");
    c.write_all(PING).unwrap();
    c.write_all(b"raw stdin").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert!(server.wait_finished(Duration::from_secs(5)));
    assert_eq!(server.requests(), vec![PING.to_vec()]);
    let mut all = PING.to_vec();
    all.extend_from_slice(b"raw stdin");
    assert_eq!(server.received(), vec![all]);
}

#[test]
fn hang_times_out_the_client_and_drop_releases_it() {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Hang]);
    let mut c = connect(&server);
    c.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    c.write_all(PING).unwrap();
    let mut buf = [0u8; 16];
    let err = c.read(&mut buf).expect_err("no answer while hanging");
    assert!(matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ));
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "Hang parks, the script ends"
    );
    assert_eq!(server.requests(), vec![PING.to_vec()]);
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(1));
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        c.read(&mut buf).unwrap(),
        0,
        "EOF once the server is dropped"
    );
}

#[test]
fn steps_continue_on_the_next_connection() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"),
        Step::Close,
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::Accept,
        Step::write("third"),
    ]);
    let mut a = connect(&server);
    a.write_all(PING).unwrap();
    assert_eq!(
        read_to_eof(&mut a),
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"
    );
    let mut b = connect(&server);
    b.write_all(PING).unwrap();
    assert_eq!(read_to_eof(&mut b), dockerd_ping_response());
    let mut c = connect(&server);
    assert_eq!(read_to_eof(&mut c), b"third");
    assert!(server.wait_finished(Duration::from_secs(5)));
    assert_eq!(server.connections(), 3);
    assert_eq!(server.requests().len(), 2);
    // After the script: connections are accepted and closed at once.
    let mut d = connect(&server);
    assert_eq!(read_to_eof(&mut d), b"");
}

#[test]
fn hang_then_accept_keeps_the_first_connection_open() {
    let server = FaultServer::start(vec![Step::Hang, Step::Accept, Step::write("second")]);
    let mut a = connect(&server);
    let mut b = connect(&server);
    assert_eq!(read_to_eof(&mut b), b"second");
    a.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 4];
    assert!(
        a.read(&mut buf).is_err(),
        "first connection still open and silent"
    );
}

#[test]
fn eof_mid_request_records_the_partial_request() {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::write("never read")]);
    let mut c = connect(&server);
    c.write_all(b"GET /_ping HTTP/1.1\r\nHo").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert!(server.wait_finished(Duration::from_secs(5)));
    assert_eq!(
        server.requests(),
        vec![b"GET /_ping HTTP/1.1\r\nHo".to_vec()]
    );
    assert_eq!(server.errors().len(), 1, "{:?}", server.errors());
    assert_eq!(read_to_eof(&mut c), b"never read");
}

#[test]
fn drop_does_not_block_on_pending_steps() {
    // Waiting for a connection that never comes.
    let server = FaultServer::start(vec![Step::ReadRequest]);
    let path = server.path().to_path_buf();
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!path.exists(), "socket removed");
    assert!(!path.parent().unwrap().exists(), "directory removed");

    // Waiting for a request from an idle client, and in a long sleep.
    for script in [
        vec![Step::ReadRequest],
        vec![Step::Accept, Step::Sleep(Duration::from_secs(60))],
    ] {
        let server = FaultServer::start(script);
        let mut c = connect(&server);
        std::thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(read_to_eof(&mut c), b"");
    }

    // Writing a big response to a client that never reads.
    let server = FaultServer::start(vec![Step::Write(vec![b'x'; 8 << 20])]);
    let _c = connect(&server);
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn head_end_and_chunked_parsing() {
    assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
    assert_eq!(find_head_end(b"GET / HTTP/1.1\n\nrest"), Some(16));
    assert_eq!(
        find_head_end(b"\r\nGET / HTTP/1.1\r\nA: b\r\n\r\n"),
        Some(26)
    );
    assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r"), None);
    assert_eq!(chunked_end(b"0\r\n\r\nNEXT"), Some(5));
    assert_eq!(chunked_end(b"3\r\nabc\r\n0\r\n\r\n"), Some(13));
    assert_eq!(chunked_end(b"3\r\nabc\r\n0\r\n"), None);
    assert_eq!(chunked_end(b"3\r\nab"), None);
    assert_eq!(chunked_end(b"zz\r\n"), Some(0));
    assert_eq!(
        body_framing(b"POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\n"),
        Framing::Length(7)
    );
    assert_eq!(body_framing(b"GET / HTTP/1.1\r\n\r\n"), Framing::Length(0));
}
