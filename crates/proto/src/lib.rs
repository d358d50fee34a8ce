//! # docksock-proto
//!
//! A sans-IO HTTP/1.1 client protocol engine for the Docker Engine API over a Unix socket.
//! No sockets, no clocks, no threads, no allocation on the hot path: bytes in, events and bytes
//! out, into buffers the caller owns.
//!
//! * [`encode`] — requests: method, templated path with percent-encoded parameters, API version
//!   prefix, query, validated headers, body framing, upgrade and `Expect: 100-continue`.
//! * [`ResponseDecoder`] — strict, incremental, zero-copy response decoding (RFC 9112 framing,
//!   chunked bodies, trailers, informational responses, keep-alive, pipelining, upgrades).
//! * [`ChunkedDecoder`] — the chunked transfer coding on its own.
//! * [`stdcopy`] — Docker's multiplexed stdout/stderr stream format.
//! * [`exchange`] — one connection's rules (pipelining, reuse, early answers, upgrades, body
//!   splitting, deadlines, retries) as a sans-IO state machine around the decoder.
//! * [`json`] — splitting a body into whole JSON messages (events, progress, stats).
//! * [`version`] — API version negotiation as pure functions.
//! * [`timeout`] — the timeout vocabulary every adapter shares.
//! * [`websocket`] — the WebSocket opening handshake and frame codec (attach over WebSocket).
//!
//! The wire policy is strict: every place where RFC 9112 allows leniency, this crate rejects
//! (bare LF, obs-fold, conflicting framing headers, chunk-size overflow…). See [`PeerError`].
//!
//! ## Features
//! * `alloc` — `Vec<u8>` conveniences for encoding.
//! * `std` (default, implies `alloc`) — `std::error::Error` impls and memchr's runtime SIMD
//!   detection.
//!
//! Without features the crate is `#![no_std]` and needs no allocator.
#![no_std]
// `unsafe` is allowed in one module only, `simd` (vector scans), which opts in by itself.
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod chars;
mod chunked;
mod decode;
pub mod encode;
mod error;
pub mod exchange;
mod head;
pub mod json;
mod num;
#[doc(hidden)]
pub mod simd;
pub mod stdcopy;
pub mod timeout;
pub mod version;
pub mod websocket;

pub use chunked::{ChunkedDecoder, ChunkedEvent};
pub use decode::{Decoded, Event, Limits, ResponseDecoder};
pub use error::{Error, MisuseError, PeerError};
pub use head::{BodyKind, Head, Header, HeaderIter, Headers, Version};
