//! # docksock
//!
//! A blocking Docker Engine API client that speaks raw HTTP/1.1 to the daemon over its Unix
//! socket, `tcp://` (plain, or TLS with the `tls` feature) or `ssh://` (the system `ssh` running
//! `docker system dial-stdio`), chosen like the `docker` CLI chooses (see [`Endpoint`] and
//! [`resolve_endpoint`]). All of the protocol lives in the sans-IO core, [`docksock_proto`]; this crate is the
//! thin I/O loop around its [`Exchange`](docksock_proto::exchange::Exchange): read from the
//! socket, let the exchange decide, act, write.
//!
//! ```no_run
//! use docksock::{Client, ListContainersOptions, LogsOptions, RemoveContainerOptions, WaitOptions};
//! use serde_json::json;
//!
//! let docker = Client::from_env()?; // DOCKER_HOST=unix:///var/run/docker.sock
//! let created = docker.create_container(
//!     Some("hello"),
//!     &json!({"Image": "busybox", "Cmd": ["sh", "-c", "echo hi; echo oops >&2"]}),
//! )?;
//! docker.start_container(&created.id)?;
//! let code = docker.wait_container(&created.id, &WaitOptions::default())?;
//! let out = docker.container_logs(&created.id, &LogsOptions::default())?.collect_output()?;
//! assert_eq!((code, &out.stdout[..], &out.stderr[..]), (0, &b"hi\n"[..], &b"oops\n"[..]));
//! docker.remove_container(&created.id, &RemoveContainerOptions::default())?;
//! # Ok::<(), docksock::Error>(())
//! ```
//!
//! ## What it does for you
//!
//! * **Configuration** like the `docker` CLI: [`Client::from_env`] reads `DOCKER_HOST`
//!   (`unix:///path` or a bare path; other schemes are a clear [`Error::Config`]) and
//!   `DOCKER_API_VERSION`.
//! * **Version negotiation** on first use: `HEAD /_ping` (falling back to `GET`), the daemon's
//!   `Api-Version` capped to the supported range, then `/vX.Y` on every path.
//! * **Connection reuse**: a few idle keep-alive connections, reused only when the connection's
//!   exchange (the core's [`Exchange`](docksock_proto::exchange::Exchange), which owns every
//!   rule of a connection) says the response left it clean. A request on a pooled connection
//!   that the daemon had closed (no response byte at all) is retried once on a fresh
//!   connection; never otherwise.
//! * **Timeouts** ([`TimeoutKind`], the core's vocabulary): connect, response head (a deadline
//!   for the whole head), idle (the longest silence while waiting for a body or stream byte;
//!   off for operations that wait or follow, unless set), and write (the daemon taking no
//!   request byte). Each is an absolute deadline: interrupted calls and partial reads or writes
//!   never extend it. Defaults, the core's
//!   [`Timeouts::DEFAULT`](docksock_proto::timeout::Timeouts::DEFAULT):
//!   [`DEFAULT_CONNECT_TIMEOUT`] 5 s, [`DEFAULT_HEAD_TIMEOUT`] 60 s, [`DEFAULT_IDLE_TIMEOUT`]
//!   60 s, [`DEFAULT_WRITE_TIMEOUT`] 60 s.
//! * **Request bodies** ([`Body`]): bytes, JSON, or any `Read` streamed chunked in constant
//!   memory (a 1 GiB image import uses one 64 KiB buffer), stopping early if the daemon answers
//!   before the upload is done.
//! * **Responses** ([`Response`]): status, headers, a streaming body; [`Response::json`],
//!   [`Response::text`], [`Response::bytes`]; [`JsonMessages`] for events, stats and
//!   progress, with in-band errors as [`Error::Stream`]; daemon errors as [`Error::Api`].
//! * **Hijacked streams** ([`Hijacked`]) for attach and exec: waits for the `101` before any
//!   stdin, keeps bytes read past the head, half-closes stdin, demultiplexes with [`Demux`].
//! * **WebSocket attach** ([`WebSocket`], [`Client::attach_container_websocket`]): the RFC 6455
//!   handshake with a checked `Sec-WebSocket-Accept`, the output read frame by frame, stdin
//!   written as masked frames, pings answered, a close frame to end stdin.
//!
//! ## Timeouts
//!
//! One model, the same in every docksock adapter (the core's
//! [`Timeouts`](docksock_proto::timeout::Timeouts)): each timeout is an `Option<Duration>`,
//! `None` meaning no limit, set on the [`ClientBuilder`] (`connect_timeout`, `head_timeout`,
//! `idle_timeout`, `write_timeout`, each taking a `Duration` or `None`) and, for the idle
//! timeout, on any stream with `set_idle_timeout`. The exchange turns each into one absolute
//! deadline when its phase begins; signals (`EINTR`), partial reads and partial writes never
//! extend it, and only progress of the kind it measures moves it. Operations that wait or
//! follow (container wait, follow logs, events, stats streams, attach, exec) have no idle
//! limit unless the caller sets one; a wait given [`WaitOptions::timeout`] fails with
//! [`TimeoutKind::Wait`].
//!
//! Rust programs ignore `SIGPIPE`, so a write to a connection the daemon closed is an error
//! (`EPIPE`), not a signal. A host program written in another language must do the same.
//!
#![doc = include_str!("operations.md")]
#![forbid(unsafe_code)]

#[cfg(feature = "archive")]
pub mod archive;
mod base64;
mod body;
mod calls;
mod calls_containers;
mod calls_images;
mod calls_networks;
mod calls_swarm;
mod calls_system;
mod client;
mod config;
mod conn;
mod credentials;
mod demux;
mod duplex;
mod endpoint;
mod error;
mod exchange;
mod headers;
mod hijack;
mod path_stat;
mod pool;
mod progress;
mod reference;
mod registry;
mod response;
mod typed;
mod websocket;

pub use body::Body;
pub use calls::{ContainerCreated, Ping};
pub use client::Client;
pub use config::{
    socket_candidates, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEAD_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_POOL_SIZE, DEFAULT_SOCKET,
    DEFAULT_WRITE_TIMEOUT,
};
pub use credentials::{
    registry_config_value, registry_hostname, registry_key, registry_of_image, DockerConfig,
    RegistryAuth, DOCKER_HUB, HELPER_PREFIX, MAX_CONFIG_FILE, MAX_HELPER_OUTPUT, TOKEN_USERNAME,
};
pub use demux::{Chunk, Demux, Output, MAX_SYSTEM_ERROR};
pub use docksock_api::{
    AttachOptions, BuildOptions, Call, EventsOptions, Filters, ListContainersOptions,
    ListImagesOptions, LogsOptions, RemoveContainerOptions, RemoveImageOptions, WaitOptions,
};
pub use docksock_api::{
    BuildPruneOptions, CommitOptions, DataUsageOptions, InspectNetworkOptions, ListServicesOptions,
    LoadOptions, PluginPullOptions, PullOptions, PushOptions, PutArchiveOptions, SaveImagesOptions,
    SearchOptions, ServiceLogsOptions, UpdateServiceOptions, UpdateSwarmOptions,
};
pub use duplex::{HijackedReader, HijackedWriter};
pub use endpoint::{
    resolve_endpoint, ContextInfo, Endpoint, Environment, Resolved, SshEndpoint, TcpEndpoint,
    TlsFiles, DEFAULT_CONTEXT, DEFAULT_TCP_PORT, DEFAULT_TLS_PORT,
};
pub use error::{Error, Result, TimeoutKind};
pub use headers::{ResponseHeaderIter, ResponseHeaders};
pub use hijack::Hijacked;
pub use path_stat::{FileMode, PathStat};
pub use progress::{Progress, ProgressMessage, Transferred};
pub use reference::{canonical_image_ref, same_image_ref};
pub use response::{JsonMessages, Response, ResponseBody};
#[cfg(feature = "models")]
pub use typed::TypedMessages;
pub use websocket::{Message, WebSocket, WebSocketReader, WebSocketWriter};

/// Typed models of the API's bodies, typed calls and builders (feature `models`).
#[cfg(feature = "models")]
pub use docksock_models as models;

/// The operations this client runs ([`Client::run`]).
pub use docksock_api as api;
/// The sans-IO protocol core this client drives.
pub use docksock_proto as proto;
pub use docksock_proto::encode::PathParam;
pub use docksock_proto::stdcopy::{Mode, StreamKind};
pub use docksock_proto::timeout::Timeout;
pub use docksock_proto::version::ApiVersion;
pub use docksock_proto::websocket::MessageKind;
pub use docksock_proto::Limits;
