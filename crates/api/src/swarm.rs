//! Swarm: inspect, init, join, leave, update, unlock, and the unlock key.

use alloc::borrow::Cow;

use crate::call::Call;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `GET /swarm`.
pub static INSPECT: Operation = Operation::new(
    "SwarmInspect",
    "GET",
    "/swarm",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /swarm/init`: answers with the node id (a JSON string).
pub static INIT: Operation = Operation::new(
    "SwarmInit",
    "POST",
    "/swarm/init",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /swarm/join`.
pub static JOIN: Operation = Operation::new(
    "SwarmJoin",
    "POST",
    "/swarm/join",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `POST /swarm/leave`.
pub static LEAVE: Operation = Operation::new(
    "SwarmLeave",
    "POST",
    "/swarm/leave",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /swarm/update`.
pub static UPDATE: Operation = Operation::new(
    "SwarmUpdate",
    "POST",
    "/swarm/update",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `POST /swarm/unlock`.
pub static UNLOCK: Operation = Operation::new(
    "SwarmUnlock",
    "POST",
    "/swarm/unlock",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `GET /swarm/unlockkey`.
pub static UNLOCK_KEY: Operation = Operation::new(
    "SwarmUnlockkey",
    "GET",
    "/swarm/unlockkey",
    RequestBody::None,
    ResponseKind::Json,
);

/// Options of [`update`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSwarmOptions {
    /// `rotateWorkerToken`: issue a new worker join token.
    pub rotate_worker_token: bool,
    /// `rotateManagerToken`: issue a new manager join token.
    pub rotate_manager_token: bool,
    /// `rotateManagerUnlockKey`: issue a new unlock key.
    pub rotate_manager_unlock_key: bool,
}

/// `GET /swarm`.
pub fn inspect() -> Call<'static> {
    Call::new(&INSPECT)
}

/// `POST /swarm/init`: `body` is JSON (`ListenAddr`, `AdvertiseAddr`, `Spec`…).
pub fn init<'a>(body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&INIT).json(body)
}

/// `POST /swarm/join`: `body` is JSON (`RemoteAddrs`, `JoinToken`, `ListenAddr`…).
pub fn join<'a>(body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&JOIN).json(body)
}

/// `POST /swarm/leave?force=`.
pub fn leave(force: bool) -> Call<'static> {
    Call::new(&LEAVE).flag("force", force)
}

/// `POST /swarm/update?version=&rotateWorkerToken=&rotateManagerToken=&rotateManagerUnlockKey=`:
/// `version` is the swarm's current `Version.Index`; `spec` is the swarm spec as JSON.
pub fn update<'a>(
    version: u64,
    opts: &UpdateSwarmOptions,
    spec: impl Into<Cow<'a, [u8]>>,
) -> Call<'a> {
    Call::new(&UPDATE)
        .query("version", crate::num(version))
        .flag("rotateWorkerToken", opts.rotate_worker_token)
        .flag("rotateManagerToken", opts.rotate_manager_token)
        .flag("rotateManagerUnlockKey", opts.rotate_manager_unlock_key)
        .json(spec)
}

/// `POST /swarm/unlock`: `body` is JSON (`UnlockKey`).
pub fn unlock<'a>(body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&UNLOCK).json(body)
}

/// `GET /swarm/unlockkey`.
pub fn unlock_key() -> Call<'static> {
    Call::new(&UNLOCK_KEY)
}
