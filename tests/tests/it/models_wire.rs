//! Every JSON response recorded from dockerd 20.10 (`tests/wire/`), Docker 28.5 and Podman 4.3
//! (`tests/wire/docker-28.5/`, `tests/wire/podman-4.3/`) whose request is an
//! operation with a response model decodes into that model, and what the model keeps of it
//! is what was sent but for the fields API v1.51 no longer describes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use docksock_models::response_round_trip;
use serde_json::Value;

fn wire_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wire")
}

/// The status, the headers and the de-chunked body of the first final response in `raw`
/// (interim `1xx` heads skipped; a truncated chunked body keeps its complete chunks).
fn parse_response(mut raw: &[u8]) -> Option<(u16, String, Vec<u8>)> {
    loop {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&raw[..end]).ok()?;
        let rest = &raw[end + 4..];
        let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) && status != 101 {
            raw = rest;
            continue;
        }
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        let ctype = header("Content-Type").unwrap_or_default();
        let body = if header("Transfer-Encoding").is_some_and(|t| t.contains("chunked")) {
            let mut out = Vec::new();
            let mut rest = rest;
            while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
                let size =
                    usize::from_str_radix(std::str::from_utf8(&rest[..nl]).ok()?, 16).ok()?;
                if size == 0 || rest.len() < nl + 2 + size + 2 {
                    break;
                }
                out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
                rest = &rest[nl + 2 + size + 2..];
            }
            out
        } else if let Some(n) = header("Content-Length") {
            rest[..n.parse::<usize>().ok()?.min(rest.len())].to_vec()
        } else {
            rest.to_vec()
        };
        return Some((status, ctype, body));
    }
}

/// The operation id of a request line (`GET /v1.41/containers/abc/json?size=1 HTTP/1.1`).
fn operation_of(request_line: &str) -> Option<&'static str> {
    let mut parts = request_line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let path = target.split('?').next()?;
    let path = match path.strip_prefix("/v") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => &rest[rest.find('/')?..],
        _ => path,
    };
    let segs: Vec<&str> = path.split('/').collect();
    docksock_api::ALL.iter().find_map(|op| {
        let tsegs: Vec<&str> = op.path.split('/').collect();
        let same = op.method == method
            && tsegs.len() == segs.len()
            && tsegs
                .iter()
                .zip(&segs)
                .all(|(t, s)| t.starts_with('{') || t == s);
        same.then_some(op.id)
    })
}

/// Paths (`a.b[].c`) of every non-null leaf of `sent` that `kept` does not hold the same.
fn lost(sent: &Value, kept: &Value, path: &str, out: &mut BTreeSet<String>) {
    match (sent, kept) {
        (Value::Null, _) => {}
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(w) => lost(v, w, &p, out),
                    None if v.is_null() => {}
                    None => {
                        out.insert(p);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (v, w) in a.iter().zip(b) {
                lost(v, w, &format!("{path}[]"), out);
            }
        }
        (a, b) if a == b => {}
        // Numbers re-encoded (1.0 vs 1) compare as numbers.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        _ => {
            out.insert(format!("{path} (changed)"));
        }
    }
}

/// Fields dockerd 20.10 (API 1.41) sends that API v1.51 no longer describes: the models drop
/// them (and the raw JSON keeps them).
const GONE_SINCE_1_41: &[&str] = &[
    // ImageInspect: Container, ContainerConfig (1.45), VirtualSize (1.44), Config.Image (1.50).
    "Container",
    "ContainerConfig",
    "VirtualSize",
    "Config.Image",
    // ImageInspect.Config is an ImageConfig since 1.50: no container-only fields.
    "Config.AttachStderr",
    "Config.AttachStdin",
    "Config.AttachStdout",
    "Config.Domainname",
    "Config.Hostname",
    "Config.OpenStdin",
    "Config.StdinOnce",
    "Config.Tty",
    // ImageSummary.VirtualSize removed in 1.44.
    "[].VirtualSize",
    // SystemInfo fields removed since 1.41.
    "BridgeNfIp6tables",
    "BridgeNfIptables",
    "ContainerdCommit.Expected",
    "RuncCommit.Expected",
    "InitCommit.Expected",
    "KernelMemory",
    "RegistryConfig.AllowNondistributableArtifactsCIDRs",
    "RegistryConfig.AllowNondistributableArtifactsHostnames",
    // ContainerInspect: HostConfig.KernelMemory, removed in 1.42.
    "HostConfig.KernelMemory",
    // Event: `status`, `id`, `from` (deprecated for Action, Actor.ID, Actor.Attributes.image).
    "status",
    "id",
    "from",
];

#[test]
fn recorded_responses_decode_into_their_models() {
    let mut decoded = 0;
    let mut report = BTreeSet::new();
    let mut ops = BTreeSet::new();
    let mut unexpected = Vec::new();
    // dockerd 20.10's recordings, whose every dropped field must be known, then those of the
    // newer engines (`tests/wire/docker-28.5`, `tests/wire/podman-4.3`), which must decode; the
    // fields their engines add beyond the description are reported, not failed on.
    let mut entries: Vec<(std::path::PathBuf, bool)> = Vec::new();
    for (dir, strict) in [
        (wire_dir(), true),
        (wire_dir().join("docker-28.5"), false),
        (wire_dir().join("podman-4.3"), false),
    ] {
        let mut found: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "response"))
            .map(|p| (p, strict))
            .collect();
        found.sort();
        entries.extend(found);
    }
    for (resp_path, strict) in entries {
        let name = resp_path
            .strip_prefix(wire_dir())
            .unwrap()
            .with_extension("")
            .to_string_lossy()
            .into_owned();
        let Ok(request) = std::fs::read(resp_path.with_extension("request")) else {
            continue;
        };
        let line = String::from_utf8_lossy(request.split(|&b| b == b'\r').next().unwrap_or(&[]))
            .into_owned();
        let Some(op) = operation_of(&line) else {
            continue;
        };
        let raw = std::fs::read(&resp_path).unwrap();
        let Some((status, ctype, body)) = parse_response(&raw) else {
            continue;
        };
        let json_stream = ctype.is_empty() && op == "ContainerStats";
        if !(200..300).contains(&status) || !(ctype.contains("json") || json_stream) {
            continue;
        }
        // One document, or a stream of messages (one per line).
        let messages: Vec<&[u8]> = body
            .split(|&b| b == b'\n')
            .map(|m| m.strip_suffix(b"\r").unwrap_or(m))
            .filter(|m| !m.is_empty())
            .collect();
        let single = serde_json::from_slice::<Value>(&body).is_ok();
        let docs: Vec<&[u8]> = if single { vec![&body[..]] } else { messages };
        for doc in docs {
            let Some(result) = response_round_trip(op, doc) else {
                continue;
            };
            let kept = result.unwrap_or_else(|e| {
                panic!(
                    "{name} ({op}): does not decode: {e}\n{}",
                    String::from_utf8_lossy(doc)
                )
            });
            decoded += 1;
            ops.insert(op);
            let sent: Value = serde_json::from_slice(doc).unwrap();
            let mut gone = BTreeSet::new();
            lost(&sent, &kept, "", &mut gone);
            for g in &gone {
                let known = GONE_SINCE_1_41.contains(&g.as_str());
                if !known && strict {
                    unexpected.push(format!("{name} ({op}): {g}"));
                }
            }
            if !gone.is_empty() {
                report.insert(format!("{name} ({op}): dropped {gone:?}"));
            }
        }
    }
    eprintln!("{decoded} recorded JSON documents decoded, of {ops:?}");
    for r in &report {
        eprintln!("  {r}");
    }
    for op in [
        "ContainerCreate",
        "ContainerInspect",
        "ContainerList",
        "ContainerStats",
        "ContainerWait",
        "ContainerExec",
        "ExecInspect",
        "ImageBuild",
        "ImageCreate",
        "ImageDelete",
        "ImageInspect",
        "ImageList",
        "SystemEvents",
        "SystemInfo",
        "SystemVersion",
    ] {
        assert!(ops.contains(op), "no recorded response of {op} decoded");
    }
    assert!(
        unexpected.is_empty(),
        "fields the models lose:\n{}",
        unexpected.join("\n")
    );
}
