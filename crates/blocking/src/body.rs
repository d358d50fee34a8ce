//! Request bodies.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;

/// The body of a request: nothing, bytes, JSON, or any [`Read`] streamed in constant memory.
///
/// * [`Body::empty`] — no body (`Content-Length: 0` for `POST`).
/// * [`Body::bytes`] — a `Content-Length` body.
/// * [`Body::json`] — a `Content-Length` body with `Content-Type: application/json` (unless the
///   request sets its own `Content-Type`).
/// * [`Body::reader`] — `Transfer-Encoding: chunked`, read and sent 64 KiB at a time: an image
///   import or a build context of gigabytes is never held in memory.
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
}

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
