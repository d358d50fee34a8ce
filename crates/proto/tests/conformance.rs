//! Conformance: every sample case and every real dockerd recording, through the harness,
//! whole, byte by byte, in 7-byte pieces and at random split points — the output must be the
//! same every time and match what is expected.

#[path = "support/harness.rs"]
mod harness;

use harness::{decode, DecodeOpts};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wire_dir() -> PathBuf {
    manifest().join("../../tests/wire")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A small deterministic generator for split points (no dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Decodes `input` whole, byte by byte, in 7-byte pieces and at random sizes; asserts all
/// agree and returns the output.
fn decode_all_ways(input: &[u8], opts: &DecodeOpts, what: &str) -> Vec<Value> {
    let whole = decode(input, opts);
    let mut rng = Lcg(input.len() as u64 ^ 0x5eed);
    let mut splits = vec![Some(1), Some(7), Some(64), Some(4096)];
    for _ in 0..4 {
        splits.push(Some(1 + rng.next(97)));
    }
    for split in splits {
        let o = DecodeOpts {
            split,
            ..opts.clone()
        };
        assert_eq!(
            decode(input, &o),
            whole,
            "{what}: output differs at --split {split:?}"
        );
    }
    whole
}

fn lower_fields(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_ascii_lowercase(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn response_sample_cases() {
    let cases = load(&manifest().join("tests/conformance/response_cases.sample.json"));
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let input = harness::from_latin1(case["input_hex_or_text"].as_str().unwrap()).unwrap();
        let opts = DecodeOpts {
            methods: vec![case["request_method"].as_str().unwrap_or("GET").to_string()],
            no_eof: !case["then_eof"].as_bool().unwrap_or(true),
            ..Default::default()
        };
        let out = decode_all_ways(&input, &opts, id);
        if case["expect"] == "error" {
            // The class must be the expected one or one of its listed alternatives: another
            // error (a bare LF reported as a bare CR, say) is a bug too.
            let expected = case["expected"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: an error case names its expected class"));
            let mut allowed = vec![expected];
            if let Some(alternatives) = case.get("error_alternatives") {
                allowed.extend(
                    alternatives
                        .as_array()
                        .unwrap_or_else(|| panic!("{id}: error_alternatives is a list"))
                        .iter()
                        .map(|a| a.as_str().unwrap()),
                );
            }
            let last = out.last().unwrap_or_else(|| panic!("{id}: no output"));
            let class = last
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{id}: expected an error, got {out:?}"));
            assert!(
                allowed.contains(&class),
                "{id}: error class {class:?}, expected one of {allowed:?}"
            );
            continue;
        }
        let exp = &case["expected"];
        let got = &out[0];
        assert!(got.get("error").is_none(), "{id}: unexpected error {got}");
        for key in [
            "version",
            "status",
            "body",
            "keep_alive",
            "upgrade",
            "leftover",
        ] {
            assert_eq!(exp.get(key), got.get(key), "{id}: {key}");
        }
        for key in ["headers", "trailers"] {
            assert_eq!(
                lower_fields(exp.get(key)),
                lower_fields(got.get(key)),
                "{id}: {key}"
            );
        }
        let statuses = |v: &Value| -> Vec<u64> {
            v.get("informational")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|i| i["status"].as_u64().unwrap()).collect())
                .unwrap_or_default()
        };
        assert_eq!(statuses(exp), statuses(got), "{id}: informational");
    }
}

#[test]
fn request_sample_cases() {
    let cases = load(&manifest().join("tests/conformance/request_cases.sample.json"));
    for case in cases.as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let got = harness::encode(&case["input"]);
        if case["expect"] == "error" {
            let class = got.expect_err(id);
            assert_eq!(class, case["expected"].as_str().unwrap(), "{id}");
        } else {
            let got = got.unwrap_or_else(|e| panic!("{id}: {e}"));
            let expected = harness::from_latin1(case["expected"].as_str().unwrap()).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "{id}"
            );
        }
    }
}

/// The methods of the requests in a recorded `.request` file, in order.
fn request_methods(raw: &[u8]) -> Vec<String> {
    let mut methods = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let end = match find(rest, b"\r\n\r\n") {
            Some(i) => i + 4,
            None => match find(rest, b"\n\n") {
                Some(i) => i + 2,
                None => break,
            },
        };
        let head = &rest[..end];
        let method = head.split(|&b| b == b' ').next().unwrap_or(b"GET");
        methods.push(String::from_utf8_lossy(method).into_owned());
        let head_text = String::from_utf8_lossy(head).to_ascii_lowercase();
        let cl = head_text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        rest = &rest[end..];
        if head_text.contains("transfer-encoding: chunked") {
            match find(rest, b"0\r\n\r\n") {
                Some(i) => rest = &rest[i + 5..],
                None => break,
            }
        } else if let Some(n) = cl {
            rest = &rest[n.min(rest.len())..];
        }
    }
    if methods.is_empty() {
        methods.push("GET".into());
    }
    methods
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn every_wire_recording_decodes() {
    // dockerd 20.10's recordings, then Docker 28.5's and Podman 4.3's (tests/wire/record.py).
    for (dir, least) in [("", 120), ("docker-28.5", 12), ("podman-4.3", 12)] {
        let checked = recordings_decode(&wire_dir().join(dir));
        assert!(
            checked >= least,
            "{dir:?}: only {checked} recordings checked"
        );
    }
}

/// Every recording listed in `dir/INDEX.tsv` decodes whole, byte by byte and at random splits
/// to the statuses the index lists; returns how many were checked.
fn recordings_decode(dir: &Path) -> usize {
    let wire_dir = || dir.to_path_buf();
    let index = std::fs::read(wire_dir().join("INDEX.tsv")).unwrap();
    let index: String = index.iter().map(|&b| b as char).collect();
    let mut checked = 0;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let name = cols[0];
        let responses: Vec<&str> = cols[4].split(" | ").collect();
        let truncated = cols[4].contains("truncated");
        let response = std::fs::read(wire_dir().join(format!("{name}.response"))).unwrap();
        let methods = match std::fs::read(wire_dir().join(format!("{name}.request"))) {
            Ok(req) => request_methods(&req),
            Err(_) => vec!["GET".into()],
        };
        let expected_status: Vec<u64> = responses
            .iter()
            .map(|r| r.split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        let finals: Vec<u64> = expected_status
            .iter()
            .copied()
            .filter(|s| !(100..200).contains(s) || *s == 101)
            .collect();

        let opts = DecodeOpts {
            methods: methods.clone(),
            demux: false,
            ..Default::default()
        };
        let out = decode_all_ways(&response, &opts, name);
        if truncated {
            // Cut while the stream was open: with EOF an error, never a success…
            assert_eq!(
                out.last().unwrap()["error"],
                "truncated-body",
                "{name}: {out:?}"
            );
            // …and without EOF, incomplete.
            let open = decode_all_ways(
                &response,
                &DecodeOpts {
                    no_eof: true,
                    ..opts.clone()
                },
                name,
            );
            assert_eq!(open.last().unwrap()["incomplete"], true, "{name}");
            checked += 1;
            continue;
        }
        let got: Vec<u64> = out.iter().filter_map(|r| r["status"].as_u64()).collect();
        assert_eq!(got, finals, "{name}: statuses; output {out:?}");
        for (r, status) in out.iter().zip(&finals) {
            assert!(r.get("error").is_none(), "{name}: {r}");
            // Informational responses are reported with the final one.
            let info: Vec<u64> = r
                .get("informational")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|i| i["status"].as_u64().unwrap()).collect())
                .unwrap_or_default();
            assert!(info.iter().all(|s| (100..200).contains(s)), "{name}");
            assert_eq!(r["status"].as_u64(), Some(*status), "{name}");
        }
        checked += 1;
    }
    checked
}

#[test]
fn example_binary_matches_library() {
    // `cargo test` builds the `conformance` example next to this test binary; other runners
    // (nextest) do not, so build it here when it is missing.
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("examples/conformance"))
        .unwrap();
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "docksock-proto",
                "--example",
                "conformance",
            ])
            .current_dir(manifest())
            .status()
            .unwrap();
        assert!(status.success(), "building the conformance example failed");
    }
    assert!(bin.exists(), "{} not built", bin.display());
    let cases = load(&manifest().join("tests/conformance/response_cases.sample.json"));
    for case in cases.as_array().unwrap() {
        let input = harness::from_latin1(case["input_hex_or_text"].as_str().unwrap()).unwrap();
        let method = case["request_method"].as_str().unwrap_or("GET");
        let mut outputs = Vec::new();
        for split in [None, Some("1"), Some("7")] {
            let mut cmd = std::process::Command::new(&bin);
            cmd.args(["decode", "--method", method]);
            if let Some(s) = split {
                cmd.args(["--split", s]);
            }
            cmd.stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&input).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            outputs.push(out.stdout);
        }
        assert_eq!(outputs[0], outputs[1], "{}", case["id"]);
        assert_eq!(outputs[0], outputs[2], "{}", case["id"]);
        let lib: Vec<String> = decode(
            &input,
            &DecodeOpts {
                methods: vec![method.into()],
                ..Default::default()
            },
        )
        .iter()
        .map(|v| v.to_string())
        .collect();
        let cli: Vec<String> = String::from_utf8(outputs[0].clone())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(lib, cli, "{}", case["id"]);
    }
}

#[test]
fn empty_input_is_the_same_at_every_split() {
    let opts = DecodeOpts::default();
    let out = decode_all_ways(b"", &opts, "empty input");
    assert_eq!(
        out,
        vec![serde_json::json!({"error": "closed-before-response"})]
    );
    let open = DecodeOpts {
        no_eof: true,
        ..DecodeOpts::default()
    };
    let out = decode_all_ways(b"", &open, "empty input without EOF");
    assert_eq!(out.last().unwrap()["incomplete"], true);
}

#[test]
fn connect_2xx_is_a_tunnel_in_the_harness() {
    let opts = DecodeOpts {
        methods: vec!["CONNECT".into()],
        ..DecodeOpts::default()
    };
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloworld";
    let out = decode_all_ways(input, &opts, "CONNECT 2xx");
    let text = serde_json::to_string(&out).unwrap();
    assert!(text.contains("\"upgrade\":true"), "{text}");
    assert!(!text.contains("\"body\":\"hello\""), "{text}");
}
