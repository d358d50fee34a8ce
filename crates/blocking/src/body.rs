//! Request bodies.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read, Write};

/// The body of a request: nothing, bytes, JSON, or any [`Read`] streamed in constant memory.
///
/// * [`Body::empty`] — no body (`Content-Length: 0` for `POST`).
/// * [`Body::bytes`] — a `Content-Length` body.
/// * [`Body::json`] — a `Content-Length` body with `Content-Type: application/json` (unless the
///   request sets its own `Content-Type`).
/// * [`Body::reader`] — `Transfer-Encoding: chunked`, read and sent 64 KiB at a time: an image
///   import or a build context of gigabytes is never held in memory.
/// * [`Body::writer`] — `Transfer-Encoding: chunked` too, for a producer that writes (a tar
///   builder): what it writes is sent in 64 KiB chunks as it writes, on the caller's thread.
///
/// ```
/// use docksock::Body;
/// use serde_json::json;
///
/// let config = json!({"Image": "busybox", "Cmd": ["true"]});
/// let json = Body::json(&config);
/// let bytes = Body::bytes(&b"raw"[..]);
/// let mut tar = std::io::empty();
/// let streamed = Body::reader(&mut tar);
/// # let _ = (json, bytes, streamed);
/// ```
pub struct Body<'a> {
    pub(crate) repr: Repr<'a>,
}

pub(crate) enum Repr<'a> {
    Empty,
    Bytes {
        data: Cow<'a, [u8]>,
        content_type: Option<&'static str>,
    },
    Reader(Box<dyn Read + 'a>),
    /// Taken (`None`) when the upload calls it.
    Writer(Option<WriteFn<'a>>),
}

/// A body producer: called once with the request's body as a writer.
pub(crate) type WriteFn<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + 'a>;

impl<'a> Body<'a> {
    /// No body.
    pub fn empty() -> Body<'static> {
        Body { repr: Repr::Empty }
    }

    /// These bytes, sent with `Content-Length`.
    pub fn bytes(data: impl Into<Cow<'a, [u8]>>) -> Body<'a> {
        Body {
            repr: Repr::Bytes {
                data: data.into(),
                content_type: None,
            },
        }
    }

    /// A JSON document, serialized now and sent with `Content-Type: application/json`.
    pub fn json(value: &serde_json::Value) -> Body<'static> {
        Body {
            repr: Repr::Bytes {
                data: Cow::Owned(value.to_string().into_bytes()),
                content_type: Some("application/json"),
            },
        }
    }

    /// Everything `reader` yields until EOF, streamed with `Transfer-Encoding: chunked` in
    /// 64 KiB pieces. A read error aborts the request. Pass `&mut reader` to keep it.
    pub fn reader(reader: impl Read + 'a) -> Body<'a> {
        Body {
            repr: Repr::Reader(Box::new(reader)),
        }
    }

    /// What `produce` writes to the writer it is given, streamed with `Transfer-Encoding:
    /// chunked` as it writes: bytes are gathered into 64 KiB chunks and each is sent as soon as
    /// it is full, so the whole body is never held in memory, and no thread or pipe is needed.
    /// `produce` runs on the calling thread, once the request head is written.
    ///
    /// A write fails (and `produce` should return that error) when the daemon answers early —
    /// it refused the request before reading the whole body; the call then returns the
    /// daemon's answer — or when the connection fails. An error `produce` returns aborts the
    /// request: the body is not ended, so the daemon never takes a truncated body for a whole
    /// one.
    ///
    /// ```
    /// use std::io::Write;
    /// use docksock::Body;
    ///
    /// let body = Body::writer(|out| {
    ///     for i in 0..3 {
    ///         writeln!(out, "line {i}")?;
    ///     }
    ///     Ok(())
    /// });
    /// # let _ = body;
    /// ```
    pub fn writer(produce: impl FnOnce(&mut dyn Write) -> io::Result<()> + 'a) -> Body<'a> {
        Body {
            repr: Repr::Writer(Some(Box::new(produce))),
        }
    }

    /// The `Content-Type` this body implies, if any.
    pub(crate) fn content_type(&self) -> Option<&'static str> {
        match &self.repr {
            Repr::Bytes { content_type, .. } => *content_type,
            _ => None,
        }
    }
}

impl Default for Body<'_> {
    fn default() -> Self {
        Body { repr: Repr::Empty }
    }
}

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Empty => f.write_str("Body::Empty"),
            Repr::Bytes { data, content_type } => f
                .debug_struct("Body::Bytes")
                .field("len", &data.len())
                .field("content_type", content_type)
                .finish(),
            Repr::Reader(_) => f.write_str("Body::Reader"),
            Repr::Writer(_) => f.write_str("Body::Writer"),
        }
    }
}

impl<'a> From<&'a [u8]> for Body<'a> {
    fn from(data: &'a [u8]) -> Self {
        Body::bytes(data)
    }
}

impl From<Vec<u8>> for Body<'static> {
    fn from(data: Vec<u8>) -> Self {
        Body::bytes(data)
    }
}

impl<'a> From<&'a str> for Body<'a> {
    fn from(data: &'a str) -> Self {
        Body::bytes(data.as_bytes())
    }
}

impl From<&serde_json::Value> for Body<'static> {
    fn from(value: &serde_json::Value) -> Self {
        Body::json(value)
    }
}
