//! Fixtures shared by the benchmarks (`benches/*.rs`) and the allocation test
//! (`tests/alloc.rs`): real dockerd recordings from `tests/wire/`, synthetic bodies of a given
//! shape, [`PingServer`], a Unix-socket server that replays dockerd's exact `/_ping` answer to
//! every request it reads, and [`hand_round_trip`], the hand-written client loop the
//! round-trip figures are compared with.
//!
//! See `BENCHMARKS.md` at the repository root for the figures and how to reproduce them.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use docksock_proto::{ChunkedDecoder, ChunkedEvent, Limits};

/// The bytes of `tests/wire/NAME.response`, a real dockerd response.
///
/// # Panics
///
/// When the recording is missing.
pub fn wire(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/wire")
        .join(format!("{name}.response"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Splits a response at the end of its head: `(head including the empty line, body)`.
///
/// # Panics
///
/// When there is no empty line.
pub fn split_head(resp: &[u8]) -> (&[u8], &[u8]) {
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    resp.split_at(end)
}

/// The data of a chunked body, decoded with the core (setup only, not measured).
///
/// # Panics
///
/// When the body is not valid chunked coding.
pub fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut dec = ChunkedDecoder::new(&Limits::default());
    let mut input = body;
    let mut out = Vec::with_capacity(body.len());
    loop {
        let (used, ev) = dec.decode(input).expect("valid chunked body");
        input = &input[used..];
        match ev {
            ChunkedEvent::Data(d) => out.extend_from_slice(d),
            ChunkedEvent::End => return out,
            ChunkedEvent::Trailers(_) => {}
            ChunkedEvent::NeedMore => panic!("truncated chunked body"),
        }
    }
}

/// A chunked body of `total` data bytes in chunks of `chunk` bytes, framed the way dockerd
/// frames it (lowercase hex, no extensions, `0\r\n\r\n` at the end).
pub fn chunked_body(total: usize, chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / chunk * 12 + 16);
    let mut left = total;
    let mut i = 0u8;
    while left > 0 {
        let n = chunk.min(left);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend((0..n).map(|k| b'a' + ((k as u8).wrapping_add(i)) % 26));
        out.extend_from_slice(b"\r\n");
        left -= n;
        i = i.wrapping_add(1);
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A stdcopy stream of `total` payload bytes in frames of `frame` bytes, alternating stdout
/// and stderr.
pub fn stdcopy_stream(total: usize, frame: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / frame * 8 + 8);
    let mut left = total;
    let mut stream = 1u8;
    while left > 0 {
        let n = frame.min(left);
        out.push(stream);
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&u32::try_from(n).expect("frame fits u32").to_be_bytes());
        out.resize(out.len() + n - 1, b'x');
        out.push(b'\n');
        left -= n;
        stream = 3 - stream;
    }
    out
}

/// A response head with 20 header fields of realistic sizes (dockerd's own plus the kind a
/// proxy adds), 814 bytes.
pub fn large_head() -> Vec<u8> {
    let fields: [(&str, &str); 20] = [
        ("Api-Version", "1.41"),
        ("Cache-Control", "no-cache, no-store, must-revalidate"),
        ("Content-Type", "application/json"),
        ("Docker-Experimental", "false"),
        ("Ostype", "linux"),
        ("Pragma", "no-cache"),
        ("Server", "Docker/20.10.24+dfsg1 (linux)"),
        ("Date", "Thu, 26 Nov 2026 21:25:36 GMT"),
        ("X-Content-Type-Options", "nosniff"),
        ("Vary", "Accept-Encoding"),
        ("X-Request-Id", "6f1c2a9e-3b7d-4e21-9c55-0d8a7f3e2b14"),
        (
            "X-Trace-Id",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        (
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ),
        ("Access-Control-Allow-Origin", "*"),
        (
            "Access-Control-Allow-Headers",
            "Content-Type, Authorization, X-Registry-Auth",
        ),
        (
            "Access-Control-Allow-Methods",
            "GET, POST, DELETE, PUT, OPTIONS, HEAD",
        ),
        ("Last-Modified", "Thu, 26 Nov 2026 21:00:00 GMT"),
        ("Etag", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\""),
        ("Builder-Version", "2"),
        ("Content-Length", "792"),
    ];
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    for (n, v) in fields {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A Unix-socket server on a background thread (one more thread per connection) that answers
/// every request head it reads (`\r\n\r\n`-terminated, no body) with the same bytes: by
/// default dockerd's recorded answer to `GET /v1.41/_ping`
/// (`tests/wire/ping_get_v141.response`), keep-alive, `Content-Length: 2`, body `OK`.
///
/// Dropped, it stops accepting and removes its socket file; connection threads end when their
/// client closes.
#[derive(Debug)]
pub struct PingServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl PingServer {
    /// Starts a server replaying `ping_get_v141.response`.
    ///
    /// # Panics
    ///
    /// When the socket cannot be bound.
    pub fn start() -> PingServer {
        Self::with_response(wire("ping_get_v141"))
    }

    /// Starts a server replaying `response` to every request.
    ///
    /// # Panics
    ///
    /// When the socket cannot be bound.
    pub fn with_response(response: Vec<u8>) -> PingServer {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "docksock-bench-{}-{}.sock",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind the bench socket");
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let response: Arc<[u8]> = response.into();
        let accept = {
            let stop = Arc::clone(&stop);
            let served = Arc::clone(&served);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let response = Arc::clone(&response);
                    let served = Arc::clone(&served);
                    std::thread::spawn(move || serve(conn, &response, &served));
                }
            })
        };
        PingServer {
            path,
            stop,
            served,
            accept: Some(accept),
        }
    }

    /// The socket path to connect to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Requests answered so far, over all connections.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }
}

impl Drop for PingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop.
        let _ = UnixStream::connect(&self.path);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Answers each `\r\n\r\n`-terminated request head on `conn` with `response`.
fn serve(mut conn: UnixStream, response: &[u8], served: &AtomicUsize) {
    let mut buf = [0u8; 8192];
    // How many bytes of "\r\n\r\n" the previous read ended with.
    let mut matched = 0usize;
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut heads = 0;
        for &b in &buf[..n] {
            matched = match (matched, b) {
                (0 | 2, b'\r') => matched + 1,
                (1 | 3, b'\n') => matched + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if matched == 4 {
                heads += 1;
                matched = 0;
            }
        }
        for _ in 0..heads {
            served.fetch_add(1, Ordering::Relaxed);
            if conn.write_all(response).is_err() {
                return;
            }
        }
    }
}

/// A JSON stream of `total` bytes in messages of exactly `size` bytes each (`size` ≥ 64), each
/// followed by `\n`: an object holding the real events of `events` (a dechunked events
/// backlog) in an array, as many as fit, then a `"stream"` string of build-log text with the
/// escapes a log line carries (`\"`, `\\`, `\n`, `\t`) that pads it to `size`. Dense in quotes
/// and brackets, like the engine's messages, not a run of plain bytes.
///
/// # Panics
///
/// When `size` is under 64 or `events` holds no message.
pub fn json_messages(events: &[u8], total: usize, size: usize) -> Vec<u8> {
    assert!(size >= 64);
    let items: Vec<&[u8]> = events
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| l.first() == Some(&b'{'))
        .collect();
    assert!(!items.is_empty(), "no events");
    let text: &[u8] = br#"Step 3/7 : RUN make -C src \"all\" && echo done\\n\tok \u00e9 "#;
    let mut out = Vec::with_capacity(total + total / size + 1);
    let mut k = 0;
    while out.len() < total {
        let mut m = b"{\"events\":[".to_vec();
        let tail = b"],\"stream\":\"\"}".len();
        loop {
            let e = items[k % items.len()];
            let sep = usize::from(m.len() > 11);
            if m.len() + sep + e.len() + tail > size {
                break;
            }
            if sep == 1 {
                m.push(b',');
            }
            m.extend_from_slice(e);
            k += 1;
        }
        m.extend_from_slice(b"],\"stream\":\"");
        let mut t = 0;
        while m.len() + 2 < size {
            // The last bytes are spaces, so that no escape is cut short.
            let c = if m.len() + 8 > size {
                b' '
            } else {
                text[t % text.len()]
            };
            m.push(c);
            t += 1;
        }
        m.extend_from_slice(b"\"}");
        assert_eq!(m.len(), size);
        out.extend_from_slice(&m);
        out.push(b'\n');
    }
    out
}

/// The hand-written floor of a keep-alive round trip, shared by the `e2e` bench and the
/// `profile`/`e2e_ratio` examples: writes `GET /v1.41/_ping`, reads into `buf` until httparse
/// has the head and the `Content-Length` body is in, and returns the body's length.
///
/// # Panics
///
/// On an I/O error, a closed connection, a head httparse refuses or one without
/// `Content-Length` (a bench fixture: the server is [`PingServer`]).
pub fn hand_round_trip(stream: &mut UnixStream, buf: &mut [u8]) -> usize {
    stream
        .write_all(b"GET /v1.41/_ping HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n")
        .expect("write");
    let mut len = 0;
    loop {
        let n = stream.read(&mut buf[len..]).expect("read");
        assert!(n > 0, "server closed");
        len += n;
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = resp.parse(&buf[..len]).expect("parse") {
            let cl: usize = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .expect("content-length");
            while len < head + cl {
                let n = stream.read(&mut buf[len..]).expect("read body");
                assert!(n > 0, "server closed");
                len += n;
            }
            return std::hint::black_box(&buf[head..head + cl]).len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_have_the_announced_shapes() {
        assert_eq!(dechunk(&chunked_body(1000, 64)).len(), 1000);
        assert_eq!(stdcopy_stream(100, 16).len(), 100 + 7 * 8);
        let head = large_head();
        assert_eq!(head.len(), 814, "update the doc of large_head");
        assert!(head.ends_with(b"\r\n\r\n"));
        let version = wire("version_v141");
        let (h, b) = split_head(&version);
        assert!(h.ends_with(b"\r\n\r\n") && b.len() == 792);
    }

    #[test]
    fn ping_server_answers_each_head() {
        let server = PingServer::start();
        let mut s = UnixStream::connect(server.path()).unwrap();
        let req = b"GET /v1.41/_ping HTTP/1.1\r\nHost: x\r\n\r\n";
        s.write_all(&[&req[..], &req[..]].concat()).unwrap();
        let want = wire("ping_get_v141");
        let mut got = vec![0u8; want.len() * 2];
        s.read_exact(&mut got).unwrap();
        assert_eq!(&got[..want.len()], &want[..]);
        assert_eq!(server.served(), 2);
    }
}
