//! Swarm nodes: list, inspect, update, remove.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /nodes`.
pub static LIST: Operation = Operation::new(
    "NodeList",
    "GET",
    "/nodes",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /nodes/{id}`.
pub static INSPECT: Operation = Operation::new(
    "NodeInspect",
    "GET",
    "/nodes/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /nodes/{id}/update`.
pub static UPDATE: Operation = Operation::new(
    "NodeUpdate",
    "POST",
    "/nodes/{id}/update",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `DELETE /nodes/{id}`.
pub static DELETE: Operation = Operation::new(
    "NodeDelete",
    "DELETE",
    "/nodes/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);

/// `GET /nodes?filters=` (filters `id`, `label`, `membership`, `name`, `node.label`, `role`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /nodes/{id}`: `node` is an id or a name.
pub fn inspect(node: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", plain(node))
}

/// `POST /nodes/{id}/update?version=`: `version` is the node's current `Version.Index`;
/// `spec` is the node spec as JSON (`Role`, `Availability`, `Labels`).
pub fn update<'a>(node: &'a str, version: u64, spec: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UPDATE)
        .param("id", plain(node))
        .query("version", crate::num(version))
        .json(spec)
}

/// `DELETE /nodes/{id}?force=`.
pub fn remove(node: &str, force: bool) -> Call<'_> {
    Call::new(&DELETE)
        .param("id", plain(node))
        .flag("force", force)
}
