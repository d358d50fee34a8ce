//! Deadlines and memory caps of the blocking client against the scripted fault server: each
//! timeout (head, idle read, idle write, connect on a full accept backlog) fires within 10 %
//! plus 50 ms of its setting, also under a signal storm (a handler installed, a signal every
//! 3 ms to the waiting thread); 1 GiB of hostile input at each accumulating call stays under
//! 32 MiB of peak RSS. The measured figures are printed (`--no-capture` shows them).

use std::io::Read;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docksock::{ApiVersion, Body, Client, Error, EventsOptions, LogsOptions, TimeoutKind};
use docksock_tests::fault_server::{FaultServer, Step};
use docksock_tests::PeakRss;

/// One test at a time measures time and memory in this binary's process.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A signal handler installed, and a `SIGUSR1` every 3 ms to one thread, until dropped.
struct SignalStorm {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl SignalStorm {
    /// Storms the calling thread.
    fn start() -> SignalStorm {
        let seen = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&seen))
            .expect("installing a SIGUSR1 handler");
        let target = nix::sys::pthread::pthread_self();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut sent = 0;
            while !flag.load(Ordering::Acquire) {
                if nix::sys::pthread::pthread_kill(target, nix::sys::signal::Signal::SIGUSR1)
                    .is_ok()
                {
                    sent += 1;
                }
                std::thread::sleep(Duration::from_millis(3));
            }
            sent
        });
        SignalStorm {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops, and returns how many signals were sent.
    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Release);
        self.thread.take().map_or(0, |t| t.join().unwrap_or(0))
    }
}

impl Drop for SignalStorm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `f` (which returns the timeout error and the instant the deadline's phase began),
/// with and without a signal storm; asserts the kind and that it fired within 10 % + 50 ms
/// of `setting`.
fn check_timeout(
    name: &str,
    kind: TimeoutKind,
    setting: Duration,
    f: impl Fn() -> (Error, Instant),
) {
    let _serial = serial();
    for storm in [false, true] {
        let storm_guard = storm.then(SignalStorm::start);
        let (err, began) = f();
        let elapsed = began.elapsed();
        let signals = storm_guard.map_or(0, SignalStorm::finish);
        eprintln!(
            "TIMEOUT {name}: setting {setting:?}, signal storm {storm} ({signals} signals): \
             fired after {elapsed:?}"
        );
        assert_eq!(err.timeout_kind(), Some(kind), "{name}: {err:?}");
        assert!(err.operation().is_some(), "{name}: {err}");
        let most = setting + setting / 10 + Duration::from_millis(50);
        assert!(
            elapsed >= setting && elapsed <= most,
            "{name} (storm {storm}): fired after {elapsed:?}, set {setting:?}"
        );
        if storm {
            assert!(signals > 100, "{name}: only {signals} signals sent");
        }
    }
}

fn pinned(server: &FaultServer) -> docksock::ClientBuilder {
    Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 41))
}

#[test]
fn blocking_limits_head_timeout_fires_on_time_under_signals() {
    let t = Duration::from_secs(1);
    check_timeout("head", TimeoutKind::Head, t, || {
        let server = FaultServer::start(vec![Step::ReadRequest, Step::Hang]);
        let docker = pinned(&server).head_timeout(t).build();
        let began = Instant::now();
        let err = docker.ping().unwrap_err();
        (err, began)
    });
}

#[test]
fn blocking_limits_idle_read_timeout_fires_on_time_under_signals() {
    let t = Duration::from_secs(1);
    check_timeout("idle read", TimeoutKind::Idle, t, || {
        let server = FaultServer::start(vec![
            Step::ReadRequest,
            Step::write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0"),
            Step::Hang,
        ]);
        let docker = pinned(&server).idle_timeout(t).build();
        let mut resp = docker
            .request("GET", "/x", &[], &[], &[], Body::empty())
            .unwrap();
        let mut first = [0u8; 1];
        resp.read_exact(&mut first).unwrap();
        // The silence starts now: the only body byte has been read.
        let began = Instant::now();
        let err = resp.bytes().unwrap_err();
        (err, began)
    });
}

/// An endless upload of zeros.
struct Zeros;

impl Read for Zeros {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        out.fill(0);
        Ok(out.len())
    }
}

#[test]
fn blocking_limits_idle_write_timeout_fires_on_time_under_signals() {
    let t = Duration::from_secs(1);
    check_timeout("idle write", TimeoutKind::Write, t, || {
        // The server reads the head and never the body: once the socket buffers are full no
        // request byte moves.
        let server = FaultServer::start(vec![Step::ReadHead, Step::Hang]);
        let docker = pinned(&server)
            .idle_timeout(Duration::from_secs(30))
            .head_timeout(Duration::from_secs(30))
            .write_timeout(t)
            .build();
        let call = docksock::Call::custom("POST", "/images/create");
        let began = Instant::now();
        let err = docker
            .send(&call, Body::reader(Zeros), Some(ApiVersion::new(1, 41)))
            .unwrap_err();
        (err, began)
    });
}

/// A listening socket with a full accept backlog: `listen(fd, 0)` and connections queued
/// until the next one would wait.
struct FullBacklog {
    _dir: tempdir::Dir,
    path: std::path::PathBuf,
    _listener: OwnedFd,
    _queued: Vec<OwnedFd>,
}

mod tempdir {
    /// A directory removed when dropped.
    pub(super) struct Dir(pub(super) std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl FullBacklog {
    fn new() -> FullBacklog {
        use rustix::net::{
            bind, connect, listen, socket_with, AddressFamily, SocketAddrUnix, SocketFlags,
            SocketType,
        };
        let dir = std::env::temp_dir().join(format!(
            "docksock-backlog-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("full.sock");
        let addr = SocketAddrUnix::new(&path).unwrap();
        let listener = socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        bind(&listener, &addr).unwrap();
        listen(&listener, 0).unwrap();
        let mut queued = Vec::new();
        loop {
            let fd = socket_with(
                AddressFamily::UNIX,
                SocketType::STREAM,
                SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
                None,
            )
            .unwrap();
            match connect(&fd, &addr) {
                Ok(()) => queued.push(fd),
                Err(rustix::io::Errno::AGAIN) => break,
                Err(e) => panic!("filling the backlog: {e}"),
            }
            assert!(queued.len() < 1000, "the backlog never filled");
        }
        FullBacklog {
            _dir: tempdir::Dir(dir),
            path,
            _listener: listener,
            _queued: queued,
        }
    }
}

#[test]
fn blocking_limits_connect_timeout_on_a_full_backlog_under_signals() {
    let t = Duration::from_secs(1);
    let full = FullBacklog::new();
    check_timeout("connect (full backlog)", TimeoutKind::Connect, t, || {
        let docker = Client::builder()
            .socket(&full.path)
            .api_version(ApiVersion::new(1, 41))
            .connect_timeout(t)
            .build();
        let began = Instant::now();
        let err = docker.ping().unwrap_err();
        (err, began)
    });
}

// ----- memory -------------------------------------------------------------------------------

const GIB: u64 = 1 << 30;
const CHUNK: usize = 64 << 10;
const MAX_RSS_KIB: u64 = 32 * 1024;

/// 1 GiB of `fill`, 64 KiB at a time.
fn gib_of(fill: u8) -> Step {
    Step::Repeat {
        chunk: vec![fill; CHUNK],
        times: GIB / CHUNK as u64,
    }
}

/// Runs `f` against a fault server playing `script`; asserts the error it returns is what
/// `check` wants, and that the peak RSS grew by less than 32 MiB.
fn check_memory(name: &str, script: Vec<Step>, f: impl FnOnce(Client) -> Error) {
    let _serial = serial();
    let server = FaultServer::start(script);
    let docker = pinned(&server).max_body(8 << 20).build();
    let peak = PeakRss::start();
    let began = Instant::now();
    let err = f(docker);
    let growth = peak.finish();
    eprintln!(
        "MEMORY {name}: 1 GiB sent, peak RSS growth {} KiB ({:?}); error after {:?}: {err}",
        growth.kib,
        growth,
        began.elapsed()
    );
    assert!(growth.kib < MAX_RSS_KIB, "{name}: {growth:?}");
    assert!(err.operation().is_some(), "{name}: {err}");
}

/// A stdcopy frame header for `len` bytes of `stream`.
fn frame_header(stream: u8, len: u32) -> Vec<u8> {
    let mut h = vec![stream, 0, 0, 0];
    h.extend_from_slice(&len.to_be_bytes());
    h
}

const STREAM_HEAD: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n";

fn logs_opts() -> LogsOptions {
    LogsOptions {
        tty: Some(false),
        ..Default::default()
    }
}

#[test]
fn blocking_limits_a_1gib_stream_3_frame_is_capped() {
    let mut head = STREAM_HEAD.as_bytes().to_vec();
    head.extend_from_slice(&frame_header(3, (GIB - 1) as u32));
    let script = vec![Step::ReadRequest, Step::Write(head), gib_of(b'e')];
    check_memory("stream-3 text", script, |docker| {
        let err = docker
            .container_logs("c", &logs_opts())
            .unwrap()
            .collect_output()
            .unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit, .. } if limit == docksock::MAX_SYSTEM_ERROR),
            "{err:?}"
        );
        err
    });
}

#[test]
fn blocking_limits_collect_output_of_1gib_is_capped_like_bytes() {
    let mut head = STREAM_HEAD.as_bytes().to_vec();
    head.extend_from_slice(&frame_header(1, (GIB - 1) as u32));
    let script = vec![Step::ReadRequest, Step::Write(head), gib_of(b'o')];
    check_memory("collect_output", script, |docker| {
        let err = docker
            .container_logs("c", &logs_opts())
            .unwrap()
            .collect_output()
            .unwrap_err();
        // The client's max_body, the cap of bytes().
        assert!(
            matches!(err, Error::TooLarge { limit, .. } if limit == 8 << 20),
            "{err:?}"
        );
        err
    });
}

#[test]
fn blocking_limits_a_1gib_error_body_is_capped() {
    let head = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {GIB}\r\n\r\n"
    );
    let script = vec![Step::ReadRequest, Step::write(head), gib_of(b'n')];
    check_memory("error body", script, |docker| {
        let err = docker.inspect_container("c").unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        match &err {
            Error::Api { message, .. } => assert!(message.len() <= 64 << 10, "{}", message.len()),
            other => panic!("{other:?}"),
        }
        err
    });
}

#[test]
fn blocking_limits_a_1gib_json_message_is_capped() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":\"";
    let script = vec![Step::ReadRequest, Step::write(head), gib_of(b'j')];
    check_memory("JSON message", script, |docker| {
        let mut events = docker.events(&EventsOptions::default()).unwrap();
        let err = events.next().expect("an item").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Protocol {
                    source: docksock::proto::Error::Peer(
                        docksock::proto::PeerError::JsonMessageTooLarge
                    ),
                    ..
                }
            ),
            "{err:?}"
        );
        err
    });
}

#[test]
fn blocking_limits_a_1gib_body_read_whole_is_capped() {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {GIB}\r\n\r\n");
    let script = vec![Step::ReadRequest, Step::write(head), gib_of(b'b')];
    check_memory("bytes()", script, |docker| {
        let err = docker.info().unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
        err
    });
}

// ----- socket paths ---------------------------------------------------------------------------

#[test]
fn blocking_limits_a_socket_path_that_is_not_utf8_is_connected_to_exactly() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};

    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::Write(docksock_tests::fault_server::dockerd_ping_response()),
    ]);
    // A link named with a byte that is not UTF-8: a lossy rewrite (U+FFFD) names no file.
    let dir = std::env::temp_dir().join(format!("docksock-bytes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = tempdir::Dir(dir.clone());
    let mut name = dir.into_os_string().into_vec();
    name.extend_from_slice(b"/caf\xe9.sock");
    let link = std::path::PathBuf::from(std::ffi::OsString::from_vec(name.clone()));
    std::os::unix::fs::symlink(server.path(), &link).unwrap();

    let mut host = b"unix://".to_vec();
    host.extend_from_slice(&name);
    let docker = Client::builder()
        .host(OsStr::from_bytes(&host))
        .unwrap()
        .api_version(ApiVersion::new(1, 41))
        .build();
    assert_eq!(docker.socket_path().as_os_str().as_bytes(), &name[..]);
    assert_eq!(docker.ping().unwrap().body, "OK");

    // A relative unix:// path is a clear error, never a path under the working directory.
    let err = Client::builder()
        .host("unix://docker.sock")
        .unwrap_err()
        .to_string();
    assert!(err.contains("relative socket path"), "{err}");
}
