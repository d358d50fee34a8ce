//! The conformance harness (see `tests/conformance/README.md`).
//!
//! ```text
//! cargo run -q -p docksock-proto --example conformance -- decode [--method M]... [--split N] [--no-eof] [--demux] [--json-stream] < response.bin
//! cargo run -q -p docksock-proto --example conformance -- encode < request.json
//! ```
//!
//! `decode` prints one JSON object per line: each request's final response, or
//! `{"error":"CLASS"}` and nothing more. `encode` writes the exact request bytes, or
//! `{"error":"CLASS"}`.
use std::io::{Read, Write};
use std::process::ExitCode;

#[path = "../tests/support/harness.rs"]
mod harness;

fn usage() -> ExitCode {
    eprintln!(
        "usage: conformance decode [--method M]... [--split N] [--no-eof] [--demux] [--json-stream]\n       conformance encode"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("conformance: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let mut stdout = std::io::stdout().lock();
    match args.first().map(String::as_str) {
        Some("decode") => {
            let mut opts = harness::DecodeOpts::default();
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--method" => match it.next() {
                        Some(m) => opts.methods.push(m.clone()),
                        None => return usage(),
                    },
                    "--split" => match it.next().and_then(|n| n.parse().ok()) {
                        Some(n) if n > 0 => opts.split = Some(n),
                        _ => return usage(),
                    },
                    "--no-eof" => opts.no_eof = true,
                    "--demux" => opts.demux = true,
                    "--json-stream" => opts.json_stream = true,
                    _ => return usage(),
                }
            }
            for line in harness::decode(&input, &opts) {
                if writeln!(stdout, "{line}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Some("encode") => {
            let desc: serde_json::Value = match serde_json::from_slice(&input) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("conformance: request description is not JSON: {e}");
                    return ExitCode::from(2);
                }
            };
            let written = match harness::encode(&desc) {
                Ok(bytes) => stdout.write_all(&bytes),
                Err(class) => writeln!(stdout, "{}", serde_json::json!({ "error": class })),
            };
            if written.is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}
