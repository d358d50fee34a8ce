//! `extern "C"` entry points over docksock-proto, one per part of the core, for measuring code
//! size and linked panic paths on `thumbv7em-none-eabihf` (see `scripts/size-probe`). Inputs
//! come from statics behind `black_box`, so nothing is folded away and no `unsafe` is needed.
//! The image is linked with `--gc-sections` from `_start`, which calls every enabled probe: what
//! it holds is exactly the code a firmware calling the same functions would link.
#![no_std]
#![no_main]

use core::hint::black_box;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// The entry point: calls every enabled probe.
#[no_mangle]
pub extern "C" fn _start() -> ! {
    let mut sum = 0u32;
    #[cfg(feature = "decode")]
    {
        sum = sum.wrapping_add(probe_decode(black_box(300)));
    }
    #[cfg(feature = "encode")]
    {
        sum = sum.wrapping_add(probe_encode(black_box(12)));
    }
    #[cfg(feature = "stdcopy")]
    {
        sum = sum.wrapping_add(probe_stdcopy(black_box(300)));
    }
    #[cfg(feature = "json")]
    {
        sum = sum.wrapping_add(probe_json(black_box(300)));
    }
    black_box(sum);
    loop {}
}

/// A response buffer as a driver would own it (unused by the encoder probe alone).
#[allow(dead_code)]
static INPUT: [u8; 512] = [0; 512];

/// Decodes one response from the first `len` bytes of the input buffer; returns the body bytes.
#[cfg(feature = "decode")]
#[no_mangle]
pub extern "C" fn probe_decode(len: usize) -> u32 {
    use docksock_proto::{Event, ResponseDecoder};
    let buf = black_box(&INPUT);
    let mut input = buf.get(..len).unwrap_or(buf);
    let mut dec = ResponseDecoder::new(black_box("GET"));
    let mut body = 0u32;
    loop {
        match dec.decode(input) {
            Ok(step) => {
                input = input.get(step.consumed..).unwrap_or(b"");
                match step.event {
                    Event::Data(d) => body = body.wrapping_add(d.len() as u32),
                    Event::Head(h) => body = body.wrapping_add(u32::from(h.status())),
                    Event::End { .. } => return body,
                    Event::NeedMore => return body,
                    _ => {}
                }
            }
            Err(_) => return u32::MAX,
        }
    }
}

/// Encodes `GET /v1.41/containers/{id}/json?size=1` into a stack buffer; returns its length.
#[cfg(feature = "encode")]
#[no_mangle]
pub extern "C" fn probe_encode(id_len: usize) -> u32 {
    use docksock_proto::encode::{PathParam, RequestSpec};
    use docksock_proto::version::ApiVersion;
    let id = black_box("0123456789abcdef0123456789abcdef");
    let id = id.get(..id_len).unwrap_or(id);
    let params = [("id", PathParam::Plain(id))];
    let query = [("size", "1")];
    let spec = RequestSpec::new(black_box("GET"), black_box("/containers/{id}/json"))
        .params(&params)
        .query(&query)
        .api_version(Some(ApiVersion::new(1, 41)));
    let mut out = [0u8; 256];
    match spec.encode(&mut out) {
        Ok(n) => n as u32,
        Err(_) => u32::MAX,
    }
}

/// Demultiplexes the first `len` bytes of the input buffer; returns the payload bytes.
#[cfg(feature = "stdcopy")]
#[no_mangle]
pub extern "C" fn probe_stdcopy(len: usize) -> u32 {
    use docksock_proto::stdcopy::{Demuxer, Frame, Mode};
    let buf = black_box(&INPUT);
    let mut input = buf.get(..len).unwrap_or(buf);
    let mut d = Demuxer::new(Mode::Multiplexed);
    let mut total = 0u32;
    loop {
        match d.decode(input) {
            Ok((used, Some(Frame::Data { data, .. }))) => {
                total = total.wrapping_add(data.len() as u32);
                input = input.get(used..).unwrap_or(b"");
            }
            Ok((used, Some(_))) => input = input.get(used..).unwrap_or(b""),
            Ok((_, None)) => return total,
            Err(_) => return u32::MAX,
        }
    }
}

/// Splits the first `len` bytes of the input buffer into JSON messages; returns their count.
#[cfg(feature = "json")]
#[no_mangle]
pub extern "C" fn probe_json(len: usize) -> u32 {
    use docksock_proto::json::JsonSplitter;
    let buf = black_box(&INPUT);
    let mut input = buf.get(..len).unwrap_or(buf);
    let mut s = JsonSplitter::default();
    let mut n = 0u32;
    while let Ok(scan) = s.scan(input) {
        n += u32::from(scan.message.is_some());
        input = input.get(scan.consumed..).unwrap_or(b"");
        if input.is_empty() {
            break;
        }
    }
    n
}
