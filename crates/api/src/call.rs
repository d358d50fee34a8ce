//! [`Call`]: one request of an operation, as data.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use docksock_proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_proto::stdcopy::Mode;
use docksock_proto::timeout::Timeout;
use docksock_proto::version::ApiVersion;

use crate::operation::{Operation, RequestBody, CUSTOM};

/// The body of a [`Call`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CallBody<'a> {
    /// No body.
    #[default]
    None,
    /// These bytes, sent with `Content-Length`.
    Bytes {
        /// The body.
        data: Cow<'a, [u8]>,
        /// Its `Content-Type` (`application/json`, …).
        content_type: &'static str,
    },
    /// A body the adapter streams chunked from a source the caller hands it (a tar for an
    /// import or a build), with this `Content-Type`.
    Stream {
        /// Its `Content-Type` (`application/x-tar`).
        content_type: &'static str,
    },
}

impl CallBody<'_> {
    /// The `Content-Type` this body is sent with, if any.
    pub const fn content_type(&self) -> Option<&'static str> {
        match self {
            CallBody::None => None,
            CallBody::Bytes { content_type, .. } | CallBody::Stream { content_type } => {
                if content_type.is_empty() {
                    None
                } else {
                    Some(content_type)
                }
            }
        }
    }

    /// How the body is framed on the wire.
    pub fn framing(&self) -> BodyFraming {
        match self {
            CallBody::None => BodyFraming::None,
            CallBody::Bytes { data, .. } => BodyFraming::Length(data.len() as u64),
            CallBody::Stream { .. } => BodyFraming::Chunked,
        }
    }
}

/// Most query pairs or headers turned into a [`RequestSpec`] without allocating.
const INLINE: usize = 16;

/// One request of an [`Operation`], as data: path parameters (validated by the core when the
/// request is encoded), query pairs built from typed options, extra headers, the body, and
/// timeouts that override the operation's defaults.
///
/// Made by the call functions of the resource modules ([`containers`](crate::containers),
/// [`images`](crate::images), [`networks`](crate::networks)…: one for every operation, see
/// the table in the crate docs), or by [`Call::custom`] for an endpoint of your own choosing;
/// run by an adapter. A call function sends what its options hold; a query parameter or header
/// it has no option for is one [`query`](Self::query) or [`header`](Self::header) away.
///
/// ```
/// use docksock_api::{Call, CallBody};
///
/// let call = Call::custom("GET", "/containers/{id}/json")
///     .param("id", docksock_proto::encode::PathParam::Plain("web"))
///     .query("size", "1");
/// let mut wire = Vec::new();
/// call.with_spec(None, |spec| spec.encode_vec(&mut wire))?;
/// assert!(wire.starts_with(b"GET /containers/web/json?size=1 HTTP/1.1\r\n"));
/// assert_eq!(call.body_ref(), &CallBody::None);
/// # Ok::<(), docksock_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call<'a> {
    op: &'static Operation,
    method: &'a str,
    path: &'a str,
    param: Option<(&'a str, PathParam<'a>)>,
    params: &'a [(&'a str, PathParam<'a>)],
    query: Vec<(&'a str, Cow<'a, str>)>,
    headers: Vec<(&'a str, Cow<'a, str>)>,
    body: CallBody<'a>,
    head_timeout: Timeout,
    idle_timeout: Timeout,
    mode: Option<Mode>,
    websocket_key: Option<[u8; 16]>,
}

impl<'a> Call<'a> {
    /// A call of `op` with no parameter, query, header or body yet.
    pub const fn new(op: &'static Operation) -> Call<'a> {
        Call {
            op,
            method: op.method,
            path: op.path,
            param: None,
            params: &[],
            query: Vec::new(),
            headers: Vec::new(),
            body: CallBody::None,
            head_timeout: Timeout::Default,
            idle_timeout: Timeout::Default,
            mode: None,
            websocket_key: None,
        }
    }

    /// A call of any endpoint: `method` and a path template with `{name}` placeholders (see
    /// [`RequestSpec`]). Its operation is [`CUSTOM`]: any body, any response.
    pub const fn custom(method: &'a str, path: &'a str) -> Call<'a> {
        let mut call = Call::new(&CUSTOM);
        call.method = method;
        call.path = path;
        call
    }

    /// Sets the path parameter `name` (each operation of the API has at most one).
    #[must_use]
    pub fn param(mut self, name: &'a str, value: PathParam<'a>) -> Self {
        self.param = Some((name, value));
        self.params = &[];
        self
    }

    /// Sets every path parameter at once (for a custom path with several placeholders).
    #[must_use]
    pub fn params(mut self, params: &'a [(&'a str, PathParam<'a>)]) -> Self {
        self.params = params;
        self.param = None;
        self
    }

    /// Adds the query pair `key=value` (percent-encoded when the request is encoded).
    #[must_use]
    pub fn query(mut self, key: &'a str, value: impl Into<Cow<'a, str>>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Adds `key=1` when `flag` is set.
    #[must_use]
    pub fn flag(self, key: &'a str, flag: bool) -> Self {
        if flag {
            self.query(key, "1")
        } else {
            self
        }
    }

    /// Adds `key=value` when there is a value.
    #[must_use]
    pub fn opt(self, key: &'a str, value: Option<impl Into<Cow<'a, str>>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds a request header (validated when the request is encoded).
    #[must_use]
    pub fn header(mut self, name: &'a str, value: impl Into<Cow<'a, str>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: CallBody<'a>) -> Self {
        self.body = body;
        self
    }

    /// Sets a JSON body (bytes of a JSON document).
    #[must_use]
    pub fn json(self, json: impl Into<Cow<'a, [u8]>>) -> Self {
        self.body(CallBody::Bytes {
            data: json.into(),
            content_type: "application/json",
        })
    }

    /// Overrides the operation's response-head timeout.
    #[must_use]
    pub const fn head_timeout(mut self, timeout: Timeout) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// Overrides the operation's idle timeout.
    #[must_use]
    pub const fn idle_timeout(mut self, timeout: Timeout) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets how the output stream is framed (stdcopy operations): known from the container's
    /// or exec's TTY setting. Unset, the adapter decides.
    #[must_use]
    pub const fn mode(mut self, mode: Option<Mode>) -> Self {
        self.mode = mode;
        self
    }

    /// Makes the request a WebSocket opening handshake with `key`, 16 bytes the adapter draws
    /// at random for each request (RFC 6455 §4.1). The call of a
    /// [`ResponseKind::WebSocket`](crate::ResponseKind::WebSocket) operation needs it: without
    /// a key it is encoded as a plain request, which the daemon refuses.
    #[must_use]
    pub const fn websocket_key(mut self, key: [u8; 16]) -> Self {
        self.websocket_key = Some(key);
        self
    }

    /// The WebSocket key set with [`websocket_key`](Self::websocket_key), if any.
    pub const fn websocket_key_setting(&self) -> Option<[u8; 16]> {
        self.websocket_key
    }

    /// The operation.
    pub const fn operation(&self) -> &'static Operation {
        self.op
    }

    /// The method.
    pub const fn method(&self) -> &'a str {
        self.method
    }

    /// The path template.
    pub const fn path(&self) -> &'a str {
        self.path
    }

    /// The path parameters.
    pub fn path_params(&self) -> &[(&'a str, PathParam<'a>)] {
        match &self.param {
            Some(_) => self.param.as_slice(),
            None => self.params,
        }
    }

    /// The query pairs, in order.
    pub fn query_pairs(&self) -> &[(&'a str, Cow<'a, str>)] {
        &self.query
    }

    /// The extra headers, in order (`Content-Type` of the body not included).
    pub fn headers(&self) -> &[(&'a str, Cow<'a, str>)] {
        &self.headers
    }

    /// The body.
    pub const fn body_ref(&self) -> &CallBody<'a> {
        &self.body
    }

    /// The response-head timeout in force: the call's, else the operation's.
    pub const fn head_timeout_setting(&self) -> Timeout {
        self.head_timeout.or(self.op.head_timeout)
    }

    /// The idle timeout in force: the call's, else the operation's.
    pub const fn idle_timeout_setting(&self) -> Timeout {
        self.idle_timeout.or(self.op.idle_timeout)
    }

    /// The stdcopy framing, when known.
    pub const fn stream_mode(&self) -> Option<Mode> {
        self.mode
    }

    /// True when the request asks for a hijacked stream (`Upgrade: tcp`).
    pub const fn is_upgrade(&self) -> bool {
        self.op.is_upgrade()
    }

    /// True when the body is streamed from a source the adapter is handed.
    pub const fn is_streamed(&self) -> bool {
        matches!(self.body, CallBody::Stream { .. })
    }

    /// What the operation expects to send (for adapters that check a streamed source is
    /// given when, and only when, one is expected).
    pub const fn request_kind(&self) -> RequestBody {
        self.op.request
    }

    /// Builds the core's [`RequestSpec`] for this call (with the `/vX.Y` prefix of `version`,
    /// the body's framing and `Content-Type`, `Upgrade: tcp` for a hijack, and the WebSocket
    /// handshake when a [`websocket_key`](Self::websocket_key) is set) and hands it
    /// to `f`. Up to 16 query pairs and headers need no allocation.
    pub fn with_spec<R>(
        &self,
        version: Option<ApiVersion>,
        f: impl FnOnce(RequestSpec<'_>) -> R,
    ) -> R {
        let content_type = self.body.content_type().filter(|_| {
            !self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        });
        let mut few_headers = [("", ""); INLINE];
        let many_headers: Vec<(&str, &str)>;
        let nheaders = self.headers.len() + usize::from(content_type.is_some());
        let all_headers = self
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_ref()))
            .chain(content_type.map(|ct| ("Content-Type", ct)));
        let headers: &[(&str, &str)] = if nheaders <= INLINE {
            for (slot, pair) in few_headers.iter_mut().zip(all_headers) {
                *slot = pair;
            }
            few_headers.get(..nheaders).unwrap_or(&[])
        } else {
            many_headers = all_headers.collect();
            &many_headers
        };
        let mut few_query = [("", ""); INLINE];
        let many_query: Vec<(&str, &str)>;
        let query: &[(&str, &str)] = if self.query.len() <= INLINE {
            for (slot, (k, v)) in few_query.iter_mut().zip(&self.query) {
                *slot = (k, v.as_ref());
            }
            few_query.get(..self.query.len()).unwrap_or(&[])
        } else {
            many_query = self.query.iter().map(|(k, v)| (*k, v.as_ref())).collect();
            &many_query
        };
        let spec = RequestSpec::new(self.method, self.path)
            .params(self.path_params())
            .query(query)
            .headers(headers)
            .api_version(version)
            .body(self.body.framing())
            .upgrade(self.is_upgrade())
            .websocket(self.websocket_key);
        f(spec)
    }
}
