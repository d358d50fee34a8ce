//! System: ping, version, info, events, registry login (`auth`), disk usage (`df`) — and version
//! negotiation from a ping's answer.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use docksock_proto::timeout::Timeout;
use docksock_proto::version::{self, ApiVersion};

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `GET /_ping`.
pub static PING: Operation = Operation::new(
    "SystemPing",
    "GET",
    "/_ping",
    RequestBody::None,
    ResponseKind::Text,
);
/// `HEAD /_ping` (what version negotiation sends first).
pub static PING_HEAD: Operation = Operation::new(
    "SystemPingHead",
    "HEAD",
    "/_ping",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `GET /version`.
pub static VERSION: Operation = Operation::new(
    "SystemVersion",
    "GET",
    "/version",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /info`.
pub static INFO: Operation = Operation::new(
    "SystemInfo",
    "GET",
    "/info",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /events`: a JSON message stream, open until `until` (no idle limit: events may be
/// rare).
pub static EVENTS: Operation = Operation::new(
    "SystemEvents",
    "GET",
    "/events",
    RequestBody::None,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `POST /auth`: checks credentials against a registry (`200` with an identity token, or
/// `204`).
pub static AUTH: Operation = Operation::new(
    "SystemAuth",
    "POST",
    "/auth",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `GET /system/df`: disk usage of images, containers, volumes and the build cache.
pub static DATA_USAGE: Operation = Operation::new(
    "SystemDataUsage",
    "GET",
    "/system/df",
    RequestBody::None,
    ResponseKind::Json,
);

/// `GET /_ping`.
pub fn ping() -> Call<'static> {
    Call::new(&PING)
}

/// `HEAD /_ping`.
pub fn ping_head() -> Call<'static> {
    Call::new(&PING_HEAD)
}

/// `GET /version`.
pub fn version() -> Call<'static> {
    Call::new(&VERSION)
}

/// `GET /info`.
pub fn info() -> Call<'static> {
    Call::new(&INFO)
}

/// Options of [`events`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsOptions {
    /// Events since this time (Unix seconds or RFC 3339).
    pub since: Option<String>,
    /// Events until this time; the stream ends then. Without it the stream stays open.
    pub until: Option<String>,
    /// Filters, for example `container=web`, `type=container`.
    pub filters: Option<Filters>,
}

/// `GET /events?since=&until=&filters=`.
pub fn events(opts: &EventsOptions) -> Call<'_> {
    Call::new(&EVENTS)
        .opt("since", opts.since.as_deref())
        .opt("until", opts.until.as_deref())
        .opt("filters", opts.filters.as_ref().map(Filters::to_json))
}

/// `POST /auth`: `config` is the auth configuration as JSON (`username`, `password`,
/// `serveraddress`, or `identitytoken`).
pub fn auth<'a>(config: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&AUTH).json(config)
}

/// Options of [`df`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataUsageOptions {
    /// `type`: only these object types (`container`, `image`, `volume`, `build-cache`), each
    /// sent as its own `type=` pair. Empty: all of them.
    pub types: Vec<String>,
}

/// `GET /system/df?type=` (`docker system df`). Computing sizes can take a while on a large
/// host.
pub fn df(opts: &DataUsageOptions) -> Call<'_> {
    crate::repeated(Call::new(&DATA_USAGE), "type", &opts.types)
}

/// Why negotiation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The daemon's `Api-Version` header is not `MAJOR.MINOR`.
    InvalidHeader,
    /// The daemon's newest version is older than [`version::MIN_SUPPORTED`].
    Unsupported(ApiVersion),
}

/// The API version to speak, from the `Api-Version` header of the daemon's answer to a ping
/// (`None` when it sent none: moby's client then assumes 1.24), capped to
/// [`version::MIN_SUPPORTED`]`..=`[`version::MAX_SUPPORTED`].
///
/// ```
/// use docksock_api::system::{negotiate, NegotiationError};
/// use docksock_proto::version::{ApiVersion, MAX_SUPPORTED};
///
/// assert_eq!(negotiate(Some(b"1.41")), Ok(ApiVersion::new(1, 41)));
/// assert_eq!(negotiate(Some(b"9.99")), Ok(MAX_SUPPORTED));
/// assert_eq!(negotiate(None), Ok(ApiVersion::new(1, 24)));
/// assert_eq!(negotiate(Some(b"1.12")), Err(NegotiationError::Unsupported(ApiVersion::new(1, 12))));
/// assert_eq!(negotiate(Some(b"x")), Err(NegotiationError::InvalidHeader));
/// ```
pub fn negotiate(api_version_header: Option<&[u8]>) -> Result<ApiVersion, NegotiationError> {
    let daemon = match api_version_header {
        Some(h) => ApiVersion::parse(h).map_err(|_| NegotiationError::InvalidHeader)?,
        None => ApiVersion::new(1, 24),
    };
    version::negotiate(daemon, None, version::MIN_SUPPORTED, version::MAX_SUPPORTED)
        .map_err(|_| NegotiationError::Unsupported(daemon))
}
