//! The blocking client against the scripted fault server: hijacked streams (bytes after the
//! head, the `200` close-delimited form, system errors and truncation), log frames across chunks,
//! version negotiation's fallbacks, whole bodies and their cap, response headers, an invalid
//! request that leaves the pool alone, and queries and headers encoded as given.

use std::io::{Read, Write};
use std::time::Duration;

use docksock::proto::{Error as ProtoError, PeerError};
use docksock::{ApiVersion, AttachOptions, Body, Client, Error, StreamKind};
use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};

use crate::blocking_faults::{client, finished, peer, CHUNKED_JSON};

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
