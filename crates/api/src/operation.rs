//! [`Operation`]: one endpoint of the Engine API, as data.

use docksock_proto::timeout::Timeout;

/// What a request of an operation sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestBody {
    /// Nothing.
    None,
    /// A JSON document (`Content-Type: application/json`).
    Json,
    /// A tar stream, sent chunked as it is read (`Content-Type: application/x-tar`).
    Tar,
    /// Anything the caller gives (a custom call).
    Any,
}

/// What the response of an operation carries on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseKind {
    /// No body worth reading (204, or a body the client discards).
    Empty,
    /// Plain text (`GET /_ping`: `OK`).
    Text,
    /// One JSON document.
    Json,
    /// A stream of JSON messages (events, stats, build and pull progress).
    JsonStream,
    /// Container output in Docker's stdcopy framing, or raw for a TTY container.
    Stdcopy,
    /// Raw bytes read as a stream (a tar of an image or of a path).
    Bytes,
    /// A hijacked duplex stream: the request asks for `Upgrade: tcp`, and after the `101` (or a
    /// close-delimited `200`) the connection is the container's stdio.
    Hijack,
    /// A WebSocket upgrade (`GET /containers/{id}/attach/ws`): the adapter draws a random
    /// 16-byte key for each call ([`Call::websocket_key`](crate::Call::websocket_key)), the
    /// request carries the opening handshake, and after a checked `101` the connection
    /// carries WebSocket frames (see `docksock_proto::websocket`).
    WebSocket,
    /// Whatever the daemon sends (a custom call).
    Any,
}

/// One operation of the Docker Engine API, defined once.
///
/// ```
/// use docksock_api::containers;
///
/// let op = &containers::START;
/// assert_eq!((op.method, op.path), ("POST", "/containers/{id}/start"));
/// assert!(op.is_success(204) && op.is_success(304) && !op.is_success(404));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The operation id of the API description (`ContainerList`).
    pub id: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template, `{name}` for path parameters, without the `/vX.Y` prefix.
    pub path: &'static str,
    /// What the request sends.
    pub request: RequestBody,
    /// What a successful response carries.
    pub response: ResponseKind,
    /// Statuses outside 2xx that also mean success (`304` for starting a started container or
    /// stopping a stopped one: in API v1.51 the only operations with such a status).
    pub also_success: &'static [u16],
    /// The response-head timeout of this operation (`Default`: the client's).
    pub head_timeout: Timeout,
    /// The idle timeout of this operation's body or stream (`Off` for waits and follow
    /// streams, which may be quiet for as long as they like).
    pub idle_timeout: Timeout,
}

impl Operation {
    /// An operation with the common settings (any 2xx is success, the client's timeouts).
    pub(crate) const fn new(
        id: &'static str,
        method: &'static str,
        path: &'static str,
        request: RequestBody,
        response: ResponseKind,
    ) -> Operation {
        Operation {
            id,
            method,
            path,
            request,
            response,
            also_success: &[],
            head_timeout: Timeout::Default,
            idle_timeout: Timeout::Default,
        }
    }

    pub(crate) const fn also_success(self, statuses: &'static [u16]) -> Operation {
        Operation {
            also_success: statuses,
            ..self
        }
    }

    pub(crate) const fn idle(self, t: Timeout) -> Operation {
        Operation {
            idle_timeout: t,
            ..self
        }
    }

    /// True when `status` means the operation succeeded: any 2xx, or one of
    /// the statuses in the `also_success` field.
    pub fn is_success(&self, status: u16) -> bool {
        (200..300).contains(&status) || self.also_success.contains(&status)
    }

    /// True when the request asks for a protocol upgrade to a hijacked stream
    /// (`Upgrade: tcp`).
    pub const fn is_upgrade(&self) -> bool {
        matches!(self.response, ResponseKind::Hijack)
    }

    /// True when the request is a WebSocket opening handshake.
    pub const fn is_websocket(&self) -> bool {
        matches!(self.response, ResponseKind::WebSocket)
    }
}

/// The operation of a custom call ([`Call::custom`](crate::Call::custom)): method and path
/// come from the call; any body, any response, any 2xx is success.
pub static CUSTOM: Operation =
    Operation::new("Custom", "", "", RequestBody::Any, ResponseKind::Any);
