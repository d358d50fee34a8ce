//! The socket of a connection: a Unix stream or a TCP stream, both non-blocking mio sources.
//! No protocol rule here.

use std::io::{self, Read, Write};
use std::net::Shutdown;

use mio::event::Source;
use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Registry, Token};

/// A connection's socket: the daemon's Unix socket or a `tcp://` endpoint (plain HTTP).
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// A Unix stream socket.
    Unix(UnixStream),
    /// A TCP stream (`TCP_NODELAY` on when made by [`Connection::connect_tcp`](crate::Connection::connect_tcp)).
    Tcp(TcpStream),
}

impl From<UnixStream> for Stream {
    fn from(s: UnixStream) -> Stream {
        Stream::Unix(s)
    }
}

impl From<TcpStream> for Stream {
    fn from(s: TcpStream) -> Stream {
        Stream::Tcp(s)
    }
}

impl Stream {
    /// Shuts down a direction of the socket.
    ///
    /// # Errors
    ///
    /// The `shutdown` error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.shutdown(how),
            Stream::Tcp(s) => s.shutdown(how),
        }
    }
}

impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match *self {
            Stream::Unix(s) => (&*s).read(buf),
            Stream::Tcp(s) => (&*s).read(buf),
        }
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match *self {
            Stream::Unix(s) => (&*s).write(buf),
            Stream::Tcp(s) => (&*s).write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.register(registry, token, interests),
            Stream::Tcp(s) => s.register(registry, token, interests),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.reregister(registry, token, interests),
            Stream::Tcp(s) => s.reregister(registry, token, interests),
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.deregister(registry),
            Stream::Tcp(s) => s.deregister(registry),
        }
    }
}
