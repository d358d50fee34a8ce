//! Volumes: list, inspect, create, update (cluster volumes), remove, prune.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /volumes`.
pub static LIST: Operation = Operation::new(
    "VolumeList",
    "GET",
    "/volumes",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /volumes/{name}`.
pub static INSPECT: Operation = Operation::new(
    "VolumeInspect",
    "GET",
    "/volumes/{name}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /volumes/create`: answers with the volume.
pub static CREATE: Operation = Operation::new(
    "VolumeCreate",
    "POST",
    "/volumes/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `PUT /volumes/{name}`: updates a cluster volume (Swarm).
pub static UPDATE: Operation = Operation::new(
    "VolumeUpdate",
    "PUT",
    "/volumes/{name}",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `DELETE /volumes/{name}`.
pub static DELETE: Operation = Operation::new(
    "VolumeDelete",
    "DELETE",
    "/volumes/{name}",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /volumes/prune`: removes unused volumes; answers with what it removed and the space
/// reclaimed.
pub static PRUNE: Operation = Operation::new(
    "VolumePrune",
    "POST",
    "/volumes/prune",
    RequestBody::None,
    ResponseKind::Json,
);

/// `GET /volumes?filters=` (filters `dangling`, `driver`, `label`, `name`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /volumes/{name}`.
pub fn inspect(name: &str) -> Call<'_> {
    Call::new(&INSPECT).param("name", plain(name))
}

/// `POST /volumes/create`: `config` is the body as JSON (`Name`, `Driver`, `DriverOpts`,
/// `Labels`).
pub fn create<'a>(config: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE).json(config)
}

/// `PUT /volumes/{name}?version=`: `version` is the cluster volume's current version (its
/// `ClusterVolume.Version.Index`); `body` is JSON (`Spec`).
pub fn update<'a>(name: &'a str, version: u64, body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UPDATE)
        .param("name", plain(name))
        .query("version", crate::num(version))
        .json(body)
}

/// `DELETE /volumes/{name}?force=`.
pub fn remove(name: &str, force: bool) -> Call<'_> {
    Call::new(&DELETE)
        .param("name", plain(name))
        .flag("force", force)
}

/// `POST /volumes/prune?filters=` (filters `label`, and `all=true` for named volumes too,
/// API 1.42+).
pub fn prune<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&PRUNE), filters)
}
