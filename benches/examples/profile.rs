//! A fixed workload for `valgrind --tool=callgrind` (instruction counts are stable on a noisy
//! machine, unlike times): the cases where docksock-proto misses its target against a peer.
//!
//! ```text
//! cargo build -p docksock-benches --example profile --profile bench
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/profile WORKLOAD
//! ```
//!
//! Workloads (10,000 heads or 20 MiB of chunks each): `head`, `head_fields` (every field read
//! back), `head20`, `head20_fields` (the 20-field head), `httparse_head`, `pico_head`,
//! `pico_head20`, `chunked64`, `pico_chunked64`; 1,000 keep-alive `GET /_ping` round trips
//! against the in-process server: `e2e_docksock` (`Client::ping()`), `e2e_request`
//! (`Client::request()` + `Response::bytes()`), `e2e_hand` (write, read 289 bytes),
//! `e2e_hand_httparse` (the hand-written loop of the `e2e` bench: parsed with httparse); and
//! `json_events` (the events backlog, 36 KB, split 1,000 times) and `json16k` (1 MiB of 16 KiB
//! messages, split 32 times), both through `JsonSplitter::scan`.
//!
//! ```text
//! strace -f -c target/release/examples/profile e2e_docksock|e2e_hand   # syscalls per ping
//! callgrind_annotate --auto=yes cg.out
//! ```
#![allow(unsafe_code)] // picohttpparser is C.

use std::hint::black_box;

use docksock_benches::{chunked_body, dechunk, json_messages, large_head, split_head, wire};
use docksock_proto::json::JsonSplitter;
use docksock_proto::{ChunkedDecoder, ChunkedEvent, Event, Limits, ResponseDecoder};
use picohttpparser_sys::{phr_chunked_decoder, phr_decode_chunked, phr_header, phr_parse_response};

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "head".into());
    let version = wire("version_v141");
    let v141 = split_head(&version).0.to_vec();
    let large = large_head();
    let head = if what.starts_with("head20") || what == "pico_head20" {
        &large
    } else {
        &v141
    };
    let body = if what.contains("chunked") {
        chunked_body(1 << 20, 64)
    } else {
        Vec::new()
    };
    let mut n = 0usize;
    match what.as_str() {
        "head" | "head20" => {
            for _ in 0..10_000 {
                let mut dec = ResponseDecoder::new("GET");
                if let Ok(s) = dec.decode(black_box(head)) {
                    n += usize::from(matches!(s.event, Event::Head(_)));
                }
            }
        }
        "head_fields" | "head20_fields" => {
            for _ in 0..10_000 {
                let mut dec = ResponseDecoder::new("GET");
                if let Ok(s) = dec.decode(black_box(head)) {
                    if let Event::Head(h) = s.event {
                        n += h
                            .headers()
                            .iter()
                            .map(|f| f.name.len() + f.value.len())
                            .sum::<usize>();
                    }
                }
            }
        }
        "httparse_head" => {
            for _ in 0..10_000 {
                let mut h = [httparse::EMPTY_HEADER; 32];
                let mut r = httparse::Response::new(&mut h);
                n += usize::from(r.parse(black_box(head)).is_ok());
            }
        }
        "pico_head" | "pico_head20" => {
            for _ in 0..10_000 {
                let (mut minor, mut status, mut msg, mut msg_len) = (0, 0, std::ptr::null(), 0);
                let mut h = [phr_header::default(); 32];
                let mut num = h.len();
                // SAFETY: valid buffer and out-pointers to locals.
                let r = unsafe {
                    phr_parse_response(
                        black_box(head).as_ptr().cast(),
                        head.len(),
                        &mut minor,
                        &mut status,
                        &mut msg,
                        &mut msg_len,
                        h.as_mut_ptr(),
                        &mut num,
                        0,
                    )
                };
                n += usize::from(r > 0);
            }
        }
        "chunked64" => {
            for _ in 0..20 {
                let mut dec = ChunkedDecoder::new(&Limits::DEFAULT);
                let mut input = black_box(&body[..]);
                loop {
                    let (used, ev) = dec.decode(input).expect("valid");
                    input = &input[used..];
                    match ev {
                        ChunkedEvent::Data(d) => n += black_box(d).len(),
                        _ => break,
                    }
                }
            }
        }
        "pico_chunked64" => {
            for _ in 0..20 {
                let mut buf = body.clone();
                // SAFETY: zero-filled is the documented initial state.
                let mut dec: phr_chunked_decoder = unsafe { std::mem::zeroed() };
                let mut size = buf.len();
                // SAFETY: valid writable buffer of `size` bytes.
                unsafe { phr_decode_chunked(&mut dec, buf.as_mut_ptr().cast(), &mut size) };
                n += size;
            }
        }
        "e2e_docksock" | "e2e_request" | "e2e_hand" | "e2e_hand_httparse" => {
            // 1000 keep-alive pings: `strace -f -c` shows the syscalls per round trip.
            let server = docksock_benches::PingServer::start();
            let client = docksock::Client::builder()
                .socket(server.path())
                .api_version(docksock::ApiVersion::new(1, 41))
                .build();
            if what == "e2e_docksock" {
                for _ in 0..1000 {
                    n += client.ping().expect("ping").body.len();
                }
            } else if what == "e2e_request" {
                for _ in 0..1000 {
                    let resp = client
                        .request("GET", "/_ping", &[], &[], &[], docksock::Body::empty())
                        .expect("request");
                    n += resp.bytes().expect("body").len();
                }
            } else if what == "e2e_hand_httparse" {
                n += hand_httparse(server.path());
            } else {
                use std::io::{Read, Write};
                let mut s =
                    std::os::unix::net::UnixStream::connect(server.path()).expect("connect");
                let mut buf = [0u8; 4096];
                for _ in 0..1000 {
                    s.write_all(b"GET /v1.41/_ping HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n")
                        .expect("write");
                    let mut len = 0;
                    while len < 289 {
                        len += s.read(&mut buf[len..]).expect("read");
                    }
                    n += len;
                }
            }
        }
        "json_events" | "json16k" => {
            let events = wire("events_badfilter");
            let events = dechunk(split_head(&events).1);
            let (input, rounds) = if what == "json16k" {
                (json_messages(&events, 1 << 20, 16 * 1024), 32)
            } else {
                (events, 1000)
            };
            println!("{what}: {} bytes x {rounds}", input.len());
            for _ in 0..rounds {
                let mut s = JsonSplitter::default();
                let mut rest = black_box(&input[..]);
                while !rest.is_empty() {
                    let scan = s.scan(rest).expect("valid stream");
                    if let Some(m) = scan.message {
                        n += black_box(&rest[m]).len();
                    }
                    rest = &rest[scan.consumed..];
                }
            }
        }
        other => panic!("unknown workload {other}"),
    }
    println!("{what}: {n}");
}

/// The hand-written loop of the `e2e` bench (write, read, parse with httparse until the head
/// and the `Content-Length` body are in), 1,000 times; returns the body bytes seen.
fn hand_httparse(path: &std::path::Path) -> usize {
    let mut s = std::os::unix::net::UnixStream::connect(path).expect("connect");
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    for _ in 0..1000 {
        total += docksock_benches::hand_round_trip(&mut s, &mut buf);
    }
    total
}
