//! Swarm configs: list, inspect, create, update, remove.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /configs`.
pub static LIST: Operation = Operation::new(
    "ConfigList",
    "GET",
    "/configs",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /configs/{id}`.
pub static INSPECT: Operation = Operation::new(
    "ConfigInspect",
    "GET",
    "/configs/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /configs/create`: answers with the new config's id.
pub static CREATE: Operation = Operation::new(
    "ConfigCreate",
    "POST",
    "/configs/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /configs/{id}/update`: only the labels of a config can change.
pub static UPDATE: Operation = Operation::new(
    "ConfigUpdate",
    "POST",
    "/configs/{id}/update",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `DELETE /configs/{id}`.
pub static DELETE: Operation = Operation::new(
    "ConfigDelete",
    "DELETE",
    "/configs/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);

/// `GET /configs?filters=` (filters `id`, `label`, `name`, `names`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /configs/{id}`: `config` is an id or a name.
pub fn inspect(config: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", plain(config))
}

/// `POST /configs/create`: `spec` is the config spec as JSON (`Name`, `Labels`, `Data` as
/// base64…).
pub fn create<'a>(spec: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE).json(spec)
}

/// `POST /configs/{id}/update?version=`: `version` is the config's current `Version.Index`;
/// `spec` is its whole spec as JSON, with new `Labels`.
pub fn update<'a>(config: &'a str, version: u64, spec: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UPDATE)
        .param("id", plain(config))
        .query("version", crate::num(version))
        .json(spec)
}

/// `DELETE /configs/{id}`.
pub fn remove(config: &str) -> Call<'_> {
    Call::new(&DELETE).param("id", plain(config))
}
