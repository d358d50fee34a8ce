//! Plugins: list, privileges, pull (install), create from a tar, inspect, enable, disable, set,
//! upgrade, push, remove.
//!
//! A plugin's `{name}` is a reference like `vieux/sshfs:latest` (moby parses it as an image
//! reference, and routes `/plugins/{name:.*}/…` so that it may hold `/`), or a plugin id. It is
//! therefore a [`PathParam::Image`](docksock_proto::encode::PathParam::Image): checked against
//! the reference grammar and written with its `/` and `:` as they are, which a
//! [`PathParam::Plain`](docksock_proto::encode::PathParam::Plain) would refuse (a `/`) or
//! percent-encode. Ids (64 lowercase hex digits) and id prefixes fit the grammar too.

use alloc::borrow::Cow;
use alloc::string::String;

use docksock_proto::timeout::Timeout;

use crate::call::{Call, CallBody};
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::reference;

/// `GET /plugins`.
pub static LIST: Operation = Operation::new(
    "PluginList",
    "GET",
    "/plugins",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /plugins/privileges`: what a plugin of the registry asks for.
pub static PRIVILEGES: Operation = Operation::new(
    "GetPluginPrivileges",
    "GET",
    "/plugins/privileges",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /plugins/pull`: installs a plugin. moby answers `200` with a JSON progress stream
/// (the description says `204`); no idle limit, as for an image pull.
pub static PULL: Operation = Operation::new(
    "PluginPull",
    "POST",
    "/plugins/pull",
    RequestBody::Json,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `POST /plugins/create`: a plugin from a tar holding `config.json` and `rootfs/`.
pub static CREATE: Operation = Operation::new(
    "PluginCreate",
    "POST",
    "/plugins/create",
    RequestBody::Tar,
    ResponseKind::Empty,
);
/// `GET /plugins/{name}/json`.
pub static INSPECT: Operation = Operation::new(
    "PluginInspect",
    "GET",
    "/plugins/{name}/json",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /plugins/{name}/enable`.
pub static ENABLE: Operation = Operation::new(
    "PluginEnable",
    "POST",
    "/plugins/{name}/enable",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /plugins/{name}/disable`.
pub static DISABLE: Operation = Operation::new(
    "PluginDisable",
    "POST",
    "/plugins/{name}/disable",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /plugins/{name}/set`: settings (`DEBUG=1`, `mount.source=/x`).
pub static SET: Operation = Operation::new(
    "PluginSet",
    "POST",
    "/plugins/{name}/set",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `POST /plugins/{name}/upgrade`: a JSON progress stream like [`PULL`]'s (no idle limit).
pub static UPGRADE: Operation = Operation::new(
    "PluginUpgrade",
    "POST",
    "/plugins/{name}/upgrade",
    RequestBody::Json,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `POST /plugins/{name}/push`: a JSON progress stream (no idle limit, as for an image push).
pub static PUSH: Operation = Operation::new(
    "PluginPush",
    "POST",
    "/plugins/{name}/push",
    RequestBody::None,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `DELETE /plugins/{name}`: answers with the removed plugin.
pub static DELETE: Operation = Operation::new(
    "PluginDelete",
    "DELETE",
    "/plugins/{name}",
    RequestBody::None,
    ResponseKind::Json,
);

/// Options of [`pull`] and [`upgrade`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginPullOptions {
    /// `remote`: the plugin's reference in its registry (`vieux/sshfs:latest`).
    pub remote: String,
    /// `name`: the local name to install it as (pull only; the remote's name otherwise).
    pub name: Option<String>,
    /// `X-Registry-Auth`: base64url of the auth JSON, for a private registry. Sent as given.
    pub registry_auth: Option<String>,
}

/// `GET /plugins?filters=` (filters `capability`, `enable`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /plugins/privileges?remote=`.
pub fn privileges(remote: &str) -> Call<'_> {
    Call::new(&PRIVILEGES).query("remote", remote)
}

/// `POST /plugins/pull?remote=&name=` (`docker plugin install`): `privileges` is the JSON array
/// of the privileges granted, as [`privileges`] listed them (the daemon refuses a pull that
/// does not grant what the plugin asks for).
pub fn pull<'a>(opts: &'a PluginPullOptions, privileges: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    let call = Call::new(&PULL)
        .query("remote", opts.remote.as_str())
        .opt("name", opts.name.as_deref())
        .json(privileges);
    crate::registry_auth(call, opts.registry_auth.as_deref())
}

/// `POST /plugins/create?name=`: the tar (`config.json` and `rootfs/`) is streamed by the
/// adapter.
pub fn create(name: &str) -> Call<'_> {
    Call::new(&CREATE)
        .query("name", name)
        .body(CallBody::Stream {
            content_type: "application/x-tar",
        })
}

/// `GET /plugins/{name}/json`.
pub fn inspect(name: &str) -> Call<'_> {
    Call::new(&INSPECT).param("name", reference(name))
}

/// `POST /plugins/{name}/enable?timeout=`: `timeout_secs` is how long the daemon waits for
/// the plugin to start (its default: 30 s). A longer wait than the client's head timeout needs
/// `.head_timeout(…)` on the call.
pub fn enable(name: &str, timeout_secs: Option<u32>) -> Call<'_> {
    Call::new(&ENABLE)
        .param("name", reference(name))
        .opt("timeout", timeout_secs.map(crate::num))
}

/// `POST /plugins/{name}/disable?force=`.
pub fn disable(name: &str, force: bool) -> Call<'_> {
    Call::new(&DISABLE)
        .param("name", reference(name))
        .flag("force", force)
}

/// `POST /plugins/{name}/set`: `settings` is a JSON array of `KEY=value` strings.
pub fn set<'a>(name: &'a str, settings: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&SET)
        .param("name", reference(name))
        .json(settings)
}

/// `POST /plugins/{name}/upgrade?remote=`: the plugin must be disabled; `privileges` as for
/// [`pull`] (the [`name`](PluginPullOptions::name) option is not sent).
pub fn upgrade<'a>(
    name: &'a str,
    opts: &'a PluginPullOptions,
    privileges: impl Into<Cow<'a, [u8]>>,
) -> Call<'a> {
    let call = Call::new(&UPGRADE)
        .param("name", reference(name))
        .query("remote", opts.remote.as_str())
        .json(privileges);
    crate::registry_auth(call, opts.registry_auth.as_deref())
}

/// `POST /plugins/{name}/push`, with `X-Registry-Auth` when given (the daemon reads it,
/// although the description does not list it).
pub fn push<'a>(name: &'a str, registry_auth: Option<&'a str>) -> Call<'a> {
    let call = Call::new(&PUSH).param("name", reference(name));
    crate::registry_auth(call, registry_auth)
}

/// `DELETE /plugins/{name}?force=`: with `force`, disable it first.
pub fn remove(name: &str, force: bool) -> Call<'_> {
    Call::new(&DELETE)
        .param("name", reference(name))
        .flag("force", force)
}
