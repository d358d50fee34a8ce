//! The script: the [`Step`]s a [`FaultServer`] runs, and the recorded
//! dockerd answer scripts most often write.

use std::time::Duration;

#[cfg(doc)]
use super::FaultServer;

/// One step of a [`FaultServer`] script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Read one whole HTTP request: the head up to the empty line, then its body (`Content-Length`
    /// bytes, or a chunked body through the last chunk and trailers; `Transfer-Encoding: chunked`
    /// wins over `Content-Length`). The raw bytes are recorded as one entry of
    /// [`FaultServer::requests`]. Bytes after the request (a pipelined request) stay buffered for
    /// the next read step. Same as [`Step::ReadHead`] followed by [`Step::ReadBody`].
    ReadRequest,
    /// Read only a request head (through the empty line) and record it as a new entry of
    /// [`FaultServer::requests`]. Use with [`Step::ReadBody`] to answer `Expect: 100-continue`
    /// (`ReadHead, Write(100 Continue), ReadBody, Write(response)`) or to answer before the body.
    ReadHead,
    /// Read the body announced by the last head read on this connection and append it to the last
    /// entry of [`FaultServer::requests`].
    ReadBody,
    /// Read until the client shuts down its write side or closes (bytes only show in
    /// [`FaultServer::received`]). For hijacked-stream tests.
    ReadToEof,
    /// Read exactly this many bytes after the last request (the frames of an upgraded stream;
    /// they show in [`FaultServer::received`]).
    ReadBytes(usize),
    /// Answer the WebSocket handshake of the last request read with a valid `101` (its
    /// `Sec-WebSocket-Accept` computed from the request's `Sec-WebSocket-Key`), then write
    /// these bytes.
    AcceptWebSocket(Vec<u8>),
    /// Write these bytes (all of them, in as few writes as the kernel allows).
    Write(Vec<u8>),
    /// Write the bytes one at a time, waiting `delay` between two bytes.
    Drip {
        /// The bytes to send.
        bytes: Vec<u8>,
        /// The pause between two single-byte writes.
        delay: Duration,
    },
    /// Write `chunk` this many times (a large hostile body in constant memory: 64 KiB × 16384
    /// is 1 GiB). Stops quietly when the client goes away.
    Repeat {
        /// The bytes written each time.
        chunk: Vec<u8>,
        /// How many times.
        times: u64,
    },
    /// Do nothing for this long (the current connection stays as it is).
    Sleep(Duration),
    /// Close the current connection (the client sees EOF).
    Close,
    /// Shut down the write side of the current connection (the client sees EOF; the server can
    /// still read).
    ShutdownWrite,
    /// Keep the current connection open without reading or answering until the server is dropped.
    Hang,
    /// Close the current connection, if any, and take the next one.
    Accept,
}

impl Step {
    /// `Step::Write` from anything byte-like: `Step::write("HTTP/1.1 204 No Content\r\n\r\n")`.
    pub fn write(bytes: impl AsRef<[u8]>) -> Step {
        Step::Write(bytes.as_ref().to_vec())
    }

    /// `Step::Drip` from anything byte-like.
    pub fn drip(bytes: impl AsRef<[u8]>, delay: Duration) -> Step {
        Step::Drip {
            bytes: bytes.as_ref().to_vec(),
            delay,
        }
    }
}

/// The exact bytes dockerd 20.10.24 (API 1.41) sent for `GET /v1.41/_ping`: 289 bytes, a
/// `Content-Length: 2` response with body `OK` (recorded in `tests/wire/ping_get_v141.response`).
pub fn dockerd_ping_response() -> Vec<u8> {
    include_bytes!("../../wire/ping_get_v141.response").to_vec()
}
