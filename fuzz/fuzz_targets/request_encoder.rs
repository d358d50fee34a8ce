//! The `request_encoder` fuzz target (structured input through `arbitrary`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: docksock_fuzz::encoder::EncInput| {
    docksock_fuzz::encoder::fuzz_request_encoder(input)
});
