//! Networks: list, inspect, create, remove, connect and disconnect a container, prune.

use alloc::borrow::Cow;
use alloc::string::String;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /networks`.
pub static LIST: Operation = Operation::new(
    "NetworkList",
    "GET",
    "/networks",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /networks/{id}`.
pub static INSPECT: Operation = Operation::new(
    "NetworkInspect",
    "GET",
    "/networks/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /networks/create`: answers with the new network's id and warnings.
pub static CREATE: Operation = Operation::new(
    "NetworkCreate",
    "POST",
    "/networks/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `DELETE /networks/{id}`.
pub static DELETE: Operation = Operation::new(
    "NetworkDelete",
    "DELETE",
    "/networks/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /networks/{id}/connect`.
pub static CONNECT: Operation = Operation::new(
    "NetworkConnect",
    "POST",
    "/networks/{id}/connect",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `POST /networks/{id}/disconnect`.
pub static DISCONNECT: Operation = Operation::new(
    "NetworkDisconnect",
    "POST",
    "/networks/{id}/disconnect",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `POST /networks/prune`: removes unused networks; answers with what it removed.
pub static PRUNE: Operation = Operation::new(
    "NetworkPrune",
    "POST",
    "/networks/prune",
    RequestBody::None,
    ResponseKind::Json,
);

/// Options of [`inspect`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectNetworkOptions {
    /// `verbose`: detailed information of a swarm network's services and tasks.
    pub verbose: bool,
    /// `scope`: only a network of this scope (`swarm`, `global`, `local`).
    pub scope: Option<String>,
}

/// `GET /networks?filters=` (filters `driver`, `id`, `label`, `name`, `scope`, `type`,
/// `dangling`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /networks/{id}?verbose=&scope=`: `network` is an id or a name.
pub fn inspect<'a>(network: &'a str, opts: &'a InspectNetworkOptions) -> Call<'a> {
    Call::new(&INSPECT)
        .param("id", plain(network))
        .flag("verbose", opts.verbose)
        .opt("scope", opts.scope.as_deref())
}

/// `POST /networks/create`: `config` is the body as JSON (`Name`, `Driver`, `IPAM`,
/// `Labels`…).
pub fn create<'a>(config: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE).json(config)
}

/// `DELETE /networks/{id}`.
pub fn remove(network: &str) -> Call<'_> {
    Call::new(&DELETE).param("id", plain(network))
}

/// `POST /networks/{id}/connect`: `body` is JSON (`Container`, and `EndpointConfig` for
/// aliases or a fixed address).
pub fn connect<'a>(network: &'a str, body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CONNECT).param("id", plain(network)).json(body)
}

/// `POST /networks/{id}/disconnect`: `body` is JSON (`Container`, `Force`).
pub fn disconnect<'a>(network: &'a str, body: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&DISCONNECT)
        .param("id", plain(network))
        .json(body)
}

/// `POST /networks/prune?filters=` (filters `until`, `label`).
pub fn prune<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&PRUNE), filters)
}
