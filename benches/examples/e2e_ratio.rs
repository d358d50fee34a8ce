//! Keep-alive `GET /_ping` round trips of the blocking client against the hand-written loop of
//! the `e2e` bench, interleaved in one process: rounds of `BATCH` pings, `BATCH` hand-written
//! round trips and `BATCH` `request()` + `bytes()`, one after the other, so that each round's
//! ratios are taken in the same few milliseconds (on a loaded machine criterion's separate
//! measurements of each bench drift apart by more than the differences looked for).
//!
//! ```text
//! cargo build -p docksock-benches --example e2e_ratio --profile bench
//! taskset -c 0 target/release/examples/e2e_ratio [ROUNDS]
//! ```
//!
//! Prints the median time per round trip of each, and the medians of the per-round ratios.

use std::hint::black_box;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use docksock::{ApiVersion, Body, Client};
use docksock_benches::PingServer;

const BATCH: u32 = 200;

/// Nanoseconds per call of `f`, over one batch.
fn per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(BATCH)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(200, |s| s.parse().expect("ROUNDS"));
    let server = PingServer::start();
    let client = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .build();
    let mut stream = UnixStream::connect(server.path()).expect("connect");
    let mut buf = vec![0u8; 4096];
    let (mut hands, mut pings, mut requests) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let h = per_call(|| {
            docksock_benches::hand_round_trip(&mut stream, &mut buf);
        });
        let p = per_call(|| {
            black_box(client.ping().expect("ping"));
        });
        let r = per_call(|| {
            let resp = client
                .request("GET", "/_ping", &[], &[], &[], Body::empty())
                .expect("request");
            black_box(resp.bytes().expect("body"));
        });
        if round > 0 {
            // The first round warms up.
            hands.push(h);
            pings.push(p);
            requests.push(r);
        }
    }
    let mut ping_ratio: Vec<f64> = pings.iter().zip(&hands).map(|(p, h)| p / h).collect();
    let mut request_ratio: Vec<f64> = requests.iter().zip(&hands).map(|(r, h)| r / h).collect();
    println!(
        "hand-written {:.2} µs, ping() {:.2} µs, request()+bytes() {:.2} µs; \
         per-round ratios (median of {rounds}): ping() {:.3}, request()+bytes() {:.3}",
        median(&mut hands) / 1e3,
        median(&mut pings) / 1e3,
        median(&mut requests) / 1e3,
        median(&mut ping_ratio),
        median(&mut request_ratio),
    );
}
