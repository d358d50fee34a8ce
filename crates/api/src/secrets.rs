//! Swarm secrets: list, inspect, create, update, remove.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /secrets`.
pub static LIST: Operation = Operation::new(
    "SecretList",
    "GET",
    "/secrets",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /secrets/{id}`.
pub static INSPECT: Operation = Operation::new(
    "SecretInspect",
    "GET",
    "/secrets/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /secrets/create`: answers with the new secret's id.
pub static CREATE: Operation = Operation::new(
    "SecretCreate",
    "POST",
    "/secrets/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /secrets/{id}/update`: only the labels of a secret can change.
pub static UPDATE: Operation = Operation::new(
    "SecretUpdate",
    "POST",
    "/secrets/{id}/update",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `DELETE /secrets/{id}`.
pub static DELETE: Operation = Operation::new(
    "SecretDelete",
    "DELETE",
    "/secrets/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);

/// `GET /secrets?filters=` (filters `id`, `label`, `name`, `names`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /secrets/{id}`: `secret` is an id or a name.
pub fn inspect(secret: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", plain(secret))
}

/// `POST /secrets/create`: `spec` is the secret spec as JSON (`Name`, `Labels`, `Data` as
/// base64…).
pub fn create<'a>(spec: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE).json(spec)
}

/// `POST /secrets/{id}/update?version=`: `version` is the secret's current `Version.Index`;
/// `spec` is its whole spec as JSON, with new `Labels`.
pub fn update<'a>(secret: &'a str, version: u64, spec: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UPDATE)
        .param("id", plain(secret))
        .query("version", crate::num(version))
        .json(spec)
}

/// `DELETE /secrets/{id}`.
pub fn remove(secret: &str) -> Call<'_> {
    Call::new(&DELETE).param("id", plain(secret))
}
