//! Fuzz targets for docksock-proto, as library functions so that the thin `fuzz_targets/*`
//! binaries (libFuzzer, nightly) and a stable `cargo test` replaying `seeds/` share one body.
//!
//! Every target checks more than "no panic": split invariance (the same events and the same
//! verdict however the transport cuts the bytes), the zero-copy contract (slices lie in the
//! input), and, where a plain reference is cheap to write, agreement with it.

pub mod chunked;
pub mod differential;
pub mod encoder;
pub mod exchange;
pub mod json;
pub mod reference;
pub mod response;
pub mod scan_paths;
pub mod split;
pub mod stdcopy;
pub mod websocket;

/// `tchar` of RFC 9110 §5.6.2, written out again (the core's table is private).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Runs the named target on one input (used by the replay test and by `scripts/fuzz`).
pub fn run_target(name: &str, data: &[u8]) {
    use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
    match name {
        "response_decoder" => response::fuzz_response_decoder(data),
        "chunked_decoder" => chunked::fuzz_chunked_decoder(data),
        "stdcopy" => stdcopy::fuzz_stdcopy(data),
        "json_splitter" => json::fuzz_json_splitter(data),
        "decoder_differential" => differential::fuzz_decoder_differential(data),
        "exchange" => exchange::fuzz_exchange(data),
        "websocket_frames" => websocket::fuzz_websocket_frames(data),
        "scan_paths" => scan_paths::fuzz_scan_paths(data),
        "request_encoder" => {
            if let Ok(input) = encoder::EncInput::arbitrary(&mut Unstructured::new(data)) {
                encoder::fuzz_request_encoder(input);
            }
        }
        other => panic!("unknown target {other}"),
    }
}

/// The target names, in the order `scripts/fuzz` runs them.
pub const TARGETS: [&str; 9] = [
    "response_decoder",
    "chunked_decoder",
    "stdcopy",
    "json_splitter",
    "request_encoder",
    "decoder_differential",
    "exchange",
    "websocket_frames",
    "scan_paths",
];
