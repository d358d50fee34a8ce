//! The `scan_paths` fuzz target; the body is `docksock_fuzz::run_target`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| docksock_fuzz::run_target("scan_paths", data));
