//! What a client shares between its clones and threads: the configuration, the negotiated
//! version, and the pool of idle keep-alive connections.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use docksock_proto::version::ApiVersion;

use crate::config::Config;
use crate::conn::{Conn, SharedPath, READ_CHUNK};
use crate::error::Result;

/// Locks a mutex, ignoring poisoning (the data is a pool of sockets or a version: always valid).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The state behind a [`Client`](crate::Client)'s `Arc`.
pub(crate) struct Inner {
    pub(crate) path: SharedPath,
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
        Conn::connect(&self.path, max_buf, self.cfg.exchange(), started)
    }
}
