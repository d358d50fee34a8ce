//! `follow NAME...`: follows the logs of the named containers (`follow=1`, all output from the
//! start), each stream on its own connection, all in one mio thread; counts the demultiplexed
//! bytes and returns when every stream has ended (its container stopped). Prints the byte count
//! and the peak RSS on stderr.

use std::collections::HashSet;

use docksock_api::{containers, LogsOptions};
use docksock_mio::{Config, Driver, Output};

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        return Err("usage: follow NAME...".into());
    }
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let socket = host
        .strip_prefix("unix://")
        .ok_or("DOCKER_HOST must be unix://PATH")?;
    let mut driver = Driver::new()?;
    let opts = LogsOptions {
        follow: true,
        tty: Some(false),
        ..Default::default()
    };
    let mut open = HashSet::new();
    for name in &names {
        let conn = driver.connect(socket, Config::default())?;
        open.insert(driver.send_call(conn, &containers::logs(name, &opts), None)?);
    }
    let mut bytes = 0u64;
    let mut failure = None;
    while !open.is_empty() && failure.is_none() {
        driver.poll_once(None, |_, out| match out {
            Output::Head { head, id } if head.status() != 200 => {
                failure = Some(format!("{id}: status {}", head.status()));
            }
            Output::Frame { data, .. } => bytes += data.len() as u64,
            Output::End { id } => {
                open.remove(&id);
            }
            Output::Error { id, error } => failure = Some(format!("{id}: {error}")),
            Output::Closed { error } => failure = Some(format!("connection closed: {error:?}")),
            _ => {}
        })?;
    }
    if let Some(f) = failure {
        return Err(f.into());
    }
    eprintln!("bytes={bytes} peak_rss={} KiB", common::peak_rss_kib());
    Ok(())
}
