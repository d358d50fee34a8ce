//! Running the binary, and the daemon the tests share.

use std::process::{Command, Output};

use docksock::Client;

/// The `docksock` binary with `args`, no environment of ours leaking in.
pub(crate) fn docksock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_API_VERSION")
        .output()
        .expect("run the docksock binary")
}

/// The `docksock` binary against `client`'s daemon.
pub(crate) fn ds(client: &Client, args: &[&str]) -> Output {
    let mut all = vec!["--host".to_owned(), host(client)];
    all.extend(args.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    docksock(&refs)
}

/// `--host` for the daemon of `client`.
pub(crate) fn host(client: &Client) -> String {
    format!("unix://{}", client.socket_path().display())
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
pub(crate) fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}
