//! Swarm tasks: list, inspect, logs.

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;
use crate::services::{swarm_logs, ServiceLogsOptions};

/// `GET /tasks`.
pub static LIST: Operation = Operation::new(
    "TaskList",
    "GET",
    "/tasks",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /tasks/{id}`.
pub static INSPECT: Operation = Operation::new(
    "TaskInspect",
    "GET",
    "/tasks/{id}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /tasks/{id}/logs`: stdcopy frames (raw for a TTY task).
pub static LOGS: Operation = Operation::new(
    "TaskLogs",
    "GET",
    "/tasks/{id}/logs",
    RequestBody::None,
    ResponseKind::Stdcopy,
);

/// Options of [`logs`]: the same as a service's.
pub type TaskLogsOptions = ServiceLogsOptions;

/// `GET /tasks?filters=` (filters `desired-state`, `id`, `label`, `name`, `node`, `service`).
pub fn list<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&LIST), filters)
}

/// `GET /tasks/{id}`.
pub fn inspect(task: &str) -> Call<'_> {
    Call::new(&INSPECT).param("id", plain(task))
}

/// `GET /tasks/{id}/logs`.
pub fn logs<'a>(task: &'a str, opts: &'a TaskLogsOptions) -> Call<'a> {
    swarm_logs(Call::new(&LOGS).param("id", plain(task)), opts)
}
