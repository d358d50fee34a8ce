//! Usage errors, `--help`, configuration errors, a scripted daemon.

use std::time::Duration;

use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};

use crate::support::{docksock, stderr, stdout};

#[test]
fn usage_errors_exit_125_and_name_the_problem() {
    for (args, needle) in [
        (&[][..], "no command given"),
        (&["bogus"][..], "unknown command \"bogus\""),
        (&["ps", "-z"][..], "unknown shorthand flag: 'z' in -z"),
        (&["ps", "--zz"][..], "unknown flag: --zz"),
        (
            &["logs"][..],
            "\"docksock logs\" requires exactly 1 argument",
        ),
        (&["logs", "--tail"][..], "flag needs an argument: --tail"),
        (&["rm"][..], "\"docksock rm\" requires at least 1 argument"),
        (
            &["ps", "-n", "x"][..],
            "invalid argument \"x\" for \"--last\" flag",
        ),
        (
            &["--timeout-ms", "soon", "ping"][..],
            "--timeout-ms takes milliseconds",
        ),
    ] {
        let o = docksock(args);
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

/// Every command answers `--help` (and `-h` where `-h` is no flag of its own) with its usage,
/// without a daemon.
#[test]
fn help_on_every_command() {
    let commands = [
        "run",
        "create",
        "exec",
        "ps",
        "logs",
        "start",
        "stop",
        "restart",
        "kill",
        "rm",
        "wait",
        "port",
        "rename",
        "pause",
        "unpause",
        "attach",
        "top",
        "stats",
        "export",
        "images",
        "rmi",
        "tag",
        "build",
        "save",
        "load",
        "import",
        "history",
        "inspect",
        "ping",
        "version",
        "info",
        "events",
        "network ls",
        "network create",
        "network rm",
        "network inspect",
        "network prune",
        "volume ls",
        "volume create",
        "volume rm",
        "volume inspect",
        "volume prune",
        "system df",
        "system prune",
        "system info",
        "system events",
        "container ls",
        "image ls",
        "image rm",
        "pull",
        "push",
        "login",
        "logout",
        "cp",
        "context ls",
        "context use",
        "context show",
    ];
    for c in commands {
        let mut args: Vec<&str> = c.split(' ').collect();
        args.push("--help");
        let o = docksock(
            &["--host", "unix:///nonexistent/docker.sock"]
                .iter()
                .chain(&args)
                .copied()
                .collect::<Vec<_>>(),
        );
        assert_eq!(o.status.code(), Some(0), "{c} --help: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("Usage:  docksock "), "{c}: {text}");
    }
    let o = docksock(&["--help"]);
    assert!(o.status.success() && stdout(&o).contains("Usage:  docksock [OPTIONS] COMMAND"));
    let o = docksock(&["ps", "-h"]);
    assert!(stdout(&o).contains("-a, --all"), "{}", stdout(&o));
    // `run -h` is the hostname, as docker's; `--help` still helps.
    let o = docksock(&["run", "--help"]);
    assert!(
        stdout(&o).contains("-h, --hostname string"),
        "{}",
        stdout(&o)
    );
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
