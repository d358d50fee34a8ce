//! Allocation counting with a counting `#[global_allocator]`: the core allocates nothing on its
//! hot paths (decoding whole responses, encoding a request into a stack buffer, demultiplexing,
//! splitting JSON), and the blocking client's keep-alive `/_ping` in steady state stays under a
//! small, measured bound.
//!
//! Counts are per thread (the counter is thread-local), so the in-process server thread and
//! the test harness's other threads are not counted.
//!
//! `cargo test -p docksock-benches --test alloc -- --nocapture` prints the measured figures.
#![allow(unsafe_code)] // A global allocator is an `unsafe impl`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use docksock::{ApiVersion, Body, Client};
use docksock_benches::{dechunk, split_head, wire, PingServer};
use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_proto::json::JsonSplitter;
use docksock_proto::stdcopy::{Demuxer, Frame, Mode};
use docksock_proto::{Event, ResponseDecoder};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: thread-local storage may already be gone while a thread exits.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` with the same arguments, so `System`'s guarantees
// hold; the counter is a const-initialized thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: forwarded as is; `ptr` came from this allocator, so from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (alloc, alloc_zeroed, realloc) made by this thread while `f` runs.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

/// Decodes a whole response (all in one input, then EOF) and returns body bytes seen.
fn decode_whole(method: &str, input: &[u8]) -> usize {
    let mut dec = ResponseDecoder::new(method);
    let mut rest = input;
    let mut body = 0;
    loop {
        let step = dec.decode_eof(rest).expect("valid recording");
        rest = &rest[step.consumed..];
        match step.event {
            Event::Data(d) => body += d.len(),
            Event::Head(h) => {
                // Reading the fields back is part of the hot path too.
                std::hint::black_box(h.headers().iter().count());
            }
            Event::End { .. } | Event::Upgrade(_) => return body,
            _ => {}
        }
    }
}

#[test]
fn core_hot_paths_allocate_nothing() {
    // Inputs are prepared (and allocated) before counting.
    let version = wire("version_v141");
    let info = wire("info_v141");
    let logs = wire("logs_big");
    let events = wire("events_badfilter");
    let logs_body = dechunk(split_head(&logs).1);
    let events_body = dechunk(split_head(&events).1);

    let (n, body) = count(|| decode_whole("GET", &version));
    assert_eq!(body, 792);
    assert_eq!(n, 0, "decoding a Content-Length response allocated");

    let (n, body) = count(|| decode_whole("GET", &info) + decode_whole("GET", &logs));
    assert!(body > 0);
    assert_eq!(n, 0, "decoding chunked responses allocated");

    let (n, len) = count(|| {
        let params = [("id", PathParam::Plain("web 1"))];
        let query = [("stdout", "1"), ("since", "1700000000")];
        let headers = [("Content-Type", "application/json")];
        let spec = RequestSpec::new("POST", "/containers/{id}/logs")
            .params(&params)
            .query(&query)
            .headers(&headers)
            .api_version(Some(ApiVersion::new(1, 41)))
            .body(BodyFraming::Length(17));
        let mut buf = [0u8; 512];
        let n = spec.encode(&mut buf).expect("encode");
        let mut body = spec.body_encoder();
        body.frame(17).expect("frame");
        body.finish().expect("finish");
        n
    });
    assert!(len > 0);
    assert_eq!(n, 0, "encoding a request into a stack buffer allocated");

    let (n, total) = count(|| {
        let mut d = Demuxer::new(Mode::Multiplexed);
        let mut input = &logs_body[..];
        let mut total = 0;
        while let (used, Some(Frame::Data { data, .. })) = d.decode(input).expect("demux") {
            total += data.len();
            input = &input[used..];
        }
        d.finish().expect("clean end");
        total
    });
    assert!(total > 0);
    assert_eq!(n, 0, "demultiplexing allocated");

    let (n, messages) = count(|| {
        let mut s = JsonSplitter::default();
        let mut input = &events_body[..];
        let mut messages = 0;
        while !input.is_empty() {
            let scan = s.scan(input).expect("split");
            messages += usize::from(scan.message.is_some());
            input = &input[scan.consumed..];
        }
        s.finish().expect("clean end");
        messages
    });
    assert!(messages > 50);
    assert_eq!(n, 0, "splitting JSON allocated");
}

/// Allocations per keep-alive request of the blocking client, in steady state.
///
/// The bounds are the figures measured when this test was written (see `BENCHMARKS.md`), so a
/// change that adds allocations to the request path fails here and has to say why.
#[test]
fn blocking_client_allocations_per_request() {
    const WARMUP: usize = 20;
    const N: usize = 200;
    // `Ping`'s own strings (`Api-Version`, `Ostype`, the body): the head itself is not copied.
    const MAX_PING: usize = 3;
    const MAX_REQUEST: usize = 3;

    let server = PingServer::start();
    let client = Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
        .build();
    for _ in 0..WARMUP {
        assert_eq!(client.ping().expect("ping").body, "OK");
    }
    let (n, ()) = count(|| {
        for _ in 0..N {
            let ping = client.ping().expect("ping");
            assert_eq!(ping.body, "OK");
        }
    });
    let per_ping = n as f64 / N as f64;

    let (n, ()) = count(|| {
        for _ in 0..N {
            let resp = client
                .request("GET", "/_ping", &[], &[], &[], Body::empty())
                .expect("request");
            assert_eq!(resp.bytes().expect("body"), b"OK");
        }
    });
    let per_request = n as f64 / N as f64;
    eprintln!("blocking client, steady state: {per_ping} allocations per ping(), {per_request} per request()+bytes()");
    assert!(
        per_ping <= MAX_PING as f64,
        "ping(): {per_ping} allocations per request (bound {MAX_PING})"
    );
    assert!(
        per_request <= MAX_REQUEST as f64,
        "request(): {per_request} allocations per request (bound {MAX_REQUEST})"
    );
    // One connection, reused.
    assert_eq!(server.served(), WARMUP + 2 * N);
}
