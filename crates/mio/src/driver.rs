//! [`Driver`]: a convenience event loop owning a [`mio::Poll`] and many connections.

use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};

use crate::{Config, Connection, Output, Request, RequestId, SendError};

/// A connection's handle in a [`Driver`]. Its index is the mio [`Token`] the driver registered
/// it with. Handles of closed connections are reused by later connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(usize);

impl ConnId {
    /// The mio token of the connection.
    pub const fn token(self) -> Token {
        Token(self.0)
    }

    /// The slot index.
    pub const fn index(self) -> usize {
        self.0
    }
}

#[derive(Debug)]
struct Slot {
    conn: Option<Connection>,
    /// Touched since its events were last drained (an event, a send, a write).
    dirty: bool,
}

/// A ready-made loop on top of [`Connection`]: it owns a [`Poll`] and the connections, waits
/// for readiness and deadlines, and hands every [`Output`] to a callback. One thread, no
/// runtime. Use [`Connection`] directly to share a `Poll` with your own sockets.
///
/// Outputs borrow the connection they come from, so the callback cannot call the driver;
/// collect follow-up work (the next request to send…) and do it after
/// [`poll_once`](Self::poll_once) returns:
///
/// ```no_run
/// use docksock_mio::{Config, Driver, Output, Request};
/// use docksock_mio::proto::encode::RequestSpec;
///
/// let mut driver = Driver::new()?;
/// let conn = driver.connect("/var/run/docker.sock", Config::default())?;
/// let ping = Request::new(RequestSpec::new("GET", "/_ping"));
/// driver.send(conn, &ping).expect("send");
/// let mut remaining = 100;
/// while remaining > 0 {
///     let mut again = Vec::new();
///     driver.poll_once(None, |conn, out| match out {
///         Output::Head { head, .. } => assert_eq!(head.status(), 200),
///         Output::End { .. } => again.push(conn),
///         Output::Error { error, .. } => panic!("{error}"),
///         _ => {}
///     })?;
///     for conn in again {
///         remaining -= 1;
///         if remaining > 0 {
///             driver.send(conn, &ping).expect("send");
///         }
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Deadlines: the driver keeps a lower bound of all connections' deadlines and scans them all
/// only when it is due; connections with activity are checked at once.
#[derive(Debug)]
pub struct Driver {
    poll: Poll,
    events: Events,
    slots: Vec<Slot>,
    free: Vec<usize>,
    dirty: Vec<usize>,
    open: usize,
    /// No connection has a deadline before this (a lower bound).
    earliest: Option<Instant>,
}

impl Driver {
    /// A driver with room for 1024 readiness events per poll.
    ///
    /// # Errors
    ///
    /// Creating the `Poll` (epoll instance) failed.
    pub fn new() -> io::Result<Driver> {
        Driver::with_event_capacity(1024)
    }

    /// A driver that takes up to `capacity` readiness events per poll.
    ///
    /// # Errors
    ///
    /// Creating the `Poll` failed.
    pub fn with_event_capacity(capacity: usize) -> io::Result<Driver> {
        Ok(Driver {
            poll: Poll::new()?,
            events: Events::with_capacity(capacity.max(1)),
            slots: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            open: 0,
            earliest: None,
        })
    }

    /// Connects to the socket at `path` and adds the connection.
    ///
    /// # Errors
    ///
    /// The connect error (`EMFILE` when out of file descriptors, `WouldBlock` when the
    /// listener's backlog is full), or the registration error.
    pub fn connect(&mut self, path: impl AsRef<Path>, config: Config) -> io::Result<ConnId> {
        let conn = Connection::connect(path, config, Instant::now())?;
        self.insert(conn)
    }

    /// Connects to a `tcp://` endpoint's address (plain HTTP; see
    /// [`Connection::connect_tcp`]) and adds the connection.
    ///
    /// # Errors
    ///
    /// The connect error, or the registration error.
    pub fn connect_tcp(
        &mut self,
        addr: std::net::SocketAddr,
        config: Config,
    ) -> io::Result<ConnId> {
        let conn = Connection::connect_tcp(addr, config, Instant::now())?;
        self.insert(conn)
    }

    /// Adds a connection (it must not be registered anywhere yet) and registers it.
    ///
    /// # Errors
    ///
    /// The registration error; the connection is dropped then.
    pub fn insert(&mut self, mut conn: Connection) -> io::Result<ConnId> {
        let index = self.free.pop().unwrap_or(self.slots.len());
        if let Err(e) = conn.register(self.poll.registry(), Token(index)) {
            if index < self.slots.len() {
                self.free.push(index);
            }
            return Err(e);
        }
        let slot = Slot {
            conn: Some(conn),
            dirty: false,
        };
        match self.slots.get_mut(index) {
            Some(s) => *s = slot,
            None => self.slots.push(slot),
        }
        self.open += 1;
        self.touch(index);
        Ok(ConnId(index))
    }

    /// The connection, if it is still in the driver.
    pub fn get(&self, id: ConnId) -> Option<&Connection> {
        self.slots.get(id.0).and_then(|s| s.conn.as_ref())
    }

    /// Connections in the driver. A connection leaves it after its [`Output::Closed`].
    pub fn len(&self) -> usize {
        self.open
    }

    /// True when the driver holds no connection.
    pub fn is_empty(&self) -> bool {
        self.open == 0
    }

    /// The handles of all connections.
    pub fn ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.conn.is_some())
            .map(|(i, _)| ConnId(i))
    }

    fn touch(&mut self, index: usize) {
        if let Some(slot) = self.slots.get_mut(index) {
            if !slot.dirty {
                slot.dirty = true;
                self.dirty.push(index);
            }
        }
    }

    fn with_conn<T>(
        &mut self,
        id: ConnId,
        f: impl FnOnce(&mut Connection, &mio::Registry, Instant) -> Result<T, SendError>,
    ) -> Result<T, SendError> {
        let registry = self.poll.registry();
        let Some(conn) = self.slots.get_mut(id.0).and_then(|s| s.conn.as_mut()) else {
            return Err(SendError::Closed);
        };
        let result = f(conn, registry, Instant::now());
        self.touch(id.0);
        result
    }

    /// [`Connection::can_send`] on connection `id` (false if it is gone).
    pub fn can_send(&self, id: ConnId, request: &Request<'_>) -> bool {
        self.get(id).is_some_and(|c| c.can_send(request))
    }

    /// [`Connection::send`] on connection `id`.
    ///
    /// # Errors
    ///
    /// As [`Connection::send`]; [`SendError::Closed`] when the connection is gone.
    pub fn send(&mut self, id: ConnId, request: &Request<'_>) -> Result<RequestId, SendError> {
        self.with_conn(id, |c, r, now| c.send(r, request, now))
    }

    /// Sends an operation's [`Call`](docksock_api::Call) on connection `id` at `version`
    /// (see [`Request::with_call`]).
    ///
    /// ```no_run
    /// use docksock_api::system;
    /// use docksock_mio::{Config, Driver};
    ///
    /// let mut driver = Driver::new()?;
    /// let conn = driver.connect("/var/run/docker.sock", Config::default())?;
    /// let ping = driver.send_call(conn, &system::ping(), None);
    /// # let _ = ping;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_call(
        &mut self,
        id: ConnId,
        call: &docksock_api::Call<'_>,
        version: Option<docksock_proto::version::ApiVersion>,
    ) -> Result<RequestId, SendError> {
        Request::with_call(call, version, |request| self.send(id, &request))
    }

    /// [`Connection::write_body`] on connection `id`.
    ///
    /// # Errors
    ///
    /// As [`Connection::write_body`].
    pub fn write_body(
        &mut self,
        id: ConnId,
        request: RequestId,
        data: &[u8],
    ) -> Result<usize, SendError> {
        self.with_conn(id, |c, r, now| c.write_body(r, request, data, now))
    }

    /// [`Connection::finish_body`] on connection `id`.
    ///
    /// # Errors
    ///
    /// As [`Connection::finish_body`].
    pub fn finish_body(&mut self, id: ConnId, request: RequestId) -> Result<(), SendError> {
        self.with_conn(id, |c, r, now| c.finish_body(r, request, now))
    }

    /// [`Connection::write_stdin`] on connection `id`.
    ///
    /// # Errors
    ///
    /// As [`Connection::write_stdin`].
    pub fn write_stdin(&mut self, id: ConnId, data: &[u8]) -> Result<usize, SendError> {
        self.with_conn(id, |c, r, now| c.write_stdin(r, data, now))
    }

    /// [`Connection::close_stdin`] on connection `id`.
    ///
    /// # Errors
    ///
    /// As [`Connection::close_stdin`].
    pub fn close_stdin(&mut self, id: ConnId) -> Result<(), SendError> {
        self.with_conn(id, |c, r, now| c.close_stdin(r, now))
    }

    /// [`Connection::close`] on connection `id`: its last events (`Error { Cancelled }` for
    /// outstanding requests, `Closed`) come at the next [`poll_once`](Self::poll_once).
    pub fn close(&mut self, id: ConnId) {
        let _ = self.with_conn(id, |c, _, _| {
            c.close();
            Ok(())
        });
    }

    /// A lower bound of the connections' deadlines.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.dirty.is_empty() {
            self.earliest
        } else {
            Some(Instant::now())
        }
    }

    /// Waits for readiness (at most `timeout`, and no later than the next deadline), handles
    /// it, fires expired deadlines, and hands every output to `f` with the connection it
    /// belongs to. Connections whose [`Output::Closed`] was delivered are removed.
    ///
    /// # Errors
    ///
    /// `Poll::poll` failed (other than `Interrupted`, which counts as a wake-up with no events).
    pub fn poll_once(
        &mut self,
        timeout: Option<Duration>,
        mut f: impl FnMut(ConnId, Output<'_>),
    ) -> io::Result<()> {
        let now = Instant::now();
        let until_deadline = self
            .next_deadline()
            .map(|d| d.saturating_duration_since(now));
        let wait = match (timeout, until_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        let registry = self.poll.registry();
        for event in self.events.iter() {
            let index = event.token().0;
            let Some(slot) = self.slots.get_mut(index) else {
                continue;
            };
            let Some(conn) = slot.conn.as_mut() else {
                continue;
            };
            conn.handle_event(registry, event, now);
            if !slot.dirty {
                slot.dirty = true;
                self.dirty.push(index);
            }
        }
        let full_scan = self.earliest.is_some_and(|e| e <= now);
        let dirty = std::mem::take(&mut self.dirty);
        // Connections that want service again at once (events queued, or reading to resume
        // after back-pressure) go back on the dirty list rather than into `earliest`, so that
        // they do not force a scan of every connection.
        let mut again = Vec::new();
        let mut earliest = if full_scan { None } else { self.earliest };
        let indices: Box<dyn Iterator<Item = usize>> = if full_scan {
            Box::new(0..self.slots.len())
        } else {
            Box::new(dirty.iter().copied())
        };
        for index in indices {
            match self.service(index, now, &mut f) {
                Some(d) if d <= now => again.push(index),
                Some(d) => earliest = Some(earliest.map_or(d, |e: Instant| e.min(d))),
                None => {}
            }
        }
        self.earliest = earliest;
        for index in again {
            self.touch(index);
        }
        Ok(())
    }

    /// Fires deadlines, drains outputs and removes the connection at `index` if it finished.
    /// Returns its next deadline.
    fn service(
        &mut self,
        index: usize,
        now: Instant,
        f: &mut impl FnMut(ConnId, Output<'_>),
    ) -> Option<Instant> {
        let slot = self.slots.get_mut(index)?;
        slot.dirty = false;
        let conn = slot.conn.as_mut()?;
        conn.handle_timeout(now);
        while let Some(out) = conn.poll_event() {
            f(ConnId(index), out);
        }
        if conn.is_finished() {
            slot.conn = None;
            self.free.push(index);
            self.open -= 1;
            return None;
        }
        conn.next_deadline()
    }

    /// Runs [`poll_once`](Self::poll_once) until `f` returns [`ControlFlow::Break`] (the rest
    /// of that batch of outputs is still delivered), the driver is empty, or `deadline` passes.
    /// Returns `true` when `f` asked to stop.
    ///
    /// # Errors
    ///
    /// As [`poll_once`](Self::poll_once).
    pub fn run_until(
        &mut self,
        deadline: Option<Instant>,
        mut f: impl FnMut(ConnId, Output<'_>) -> ControlFlow<()>,
    ) -> io::Result<bool> {
        let mut stop = false;
        loop {
            if self.is_empty() {
                return Ok(stop);
            }
            let timeout = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Ok(false);
                    }
                    Some(d - now)
                }
                None => None,
            };
            self.poll_once(timeout, |c, o| {
                if f(c, o).is_break() {
                    stop = true;
                }
            })?;
            if stop {
                return Ok(true);
            }
        }
    }

    /// The poll's registry (to register more sources whose events the driver then ignores —
    /// use [`Connection`] in your own loop for that instead).
    pub fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }
}
