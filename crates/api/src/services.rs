//! Swarm services: list, inspect, create, update, remove, logs.

use alloc::borrow::Cow;
use alloc::string::String;

use docksock_proto::timeout::Timeout;

use crate::call::Call;
use crate::containers::mode_for_tty;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::{bool_str, plain};

/// `GET /services`.
pub static LIST: Operation = Operation::new(
    "ServiceList",
    "GET",
    "/services",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /services/{id}`.
pub static INSPECT: Operation = Operation::new(
    "ServiceInspect",
    "GET",
    "/services/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /services/create`: answers with the new service's id and warnings.
pub static CREATE: Operation = Operation::new(
    "ServiceCreate",
    "POST",
    "/services/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /services/{id}/update`: answers with warnings.
pub static UPDATE: Operation = Operation::new(
    "ServiceUpdate",
    "POST",
    "/services/{id}/update",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `DELETE /services/{id}`.
pub static DELETE: Operation = Operation::new(
    "ServiceDelete",
    "DELETE",
    "/services/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `GET /services/{id}/logs`: stdcopy frames (raw for a TTY service).
pub static LOGS: Operation = Operation::new(
    "ServiceLogs",
    "GET",
    "/services/{id}/logs",
    RequestBody::None,
    ResponseKind::Stdcopy,
);

/// Options of [`list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListServicesOptions {
    /// Filters: `id`, `label`, `mode`, `name`.
    pub filters: Option<Filters>,
    /// `status`: include the counts of running and desired tasks (API 1.41+).
    pub status: bool,
}

/// Options of [`update`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateServiceOptions {
    /// `registryAuthFrom`: where the daemon finds registry credentials when no
    /// `X-Registry-Auth` is sent: `spec` (its default) or `previous-spec`.
    pub registry_auth_from: Option<String>,
    /// `rollback`: `previous` rolls back to the previous spec (the body is then ignored).
    pub rollback: Option<String>,
    /// `X-Registry-Auth`: base64url of the auth JSON, for a private registry. Sent as given.
    pub registry_auth: Option<String>,
}

/// Options of [`logs`] and of [`tasks::logs`](crate::tasks::logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLogsOptions {
    /// `details`: show the extra details given to the log driver (labels, env).
    pub details: bool,
    /// Keep the stream open and send new output as it comes (no idle limit unless
    /// `idle_timeout` sets one).
    pub follow: bool,
    /// Include stdout (default true).
    pub stdout: bool,
    /// Include stderr (default true).
    pub stderr: bool,
    /// Only output since this time (Unix seconds, possibly fractional, or RFC 3339).
    pub since: Option<String>,
    /// Prefix every line with an RFC 3339 timestamp.
    pub timestamps: bool,
    /// Only this many last lines (`"all"` or a number).
    pub tail: Option<String>,
    /// Whether the service's tasks have a TTY (raw output). `None`: the adapter finds out
    /// (API 1.42+ says it in the response's `Content-Type`).
    pub tty: Option<bool>,
    /// Idle timeout for this stream (`Default`: the client's, or none when following).
    pub idle_timeout: Timeout,
}

impl Default for ServiceLogsOptions {
    fn default() -> Self {
        ServiceLogsOptions {
            details: false,
            follow: false,
            stdout: true,
            stderr: true,
            since: None,
            timestamps: false,
            tail: None,
            tty: None,
            idle_timeout: Timeout::Default,
        }
    }
}

/// `GET /services?filters=&status=`.
pub fn list(opts: &ListServicesOptions) -> Call<'_> {
    crate::filters(Call::new(&LIST), opts.filters.as_ref()).flag("status", opts.status)
}

/// `GET /services/{id}?insertDefaults=`: with `insert_defaults`, the spec is filled with the
/// daemon's defaults.
pub fn inspect(service: &str, insert_defaults: bool) -> Call<'_> {
    Call::new(&INSPECT)
        .param("id", plain(service))
        .flag("insertDefaults", insert_defaults)
}

/// `POST /services/create`: `spec` is the service spec as JSON (`Name`, `TaskTemplate`,
/// `Mode`…); `registry_auth` is sent as `X-Registry-Auth` for a private image.
pub fn create<'a>(spec: impl Into<Cow<'a, [u8]>>, registry_auth: Option<&'a str>) -> Call<'a> {
    crate::registry_auth(Call::new(&CREATE).json(spec), registry_auth)
}

/// `POST /services/{id}/update?version=&registryAuthFrom=&rollback=`: `version` is the
/// service's current `Version.Index`; `spec` is the whole new spec as JSON.
pub fn update<'a>(
    service: &'a str,
    version: u64,
    opts: &'a UpdateServiceOptions,
    spec: impl Into<Cow<'a, [u8]>>,
) -> Call<'a> {
    let call = Call::new(&UPDATE)
        .param("id", plain(service))
        .query("version", crate::num(version))
        .opt("registryAuthFrom", opts.registry_auth_from.as_deref())
        .opt("rollback", opts.rollback.as_deref())
        .json(spec);
    crate::registry_auth(call, opts.registry_auth.as_deref())
}

/// `DELETE /services/{id}`.
pub fn remove(service: &str) -> Call<'_> {
    Call::new(&DELETE).param("id", plain(service))
}

/// `GET /services/{id}/logs` (the service's log driver must support reading: `json-file`,
/// `local`, `journald`).
pub fn logs<'a>(service: &'a str, opts: &'a ServiceLogsOptions) -> Call<'a> {
    swarm_logs(Call::new(&LOGS).param("id", plain(service)), opts)
}

/// The query, idle timeout and framing of a service's or a task's logs.
pub(crate) fn swarm_logs<'a>(call: Call<'a>, opts: &'a ServiceLogsOptions) -> Call<'a> {
    let idle = if opts.follow {
        opts.idle_timeout.or(Timeout::Off)
    } else {
        opts.idle_timeout
    };
    call.flag("details", opts.details)
        .flag("follow", opts.follow)
        .query("stdout", bool_str(opts.stdout))
        .query("stderr", bool_str(opts.stderr))
        .opt("since", opts.since.as_deref())
        .flag("timestamps", opts.timestamps)
        .opt("tail", opts.tail.as_deref())
        .idle_timeout(idle)
        .mode(opts.tty.map(mode_for_tty))
}
