//! The client: configuration, the connection pool, version negotiation, and the exchange loop
//! (write the request, read the response head) shared by every call.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use docksock_api::{system, Call, CallBody, RequestBody};
use docksock_proto::encode::{PathParam, RequestSpec};
use docksock_proto::version::{self, ApiVersion};
use docksock_proto::{BodyKind, Event, Head, Limits, PeerError, ResponseDecoder};

use crate::body::{Body, Repr};
use crate::conn::{is_closed_error, is_timeout_error, Conn, SharedPath, READ_CHUNK};
use crate::error::{Error, Result, TimeoutKind};
use crate::headers::ResponseHeaders;
use crate::hijack::Hijacked;
use crate::response::Response;

/// The socket used when neither `DOCKER_HOST` nor the builder names one.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The sockets [`Client::from_env`] looks for when `DOCKER_HOST` is unset, in order: Docker's
/// [`DEFAULT_SOCKET`], rootless Podman's `$XDG_RUNTIME_DIR/podman/podman.sock` (when
/// `XDG_RUNTIME_DIR` is set), rootful Podman's `/run/podman/podman.sock`.
pub fn socket_candidates() -> Vec<PathBuf> {
    socket_candidates_in(std::env::var_os("XDG_RUNTIME_DIR").as_deref())
}

fn socket_candidates_in(xdg_runtime_dir: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    let mut candidates = vec![PathBuf::from(DEFAULT_SOCKET)];
    if let Some(dir) = xdg_runtime_dir.filter(|d| !d.is_empty()) {
        candidates.push(Path::new(dir).join("podman").join("podman.sock"));
    }
    candidates.push(PathBuf::from("/run/podman/podman.sock"));
    candidates
}

/// Default connect timeout: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default response-head timeout: 60 s from the end of the request to the end of the head.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(60);
/// Default idle timeout: 60 s without a byte on a body or a hijacked stream.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of idle keep-alive connections kept: 4.
pub const DEFAULT_POOL_SIZE: usize = 4;
/// Default cap on bodies read whole ([`Response::json`], [`Response::bytes`]…): 64 MiB.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// The cap on an error body read to find the daemon's message: 64 KiB.
pub(crate) const MAX_ERROR_BODY: usize = 64 << 10;

/// Locks a mutex, ignoring poisoning (the data is a pool of sockets or a version: always valid).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Configuration shared by every connection of a client.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) connect_timeout: Duration,
    pub(crate) head_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) limits: Limits,
    pub(crate) pool_size: usize,
    pub(crate) max_json_message: usize,
    pub(crate) max_body: usize,
}

/// Builds a [`Client`] with explicit socket, timeouts, limits, pool size and API version.
///
/// ```
/// use std::time::Duration;
///
/// let client = docksock::Client::builder()
///     .socket("/var/run/docker.sock")
///     .head_timeout(Duration::from_secs(30))
///     .idle_timeout(Duration::from_secs(120))
///     .pool_size(2)
///     .build();
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    path: PathBuf,
    cfg: Config,
    api_version: Option<ApiVersion>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            path: PathBuf::from(DEFAULT_SOCKET),
            cfg: Config {
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                head_timeout: DEFAULT_HEAD_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                limits: Limits::default(),
                pool_size: DEFAULT_POOL_SIZE,
                max_json_message: docksock_proto::json::DEFAULT_MAX_MESSAGE,
                max_body: DEFAULT_MAX_BODY,
            },
            api_version: None,
        }
    }
}

/// Parses a `DOCKER_HOST` value: `unix:///path` or a bare absolute path.
fn parse_host(host: &str) -> Result<PathBuf> {
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(Error::Config(format!(
                "Docker host {host:?} names no socket path (expected unix:///path/to/docker.sock)"
            )));
        }
        return Ok(PathBuf::from(path));
    }
    if host.starts_with('/') {
        return Ok(PathBuf::from(host));
    }
    match host.split_once("://") {
        Some((scheme, _)) => Err(Error::Config(format!(
            "Docker host {host:?}: the {scheme}:// scheme is not supported; docksock speaks \
             only to a local Unix socket (unix:///var/run/docker.sock)"
        ))),
        None => Err(Error::Config(format!(
            "Docker host {host:?} is neither unix:///path nor an absolute socket path"
        ))),
    }
}

fn parse_version(v: &str) -> Result<ApiVersion> {
    v.parse().map_err(|_| {
        Error::Config(format!(
            "DOCKER_API_VERSION={v} is not a MAJOR.MINOR API version (for example 1.41)"
        ))
    })
}

impl ClientBuilder {
    /// The socket path to connect to (default [`DEFAULT_SOCKET`]).
    #[must_use]
    pub fn socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// The socket as a `DOCKER_HOST` value: `unix:///path` or a bare `/path`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the scheme for anything else (`tcp://`, `ssh://`, `npipe://`…):
    /// this client speaks only to a local Unix socket.
    pub fn host(mut self, host: &str) -> Result<Self> {
        self.path = parse_host(host)?;
        Ok(self)
    }

    /// The connect timeout (default 5 s). A Unix-socket `connect` completes or fails at once
    /// unless the daemon's accept backlog is full; std has no way to interrupt that wait for a
    /// Unix socket, so the connect runs in the calling thread and a connect that took longer
    /// than this (or that the kernel gave up with `EAGAIN`/`ETIMEDOUT`) is reported as
    /// [`TimeoutKind::Connect`] when it returns.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.cfg.connect_timeout = timeout;
        self
    }

    /// Bounds the wait for the response head, from the end of the request (default 60 s).
    /// Import and build answer only after the whole upload, so this runs from there.
    #[must_use]
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.cfg.head_timeout = timeout;
        self
    }

    /// The longest silence allowed between two reads of a body or hijacked stream, and between
    /// two writes of a request body (default 60 s). It is never switched off, not even for
    /// streams: raise it per stream with `set_idle_timeout` for quiet follows, events or waits.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.cfg.idle_timeout = timeout;
        self
    }

    /// Decoder limits on everything the daemon controls (head size, header count…).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.cfg.limits = limits;
        self
    }

    /// How many idle keep-alive connections to keep (default 4; 0 disables reuse).
    #[must_use]
    pub fn pool_size(mut self, size: usize) -> Self {
        self.cfg.pool_size = size;
        self
    }

    /// Pins the API version: no negotiation, every path gets `/v{version}`.
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = Some(version);
        self
    }

    /// The cap on one message of a JSON stream (default 1 MiB).
    #[must_use]
    pub fn max_json_message(mut self, bytes: usize) -> Self {
        self.cfg.max_json_message = bytes;
        self
    }

    /// The cap on a body read whole by [`Response::json`], [`Response::text`] or
    /// [`Response::bytes`] (default 64 MiB). Read larger bodies through the `Read` impl.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.cfg.max_body = bytes;
        self
    }

    /// The client. Nothing is connected yet: the first call connects and negotiates.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                path: Arc::from(self.path.as_path()),
                cfg: self.cfg,
                pinned: self.api_version,
                negotiated: Mutex::new(None),
                pool: Mutex::new(Vec::new()),
            }),
        }
    }
}

/// A blocking Docker Engine API client over the daemon's Unix socket.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`: share one between threads. It keeps a few
/// idle keep-alive connections; it negotiates the API version on first use (`HEAD /_ping`) and
/// prefixes every path with it.
///
/// # Examples
///
/// ```no_run
/// use docksock::{Client, ListContainersOptions};
///
/// let docker = Client::from_env()?;
/// println!("API {}", docker.api_version()?);
/// for c in docker.list_containers(&ListContainersOptions::default())?.as_array().into_iter().flatten() {
///     println!("{} {}", c["Id"], c["Image"]);
/// }
/// # Ok::<(), docksock::Error>(())
/// ```
///
/// The raw escape hatch, for any endpoint:
///
/// ```no_run
/// use docksock::{Body, Client, PathParam};
///
/// let docker = Client::new("/var/run/docker.sock");
/// let resp = docker.request(
///     "GET",
///     "/containers/{id}/json",
///     &[("id", PathParam::Plain("web"))],
///     &[("size", "1")],
///     &[],
///     Body::empty(),
/// )?;
/// println!("{} {}", resp.status, resp.reason);
/// # Ok::<(), docksock::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("socket", &self.inner.path)
            .field("pinned", &self.inner.pinned)
            .field("idle", &lock(&self.inner.pool).len())
            .finish()
    }
}

pub(crate) struct Inner {
    pub(crate) path: SharedPath,
    pub(crate) cfg: Config,
    pinned: Option<ApiVersion>,
    negotiated: Mutex<Option<ApiVersion>>,
    pool: Mutex<Vec<Conn>>,
}

impl Inner {
    /// Returns a connection to the idle pool (when there is room) or closes it.
    pub(crate) fn checkin(&self, mut conn: Conn) {
        if !conn.is_clean() {
            return;
        }
        conn.reused = true;
        let mut pool = lock(&self.pool);
        if pool.len() < self.cfg.pool_size {
            pool.push(conn);
        }
    }

    /// An idle pooled connection, if there is one.
    fn pop_idle(&self) -> Option<Conn> {
        lock(&self.pool).pop()
    }

    fn connect(&self) -> Result<Conn> {
        let limits = &self.cfg.limits;
        let max_buf = limits
            .max_head_bytes
            .max(limits.max_trailer_bytes)
            .saturating_add(READ_CHUNK);
        let started = Instant::now();
        let conn = Conn::connect(&self.path, max_buf)?;
        if started.elapsed() > self.cfg.connect_timeout {
            // The connect blocked (a full accept backlog) for longer than allowed: the daemon
            // is not keeping up; report it as the timeout it is.
            return Err(Error::Timeout(TimeoutKind::Connect));
        }
        Ok(conn)
    }
}

/// A response head, copied out of the connection's buffer: the status, the reason, and the
/// field lines as one owned copy (read back with the core's iterator).
#[derive(Debug)]
pub(crate) struct OwnedHead {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: ResponseHeaders,
    pub(crate) body: BodyKind,
}

impl OwnedHead {
    fn new(head: &Head<'_>) -> Self {
        OwnedHead {
            status: head.status(),
            reason: String::from_utf8_lossy(head.reason()).into_owned(),
            headers: ResponseHeaders::new(head.headers()),
            body: head.body_kind(),
        }
    }
}

/// The state after the response head: the connection, positioned at the body (or, after an
/// upgrade, at the raw stream), and the decoder.
pub(crate) struct Exchange {
    pub(crate) conn: Conn,
    pub(crate) decoder: ResponseDecoder,
    pub(crate) head: OwnedHead,
    pub(crate) upgraded: bool,
    /// False when the request body was not sent whole (the daemon answered early): the
    /// connection must not be reused whatever the response says.
    pub(crate) request_complete: bool,
    pub(crate) idle_timeout: Duration,
}

/// A failed attempt, and whether it may be retried on a fresh connection.
struct Failure {
    error: Error,
    retry: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry: false,
        }
    }
}

/// Room before the data in the upload buffer for the chunk-size line (16 hex digits + CRLF).
const CHUNK_PREFIX_ROOM: usize = 18;

impl Client {
    /// A client for the socket at `path`, with the default timeouts and limits.
    pub fn new(path: impl Into<PathBuf>) -> Client {
        ClientBuilder::default().socket(path).build()
    }

    /// A builder, starting from the defaults ([`DEFAULT_SOCKET`], the `DEFAULT_*` timeouts).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured like the `docker` CLI: `DOCKER_HOST` (`unix:///path` or a bare
    /// `/path`) and `DOCKER_API_VERSION` (pins the version). Without `DOCKER_HOST`, the first of
    /// [`socket_candidates`] that exists (Docker's, then Podman's sockets), else
    /// [`DEFAULT_SOCKET`]; a failed connect to it then names every path looked at.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for another `DOCKER_HOST` scheme (`tcp://`, `ssh://`…, named in the
    /// message) or a malformed `DOCKER_API_VERSION`.
    pub fn from_env() -> Result<Client> {
        Ok(Self::builder_from_env()?.build())
    }

    /// The builder [`from_env`](Self::from_env) uses, to adjust timeouts before building.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn builder_from_env() -> Result<ClientBuilder> {
        let mut b = ClientBuilder::default();
        let host = std::env::var_os("DOCKER_HOST").filter(|h| !h.is_empty());
        if let Some(host) = host {
            let host = host.to_string_lossy();
            b = b.host(&host).map_err(|e| match e {
                Error::Config(m) => Error::Config(format!("DOCKER_HOST: {m}")),
                other => other,
            })?;
        } else if let Some(found) = socket_candidates().into_iter().find(|p| p.exists()) {
            b = b.socket(found);
        }
        if let Some(v) = std::env::var_os("DOCKER_API_VERSION") {
            let v = v.to_string_lossy();
            if !v.is_empty() {
                b = b.api_version(parse_version(&v)?);
            }
        }
        Ok(b)
    }

    /// The socket path this client connects to.
    pub fn socket_path(&self) -> &Path {
        &self.inner.path
    }

    /// The API version used on every request: the pinned one, or the one negotiated with the
    /// daemon (negotiating now if this is the first call).
    ///
    /// # Errors
    ///
    /// [`Error::Version`] when the daemon's version is outside
    /// [`MIN_SUPPORTED`](docksock_proto::version::MIN_SUPPORTED)..=
    /// [`MAX_SUPPORTED`](docksock_proto::version::MAX_SUPPORTED); any error of the ping.
    pub fn api_version(&self) -> Result<ApiVersion> {
        if let Some(v) = self.inner.pinned {
            return Ok(v);
        }
        if let Some(v) = *lock(&self.inner.negotiated) {
            return Ok(v);
        }
        let v = self.negotiate()?;
        *lock(&self.inner.negotiated) = Some(v);
        Ok(v)
    }

    /// `HEAD /_ping` (or `GET` if the daemon rejects `HEAD`), then `Api-Version` against the
    /// supported range.
    fn negotiate(&self) -> Result<ApiVersion> {
        let mut resp = self.send(&system::ping_head(), Body::empty(), None)?;
        if (400..500).contains(&resp.status) {
            resp.body.discard();
            resp = self.send(&system::ping(), Body::empty(), None)?;
        }
        let header = resp.header("Api-Version").map(str::to_owned);
        let status = resp.status;
        if header.is_none() && !(200..300).contains(&status) {
            return Err(resp.into_error());
        }
        resp.body.discard();
        system::negotiate(header.as_deref().map(str::as_bytes)).map_err(|e| match e {
            system::NegotiationError::Unsupported(daemon) => Error::Version {
                message: format!(
                    "the daemon at {} speaks Docker Engine API up to {daemon}, but this client \
                     supports {}..={}: upgrade the Docker daemon",
                    self.inner.path.display(),
                    version::MIN_SUPPORTED,
                    version::MAX_SUPPORTED
                ),
            },
            _ => Error::Version {
                message: format!(
                    "the daemon sent an invalid Api-Version header: {:?}",
                    header.as_deref().unwrap_or_default()
                ),
            },
        })
    }

    /// Any request: `method`, a path template with `{name}` placeholders filled from `params`
    /// (percent-encoded and validated by the core), `query` pairs, extra `headers`, a `body`.
    /// The path gets the API version prefix. Any status comes back as a [`Response`]; use
    /// [`Response::error_for_status`] to turn non-2xx into [`Error::Api`]. The same as
    /// [`send`](Self::send) of a [`Call::custom`].
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] for an invalid method, path, parameter or header (nothing is sent);
    /// connection, timeout and protocol errors; [`Error::Version`] if negotiation fails.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        params: &[(&str, PathParam<'_>)],
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Response> {
        let mut call = Call::custom(method, path).params(params);
        for (k, v) in query {
            call = call.query(k, *v);
        }
        for (k, v) in headers {
            call = call.header(k, *v);
        }
        self.send(&call, body, Some(self.api_version()?))
    }

    /// Runs an operation (see `docksock_api`: every call of this client is one) and checks
    /// that the status means success for it (any 2xx, or one the operation also accepts, like
    /// `304` for starting a started container).
    ///
    /// ```no_run
    /// use docksock_api::{containers, ListContainersOptions};
    ///
    /// let docker = docksock::Client::from_env()?;
    /// let list = docker.run(containers::list(&ListContainersOptions::default()))?.json()?;
    /// # let _ = list;
    /// # Ok::<(), docksock::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a status that is not a success; [`Error::Config`] for an operation
    /// that streams its body (use [`run_with_body`](Self::run_with_body)); connection,
    /// timeout, protocol and version errors.
    pub fn run(&self, call: Call<'_>) -> Result<Response> {
        if call.is_streamed() {
            return Err(Error::Config(format!(
                "{} {} streams its request body: run it with Client::run_with_body",
                call.method(),
                call.path()
            )));
        }
        self.run_with_body(call, Body::empty())
    }

    /// [`run`](Self::run) with a request body streamed from `body` (an image import or a
    /// build context tar). A body given here replaces the call's own.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn run_with_body(&self, call: Call<'_>, body: Body<'_>) -> Result<Response> {
        let v = self.api_version()?;
        let op = call.operation();
        let resp = self.send(&call, body, Some(v))?;
        if op.is_success(resp.status) {
            Ok(resp)
        } else {
            Err(resp.into_error())
        }
    }

    /// Sends `call` with `body` (or the call's own bytes when `body` is empty) at `version`
    /// and returns the response, whatever its status.
    ///
    /// # Errors
    ///
    /// Connection, timeout and protocol errors; an unasked-for protocol switch.
    pub fn send(
        &self,
        call: &Call<'_>,
        body: Body<'_>,
        version: Option<ApiVersion>,
    ) -> Result<Response> {
        let x = self.exchange(call, body, version)?;
        if x.upgraded {
            // Not asked for (no upgrade header sent unless `upgrade`); the connection is raw now.
            return Err(Error::Unexpected(format!(
                "the daemon switched protocols ({} {}) on a plain request",
                x.head.status, x.head.reason
            )));
        }
        Ok(Response::from_exchange(x, Arc::clone(&self.inner)))
    }

    /// Runs an operation that hijacks the connection (attach, exec start) and returns the
    /// duplex stream once the daemon has answered.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for an error status; [`Error::Unexpected`] when the daemon answers
    /// neither `101` nor a close-delimited `200`; connection, timeout and protocol errors.
    pub fn run_hijack(&self, call: Call<'_>) -> Result<Hijacked> {
        let v = self.api_version()?;
        let x = self.exchange(&call, Body::empty(), Some(v))?;
        if x.upgraded {
            return Ok(Hijacked::new(x.conn, x.idle_timeout));
        }
        let status = x.head.status;
        if (200..300).contains(&status) && x.head.body == BodyKind::CloseDelimited {
            // dockerd's other hijack form: 200, close-delimited raw stream.
            return Ok(Hijacked::new(x.conn, x.idle_timeout));
        }
        let resp = Response::from_exchange(x, Arc::clone(&self.inner));
        if !(200..300).contains(&status) {
            return Err(resp.into_error());
        }
        Err(Error::Unexpected(format!(
            "expected 101 Switching Protocols or a close-delimited 200 for a hijacked stream, \
             got {status} {}",
            resp.reason
        )))
    }

    /// Encodes and sends a call and reads the response head, on a pooled connection with one
    /// retry on a fresh one when the pooled one turns out closed (see `attempt`). `body`, when
    /// not empty, replaces the call's own body.
    pub(crate) fn exchange(
        &self,
        call: &Call<'_>,
        body: Body<'_>,
        version: Option<ApiVersion>,
    ) -> Result<Exchange> {
        let mut body = match (body.repr, call.body_ref()) {
            (Repr::Empty, CallBody::Bytes { data, .. }) => Body::bytes(&data[..]),
            (Repr::Empty, CallBody::Stream { .. }) => {
                return Err(Error::Config(format!(
                    "{} {} streams its request body, and none was given",
                    call.method(),
                    call.path()
                )))
            }
            (repr, _) => Body { repr },
        };
        let content_type = match (&body.repr, call.body_ref()) {
            (_, CallBody::Bytes { .. } | CallBody::Stream { .. }) => None,
            (Repr::Empty, _) => None,
            _ if call.request_kind() == RequestBody::Tar => Some("application/x-tar"),
            _ => body.content_type(),
        };
        let t = Timeouts {
            idle: resolve(call.idle_timeout_setting(), self.inner.cfg.idle_timeout),
            head: resolve(call.head_timeout_setting(), self.inner.cfg.head_timeout),
        };
        let mut extra: Option<Call<'_>> = None;
        let call = match content_type {
            Some(ct)
                if !call
                    .headers()
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type")) =>
            {
                extra.insert(call.clone().header("Content-Type", ct))
            }
            _ => call,
        };
        let framing = match &body.repr {
            Repr::Empty => docksock_proto::encode::BodyFraming::None,
            Repr::Bytes { data, .. } => {
                docksock_proto::encode::BodyFraming::Length(data.len() as u64)
            }
            Repr::Reader(_) => docksock_proto::encode::BodyFraming::Chunked,
        };
        call.with_spec(version, |spec| {
            self.exchange_spec(&spec.body(framing), &mut body, t)
        })
    }

    /// [`exchange`](Self::exchange) once the request is a spec.
    fn exchange_spec(
        &self,
        spec: &RequestSpec<'_>,
        body: &mut Body<'_>,
        t: Timeouts,
    ) -> Result<Exchange> {
        // Encode into the pooled connection's buffer (reused from one request to the next),
        // before any connect: an invalid request is refused without touching the socket. A
        // short `Content-Length` body goes into the same buffer, for one write.
        let mut pooled = self.inner.pop_idle();
        let mut wire = pooled.as_mut().map(Conn::take_wbuf).unwrap_or_default();
        let encoded = spec.encode_vec(&mut wire);
        if let Err(e) = encoded {
            if let Some(mut conn) = pooled {
                conn.set_wbuf(wire);
                self.inner.checkin(conn);
            }
            return Err(e.into());
        }
        if let Repr::Bytes { data, .. } = &body.repr {
            if data.len() <= READ_CHUNK {
                wire.extend_from_slice(data);
            }
        }

        let conn = match pooled {
            Some(conn) => conn,
            None => self.inner.connect()?,
        };
        let reused = conn.reused;
        let mut x = match self.attempt(conn, spec, &wire, body, t) {
            Ok(x) => x,
            Err(Failure { error, retry }) => {
                if retry && reused {
                    let conn = self.inner.connect()?;
                    self.attempt(conn, spec, &wire, body, t)
                        .map_err(|f| f.error)?
                } else {
                    return Err(error);
                }
            }
        };
        x.conn.set_wbuf(wire);
        Ok(x)
    }

    /// One try on one connection: write the head and body, read the response head. `wire` is
    /// the encoded head, followed by the body when it is bytes of at most `READ_CHUNK`.
    ///
    /// Retryable (`Failure::retry`) only when the connection came from the pool, not one byte
    /// of the response arrived, the failure says the daemon had closed it (EOF, `EPIPE`,
    /// `ECONNRESET`), and the body can be sent again (nothing was read from a streamed body).
    fn attempt(
        &self,
        mut conn: Conn,
        spec: &RequestSpec<'_>,
        wire: &[u8],
        body: &mut Body<'_>,
        t: Timeouts,
    ) -> Result<Exchange, Failure> {
        let cfg = &self.inner.cfg;
        let reused = conn.reused;
        conn.set_write_timeout(t.idle)?;
        let mut body_consumed = false;
        // A write that failed because the daemon closed: remembered while we look for an
        // answer it may have sent before closing.
        let mut closed_write: Option<io::Error> = None;
        let mut request_complete = true;
        let write_ctx = |conn: &Conn| format!("writing the request to {}", conn.path().display());

        let outcome = match &mut body.repr {
            Repr::Empty => conn.write_all(wire),
            Repr::Bytes { data, .. } => {
                if data.len() <= READ_CHUNK {
                    // The body is in `wire` already.
                    conn.write_all(wire)
                } else {
                    conn.write_all(wire).and_then(|()| conn.write_all(data))
                }
            }
            Repr::Reader(reader) => {
                match self.upload(&mut conn, spec, wire, &mut **reader, &mut body_consumed) {
                    Ok(complete) => {
                        request_complete = complete;
                        Ok(())
                    }
                    Err(UploadError::Write(e)) => Err(e),
                    Err(UploadError::Other(e)) => return Err(e.into()),
                }
            }
        };
        if let Err(e) = outcome {
            if is_closed_error(&e) {
                closed_write = Some(e);
                request_complete = false;
            } else if is_timeout_error(&e) {
                return Err(Error::Timeout(TimeoutKind::Idle).into());
            } else {
                return Err(Error::io(write_ctx(&conn), e).into());
            }
        }
        let replayable = !body_consumed;

        // The response head.
        let mut decoder = ResponseDecoder::with_limits(spec.method, cfg.limits);
        // A huge head timeout (no representable deadline) waits a day per read.
        let deadline = Instant::now().checked_add(t.head);
        loop {
            let eof = conn.eof();
            let step = {
                let input = conn.unread();
                let res = if eof {
                    decoder.decode_eof(input)
                } else {
                    decoder.decode(input)
                };
                res.map(|d| {
                    let ev = match d.event {
                        Event::NeedMore => Step::NeedMore,
                        Event::Informational(_) => Step::Again,
                        Event::Head(h) => Step::Head(OwnedHead::new(&h), false),
                        Event::Upgrade(h) => Step::Head(OwnedHead::new(&h), true),
                        _ => Step::Odd,
                    };
                    (d.consumed, ev)
                })
            };
            let (consumed, ev) = match step {
                Ok(s) => s,
                Err(docksock_proto::Error::Peer(PeerError::ClosedBeforeResponse)) => {
                    let error = match closed_write {
                        Some(e) => Error::io(write_ctx(&conn), e),
                        None => Error::Protocol(PeerError::ClosedBeforeResponse.into()),
                    };
                    return Err(Failure {
                        error,
                        retry: reused && replayable,
                    });
                }
                Err(e) => return Err(Error::Protocol(e).into()),
            };
            conn.consume(consumed);
            match ev {
                Step::NeedMore => {
                    let left = deadline.map_or(Duration::from_secs(86_400), |d| {
                        d.saturating_duration_since(Instant::now())
                    });
                    if left.is_zero() {
                        return Err(Error::Timeout(TimeoutKind::Head).into());
                    }
                    match conn.fill(left, TimeoutKind::Head) {
                        Ok(_) => {}
                        Err(Error::Io { source, context })
                            if is_closed_error(&source) && decoder.is_idle() =>
                        {
                            // A reset before any response byte: the daemon had closed.
                            let error = match closed_write {
                                Some(e) => Error::io(write_ctx(&conn), e),
                                None => Error::Io { source, context },
                            };
                            return Err(Failure {
                                error,
                                retry: reused && replayable,
                            });
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Step::Again => {}
                Step::Head(head, upgraded) => {
                    return Ok(Exchange {
                        conn,
                        decoder,
                        head,
                        upgraded,
                        request_complete,
                        idle_timeout: t.idle,
                    })
                }
                Step::Odd => {
                    return Err(
                        Error::Unexpected("body event before the response head".into()).into(),
                    )
                }
            }
        }
    }

    /// Streams a chunked body from `reader`, 64 KiB at a time, each chunk framed in place in
    /// one buffer (one write per chunk). Between chunks it checks, without blocking, whether
    /// the daemon already answered (an early error): then it stops and returns `Ok(false)`.
    fn upload(
        &self,
        conn: &mut Conn,
        spec: &RequestSpec<'_>,
        head: &[u8],
        reader: &mut dyn Read,
        consumed: &mut bool,
    ) -> Result<bool, UploadError> {
        conn.write_all(head).map_err(UploadError::Write)?;
        let mut enc = spec.body_encoder();
        let mut buf = vec![0u8; CHUNK_PREFIX_ROOM + READ_CHUNK + 2];
        loop {
            let n = loop {
                let data = buf
                    .get_mut(CHUNK_PREFIX_ROOM..CHUNK_PREFIX_ROOM + READ_CHUNK)
                    .unwrap_or(&mut []);
                match reader.read(data) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(UploadError::Other(Error::from_io(
                            "reading the request body",
                            e,
                        )))
                    }
                }
            };
            if n == 0 {
                let end = enc.finish().map_err(|e| UploadError::Other(e.into()))?;
                conn.write_all(end).map_err(UploadError::Write)?;
                return Ok(true);
            }
            *consumed = true;
            let frame = enc.frame(n).map_err(|e| UploadError::Other(e.into()))?;
            let prefix = frame.prefix();
            let suffix = frame.suffix();
            let start = CHUNK_PREFIX_ROOM - prefix.len();
            let stop = CHUNK_PREFIX_ROOM + n;
            if let Some(dst) = buf.get_mut(start..CHUNK_PREFIX_ROOM) {
                dst.copy_from_slice(prefix);
            }
            if let Some(dst) = buf.get_mut(stop..stop + suffix.len()) {
                dst.copy_from_slice(suffix);
            }
            let framed = buf.get(start..stop + suffix.len()).unwrap_or(&[]);
            conn.write_all(framed).map_err(UploadError::Write)?;
            match conn.poll_readable() {
                Ok(false) => {}
                Ok(true) => return Ok(false),
                Err(e) => return Err(UploadError::Write(e)),
            }
        }
    }
}

/// A timeout setting against the configured duration; no deadline is `Duration::MAX` (waits
/// a day per read).
fn resolve(setting: docksock_proto::timeout::Timeout, configured: Duration) -> Duration {
    setting.resolve(Some(configured)).unwrap_or(Duration::MAX)
}

#[derive(Clone, Copy)]
struct Timeouts {
    idle: Duration,
    head: Duration,
}

enum UploadError {
    /// Writing to the socket failed.
    Write(io::Error),
    /// Anything else (the body's reader failed).
    Other(Error),
}

enum Step {
    NeedMore,
    Again,
    Head(OwnedHead, bool),
    Odd,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_candidates_docker_then_podman() {
        let dir = std::ffi::OsStr::new("/run/user/1000");
        assert_eq!(
            socket_candidates_in(Some(dir)),
            [
                PathBuf::from("/var/run/docker.sock"),
                PathBuf::from("/run/user/1000/podman/podman.sock"),
                PathBuf::from("/run/podman/podman.sock"),
            ]
        );
        assert_eq!(
            socket_candidates_in(Some(std::ffi::OsStr::new(""))),
            [
                PathBuf::from("/var/run/docker.sock"),
                PathBuf::from("/run/podman/podman.sock"),
            ]
        );
        assert_eq!(socket_candidates_in(None).len(), 2);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            parse_host("unix:///var/run/docker.sock").unwrap(),
            PathBuf::from("/var/run/docker.sock")
        );
        assert_eq!(
            parse_host("/tmp/d.sock").unwrap(),
            PathBuf::from("/tmp/d.sock")
        );
        for bad in [
            "tcp://1.2.3.4:2375",
            "ssh://u@h",
            "fd://",
            "npipe:////./pipe/x",
        ] {
            let e = parse_host(bad).unwrap_err().to_string();
            let scheme = bad.split("://").next().unwrap_or("");
            assert!(e.contains(&format!("the {scheme}:// scheme")), "{e}");
        }
        assert!(parse_host("unix://").is_err());
        assert!(parse_host("relative.sock").is_err());
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.41").unwrap(), ApiVersion::new(1, 41));
        for bad in ["v1.41", "1", "1.41.0", " 1.41", "x"] {
            assert!(matches!(parse_version(bad), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn client_is_shareable() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        fn assert_send<T: Send>() {}
        assert_send::<Response>();
        assert_send::<Hijacked>();
        assert_send::<Error>();
    }
}
