//! Exec: create, start (attached as a hijacked stream, or detached), inspect, resize.

use alloc::borrow::Cow;

use docksock_proto::encode::PathParam;
use docksock_proto::stdcopy::Mode;

use crate::call::Call;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `POST /containers/{id}/exec`.
pub static CREATE: Operation = Operation::new(
    "ContainerExec",
    "POST",
    "/containers/{id}/exec",
    RequestBody::Json,
    ResponseKind::Json,
);
/// `POST /exec/{id}/start`: attached, a hijacked stream (detached: see [`start_detached`]).
pub static START: Operation = Operation::new(
    "ExecStart",
    "POST",
    "/exec/{id}/start",
    RequestBody::Json,
    ResponseKind::Hijack,
);
/// `POST /exec/{id}/start` with `Detach: true`: nothing to read.
pub static START_DETACHED: Operation = Operation::new(
    "ExecStart",
    "POST",
    "/exec/{id}/start",
    RequestBody::Json,
    ResponseKind::Empty,
);
/// `GET /exec/{id}/json`.
pub static INSPECT: Operation = Operation::new(
    "ExecInspect",
    "GET",
    "/exec/{id}/json",
    RequestBody::None,
    ResponseKind::Json,
);

/// `POST /exec/{id}/resize`: the TTY's size.
pub static RESIZE: Operation = Operation::new(
    "ExecResize",
    "POST",
    "/exec/{id}/resize",
    RequestBody::None,
    ResponseKind::Empty,
);

/// `POST /containers/{id}/exec`: `config` is the exec body as JSON (`Cmd`, `AttachStdout`,
/// `Tty`, `Env`…).
pub fn create<'a>(container: &'a str, config: impl Into<Cow<'a, [u8]>>) -> Call<'a> {
    Call::new(&CREATE)
        .param("id", PathParam::Plain(container))
        .json(config)
}

/// `POST /exec/{id}/start` attached, with `Upgrade: tcp`; `tty` as the exec was created
/// (raw output) or not (stdcopy). For another body (`ConsoleSize`), replace it with
/// `.json(…)` on the call.
pub fn start(exec_id: &str, tty: bool) -> Call<'_> {
    let body: &'static [u8] = if tty {
        br#"{"Detach":false,"Tty":true}"#
    } else {
        br#"{"Detach":false,"Tty":false}"#
    };
    let mode = if tty { Mode::Raw } else { Mode::Multiplexed };
    Call::new(&START)
        .param("id", PathParam::Plain(exec_id))
        .json(body)
        .mode(Some(mode))
}

/// `POST /exec/{id}/start` detached.
pub fn start_detached(exec_id: &str) -> Call<'_> {
    Call::new(&START_DETACHED)
        .param("id", PathParam::Plain(exec_id))
        .json(&br#"{"Detach":true,"Tty":false}"#[..])
}

/// `GET /exec/{id}/json`.
pub fn inspect(exec_id: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", PathParam::Plain(exec_id))
}

/// `POST /exec/{id}/resize?h=&w=`: the TTY's height and width in characters (an exec
/// created and started with a TTY).
pub fn resize(exec_id: &str, height: u32, width: u32) -> Call<'_> {
    Call::new(&RESIZE)
        .param("id", PathParam::Plain(exec_id))
        .query("h", crate::num(height))
        .query("w", crate::num(width))
}
