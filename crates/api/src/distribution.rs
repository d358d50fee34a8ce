//! Distribution: an image's manifest descriptor and platforms, as the registry has them.

use crate::call::Call;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `GET /distribution/{name}/json`.
pub static INSPECT: Operation = Operation::new(
    "DistributionInspect",
    "GET",
    "/distribution/{name}/json",
    RequestBody::None,
    ResponseKind::Json,
);

/// `GET /distribution/{name}/json`: `name` is an image reference (checked against the
/// reference grammar); `registry_auth` is sent as `X-Registry-Auth` for a private registry
/// (the daemon reads the header although the description does not list it).
pub fn inspect<'a>(name: &'a str, registry_auth: Option<&'a str>) -> Call<'a> {
    let call = Call::new(&INSPECT).param("name", crate::reference(name));
    crate::registry_auth(call, registry_auth)
}
