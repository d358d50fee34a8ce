//! What a client shares between its clones and threads: the configuration, the negotiated
//! version, and the pool of idle keep-alive connections.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use docksock_proto::version::ApiVersion;

use crate::config::Config;
use crate::conn::{Conn, SharedPath, Stream, READ_CHUNK};
use crate::endpoint::Endpoint;
use crate::error::Result;

/// Locks a mutex, ignoring poisoning (the data is a pool of sockets or a version: always valid).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The state behind a [`Client`](crate::Client)'s `Arc`.
pub(crate) struct Inner {
    /// The socket path, or the endpoint's URL for another transport (named by errors).
    pub(crate) path: SharedPath,
    pub(crate) endpoint: Endpoint,
    /// `Host` of every request (`host:port` for `tcp://`; `None`: the core's default).
    pub(crate) host_header: Option<String>,
    /// The path before every request's (`tcp://host:port/base`).
    pub(crate) base_path: String,
    /// The TLS client configuration, read from the files on the first connect.
    #[cfg(feature = "tls")]
    pub(crate) tls: Mutex<Option<std::sync::Arc<rustls::ClientConfig>>>,
    pub(crate) cfg: Config,
    pub(crate) pinned: Option<ApiVersion>,
    pub(crate) negotiated: Mutex<Option<ApiVersion>>,
    pub(crate) pool: Mutex<Vec<Conn>>,
    /// The `Tty` of the execs this client created and has not started yet (the newest last,
    /// at most [`EXEC_TTY_KEPT`]): starting one needs no inspect to know it.
    pub(crate) exec_tty: Mutex<Vec<(String, bool)>>,
    /// Registry credentials: the configuration (read on first use unless the builder was given
    /// one) and every registry's answer, so that a helper is asked once per client.
    pub(crate) credentials: Mutex<crate::registry::CredentialCache>,
}

/// How many created-but-not-started execs' `Tty` a client remembers.
pub(crate) const EXEC_TTY_KEPT: usize = 64;

impl Inner {
    /// Remembers the `Tty` of an exec just created.
    pub(crate) fn remember_exec_tty(&self, exec_id: &str, tty: bool) {
        let mut kept = lock(&self.exec_tty);
        if kept.len() >= EXEC_TTY_KEPT {
            kept.remove(0);
        }
        kept.push((exec_id.to_owned(), tty));
    }

    /// The remembered `Tty` of an exec (forgotten now: an exec starts once).
    pub(crate) fn take_exec_tty(&self, exec_id: &str) -> Option<bool> {
        let mut kept = lock(&self.exec_tty);
        let at = kept.iter().position(|(id, _)| id == exec_id)?;
        Some(kept.remove(at).1)
    }

    /// Returns a connection to the idle pool when its exchange says it may carry another
    /// request and there is room; otherwise closes it.
    pub(crate) fn checkin(&self, mut conn: Conn) {
        if !conn.is_reusable() {
            return;
        }
        let mut pool = lock(&self.pool);
        if pool.len() < self.cfg.pool_size {
            pool.push(conn);
        }
    }

    /// An idle pooled connection, if there is one.
    pub(crate) fn pop_idle(&self) -> Option<Conn> {
        lock(&self.pool).pop()
    }

    /// A fresh connection. Its exchange's clock starts before the `connect`, so a connect
    /// that blocked past the connect timeout fails the request with that timeout.
    pub(crate) fn connect(&self) -> Result<Conn> {
        let limits = &self.cfg.limits;
        let max_buf = limits
            .max_head_bytes
            .max(limits.max_trailer_bytes)
            .saturating_add(READ_CHUNK);
        let started = Instant::now();
        let config = self.cfg.exchange();
        let deadline = config.timeouts.connect.and_then(|t| started.checked_add(t));
        let stream = match &self.endpoint {
            Endpoint::Unix(_) => return Conn::connect(&self.path, max_buf, config, started),
            Endpoint::Tcp(t) => {
                let sock = crate::conn::connect_tcp(t, deadline)?;
                match &t.tls {
                    None => Stream::Tcp(sock),
                    #[cfg(feature = "tls")]
                    Some(files) => {
                        let tls = {
                            let mut cached = lock(&self.tls);
                            match &*cached {
                                Some(c) => std::sync::Arc::clone(c),
                                None => {
                                    let c = crate::conn::tls::client_config(files)?;
                                    *cached = Some(std::sync::Arc::clone(&c));
                                    c
                                }
                            }
                        };
                        Stream::Tls(crate::conn::tls::TlsStream::handshake(
                            sock, t, tls, deadline,
                        )?)
                    }
                    #[cfg(not(feature = "tls"))]
                    Some(_) => {
                        drop(sock);
                        return Err(crate::Error::Config(format!(
                            "{}: TLS needs docksock's `tls` feature (this build has none)",
                            self.endpoint
                        )));
                    }
                }
            }
            Endpoint::Ssh(s) => Stream::Ssh(crate::conn::SshStream::spawn(
                s,
                &self.endpoint.to_string(),
            )?),
        };
        Ok(Conn::over(stream, &self.path, max_buf, config, started))
    }
}
