//! Parse throughput of the core against the parsers a user would pick instead, on the same
//! inputs in the same run: response heads (docksock-proto, httparse, picohttpparser), chunked
//! bodies (docksock-proto, `phr_decode_chunked`, `httparse::parse_chunk_size` + copy), stdcopy
//! demultiplexing and JSON message splitting of real dockerd recordings, and the physical
//! ceiling (memchr and memcpy over 1 MiB).
//!
//! `cargo bench -p docksock-benches --bench parse`; see `BENCHMARKS.md`.
#![allow(unsafe_code)]
// picohttpparser is C, called through FFI.
// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::ffi::c_char;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use docksock_benches::{
    chunked_body, dechunk, json_messages, large_head, split_head, stdcopy_stream, wire,
};
use docksock_proto::json::JsonSplitter;
use docksock_proto::stdcopy::{Demuxer, Frame, Mode};
use docksock_proto::{ChunkedDecoder, ChunkedEvent, Event, Limits, ResponseDecoder};
use picohttpparser_sys::{phr_chunked_decoder, phr_decode_chunked, phr_header, phr_parse_response};

const MIB: usize = 1 << 20;

/// docksock-proto: decode until the `Head` event (the head is validated whole, framing read).
fn docksock_head(buf: &[u8]) -> u16 {
    let mut dec = ResponseDecoder::new("GET");
    match dec.decode(buf) {
        Ok(step) => match step.event {
            Event::Head(h) => h.status(),
            _ => 0,
        },
        Err(_) => 0,
    }
}

/// docksock-proto, then every header read back once (what httparse and picohttpparser hand
/// over: the list of fields).
fn docksock_head_fields(buf: &[u8]) -> usize {
    let mut dec = ResponseDecoder::new("GET");
    match dec.decode(buf) {
        Ok(step) => match step.event {
            Event::Head(h) => h
                .headers()
                .iter()
                .map(|f| f.name.len() + f.value.len())
                .sum(),
            _ => 0,
        },
        Err(_) => 0,
    }
}

fn httparse_head(buf: &[u8]) -> u16 {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(_)) => resp.code.unwrap_or(0),
        _ => 0,
    }
}

fn pico_head(buf: &[u8]) -> i32 {
    let mut minor = 0;
    let mut status = 0;
    let mut msg: *const c_char = std::ptr::null();
    let mut msg_len = 0;
    let mut headers = [phr_header::default(); 32];
    let mut num = headers.len();
    // SAFETY: `buf` is valid for `buf.len()` bytes; every out-pointer points to a live local;
    // `headers` has room for `num` entries.
    let r = unsafe {
        phr_parse_response(
            buf.as_ptr().cast(),
            buf.len(),
            &mut minor,
            &mut status,
            &mut msg,
            &mut msg_len,
            headers.as_mut_ptr(),
            &mut num,
            0,
        )
    };
    if r > 0 {
        status
    } else {
        0
    }
}

fn heads(c: &mut Criterion) {
    let version = wire("version_v141");
    let (real, _) = split_head(&version);
    let real = real.to_vec();
    let large = large_head();
    for (name, head) in [("head/version_v141", &real), ("head/20_headers", &large)] {
        assert_eq!(docksock_head(head), 200);
        assert_eq!(httparse_head(head), 200);
        assert_eq!(pico_head(head), 200);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(head.len() as u64));
        g.bench_function("docksock", |b| b.iter(|| docksock_head(black_box(head))));
        g.bench_function("docksock+fields", |b| {
            b.iter(|| docksock_head_fields(black_box(head)))
        });
        g.bench_function("httparse", |b| b.iter(|| httparse_head(black_box(head))));
        g.bench_function("picohttpparser", |b| b.iter(|| pico_head(black_box(head))));
        g.finish();
    }
}

/// docksock-proto: the data slices of a whole body, zero-copy (summed, not copied).
fn docksock_chunked(body: &[u8]) -> usize {
    let mut dec = ChunkedDecoder::new(&Limits::DEFAULT);
    let mut input = body;
    let mut total = 0;
    loop {
        let Ok((used, ev)) = dec.decode(input) else {
            return 0;
        };
        input = &input[used..];
        match ev {
            ChunkedEvent::Data(d) => total += black_box(d).len(),
            ChunkedEvent::End | ChunkedEvent::NeedMore => return total,
            ChunkedEvent::Trailers(_) => {}
        }
    }
}

/// docksock-proto with the data copied out (what the two peers do).
fn docksock_chunked_copy(body: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut dec = ChunkedDecoder::new(&Limits::DEFAULT);
    let mut input = body;
    loop {
        let Ok((used, ev)) = dec.decode(input) else {
            return 0;
        };
        input = &input[used..];
        match ev {
            ChunkedEvent::Data(d) => out.extend_from_slice(d),
            ChunkedEvent::End | ChunkedEvent::NeedMore => return out.len(),
            ChunkedEvent::Trailers(_) => {}
        }
    }
}

/// picohttpparser: decodes in place (moves the data down over the framing).
fn pico_chunked(buf: &mut [u8]) -> usize {
    // SAFETY: the C code documents the struct as "zero-filled before start"; all-zero bytes are
    // a valid value of its integer fields.
    let mut dec: phr_chunked_decoder = unsafe { std::mem::zeroed() };
    let mut size = buf.len();
    // SAFETY: `buf` is valid and writable for `size` bytes; the decoder is initialized.
    let r = unsafe { phr_decode_chunked(&mut dec, buf.as_mut_ptr().cast(), &mut size) };
    if r >= 0 {
        size
    } else {
        0
    }
}

/// httparse has no chunked decoder, only `parse_chunk_size`: the loop around it, copying the
/// data into `out`.
fn httparse_chunked(body: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut pos = 0;
    loop {
        let (used, size) = match httparse::parse_chunk_size(&body[pos..]) {
            Ok(httparse::Status::Complete(r)) => r,
            _ => return 0,
        };
        pos += used;
        let size = size as usize;
        if size == 0 {
            // Trailer section: only the empty line here.
            return if body[pos..].starts_with(b"\r\n") {
                out.len()
            } else {
                0
            };
        }
        out.extend_from_slice(&body[pos..pos + size]);
        pos += size;
        if &body[pos..pos + 2] != b"\r\n" {
            return 0;
        }
        pos += 2;
    }
}

fn chunked(c: &mut Criterion) {
    for (name, chunk) in [
        ("chunked/1MiB_in_64B", 64),
        ("chunked/1MiB_in_4KiB", 4096),
        ("chunked/1MiB_in_32KiB", 32768),
    ] {
        let body = chunked_body(MIB, chunk);
        let mut out = Vec::with_capacity(MIB);
        assert_eq!(docksock_chunked(&body), MIB);
        assert_eq!(docksock_chunked_copy(&body, &mut out), MIB);
        assert_eq!(pico_chunked(&mut body.clone()), MIB);
        assert_eq!(httparse_chunked(&body, &mut out), MIB);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(MIB as u64));
        g.bench_function("docksock", |b| {
            b.iter(|| docksock_chunked(black_box(&body)))
        });
        g.bench_function("docksock+copy", |b| {
            b.iter(|| docksock_chunked_copy(black_box(&body), &mut out))
        });
        // The in-place decoder destroys its input: each run gets a fresh copy, made outside the
        // timed part.
        g.bench_function("picohttpparser", |b| {
            b.iter_batched_ref(
                || body.clone(),
                |buf| pico_chunked(black_box(buf)),
                BatchSize::PerIteration,
            )
        });
        g.bench_function("httparse+copy", |b| {
            b.iter(|| httparse_chunked(black_box(&body), &mut out))
        });
        g.finish();
    }
}

fn demux(body: &[u8]) -> usize {
    let mut d = Demuxer::new(Mode::Multiplexed);
    let mut input = body;
    let mut total = 0;
    loop {
        match d.decode(input) {
            Ok((used, Some(Frame::Data { data, .. }))) => {
                total += black_box(data).len();
                input = &input[used..];
            }
            Ok((_, None)) => return total,
            _ => return 0,
        }
    }
}

fn split_json(body: &[u8]) -> usize {
    let mut s = JsonSplitter::default();
    let mut input = body;
    let mut messages = 0;
    loop {
        match s.scan(input) {
            Ok(scan) => {
                if let Some(m) = scan.message {
                    black_box(&input[m]);
                    messages += 1;
                }
                input = &input[scan.consumed..];
                if input.is_empty() {
                    return messages;
                }
            }
            Err(_) => return 0,
        }
    }
}

fn streams(c: &mut Criterion) {
    let logs = wire("logs_big");
    let logs = dechunk(split_head(&logs).1);
    let synthetic = stdcopy_stream(MIB, 16 * 1024);
    let events = wire("events_badfilter");
    let events = dechunk(split_head(&events).1);
    assert!(demux(&logs) > 0 && demux(&synthetic) == MIB);
    assert!(split_json(&events) > 50);
    let big = json_messages(&events, MIB, 16 * 1024);
    assert_eq!(split_json(&big), MIB / (16 * 1024));

    let mut g = c.benchmark_group("stdcopy");
    g.throughput(Throughput::Bytes(logs.len() as u64));
    g.bench_function("logs_big", |b| b.iter(|| demux(black_box(&logs))));
    g.throughput(Throughput::Bytes(synthetic.len() as u64));
    g.bench_function("1MiB_in_16KiB_frames", |b| {
        b.iter(|| demux(black_box(&synthetic)))
    });
    g.finish();

    let mut g = c.benchmark_group("json");
    g.throughput(Throughput::Bytes(events.len() as u64));
    g.bench_function("events_since_until", |b| {
        b.iter(|| split_json(black_box(&events)))
    });
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("1MiB_in_16KiB_messages", |b| {
        b.iter(|| split_json(black_box(&big)))
    });
    g.finish();
}

fn ceiling(c: &mut Criterion) {
    let hay = vec![b'x'; MIB];
    let mut dst = vec![0u8; MIB];
    let mut g = c.benchmark_group("ceiling");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.bench_function("memchr_1MiB", |b| {
        b.iter(|| memchr::memchr(b'\n', black_box(&hay)))
    });
    g.bench_function("memcpy_1MiB", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&hay));
            black_box(&dst);
        })
    });
    g.finish();
}

criterion_group!(benches, heads, chunked, streams, ceiling);
criterion_main!(benches);
