//! `fanout [--connections C] [--requests R] [--current-thread]`: R `GET /_ping` through bollard
//! with C in flight (C tasks, each pinging in a loop until R are done; bollard's connection pool
//! opens a connection for each request in flight), on tokio's default multi-thread runtime
//! (`--current-thread`: one thread). Every answer is checked (`OK`). Prints the rate (from the
//! first request to the last answer), the peak RSS and the connects retried (a full listen
//! backlog), in the format of docksock-mio's `fanout` example.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;

mod common;

/// Retries of a failed connect, per task, before giving up.
const MAX_RETRIES: usize = 10_000;

/// A request that failed because its new connection could not be made (hyper's `Connect`
/// error; on a Unix socket, `connect` fails with EAGAIN while the listen backlog is full).
fn is_connect_error(e: &bollard::errors::Error) -> bool {
    chain(e).contains("(Connect)")
}

/// The error and its sources, for messages.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut connections, mut requests, mut current_thread) = (1000usize, 20_000usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--connections" => connections = args.next().ok_or("--connections C")?.parse()?,
            "--requests" => requests = args.next().ok_or("--requests R")?.parse()?,
            "--current-thread" => current_thread = true,
            _ => return Err(format!("unknown argument {flag}").into()),
        }
    }
    let rt = if current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    };
    let started = Instant::now();
    let retries = rt.block_on(async {
        let docker = Docker::connect_with_defaults()?;
        let next = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let docker = docker.clone();
            let next = Arc::clone(&next);
            tasks.push(tokio::spawn(async move {
                let mut retries = 0;
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let answer = loop {
                        match docker.ping().await {
                            Ok(answer) => break answer,
                            // The daemon's listen backlog is full (a new connection's
                            // `connect` failed with EAGAIN): let it accept, then go on, as
                            // docksock-mio's `fanout` does.
                            Err(e) if is_connect_error(&e) && retries < MAX_RETRIES => {
                                retries += 1;
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                            Err(e) => return Err(chain(&e)),
                        }
                    };
                    if answer != "OK" {
                        return Err(format!("ping answered {answer:?}"));
                    }
                }
                Ok::<usize, String>(retries)
            }));
        }
        let mut retries = 0;
        for task in tasks {
            retries += task.await??;
        }
        Ok::<usize, Box<dyn std::error::Error>>(retries)
    })?;
    let elapsed = started.elapsed();
    println!(
        "connections={connections} requests={requests} elapsed={:.3}s rate={:.0} req/s peak_rss={} KiB \
         connect_retries={retries}",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        common::peak_rss_kib()
    );
    Ok(())
}
