//! `logs NAME`: the whole log of a stopped container through the blocking client's `Demux`,
//! written to stdout through a 256 KiB buffer (run it with stdout on /dev/null). Prints the byte
//! count and the peak RSS on stderr.

use std::io::Write;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).ok_or("usage: logs NAME")?;
    let docker = docksock::Client::from_env()?;
    let mut logs = docker.container_logs(&name, &docksock::LogsOptions::default())?;
    let mut out = std::io::BufWriter::with_capacity(256 << 10, std::io::stdout().lock());
    let mut bytes = 0u64;
    while let Some((_stream, data)) = logs.next_chunk()? {
        bytes += data.len() as u64;
        out.write_all(data)?;
    }
    out.flush()?;
    eprintln!("bytes={bytes} peak_rss={} KiB", common::peak_rss_kib());
    Ok(())
}
