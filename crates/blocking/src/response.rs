//! Responses: status and headers, a streaming body, whole-body helpers, JSON message streams.

use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use docksock_proto::exchange::BodyMode;
use docksock_proto::stdcopy::Mode;
use docksock_proto::BodyKind;

use crate::config::MAX_ERROR_BODY;
use crate::conn::{Conn, Step};
use crate::demux::{Demux, Frames, Piece};
use crate::error::{Error, Result};
use crate::exchange::Sent;
use crate::headers::{OwnedHead, ResponseHeaders};
use crate::pool::Inner;

/// The most characters of a daemon's error message kept in [`Error::Api`].
const MAX_API_MESSAGE: usize = 1024;

/// A response: status line, headers, and the body as a stream.
///
/// The body is read from the connection as the caller reads it (`Read`, on the response or on
/// [`body`](Self::body)); nothing is buffered beyond one socket read. The connection goes back
/// to the client's pool only when the body has been read to its end and the daemon left the
/// connection clean; dropping a response early closes it.
///
/// A connection that ends before the body is complete is an error
/// ([`PeerError::UnexpectedEof`](docksock_proto::PeerError::UnexpectedEof)), never a short
/// successful read.
///
/// ```no_run
/// use std::io::Read;
///
/// let docker = docksock::Client::from_env()?;
/// let mut resp = docker.request("GET", "/version", &[], &[], &[], docksock::Body::empty())?;
/// assert_eq!(resp.status, 200);
/// let mut text = String::new();
/// resp.read_to_string(&mut text)
///     .map_err(|e| docksock::Error::from_io("reading /version", e))?;
/// # Ok::<(), docksock::Error>(())
/// ```
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase (free text: dockerd puts error detail there for some errors).
    pub reason: String,
    /// The header fields in order, duplicates kept; values decoded lossily as UTF-8. One owned
    /// copy of the field lines, read with the core's iterator (see [`ResponseHeaders`]).
    pub headers: ResponseHeaders,
    /// The body, a stream.
    pub body: ResponseBody,
}

impl Response {
    pub(crate) fn new(sent: Sent, inner: Arc<Inner>) -> Response {
        let Sent {
            conn,
            head:
                OwnedHead {
                    status,
                    reason,
                    headers,
                    body,
                    ping: _,
                },
            upgraded: _,
        } = sent;
        Response {
            status,
            reason,
            headers,
            body: ResponseBody {
                conn: Some(conn),
                inner,
                failed: None,
                length: match body {
                    BodyKind::Length(n) => Some(n),
                    _ => None,
                },
            },
        }
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// This response if its status is 2xx, else the daemon's error.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with the status and the daemon's message (its `{"message": ...}` JSON,
    /// its plain-text body, or the reason phrase; at most 64 KiB of body is read), or
    /// [`Error::Version`] for dockerd's "client version … is too old/new".
    pub fn error_for_status(self) -> Result<Response> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.into_error())
        }
    }

    /// The error this (non-2xx) response carries; see
    /// [`error_for_status`](Self::error_for_status).
    pub fn into_error(mut self) -> Error {
        let operation = self.body.operation();
        let mut body = Vec::new();
        let _ = (&mut self.body)
            .take(MAX_ERROR_BODY as u64)
            .read_to_end(&mut body);
        let json = self
            .header("Content-Type")
            .is_some_and(|ct| ct.contains("json"))
            || body.first() == Some(&b'{');
        let from_json = if json {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        } else {
            None
        };
        let message = from_json
            .or_else(|| {
                let text = String::from_utf8_lossy(&body).trim().to_owned();
                (!text.is_empty()).then_some(text)
            })
            .or_else(|| (!self.reason.is_empty()).then(|| self.reason.clone()))
            .unwrap_or_else(|| format!("HTTP status {}", self.status));
        // A person reads this: the daemon's own messages are short; a long body is cut.
        let message = match message.char_indices().nth(MAX_API_MESSAGE) {
            Some((at, _)) => format!("{}…", message.get(..at).unwrap_or_default()),
            None => message,
        };
        if self.status == 400 && message.starts_with("client version ") {
            return Error::Version { message };
        }
        Error::Api {
            operation,
            status: self.status,
            message,
        }
    }

    /// Sets the idle timeout for the rest of this body: the longest silence while waiting for
    /// its bytes. Operations that follow or wait have none unless it is set here.
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.body.set_idle_timeout(timeout);
    }

    /// The body, read whole (capped by the client's `max_body`).
    ///
    /// # Errors
    ///
    /// I/O, timeout or protocol errors; [`Error::TooLarge`] over the cap.
    pub fn bytes(mut self) -> Result<Vec<u8>> {
        self.body.read_capped()
    }

    /// The body as text (lossy UTF-8), read whole (capped).
    ///
    /// # Errors
    ///
    /// As [`bytes`](Self::bytes).
    pub fn text(self) -> Result<String> {
        let bytes = self.bytes()?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The body parsed as one JSON document (capped).
    ///
    /// # Errors
    ///
    /// As [`bytes`](Self::bytes), and [`Error::Json`] if it is not JSON.
    pub fn json(self) -> Result<serde_json::Value> {
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| Error::json("parsing the response body", e))
    }

    /// The body as a stream of JSON messages (events, stats, build and import progress), each
    /// capped at the client's `max_json_message`. In-band errors become [`Error::Stream`].
    pub fn json_messages(self) -> JsonMessages {
        JsonMessages::new(self.body)
    }

    /// The body as a stdcopy stream (logs), demultiplexed by the connection's exchange;
    /// `mode` comes from the container's `Tty` flag, never from the bytes.
    pub fn demux(self, mode: Mode) -> Demux<ResponseBody> {
        let mut body = self.body;
        if let Some(conn) = &mut body.conn {
            if let Err(e) = conn.set_body_mode(BodyMode::Stdcopy(mode)) {
                body.fail(e);
            }
        }
        let frames = Frames {
            next: ResponseBody::next_frame,
            bytes: ResponseBody::frame_bytes,
            operation: body.operation(),
            max_output: body.inner.cfg.max_body,
        };
        Demux::from_exchange(body, mode, frames)
    }

    /// The body alone.
    pub fn into_body(self) -> ResponseBody {
        self.body
    }
}

impl Read for Response {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.body.read(out)
    }
}

/// The body of a [`Response`]: a `Read` that drives the connection's exchange.
///
/// Returns `Ok(0)` only at the true end of the body. An error (truncated body, timeout,
/// protocol violation) is returned as an `io::Error` (kind `UnexpectedEof`, `TimedOut` or
/// `InvalidData`) carrying the crate's [`Error`]; [`Error::from_io`] recovers it. After an
/// error every read fails again: an error never turns into a clean end.
pub struct ResponseBody {
    /// The connection, until the body ended (or failed).
    conn: Option<Conn>,
    inner: Arc<Inner>,
    /// Set after an error: later reads fail again instead of looking like EOF.
    failed: Option<String>,
    /// The body's `Content-Length`, when it has one (sizes the buffer of a whole-body read).
    length: Option<u64>,
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody")
            .field("open", &self.conn.is_some())
            .field("failed", &self.failed)
            .finish()
    }
}

impl ResponseBody {
    /// Sets the idle timeout for the rest of this body.
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        if let Some(conn) = &mut self.conn {
            conn.set_idle_timeout(timeout.into());
        }
    }

    /// The operation this is the answer to, while the connection is held (errors name it).
    fn operation(&self) -> String {
        self.conn
            .as_ref()
            .map_or_else(String::new, |c| c.operation().to_owned())
    }

    /// True once the whole body has been read.
    pub fn is_finished(&self) -> bool {
        self.conn.is_none() && self.failed.is_none()
    }

    /// Reads body bytes into `out`; `Ok(0)` only at the end of the body.
    pub(crate) fn read_inner(&mut self, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() {
            self.check_failed()?;
            return Ok(0);
        }
        let Some(data) = self.next_piece(out.len())? else {
            return Ok(0);
        };
        let n = data.len();
        if let Some(dst) = out.get_mut(..n) {
            dst.copy_from_slice(data);
        }
        Ok(n)
    }

    fn check_failed(&self) -> Result<()> {
        match &self.failed {
            Some(msg) => Err(Error::Unexpected(format!(
                "body read again after an error: {msg}"
            ))),
            None => Ok(()),
        }
    }

    /// Remembers an error (later calls fail again) and closes the connection.
    fn fail(&mut self, e: Error) -> Error {
        let e = match &self.conn {
            Some(conn) => e.in_operation(conn.operation()),
            None => e,
        };
        self.failed = Some(e.to_string());
        self.conn = None;
        e
    }

    /// The next piece of body data, at most `max` bytes (`max` > 0), borrowed from the
    /// connection's buffer and taken (the next call moves on); `None` at the end of the body.
    /// An error is remembered: later calls fail again.
    fn next_piece(&mut self, max: usize) -> Result<Option<&[u8]>> {
        self.check_failed()?;
        match self.advance() {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(self.fail(e)),
        }
        Ok(self.conn.as_mut().map(|conn| conn.take_pending(max)))
    }

    /// Drives the exchange (reading from the socket as needed) until body data is pending:
    /// true, or the body ended: false.
    fn advance(&mut self) -> Result<bool> {
        loop {
            let Some(conn) = &mut self.conn else {
                return Ok(false);
            };
            if conn.has_pending() {
                return Ok(true);
            }
            match conn.next_event()? {
                Step::Data | Step::Skip => {}
                Step::End => {
                    self.finish();
                    return Ok(false);
                }
                Step::Head { .. } | Step::NeedMore => {
                    return Err(Error::Unexpected(
                        "a second response head inside a body".into(),
                    ))
                }
                Step::Message(..) | Step::Part(..) | Step::Frame(..) | Step::SystemError(..) => {
                    return Err(Error::Unexpected(
                        "the body is read as messages or frames, not as bytes".into(),
                    ))
                }
            }
        }
    }

    /// The next piece of a stdcopy frame (the body's mode set by [`Response::demux`]);
    /// `None` at the end of the body.
    fn next_frame(&mut self) -> Result<Option<Piece>> {
        self.check_failed()?;
        loop {
            let Some(conn) = &mut self.conn else {
                return Ok(None);
            };
            let step = match conn.next_event() {
                Ok(step) => step,
                Err(e) => return Err(self.fail(e)),
            };
            match step {
                Step::Frame(kind, start, end) => return Ok(Some(Piece::Data(kind, start, end))),
                Step::SystemError(start, end, frame_end) => {
                    return Ok(Some(Piece::SystemError(start, end, frame_end)))
                }
                Step::Skip => {}
                Step::End => {
                    self.finish();
                    return Ok(None);
                }
                _ => {
                    let e = Error::Unexpected("a stdcopy stream delivered otherwise".into());
                    return Err(self.fail(e));
                }
            }
        }
    }

    /// The bytes of a piece [`next_frame`](Self::next_frame) handed out.
    fn frame_bytes(&self, start: usize, end: usize) -> &[u8] {
        self.conn
            .as_ref()
            .map_or(&[][..], |conn| conn.buffered(start, end))
    }

    /// The body is complete: the connection goes back to the pool if its exchange says it may
    /// carry another request.
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.inner.checkin(conn);
        }
    }

    /// Reads the whole body, up to the client's `max_body`: the exchange's data pieces are
    /// copied straight from the connection's buffer into one `Vec`, sized by the
    /// `Content-Length` when there is one.
    pub(crate) fn read_capped(&mut self) -> Result<Vec<u8>> {
        let cap = self.inner.cfg.max_body;
        let hint = self
            .length
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX).min(cap));
        let mut out = Vec::with_capacity(hint);
        loop {
            let Some(data) = self.next_piece(usize::MAX)? else {
                return Ok(out);
            };
            if out.len() + data.len() > cap {
                let operation = self.operation();
                self.conn = None;
                return Err(Error::TooLarge {
                    operation,
                    what: "the response body (read it as a stream instead)",
                    limit: cap,
                    setting: "ClientBuilder::max_body",
                });
            }
            out.extend_from_slice(data);
        }
    }

    /// Reads and drops the rest of a short body (up to 64 KiB) so the connection can be
    /// reused; a longer body, or any error, just closes the connection.
    pub(crate) fn discard(&mut self) {
        let mut total = 0usize;
        while self.conn.is_some() && total <= MAX_ERROR_BODY {
            match self.next_piece(4096) {
                Ok(Some(data)) => total += data.len(),
                Ok(None) | Err(_) => break,
            }
        }
        self.conn = None;
    }
}

impl Read for ResponseBody {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_inner(out).map_err(Error::into_io)
    }
}

impl Drop for ResponseBody {
    /// If the rest of the response is already buffered (a 204, a short body the caller did not
    /// read), finish it without I/O so the connection can be reused; otherwise close it.
    fn drop(&mut self) {
        let Some(conn) = &mut self.conn else {
            return;
        };
        loop {
            let _ = conn.take_pending(usize::MAX);
            match conn.step() {
                Ok(Step::Data | Step::Skip) => {}
                Ok(Step::End) => break,
                _ => return,
            }
        }
        self.finish();
    }
}

/// An iterator of the JSON messages of a streaming body (events, stats, build and import
/// progress), split by the connection's exchange (the core's JSON splitter) whatever the HTTP
/// chunking; each message is parsed where it lies in the connection's buffer.
///
/// A message carrying `"error"`/`"errorDetail"` is returned as [`Error::Stream`] with the
/// daemon's text. After any error the iterator ends.
///
/// ```no_run
/// let docker = docksock::Client::from_env()?;
/// let events = docker.events(&docksock::EventsOptions {
///     since: Some("0".into()),
///     until: Some("1".into()),
///     ..Default::default()
/// })?;
/// for event in events {
///     let event = event?;
///     println!("{} {}", event["Type"], event["Action"]);
/// }
/// # Ok::<(), docksock::Error>(())
/// ```
pub struct JsonMessages {
    body: ResponseBody,
    /// A message that arrived in pieces, assembled.
    partial: Vec<u8>,
    done: bool,
}

impl std::fmt::Debug for JsonMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonMessages")
            .field("body", &self.body)
            .field("done", &self.done)
            .finish()
    }
}

impl JsonMessages {
    /// The rest of `body` as JSON messages: the exchange splits from the first byte not read.
    fn new(mut body: ResponseBody) -> JsonMessages {
        if let Some(conn) = &mut body.conn {
            if let Err(e) = conn.set_body_mode(BodyMode::Json) {
                body.fail(e);
            }
        }
        JsonMessages {
            body,
            partial: Vec::new(),
            done: false,
        }
    }

    /// Sets the idle timeout for the rest of the stream (for example a long `until` on
    /// events, or a quiet container's stats).
    pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
        self.body.set_idle_timeout(timeout);
    }

    /// The next message, parsed, or `None` at the end of the stream. In-band errors are not
    /// checked here.
    fn next_value(&mut self) -> Result<Option<serde_json::Value>> {
        self.body.check_failed()?;
        loop {
            let Some(conn) = &mut self.body.conn else {
                return Ok(None);
            };
            let step = match conn.next_event() {
                Ok(step) => step,
                Err(e) => return Err(self.body.fail(e)),
            };
            match step {
                Step::Message(start, end) => return parse(conn.buffered(start, end)).map(Some),
                Step::Part(start, end, complete) => {
                    self.partial.extend_from_slice(conn.buffered(start, end));
                    if complete {
                        let value = parse(&self.partial);
                        self.partial.clear();
                        return value.map(Some);
                    }
                }
                Step::Skip => {}
                Step::End => {
                    self.body.finish();
                    return Ok(None);
                }
                _ => {
                    let e = Error::Unexpected("a JSON stream delivered otherwise".into());
                    return Err(self.body.fail(e));
                }
            }
        }
    }
}

fn parse(raw: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(raw).map_err(|e| Error::json("parsing a message of the stream", e))
}

/// The in-band error text of a stream message, if it is one.
pub(crate) fn inband_error(v: &serde_json::Value) -> Option<String> {
    let detail = v
        .get("errorDetail")
        .and_then(|d| d.get("message"))
        .and_then(|m| m.as_str());
    let error = v.get("error").filter(|e| !e.is_null());
    match (detail, error) {
        (Some(m), _) => Some(m.to_owned()),
        (None, Some(serde_json::Value::String(s))) => Some(s.clone()),
        (None, Some(other)) => Some(other.to_string()),
        (None, None) => None,
    }
}

impl Iterator for JsonMessages {
    type Item = Result<serde_json::Value>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.next_value() {
            Ok(None) => {
                self.done = true;
                return None;
            }
            Ok(Some(v)) => match inband_error(&v) {
                Some(message) => Err(Error::stream(message).in_operation(&self.body.operation())),
                None => Ok(v),
            },
            Err(e) => Err(e),
        };
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inband_errors() {
        let build = json!({
            "errorDetail": {"code": 3, "message": "The command '/bin/sh -c exit 3' returned a non-zero code: 3"},
            "error": "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
        });
        assert_eq!(
            inband_error(&build).as_deref(),
            Some("The command '/bin/sh -c exit 3' returned a non-zero code: 3")
        );
        assert_eq!(
            inband_error(&json!({"error": "pull failed"})).as_deref(),
            Some("pull failed")
        );
        assert_eq!(inband_error(&json!({"stream": "Step 1/2"})), None);
        assert_eq!(inband_error(&json!({"status": "x", "error": null})), None);
    }
}
