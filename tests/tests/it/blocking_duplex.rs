//! Duplex hijacked streams against the real daemon: 64 MiB of random bytes each way through
//! `exec cat` in bounded memory, an interactive TTY shell driven line by line (output read
//! before stdin closes) through exec and through attach, with resizes.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use docksock::{AttachOptions, Client, HijackedReader, HijackedWriter};
use docksock_tests::{busybox_image, daemon, unique_name, ContainerGuard, PeakRss};
use serde_json::json;

/// A deterministic pseudo-random byte stream (xorshift64*).
struct Random {
    state: u64,
    left: u64,
}

impl Random {
    fn new(seed: u64, len: u64) -> Random {
        Random {
            state: seed | 1,
            left: len,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl Read for Random {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX))
            & !7;
        let n = if n == 0 {
            out.len().min(self.left as usize)
        } else {
            n
        };
        for chunk in out[..n].chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Checks that what is written is exactly the stream `Random::new(seed, len)`, in constant
/// memory.
struct Expect {
    want: Random,
    buf: Vec<u8>,
    seen: u64,
}

impl Write for Expect {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let want = self.next_bytes(data.len());
        if let Some(at) = data.iter().zip(&want).position(|(a, b)| a != b) {
            panic!(
                "the output differs from the input at byte {}",
                self.seen + at as u64
            );
        }
        self.seen += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Expect {
    fn new(seed: u64, len: u64) -> Expect {
        Expect {
            want: Random::new(seed, len),
            buf: Vec::with_capacity(64 << 10),
            seen: 0,
        }
    }

    /// The next `n` bytes of the expected stream (with a carry for unaligned lengths).
    fn next_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.buf.is_empty() {
                // The same piece sizes as the input side reads: 64 KiB.
                self.buf.resize(64 << 10, 0);
                let got = self.want.read(&mut self.buf).unwrap();
                assert!(got > 0, "more output than input");
                self.buf.truncate(got);
            }
            let take = (n - out.len()).min(self.buf.len());
            out.extend(self.buf.drain(..take));
        }
        out
    }
}

/// A running busybox container that sleeps (for execs), removed at the end.
fn sleeper(docker: &Client, test: &str) -> ContainerGuard {
    let image = busybox_image(docker);
    let guard = ContainerGuard::create(
        docker,
        &unique_name(test),
        &json!({"Image": image, "Cmd": ["sleep", "3600"]}),
    );
    docker.start_container(&guard.id).unwrap();
    guard
}

#[test]
fn blocking_duplex_exec_cat_round_trips_64mib_in_bounded_memory() {
    let Some(docker) = daemon() else { return };
    let guard = sleeper(&docker, "duplex-cat");
    const LEN: u64 = 64 << 20;
    let peak = PeakRss::start();
    let began = Instant::now();
    let mut out = Expect::new(7, LEN);
    let mut err = Vec::new();
    let code = docker
        .exec_run(
            &guard.id,
            &json!({"Cmd": ["cat"]}),
            Some(Random::new(7, LEN)),
            &mut out,
            &mut err,
        )
        .unwrap();
    let took = began.elapsed();
    let growth = peak.finish();
    eprintln!(
        "EXEC cat 64 MiB each way: {took:?}, peak RSS growth {} KiB ({growth:?})",
        growth.kib
    );
    assert_eq!(code, 0, "stderr: {}", String::from_utf8_lossy(&err));
    assert_eq!(out.seen, LEN, "every byte came back");
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
    assert!(growth.kib < 32 * 1024, "{growth:?}");
}

/// Reads from `reader` until `needle` has appeared in the output (at most 20 s).
fn read_until(reader: &mut HijackedReader, seen: &mut Vec<u8>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(seen).contains(needle) {
        assert!(Instant::now() < deadline, "no {needle:?} in {seen:?}");
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended before {needle:?}: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// Drives a TTY shell line by line: each answer is read before the next line is written and
/// before stdin is closed; resizes the TTY and reads the size back.
fn drive_shell(mut reader: HijackedReader, mut writer: HijackedWriter) {
    reader.set_idle_timeout(Duration::from_secs(20));
    let mut seen = Vec::new();
    // The TTY echoes the command; the answer (42) is not in it.
    writer.write_all(b"echo $((6*7))\n").unwrap();
    read_until(&mut reader, &mut seen, "42\r\n");
    seen.clear();
    writer.write_all(b"echo $((7*8))\n").unwrap();
    read_until(&mut reader, &mut seen, "56\r\n");
    seen.clear();
    writer.resize(30, 100).unwrap();
    writer.write_all(b"stty size\n").unwrap();
    read_until(&mut reader, &mut seen, "30 100\r\n");
    // Stdin closes only now: the shell exits, the output ends.
    writer.write_all(b"exit 3\n").unwrap();
    writer.close().unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
}

#[test]
fn blocking_duplex_interactive_tty_exec_shell() {
    let Some(docker) = daemon() else { return };
    let guard = sleeper(&docker, "duplex-tty-exec");
    let exec = docker
        .create_exec(
            &guard.id,
            &json!({"Cmd": ["sh"], "Tty": true, "AttachStdin": true, "AttachStdout": true,
                    "AttachStderr": true}),
        )
        .unwrap();
    let stream = docker.start_exec(&exec).unwrap();
    assert_eq!(stream.mode(), docksock::Mode::Raw);
    let (reader, writer) = stream.split().unwrap();
    drive_shell(reader, writer);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = docker.inspect_exec(&exec).unwrap();
        if v["Running"] == false {
            assert_eq!(v["ExitCode"], 3);
            break;
        }
        assert!(Instant::now() < deadline, "{v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn blocking_duplex_interactive_tty_attach_shell() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let guard = ContainerGuard::create(
        &docker,
        &unique_name("duplex-tty-attach"),
        &json!({"Image": image, "Cmd": ["sh"], "Tty": true, "OpenStdin": true,
                "StdinOnce": true, "AttachStdin": true, "AttachStdout": true,
                "AttachStderr": true}),
    );
    let opts = AttachOptions {
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        tty: Some(true),
        ..Default::default()
    };
    let stream = docker.attach_container(&guard.id, &opts).unwrap();
    docker.start_container(&guard.id).unwrap();
    let (reader, writer) = stream.split().unwrap();
    drive_shell(reader, writer);
    assert_eq!(docksock_tests::wait_exit(&docker, &guard.id), 3);
}

#[test]
fn blocking_duplex_attach_run_pumps_stdin_and_returns_the_exit_code() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let guard = ContainerGuard::create(
        &docker,
        &unique_name("duplex-attach-run"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "wc -c; echo err >&2; exit 5"],
                "OpenStdin": true, "StdinOnce": true, "AttachStdin": true,
                "AttachStdout": true, "AttachStderr": true}),
    );
    let opts = AttachOptions {
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        tty: Some(false),
        ..Default::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // 4 MiB of stdin: more than the socket buffers hold, while nothing is read back.
    let code = docker
        .attach_run(
            &guard.id,
            &opts,
            Some(Random::new(3, 4 << 20)),
            &mut out,
            &mut err,
        )
        .unwrap();
    assert_eq!(code, 5);
    assert_eq!(
        String::from_utf8_lossy(&out).trim(),
        (4u64 << 20).to_string()
    );
    assert_eq!(err, b"err\n");
}

#[test]
fn blocking_duplex_a_wait_outlives_the_clients_timeouts_and_has_its_own() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    // Head and idle timeouts far shorter than the container's run: the wait has none.
    let short = Client::builder_from_env()
        .unwrap()
        .head_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_millis(500))
        .build();
    let guard = ContainerGuard::create(
        &docker,
        &unique_name("duplex-wait"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "sleep 2; exit 4"]}),
    );
    docker.start_container(&guard.id).unwrap();
    // A limit given to the wait: its own error kind, naming the call.
    let err = short
        .wait_container(
            &guard.id,
            &docksock::WaitOptions {
                timeout: docksock::Timeout::After(Duration::from_millis(300)),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        err.timeout_kind(),
        Some(docksock::TimeoutKind::Wait),
        "{err:?}"
    );
    assert!(err.to_string().contains("/wait: "), "{err}");
    let code = short
        .wait_container(&guard.id, &docksock::WaitOptions::default())
        .unwrap();
    assert_eq!(code, 4);
    // The name as the engine lists it, with its leading `/`, is the same container.
    let listed = format!("/{}", unique_name("duplex-wait"));
    assert_eq!(
        docker.inspect_container(&listed).unwrap()["Id"],
        guard.id.as_str()
    );
}
