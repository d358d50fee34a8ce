//! The blocking client against the scripted fault server: faults a real daemon won't produce
//! on demand, in the responses themselves. Dripped responses, a connection closed mid-body, a
//! server that never answers or goes quiet mid-body, garbage and oversized heads. Retries and
//! uploads are in `blocking_faults_retry.rs`, hijacked streams and whole calls in
//! `blocking_faults_calls.rs`; the helpers here serve all three.

use std::io::Read;
use std::time::{Duration, Instant};

use docksock::proto::{Error as ProtoError, PeerError};
use docksock::{ApiVersion, Body, Client, Error, Limits, TimeoutKind};
use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};

/// A client for the fault server: version pinned (no negotiation round trip), short timeouts.
pub(crate) fn client(server: &FaultServer) -> Client {
    Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .head_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(5))
        .build()
}

pub(crate) fn peer(err: &Error) -> Option<PeerError> {
    match err {
        Error::Protocol {
            source: ProtoError::Peer(p),
            ..
        } => Some(*p),
        _ => None,
    }
}

pub(crate) fn finished(server: &FaultServer) {
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished"
    );
}

pub(crate) const CHUNKED_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
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
