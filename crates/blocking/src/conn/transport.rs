//! The byte streams a connection runs over: a Unix socket, a TCP socket, the pipes of an `ssh`
//! child running `docker system dial-stdio`, and (feature `tls`) TLS over TCP. No protocol rule
//! here: each one reads with a bounded wait, writes what it can take within a wait, and
//! half-closes.

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::endpoint::TcpEndpoint;
use crate::error::{Error, Result};

use super::socket::{keep_timeout, send_or_wait, socket_timeout};
use super::ssh::SshStream;
use super::SocketTimeout;

/// One connection's byte stream.
pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    Ssh(SshStream),
    #[cfg(feature = "tls")]
    Tls(super::tls::TlsStream),
}

/// The write side of a split stream (the stdin of a hijacked session).
pub(crate) enum WriteHalf {
    Unix(UnixStream),
    Tcp(TcpStream),
    Pipe(Option<std::process::ChildStdin>),
    #[cfg(feature = "tls")]
    Tls(super::tls::TlsStream),
}

/// Waits until `fd` is ready for `flags`, `wait` at most (`None`: no bound). `Ok(false)`: the
/// wait ran out.
pub(crate) fn wait_fd(
    fd: impl AsFd,
    flags: rustix::event::PollFlags,
    wait: Option<Duration>,
) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, Timespec};
    use rustix::io::Errno;
    let timeout = wait.map(|w| {
        Timespec::try_from(w).unwrap_or(Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 0,
        })
    });
    let mut fds = [PollFd::new(&fd, flags)];
    match poll(&mut fds, timeout.as_ref()) {
        Ok(0) => Ok(false),
        Ok(_) => Ok(true),
        Err(Errno::INTR) => Err(io::ErrorKind::Interrupted.into()),
        Err(e) => Err(e.into()),
    }
}

/// Writes what a non-blocking pipe takes, or waits for room until `wait` at most.
pub(crate) fn pipe_write_or_wait(
    pipe: &std::process::ChildStdin,
    data: &[u8],
    wait: Option<Duration>,
) -> io::Result<usize> {
    use rustix::event::PollFlags;
    use rustix::io::Errno;
    match rustix::io::write(pipe, data) {
        Ok(n) => return Ok(n),
        Err(Errno::AGAIN) => {}
        Err(e) => return Err(e.into()),
    }
    if !wait_fd(pipe, PollFlags::OUT, wait)? {
        return Err(io::ErrorKind::TimedOut.into());
    }
    match rustix::io::write(pipe, data) {
        Ok(n) => Ok(n),
        Err(Errno::AGAIN) => Err(io::ErrorKind::Interrupted.into()),
        Err(e) => Err(e.into()),
    }
}

impl Stream {
    /// Reads into `buf`, waiting `wait` at most (`None`: no bound); the socket's read timeout
    /// as last set is in `cache`. A wait that ran out is an error of kind `WouldBlock` or
    /// `TimedOut`; `Ok(0)` is the end of the stream.
    pub(crate) fn read_wait(
        &mut self,
        buf: &mut [u8],
        wait: Option<Duration>,
        cache: &mut SocketTimeout,
    ) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => {
                set_timeout(cache, wait, |t| s.set_read_timeout(t))?;
                s.read(buf)
            }
            Stream::Tcp(s) => {
                set_timeout(cache, wait, |t| s.set_read_timeout(t))?;
                s.read(buf)
            }
            Stream::Ssh(s) => s.read_wait(buf, wait),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read_wait(buf, wait),
        }
    }

    /// Reads what has arrived, without waiting (`WouldBlock` when nothing has).
    pub(crate) fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => {
                s.set_nonblocking(true)?;
                let r = s.read(buf);
                s.set_nonblocking(false)?;
                r
            }
            Stream::Tcp(s) => {
                s.set_nonblocking(true)?;
                let r = s.read(buf);
                s.set_nonblocking(false)?;
                r
            }
            Stream::Ssh(s) => s.read_wait(buf, Some(Duration::ZERO)),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read_wait(buf, Some(Duration::ZERO)),
        }
    }

    /// Sends what the stream takes at once, or waits for room until `wait` at most (see
    /// [`send_or_wait`]): the bytes sent, and whether it may have waited (always said of the
    /// ssh pipe and TLS, which do not tell).
    pub(crate) fn write_or_wait(
        &mut self,
        data: &[u8],
        wait: Option<Duration>,
    ) -> io::Result<(usize, bool)> {
        match self {
            Stream::Unix(s) => send_or_wait(s, data, wait),
            Stream::Tcp(s) => send_or_wait(s, data, wait),
            Stream::Ssh(s) => s.write_or_wait(data, wait).map(|n| (n, true)),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write_or_wait(data, wait).map(|n| (n, true)),
        }
    }

    /// Whether the stream may hold written bytes back ([`flush_wait`](Self::flush_wait) has
    /// work to do): TLS records.
    pub(crate) fn holds_writes(&self) -> bool {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(_) => true,
            _ => false,
        }
    }

    /// Sends bytes the stream still holds (TLS records), waiting `wait` at most. `Ok(true)`
    /// when nothing is left.
    pub(crate) fn flush_wait(&mut self, wait: Option<Duration>) -> io::Result<bool> {
        match self {
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush_wait(wait),
            _ => {
                let _ = wait;
                Ok(true)
            }
        }
    }

    /// Closes the write direction (the end of a hijacked session's stdin).
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.shutdown(Shutdown::Write),
            Stream::Tcp(s) => s.shutdown(Shutdown::Write),
            Stream::Ssh(s) => {
                s.close_stdin();
                Ok(())
            }
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.close_write(),
        }
    }

    /// The write side, for a writer thread (`dup` of a socket, the ssh child's stdin, a
    /// shared TLS session).
    pub(crate) fn write_half(&self) -> io::Result<WriteHalf> {
        match self {
            Stream::Unix(s) => s.try_clone().map(WriteHalf::Unix),
            Stream::Tcp(s) => s.try_clone().map(WriteHalf::Tcp),
            Stream::Ssh(s) => Ok(WriteHalf::Pipe(s.take_stdin())),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Ok(WriteHalf::Tls(s.clone())),
        }
    }

    /// What the transport itself said when the stream ended early (ssh's stderr and exit
    /// status), if anything.
    pub(crate) fn diagnostics(&mut self) -> Option<String> {
        match self {
            Stream::Ssh(s) => s.diagnostics(),
            _ => None,
        }
    }
}

/// Why [`WriteHalf::write_all_within`] stopped.
#[derive(Debug)]
pub(crate) enum WriteFailure {
    /// The peer took no byte for the whole timeout.
    TimedOut,
    /// The write failed (`EPIPE` once the peer is gone, `WriteZero`).
    Io(io::Error),
}

impl WriteHalf {
    /// Writes all of `data`, then what the transport still holds (TLS records). `timeout`
    /// bounds the wait for progress: a byte taken moves the deadline, nothing else does
    /// (`None`: no bound).
    pub(crate) fn write_all_within(
        &mut self,
        mut data: &[u8],
        timeout: Option<Duration>,
    ) -> std::result::Result<(), WriteFailure> {
        let mut deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            let wait = match deadline {
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(WriteFailure::TimedOut);
                    }
                    Some(left)
                }
                None => None,
            };
            let step = if data.is_empty() {
                self.flush_wait(wait).map(|done| usize::from(!done))
            } else {
                self.write_or_wait(data, wait)
            };
            match step {
                Ok(0) if data.is_empty() => return Ok(()),
                Ok(0) => return Err(WriteFailure::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    data = data.get(n..).unwrap_or(&[]);
                    deadline = timeout.and_then(|t| Instant::now().checked_add(t));
                }
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || super::socket::is_timeout_error(&e) => {}
                Err(e) => return Err(WriteFailure::Io(e)),
            }
        }
    }

    /// As [`Stream::write_or_wait`].
    pub(crate) fn write_or_wait(
        &mut self,
        data: &[u8],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        match self {
            WriteHalf::Unix(s) => send_or_wait(s, data, wait).map(|(n, _)| n),
            WriteHalf::Tcp(s) => send_or_wait(s, data, wait).map(|(n, _)| n),
            WriteHalf::Pipe(Some(p)) => pipe_write_or_wait(p, data, wait),
            WriteHalf::Pipe(None) => Err(io::ErrorKind::BrokenPipe.into()),
            #[cfg(feature = "tls")]
            WriteHalf::Tls(s) => s.write_or_wait(data, wait),
        }
    }

    /// As [`Stream::flush_wait`].
    pub(crate) fn flush_wait(&mut self, wait: Option<Duration>) -> io::Result<bool> {
        match self {
            #[cfg(feature = "tls")]
            WriteHalf::Tls(s) => s.flush_wait(wait),
            _ => {
                let _ = wait;
                Ok(true)
            }
        }
    }

    /// As [`Stream::shutdown_write`].
    pub(crate) fn shutdown_write(&mut self) -> io::Result<()> {
        match self {
            WriteHalf::Unix(s) => s.shutdown(Shutdown::Write),
            WriteHalf::Tcp(s) => s.shutdown(Shutdown::Write),
            WriteHalf::Pipe(p) => {
                *p = None;
                Ok(())
            }
            #[cfg(feature = "tls")]
            WriteHalf::Tls(s) => s.close_write(),
        }
    }
}

/// Sets a socket's read timeout for a wait of `want` unless the current one will do.
fn set_timeout(
    cache: &mut SocketTimeout,
    want: Option<Duration>,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    if keep_timeout(*cache, want) {
        return Ok(());
    }
    let t = want.map(socket_timeout);
    set(t)?;
    *cache = Some(t);
    Ok(())
}

/// Connects to a `tcp://` endpoint: every address the name resolves to in turn, each bounded
/// by what is left of the deadline; `TCP_NODELAY` on (a request is written whole, and the
/// answer to a small one must not wait for an acknowledgement).
pub(crate) fn connect_tcp(t: &TcpEndpoint, deadline: Option<Instant>) -> Result<TcpStream> {
    let target = format!("{}:{}", bracket(&t.host), t.port);
    let addrs = (t.host.as_str(), t.port)
        .to_socket_addrs()
        .map_err(|e| Error::io(format!("resolving {target}"), e))?;
    let mut last = None;
    for addr in addrs {
        let result = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::timeout(crate::TimeoutKind::Connect));
                }
                TcpStream::connect_timeout(&addr, left)
            }
            None => TcpStream::connect(addr),
        };
        match result {
            Ok(s) => {
                s.set_nodelay(true)
                    .map_err(|e| Error::io(format!("configuring the connection to {target}"), e))?;
                return Ok(s);
            }
            Err(e) if super::is_timeout_error(&e) => {
                return Err(Error::timeout(crate::TimeoutKind::Connect))
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        Some((addr, e)) if e.kind() == io::ErrorKind::ConnectionRefused => Error::io(
            format!(
                "nothing is listening on {target} ({addr}): is dockerd started with -H tcp://?"
            ),
            e,
        ),
        Some((addr, e)) => Error::io(format!("connecting to {target} ({addr})"), e),
        None => Error::io(
            format!("resolving {target}"),
            io::Error::new(io::ErrorKind::NotFound, "the name has no address"),
        ),
    })
}

/// `host`, in brackets when it is an IPv6 address.
pub(crate) fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}
