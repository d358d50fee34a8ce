//! The `docksock` binary: usage errors, configuration errors, a scripted daemon, a real one.

use std::process::{Command, Output};
use std::time::Duration;

use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};

fn docksock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_API_VERSION")
        .output()
        .expect("run the docksock binary")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    for (args, needle) in [
        (&[][..], "no command given"),
        (&["bogus"][..], "unknown command \"bogus\""),
        (&["ps", "-z"][..], "unknown option -z"),
        (&["logs"][..], "logs takes one container name or id"),
        (&["logs", "--tail"][..], "--tail needs a value"),
        (
            &["--timeout-ms", "soon", "ping"][..],
            "--timeout-ms takes milliseconds",
        ),
    ] {
        let o = docksock(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn unsupported_host_scheme_is_a_clear_error() {
    let o = docksock(&["--host", "npipe:////./pipe/docker_engine", "ping"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("npipe://"), "{}", stderr(&o));
}

#[test]
fn missing_socket_says_what_to_do() {
    let o = docksock(&["--host", "unix:///nonexistent/docker.sock", "ping"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/docker.sock"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ping_against_a_scripted_daemon() {
    // HEAD /_ping for negotiation is answered with the GET response's head only.
    let ping = dockerd_ping_response();
    let head_end = ping.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(&ping[..head_end]),
        Step::ReadRequest,
        Step::write(&ping),
    ]);
    let host = format!("unix://{}", server.path().display());
    let o = docksock(&["--host", &host, "--timeout-ms", "5000", "ping"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "OK (API 1.41, linux)\n");
    assert!(server.wait_finished(Duration::from_secs(5)));
    let requests = server.requests();
    assert!(
        requests.last().unwrap().starts_with(b"GET /v1.41/_ping "),
        "{requests:?}"
    );
}

#[test]
fn ps_against_the_real_daemon() {
    let Some(client) = docksock_tests::daemon() else {
        return;
    };
    let host = format!("unix://{}", client.socket_path().display());
    let o = docksock(&["--host", &host, "ps", "-a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("ps prints JSON");
    assert!(listed.is_array());
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::io::Read;
    use std::process::Stdio;

    let Some(client) = docksock_tests::daemon() else {
        return;
    };
    let host = format!("unix://{}", client.socket_path().display());
    for command in [&["images"][..], &["info"][..], &["version"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_docksock"))
            .args(["--host", &host])
            .args(command)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the pipe before the command has asked the daemon anything (`docksock images
        // | head -c 0`): its first write meets EPIPE.
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{command:?}: {status}: {err}");
        assert!(err.is_empty(), "{command:?}: {err}");
    }
}
