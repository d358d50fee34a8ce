//! The exchange loop shared by every call: encode the request, take a pooled connection (or
//! connect), write the request (streaming an upload and watching for an early answer), read
//! the response head, and send the request once more on a fresh connection when the
//! connection's exchange says it may.
//!
//! No rule is decided here: the framing of bodies, the early answer, the retry rule and the
//! deadlines are the core's [`Exchange`](docksock_proto::exchange::Exchange), driven through
//! [`Conn`].

use std::fmt::Write as _;
use std::io::{self, Read, Write};

use docksock_api::{Call, CallBody, RequestBody};
use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_proto::exchange::Request;
use docksock_proto::timeout::Timeout;
use docksock_proto::version::ApiVersion;
use docksock_proto::MisuseError;

use crate::body::{Body, Repr, WriteFn};
use crate::conn::{Conn, READ_CHUNK};
use crate::error::{shown, Error, Result};
use crate::headers::{Keep, OwnedHead};
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
        let mut prefix = [0u8; 16];
        let n = v.write_prefix(&mut prefix).unwrap_or(0);
        out.push_str(std::str::from_utf8(prefix.get(..n).unwrap_or(&[])).unwrap_or_default());
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
    keep: Keep,
) -> Result<Sent> {
    let name = |out: &mut String| write_operation(out, call, version);
    // The name is written out again only for an error that does not carry it yet.
    send_call(inner, call, body, version, keep, &name).map_err(|e| {
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
    keep: Keep,
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
        Repr::Reader(_) | Repr::Writer(_) => BodyFraming::Chunked,
    };
    call.with_spec(version, |spec| {
        let spec = spec
            .body(framing)
            .base_path(&inner.base_path)
            .host(inner.host_header.as_deref());
        send_spec(inner, &spec, &mut body, t, keep, name)
    })
}

/// [`send`] once the request is a spec.
fn send_spec(
    inner: &Inner,
    spec: &RequestSpec<'_>,
    body: &mut Body<'_>,
    t: CallTimeouts,
    keep: Keep,
    name: &dyn Fn(&mut String),
) -> Result<Sent> {
    // Encode into the pooled connection's buffer (reused from one request to the next),
    // before any connect: an invalid request is refused without touching the socket. A
    // short `Content-Length` body goes into the same buffer, for one write. The same plain
    // request as the one before on the connection finds its head (and its name) there.
    let mut pooled = inner.pop_idle();
    let (mut wire, encoded) = match pooled.as_mut() {
        Some(conn) => conn.take_wbuf(spec),
        None => (Vec::new(), false),
    };
    if !encoded {
        if let Err(e) = spec.encode_vec(&mut wire) {
            if let Some(mut conn) = pooled {
                conn.set_wbuf(wire, None);
                inner.checkin(conn);
            }
            return Err(e.into());
        }
    }
    // What the buffer holds past the head.
    let mut with_body = false;
    if let Repr::Bytes { data, .. } = &body.repr {
        if data.len() <= READ_CHUNK && !data.is_empty() {
            wire.extend_from_slice(data);
            with_body = true;
        }
    }

    let mut conn = match pooled {
        Some(conn) => conn,
        None => inner.connect()?,
    };
    if !encoded {
        conn.set_operation(name);
    }
    conn.set_keep(keep);
    let mut retried = false;
    let (head, upgraded) = match attempt(&mut conn, spec, &wire, body, t) {
        Ok(head) => head,
        Err(e) if conn.may_retry() => {
            // The daemon had closed the pooled connection before answering.
            drop(e);
            retried = true;
            conn = inner.connect()?;
            conn.set_operation(name);
            conn.set_keep(keep);
            attempt(&mut conn, spec, &wire, body, t)?
        }
        Err(e) => return Err(e),
    };
    if encoded && !retried {
        conn.keep_wbuf(wire);
    } else {
        conn.set_wbuf(wire, (!with_body).then_some(spec));
    }
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
        Repr::Writer(producer) => match producer.take() {
            Some(produce) => upload_written(conn, wire, produce)?,
            // Not reached: once the producer runs, the request is not sent again.
            None => {
                return Err(Error::Unexpected(
                    "the request body's producer ran already: the request cannot be sent again"
                        .into(),
                ))
            }
        },
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

/// What became of a chunk of a streamed body.
enum Flow {
    /// Sent; the daemon has not answered yet.
    Go,
    /// The upload stops: with the daemon's early answer, or `None` when the write side failed
    /// (the read side decides the outcome).
    Stop(Option<(OwnedHead, bool)>),
}

/// One buffer for a streamed body's chunks, each framed in place (one write per chunk).
struct Chunks {
    buf: Vec<u8>,
}

impl Chunks {
    fn new() -> Chunks {
        Chunks {
            buf: vec![0u8; CHUNK_PREFIX_ROOM + READ_CHUNK + 2],
        }
    }

    /// Where the next chunk's data goes (`READ_CHUNK` bytes).
    fn space(&mut self) -> &mut [u8] {
        self.buf
            .get_mut(CHUNK_PREFIX_ROOM..CHUNK_PREFIX_ROOM + READ_CHUNK)
            .unwrap_or(&mut [])
    }

    /// Frames and writes the first `n` bytes of [`space`](Self::space) as one chunk, then
    /// looks, without blocking, at what the daemon sent: a response head is an early answer.
    fn send(&mut self, conn: &mut Conn, n: usize) -> Result<Flow> {
        let frame = conn.frame_body(n)?;
        let prefix = frame.prefix();
        let suffix = frame.suffix();
        let start = CHUNK_PREFIX_ROOM - prefix.len();
        let stop = CHUNK_PREFIX_ROOM + n;
        if let Some(dst) = self.buf.get_mut(start..CHUNK_PREFIX_ROOM) {
            dst.copy_from_slice(prefix);
        }
        if let Some(dst) = self.buf.get_mut(stop..stop + suffix.len()) {
            dst.copy_from_slice(suffix);
        }
        let framed = self.buf.get(start..stop + suffix.len()).unwrap_or(&[]);
        if !conn.write_all(framed)? {
            return Ok(Flow::Stop(None));
        }
        if conn.poll_arrived()? {
            if let Some(head) = conn.poll_head()? {
                return Ok(Flow::Stop(Some(head)));
            }
        }
        Ok(Flow::Go)
    }
}

/// Ends a streamed body (the last chunk).
fn finish(conn: &mut Conn) -> Result<()> {
    let end = conn.finish_body()?;
    conn.write_all(end)?;
    Ok(())
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
    let mut chunks = Chunks::new();
    loop {
        let n = loop {
            match reader.read(chunks.space()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::from_io("reading the request body", e)),
            }
        };
        if n == 0 {
            finish(conn)?;
            return Ok(None);
        }
        if let Flow::Stop(early) = chunks.send(conn, n)? {
            return Ok(early);
        }
    }
}

/// The writer a body producer ([`Body::writer`]) writes to: it fills a chunk and sends it when
/// full. Once the upload has stopped (an early answer, a failed write, an error of the
/// connection) every write fails, and the reason is kept for the exchange.
struct ChunkWriter<'c> {
    conn: &'c mut Conn,
    chunks: Chunks,
    filled: usize,
    /// The upload stopped: the early answer, or `None` when the write side failed.
    stopped: Option<Option<(OwnedHead, bool)>>,
    /// The connection's error that stopped the upload.
    failed: Option<Error>,
}

impl ChunkWriter<'_> {
    /// Sends what is gathered as one chunk.
    fn send_filled(&mut self) -> io::Result<()> {
        if self.filled == 0 {
            return Ok(());
        }
        let n = std::mem::take(&mut self.filled);
        match self.chunks.send(self.conn, n) {
            Ok(Flow::Go) => Ok(()),
            Ok(Flow::Stop(early)) => {
                self.stopped = Some(early);
                Err(self.stopped_error())
            }
            Err(e) => {
                self.failed = Some(e);
                Err(self.stopped_error())
            }
        }
    }

    /// The error every write returns once the upload stopped.
    fn stopped_error(&self) -> io::Error {
        let why = match (&self.stopped, &self.failed) {
            (Some(Some(_)), _) => "the daemon answered before the request body was sent whole",
            (Some(None), _) => "the daemon stopped reading the request body",
            _ => "the connection failed while sending the request body",
        };
        io::Error::new(io::ErrorKind::BrokenPipe, why)
    }
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.stopped.is_some() || self.failed.is_some() {
            return Err(self.stopped_error());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let space = self.chunks.space();
        let free = space.get_mut(self.filled..).unwrap_or(&mut []);
        let n = data.len().min(free.len());
        if let (Some(dst), Some(src)) = (free.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.filled += n;
        if self.filled == READ_CHUNK {
            self.send_filled()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.stopped.is_some() || self.failed.is_some() {
            return Err(self.stopped_error());
        }
        self.send_filled()
    }
}

/// Streams a chunked body that `produce` writes ([`Body::writer`]), in chunks of up to 64 KiB
/// gathered in one buffer, with [`upload`]'s early-answer rule between chunks.
fn upload_written(
    conn: &mut Conn,
    head: &[u8],
    produce: WriteFn<'_>,
) -> Result<Option<(OwnedHead, bool)>> {
    if !conn.write_all(head)? {
        return Ok(None);
    }
    // The producer cannot be run twice: the request is not sent again from here on.
    conn.consume_body()?;
    let mut w = ChunkWriter {
        conn,
        chunks: Chunks::new(),
        filled: 0,
        stopped: None,
        failed: None,
    };
    let produced = produce(&mut w);
    let tail = match produced {
        Ok(()) if w.stopped.is_none() && w.failed.is_none() => w.send_filled(),
        _ => Ok(()),
    };
    if let Some(e) = w.failed.take() {
        return Err(e);
    }
    if let Some(early) = w.stopped.take() {
        return Ok(early);
    }
    if let Err(e) = produced.and(tail) {
        return Err(Error::from_io("producing the request body", e));
    }
    finish(w.conn)?;
    Ok(None)
}
