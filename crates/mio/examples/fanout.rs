//! Many keep-alive connections in one thread: R `GET /_ping` requests spread over C connections,
//! and the connections spread over one or more daemons.
//!
//! ```text
//! cargo run --release -p docksock-mio --example fanout -- \
//!     --socket /var/run/docker.sock --connections 1000 --requests 20000 [--pipeline 1]
//! cargo run --release -p docksock-mio --example fanout -- \
//!     --endpoint unix:///run/a/docker.sock --endpoint tcp://127.0.0.1:2375 --connections 10
//! ```
//!
//! `--endpoint` (or `--socket`) may be given several times: a socket path, `unix:///path` or
//! `tcp://host:port` (plain HTTP). Connection i goes to endpoint i mod E; the requests go to
//! whichever connection is free, so every daemon gets its share. The count answered by each
//! endpoint is printed.
//!
//! Every response is checked (status 200, body `OK`, a clean end); the program prints the
//! request rate and the peak resident set size (`VmHWM` from `/proc/self/status`) and exits
//! non-zero on any failure.
//!
//! Each connection is a file descriptor: C connections need `ulimit -n` above C (plus a few).
//! When the limit is hit the program says so and stops (it cannot raise the limit itself).
//!
//! Figures measured against dockerd 20.10.24 on a 2-CPU VM (`--requests 20000`, release build,
//! the daemon being the bottleneck; other test runs shared the machine, so rates vary ±40%):
//! C = 1: 12–19k req/s, peak RSS 2.0 MiB; C = 100: 21–53k req/s, 2.6 MiB; C = 1000: 18–46k
//! req/s, 7.5 MiB.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use docksock_mio::proto::encode::RequestSpec;
use docksock_mio::{Config, ConnId, Driver, Output, Request};

struct Args {
    endpoints: Vec<Target>,
    connections: usize,
    requests: usize,
    pipeline: usize,
}

/// Where a connection goes.
#[derive(Debug, Clone)]
enum Target {
    Unix(String),
    Tcp(std::net::SocketAddr),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix://{p}"),
            Target::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

fn parse_target(value: &str) -> Option<Target> {
    use std::net::ToSocketAddrs;
    if let Some(rest) = value.strip_prefix("tcp://") {
        let authority = rest.trim_end_matches('/');
        return authority.to_socket_addrs().ok()?.next().map(Target::Tcp);
    }
    let path = value.strip_prefix("unix://").unwrap_or(value);
    path.starts_with('/').then(|| Target::Unix(path.to_owned()))
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: fanout [--endpoint PATH|unix:///PATH|tcp://HOST:PORT]... [--connections C] \
         [--requests R] [--pipeline P]\n\
         defaults: /var/run/docker.sock, C=100, R=20000, P=1 (requests in flight per connection)"
    );
    ExitCode::from(2)
}

fn parse_args() -> Option<Args> {
    let mut args = Args {
        endpoints: Vec::new(),
        connections: 100,
        requests: 20_000,
        pipeline: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next()?;
        match flag.as_str() {
            "--socket" | "--endpoint" => args.endpoints.push(parse_target(&value)?),
            "--connections" => args.connections = value.parse().ok()?,
            "--requests" => args.requests = value.parse().ok()?,
            "--pipeline" => args.pipeline = value.parse().ok()?,
            _ => return None,
        }
    }
    if args.endpoints.is_empty() {
        args.endpoints
            .push(Target::Unix("/var/run/docker.sock".into()));
    }
    (args.connections > 0 && args.pipeline > 0).then_some(args)
}

/// The response being read on one connection (responses arrive in request order).
#[derive(Default)]
struct Current {
    status: u16,
    body: Vec<u8>,
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        return usage();
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("fanout: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut driver = Driver::with_event_capacity(4096).map_err(|e| format!("poll: {e}"))?;
    let mut config = Config::default();
    config.max_in_flight = args.pipeline;
    let ping_spec = RequestSpec::new("GET", "/_ping");
    let ping = Request::new(ping_spec);

    let started = Instant::now();
    let mut conns: Vec<ConnId> = Vec::with_capacity(args.connections);
    // Which endpoint each connection goes to.
    let mut endpoint_of: HashMap<ConnId, usize> = HashMap::with_capacity(args.connections);
    while conns.len() < args.connections {
        let which = conns.len() % args.endpoints.len();
        let target = &args.endpoints[which];
        let connected = match target {
            Target::Unix(path) => driver.connect(path, config),
            Target::Tcp(addr) => driver.connect_tcp(*addr, config),
        };
        match connected {
            Ok(id) => {
                conns.push(id);
                endpoint_of.insert(id, which);
            }
            Err(e) if e.raw_os_error() == Some(24) || e.raw_os_error() == Some(23) => {
                return Err(format!(
                    "out of file descriptors after {} connections ({e}); raise the limit, \
                     e.g. `ulimit -n {}`",
                    conns.len(),
                    args.connections + 64
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // The daemon's listen backlog is full: let it accept, then go on.
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(format!("connect {target}: {e}")),
        }
    }
    let connected = started.elapsed();

    let mut sent = 0usize;
    let mut done = 0usize;
    let mut current: HashMap<ConnId, Current> = HashMap::with_capacity(args.connections);
    let mut answered = vec![0usize; args.endpoints.len()];
    // Prime every connection.
    'prime: for _ in 0..args.pipeline {
        for &c in &conns {
            if sent == args.requests {
                break 'prime;
            }
            driver.send(c, &ping).map_err(|e| format!("send: {e}"))?;
            sent += 1;
        }
    }
    let mut failure: Option<String> = None;
    let mut refill: Vec<ConnId> = Vec::new();
    let run_started = Instant::now();
    while done < args.requests && failure.is_none() {
        driver
            .poll_once(Some(Duration::from_secs(5)), |conn, out| match out {
                Output::Head { head, .. } => {
                    let cur = current.entry(conn).or_default();
                    cur.status = head.status();
                    cur.body.clear();
                }
                Output::Data { data, .. } => {
                    current
                        .entry(conn)
                        .or_default()
                        .body
                        .extend_from_slice(data);
                }
                Output::End { id } => {
                    let cur = current.entry(conn).or_default();
                    if cur.status != 200 || cur.body != b"OK" {
                        failure.get_or_insert(format!(
                            "{id}: status {} body {:?}",
                            cur.status,
                            String::from_utf8_lossy(&cur.body)
                        ));
                    }
                    done += 1;
                    if let Some(&e) = endpoint_of.get(&conn) {
                        answered[e] += 1;
                    }
                    refill.push(conn);
                }
                Output::Error { id, error } => {
                    failure.get_or_insert(format!("{id}: {error}"));
                }
                Output::Closed { error } => {
                    failure.get_or_insert(format!("connection closed: {error:?}"));
                }
                _ => {}
            })
            .map_err(|e| format!("poll: {e}"))?;
        for c in refill.drain(..) {
            if sent < args.requests {
                driver.send(c, &ping).map_err(|e| format!("send: {e}"))?;
                sent += 1;
            }
        }
        if run_started.elapsed() > Duration::from_secs(600) {
            failure.get_or_insert("gave up after 600 s".into());
        }
    }
    let elapsed = run_started.elapsed();
    if let Some(f) = failure {
        return Err(f);
    }
    let rate = done as f64 / elapsed.as_secs_f64();
    println!(
        "connections={} requests={} pipeline={} connect_time={:.3}s elapsed={:.3}s \
         rate={:.0} req/s peak_rss={} KiB",
        args.connections,
        done,
        args.pipeline,
        connected.as_secs_f64(),
        elapsed.as_secs_f64(),
        rate,
        peak_rss_kib().map_or_else(|| "?".into(), |k| k.to_string()),
    );
    for (target, n) in args.endpoints.iter().zip(&answered) {
        println!("endpoint={target} answered={n}");
    }
    Ok(())
}
