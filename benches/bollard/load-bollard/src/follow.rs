//! `follow [--current-thread] NAME...`: follows the logs of the named containers (`follow=1`,
//! all output from the start), one tokio task per stream, on the default multi-thread runtime
//! (`--current-thread`: one thread); counts the bytes and returns when every stream has ended
//! (its container stopped). Prints the byte count and the peak RSS on stderr.

use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    let current_thread = names.first().is_some_and(|a| a == "--current-thread");
    if current_thread {
        names.remove(0);
    }
    if names.is_empty() {
        return Err("usage: follow [--current-thread] NAME...".into());
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
    let bytes = rt.block_on(async {
        let docker = Docker::connect_with_defaults()?;
        let mut tasks = Vec::new();
        for name in names {
            let docker = docker.clone();
            tasks.push(tokio::spawn(async move {
                let opts = LogsOptionsBuilder::default()
                    .follow(true)
                    .stdout(true)
                    .stderr(true)
                    .build();
                let mut logs = docker.logs(&name, Some(opts));
                let mut bytes = 0u64;
                while let Some(piece) = logs.next().await {
                    bytes += piece.map_err(|e| e.to_string())?.as_ref().len() as u64;
                }
                Ok::<u64, String>(bytes)
            }));
        }
        let mut bytes = 0;
        for task in tasks {
            bytes += task.await??;
        }
        Ok::<u64, Box<dyn std::error::Error>>(bytes)
    })?;
    eprintln!("bytes={bytes} peak_rss={} KiB", common::peak_rss_kib());
    Ok(())
}
