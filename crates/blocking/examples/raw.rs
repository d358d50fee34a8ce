//! `raw`: curl for the Docker socket, through docksock's raw escape hatch.
//!
//! ```text
//! cargo run -q -p docksock --example raw -- [--host URL] [--timeout-ms N] METHOD PATH [BODY]
//!
//! raw GET /version
//! raw GET '/containers/json?all=1&filters={"status":["exited"]}'
//! raw POST /containers/create?name=web '{"Image":"docksock-test/busybox","Cmd":["true"]}'
//! raw POST '/images/create?fromSrc=-&repo=x&tag=y' @rootfs.tar     (streams the file)
//! raw POST /build - < context.tar                                    (streams stdin)
//! ```
//!
//! * `--host` takes a `DOCKER_HOST` value (`unix:///path` or `/path`; default: `$DOCKER_HOST`,
//!   then `/var/run/docker.sock`). `--timeout-ms` sets the head and idle timeouts.
//! * `PATH` is given without the `/vX.Y` prefix: the client negotiates and adds it. Query values
//!   may be written plainly or percent-encoded; they are decoded and re-encoded.
//! * `BODY`: JSON text is sent as `application/json`; `@FILE` streams a file and `-` streams
//!   stdin (chunked, constant memory); anything else is sent as bytes.
//!
//! Prints the status line, then the body as it arrives (streams such as `/events` print live).
//! Exits 0 for a 2xx status, 1 for any other status or an error (printed on stderr), 2 for a
//! usage error.

use std::io::{self, Read, Write};
use std::process::exit;
use std::time::Duration;

use docksock::{Body, Client};

fn usage() -> ! {
    eprintln!("usage: raw [--host URL] [--timeout-ms N] METHOD PATH [BODY]");
    exit(2);
}

fn main() {
    let mut host = None;
    let mut timeout = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--host" => host = Some(args.next().unwrap_or_else(|| usage())),
            "--timeout-ms" => {
                let n = args.next().unwrap_or_else(|| usage());
                timeout = Some(Duration::from_millis(n.parse().unwrap_or_else(|_| usage())));
            }
            "-h" | "--help" => usage(),
            _ => positional.push(a),
        }
    }
    if !(2..=3).contains(&positional.len()) {
        usage();
    }
    match run(host, timeout, &positional) {
        Ok(true) => {}
        Ok(false) => exit(1),
        Err(e) => {
            eprintln!("raw: {e}");
            exit(1);
        }
    }
}

fn run(
    host: Option<String>,
    timeout: Option<Duration>,
    args: &[String],
) -> Result<bool, docksock::Error> {
    let mut builder = Client::builder_from_env()?;
    if let Some(h) = &host {
        builder = builder.host(h)?;
    }
    if let Some(t) = timeout {
        builder = builder.head_timeout(t).idle_timeout(t);
    }
    let client = builder.build();

    let method = args[0].as_str();
    let (path, query) = match args[1].split_once('?') {
        Some((p, q)) => (p, q),
        None => (args[1].as_str(), ""),
    };
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let query: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let mut file;
    let stdin = io::stdin();
    let mut stdin_lock;
    let body = match args.get(2).map(String::as_str) {
        None => Body::empty(),
        Some("-") => {
            stdin_lock = stdin.lock();
            Body::reader(&mut stdin_lock)
        }
        Some(arg) if arg.starts_with('@') => {
            let name = &arg[1..];
            file = std::fs::File::open(name)
                .map_err(|e| docksock::Error::io(format!("opening {name}"), e))?;
            Body::reader(&mut file)
        }
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Body::json(&v),
            Err(_) => Body::bytes(text.as_bytes()),
        },
    };

    let mut resp = client.request(method, path, &[], &query, &[], body)?;
    println!("HTTP/1.1 {} {}", resp.status, resp.reason);
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = resp
            .read(&mut buf)
            .map_err(|e| docksock::Error::from_io("reading the response", e))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])
            .and_then(|()| out.flush())
            .map_err(|e| docksock::Error::io("writing to stdout", e))?;
    }
    Ok(resp.is_success())
}

/// Decodes `%XX` escapes (and leaves anything else, including a stray `%`, as it is).
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&c| hex(c)),
                bytes.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
