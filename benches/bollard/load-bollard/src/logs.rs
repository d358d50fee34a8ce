//! `logs NAME`: the whole log of a stopped container through bollard's `logs` stream, written to
//! stdout through a 256 KiB buffer (run it with stdout on /dev/null), on a current-thread tokio
//! runtime (`--multi-thread`: the default multi-thread one). Prints the byte count and the peak
//! RSS on stderr.

use std::io::Write;

use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let name = args.next().ok_or("usage: logs NAME [--multi-thread]")?;
    let rt = if args.next().as_deref() == Some("--multi-thread") {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let bytes = rt.block_on(async {
        let docker = Docker::connect_with_defaults()?;
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = docker.logs(&name, Some(opts));
        let mut out = std::io::BufWriter::with_capacity(256 << 10, std::io::stdout().lock());
        let mut bytes = 0u64;
        while let Some(piece) = logs.next().await {
            let piece = piece?;
            let data = piece.as_ref();
            bytes += data.len() as u64;
            out.write_all(data)?;
        }
        out.flush()?;
        Ok::<_, Box<dyn std::error::Error>>(bytes)
    })?;
    eprintln!("bytes={bytes} peak_rss={} KiB", common::peak_rss_kib());
    Ok(())
}
