//! # docksock-models
//!
//! Typed, tolerant models of the request and response bodies of the Docker Engine API v1.51,
//! generated from the API description by `generate.py` (run it again after changing the
//! description or its override tables; a test fails when the generated files are stale).
//!
//! They are for engines as they are, not as described:
//!
//! * **Any field may be missing.** Every field is an `Option`, and a struct decodes from `{}`.
//!   Fields the models do not know are ignored.
//! * **Any enum may grow.** Every enum keeps a value it does not know in its `Other` variant,
//!   and writes it back as it came (Podman's container states `stopped` and `stopping`).
//! * **Numbers as engines send them.** Integers decode from any JSON number; sizes are `i64`
//!   (`-1` for "unknown"), counters the description calls `uint64` are `u64` (a negative
//!   value wraps, as in Go); `number` is `f64`.
//! * **Timestamps as sent**: RFC 3339 strings with nanoseconds stay `String`s; Unix times are
//!   integers (`Created` of a container or image summary, `time`/`timeNano` of an event).
//! * **`null` where a list or map is expected** (dockerd writes `null` for empty lists) is
//!   `None`; a `null` value in a map of strings is `""`; in a map of objects or lists (the port
//!   map's unpublished ports) it is `None`.
//! * **Request bodies send only what is set**: `None` fields are skipped, and names are the
//!   API's own (`PascalCase` mostly, `camelCase` or `snake_case` where the API says so).
//!
//! The raw JSON stays one call away: a [`Typed`] call is a plain [`docksock_api::Call`]
//! ([`Typed::into_call`]), and any model converts with `serde_json::to_value`.
//!
//! ```
//! use docksock_models::{ContainerStateStatus, ContainerSummary};
//!
//! let podman = r#"[{"Id": "4f2c", "State": "stopped", "Names": null, "Ports": null, "Extra": 1}]"#;
//! let list: Vec<ContainerSummary> = serde_json::from_str(podman)?;
//! assert_eq!(list[0].state, Some(ContainerStateStatus::Other("stopped".into())));
//! assert_eq!(list[0].names, None);
//! assert_eq!(serde_json::to_string(&list[0].state)?, r#""stopped""#);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Builders for the bodies written daily are in [`builders`]: container create, exec create,
//! network create and volume create. Typed call functions for the common operations are in
//! [`calls`]; the blocking client runs them with `Client::run_typed` (feature `models` of
//! `docksock`).
#![forbid(unsafe_code)]

pub mod builders;
pub mod calls;
mod de;
mod generated;
mod typed;

pub use generated::operations::{response_round_trip, OPERATIONS};
pub use generated::*;
pub use typed::{Typed, TypedStream};

/// The operations layer the typed calls wrap.
pub use docksock_api as api;
