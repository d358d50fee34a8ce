//! # docksock-mio
//!
//! Drives the core ([`proto`], `docksock-proto`) on a [`mio`] event loop, so that one thread can hold hundreds of
//! Docker Engine API requests and streams at once — follow the logs of every container, watch
//! events, wait for exits — with no threads and no async runtime.
//!
//! * [`Connection`] — one Unix-socket connection that fits into **your** [`mio::Poll`]: you own
//!   the loop and the tokens, hand it readiness events and the time (`handle_*`), and take its
//!   outputs ([`poll_event`](Connection::poll_event)). Requests are pipelined where HTTP/1.1
//!   allows; responses come as [`Output`] events: head, body data, whole JSON messages, stdout/
//!   stderr frames, end, error; hijacked attach/exec streams too (stdin written when writable,
//!   half-close). The call order is on [`Connection`].
//! * [`Driver`] — a convenience loop on top: it owns a `Poll` and many connections.
//!
//! Time is a parameter: every connection reports [`next_deadline`](Connection::next_deadline)
//! (head, idle between body bytes, write stall, connect — see [`Config`]); you pass the
//! earliest one to `Poll::poll` and call [`handle_timeout`](Connection::handle_timeout). An
//! expired deadline fails the request with [`Error::Timeout`] and closes the connection.
//!
//! Back-pressure: each connection reads into a fixed buffer ([`Config::read_buffer`], 64 KiB);
//! when the consumer leaves it full, reading pauses, so nothing grows without bound.
//!
//! Outputs borrow the connection's buffer (zero-copy): a `Data`, `Json` or `Frame` slice is
//! valid until the next call on that connection. This is a lending `poll_event`, so the usual
//! `while let Some(out) = conn.poll_event() { … }` loop works, and the borrow checker stops a
//! slice from outliving its bytes. Copy what you keep.
//!
//! # Embedding a connection in your own loop
//!
//! ```no_run
//! use std::time::Instant;
//!
//! use docksock_mio::proto::encode::RequestSpec;
//! use docksock_mio::proto::timeout::Timeout;
//! use docksock_mio::{BodyMode, Config, Connection, Output};
//! use mio::{Events, Poll, Token};
//!
//! const DOCKER: Token = Token(7); // your token; your other sockets use others
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(256);
//! let mut conn = Connection::connect("/var/run/docker.sock", Config::default(), Instant::now())?;
//! conn.register(poll.registry(), DOCKER)?;
//!
//! // Two requests, pipelined on the one connection: a version check and the event stream.
//! let version = conn
//!     .send(poll.registry(), &docksock_mio::Request::new(RequestSpec::new("GET", "/version")), Instant::now())
//!     .expect("valid request");
//! let stream = docksock_mio::Request::new(RequestSpec::new("GET", "/events"))
//!     .mode(BodyMode::Json)
//!     .idle_timeout(Timeout::Off); // an event stream may be silent for hours
//! let events_id = conn.send(poll.registry(), &stream, Instant::now()).expect("valid request");
//!
//! let mut seen = 0;
//! while seen < 3 {
//!     // Sleep until readiness or the connection's next deadline, whichever comes first.
//!     let timeout = conn.next_deadline().map(|d| d.saturating_duration_since(Instant::now()));
//!     poll.poll(&mut events, timeout)?;
//!     let now = Instant::now();
//!     for event in events.iter() {
//!         if event.token() == DOCKER {
//!             conn.handle_event(poll.registry(), event, now);
//!         } // else: your own sockets
//!     }
//!     conn.handle_timeout(now); // fires expired deadlines; resumes reading after back-pressure
//!     while let Some(out) = conn.poll_event() {
//!         match out {
//!             Output::Head { id, head } => println!("{id}: {}", head.status()),
//!             Output::Data { id, data } if id == version => {
//!                 println!("version: {}", String::from_utf8_lossy(data))
//!             }
//!             Output::Json { id, message } if id == events_id => {
//!                 println!("event: {}", String::from_utf8_lossy(message));
//!                 seen += 1;
//!             }
//!             Output::End { id } => println!("{id} complete"),
//!             Output::Error { id, error } => eprintln!("{id} failed: {error}"),
//!             Output::Closed { error } => {
//!                 eprintln!("connection closed: {error:?}");
//!                 return Ok(());
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Run a complete program with `cargo run -p docksock-mio --example follow -- --seconds 10`;
//! `--example fanout` measures many keep-alive connections in one thread.
//!
//! # Reuse and pipelining
//!
//! Every rule of a connection — when it may be reused, what may be pipelined, early answers,
//! upgrades, body splitting, deadlines — is decided by the core's
//! [`Exchange`](proto::exchange::Exchange); a [`Connection`] is the socket, the buffers and
//! the I/O loop around it. A connection is reused only when the exchange says so: see
//! [`Connection::is_idle`]. Requests
//! are never pipelined behind an upgrade, a streamed body or a request marked
//! [`exclusive`](Request::exclusive) (a hijacking endpoint answering with a close-delimited
//! body).
//!
//! # Portability
//!
//! Unix only (Unix-domain sockets). Tested on Linux with epoll.
#![forbid(unsafe_code)]

mod conn;
mod driver;
mod error;
mod output;
mod request;

pub use conn::{Connection, Stats, Stream};
pub use docksock_proto::timeout::Timeout;
pub use docksock_proto::{Header, Headers};
pub use driver::{ConnId, Driver};
pub use error::{Error, SendError, TimeoutKind};
pub use output::{Output, RequestId, ResponseHead};
pub use request::{BodyMode, Config, Request};

/// The core: `docksock-proto`, the same crate the other adapters re-export as `proto`.
pub use docksock_proto as proto;
#[doc(hidden)]
pub use docksock_proto;
pub use mio;
