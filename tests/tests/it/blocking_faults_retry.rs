//! The blocking client against the scripted fault server: connection reuse and retry. A daemon
//! "restart" between requests (the pool recovers with exactly one retry), the cases that must
//! not be retried, an early answer that stops an upload, and the write timeout when the daemon
//! stops reading.

use std::time::{Duration, Instant};

use docksock::proto::PeerError;
use docksock::{ApiVersion, Body, Client, Error, TimeoutKind};
use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};
use docksock_tests::tar::ZeroFileTar;

use crate::blocking_faults::{client, finished, peer};

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

#[test]
fn blocking_fault_early_answer_stops_a_written_body() {
    // The same refusal, for a body a producer writes (Body::writer): its next write fails,
    // and the call returns the daemon's answer, not the producer's error.
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
    let mut produced = 0u64;
    let mut producer_saw = None;
    let err = docker
        .request(
            "POST",
            "/images/load",
            &[],
            &[],
            &[],
            Body::writer(|out| {
                let chunk = vec![0u8; 100_000];
                for _ in 0..2560 {
                    if let Err(e) = out.write_all(&chunk) {
                        producer_saw = Some(e.to_string());
                        return Err(e);
                    }
                    produced += chunk.len() as u64;
                }
                Ok(())
            }),
        )
        .and_then(|resp| resp.error_for_status())
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
    assert!(
        produced < 64 << 20,
        "the producer went on: {produced} bytes"
    );
    let saw = producer_saw.expect("the producer's write never failed");
    // Which comes first, the answer seen between chunks or the failed write after the
    // close, is the scheduler's choice; either way the producer is told the daemon is done.
    assert!(
        saw.contains("answered") || saw.contains("stopped reading"),
        "{saw}"
    );
}

#[test]
fn blocking_fault_written_body_is_chunked_and_ended() {
    let server = FaultServer::start(vec![
        Step::ReadHead,
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let docker = client(&server);
    let resp = docker
        .request(
            "POST",
            "/images/load",
            &[],
            &[],
            &[],
            Body::writer(|out| {
                out.write_all(b"abc")?;
                out.write_all(&[b'x'; 70_000])?;
                out.write_all(b"end")
            }),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    finished(&server);
    let wire: Vec<u8> = server.received().concat();
    // 64 KiB chunks as the writer fills them, then the rest, then the last chunk.
    let body_at = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &wire[body_at..];
    assert!(body.starts_with(b"10000\r\nabc"), "{:?}", &body[..12]);
    assert!(body.ends_with(b"xxxend\r\n0\r\n\r\n"));
    assert_eq!(body.len(), 7 + 0x10000 + 2 + 6 + (70_006 - 0x10000) + 2 + 5);
}
