//! The framing of logs, attach and exec start from the response's `Content-Type` (API 1.42+),
//! against the scripted fault server: a declared framing needs no inspect; a daemon that
//! declares none (or only `raw-stream` before 1.42, as dockerd 20.10 does on every attach) is
//! asked for the container's or exec's `Tty`.

use std::time::Duration;

use docksock::{ApiVersion, AttachOptions, Client, LogsOptions, Mode};
use docksock_tests::fault_server::{FaultServer, Step};

const MUX: &str = "application/vnd.docker.multiplexed-stream";
const RAW: &str = "application/vnd.docker.raw-stream";

/// A stdout frame `out\n` and a stderr frame `err\n`.
const FRAMES: &[u8] = b"\x01\0\0\0\0\0\0\x04out\n\x02\0\0\0\0\0\0\x04err\n";

fn client(server: &FaultServer, version: ApiVersion) -> Client {
    Client::builder()
        .socket(server.path())
        .api_version(version)
        .head_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(5))
        .build()
}

fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(1, minor)
}

/// A logs answer with a length-framed body and, if given, a `Content-Type`.
fn logs_answer(content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A `101` answer to a hijack with this `Content-Type`, then the stream.
fn upgraded(content_type: &str, stream: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: {content_type}\r\nConnection: Upgrade\r\n\
         Upgrade: tcp\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(stream);
    out
}

fn json_answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The request lines the server saw.
fn lines(server: &FaultServer) -> Vec<String> {
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished: {:?}",
        server.errors()
    );
    server
        .requests()
        .iter()
        .map(|r| {
            String::from_utf8_lossy(r)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn logs_declared_multiplexed_needs_no_inspect() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(logs_answer(Some(MUX), FRAMES)),
    ]);
    let out = client(&server, v(51))
        .container_logs("c1", &LogsOptions::default())
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    let lines = lines(&server);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("GET /v1.51/containers/c1/logs?"),
        "{lines:?}"
    );
}

#[test]
fn logs_declared_raw_wins_over_the_callers_guess() {
    // The daemon knows what it sent: `tty: Some(false)` does not make raw bytes frames.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(logs_answer(Some(RAW), b"\x01raw\r\n")),
    ]);
    let opts = LogsOptions {
        tty: Some(false),
        ..LogsOptions::default()
    };
    let out = client(&server, v(42))
        .container_logs("c1", &opts)
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout, b"\x01raw\r\n");
    assert_eq!(lines(&server).len(), 1);
}

#[test]
fn logs_without_a_content_type_fall_back_to_an_inspect() {
    // dockerd before API 1.42: no Content-Type on logs. The inspect goes on a second
    // connection while the logs answer waits on the first.
    for (tty, body, stdout) in [
        (false, FRAMES, &b"out\n"[..]),
        (true, &b"tty out\r\n"[..], &b"tty out\r\n"[..]),
    ] {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write(logs_answer(None, body)),
            Step::Accept,
            Step::ReadRequest,
            Step::write(json_answer(
                "200 OK",
                &format!(r#"{{"Id":"c1","Config":{{"Tty":{tty}}}}}"#),
            )),
        ]);
        let out = client(&server, v(41))
            .container_logs("c1", &LogsOptions::default())
            .unwrap()
            .collect_output()
            .unwrap();
        assert_eq!(out.stdout, stdout, "tty {tty}");
        let lines = lines(&server);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[1], "GET /v1.41/containers/c1/json HTTP/1.1");
    }
}

#[test]
fn logs_raw_stream_before_1_42_is_not_trusted() {
    // Before 1.42 a `raw-stream` type says nothing (an engine may send it for any
    // container): the inspect decides, here multiplexed.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(logs_answer(Some(RAW), FRAMES)),
        Step::Accept,
        Step::ReadRequest,
        Step::write(json_answer("200 OK", r#"{"Config":{"Tty":false}}"#)),
    ]);
    let out = client(&server, v(41))
        .container_logs("c1", &LogsOptions::default())
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(lines(&server).len(), 2);
}

#[test]
fn attach_declared_framing_needs_no_inspect() {
    for (ct, mode) in [(MUX, Mode::Multiplexed), (RAW, Mode::Raw)] {
        let stream: &[u8] = if mode == Mode::Raw {
            b"raw\r\n"
        } else {
            FRAMES
        };
        let server = FaultServer::start(vec![Step::ReadRequest, Step::write(upgraded(ct, stream))]);
        let attached = client(&server, v(51))
            .attach_container("c1", &AttachOptions::default())
            .unwrap();
        assert_eq!(attached.mode(), mode, "{ct}");
        let out = attached.demux().collect_output().unwrap();
        if mode == Mode::Raw {
            assert_eq!(out.stdout, b"raw\r\n");
        } else {
            assert_eq!(
                (&out.stdout[..], &out.stderr[..]),
                (&b"out\n"[..], &b"err\n"[..])
            );
        }
        let lines = lines(&server);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("POST /v1.51/containers/c1/attach?"),
            "{lines:?}"
        );
    }
}

#[test]
fn attach_raw_stream_before_1_42_falls_back_to_an_inspect() {
    // dockerd 20.10 answers every attach with `raw-stream`; a non-TTY container is framed.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(upgraded(RAW, FRAMES)),
        Step::Accept,
        Step::ReadRequest,
        Step::write(json_answer("200 OK", r#"{"Config":{"Tty":false}}"#)),
    ]);
    let attached = client(&server, v(41))
        .attach_container("c1", &AttachOptions::default())
        .unwrap();
    assert_eq!(attached.mode(), Mode::Multiplexed);
    let out = attached.demux().collect_output().unwrap();
    assert_eq!(out.stdout, b"out\n");
    let lines = lines(&server);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1], "GET /v1.41/containers/c1/json HTTP/1.1");
}

#[test]
fn exec_created_by_the_client_starts_without_an_inspect() {
    for (tty, ct, mode) in [(false, MUX, Mode::Multiplexed), (true, RAW, Mode::Raw)] {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write(json_answer("201 Created", r#"{"Id":"e1"}"#)),
            Step::ReadRequest,
            Step::write(upgraded(ct, if tty { b"tty\r\n" } else { FRAMES })),
        ]);
        let docker = client(&server, v(51));
        let id = docker
            .create_exec("c1", &serde_json::json!({"Cmd": ["true"], "Tty": tty}))
            .unwrap();
        let started = docker.start_exec(&id).unwrap();
        assert_eq!(started.mode(), mode);
        let out = started.demux().collect_output().unwrap();
        let want: &[u8] = if tty { b"tty\r\n" } else { b"out\n" };
        assert_eq!(out.stdout, want);
        assert!(server.wait_finished(Duration::from_secs(5)));
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        let start = String::from_utf8_lossy(&requests[1]).into_owned();
        assert!(
            start.starts_with("POST /v1.51/exec/e1/start HTTP/1.1"),
            "{start}"
        );
        // dockerd frames by the start's `Tty`: it is the exec's own.
        assert!(
            start.ends_with(&format!(r#"{{"Detach":false,"Tty":{tty}}}"#)),
            "{start}"
        );
    }
}

#[test]
fn exec_unknown_to_the_client_is_inspected_and_the_declared_type_wins() {
    // The inspect gives the start's `Tty`; the `101` then declares the framing.
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(json_answer(
            "200 OK",
            r#"{"ID":"e2","ProcessConfig":{"tty":true}}"#,
        )),
        Step::ReadRequest,
        Step::write(upgraded(MUX, FRAMES)),
    ]);
    let started = client(&server, v(51)).start_exec("e2").unwrap();
    assert_eq!(started.mode(), Mode::Multiplexed);
    assert_eq!(started.demux().collect_output().unwrap().stdout, b"out\n");
    let lines = lines(&server);
    assert_eq!(
        lines,
        [
            "GET /v1.51/exec/e2/json HTTP/1.1",
            "POST /v1.51/exec/e2/start HTTP/1.1"
        ]
    );
}

#[test]
fn exec_before_1_42_takes_the_framing_from_its_tty() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(json_answer(
            "200 OK",
            r#"{"ID":"e3","ProcessConfig":{"tty":true}}"#,
        )),
        Step::ReadRequest,
        Step::write(upgraded(RAW, b"\x02not a frame\r\n")),
    ]);
    let started = client(&server, v(41)).start_exec("e3").unwrap();
    assert_eq!(started.mode(), Mode::Raw);
    assert_eq!(
        started.demux().collect_output().unwrap().stdout,
        b"\x02not a frame\r\n"
    );
    assert_eq!(lines(&server).len(), 2);
}
