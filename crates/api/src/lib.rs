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
//! Every operation of the Docker Engine API v1.51 but `POST /session` (a deprecated gRPC
//! hijack for the BuildKit session, which needs a gRPC stack), in modules by resource: one
//! `pub static` [`Operation`] per operation id and one call function per use. Request bodies
//! that are JSON documents are taken as bytes; options structs hold the query parameters (names
//! as the description spells them) and the `X-Registry-Auth` header where the daemon reads it.
//! Array query parameters (`names`, `type`, `changes`, `platforms`, `extrahosts`) are sent as
//! repeated pairs, which is what the daemon reads. [`ALL`] lists the definitions in the order
//! of this table.
//!
//! Path parameters: image names (`{name}` of the image and distribution endpoints) and plugin
//! names (`vieux/sshfs:latest`: references too, see [`plugins`]) are
//! [`PathParam::Image`](proto::encode::PathParam::Image); every other id or name is
//! [`PathParam::Plain`](proto::encode::PathParam::Plain), one percent-encoded segment.
//!
//! | operation id | method and path | call |
//! |---|---|---|
//! | `SystemPing` | `GET /_ping` | [`system::ping`] |
//! | `SystemPingHead` | `HEAD /_ping` | [`system::ping_head`] |
//! | `SystemVersion` | `GET /version` | [`system::version`] |
//! | `SystemInfo` | `GET /info` | [`system::info`] |
//! | `SystemEvents` | `GET /events` | [`system::events`] |
//! | `SystemAuth` | `POST /auth` | [`system::auth`] |
//! | `SystemDataUsage` | `GET /system/df` | [`system::df`] |
//! | `ImageList` | `GET /images/json` | [`images::list`] |
//! | `ImageInspect` | `GET /images/{name}/json` | [`images::inspect`] |
//! | `ImageHistory` | `GET /images/{name}/history` | [`images::history`] |
//! | `ImageDelete` | `DELETE /images/{name}` | [`images::remove`] |
//! | `ImageTag` | `POST /images/{name}/tag` | [`images::tag`] |
//! | `ImageSearch` | `GET /images/search` | [`images::search`] |
//! | `ImagePrune` | `POST /images/prune` | [`images::prune`] |
//! | `ImageCommit` | `POST /commit` | [`images::commit`] |
//! | `ImageCreate` | `POST /images/create` | [`images::pull`], [`images::import`] |
//! | `ImagePush` | `POST /images/{name}/push` | [`images::push`] |
//! | `ImageGet` | `GET /images/{name}/get` | [`images::export`] |
//! | `ImageGetAll` | `GET /images/get` | [`images::save`] |
//! | `ImageLoad` | `POST /images/load` | [`images::load`] |
//! | `ImageBuild` | `POST /build` | [`images::build`] |
//! | `BuildPrune` | `POST /build/prune` | [`images::build_prune`] |
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
//! | `ContainerAttachWebsocket` | `GET /containers/{id}/attach/ws` | [`containers::attach_websocket`] |
//! | `ContainerDelete` | `DELETE /containers/{id}` | [`containers::remove`] |
//! | `ContainerTop` | `GET /containers/{id}/top` | [`containers::top`] |
//! | `ContainerStats` | `GET /containers/{id}/stats` | [`containers::stats`] |
//! | `ContainerPause` | `POST /containers/{id}/pause` | [`containers::pause`] |
//! | `ContainerUnpause` | `POST /containers/{id}/unpause` | [`containers::unpause`] |
//! | `ContainerRename` | `POST /containers/{id}/rename` | [`containers::rename`] |
//! | `ContainerUpdate` | `POST /containers/{id}/update` | [`containers::update`] |
//! | `ContainerResize` | `POST /containers/{id}/resize` | [`containers::resize`] |
//! | `ContainerPrune` | `POST /containers/prune` | [`containers::prune`] |
//! | `ContainerChanges` | `GET /containers/{id}/changes` | [`containers::changes`] |
//! | `ContainerExport` | `GET /containers/{id}/export` | [`containers::export`] |
//! | `ContainerArchive` | `GET /containers/{id}/archive` | [`containers::archive`] |
//! | `ContainerArchiveInfo` | `HEAD /containers/{id}/archive` | [`containers::archive_info`] |
//! | `PutContainerArchive` | `PUT /containers/{id}/archive` | [`containers::put_archive`] |
//! | `ContainerExec` | `POST /containers/{id}/exec` | [`exec::create`] |
//! | `ExecStart` | `POST /exec/{id}/start` | [`exec::start`], [`exec::start_detached`] |
//! | `ExecInspect` | `GET /exec/{id}/json` | [`exec::inspect`] |
//! | `ExecResize` | `POST /exec/{id}/resize` | [`exec::resize`] |
//! | `NetworkList` | `GET /networks` | [`networks::list`] |
//! | `NetworkInspect` | `GET /networks/{id}` | [`networks::inspect`] |
//! | `NetworkCreate` | `POST /networks/create` | [`networks::create`] |
//! | `NetworkDelete` | `DELETE /networks/{id}` | [`networks::remove`] |
//! | `NetworkConnect` | `POST /networks/{id}/connect` | [`networks::connect`] |
//! | `NetworkDisconnect` | `POST /networks/{id}/disconnect` | [`networks::disconnect`] |
//! | `NetworkPrune` | `POST /networks/prune` | [`networks::prune`] |
//! | `VolumeList` | `GET /volumes` | [`volumes::list`] |
//! | `VolumeInspect` | `GET /volumes/{name}` | [`volumes::inspect`] |
//! | `VolumeCreate` | `POST /volumes/create` | [`volumes::create`] |
//! | `VolumeUpdate` | `PUT /volumes/{name}` | [`volumes::update`] |
//! | `VolumeDelete` | `DELETE /volumes/{name}` | [`volumes::remove`] |
//! | `VolumePrune` | `POST /volumes/prune` | [`volumes::prune`] |
//! | `PluginList` | `GET /plugins` | [`plugins::list`] |
//! | `GetPluginPrivileges` | `GET /plugins/privileges` | [`plugins::privileges`] |
//! | `PluginPull` | `POST /plugins/pull` | [`plugins::pull`] |
//! | `PluginCreate` | `POST /plugins/create` | [`plugins::create`] |
//! | `PluginInspect` | `GET /plugins/{name}/json` | [`plugins::inspect`] |
//! | `PluginEnable` | `POST /plugins/{name}/enable` | [`plugins::enable`] |
//! | `PluginDisable` | `POST /plugins/{name}/disable` | [`plugins::disable`] |
//! | `PluginSet` | `POST /plugins/{name}/set` | [`plugins::set`] |
//! | `PluginUpgrade` | `POST /plugins/{name}/upgrade` | [`plugins::upgrade`] |
//! | `PluginPush` | `POST /plugins/{name}/push` | [`plugins::push`] |
//! | `PluginDelete` | `DELETE /plugins/{name}` | [`plugins::remove`] |
//! | `DistributionInspect` | `GET /distribution/{name}/json` | [`distribution::inspect`] |
//! | `SwarmInspect` | `GET /swarm` | [`swarm::inspect`] |
//! | `SwarmInit` | `POST /swarm/init` | [`swarm::init`] |
//! | `SwarmJoin` | `POST /swarm/join` | [`swarm::join`] |
//! | `SwarmLeave` | `POST /swarm/leave` | [`swarm::leave`] |
//! | `SwarmUpdate` | `POST /swarm/update` | [`swarm::update`] |
//! | `SwarmUnlock` | `POST /swarm/unlock` | [`swarm::unlock`] |
//! | `SwarmUnlockkey` | `GET /swarm/unlockkey` | [`swarm::unlock_key`] |
//! | `NodeList` | `GET /nodes` | [`nodes::list`] |
//! | `NodeInspect` | `GET /nodes/{id}` | [`nodes::inspect`] |
//! | `NodeUpdate` | `POST /nodes/{id}/update` | [`nodes::update`] |
//! | `NodeDelete` | `DELETE /nodes/{id}` | [`nodes::remove`] |
//! | `ServiceList` | `GET /services` | [`services::list`] |
//! | `ServiceInspect` | `GET /services/{id}` | [`services::inspect`] |
//! | `ServiceCreate` | `POST /services/create` | [`services::create`] |
//! | `ServiceUpdate` | `POST /services/{id}/update` | [`services::update`] |
//! | `ServiceDelete` | `DELETE /services/{id}` | [`services::remove`] |
//! | `ServiceLogs` | `GET /services/{id}/logs` | [`services::logs`] |
//! | `TaskList` | `GET /tasks` | [`tasks::list`] |
//! | `TaskInspect` | `GET /tasks/{id}` | [`tasks::inspect`] |
//! | `TaskLogs` | `GET /tasks/{id}/logs` | [`tasks::logs`] |
//! | `SecretList` | `GET /secrets` | [`secrets::list`] |
//! | `SecretInspect` | `GET /secrets/{id}` | [`secrets::inspect`] |
//! | `SecretCreate` | `POST /secrets/create` | [`secrets::create`] |
//! | `SecretUpdate` | `POST /secrets/{id}/update` | [`secrets::update`] |
//! | `SecretDelete` | `DELETE /secrets/{id}` | [`secrets::remove`] |
//! | `ConfigList` | `GET /configs` | [`configs::list`] |
//! | `ConfigInspect` | `GET /configs/{id}` | [`configs::inspect`] |
//! | `ConfigCreate` | `POST /configs/create` | [`configs::create`] |
//! | `ConfigUpdate` | `POST /configs/{id}/update` | [`configs::update`] |
//! | `ConfigDelete` | `DELETE /configs/{id}` | [`configs::remove`] |
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;

mod call;
pub mod configs;
pub mod containers;
pub mod distribution;
pub mod exec;
mod filters;
pub mod images;
pub mod networks;
pub mod nodes;
mod operation;
pub mod plugins;
pub mod secrets;
pub mod services;
pub mod swarm;
pub mod system;
pub mod tasks;
pub mod volumes;

pub use call::{Call, CallBody};
pub use containers::{
    AttachOptions, ListContainersOptions, LogsOptions, PutArchiveOptions, RemoveContainerOptions,
    WaitOptions,
};
pub use filters::{json_string, Filters};
pub use images::{
    BuildOptions, BuildPruneOptions, CommitOptions, ListImagesOptions, LoadOptions, PullOptions,
    PushOptions, RemoveImageOptions, SaveImagesOptions, SearchOptions,
};
pub use networks::InspectNetworkOptions;
pub use operation::{Operation, RequestBody, ResponseKind, CUSTOM};
pub use plugins::PluginPullOptions;
pub use services::{ListServicesOptions, ServiceLogsOptions, UpdateServiceOptions};
pub use swarm::UpdateSwarmOptions;
pub use system::{DataUsageOptions, EventsOptions};

/// The core this crate builds on.
pub use docksock_proto as proto;

/// Every operation defined here, one definition per operation id, in the order of the table
/// in the crate docs. (Two ids have a second definition for another use of the same endpoint:
/// [`images::PULL`] beside [`images::CREATE`], [`exec::START_DETACHED`] beside
/// [`exec::START`].)
pub const ALL: &[&Operation] = &[
    &system::PING,
    &system::PING_HEAD,
    &system::VERSION,
    &system::INFO,
    &system::EVENTS,
    &system::AUTH,
    &system::DATA_USAGE,
    &images::LIST,
    &images::INSPECT,
    &images::HISTORY,
    &images::DELETE,
    &images::TAG,
    &images::SEARCH,
    &images::PRUNE,
    &images::COMMIT,
    &images::CREATE,
    &images::PUSH,
    &images::GET,
    &images::GET_ALL,
    &images::LOAD,
    &images::BUILD,
    &images::BUILD_PRUNE,
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
    &containers::ATTACH_WEBSOCKET,
    &containers::DELETE,
    &containers::TOP,
    &containers::STATS,
    &containers::PAUSE,
    &containers::UNPAUSE,
    &containers::RENAME,
    &containers::UPDATE,
    &containers::RESIZE,
    &containers::PRUNE,
    &containers::CHANGES,
    &containers::EXPORT,
    &containers::ARCHIVE,
    &containers::ARCHIVE_INFO,
    &containers::PUT_ARCHIVE,
    &exec::CREATE,
    &exec::START,
    &exec::INSPECT,
    &exec::RESIZE,
    &networks::LIST,
    &networks::INSPECT,
    &networks::CREATE,
    &networks::DELETE,
    &networks::CONNECT,
    &networks::DISCONNECT,
    &networks::PRUNE,
    &volumes::LIST,
    &volumes::INSPECT,
    &volumes::CREATE,
    &volumes::UPDATE,
    &volumes::DELETE,
    &volumes::PRUNE,
    &plugins::LIST,
    &plugins::PRIVILEGES,
    &plugins::PULL,
    &plugins::CREATE,
    &plugins::INSPECT,
    &plugins::ENABLE,
    &plugins::DISABLE,
    &plugins::SET,
    &plugins::UPGRADE,
    &plugins::PUSH,
    &plugins::DELETE,
    &distribution::INSPECT,
    &swarm::INSPECT,
    &swarm::INIT,
    &swarm::JOIN,
    &swarm::LEAVE,
    &swarm::UPDATE,
    &swarm::UNLOCK,
    &swarm::UNLOCK_KEY,
    &nodes::LIST,
    &nodes::INSPECT,
    &nodes::UPDATE,
    &nodes::DELETE,
    &services::LIST,
    &services::INSPECT,
    &services::CREATE,
    &services::UPDATE,
    &services::DELETE,
    &services::LOGS,
    &tasks::LIST,
    &tasks::INSPECT,
    &tasks::LOGS,
    &secrets::LIST,
    &secrets::INSPECT,
    &secrets::CREATE,
    &secrets::UPDATE,
    &secrets::DELETE,
    &configs::LIST,
    &configs::INSPECT,
    &configs::CREATE,
    &configs::UPDATE,
    &configs::DELETE,
];

/// `"1"` or `"0"`, as the daemon reads boolean query values.
pub(crate) const fn bool_str(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// Adds `key=value` for every value, in order (the daemon reads repeated keys for array
/// parameters: `names`, `type`, `changes`, `platforms`).
pub(crate) fn repeated<'a>(call: Call<'a>, key: &'a str, values: &'a [String]) -> Call<'a> {
    values
        .iter()
        .fold(call, |call, v| call.query(key, v.as_str()))
}

/// Adds the `filters` query value when there are filters.
pub(crate) fn filters<'a>(call: Call<'a>, filters: Option<&Filters>) -> Call<'a> {
    call.opt("filters", filters.map(Filters::to_json))
}

/// Adds `X-Registry-Auth` (base64url of the auth JSON, as the caller encoded it) when given.
pub(crate) fn registry_auth<'a>(call: Call<'a>, auth: Option<&'a str>) -> Call<'a> {
    match auth {
        Some(a) => call.header("X-Registry-Auth", a),
        None => call,
    }
}

/// A container, exec, network, volume, node, service, task, secret or config id or name: one
/// path segment, percent-encoded.
pub(crate) const fn plain(s: &str) -> proto::encode::PathParam<'_> {
    proto::encode::PathParam::Plain(s)
}

/// An image (or plugin) reference, checked against the reference grammar.
pub(crate) const fn reference(s: &str) -> proto::encode::PathParam<'_> {
    proto::encode::PathParam::Image(s)
}

/// A number as a query value.
pub(crate) fn num(n: impl Into<i128>) -> String {
    use alloc::string::ToString;
    n.into().to_string()
}
