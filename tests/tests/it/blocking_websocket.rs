//! Attach over a WebSocket (`GET /containers/{id}/attach/ws`, RFC 6455) against the real
//! daemon — a `cat` container echoing stdin sent as masked frames, a container's output read
//! message by message, the stream selection of API 1.42, the logs of a stopped container, an
//! unknown container — and against the scripted fault server: a bad or missing
//! `Sec-WebSocket-Accept`, pings answered, the close handshake both ways, fragmented messages,
//! a masked server frame.

use std::io::{Read, Write};

use docksock::proto::websocket::{apply_mask, Opcode};
use docksock::proto::PeerError;
use docksock::{AttachOptions, Client, Error, MessageKind, WebSocket};
use docksock_tests::fault_server::{FaultServer, Step};
use docksock_tests::{
    busybox_image, daemon, set_aside, unique_name, wait_exit, ContainerGuard, Engine,
};
use serde_json::json;

use crate::blocking_faults::{client, finished, peer};

/// What Podman 4.3 answers on `/containers/{id}/attach/ws`: its compat API has no such route
/// (its router's plain-text `404 Not Found`, as for any unknown path, not its JSON "no such
/// container").
const PODMAN_NO_ATTACH_WS: &str =
    "no /containers/{id}/attach/ws route in Podman's Docker-compatible API (404 for any container)";

/// True for the refusal of an unrouted path (Podman 4.3 on attach/ws), not an unknown container.
fn is_no_route(err: &Error) -> bool {
    matches!(err, Error::Api { status: 404, message, .. }
        if !message.to_ascii_lowercase().contains("no such container"))
}

/// Opens the WebSocket, or — on an engine without the route — records that and returns `None`
/// after checking that the refusal is an API error, not a broken handshake.
fn open(docker: &Client, id: &str, opts: &AttachOptions, test: &str) -> Option<WebSocket> {
    let engine = Engine::of(docker);
    match docker.attach_container_websocket(id, opts) {
        Ok(ws) => Some(ws),
        Err(e) if engine.is_podman() && is_no_route(&e) => {
            set_aside(&engine, test, PODMAN_NO_ATTACH_WS);
            None
        }
        Err(e) => panic!("attach over a WebSocket on {engine}: {e}"),
    }
}

/// Reads messages until `want` bytes came; every message is binary (dockerd sends binary
/// frames from API 1.28 on).
fn read_until(ws: &mut WebSocket, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let m = ws
            .next_message()
            .unwrap()
            .unwrap_or_else(|| panic!("the output ended after {got:?}"));
        assert_eq!(m.kind, MessageKind::Binary);
        got.extend_from_slice(&m.data);
    }
    got
}

#[test]
fn blocking_websocket_attach_echoes_stdin_and_closes() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("wscat"),
        &json!({
            "Image": image,
            "Cmd": ["cat"],
            "OpenStdin": true,
            "StdinOnce": true,
            "AttachStdin": true,
            "AttachStdout": true,
            "AttachStderr": true,
        }),
    );
    let opts = AttachOptions::default();
    let Some(mut ws) = open(
        &docker,
        &c.id,
        &opts,
        "blocking_websocket_attach_echoes_stdin",
    ) else {
        return;
    };
    docker.start_container(&c.id).unwrap();
    ws.write_all(b"hello\n").unwrap();
    assert_eq!(read_until(&mut ws, 6), b"hello\n");
    // A write larger than one frame: cut into frames, joined again in stdin.
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| b'a' + (i % 26) as u8)
        .chain(*b"\n")
        .collect();
    let mut expected = big.clone();
    expected.extend_from_slice(b"last line\n");
    let (mut reader, mut writer) = ws.split();
    let pump = std::thread::spawn(move || -> docksock::Result<()> {
        writer.write_stdin(&big)?;
        writer.write_stdin(b"last line\n")?;
        // The close frame ends stdin: `cat` sees EOF and exits.
        writer.close()
    });
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    pump.join().expect("the stdin thread").unwrap();
    assert_eq!(out.len(), expected.len());
    assert!(out == expected, "the echo differs from what was sent");
    // The daemon ends the stream with a close frame of its own (dockerd: 1000).
    let code = reader.close_code();
    assert!(
        matches!(code, None | Some(1000)),
        "close code {code:?} after a normal end"
    );
    assert_eq!(wait_exit(&docker, &c.id), 0);
}

#[test]
fn blocking_websocket_attach_reads_output_unmultiplexed() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("wsout"),
        &json!({
            "Image": image,
            "Cmd": ["sh", "-c", "sleep 0.5; echo out-line; echo err-line >&2"],
            "AttachStdout": true,
            "AttachStderr": true,
        }),
    );
    let test = "blocking_websocket_attach_reads_output";
    // stdout only: honoured from API 1.42 (before, every stream is attached).
    let opts = AttachOptions {
        stdin: false,
        stderr: false,
        ..Default::default()
    };
    let Some(mut ws) = open(&docker, &c.id, &opts, test) else {
        return;
    };
    docker.start_container(&c.id).unwrap();
    let mut out = Vec::new();
    ws.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    // Unmultiplexed: the bytes as the container wrote them, no stdcopy headers.
    let version = docker.api_version().unwrap();
    if version >= docksock::ApiVersion::new(1, 42) {
        assert_eq!(text, "out-line\n", "stderr was not asked for");
    } else {
        // Every stream is attached before 1.42, each copied on its own: the two lines come
        // whole, in either order.
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        assert_eq!(lines, ["err-line", "out-line"], "{text:?}");
        assert!(text.ends_with('\n'), "{text:?}");
    }
    assert!(ws.is_closed_by_daemon() || ws.close_code().is_none());
    drop(ws);
    assert_eq!(wait_exit(&docker, &c.id), 0);

    // The logs of the stopped container, replayed over a new WebSocket (`logs=1`,
    // `stream=0`), then the close.
    let opts = AttachOptions {
        stdin: false,
        logs: true,
        stream: false,
        ..Default::default()
    };
    let mut ws = docker.attach_container_websocket(&c.id, &opts).unwrap();
    let mut logs = Vec::new();
    while let Some(m) = ws.next_message().unwrap() {
        logs.extend_from_slice(&m.data);
    }
    let logs = String::from_utf8_lossy(&logs);
    assert!(logs.contains("out-line\n"), "{logs:?}");
}

#[test]
fn blocking_websocket_attach_unknown_container_is_404() {
    let Some(docker) = daemon() else { return };
    let err = docker
        .attach_container_websocket("docksock-it-no-such-container", &AttachOptions::default())
        .unwrap_err();
    match err {
        Error::Api { status, .. } => assert_eq!(status, 404, "{err}"),
        other => panic!("{other}"),
    }
    // The route itself exists on the engine (Docker) or not (Podman 4.3): a container that
    // exists tells them apart.
    let engine = Engine::of(&docker);
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("wsroute"),
        &json!({"Image": image, "Cmd": ["true"]}),
    );
    let opts = AttachOptions {
        stream: false,
        stdin: false,
        ..Default::default()
    };
    match docker.attach_container_websocket(&c.id, &opts) {
        Ok(mut ws) => {
            assert!(!engine.is_podman(), "Podman 4.3 has no attach/ws route");
            // Nothing to attach to (no logs asked, no stream): the daemon closes at once.
            assert!(ws.next_message().unwrap().is_none());
        }
        Err(Error::Api { status: 404, .. }) if engine.is_podman() => {
            set_aside(
                &engine,
                "blocking_websocket_attach_unknown_container",
                PODMAN_NO_ATTACH_WS,
            );
        }
        Err(e) => panic!("{engine}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Against the scripted fault server.
// ---------------------------------------------------------------------------------------------

/// A server (unmasked) frame with a payload shorter than 126 bytes.
fn server_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![b0, payload.len() as u8];
    f.extend_from_slice(payload);
    f
}

/// The client frames of `bytes`: (fin, opcode, unmasked payload), checking each is masked.
fn client_frames(mut bytes: &[u8]) -> Vec<(bool, Opcode, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let fin = bytes[0] & 0x80 != 0;
        let opcode = Opcode::from_bits(bytes[0] & 0x0F).expect("a known opcode");
        assert!(bytes[1] & 0x80 != 0, "client frames are masked");
        let (len, at) = match bytes[1] & 0x7F {
            126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let mask: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        let mut payload = bytes[at + 4..at + 4 + len].to_vec();
        apply_mask(mask, 0, &mut payload);
        out.push((fin, opcode, payload));
        bytes = &bytes[at + 4 + len..];
    }
    out
}

/// What the client wrote after its request head.
fn after_head(server: &FaultServer) -> Vec<u8> {
    let received = &server.received()[0];
    let end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a request head")
        + 4;
    received[end..].to_vec()
}

#[test]
fn blocking_fault_websocket_bad_accept_is_a_peer_violation() {
    for (accept, want) in [
        // The accept of another key (RFC 6455 §1.3's example).
        (
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            PeerError::WebSocketAcceptMismatch,
        ),
        ("", PeerError::WebSocketAcceptMismatch),
        (
            "Sec-WebSocket-Accept: not base64 at all\r\n",
            PeerError::WebSocketAcceptMismatch,
        ),
    ] {
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             {accept}\r\n\u{1}"
        );
        let server = FaultServer::start(vec![Step::ReadRequest, Step::write(answer), Step::Close]);
        let docker = client(&server);
        let err = docker
            .attach_container_websocket("c1", &AttachOptions::default())
            .unwrap_err();
        assert_eq!(peer(&err), Some(want), "{accept:?}: {err}");
        let text = err.to_string();
        assert!(
            text.contains("Sec-WebSocket-Accept") && text.contains("/containers/c1/attach/ws"),
            "{text}"
        );
        finished(&server);
        // The request was a well-formed handshake.
        let head = String::from_utf8_lossy(&server.requests()[0]).into_owned();
        assert!(
            head.starts_with("GET /v1.41/containers/c1/attach/ws?stream=1&logs=0&stdin=1"),
            "{head}"
        );
        for line in [
            "\r\nConnection: Upgrade\r\n",
            "\r\nUpgrade: websocket\r\n",
            "\r\nSec-WebSocket-Version: 13\r\n",
        ] {
            assert!(head.contains(line), "{line:?} in {head}");
        }
        let key = head
            .split("\r\n")
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .expect("a key");
        assert!(key.len() == 24 && key.ends_with("=="), "{key}");
        assert!(!head.contains("Upgrade: tcp"), "{head}");
    }
}

#[test]
fn blocking_fault_websocket_not_upgraded_answers() {
    // An error status is the daemon's error; a 2xx without 101 is no WebSocket.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n\
             {\"message\":\"No such container: c\"}",
        ),
        Step::ReadRequest,
        Step::write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let docker = client(&server);
    let err = docker
        .attach_container_websocket("c", &AttachOptions::default())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 404, message, .. } if message == "No such container: c"),
        "{err}"
    );
    let err = docker
        .attach_container_websocket("c", &AttachOptions::default())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unexpected(m) if m.contains("101")),
        "{err}"
    );
    finished(&server);
}

#[test]
fn blocking_fault_websocket_session() {
    let mut first = server_frame(0x89, b"hi"); // a ping
    first.extend(server_frame(0x82, b"hello")); // a binary message
    let mut later = server_frame(0x01, b"fr"); // a fragmented text message…
    later.extend(server_frame(0x8A, b"")); // …with an unsolicited pong inside…
    later.extend(server_frame(0x00, b"ag")); // …continued…
    later.extend(server_frame(0x80, b"ment")); // …and ended
    later.extend(server_frame(0x82, b"")); // an empty message
    later.extend(server_frame(0x88, &[0x03, 0xE8, b'b', b'y', b'e'])); // close 1000 "bye"
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::AcceptWebSocket(first),
        Step::ReadBytes(6 + 2), // the pong
        Step::ReadBytes(6 + 5), // stdin "input"
        Step::ReadBytes(6 + 2), // the close that ends stdin
        Step::Write(later),
        Step::Close,
    ]);
    let docker = client(&server);
    let mut ws = docker
        .attach_container_websocket("c1", &AttachOptions::default())
        .unwrap();
    let m = ws.next_message().unwrap().unwrap();
    assert_eq!((m.kind, &m.data[..]), (MessageKind::Binary, &b"hello"[..]));
    ws.write_all(b"input").unwrap();
    ws.close_stdin().unwrap();
    // No stdin after the close frame.
    assert!(matches!(ws.write_stdin(b"more"), Err(Error::Config(_))));
    let m = ws.next_message().unwrap().unwrap();
    assert_eq!((m.kind, &m.data[..]), (MessageKind::Text, &b"fragment"[..]));
    let m = ws.next_message().unwrap().unwrap();
    assert_eq!((m.kind, &m.data[..]), (MessageKind::Binary, &b""[..]));
    assert!(ws.next_message().unwrap().is_none());
    assert_eq!(ws.close_code(), Some(1000));
    assert!(ws.is_closed_by_daemon());
    drop(ws);
    finished(&server);
    assert_eq!(
        client_frames(&after_head(&server)),
        vec![
            (true, Opcode::Pong, b"hi".to_vec()),
            (true, Opcode::Binary, b"input".to_vec()),
            (true, Opcode::Close, vec![0x03, 0xE8]),
        ]
    );
}

#[test]
fn blocking_fault_websocket_daemon_close_is_answered() {
    // The daemon closes first (code 1001): the client answers with the same code, once, and
    // the output ends; bytes read as a stream come whole whatever the frame sizes.
    let mut frames = server_frame(0x82, b"ab");
    frames.extend(server_frame(0x82, b"cde"));
    frames.extend(server_frame(0x88, &[0x03, 0xE9]));
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::AcceptWebSocket(frames),
        Step::ReadBytes(6 + 2),
        Step::Close,
    ]);
    let docker = client(&server);
    let mut ws = docker
        .attach_container_websocket("c1", &AttachOptions::default())
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 2];
    loop {
        let n = ws.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, b"abcde");
    assert_eq!(ws.close_code(), Some(1001));
    ws.close_stdin().unwrap(); // already sent: nothing more
    drop(ws);
    finished(&server);
    assert_eq!(
        client_frames(&after_head(&server)),
        vec![(true, Opcode::Close, vec![0x03, 0xE9])]
    );
}

#[test]
fn blocking_fault_websocket_frame_violations() {
    for (frames, want) in [
        (
            vec![0x82, 0x81, 1, 2, 3, 4, b'x'],
            PeerError::WebSocketMaskedFrame,
        ),
        (vec![0xC2, 0x00], PeerError::WebSocketReservedBits),
        (vec![0x83, 0x00], PeerError::WebSocketUnknownOpcode),
        (vec![0x82, 0x05, b'a'], PeerError::TruncatedWebSocketFrame),
    ] {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::AcceptWebSocket(frames.clone()),
            Step::Close,
        ]);
        let docker = client(&server);
        let mut ws = docker
            .attach_container_websocket("c1", &AttachOptions::default())
            .unwrap();
        let err = ws.next_message().unwrap_err();
        assert_eq!(peer(&err), Some(want), "{frames:?}: {err}");
        finished(&server);
    }
}
