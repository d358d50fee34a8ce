//! The keep-alive round trip of `GET /_ping` over one endpoint: N sequential pings on one
//! client (one pooled connection), after one ping that connects and negotiates.
//!
//! ```text
//! cargo run --release -p docksock --features tls --example rtt -- \
//!     --host tcp://127.0.0.1:2376 --cert-path DIR --requests 1000
//! cargo run --release -p docksock --example rtt -- \
//!     --host ssh://root@127.0.0.1:2222/run/docker.sock --ssh-arg -F --ssh-arg FILE
//! ```
//!
//! `--host` takes a `DOCKER_HOST` value (default: the environment, as `Client::from_env`);
//! `--cert-path DIR` adds TLS with DIR's ca.pem, cert.pem, key.pem (verified); `--ssh-arg` is
//! passed to `ssh` (repeat it). Prints the minimum, median, 99th percentile and mean in µs.

use std::time::Instant;

use docksock::{Client, Endpoint, TlsFiles};

fn main() -> docksock::Result<()> {
    let mut host: Option<String> = None;
    let mut cert_path: Option<String> = None;
    let mut ssh_args: Vec<std::ffi::OsString> = Vec::new();
    let mut requests = 1000usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| docksock::Error::Config(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--host" => host = Some(value),
            "--cert-path" => cert_path = Some(value),
            "--ssh-arg" => ssh_args.push(value.into()),
            "--requests" => {
                requests = value
                    .parse()
                    .map_err(|_| docksock::Error::Config(format!("--requests {value:?}")))?;
            }
            _ => return Err(docksock::Error::Config(format!("unknown option {flag}"))),
        }
    }
    let builder = match host {
        Some(h) => {
            let mut endpoint = Endpoint::parse(&h)?;
            if let Some(dir) = cert_path {
                endpoint = endpoint.with_tls(TlsFiles::in_dir(dir, true)?)?;
            }
            if let Endpoint::Ssh(ssh) = &mut endpoint {
                ssh.ssh_args = ssh_args;
            }
            Client::builder().endpoint(endpoint)
        }
        None => Client::builder_from_env()?,
    };
    let docker = builder.build();
    docker.ping()?;
    let mut rtts = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        docker.ping()?;
        rtts.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    let total = started.elapsed();
    rtts.sort_by(f64::total_cmp);
    let at = |q: f64| rtts[((rtts.len() - 1) as f64 * q) as usize];
    println!(
        "endpoint={} requests={} min_us={:.1} median_us={:.1} p99_us={:.1} mean_us={:.1}",
        docker.endpoint(),
        requests,
        at(0.0),
        at(0.5),
        at(0.99),
        total.as_nanos() as f64 / 1000.0 / requests.max(1) as f64
    );
    Ok(())
}
