//! The conformance harness: the `decode` and `encode` commands of
//! `tests/conformance/README.md`, as functions. The `conformance` example wraps them in a CLI;
//! the `conformance` test calls them directly and through the example binary.
#![allow(dead_code, unreachable_pub)]

use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_proto::json::JsonSplitter;
use docksock_proto::stdcopy::{Demuxer, Frame, Mode, StreamKind};
use docksock_proto::version::ApiVersion;
use docksock_proto::{Event, Head, Headers, ResponseDecoder};
use serde_json::{json, Map, Value};

/// Options of the `decode` command.
#[derive(Debug, Clone, Default)]
pub struct DecodeOpts {
    /// One method per outstanding request (default: one `GET`).
    pub methods: Vec<String>,
    /// Feed the input in pieces of this size (None: whole).
    pub split: Option<usize>,
    /// Do not signal EOF after the input.
    pub no_eof: bool,
    /// Add `frames`.
    pub demux: bool,
    /// Add `messages`.
    pub json_stream: bool,
}

/// Bytes as a JSON string, one code point per octet (latin-1).
pub fn latin1(bytes: &[u8]) -> Value {
    Value::String(bytes.iter().map(|&b| b as char).collect())
}

/// A JSON latin-1 string back to bytes.
pub fn from_latin1(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| format!("code point {c:?} above U+00FF")))
        .collect()
}

fn fields(h: Headers<'_>) -> Value {
    Value::Array(
        h.iter()
            .map(|f| json!([latin1(f.name.as_bytes()), latin1(f.value)]))
            .collect(),
    )
}

/// The response being assembled for one request.
#[derive(Default)]
struct Response {
    head: Option<Value>,
    informational: Vec<Value>,
    body: Vec<u8>,
    trailers: Option<Value>,
    keep_alive: bool,
    upgrade: bool,
}

fn head_object(head: &Head<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("version".into(), json!(head.version().as_str()));
    m.insert("status".into(), json!(head.status()));
    m.insert("reason".into(), latin1(head.reason()));
    m.insert("headers".into(), fields(head.headers()));
    m
}

/// Runs the `decode` command over `input` and returns the output lines.
pub fn decode(input: &[u8], opts: &DecodeOpts) -> Vec<Value> {
    let methods: Vec<String> = if opts.methods.is_empty() {
        vec!["GET".into()]
    } else {
        opts.methods.clone()
    };
    // Empty input is one empty piece at every split: EOF (unless `no_eof`) is still given.
    let pieces: Vec<&[u8]> = match opts.split {
        Some(n) if n > 0 && !input.is_empty() => input.chunks(n).collect(),
        _ => vec![input],
    };
    let mut out = Vec::new();
    let mut current = 0usize;
    let mut decoder = ResponseDecoder::new(&methods[0]);
    let mut resp = Response::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut start = 0usize;
    // Once every request has its response, all further bytes are leftover.
    let mut leftover: Option<Vec<u8>> = None;

    let last = pieces.len();
    for (i, piece) in pieces.iter().enumerate() {
        if let Some(l) = leftover.as_mut() {
            l.extend_from_slice(piece);
            continue;
        }
        buf.extend_from_slice(piece);
        let eof = i + 1 == last && !opts.no_eof;
        loop {
            let input = &buf[start..];
            let step = if eof {
                decoder.decode_eof(input)
            } else {
                decoder.decode(input)
            };
            let step = match step {
                Ok(s) => s,
                Err(e) => {
                    out.push(json!({ "error": e.class() }));
                    return out;
                }
            };
            start += step.consumed;
            let finished_keep_alive = match step.event {
                Event::NeedMore => break,
                Event::Informational(h) => {
                    let mut m = Map::new();
                    m.insert("status".into(), json!(h.status()));
                    m.insert("headers".into(), fields(h.headers()));
                    resp.informational.push(Value::Object(m));
                    continue;
                }
                Event::Head(h) => {
                    resp.head = Some(Value::Object(head_object(&h)));
                    continue;
                }
                Event::Data(d) => {
                    resp.body.extend_from_slice(d);
                    continue;
                }
                Event::Trailers(t) => {
                    resp.trailers = Some(fields(t));
                    continue;
                }
                Event::Upgrade(h) => {
                    resp.head = Some(Value::Object(head_object(&h)));
                    resp.upgrade = true;
                    resp.keep_alive = false;
                    false
                }
                Event::End { keep_alive } => {
                    resp.keep_alive = keep_alive;
                    keep_alive
                }
            };
            // A response is complete.
            out.push(finish(std::mem::take(&mut resp), opts));
            current += 1;
            if finished_keep_alive && current < methods.len() {
                if let Err(e) = decoder.next_response(&methods[current]) {
                    out.push(json!({ "error": e.class() }));
                    return out;
                }
                continue;
            }
            // No outstanding request claims the rest.
            leftover = Some(buf[start..].to_vec());
            if !finished_keep_alive && current < methods.len() {
                // The connection cannot carry the remaining requests.
                out.push(json!({ "error": "connection-closed" }));
                return out;
            }
            break;
        }
    }
    match leftover {
        Some(l) => {
            if !l.is_empty() {
                if let Some(Value::Object(m)) = out.last_mut() {
                    m.insert("leftover".into(), latin1(&l));
                }
            }
        }
        None => {
            // Input ended inside a response without EOF.
            out.push(json!({ "incomplete": true }));
        }
    }
    out
}

fn finish(resp: Response, opts: &DecodeOpts) -> Value {
    let mut m = match resp.head {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("body".into(), latin1(&resp.body));
    m.insert(
        "trailers".into(),
        resp.trailers.unwrap_or_else(|| json!([])),
    );
    m.insert("keep_alive".into(), json!(resp.keep_alive));
    if !resp.informational.is_empty() {
        m.insert("informational".into(), Value::Array(resp.informational));
    }
    if resp.upgrade {
        m.insert("upgrade".into(), json!(true));
    }
    if opts.demux {
        let (frames, err) = demux(&resp.body, opts.split);
        m.insert("frames".into(), frames);
        if let Some(e) = err {
            m.insert("frames_error".into(), json!(e));
        }
    }
    if opts.json_stream {
        let (messages, err) = split_json(&resp.body, opts.split);
        m.insert("messages".into(), messages);
        if let Some(e) = err {
            m.insert("messages_error".into(), json!(e));
        }
    }
    Value::Object(m)
}

fn pieces(body: &[u8], split: Option<usize>) -> Vec<&[u8]> {
    match split {
        Some(n) if n > 0 => body.chunks(n).collect(),
        _ => vec![body],
    }
}

/// The body as stdcopy frames `[[stream, bytes], ...]`, pieces of one frame joined.
pub fn demux(body: &[u8], split: Option<usize>) -> (Value, Option<&'static str>) {
    let mut demuxer = Demuxer::new(Mode::Multiplexed);
    let mut frames: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut open = false;
    let mut push = |stream: u8, data: &[u8], end: bool, open: &mut bool| {
        match frames.last_mut() {
            Some((s, d)) if *open && *s == stream => d.extend_from_slice(data),
            _ => frames.push((stream, data.to_vec())),
        }
        *open = !end;
    };
    let mut error = None;
    'outer: for piece in pieces(body, split) {
        let mut input = piece;
        loop {
            match demuxer.decode(input) {
                Ok((used, frame)) => {
                    input = &input[used..];
                    match frame {
                        Some(Frame::Data {
                            stream,
                            data,
                            frame_end,
                        }) => {
                            let s = match stream {
                                StreamKind::Stdin => 0,
                                StreamKind::Stdout => 1,
                                StreamKind::Stderr => 2,
                            };
                            push(s, data, frame_end, &mut open);
                        }
                        Some(Frame::SystemError { text, frame_end }) => {
                            push(3, text, frame_end, &mut open)
                        }
                        None => {
                            if input.is_empty() {
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    error = Some(e.class());
                    break 'outer;
                }
            }
        }
    }
    if error.is_none() {
        if let Err(e) = demuxer.finish() {
            error = Some(e.class());
        }
    }
    let frames = frames
        .into_iter()
        .map(|(s, d)| json!([s, latin1(&d)]))
        .collect();
    (Value::Array(frames), error)
}

/// The body split into JSON messages, each as text.
pub fn split_json(body: &[u8], split: Option<usize>) -> (Value, Option<&'static str>) {
    let mut splitter = JsonSplitter::new(docksock_proto::json::DEFAULT_MAX_MESSAGE);
    let mut messages = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let mut error = None;
    'outer: for piece in pieces(body, split) {
        let mut input = piece;
        while !input.is_empty() {
            match splitter.scan(input) {
                Ok(scan) => {
                    if let Some(r) = scan.message.clone() {
                        partial.extend_from_slice(&input[r]);
                        messages.push(latin1(&std::mem::take(&mut partial)));
                    } else if let Some(r) = scan.partial.clone() {
                        partial.extend_from_slice(&input[r]);
                    }
                    input = &input[scan.consumed..];
                }
                Err(e) => {
                    error = Some(e.class());
                    break 'outer;
                }
            }
        }
    }
    if error.is_none() {
        if let Err(e) = splitter.finish() {
            error = Some(e.class());
        }
    }
    (Value::Array(messages), error)
}

/// Runs the `encode` command for one request description; `Err` holds the error class.
pub fn encode(desc: &Value) -> Result<Vec<u8>, String> {
    let s = |v: &Value| -> Result<String, String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => {
                let rep = o
                    .get("repeat")
                    .and_then(Value::as_str)
                    .ok_or("bad repeat")?;
                let count = o.get("count").and_then(Value::as_u64).ok_or("bad count")?;
                Ok(rep.repeat(count as usize))
            }
            other => Err(format!("expected a string, got {other}")),
        }
    };
    let method = s(desc.get("method").ok_or("no method")?)?;
    let path = s(desc.get("path").ok_or("no path")?)?;
    let mut params: Vec<(String, String, bool)> = Vec::new();
    for (key, image) in [("params", false), ("image_params", true)] {
        if let Some(Value::Object(o)) = desc.get(key) {
            for (k, v) in o {
                params.push((k.clone(), s(v)?, image));
            }
        }
    }
    let pairs = |key: &str| -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        if let Some(Value::Array(a)) = desc.get(key) {
            for p in a {
                let k = s(p.get(0).ok_or("bad pair")?)?;
                let v = s(p.get(1).ok_or("bad pair")?)?;
                out.push((k, v));
            }
        }
        Ok(out)
    };
    let query = pairs("query")?;
    let headers = pairs("headers")?;
    let api_version = match desc.get("api_version") {
        Some(Value::String(v)) => {
            Some(ApiVersion::parse(v.as_bytes()).map_err(|e| e.class().to_string())?)
        }
        Some(Value::Null) => None,
        // The cases' encoder profile (tests/conformance/README.md): `/v1.45` unless the case
        // names a version, whatever the crate's newest version is.
        _ => Some(ApiVersion::new(1, 45)),
    };
    let body: Option<Vec<u8>> = match desc.get("body") {
        Some(v) => Some(from_latin1(&s(v)?)?),
        None => None,
    };
    let stream: Option<Vec<Vec<u8>>> = match desc.get("stream") {
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|p| s(p).and_then(|t| from_latin1(&t)))
                .collect::<Result<_, _>>()?,
        ),
        _ => None,
    };

    let path_params: Vec<(&str, PathParam<'_>)> = params
        .iter()
        .map(|(k, v, image)| {
            let p = if *image {
                PathParam::Image(v)
            } else {
                PathParam::Plain(v)
            };
            (k.as_str(), p)
        })
        .collect();
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let framing = match (&body, &stream) {
        (Some(b), _) => BodyFraming::Length(b.len() as u64),
        (None, Some(_)) => BodyFraming::Chunked,
        (None, None) => BodyFraming::None,
    };
    let mut spec = RequestSpec::new(&method, &path)
        .params(&path_params)
        .query(&query)
        .headers(&headers)
        .body(framing)
        .upgrade(
            desc.get("upgrade")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        )
        .expect_continue(
            desc.get("expect_continue")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
    if let Some(v) = api_version {
        spec = spec.api_version(Some(v));
    }
    let class = |e: docksock_proto::Error| e.class().to_string();
    let mut out = Vec::new();
    spec.encode_vec(&mut out).map_err(class)?;
    let mut body_enc = spec.body_encoder();
    if let Some(b) = &body {
        body_enc.write_vec(b, &mut out).map_err(class)?;
    }
    if let Some(pieces) = &stream {
        for p in pieces {
            body_enc.write_vec(p, &mut out).map_err(class)?;
        }
    }
    out.extend_from_slice(body_enc.finish().map_err(class)?);
    Ok(out)
}
