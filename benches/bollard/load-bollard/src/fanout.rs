//! `fanout [--connections C] [--requests R] [--current-thread]`: R `GET /_ping` through bollard
//! with C in flight (C tasks, each pinging in a loop until R are done; bollard's connection pool
//! opens a connection for each request in flight), on tokio's default multi-thread runtime
//! (`--current-thread`: one thread). Every answer is checked (`OK`). Prints the rate (from the
//! first request to the last answer) and the peak RSS, in the format of docksock-mio's `fanout`
//! example.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bollard::Docker;

mod common;

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
        tokio::runtime::Builder::new_multi_thread().enable_all().build()?
    };
    let started = Instant::now();
    rt.block_on(async {
        let docker = Docker::connect_with_defaults()?;
        let next = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let docker = docker.clone();
            let next = Arc::clone(&next);
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let answer = docker.ping().await.map_err(|e| e.to_string())?;
                    if answer != "OK" {
                        return Err(format!("ping answered {answer:?}"));
                    }
                }
                Ok::<(), String>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let elapsed = started.elapsed();
    println!(
        "connections={connections} requests={requests} elapsed={:.3}s rate={:.0} req/s peak_rss={} KiB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        common::peak_rss_kib()
    );
    Ok(())
}
