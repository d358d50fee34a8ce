//! Containers: pause, unpause, rename, update, resize, prune.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `POST /containers/{id}/pause`.
pub static PAUSE: Operation = Operation::new(
    "ContainerPause",
    "POST",
    "/containers/{id}/pause",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/{id}/unpause`.
pub static UNPAUSE: Operation = Operation::new(
    "ContainerUnpause",
    "POST",
    "/containers/{id}/unpause",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/{id}/rename`.
pub static RENAME: Operation = Operation::new(
    "ContainerRename",
    "POST",
    "/containers/{id}/rename",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/{id}/update`: new resource limits and restart policy; answers with
/// warnings.
pub static UPDATE: Operation = Operation::new(
    "ContainerUpdate",
    "POST",
    "/containers/{id}/update",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /containers/{id}/resize`: the TTY's size.
pub static RESIZE: Operation = Operation::new(
    "ContainerResize",
    "POST",
    "/containers/{id}/resize",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/prune`: removes stopped containers; answers with what it removed.
pub static PRUNE: Operation = Operation::new(
    "ContainerPrune",
    "POST",
    "/containers/prune",
    RequestBody::None,
    ResponseKind::Json,
);

/// `POST /containers/{id}/pause`.
pub fn pause(container: &str) -> Call<'_> {
    Call::new(&PAUSE).param("id", plain(container))
}

/// `POST /containers/{id}/unpause`.
pub fn unpause(container: &str) -> Call<'_> {
    Call::new(&UNPAUSE).param("id", plain(container))
}

/// `POST /containers/{id}/rename?name=`.
pub fn rename<'a>(container: &'a str, new_name: &'a str) -> Call<'a> {
    Call::new(&RENAME)
        .param("id", plain(container))
        .query("name", new_name)
}

/// `POST /containers/{id}/update`: `update` is the body as JSON (`Memory`, `CpuShares`,
/// `RestartPolicy`…).
pub fn update<'a>(container: &'a str, update: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UPDATE)
        .param("id", plain(container))
        .json(update)
}

/// `POST /containers/{id}/resize?h=&w=`: the TTY's height and width in characters.
pub fn resize(container: &str, height: u32, width: u32) -> Call<'_> {
    Call::new(&RESIZE)
        .param("id", plain(container))
        .query("h", crate::num(height))
        .query("w", crate::num(width))
}

/// `POST /containers/prune?filters=` (filters `until`, `label`).
pub fn prune<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&PRUNE), filters)
}
