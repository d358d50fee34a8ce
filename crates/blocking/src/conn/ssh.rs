//! The `ssh://` transport: the system `ssh` running `docker system dial-stdio` on the remote
//! side (docker/cli `cli/connhelper`). The child's stdin and stdout are the byte stream, closing
//! its stdin is the half-close, and the last 4 KiB of its stderr explain a failure. One child
//! per connection: a pooled connection keeps its `ssh` across keep-alive requests. No crypto
//! here: `ssh` does it.

use std::io::{self, Read};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::endpoint::SshEndpoint;
use crate::error::{Error, Result};

use super::transport::{pipe_write_or_wait, wait_fd};

/// How much of ssh's stderr is kept (the end of it).
const STDERR_KEPT: usize = 4096;
/// How long a failed stream waits for ssh to exit and finish its stderr, for the message.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// The end of ssh's stderr, and whether it ended.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
    ended: bool,
}

/// A running `ssh ... docker system dial-stdio`.
pub(crate) struct SshStream {
    child: Child,
    /// `None` once closed (in a lock: closing it is a `&self` operation, as a socket's
    /// `shutdown` is).
    stdin: Mutex<Option<ChildStdin>>,
    stdout: ChildStdout,
    stderr: Arc<Mutex<Tail>>,
    /// `ssh://…`, for messages.
    target: String,
}

impl SshStream {
    /// Starts `ssh` for `endpoint`. The child's pipes are made non-blocking (waits are
    /// `poll`s bounded by the exchange's deadlines); a thread keeps the end of its stderr.
    pub(crate) fn spawn(endpoint: &SshEndpoint, target: &str) -> Result<SshStream> {
        let mut child = Command::new(SshEndpoint::PROGRAM)
            .args(endpoint.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(format!("starting `ssh` for {target}"), e))?;
        let setup = |child: &mut Child| -> io::Result<(ChildStdin, ChildStdout, std::process::ChildStderr)> {
            let missing = || io::Error::other("a pipe of the child is missing");
            let stdin = child.stdin.take().ok_or_else(missing)?;
            let stdout = child.stdout.take().ok_or_else(missing)?;
            let stderr = child.stderr.take().ok_or_else(missing)?;
            rustix::io::ioctl_fionbio(&stdin, true)?;
            rustix::io::ioctl_fionbio(&stdout, true)?;
            Ok((stdin, stdout, stderr))
        };
        let (stdin, stdout, mut stderr) = match setup(&mut child) {
            Ok(pipes) => pipes,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::io(format!("setting up `ssh` for {target}"), e));
            }
        };
        let tail = Arc::new(Mutex::new(Tail::default()));
        let keep = Arc::clone(&tail);
        let spawned = std::thread::Builder::new()
            .name("docksock-ssh-stderr".into())
            .spawn(move || {
                let mut buf = [0u8; 1024];
                loop {
                    match stderr.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            let mut t = crate::pool::lock(&keep);
                            t.bytes.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                            if t.bytes.len() > STDERR_KEPT {
                                let cut = t.bytes.len() - STDERR_KEPT;
                                t.bytes.drain(..cut);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                crate::pool::lock(&keep).ended = true;
            });
        if let Err(e) = spawned {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::io(
                format!("starting the stderr reader of `ssh` for {target}"),
                e,
            ));
        }
        Ok(SshStream {
            child,
            stdin: Mutex::new(Some(stdin)),
            stdout,
            stderr: tail,
            target: target.to_owned(),
        })
    }

    /// Reads from the child's stdout, waiting `wait` at most.
    pub(crate) fn read_wait(
        &mut self,
        buf: &mut [u8],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        use rustix::event::PollFlags;
        use rustix::io::Errno;
        match rustix::io::read(&self.stdout, &mut *buf) {
            Ok(n) => return Ok(n),
            Err(Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
        if wait == Some(Duration::ZERO) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if !wait_fd(&self.stdout, PollFlags::IN, wait)? {
            return Err(io::ErrorKind::TimedOut.into());
        }
        match rustix::io::read(&self.stdout, buf) {
            Ok(n) => Ok(n),
            Err(Errno::AGAIN) => Err(io::ErrorKind::Interrupted.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes to the child's stdin what it takes, waiting `wait` at most for room.
    pub(crate) fn write_or_wait(
        &mut self,
        data: &[u8],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        match &*crate::pool::lock(&self.stdin) {
            Some(stdin) => pipe_write_or_wait(stdin, data, wait),
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Closes the child's stdin: `dial-stdio` half-closes the daemon connection.
    pub(crate) fn close_stdin(&self) {
        *crate::pool::lock(&self.stdin) = None;
    }

    /// The child's stdin, for a writer thread (the stream keeps none).
    pub(crate) fn take_stdin(&self) -> Option<ChildStdin> {
        crate::pool::lock(&self.stdin).take()
    }

    /// Once ssh has exited (waiting a little for it): its exit status and the end of its
    /// stderr. `None` while it still runs.
    pub(crate) fn diagnostics(&mut self) -> Option<String> {
        let until = Instant::now() + EXIT_WAIT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                _ => return None,
            }
        };
        while !crate::pool::lock(&self.stderr).ended && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        let tail = crate::pool::lock(&self.stderr);
        let text = String::from_utf8_lossy(&tail.bytes);
        let text = text.trim();
        let said = if text.is_empty() {
            "nothing on stderr".to_owned()
        } else {
            format!("its stderr ends with: {text}")
        };
        Some(format!(
            "`ssh` for {} exited ({status}); {said}",
            self.target
        ))
    }
}

impl Drop for SshStream {
    fn drop(&mut self) {
        self.close_stdin();
        // A dropped connection ends its session; the child is reaped, never left a zombie.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
