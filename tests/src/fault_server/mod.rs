//! A scripted Unix-socket server for fault-injection tests.
//!
//! [`FaultServer::start`] binds a fresh socket in a private temporary directory and runs a
//! [`Step`] script on a background thread. Steps run strictly in order, one at a time, across
//! connections: a script can read a request, answer it partly, drip bytes, close mid-response, hang,
//! then accept the client's next connection and answer differently.
//!
//! ```no_run
//! use docksock_tests::fault_server::{dockerd_ping_response, FaultServer, Step};
//! use std::time::Duration;
//!
//! let server = FaultServer::start(vec![
//!     Step::ReadRequest,
//!     Step::write(&dockerd_ping_response()[..40]), // half a head...
//!     Step::Close,                                 // ...then EOF
//!     Step::ReadRequest,                           // the client's retry, on a new connection
//!     Step::Drip { bytes: dockerd_ping_response(), delay: Duration::from_millis(1) },
//! ]);
//! // point the client at server.path() ...
//! assert!(server.wait_finished(Duration::from_secs(5)));
//! assert_eq!(server.connections(), 2);
//! ```
//!
//! Connection rules:
//! * Steps that need a connection ([`Step::ReadRequest`], [`Step::ReadHead`], [`Step::ReadBody`],
//!   [`Step::ReadToEof`], [`Step::Write`], [`Step::Drip`], [`Step::ShutdownWrite`], [`Step::Hang`],
//!   [`Step::Close`]) accept the next connection first if there is no current one. So a script need
//!   not start with [`Step::Accept`], and after a [`Step::Close`] the next reading/writing step waits
//!   for the client's next connection.
//! * [`Step::Accept`] closes the current connection (if any) and accepts the next one.
//! * [`Step::Hang`] parks the current connection: it stays open, unread and unanswered, until the
//!   server is dropped; the script then goes on (without a current connection).
//! * When the script is over, the current connection is closed (EOF for the client), parked ones
//!   stay open, and any further connection is accepted (counted in [`FaultServer::connections`])
//!   and closed at once.
//! * I/O errors (the client went away) do not stop the script; they are collected in
//!   [`FaultServer::errors`], and later steps on that connection fail quietly the same way.
//! * Closing a Unix socket that still has unread received bytes makes Linux report `ECONNRESET`
//!   to the peer (after the peer has read everything already sent) instead of a clean EOF. Read
//!   the request before [`Step::Close`] if the test needs a clean EOF.
//!
//! Dropping the [`FaultServer`] stops the thread within about 50 ms wherever the script is (every
//! wait polls a stop flag), closes all connections and removes the socket and its directory.

mod framing;
mod runner;
mod step;
#[cfg(test)]
mod tests;

use std::io;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use step::{dockerd_ping_response, Step};

use runner::run;

/// How often blocked operations wake up to check the stop flag.
const POLL: Duration = Duration::from_millis(10);

/// State shared between the handle and the script thread.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    connections: AtomicUsize,
    requests: Mutex<Vec<Vec<u8>>>,
    received: Mutex<Vec<Vec<u8>>>,
    errors: Mutex<Vec<String>>,
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A scripted Unix-socket server; see the [module docs](self).
pub struct FaultServer {
    dir: PathBuf,
    path: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultServer")
            .field("path", &self.path)
            .field("connections", &self.connections())
            .field("requests", &lock(&self.shared.requests).len())
            .finish()
    }
}

impl FaultServer {
    /// Bind a new socket in a fresh temporary directory and run `script` on a background thread.
    /// The socket is listening when this returns, so a client may connect at once.
    ///
    /// Panics if the directory or the socket cannot be created.
    pub fn start(script: Vec<Step>) -> FaultServer {
        let dir = make_temp_dir();
        let path = dir.join("fault.sock");
        let listener = UnixListener::bind(&path)
            .unwrap_or_else(|e| panic!("fault_server: bind {}: {e}", path.display()));
        listener
            .set_nonblocking(true)
            .expect("fault_server: set_nonblocking");
        let shared = Arc::new(Shared::default());
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fault-server".into())
                .spawn(move || run(listener, script, &shared))
                .expect("fault_server: spawn thread")
        };
        FaultServer {
            dir,
            path,
            shared,
            thread: Some(thread),
        }
    }

    /// The socket path to connect to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw requests read so far, in order, across connections (one entry per
    /// [`Step::ReadRequest`] or [`Step::ReadHead`]; a request cut short by EOF is recorded as far as
    /// it arrived). An entry is recorded before the next step runs, so once the client has seen the
    /// answer to a request, that request is here.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.requests).clone()
    }

    /// Every byte read so far, one entry per accepted connection (including bytes read by
    /// [`Step::ReadToEof`] and bytes buffered beyond the last request).
    pub fn received(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.received).clone()
    }

    /// How many connections have been accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// I/O errors met while running the script (e.g. a write to a client that has gone away).
    pub fn errors(&self) -> Vec<String> {
        lock(&self.shared.errors).clone()
    }

    /// Wait until every step of the script has run. Returns `false` on timeout.
    pub fn wait_finished(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut done = lock(&self.shared.finished);
        while !*done {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            done = self
                .shared
                .finished_cv
                .wait_timeout(done, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Whether every step of the script has run.
    pub fn is_finished(&self) -> bool {
        *lock(&self.shared.finished)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // The thread polls the stop flag every POLL; a panic there is already reported.
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn make_temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = base.join(format!(
            "docksock-fault-{}-{n}-{nanos:08x}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return dir,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("fault_server: create {}: {e}", dir.display()),
        }
    }
}
