//! The client: [`Client`], its constructors, version negotiation, and the ways to run a call
//! (an operation, a raw request, a hijacking one). Sending is the exchange loop's
//! ([`crate::exchange`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use docksock_api::{system, Call};
use docksock_proto::encode::PathParam;
use docksock_proto::version::{self, ApiVersion};

use crate::body::Body;
use crate::calls::Ping;
use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::exchange;
use crate::headers::Keep;
use crate::hijack::Hijacked;
use crate::pool::{lock, Inner};
use crate::response::Response;

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
            .field("endpoint", &self.inner.path)
            .field("pinned", &self.inner.pinned)
            .field("idle", &lock(&self.inner.pool).len())
            .finish()
    }
}

impl Client {
    /// A client for the socket at `path`, with the default timeouts and limits.
    pub fn new(path: impl Into<PathBuf>) -> Client {
        ClientBuilder::default().socket(path).build()
    }

    /// A builder, starting from the defaults ([`DEFAULT_SOCKET`](crate::DEFAULT_SOCKET), the
    /// `DEFAULT_*` timeouts).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured like the `docker` CLI: the endpoint of
    /// [`resolve_endpoint`](crate::resolve_endpoint) (`DOCKER_HOST` — `unix://`, `tcp://` with
    /// `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, `ssh://` —, else `DOCKER_CONTEXT` or the
    /// `currentContext` of `config.json`, else the first of
    /// [`socket_candidates`](crate::socket_candidates) that exists) and `DOCKER_API_VERSION`
    /// (pins the version). A failed connect to a default socket names every path looked at.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a malformed `DOCKER_HOST`, an unknown context, missing TLS
    /// files, or a malformed `DOCKER_API_VERSION`.
    pub fn from_env() -> Result<Client> {
        Ok(Self::builder_from_env()?.build())
    }

    /// The builder [`from_env`](Self::from_env) uses, to adjust timeouts before building.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn builder_from_env() -> Result<ClientBuilder> {
        ClientBuilder::from_env(None, None)
    }

    /// The builder of a command line's `--host` and `--context` over the environment, with
    /// the `docker` CLI's precedence (see [`Environment::resolve`](crate::Environment::resolve)):
    /// `context`, else `host`, else as [`from_env`](Self::from_env).
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env); [`Error::Config`] for both a host and a context.
    pub fn builder_for(
        host: Option<&std::ffi::OsStr>,
        context: Option<&str>,
    ) -> Result<ClientBuilder> {
        ClientBuilder::from_env(host, context)
    }

    /// The socket path this client connects to; for a `tcp://` or `ssh://` endpoint, its URL
    /// (see [`endpoint`](Self::endpoint)).
    pub fn socket_path(&self) -> &Path {
        &self.inner.path
    }

    /// Where this client connects.
    pub fn endpoint(&self) -> &crate::Endpoint {
        &self.inner.endpoint
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
        self.send_keeping(call, body, version, Keep::All)
            .map(|(resp, _)| resp)
    }

    /// [`send`](Self::send), copying out of the response head what `keep` says: with
    /// [`Keep::Ping`], the [`Ping`] fields of a 2xx answer (and nothing else of its head).
    pub(crate) fn send_keeping(
        &self,
        call: &Call<'_>,
        body: Body<'_>,
        version: Option<ApiVersion>,
        keep: Keep,
    ) -> Result<(Response, Option<Ping>)> {
        let mut sent = exchange::send(&self.inner, call, body, version, keep)?;
        if sent.upgraded {
            // Not asked for (no upgrade header sent unless `upgrade`); the connection is raw now.
            return Err(Error::Unexpected(format!(
                "the daemon switched protocols ({} {}) on a plain request",
                sent.head.status, sent.head.reason
            )));
        }
        let ping = sent.head.ping.take();
        Ok((Response::new(sent, Arc::clone(&self.inner)), ping))
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
        let sent = exchange::send(&self.inner, &call, Body::empty(), Some(v), Keep::All)?;
        if sent.upgraded {
            // `101`, or dockerd's other hijack form: 200 with a close-delimited raw stream.
            let announced = docksock_api::containers::mode_from_content_type(
                sent.head.headers.get("Content-Type"),
                v,
            );
            let mut hijacked = Hijacked::new(sent.conn, self.inner.cfg.max_body);
            hijacked.announced = announced;
            return Ok(hijacked);
        }
        let status = sent.head.status;
        let resp = Response::new(sent, Arc::clone(&self.inner));
        if !(200..300).contains(&status) {
            return Err(resp.into_error());
        }
        Err(Error::Unexpected(format!(
            "expected 101 Switching Protocols or a close-delimited 200 for a hijacked stream, \
             got {status} {}",
            resp.reason
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
