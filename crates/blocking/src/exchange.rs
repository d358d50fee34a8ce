//! The exchange loop shared by every call: encode the request, take a pooled connection (or
//! connect), write the request (streaming an upload and watching for an early answer), read
//! the response head, and send the request once more on a fresh connection when the
//! connection's exchange says it may.
//!
//! No rule is decided here: the framing of bodies, the early answer, the retry rule and the
//! deadlines are the core's [`Exchange`](docksock_proto::exchange::Exchange), driven through
//! [`Conn`].

use std::fmt::Write as _;
use std::io::{self, Read};

use docksock_api::{Call, CallBody, RequestBody};
use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_proto::exchange::Request;
use docksock_proto::timeout::Timeout;
use docksock_proto::version::ApiVersion;
use docksock_proto::MisuseError;

use crate::body::{Body, Repr};
use crate::conn::{Conn, READ_CHUNK};
use crate::error::{shown, Error, Result};
use crate::headers::OwnedHead;
use crate::pool::Inner;

/// A request sent and its response head read: the connection, positioned at the body (or,
/// after an upgrade, at the raw stream).
pub(crate) struct Sent {
    pub(crate) conn: Conn,
    pub(crate) head: OwnedHead,
    /// The connection is now the request's raw stream (`101`, or dockerd's close-delimited
    /// `200` answer to an upgrade request).
    pub(crate) upgraded: bool,
}

/// The timeouts a call asks for (resolved by the exchange against the client's).
#[derive(Clone, Copy)]
struct CallTimeouts {
    head: Timeout,
    idle: Timeout,
}

/// Room before the data in the upload buffer for the chunk-size line (16 hex digits + CRLF).
const CHUNK_PREFIX_ROOM: usize = 18;

/// At most this many characters of a path parameter are shown in an operation's name.
const MAX_SHOWN_PARAM: usize = 64;

/// The name of a call in errors: its method and path, the version prefix and the parameters
/// filled in (each escaped and truncated), without the query: `GET /v1.41/containers/web/json`.
pub(crate) fn operation_name(call: &Call<'_>, version: Option<ApiVersion>) -> String {
    let mut out = String::new();
    write_operation(&mut out, call, version);
    out
}

/// [`operation_name`] into `out` (a buffer a connection reuses: no allocation per request).
fn write_operation(out: &mut String, call: &Call<'_>, version: Option<ApiVersion>) {
    out.clear();
    out.push_str(call.method());
    out.push(' ');
    if let Some(v) = version {
        let _ = write!(out, "/v{v}");
    }
    let mut rest = call.path();
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let Some((name, tail)) = after.split_once('}') else {
            rest = after;
            out.push('{');
            break;
        };
        match call.path_params().iter().find(|(n, _)| *n == name) {
            Some((_, PathParam::Plain(v) | PathParam::Image(v))) => {
                for (i, c) in v.chars().enumerate() {
                    if i == MAX_SHOWN_PARAM {
                        out.push('…');
                        break;
                    }
                    out.extend(c.escape_debug());
                }
            }
            None => {
                let _ = write!(out, "{{{name}}}");
            }
        }
        rest = tail;
    }
    out.push_str(rest);
}

/// The refusal of a call whose path parameter broke its rule, naming the value and the rule.
/// Asked only after the encoder refused a parameter, so a valid call is checked once.
fn check_params(call: &Call<'_>, version: Option<ApiVersion>) -> Result<()> {
    for (name, param) in call.path_params() {
        if let Some(rule) = param.problem() {
            let (what, value) = match param {
                PathParam::Image(v) => ("image reference".to_owned(), v),
                PathParam::Plain(v) => (format!("path parameter `{name}`"), v),
            };
            return Err(Error::InvalidArgument {
                operation: operation_name(call, version),
                what,
                value: shown(value),
                rule,
            });
        }
    }
    Ok(())
}

/// Encodes and sends a call and reads the response head, on a pooled connection with one
/// retry on a fresh one when the exchange's retry rule allows it. `body`, when not empty,
/// replaces the call's own body. Every error names the call.
pub(crate) fn send(
    inner: &Inner,
    call: &Call<'_>,
    body: Body<'_>,
    version: Option<ApiVersion>,
) -> Result<Sent> {
    let name = |out: &mut String| write_operation(out, call, version);
    // The name is written out again only for an error that does not carry it yet.
    send_call(inner, call, body, version, &name).map_err(|e| {
        let refused_param = matches!(
            e,
            Error::Protocol {
                source: docksock_proto::Error::Misuse(
                    MisuseError::InvalidPathParam | MisuseError::InvalidImageReference
                ),
                ..
            }
        );
        let e = match check_params(call, version) {
            Err(named) if refused_param => named,
            _ => e,
        };
        e.in_operation(&operation_name(call, version))
    })
}

fn send_call(
    inner: &Inner,
    call: &Call<'_>,
    body: Body<'_>,
    version: Option<ApiVersion>,
    name: &dyn Fn(&mut String),
) -> Result<Sent> {
    let mut body = match (body.repr, call.body_ref()) {
        (Repr::Empty, CallBody::Bytes { data, .. }) => Body::bytes(&data[..]),
        (Repr::Empty, CallBody::Stream { .. }) => {
            return Err(Error::Config(format!(
                "{} {} streams its request body, and none was given",
                call.method(),
                call.path()
            )))
        }
        (repr, _) => Body { repr },
    };
    let content_type = match (&body.repr, call.body_ref()) {
        (_, CallBody::Bytes { .. } | CallBody::Stream { .. }) => None,
        (Repr::Empty, _) => None,
        _ if call.request_kind() == RequestBody::Tar => Some("application/x-tar"),
        _ => body.content_type(),
    };
    let t = CallTimeouts {
        head: call.head_timeout_setting(),
        idle: call.idle_timeout_setting(),
    };
    let mut extra: Option<Call<'_>> = None;
    let call = match content_type {
        Some(ct)
            if !call
                .headers()
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type")) =>
        {
            extra.insert(call.clone().header("Content-Type", ct))
        }
        _ => call,
    };
    let framing = match &body.repr {
        Repr::Empty => BodyFraming::None,
        Repr::Bytes { data, .. } => BodyFraming::Length(data.len() as u64),
        Repr::Reader(_) => BodyFraming::Chunked,
    };
    call.with_spec(version, |spec| {
        let spec = spec
            .body(framing)
            .base_path(&inner.base_path)
            .host(inner.host_header.as_deref());
        send_spec(inner, &spec, &mut body, t, name)
    })
}

/// [`send`] once the request is a spec.
fn send_spec(
    inner: &Inner,
    spec: &RequestSpec<'_>,
    body: &mut Body<'_>,
    t: CallTimeouts,
    name: &dyn Fn(&mut String),
) -> Result<Sent> {
    // Encode into the pooled connection's buffer (reused from one request to the next),
    // before any connect: an invalid request is refused without touching the socket. A
    // short `Content-Length` body goes into the same buffer, for one write.
    let mut pooled = inner.pop_idle();
    let mut wire = pooled.as_mut().map(Conn::take_wbuf).unwrap_or_default();
    if let Err(e) = spec.encode_vec(&mut wire) {
        if let Some(mut conn) = pooled {
            conn.set_wbuf(wire);
            inner.checkin(conn);
        }
        return Err(e.into());
    }
    if let Repr::Bytes { data, .. } = &body.repr {
        if data.len() <= READ_CHUNK {
            wire.extend_from_slice(data);
        }
    }

    let mut conn = match pooled {
        Some(conn) => conn,
        None => inner.connect()?,
    };
    conn.set_operation(name);
    let (head, upgraded) = match attempt(&mut conn, spec, &wire, body, t) {
        Ok(head) => head,
        Err(e) if conn.may_retry() => {
            // The daemon had closed the pooled connection before answering.
            drop(e);
            conn = inner.connect()?;
            conn.set_operation(name);
            attempt(&mut conn, spec, &wire, body, t)?
        }
        Err(e) => return Err(e),
    };
    conn.set_wbuf(wire);
    Ok(Sent {
        conn,
        head,
        upgraded,
    })
}

/// One try on one connection: write the head and body, read the response head. `wire` is the
/// encoded head, followed by the body when it is bytes of at most `READ_CHUNK`.
fn attempt(
    conn: &mut Conn,
    spec: &RequestSpec<'_>,
    wire: &[u8],
    body: &mut Body<'_>,
    t: CallTimeouts,
) -> Result<(OwnedHead, bool)> {
    let request = Request::from_spec(spec)
        .head_timeout(t.head)
        .idle_timeout(t.idle);
    let rest = match &body.repr {
        Repr::Bytes { data, .. } if data.len() > READ_CHUNK => data.len(),
        _ => 0,
    };
    conn.start(request, wire.len() + rest)?;
    let early = match &mut body.repr {
        Repr::Reader(reader) => upload(conn, wire, &mut **reader)?,
        Repr::Bytes { data, .. } if rest > 0 => {
            // A failed write leaves the outcome to the read side.
            if conn.write_all(wire)? {
                conn.write_all(data)?;
            }
            None
        }
        _ => {
            conn.write_all(wire)?;
            None
        }
    };
    match early {
        Some(head) => Ok(head),
        None => conn.read_head(),
    }
}

/// Streams a chunked body from `reader`, 64 KiB at a time, each chunk framed in place in one
/// buffer (one write per chunk). Between chunks it looks, without blocking, at what the
/// daemon sent: a response head is an early answer (the exchange abandons the rest of the
/// body) and is returned; the upload stops there.
fn upload(
    conn: &mut Conn,
    head: &[u8],
    reader: &mut dyn Read,
) -> Result<Option<(OwnedHead, bool)>> {
    if !conn.write_all(head)? {
        return Ok(None);
    }
    let mut buf = vec![0u8; CHUNK_PREFIX_ROOM + READ_CHUNK + 2];
    loop {
        let n = loop {
            let data = buf
                .get_mut(CHUNK_PREFIX_ROOM..CHUNK_PREFIX_ROOM + READ_CHUNK)
                .unwrap_or(&mut []);
            match reader.read(data) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::from_io("reading the request body", e)),
            }
        };
        if n == 0 {
            let end = conn.finish_body()?;
            conn.write_all(end)?;
            return Ok(None);
        }
        let frame = conn.frame_body(n)?;
        let prefix = frame.prefix();
        let suffix = frame.suffix();
        let start = CHUNK_PREFIX_ROOM - prefix.len();
        let stop = CHUNK_PREFIX_ROOM + n;
        if let Some(dst) = buf.get_mut(start..CHUNK_PREFIX_ROOM) {
            dst.copy_from_slice(prefix);
        }
        if let Some(dst) = buf.get_mut(stop..stop + suffix.len()) {
            dst.copy_from_slice(suffix);
        }
        let framed = buf.get(start..stop + suffix.len()).unwrap_or(&[]);
        if !conn.write_all(framed)? {
            return Ok(None);
        }
        if conn.poll_arrived()? {
            if let Some(head) = conn.poll_head()? {
                return Ok(Some(head));
            }
        }
    }
}
