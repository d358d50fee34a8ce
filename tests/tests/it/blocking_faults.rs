//! The blocking client against the scripted fault server: faults a real daemon won't produce
//! on demand. Dripped responses, a connection closed mid-body, a server that never answers,
//! garbage and oversized heads, a daemon "restart" between requests (the pool recovers with
//! exactly one retry), the cases that must not be retried, early answers to uploads, and
//! hijacked streams.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use docksock::proto::{Error as ProtoError, PeerError};
use docksock::{ApiVersion, AttachOptions, Body, Client, Error, Limits, StreamKind, TimeoutKind};
use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};
use docksock_tests::tar::ZeroFileTar;

/// A client for the fault server: version pinned (no negotiation round trip), short timeouts.
fn client(server: &FaultServer) -> Client {
    Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .head_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(5))
        .build()
}

fn peer(err: &Error) -> Option<PeerError> {
    match err {
        Error::Protocol {
            source: ProtoError::Peer(p),
            ..
        } => Some(*p),
        _ => None,
    }
}

fn finished(server: &FaultServer) {
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished"
    );
}

const CHUNKED_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n9\r\n [1,2,3]}\r\n0\r\n\r\n";

#[test]
fn blocking_fault_dripped_responses_succeed() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::drip(dockerd_ping_response(), Duration::from_millis(1)),
        Step::ReadRequest,
        Step::drip(CHUNKED_JSON, Duration::from_millis(1)),
    ]);
    let docker = client(&server);
    let ping = docker.ping().unwrap();
    assert_eq!(ping.body, "OK");
    assert_eq!(ping.api_version.as_deref(), Some("1.41"));
    let v = docker.version().unwrap();
    assert_eq!(v, serde_json::json!({"a": [1, 2, 3]}));
    finished(&server);
    // Both on one keep-alive connection, with the pinned version prefix.
    assert_eq!(server.connections(), 1);
    let reqs = server.requests();
    assert!(reqs[0].starts_with(b"GET /v1.41/_ping HTTP/1.1\r\n"));
    assert!(reqs[1].starts_with(b"GET /v1.41/version HTTP/1.1\r\n"));
}

#[test]
fn blocking_fault_closed_mid_body_is_an_error() {
    let server = FaultServer::start(vec![
        // Content-Length 100, 10 bytes, EOF.
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\""),
        Step::Close,
        // Chunked, EOF inside a chunk.
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"a\":1}"),
        Step::Close,
        // A JSON stream cut between chunks, through the Read impl.
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\":1}\n\r\n"),
        Step::Close,
    ]);
    let docker = client(&server);
    let err = docker.version().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::UnexpectedEof), "{err:?}");
    let err = docker.info().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::UnexpectedEof), "{err:?}");

    let mut resp = docker
        .request("GET", "/events", &[], &[], &[], Body::empty())
        .unwrap();
    let mut all = Vec::new();
    let io_err = resp.read_to_end(&mut all).unwrap_err();
    assert_eq!(io_err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(
        all, b"{\"n\":1}\n",
        "data before the cut is delivered, then the error"
    );
    // Reading again does not turn the error into a clean EOF.
    assert!(resp.read(&mut [0u8; 16]).is_err());
    finished(&server);
}

#[test]
fn blocking_fault_json_stream_truncated() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             8\r\n{\"n\":1}\n\r\n4\r\n{\"n\"\r\n",
        ),
        Step::Close,
    ]);
    let docker = client(&server);
    let mut events = docker.events(&Default::default()).unwrap();
    assert_eq!(events.next().unwrap().unwrap(), serde_json::json!({"n": 1}));
    let err = events.next().unwrap().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::UnexpectedEof), "{err:?}");
    assert!(events.next().is_none());
}

#[test]
fn blocking_fault_json_messages_after_part_of_the_body_was_read() {
    // Two messages in one chunk: the first read through `Read`, the rest as messages (the
    // bytes of the chunk not read yet are split by the exchange too).
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             10\r\n{\"n\":1}\n{\"n\":2}\n\r\n8\r\n{\"n\":3}\n\r\n0\r\n\r\n",
        ),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    let mut resp = docker
        .request("GET", "/events", &[], &[], &[], Body::empty())
        .unwrap();
    let mut first = [0u8; 8];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"{\"n\":1}\n");
    let rest: Vec<_> = resp.json_messages().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        rest,
        [serde_json::json!({"n": 2}), serde_json::json!({"n": 3})]
    );
    // The stream ended cleanly: the connection is reused.
    assert_eq!(docker.ping().unwrap().body, "OK");
    finished(&server);
    assert_eq!(server.connections(), 1);
}

#[test]
fn blocking_fault_head_timeout() {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Hang]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .head_timeout(Duration::from_millis(300))
        .build();
    let started = Instant::now();
    let err = docker.ping().unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Head,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(
        elapsed >= Duration::from_millis(280) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(err.to_string().contains("head_timeout"), "{err}");
}

#[test]
fn blocking_fault_head_timeout_is_a_deadline_not_per_read() {
    // A head dripped slower than the head timeout allows in total: each byte comes well within
    // the timeout, but the head as a whole does not.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::drip(dockerd_ping_response(), Duration::from_millis(20)),
    ]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .head_timeout(Duration::from_millis(400))
        .build();
    let err = docker.ping().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Head,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn blocking_fault_idle_timeout_on_a_body() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\":1}\n\r\n"),
        Step::Hang,
    ]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .idle_timeout(Duration::from_millis(300))
        .build();
    // A custom call keeps the client's idle timeout (`events()` has none: see below).
    let mut events = docker
        .request("GET", "/events", &[], &[], &[], Body::empty())
        .unwrap()
        .json_messages();
    assert_eq!(events.next().unwrap().unwrap(), serde_json::json!({"n": 1}));
    let started = Instant::now();
    let err = events.next().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Idle,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// Follow streams and waits have no idle limit unless the caller sets one: a quiet event
/// stream outlives the client's idle timeout, and `set_idle_timeout` puts a limit back.
#[test]
fn blocking_fault_follow_streams_outlive_the_idle_timeout() {
    let quiet = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\":1}\n\r\n";
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(quiet),
        Step::Sleep(Duration::from_millis(900)),
        Step::write("8\r\n{\"n\":2}\n\r\n0\r\n\r\n"),
        Step::ReadRequest,
        Step::write(quiet),
        Step::Hang,
    ]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .idle_timeout(Duration::from_millis(300))
        .build();
    let events: Vec<_> = docker
        .events(&Default::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        events,
        [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})]
    );
    let mut events = docker.events(&Default::default()).unwrap();
    events.set_idle_timeout(Duration::from_millis(300));
    assert_eq!(events.next().unwrap().unwrap(), serde_json::json!({"n": 1}));
    let started = Instant::now();
    let err = events.next().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Idle,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn blocking_fault_garbage_heads_are_protocol_errors() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write("SSH-2.0-OpenSSH_9.2\r\n\r\n"),
        Step::Close,
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\nContent-Length: 2\n\nOK"),
        Step::Close,
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK"),
        Step::Close,
        Step::ReadRequest,
        Step::write([0u8, 159, 146, 150, 13, 10, 13, 10]),
        Step::Close,
    ]);
    let docker = client(&server);
    let expect = [
        PeerError::InvalidStatusLine,
        PeerError::BareLf,
        PeerError::InvalidContentLength,
        PeerError::InvalidStatusLine,
    ];
    for want in expect {
        let err = docker.ping().unwrap_err();
        assert_eq!(peer(&err), Some(want), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("GET /v1.41/_ping: bad response from the daemon"),
            "{err}"
        );
    }
    finished(&server);
    // A protocol error is never retried.
    assert_eq!(server.connections(), 4);
}

#[test]
fn blocking_fault_oversized_head() {
    let mut big = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    big.resize(big.len() + 20 * 1024, b'a');
    big.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\nOK");
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(big.clone()),
        Step::Close,
        Step::ReadRequest,
        Step::Write(big),
    ]);
    // The default limit (16 KiB) rejects it...
    let docker = client(&server);
    let err = docker.ping().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::HeadTooLarge), "{err:?}");
    // ...a raised one accepts it.
    let mut limits = Limits::default();
    limits.max_head_bytes = 64 * 1024;
    let roomy = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .limits(limits)
        .build();
    let ping = roomy.ping().unwrap();
    assert_eq!(ping.body, "OK");
}

#[test]
fn blocking_fault_restart_between_requests_is_retried_once() {
    // The daemon answers keep-alive, then "restarts": the idle pooled connection is closed.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::Close,
        Step::ReadRequest, // the retry, on a new connection
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    assert_eq!(docker.ping().unwrap().body, "OK");
    // Let the server close the pooled connection before the next request.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(docker.ping().unwrap().body, "OK");
    finished(&server);
    assert_eq!(server.connections(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn blocking_fault_closed_after_reading_the_request_is_retried_once() {
    // The pooled connection is closed after the daemon read the next request, before any byte
    // of the answer: ClosedBeforeResponse on a reused connection, the one retryable case.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::ReadRequest,
        Step::Close,
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    assert_eq!(docker.ping().unwrap().body, "OK");
    // A JSON body is replayable, so it is retried too.
    let resp = docker
        .request(
            "POST",
            "/_ping",
            &[],
            &[],
            &[],
            Body::json(&serde_json::json!({"k": "v"})),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    finished(&server);
    assert_eq!(server.connections(), 2);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[1], reqs[2], "the retry sends the same request");
    assert!(reqs[2].ends_with(b"{\"k\":\"v\"}"));
}

#[test]
fn blocking_fault_partial_response_on_reused_connection_is_not_retried() {
    let ping = dockerd_ping_response();
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(ping.clone()),
        Step::ReadRequest,
        Step::Write(ping[..40].to_vec()),
        Step::Close,
    ]);
    let docker = client(&server);
    assert_eq!(docker.ping().unwrap().body, "OK");
    let err = docker.ping().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::UnexpectedEof), "{err:?}");
    finished(&server);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.connections(), 1, "no retry after a response byte");
}

#[test]
fn blocking_fault_fresh_connection_closed_is_not_retried() {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Close]);
    let docker = client(&server);
    let err = docker.ping().unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::ClosedBeforeResponse), "{err:?}");
    finished(&server);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        server.connections(),
        1,
        "a fresh connection is never retried"
    );
}

#[test]
fn blocking_fault_consumed_stream_body_is_not_retried() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::ReadRequest, // the whole streamed body
        Step::Close,
    ]);
    let docker = client(&server);
    assert_eq!(docker.ping().unwrap().body, "OK");
    let mut data = &b"streamed body that cannot be replayed"[..];
    let err = docker
        .request("POST", "/build", &[], &[], &[], Body::reader(&mut data))
        .unwrap_err();
    assert_eq!(peer(&err), Some(PeerError::ClosedBeforeResponse), "{err:?}");
    finished(&server);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.connections(), 1);
    let reqs = server.requests();
    assert!(reqs[1].starts_with(b"POST /v1.41/build HTTP/1.1\r\n"));
    assert!(reqs[1].ends_with(b"25\r\nstreamed body that cannot be replayed\r\n0\r\n\r\n"));
}

#[test]
fn blocking_fault_early_answer_stops_the_upload() {
    // The daemon rejects the upload after the head, without reading the body, and closes.
    let server = FaultServer::start(vec![
        Step::ReadHead,
        Step::write(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
             Connection: close\r\nContent-Length: 29\r\n\r\n{\"message\":\"upload refused\"}\n",
        ),
        Step::Sleep(Duration::from_millis(100)),
        Step::Close,
    ]);
    let docker = client(&server);
    // 256 MiB that would take a while to push: the client must stop and read the answer.
    let tar = ZeroFileTar::new("big", 256 << 20);
    let started = Instant::now();
    let err = docker
        .import_image(tar, "docksock-test/refused", "x")
        .unwrap_err();
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "upload refused");
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let sent: usize = server.received().iter().map(Vec::len).sum();
    assert!(sent < 64 << 20, "the upload went on: {sent} bytes");
}

#[test]
fn blocking_fault_write_timeout_when_the_daemon_stops_reading() {
    // The daemon reads the head of an upload and then nothing: once the socket buffers are
    // full, no request byte moves, and the write timeout (not the idle one) fires.
    let server = FaultServer::start(vec![Step::ReadHead, Step::Hang]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .idle_timeout(Duration::from_secs(30))
        .write_timeout(Duration::from_millis(300))
        .build();
    let tar = ZeroFileTar::new("big", 256 << 20);
    let started = Instant::now();
    let err = docker
        .import_image(tar, "docksock-test/stalled", "x")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Write,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("write_timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

const UPGRADED: &[u8] =
    b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\
Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";

fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut f = vec![stream, 0, 0, 0];
    f.extend_from_slice(&(data.len() as u32).to_be_bytes());
    f.extend_from_slice(data);
    f
}

fn attach_opts() -> AttachOptions {
    AttachOptions {
        tty: Some(false),
        ..Default::default()
    }
}

#[test]
fn blocking_fault_hijack_keeps_bytes_after_the_head() {
    let mut first = UPGRADED.to_vec();
    first.extend(frame(1, b"early"));
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(first), // the head and the first frame in one write
        Step::ReadToEof,    // stdin until the client half-closes
        Step::Write(frame(2, b"bye")),
        Step::Close,
    ]);
    let docker = client(&server);
    let mut demux = docker
        .attach_container("c1", &attach_opts())
        .unwrap()
        .demux();
    let (kind, data) = demux.next_chunk().unwrap().unwrap();
    assert_eq!((kind, data), (StreamKind::Stdout, &b"early"[..]));
    demux.get_mut().write_all(b"input").unwrap();
    demux.get_ref().close_stdin().unwrap();
    let rest = demux.collect_output().unwrap();
    assert_eq!(rest.stderr, b"bye");
    finished(&server);
    let req = &server.requests()[0];
    let head = String::from_utf8_lossy(req);
    assert!(
        head.starts_with("POST /v1.41/containers/c1/attach?stream=1&logs=0&stdin=1"),
        "{head}"
    );
    assert!(
        head.contains("Connection: Upgrade\r\nUpgrade: tcp\r\n"),
        "{head}"
    );
    let received = &server.received()[0];
    assert!(
        received.ends_with(b"\r\n\r\ninput"),
        "stdin after the request"
    );
}

#[test]
fn blocking_fault_logs_frames_across_chunks_then_reuse() {
    // A stdout frame cut across two chunks, then a stderr frame, dripped: the exchange splits
    // the frames whatever the chunking, and the connection is reused after the body.
    let mut frames = frame(1, b"hello ");
    frames.extend(frame(2, b"oops"));
    let (a, b) = frames.split_at(5);
    let mut body =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\
                     Transfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for piece in [a, b] {
        body.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        body.extend_from_slice(piece);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::drip(body, Duration::from_millis(1)),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    let opts = docksock::LogsOptions {
        stdout: true,
        stderr: true,
        tty: Some(false),
        ..Default::default()
    };
    let out = docker
        .container_logs("c1", &opts)
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"hello "[..], &b"oops"[..])
    );
    assert_eq!(docker.ping().unwrap().body, "OK");
    finished(&server);
    assert_eq!(server.connections(), 1);
}

#[test]
fn blocking_fault_hijack_200_close_delimited_form() {
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n".to_vec();
    resp.extend(frame(1, b"out"));
    resp.extend(frame(2, b"err"));
    let server = FaultServer::start(vec![Step::ReadRequest, Step::Write(resp), Step::Close]);
    let docker = client(&server);
    let out = docker
        .attach_container("c1", &attach_opts())
        .unwrap()
        .demux()
        .collect_output()
        .unwrap();
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"out"[..], &b"err"[..])
    );
}

#[test]
fn blocking_fault_hijack_system_error_and_truncation() {
    let mut syserr = UPGRADED.to_vec();
    syserr.extend(frame(1, b"data"));
    syserr.extend(frame(3, b"Error grabbing logs: boom\n"));
    let mut truncated = UPGRADED.to_vec();
    truncated.extend(&frame(1, b"0123456789")[..12]);
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(syserr),
        Step::Close,
        Step::ReadRequest,
        Step::Write(truncated),
        Step::Close,
    ]);
    let docker = client(&server);
    let mut demux = docker
        .attach_container("c1", &attach_opts())
        .unwrap()
        .demux();
    assert_eq!(demux.next().unwrap().unwrap().data, b"data");
    match demux.next().unwrap().unwrap_err() {
        Error::Stream { message, .. } => assert_eq!(message, "Error grabbing logs: boom"),
        other => panic!("{other:?}"),
    }
    assert!(demux.next().is_none());

    let err = docker
        .attach_container("c1", &attach_opts())
        .unwrap()
        .demux()
        .collect_output()
        .unwrap_err();
    assert_eq!(
        peer(&err),
        Some(PeerError::TruncatedStdcopyFrame),
        "{err:?}"
    );
}

#[test]
fn blocking_fault_negotiation_head_fallback_and_too_old() {
    let ping_with = |version: &str, method_head: bool| {
        let body = if method_head { "" } else { "OK" };
        format!("HTTP/1.1 200 OK\r\nApi-Version: {version}\r\nContent-Length: 2\r\n\r\n{body}")
    };
    let server = FaultServer::start(vec![
        // HEAD /_ping: the router's 404 (HEAD: no body despite Content-Length).
        Step::ReadRequest,
        Step::write("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n"),
        // GET /_ping.
        Step::ReadRequest,
        Step::write(ping_with("1.41", false)),
        // The request itself, with the negotiated prefix.
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
    ]);
    let docker = Client::new(server.path());
    assert_eq!(docker.info().unwrap(), serde_json::json!({}));
    assert_eq!(docker.api_version().unwrap(), ApiVersion::new(1, 41));
    finished(&server);
    let reqs = server.requests();
    assert!(reqs[0].starts_with(b"HEAD /_ping HTTP/1.1\r\n"));
    assert!(reqs[1].starts_with(b"GET /_ping HTTP/1.1\r\n"));
    assert!(reqs[2].starts_with(b"GET /v1.41/info HTTP/1.1\r\n"));
    assert_eq!(server.connections(), 1);

    // A daemon newer than the client: capped at the client's newest.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(ping_with("1.99", true)),
    ]);
    let docker = Client::new(server.path());
    assert_eq!(
        docker.api_version().unwrap(),
        docksock::proto::version::MAX_SUPPORTED
    );

    // A daemon older than the client supports: a Version error that says what to do.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(ping_with("1.10", true)),
    ]);
    let docker = Client::new(server.path());
    match docker.info().unwrap_err() {
        Error::Version { message } => {
            assert!(message.contains("up to 1.10"), "{message}");
            assert!(message.contains("upgrade the Docker daemon"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// A `Content-Length` response with this body.
fn with_length(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn blocking_fault_whole_bodies_on_one_connection() {
    // Larger than the connection's 64 KiB read buffer: several reads, several data pieces.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(with_length(&big)),
        Step::ReadRequest,
        Step::drip(CHUNKED_JSON, Duration::from_millis(1)),
        Step::ReadRequest,
        Step::Write(with_length(b"0123456789")),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    let get = |path: &str| {
        docker
            .request("GET", path, &[], &[], &[], Body::empty())
            .unwrap()
    };
    let body = get("/big").bytes().unwrap();
    assert_eq!(body.len(), big.len());
    assert_eq!(body.capacity(), big.len(), "sized by Content-Length");
    assert!(body == big);
    assert_eq!(get("/chunked").text().unwrap(), "{\"a\": [1,2,3]}");
    // Part of the body through `Read`, the rest whole.
    let mut resp = get("/digits");
    let mut first = [0u8; 3];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"012");
    assert_eq!(resp.bytes().unwrap(), b"3456789");
    assert_eq!(docker.ping().unwrap().body, "OK");
    finished(&server);
    assert_eq!(server.connections(), 1);
}

#[test]
fn blocking_fault_max_body_is_a_cap() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(with_length(b"0123456789")),
        Step::ReadRequest,
        Step::Write(with_length(b"0123456789x")),
        Step::Accept,
        Step::ReadRequest,
        Step::write(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             6\r\n012345\r\n5\r\n6789x\r\n0\r\n\r\n",
        ),
    ]);
    let docker = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .max_body(10)
        .build();
    let get = || {
        docker
            .request("GET", "/x", &[], &[], &[], Body::empty())
            .unwrap()
    };
    assert_eq!(get().bytes().unwrap(), b"0123456789");
    for _ in 0..2 {
        match get().bytes().unwrap_err() {
            err @ Error::TooLarge { limit: 10, .. } => {
                let m = err.to_string();
                assert!(
                    m.starts_with("GET /v1.41/x: ") && m.contains("10-byte cap"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    finished(&server);
    assert_eq!(
        server.connections(),
        2,
        "a body over the cap closes the connection"
    );
}

#[test]
fn blocking_fault_response_headers() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(
            &b"HTTP/1.1 200 Fine\r\nApi-Version: 1.41\r\nX-Dup: a\r\nx-dup: b\r\n\
               X-Bytes: caf\xc3\xa9 \xff\r\nContent-Length: 2\r\n\r\nOK"[..],
        ),
    ]);
    let docker = client(&server);
    let resp = docker
        .request("GET", "/_ping", &[], &[], &[], Body::empty())
        .unwrap();
    assert_eq!((resp.status, resp.reason.as_str()), (200, "Fine"));
    assert_eq!(resp.header("api-version"), Some("1.41"));
    assert_eq!(resp.headers.get("X-DUP"), Some("a"));
    assert_eq!(
        resp.headers.get_all("x-dup").collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(resp.header("X-Bytes"), Some("café \u{fffd}"));
    assert_eq!(resp.headers.len(), 5);
    let names: Vec<&str> = resp.headers.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["Api-Version", "X-Dup", "x-dup", "X-Bytes", "Content-Length"]
    );
    assert_eq!(resp.text().unwrap(), "OK");
}

#[test]
fn blocking_fault_invalid_request_leaves_the_pool_alone() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    assert_eq!(docker.ping().unwrap().body, "OK");
    // Refused before anything is sent; the idle connection stays pooled.
    let err = docker
        .request(
            "GET",
            "/containers/{id}/json",
            &[("id", docksock::PathParam::Plain("a/b"))],
            &[],
            &[],
            Body::empty(),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { ref value, .. } if value == "\"a/b\""),
        "{err:?}"
    );
    assert_eq!(docker.ping().unwrap().body, "OK");
    finished(&server);
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests().len(), 2);

    // Without a pooled connection, nothing is connected either: the request error, not the
    // missing socket, is reported.
    let nowhere = Client::builder()
        .socket("/nonexistent/docksock.sock")
        .api_version(ApiVersion::new(1, 41))
        .build();
    let err = nowhere
        .request("GET", "/x", &[], &[], &[("Bad Name", "v")], Body::empty())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol {
                source: ProtoError::Misuse(_),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn blocking_fault_query_and_headers_are_encoded_as_given() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
        Step::ReadRequest,
        Step::Write(dockerd_ping_response()),
    ]);
    let docker = client(&server);
    let query: Vec<(String, String)> = (0..20).map(|i| (format!("k{i}"), i.to_string())).collect();
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (&**k, &**v)).collect();
    for q in [&query[..2], &query[..]] {
        docker
            .request("GET", "/_ping", &[], q, &[("X-A", "1")], Body::empty())
            .unwrap()
            .bytes()
            .unwrap();
    }
    // A JSON body adds its Content-Type after the caller's headers.
    docker
        .request(
            "POST",
            "/_ping",
            &[],
            &[],
            &[("X-A", "1")],
            Body::json(&serde_json::json!({})),
        )
        .unwrap()
        .bytes()
        .unwrap();
    finished(&server);
    let reqs = server.requests();
    assert_eq!(
        reqs[0],
        b"GET /v1.41/_ping?k0=0&k1=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nX-A: 1\r\n\r\n"
    );
    let long: Vec<String> = (0..20).map(|i| format!("k{i}={i}")).collect();
    assert!(
        reqs[1].starts_with(format!("GET /v1.41/_ping?{} HTTP/1.1\r\n", long.join("&")).as_bytes())
    );
    assert_eq!(
        reqs[2],
        b"POST /v1.41/_ping HTTP/1.1\r\nHost: api.moby.localhost\r\nX-A: 1\r\n\
          Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    );
}
