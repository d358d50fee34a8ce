//! Containers: list, create, inspect, start, stop, restart, kill, wait, logs, attach (hijacked
//! or WebSocket), remove, top, stats, pause, unpause, rename, update, resize, prune, changes,
//! export, and the archive of a path (get, stat, put).

mod files;
mod manage;

pub use files::{
    archive, archive_info, changes, export, put_archive, PutArchiveOptions, ARCHIVE, ARCHIVE_INFO,
    CHANGES, EXPORT, PUT_ARCHIVE,
};
pub use manage::{
    pause, prune, rename, resize, unpause, update, PAUSE, PRUNE, RENAME, RESIZE, UNPAUSE, UPDATE,
};

use alloc::borrow::Cow;
use alloc::string::{String, ToString};

use docksock_proto::encode::PathParam;
use docksock_proto::stdcopy::Mode;
use docksock_proto::timeout::Timeout;
use docksock_proto::version::ApiVersion;

use crate::bool_str;
use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `GET /containers/json`.
pub static LIST: Operation = Operation::new(
    "ContainerList",
    "GET",
    "/containers/json",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /containers/create`.
pub static CREATE: Operation = Operation::new(
    "ContainerCreate",
    "POST",
    "/containers/create",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `GET /containers/{id}/json`.
pub static INSPECT: Operation = Operation::new(
    "ContainerInspect",
    "GET",
    "/containers/{id}/json",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /containers/{id}/start`; `304` (already started) is success.
pub static START: Operation = Operation::new(
    "ContainerStart",
    "POST",
    "/containers/{id}/start",
    RequestBody::None,
    ResponseKind::Empty,
)
.also_success(&[304]);
/// `POST /containers/{id}/stop`; `304` (already stopped) is success.
pub static STOP: Operation = Operation::new(
    "ContainerStop",
    "POST",
    "/containers/{id}/stop",
    RequestBody::None,
    ResponseKind::Empty,
)
.also_success(&[304]);
/// `POST /containers/{id}/restart`.
pub static RESTART: Operation = Operation::new(
    "ContainerRestart",
    "POST",
    "/containers/{id}/restart",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/{id}/kill`.
pub static KILL: Operation = Operation::new(
    "ContainerKill",
    "POST",
    "/containers/{id}/kill",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `POST /containers/{id}/wait`: blocks until the container stops, for as long as that takes
/// (no idle limit unless the call sets one).
pub static WAIT: Operation = Operation::new(
    "ContainerWait",
    "POST",
    "/containers/{id}/wait",
    RequestBody::None,
    ResponseKind::Json,
)
.idle(Timeout::Off);
/// `GET /containers/{id}/logs`: stdcopy frames (raw for a TTY container).
pub static LOGS: Operation = Operation::new(
    "ContainerLogs",
    "GET",
    "/containers/{id}/logs",
    RequestBody::None,
    ResponseKind::Stdcopy,
);
/// `POST /containers/{id}/attach`: a hijacked stream (no idle limit: a container may be quiet
/// for as long as it likes).
pub static ATTACH: Operation = Operation::new(
    "ContainerAttach",
    "POST",
    "/containers/{id}/attach",
    RequestBody::None,
    ResponseKind::Hijack,
)
.idle(Timeout::Off);
/// `GET /containers/{id}/attach/ws`: attach over a WebSocket (see
/// [`ResponseKind::WebSocket`]; no idle limit).
pub static ATTACH_WEBSOCKET: Operation = Operation::new(
    "ContainerAttachWebsocket",
    "GET",
    "/containers/{id}/attach/ws",
    RequestBody::None,
    ResponseKind::WebSocket,
)
.idle(Timeout::Off);
/// `DELETE /containers/{id}`.
pub static DELETE: Operation = Operation::new(
    "ContainerDelete",
    "DELETE",
    "/containers/{id}",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `GET /containers/{id}/top`.
pub static TOP: Operation = Operation::new(
    "ContainerTop",
    "GET",
    "/containers/{id}/top",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /containers/{id}/stats`: one sample, or a JSON message stream.
pub static STATS: Operation = Operation::new(
    "ContainerStats",
    "GET",
    "/containers/{id}/stats",
    RequestBody::None,
    ResponseKind::JsonStream,
);

/// A container id or name. A name as the engine lists it (`/web`, with its leading `/`) is
/// the same container as `web`: the `/` is dropped, as the engine does.
fn id(id: &str) -> PathParam<'_> {
    crate::plain(id.strip_prefix('/').unwrap_or(id))
}

/// The stdcopy framing of a container's output: raw with a TTY.
pub const fn mode_for_tty(tty: bool) -> Mode {
    if tty {
        Mode::Raw
    } else {
        Mode::Multiplexed
    }
}

/// The `Content-Type` of a multiplexed (stdcopy-framed) attach, exec or logs stream.
pub const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// The `Content-Type` of a raw (TTY) attach, exec or logs stream.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

/// The first API version whose attach, exec start and logs responses say their framing in the
/// `Content-Type`.
pub const STREAM_TYPE_SINCE: ApiVersion = ApiVersion::new(1, 42);

/// The framing an attach, exec start or logs response declares in its `Content-Type`, for a
/// request made at API `version`; `None` when it declares nothing the client can rely on.
///
/// * [`MULTIPLEXED_STREAM`] is [`Mode::Multiplexed`] at any version.
/// * [`RAW_STREAM`] is [`Mode::Raw`] only from API 1.42 ([`STREAM_TYPE_SINCE`]): before that
///   dockerd sent it on every attach and exec, TTY or not (Docker 20.10, Podman before 4.7).
/// * No `Content-Type` (dockerd's logs before API 1.42) or another one: `None`; the caller
///   falls back to the container's or exec's `Tty`.
///
/// Parameters (`; charset=…`) and the case of the media type are ignored.
///
/// ```
/// use docksock_api::containers::{mode_from_content_type, MULTIPLEXED_STREAM, RAW_STREAM};
/// use docksock_proto::stdcopy::Mode;
/// use docksock_proto::version::ApiVersion;
///
/// let v141 = ApiVersion::new(1, 41);
/// let v151 = ApiVersion::new(1, 51);
/// assert_eq!(mode_from_content_type(Some(RAW_STREAM), v151), Some(Mode::Raw));
/// assert_eq!(mode_from_content_type(Some(RAW_STREAM), v141), None);
/// assert_eq!(mode_from_content_type(Some(MULTIPLEXED_STREAM), v141), Some(Mode::Multiplexed));
/// assert_eq!(mode_from_content_type(None, v151), None);
/// ```
pub fn mode_from_content_type(content_type: Option<&str>, version: ApiVersion) -> Option<Mode> {
    let media = content_type?.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case(MULTIPLEXED_STREAM) {
        Some(Mode::Multiplexed)
    } else if media.eq_ignore_ascii_case(RAW_STREAM) && version >= STREAM_TYPE_SINCE {
        Some(Mode::Raw)
    } else {
        None
    }
}

/// Options of [`list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListContainersOptions {
    /// Include stopped containers.
    pub all: bool,
    /// At most this many, newest first.
    pub limit: Option<u32>,
    /// Include sizes.
    pub size: bool,
    /// Filters, for example `name=web`, `status=running`.
    pub filters: Option<Filters>,
}

/// Options of [`remove`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveContainerOptions {
    /// Kill a running container first.
    pub force: bool,
    /// `v`: also remove its anonymous volumes.
    pub volumes: bool,
    /// Remove a link instead of the container.
    pub link: bool,
}

/// Options of [`wait`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitOptions {
    /// `not-running` (default), `next-exit` or `removed`.
    pub condition: Option<String>,
    /// How long to wait at most. Default: no limit.
    pub timeout: Timeout,
}

/// Options of [`logs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsOptions {
    /// Keep the stream open and send new output as it comes (no idle limit unless
    /// `idle_timeout` sets one).
    pub follow: bool,
    /// Include stdout (default true).
    pub stdout: bool,
    /// Include stderr (default true).
    pub stderr: bool,
    /// Only output since this time (Unix seconds, possibly fractional, or RFC 3339).
    pub since: Option<String>,
    /// Only output before this time.
    pub until: Option<String>,
    /// Prefix every line with an RFC 3339 timestamp.
    pub timestamps: bool,
    /// Only this many last lines (`"all"` or a number).
    pub tail: Option<String>,
    /// Whether the container has a TTY (raw output). `None`: the adapter finds out.
    pub tty: Option<bool>,
    /// Idle timeout for this stream (`Default`: the client's, or none when following).
    pub idle_timeout: Timeout,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            follow: false,
            stdout: true,
            stderr: true,
            since: None,
            until: None,
            timestamps: false,
            tail: None,
            tty: None,
            idle_timeout: Timeout::Default,
        }
    }
}

/// Options of [`attach`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachOptions {
    /// Stream live output (default true).
    pub stream: bool,
    /// Replay the output so far first.
    pub logs: bool,
    /// Attach stdin (default true).
    pub stdin: bool,
    /// Attach stdout (default true).
    pub stdout: bool,
    /// Attach stderr (default true).
    pub stderr: bool,
    /// The key sequence that detaches, like `ctrl-p,ctrl-q`.
    pub detach_keys: Option<String>,
    /// Whether the container has a TTY (raw output). `None`: the adapter finds out.
    pub tty: Option<bool>,
}

impl Default for AttachOptions {
    fn default() -> Self {
        AttachOptions {
            stream: true,
            logs: false,
            stdin: true,
            stdout: true,
            stderr: true,
            detach_keys: None,
            tty: None,
        }
    }
}

/// `GET /containers/json`.
pub fn list(opts: &ListContainersOptions) -> Call<'_> {
    Call::new(&LIST)
        .flag("all", opts.all)
        .opt("limit", opts.limit.map(|l| l.to_string()))
        .flag("size", opts.size)
        .opt("filters", opts.filters.as_ref().map(Filters::to_json))
}

/// `POST /containers/create?name=`: `config` is the create body as JSON (`Image`, `Cmd`,
/// `HostConfig`…). The description's `platform` query parameter (API 1.41+) is added with
/// `.query("platform", "linux/arm64")` on the call.
pub fn create<'a>(name: Option<&'a str>, config: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE).opt("name", name).json(config)
}

/// `GET /containers/{id}/json`. Sizes (`SizeRw`, `SizeRootFs`) with `.query("size", "1")`
/// on the call.
pub fn inspect(container: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", id(container))
}

/// `POST /containers/{id}/start`. A `detachKeys` override with `.query("detachKeys", …)`
/// on the call.
pub fn start(container: &str) -> Call<'_> {
    Call::new(&START).param("id", id(container))
}

/// `POST /containers/{id}/stop?t=`: SIGTERM, then SIGKILL after `timeout_secs` (the daemon's
/// default 10 s). The response-head timeout of the call is `head + grace`, where `head` is
/// the client's configured head timeout. Another signal than `SIGTERM` (API 1.42+) with
/// `.query("signal", "SIGINT")` on the call.
pub fn stop(
    container: &str,
    timeout_secs: Option<u32>,
    head: Option<core::time::Duration>,
) -> Call<'_> {
    stop_like(&STOP, container, timeout_secs, head)
}

/// `POST /containers/{id}/restart?t=`, with the head timeout extended like [`stop`].
pub fn restart(
    container: &str,
    timeout_secs: Option<u32>,
    head: Option<core::time::Duration>,
) -> Call<'_> {
    stop_like(&RESTART, container, timeout_secs, head)
}

fn stop_like<'a>(
    op: &'static Operation,
    container: &'a str,
    timeout_secs: Option<u32>,
    head: Option<core::time::Duration>,
) -> Call<'a> {
    let grace = core::time::Duration::from_secs(u64::from(timeout_secs.unwrap_or(10)));
    Call::new(op)
        .param("id", id(container))
        .opt("t", timeout_secs.map(|t| t.to_string()))
        .head_timeout(Timeout::from_option(head.map(|h| h.saturating_add(grace))))
}

/// `POST /containers/{id}/kill?signal=` (default `SIGKILL`).
pub fn kill<'a>(container: &'a str, signal: Option<&'a str>) -> Call<'a> {
    Call::new(&KILL)
        .param("id", id(container))
        .opt("signal", signal)
}

/// `POST /containers/{id}/wait?condition=`.
pub fn wait<'a>(container: &'a str, opts: &'a WaitOptions) -> Call<'a> {
    Call::new(&WAIT)
        .param("id", id(container))
        .opt("condition", opts.condition.as_deref())
        .idle_timeout(opts.timeout)
        .head_timeout(opts.timeout)
}

/// `GET /containers/{id}/logs`.
pub fn logs<'a>(container: &'a str, opts: &'a LogsOptions) -> Call<'a> {
    let idle = if opts.follow {
        opts.idle_timeout.or(Timeout::Off)
    } else {
        opts.idle_timeout
    };
    Call::new(&LOGS)
        .param("id", id(container))
        .flag("follow", opts.follow)
        .query("stdout", bool_str(opts.stdout))
        .query("stderr", bool_str(opts.stderr))
        .opt("since", opts.since.as_deref())
        .opt("until", opts.until.as_deref())
        .flag("timestamps", opts.timestamps)
        .opt("tail", opts.tail.as_deref())
        .idle_timeout(idle)
        .mode(opts.tty.map(mode_for_tty))
}

/// `POST /containers/{id}/attach` with `Upgrade: tcp`.
pub fn attach<'a>(container: &'a str, opts: &'a AttachOptions) -> Call<'a> {
    Call::new(&ATTACH)
        .param("id", id(container))
        .query("stream", bool_str(opts.stream))
        .query("logs", bool_str(opts.logs))
        .query("stdin", bool_str(opts.stdin))
        .query("stdout", bool_str(opts.stdout))
        .query("stderr", bool_str(opts.stderr))
        .opt("detachKeys", opts.detach_keys.as_deref())
        .mode(opts.tty.map(mode_for_tty))
}

/// `GET /containers/{id}/attach/ws?stream=&logs=&stdin=&stdout=&stderr=&detachKeys=`: the
/// query of [`attach`], with a WebSocket opening handshake instead of `Upgrade: tcp` once the
/// adapter sets the key ([`Call::websocket_key`]; see [`ATTACH_WEBSOCKET`]). dockerd honours
/// `stdin`, `stdout` and `stderr` from API 1.42 on (before, all three are attached), and sends
/// the output unmultiplexed whatever the container's `Tty`.
pub fn attach_websocket<'a>(container: &'a str, opts: &'a AttachOptions) -> Call<'a> {
    Call::new(&ATTACH_WEBSOCKET)
        .param("id", id(container))
        .query("stream", bool_str(opts.stream))
        .query("logs", bool_str(opts.logs))
        .query("stdin", bool_str(opts.stdin))
        .query("stdout", bool_str(opts.stdout))
        .query("stderr", bool_str(opts.stderr))
        .opt("detachKeys", opts.detach_keys.as_deref())
}

/// `DELETE /containers/{id}?force=&v=&link=`.
pub fn remove<'a>(container: &'a str, opts: &RemoveContainerOptions) -> Call<'a> {
    Call::new(&DELETE)
        .param("id", id(container))
        .flag("force", opts.force)
        .flag("v", opts.volumes)
        .flag("link", opts.link)
}

/// `GET /containers/{id}/top?ps_args=`.
pub fn top<'a>(container: &'a str, ps_args: Option<&'a str>) -> Call<'a> {
    Call::new(&TOP)
        .param("id", id(container))
        .opt("ps_args", ps_args)
}

/// `GET /containers/{id}/stats?stream=`: one sample (`stream=false`, about a second: the
/// daemon measures CPU over an interval) or a sample a second (no idle limit). With
/// `.query("one-shot", "1")` on a single-sample call (API 1.41+), the daemon answers at once
/// without the second sample (CPU percentages cannot be computed then).
pub fn stats(container: &str, stream: bool) -> Call<'_> {
    let call = Call::new(&STATS)
        .param("id", id(container))
        .query("stream", if stream { "true" } else { "false" });
    if stream {
        call.idle_timeout(Timeout::Off)
    } else {
        call
    }
}
