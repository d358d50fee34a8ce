//! Configuration: the defaults, [`ClientBuilder`], and `DOCKER_HOST` / `DOCKER_API_VERSION`
//! parsing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use docksock_proto::exchange::Config as ExchangeConfig;
use docksock_proto::timeout::Timeouts;
use docksock_proto::version::ApiVersion;
use docksock_proto::Limits;

use crate::client::Client;
use crate::credentials::DockerConfig;
use crate::endpoint::{Endpoint, Environment};
use crate::error::{Error, Result};
use crate::pool::Inner;
use crate::registry::CredentialCache;

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
        candidates.push(std::path::Path::new(dir).join("podman").join("podman.sock"));
    }
    candidates.push(PathBuf::from("/run/podman/podman.sock"));
    candidates
}

/// A default of [`Timeouts::DEFAULT`] (every one of them is set).
const fn default_of(t: Option<Duration>) -> Duration {
    match t {
        Some(d) => d,
        None => Duration::MAX,
    }
}

/// Default connect timeout: 5 s ([`Timeouts::DEFAULT`]).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = default_of(Timeouts::DEFAULT.connect);
/// Default response-head timeout: 60 s from the end of the request to the end of the head
/// ([`Timeouts::DEFAULT`]).
pub const DEFAULT_HEAD_TIMEOUT: Duration = default_of(Timeouts::DEFAULT.head);
/// Default idle timeout: 60 s without a byte on a body or a hijacked stream
/// ([`Timeouts::DEFAULT`]).
pub const DEFAULT_IDLE_TIMEOUT: Duration = default_of(Timeouts::DEFAULT.idle);
/// Default write timeout: 60 s without the daemon taking a byte of the request (head, body,
/// stdin) ([`Timeouts::DEFAULT`]).
pub const DEFAULT_WRITE_TIMEOUT: Duration = default_of(Timeouts::DEFAULT.write);
/// Default number of idle keep-alive connections kept: 4.
pub const DEFAULT_POOL_SIZE: usize = 4;
/// Default cap on bodies read whole ([`Response::json`](crate::Response::json),
/// [`Response::bytes`](crate::Response::bytes)…): 64 MiB.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// The cap on an error body read to find the daemon's message: 64 KiB.
pub(crate) const MAX_ERROR_BODY: usize = 64 << 10;

/// Configuration shared by every connection of a client.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Connect, head, idle and write timeouts, all set.
    pub(crate) timeouts: Timeouts,
    pub(crate) limits: Limits,
    pub(crate) pool_size: usize,
    pub(crate) max_json_message: usize,
    pub(crate) max_body: usize,
}

impl Config {
    /// The settings of each connection's exchange: one request at a time, the client's
    /// timeouts and limits.
    pub(crate) fn exchange(&self) -> ExchangeConfig {
        let mut config = ExchangeConfig::DEFAULT;
        config.pipeline = 1;
        config.timeouts = self.timeouts;
        config.limits = self.limits;
        config.max_json_message = self.max_json_message;
        config
    }
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
    endpoint: Endpoint,
    cfg: Config,
    api_version: Option<ApiVersion>,
    docker_config: Option<DockerConfig>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            endpoint: Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)),
            cfg: Config {
                timeouts: Timeouts::DEFAULT,
                limits: Limits::default(),
                pool_size: DEFAULT_POOL_SIZE,
                max_json_message: docksock_proto::json::DEFAULT_MAX_MESSAGE,
                max_body: DEFAULT_MAX_BODY,
            },
            api_version: None,
            docker_config: None,
        }
    }
}

/// Parses a `unix://` `DOCKER_HOST` value: `unix:///path` or a bare absolute path.
#[cfg(test)]
fn parse_host(host: &str) -> Result<PathBuf> {
    parse_host_os(std::ffi::OsStr::new(host))
}

/// Parses a `DOCKER_HOST` value as the bytes it is (a socket path need not be UTF-8): the path
/// is taken exactly, never rewritten.
pub(crate) fn parse_host_os(host_os: &std::ffi::OsStr) -> Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;

    let bytes = host_os.as_bytes();
    let host = host_os.to_string_lossy();
    if let Some(path) = bytes.strip_prefix(b"unix://") {
        if path.is_empty() {
            return Err(Error::Config(format!(
                "Docker host {host:?} names no socket path (expected unix:///path/to/docker.sock)"
            )));
        }
        if !path.starts_with(b"/") {
            return Err(Error::Config(format!(
                "Docker host {host:?} has a relative socket path: write unix:// then an absolute \
                 path (unix:///path/to/docker.sock, three slashes)"
            )));
        }
        return Ok(PathBuf::from(std::ffi::OsStr::from_bytes(path)));
    }
    if bytes.starts_with(b"/") {
        return Ok(PathBuf::from(host_os));
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

/// Parses a `DOCKER_API_VERSION` value.
pub(crate) fn parse_version(v: &str) -> Result<ApiVersion> {
    v.parse().map_err(|_| {
        Error::Config(format!(
            "DOCKER_API_VERSION={v} is not a MAJOR.MINOR API version (for example 1.41)"
        ))
    })
}

impl ClientBuilder {
    /// The builder of [`Client::from_env`]: the endpoint of [`resolve_endpoint`]
    /// (`DOCKER_HOST`, contexts, TLS variables) and `DOCKER_API_VERSION` over the defaults.
    ///
    /// [`resolve_endpoint`]: crate::resolve_endpoint
    pub(crate) fn from_env(
        host: Option<&std::ffi::OsStr>,
        context: Option<&str>,
    ) -> Result<ClientBuilder> {
        let resolved = Environment::from_process().resolve(host, context)?;
        let mut b = ClientBuilder::default().endpoint(resolved.endpoint);
        if let Some(v) = std::env::var_os("DOCKER_API_VERSION") {
            let v = v.to_string_lossy();
            if !v.is_empty() {
                b = b.api_version(parse_version(&v)?);
            }
        }
        Ok(b)
    }

    /// The socket path to connect to (default [`DEFAULT_SOCKET`]).
    #[must_use]
    pub fn socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.endpoint = Endpoint::Unix(path.into());
        self
    }

    /// Where to connect: a Unix socket, `tcp://` (plain or TLS) or `ssh://` (see
    /// [`Endpoint`], [`resolve_endpoint`](crate::resolve_endpoint)).
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// The endpoint as a `DOCKER_HOST` value (see [`Endpoint::parse`]): `unix:///path` or a
    /// bare `/path` (taken byte for byte), `tcp://host:port[/base]` (plain HTTP; TLS through
    /// [`endpoint`](Self::endpoint) with [`Endpoint::with_tls`]) or
    /// `ssh://[user@]host[:port][/socket]`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the value and the problem (another scheme, a password…).
    pub fn host(mut self, host: impl AsRef<std::ffi::OsStr>) -> Result<Self> {
        self.endpoint = Endpoint::parse(host.as_ref())?;
        Ok(self)
    }

    /// The connect timeout (default 5 s; `None`: none — see [the timeout
    /// model](crate#timeouts)). A Unix-socket `connect` completes or fails at once unless the
    /// daemon's accept backlog is full; the wait for room ends at this deadline with
    /// [`TimeoutKind::Connect`](crate::TimeoutKind::Connect).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.cfg.timeouts.connect = timeout.into();
        self
    }

    /// Bounds the wait for the response head, from the end of the request (default 60 s;
    /// `None`: none — see [the timeout model](crate#timeouts)): a
    /// deadline for the whole head, however it is dripped. Import and build answer only after
    /// the whole upload, so this runs from there. Operations that take long on purpose (a
    /// container stop) extend it in their definition.
    #[must_use]
    pub fn head_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.cfg.timeouts.head = timeout.into();
        self
    }

    /// The longest silence allowed while the client waits for bytes of a body or hijacked
    /// stream (default 60 s; `None`: none — see [the timeout model](crate#timeouts)). Operations that wait or follow (container wait, follow logs,
    /// events and stats streams, attach) switch it off in their definition; set one on such
    /// a stream with `set_idle_timeout`.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.cfg.timeouts.idle = timeout.into();
        self
    }

    /// The longest time the daemon may take no byte of a request (its head, an uploaded body,
    /// a hijacked stream's stdin) (default 60 s; `None`: none — see [the timeout
    /// model](crate#timeouts)).
    #[must_use]
    pub fn write_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.cfg.timeouts.write = timeout.into();
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

    /// The cap on a body read whole by [`Response::json`](crate::Response::json),
    /// [`Response::text`](crate::Response::text) or [`Response::bytes`](crate::Response::bytes)
    /// (default 64 MiB). Read larger bodies through the `Read` impl.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.cfg.max_body = bytes;
        self
    }

    /// The registry credentials' configuration (`config.json`, `DOCKER_AUTH_CONFIG`). Without
    /// it the client reads [`DockerConfig::from_env`] the first time it needs credentials.
    #[must_use]
    pub fn docker_config(mut self, config: DockerConfig) -> Self {
        self.docker_config = Some(config);
        self
    }

    /// The client. Nothing is connected yet: the first call connects and negotiates.
    pub fn build(self) -> Client {
        let (path, host_header, base_path) = match &self.endpoint {
            Endpoint::Unix(p) => (p.clone(), None, String::new()),
            Endpoint::Tcp(t) => (
                PathBuf::from(self.endpoint.to_string()),
                Some(format!("{}:{}", crate::conn::bracket(&t.host), t.port)),
                t.base_path.clone(),
            ),
            Endpoint::Ssh(_) => (
                PathBuf::from(self.endpoint.to_string()),
                None,
                String::new(),
            ),
        };
        Client {
            inner: Arc::new(Inner {
                path: Arc::from(path.as_path()),
                endpoint: self.endpoint,
                host_header,
                base_path,
                #[cfg(feature = "tls")]
                tls: Mutex::new(None),
                cfg: self.cfg,
                pinned: self.api_version,
                negotiated: Mutex::new(None),
                pool: Mutex::new(Vec::new()),
                exec_tty: Mutex::new(Vec::new()),
                credentials: Mutex::new(CredentialCache::new(self.docker_config)),
            }),
        }
    }
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
        let e = parse_host("unix://relative.sock").unwrap_err().to_string();
        assert!(e.contains("relative socket path"), "{e}");
        // A path that is not UTF-8 is kept byte for byte.
        use std::os::unix::ffi::OsStrExt;
        let raw = std::ffi::OsStr::from_bytes(b"unix:///tmp/caf\xe9.sock");
        assert_eq!(
            parse_host_os(raw).unwrap().as_os_str().as_bytes(),
            b"/tmp/caf\xe9.sock"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.41").unwrap(), ApiVersion::new(1, 41));
        for bad in ["v1.41", "1", "1.41.0", " 1.41", "x"] {
            assert!(matches!(parse_version(bad), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn defaults_are_the_cores() {
        assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(5));
        assert_eq!(DEFAULT_HEAD_TIMEOUT, Duration::from_secs(60));
        assert_eq!(DEFAULT_IDLE_TIMEOUT, Duration::from_secs(60));
        assert_eq!(DEFAULT_WRITE_TIMEOUT, Duration::from_secs(60));
        let cfg = ClientBuilder::default().cfg.exchange();
        assert_eq!(cfg.timeouts, Timeouts::DEFAULT);
        assert_eq!(cfg.depth(), 1);
    }
}
