//! # docksock-api
//!
//! The Docker Engine API's operations as data. Each operation is defined once, as an
//! [`Operation`] (method, path template, what the request sends, what the response is, the
//! statuses that mean success, default timeouts), and each has one function that turns typed
//! options into a [`Call`]: the request as data, with its path parameters validated by the core
//! and its query built from the options. Any adapter runs a `Call`: the blocking client
//! (`docksock::Client::run`), the mio driver (`docksock_mio::Request::from_call`), or a loop of
//! your own around `docksock-proto` through [`Call::with_spec`].
//!
//! `no_std` with `alloc`; no I/O, no clock, no dependency but the core.
//!
//! ```
//! use docksock_api::{containers, ListContainersOptions, Filters};
//! use docksock_proto::version::ApiVersion;
//!
//! let opts = ListContainersOptions {
//!     all: true,
//!     filters: Some(Filters::new().with("status", "exited")),
//!     ..Default::default()
//! };
//! let call = containers::list(&opts);
//! assert_eq!(call.operation().id, "ContainerList");
//! let mut wire = Vec::new();
//! call.with_spec(Some(ApiVersion::new(1, 41)), |spec| spec.encode_vec(&mut wire))?;
//! assert!(wire.starts_with(
//!     b"GET /v1.41/containers/json?all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D HTTP/1.1\r\n"
//! ));
//! # Ok::<(), docksock_proto::Error>(())
//! ```
//!
//! ## Operations
//!
//! | operation id | method and path | call |
//! |---|---|---|
//! | `SystemPing` | `GET /_ping` | [`system::ping`] |
//! | `SystemPingHead` | `HEAD /_ping` | [`system::ping_head`] |
//! | `SystemVersion` | `GET /version` | [`system::version`] |
//! | `SystemInfo` | `GET /info` | [`system::info`] |
//! | `SystemEvents` | `GET /events` | [`system::events`] |
//! | `ImageList` | `GET /images/json` | [`images::list`] |
//! | `ImageInspect` | `GET /images/{name}/json` | [`images::inspect`] |
//! | `ImageDelete` | `DELETE /images/{name}` | [`images::remove`] |
//! | `ImageTag` | `POST /images/{name}/tag` | [`images::tag`] |
//! | `ImageCreate` | `POST /images/create` | [`images::import`] |
//! | `ImageBuild` | `POST /build` | [`images::build`] |
//! | `ImageGet` | `GET /images/{name}/get` | [`images::export`] |
//! | `ContainerList` | `GET /containers/json` | [`containers::list`] |
//! | `ContainerCreate` | `POST /containers/create` | [`containers::create`] |
//! | `ContainerInspect` | `GET /containers/{id}/json` | [`containers::inspect`] |
//! | `ContainerStart` | `POST /containers/{id}/start` | [`containers::start`] |
//! | `ContainerStop` | `POST /containers/{id}/stop` | [`containers::stop`] |
//! | `ContainerRestart` | `POST /containers/{id}/restart` | [`containers::restart`] |
//! | `ContainerKill` | `POST /containers/{id}/kill` | [`containers::kill`] |
//! | `ContainerWait` | `POST /containers/{id}/wait` | [`containers::wait`] |
//! | `ContainerLogs` | `GET /containers/{id}/logs` | [`containers::logs`] |
//! | `ContainerAttach` | `POST /containers/{id}/attach` | [`containers::attach`] |
//! | `ContainerDelete` | `DELETE /containers/{id}` | [`containers::remove`] |
//! | `ContainerTop` | `GET /containers/{id}/top` | [`containers::top`] |
//! | `ContainerStats` | `GET /containers/{id}/stats` | [`containers::stats`] |
//! | `ContainerExec` | `POST /containers/{id}/exec` | [`exec::create`] |
//! | `ExecStart` | `POST /exec/{id}/start` | [`exec::start`] |
//! | `ExecInspect` | `GET /exec/{id}/json` | [`exec::inspect`] |
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod call;
pub mod containers;
pub mod exec;
mod filters;
pub mod images;
mod operation;
pub mod system;

pub use call::{Call, CallBody};
pub use containers::{
    AttachOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions, WaitOptions,
};
pub use filters::{json_string, Filters};
pub use images::{BuildOptions, ListImagesOptions, RemoveImageOptions};
pub use operation::{Operation, RequestBody, ResponseKind, CUSTOM};
pub use system::EventsOptions;

/// The core this crate builds on.
pub use docksock_proto as proto;

/// Every operation defined here, in the order of the table in the crate docs.
pub const ALL: &[&Operation] = &[
    &system::PING,
    &system::PING_HEAD,
    &system::VERSION,
    &system::INFO,
    &system::EVENTS,
    &images::LIST,
    &images::INSPECT,
    &images::DELETE,
    &images::TAG,
    &images::CREATE,
    &images::BUILD,
    &images::GET,
    &containers::LIST,
    &containers::CREATE,
    &containers::INSPECT,
    &containers::START,
    &containers::STOP,
    &containers::RESTART,
    &containers::KILL,
    &containers::WAIT,
    &containers::LOGS,
    &containers::ATTACH,
    &containers::DELETE,
    &containers::TOP,
    &containers::STATS,
    &exec::CREATE,
    &exec::START,
    &exec::INSPECT,
];

/// `"1"` or `"0"`, as the daemon reads boolean query values.
pub(crate) const fn bool_str(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}
