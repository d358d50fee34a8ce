//! End to end over a Unix socket: keep-alive `GET /v1.41/_ping` round trips against an
//! in-process server replaying dockerd's exact answer (`tests/wire/ping_get_v141.response`),
//! by the docksock blocking client, by a minimal hand-written `UnixStream` + `httparse` loop
//! (the floor: one write, one read, one parse), and by hyper 1.x's HTTP/1 client over a tokio
//! `UnixStream` on a current-thread runtime.
//!
//! Pin client and server to one CPU so that the figure is the work done, not the scheduler's
//! cross-core wakeups: `taskset -c 0 cargo bench -p docksock-benches --bench e2e` (see
//! `BENCHMARKS.md`).
// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use docksock::{ApiVersion, Body, Client};
use docksock_benches::PingServer;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// The floor: write the request, read until the head and `Content-Length` body are in.
struct HandWritten {
    stream: UnixStream,
    buf: Vec<u8>,
}

impl HandWritten {
    fn round_trip(&mut self) -> usize {
        docksock_benches::hand_round_trip(&mut self.stream, &mut self.buf)
    }
}

fn round_trips(c: &mut Criterion) {
    let server = PingServer::start();
    let mut g = c.benchmark_group("e2e/ping_keepalive");
    g.measurement_time(Duration::from_secs(8));

    // docksock: the version is pinned so that no negotiation ping is mixed in.
    let client = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .build();
    assert_eq!(client.ping().expect("ping").body, "OK");
    g.bench_function("docksock_ping", |b| {
        b.iter(|| black_box(client.ping().expect("ping")))
    });
    g.bench_function("docksock_request", |b| {
        b.iter(|| {
            let resp = client
                .request("GET", "/_ping", &[], &[], &[], Body::empty())
                .expect("request");
            black_box(resp.bytes().expect("body"))
        })
    });

    // The same, reading the body through `Read` into a small stack buffer: the client's own
    // cost without `bytes()`'s whole-body buffer.
    g.bench_function("docksock_request_read", |b| {
        b.iter(|| {
            let mut resp = client
                .request("GET", "/_ping", &[], &[], &[], Body::empty())
                .expect("request");
            let mut buf = [0u8; 64];
            let mut n = 0;
            loop {
                match resp.read(&mut buf[n..]).expect("body") {
                    0 => break,
                    k => n += k,
                }
            }
            assert_eq!(black_box(&buf[..n]), b"OK");
        })
    });

    let mut hand = HandWritten {
        stream: UnixStream::connect(server.path()).expect("connect"),
        buf: vec![0u8; 4096],
    };
    assert_eq!(hand.round_trip(), 2);
    g.bench_function("handwritten_httparse", |b| b.iter(|| hand.round_trip()));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let mut sender = rt.block_on(async {
        let stream = tokio::net::UnixStream::connect(server.path())
            .await
            .expect("connect");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        sender
    });
    g.bench_function("hyper", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    sender.ready().await.expect("ready");
                    let req = hyper::Request::get("/v1.41/_ping")
                        .header("Host", "api.moby.localhost")
                        .body(Empty::<Bytes>::new())
                        .expect("request");
                    let resp = sender.send_request(req).await.expect("send");
                    let body = resp.into_body().collect().await.expect("body").to_bytes();
                    assert_eq!(black_box(body).len(), 2);
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
