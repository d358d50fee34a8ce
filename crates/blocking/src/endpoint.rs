//! Where the daemon is: an [`Endpoint`] (a Unix socket, `tcp://` with or without TLS, or
//! `ssh://`), parsed from a `DOCKER_HOST` value, and [`resolve_endpoint`]: the `docker` CLI's
//! choice between `--host`, `--context`, `DOCKER_HOST`, `DOCKER_CONTEXT`, the `currentContext`
//! of `config.json` and the context store (docker/cli `cli/command/cli.go`,
//! `cli/context/store`, `cli/connhelper`).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The port of `tcp://host` without one: 2375, or 2376 with TLS (the CLI's defaults).
pub const DEFAULT_TCP_PORT: u16 = 2375;
/// The port of `tcp://host` with TLS and without a port.
pub const DEFAULT_TLS_PORT: u16 = 2376;

/// The largest `meta.json` or `config.json` read: 1 MiB.
const MAX_CONFIG_FILE: u64 = 1 << 20;

/// Where a daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A Unix socket (`unix:///path` or `/path`).
    Unix(PathBuf),
    /// `tcp://host:port[/base]`, plain HTTP or TLS.
    Tcp(TcpEndpoint),
    /// `ssh://[user@]host[:port][/socket]`: the system `ssh` running `docker system dial-stdio`.
    Ssh(SshEndpoint),
}

/// A `tcp://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpEndpoint {
    /// The host name or IP address (without brackets for IPv6).
    pub host: String,
    /// The port.
    pub port: u16,
    /// A path that prefixes every request (`/base`, no trailing `/`; empty for none).
    pub base_path: String,
    /// TLS settings; `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// The files of a TLS connection (PEM), as in `DOCKER_CERT_PATH` or a context's TLS directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA the server's certificate must chain to (`ca.pem`).
    pub ca: Option<PathBuf>,
    /// The client certificate and its key (`cert.pem`, `key.pem`), for mutual TLS.
    pub client: Option<(PathBuf, PathBuf)>,
    /// Whether the server's certificate is verified (`DOCKER_TLS_VERIFY`; a context's
    /// `SkipTLSVerify` turns it off).
    pub verify: bool,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`, every one of them required (moby's
    /// `DOCKER_CERT_PATH` rule).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first file that is missing.
    pub fn in_dir(dir: impl AsRef<Path>, verify: bool) -> Result<TlsFiles> {
        let dir = dir.as_ref();
        let file = |name: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(Error::Config(format!(
                    "TLS: {} is missing (the certificate directory needs ca.pem, cert.pem and \
                     key.pem)",
                    p.display()
                )))
            }
        };
        Ok(TlsFiles {
            ca: Some(file("ca.pem")?),
            client: Some((file("cert.pem")?, file("key.pem")?)),
            verify,
        })
    }
}

/// An `ssh://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshEndpoint {
    /// The remote user (`-l`), if named.
    pub user: Option<String>,
    /// The host, as `ssh` takes it (a name from `~/.ssh/config` works).
    pub host: String,
    /// The port (`-p`), if named.
    pub port: Option<u16>,
    /// The daemon's socket on the remote side (`docker --host=unix://PATH system dial-stdio`);
    /// `None`: the remote `docker`'s default.
    pub socket: Option<String>,
    /// Extra `ssh` options, given before the host (`-F file`, `-i key`, `-o Opt=value`…).
    pub ssh_args: Vec<OsString>,
}

impl SshEndpoint {
    /// The program run: `ssh`.
    pub const PROGRAM: &'static str = "ssh";

    /// The arguments of `ssh` (docker/cli `connhelper/ssh`): the extra options, `-o
    /// ConnectTimeout=30 -T`, `-l user`, `-p port`, `--`, the host, and the remote command
    /// `docker [--host=unix://SOCKET] system dial-stdio`, each word shell-quoted (the remote
    /// side runs it through a shell).
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = self.ssh_args.clone();
        for a in ["-o", "ConnectTimeout=30", "-T"] {
            args.push(a.into());
        }
        if let Some(user) = &self.user {
            args.push("-l".into());
            args.push(user.into());
        }
        if let Some(port) = self.port {
            args.push("-p".into());
            args.push(port.to_string().into());
        }
        args.push("--".into());
        args.push(self.host.clone().into());
        let mut remote = vec!["docker".to_owned()];
        if let Some(socket) = &self.socket {
            remote.push(format!("--host=unix://{socket}"));
        }
        remote.push("system".into());
        remote.push("dial-stdio".into());
        for word in remote {
            args.push(shell_quote(&word).into());
        }
        args
    }
}

/// Quotes `word` for a POSIX shell (unchanged when it needs no quoting).
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(t) => {
                let host = if t.host.contains(':') {
                    format!("[{}]", t.host)
                } else {
                    t.host.clone()
                };
                write!(f, "tcp://{host}:{}{}", t.port, t.base_path)?;
                if t.tls.is_some() {
                    f.write_str(" (TLS)")?;
                }
                Ok(())
            }
            Endpoint::Ssh(s) => {
                f.write_str("ssh://")?;
                if let Some(u) = &s.user {
                    write!(f, "{u}@")?;
                }
                f.write_str(&s.host)?;
                if let Some(p) = s.port {
                    write!(f, ":{p}")?;
                }
                if let Some(sock) = &s.socket {
                    f.write_str(sock)?;
                }
                Ok(())
            }
        }
    }
}

impl Endpoint {
    /// Parses a `DOCKER_HOST` value: `unix:///path`, a bare `/path` (taken byte for byte),
    /// `tcp://host[:port][/base]` (plain HTTP; port 2375 when absent) or
    /// `ssh://[user@]host[:port][/socket]`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the value and what is wrong with it (another scheme, a
    /// password, a query, a bad port…).
    pub fn parse(host: impl AsRef<OsStr>) -> Result<Endpoint> {
        use std::os::unix::ffi::OsStrExt;

        let host_os = host.as_ref();
        let bytes = host_os.as_bytes();
        if bytes.starts_with(b"unix://") || bytes.starts_with(b"/") {
            return crate::config::parse_host_os(host_os).map(Endpoint::Unix);
        }
        let text = host_os.to_str().ok_or_else(|| {
            Error::Config(format!(
                "Docker host {host_os:?} is not UTF-8 (only a Unix socket path may be)"
            ))
        })?;
        if let Some(rest) = text.strip_prefix("tcp://") {
            return parse_tcp(text, rest).map(Endpoint::Tcp);
        }
        if let Some(rest) = text.strip_prefix("ssh://") {
            return parse_ssh(text, rest).map(Endpoint::Ssh);
        }
        match text.split_once("://") {
            Some((scheme, _)) => Err(Error::Config(format!(
                "Docker host {text:?}: the {scheme}:// scheme is not supported (unix://, \
                 tcp:// and ssh:// are)"
            ))),
            None => Err(Error::Config(format!(
                "Docker host {text:?} is neither unix:///path, an absolute socket path, \
                 tcp://host:port nor ssh://[user@]host"
            ))),
        }
    }

    /// This endpoint with TLS (a `tcp://` endpoint; its default port becomes 2376 when
    /// `DOCKER_HOST` named none).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a Unix or ssh endpoint.
    pub fn with_tls(self, tls: TlsFiles) -> Result<Endpoint> {
        match self {
            Endpoint::Tcp(mut t) => {
                t.tls = Some(tls);
                Ok(Endpoint::Tcp(t))
            }
            other => Err(Error::Config(format!(
                "TLS settings apply to tcp:// hosts, not to {other}"
            ))),
        }
    }
}

fn bad(value: &str, why: &str) -> Error {
    Error::Config(format!("Docker host {value:?}: {why}"))
}

/// Splits `authority` into host and optional port (`[v6]:port`, `name:port`, `name`).
fn host_port<'a>(value: &str, authority: &'a str) -> Result<(&'a str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| bad(value, "unclosed [ in the host"))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad(value, "text after ]"))?,
                ),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => return Err(bad(value, "an IPv6 address needs brackets: [::1]:2375")),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad(value, &format!("invalid port {p:?}")))?,
        ),
    };
    if host.is_empty() {
        return Err(bad(value, "no host name"));
    }
    if host
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b"/?#@".contains(&b))
    {
        return Err(bad(value, &format!("invalid host name {host:?}")));
    }
    Ok((host, port))
}

fn parse_tcp(value: &str, rest: &str) -> Result<TcpEndpoint> {
    if rest.contains(['?', '#']) {
        return Err(bad(
            value,
            "a query or fragment has no meaning in a Docker host",
        ));
    }
    if rest.contains('@') {
        return Err(bad(value, "tcp:// takes no user"));
    }
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let (host, port) = host_port(value, authority)?;
    let base_path = path.trim_end_matches('/');
    if !base_path.is_empty() {
        let ok = base_path.split('/').skip(1).all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b))
        });
        if !ok {
            return Err(bad(
                value,
                &format!("invalid base path {base_path:?} (plain path segments only)"),
            ));
        }
    }
    Ok(TcpEndpoint {
        host: host.to_owned(),
        port: port.unwrap_or(DEFAULT_TCP_PORT),
        base_path: base_path.to_owned(),
        tls: None,
    })
}

fn parse_ssh(value: &str, rest: &str) -> Result<SshEndpoint> {
    if rest.contains('?') {
        return Err(bad(value, "ssh:// takes no query"));
    }
    if rest.contains('#') {
        return Err(bad(value, "ssh:// takes no fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = user {
        if u.contains(':') {
            return Err(bad(value, "a plain-text password is not supported"));
        }
        if u.is_empty() || u.starts_with('-') {
            return Err(bad(value, &format!("invalid user {u:?}")));
        }
    }
    let (host, port) = host_port(value, hostport)?;
    if host.starts_with('-') {
        return Err(bad(value, &format!("invalid host name {host:?}")));
    }
    Ok(SshEndpoint {
        user: user.map(str::to_owned),
        host: host.to_owned(),
        port,
        socket: (!path.is_empty() && path != "/").then(|| path.to_owned()),
        ssh_args: Vec::new(),
    })
}

// ----- contexts ------------------------------------------------------------------------------

/// The name of the context that stands for `DOCKER_HOST` or the default socket.
pub const DEFAULT_CONTEXT: &str = "default";

/// What [`resolve_endpoint`] reads from the process environment, as data (so it can be given
/// explicitly).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `DOCKER_HOST`.
    pub docker_host: Option<OsString>,
    /// `DOCKER_CONTEXT`.
    pub docker_context: Option<String>,
    /// `DOCKER_CONFIG` (the directory of `config.json` and `contexts/`).
    pub docker_config: Option<PathBuf>,
    /// `DOCKER_TLS_VERIFY` (set and not empty: verify the server).
    pub tls_verify: bool,
    /// `DOCKER_CERT_PATH`.
    pub cert_path: Option<PathBuf>,
    /// `HOME` (`$HOME/.docker` without `DOCKER_CONFIG`).
    pub home: Option<PathBuf>,
}

/// The endpoint chosen, and the context it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// The context's name (`default` for `DOCKER_HOST` or the default socket).
    pub context: String,
}

impl Environment {
    /// The process's environment (empty values count as unset).
    pub fn from_process() -> Environment {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Environment {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT").map(|v| v.to_string_lossy().into_owned()),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
        }
    }

    /// The configuration directory: `DOCKER_CONFIG`, else `$HOME/.docker`.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.docker_config
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".docker")))
    }

    /// Chooses the endpoint the way the `docker` CLI does: `--context` (`context`), else the
    /// `default` context when `--host` (`host`) or `DOCKER_HOST` is set, else
    /// `DOCKER_CONTEXT`, else `currentContext` in `config.json`, else `default`. The
    /// `default` context is `host`, else `DOCKER_HOST`, else the first existing socket of
    /// [`socket_candidates`](crate::socket_candidates). A `tcp://` host of the default
    /// context uses TLS when `DOCKER_TLS_VERIFY` or `DOCKER_CERT_PATH` is set (files from
    /// `DOCKER_CERT_PATH`, else the configuration directory).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for both a host and a context, an unknown context, an unreadable or
    /// malformed `config.json` or `meta.json`, a bad host, or missing TLS files.
    pub fn resolve(&self, host: Option<&OsStr>, context: Option<&str>) -> Result<Resolved> {
        let host = host.filter(|h| !h.is_empty());
        let context = context.filter(|c| !c.is_empty());
        if let (Some(h), Some(c)) = (host, context) {
            return Err(Error::Config(format!(
                "conflicting options: both a host ({}) and a context ({c}) were given",
                h.to_string_lossy()
            )));
        }
        let name = match (context, host) {
            (Some(c), _) => c.to_owned(),
            (None, Some(_)) => DEFAULT_CONTEXT.to_owned(),
            (None, None) if self.docker_host.is_some() => DEFAULT_CONTEXT.to_owned(),
            (None, None) => match &self.docker_context {
                Some(c) => c.clone(),
                None => self
                    .current_context()?
                    .unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()),
            },
        };
        let endpoint = if name == DEFAULT_CONTEXT {
            self.default_endpoint(host)?
        } else {
            self.context_endpoint(&name)?
        };
        Ok(Resolved {
            endpoint,
            context: name,
        })
    }

    /// `currentContext` of `config.json`, if the file exists and names one.
    fn current_context(&self) -> Result<Option<String>> {
        let Some(dir) = self.config_dir() else {
            return Ok(None);
        };
        let file = dir.join("config.json");
        let Some(json) = read_json(&file)? else {
            return Ok(None);
        };
        match json.get("currentContext") {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::Config(format!(
                "{}: currentContext is not a string: {other}",
                file.display()
            ))),
        }
    }

    fn default_endpoint(&self, host: Option<&OsStr>) -> Result<Endpoint> {
        let (source, value) = match (host, &self.docker_host) {
            (Some(h), _) => ("--host", h.to_owned()),
            (None, Some(h)) => ("DOCKER_HOST", h.clone()),
            (None, None) => {
                let found = crate::config::socket_candidates()
                    .into_iter()
                    .find(|p| p.exists())
                    .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_SOCKET));
                return Ok(Endpoint::Unix(found));
            }
        };
        let endpoint = Endpoint::parse(&value).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{source}: {m}")),
            other => other,
        })?;
        let wants_tls = self.tls_verify || self.cert_path.is_some();
        match endpoint {
            Endpoint::Tcp(mut t) if wants_tls => {
                let dir = match (self.cert_path.clone(), self.config_dir()) {
                    (Some(d), _) | (None, Some(d)) => d,
                    (None, None) => {
                        return Err(Error::Config(
                            "DOCKER_TLS_VERIFY is set, but neither DOCKER_CERT_PATH nor HOME \
                             names the certificate directory"
                                .into(),
                        ))
                    }
                };
                if !has_port(&value) {
                    t.port = DEFAULT_TLS_PORT;
                }
                t.tls = Some(TlsFiles::in_dir(dir, self.tls_verify)?);
                Ok(Endpoint::Tcp(t))
            }
            other => Ok(other),
        }
    }

    /// The `docker` endpoint of the named context in the store.
    fn context_endpoint(&self, name: &str) -> Result<Endpoint> {
        let dir = self.config_dir().ok_or_else(|| {
            Error::Config(format!(
                "context {name:?}: neither DOCKER_CONFIG nor HOME names the configuration \
                 directory"
            ))
        })?;
        let id = sha256_hex(name.as_bytes());
        let meta_file = dir
            .join("contexts")
            .join("meta")
            .join(&id)
            .join("meta.json");
        let meta = read_json(&meta_file)?.ok_or_else(|| {
            Error::Config(format!(
                "context {name:?} does not exist (no {})",
                meta_file.display()
            ))
        })?;
        let what =
            |m: &str| Error::Config(format!("context {name:?}: {}: {m}", meta_file.display()));
        let docker = meta
            .get("Endpoints")
            .and_then(|e| e.get("docker"))
            .ok_or_else(|| what("no docker endpoint"))?;
        let host = docker
            .get("Host")
            .and_then(serde_json::Value::as_str)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| what("the docker endpoint has no Host"))?;
        let skip_verify = docker
            .get("SkipTLSVerify")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let endpoint = Endpoint::parse(host).map_err(|e| what(&e.to_string()))?;
        let tls_dir = dir.join("contexts").join("tls").join(&id).join("docker");
        let file = |n: &str| Some(tls_dir.join(n)).filter(|p| p.is_file());
        let ca = file("ca.pem");
        let client = match (file("cert.pem"), file("key.pem")) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(what(
                    "the TLS directory has only one of cert.pem and key.pem",
                ))
            }
        };
        match endpoint {
            Endpoint::Tcp(mut t) if ca.is_some() || client.is_some() || skip_verify => {
                if !has_port(host) {
                    t.port = DEFAULT_TLS_PORT;
                }
                t.tls = Some(TlsFiles {
                    ca,
                    client,
                    verify: !skip_verify,
                });
                Ok(Endpoint::Tcp(t))
            }
            other => Ok(other),
        }
    }
}

/// One context as `docker context ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextInfo {
    /// The context's name (`default` for `DOCKER_HOST` or the default socket).
    pub name: String,
    /// `Metadata.Description` (the default context's is docker's fixed text).
    pub description: String,
    /// The `docker` endpoint's `Host`, as written (empty when it could not be read).
    pub host: String,
    /// Why the context cannot be used (an unreadable `meta.json`, a bad host), if so.
    pub error: Option<String>,
}

impl Environment {
    /// The name of the context [`resolve`](Self::resolve) picks without `--host` and
    /// `--context`: `default` when `DOCKER_HOST` is set, else `DOCKER_CONTEXT`, else
    /// `currentContext` of `config.json`, else `default`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unreadable or malformed `config.json`.
    pub fn current_context_name(&self) -> Result<String> {
        if self.docker_host.is_some() {
            return Ok(DEFAULT_CONTEXT.to_owned());
        }
        if let Some(c) = &self.docker_context {
            return Ok(c.clone());
        }
        Ok(self
            .current_context()?
            .unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()))
    }

    /// Every context: `default` first, then the store's (`contexts/meta/*/meta.json`) by
    /// name. A store entry that cannot be read is listed with its [`error`](ContextInfo::error)
    /// (named by its directory) rather than failing the whole list.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the store's directory exists but cannot be listed.
    pub fn contexts(&self) -> Result<Vec<ContextInfo>> {
        let default_host = match &self.docker_host {
            Some(h) => h.to_string_lossy().into_owned(),
            None => {
                let found = crate::config::socket_candidates()
                    .into_iter()
                    .find(|p| p.exists())
                    .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_SOCKET));
                format!("unix://{}", found.display())
            }
        };
        let mut out = vec![ContextInfo {
            name: DEFAULT_CONTEXT.to_owned(),
            description: "Current DOCKER_HOST based configuration".to_owned(),
            host: default_host,
            error: None,
        }];
        let Some(dir) = self.config_dir() else {
            return Ok(out);
        };
        let meta_dir = dir.join("contexts").join("meta");
        let entries = match std::fs::read_dir(&meta_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("listing {}", meta_dir.display()), e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| Error::io(format!("listing {}", meta_dir.display()), e))?;
            let file = entry.path().join("meta.json");
            let dir_name = entry.file_name().to_string_lossy().into_owned();
            let info = match read_json(&file) {
                Ok(Some(meta)) => {
                    let text = |v: Option<&serde_json::Value>| {
                        v.and_then(serde_json::Value::as_str)
                            .unwrap_or("")
                            .to_owned()
                    };
                    let name = text(meta.get("Name"));
                    let host = text(meta.pointer("/Endpoints/docker/Host"));
                    let error = if name.is_empty() {
                        Some(format!("{}: no Name", file.display()))
                    } else if sha256_hex(name.as_bytes()) != dir_name {
                        Some(format!(
                            "{}: the name {name:?} does not match its directory",
                            file.display()
                        ))
                    } else if host.is_empty() {
                        Some(format!(
                            "{}: the docker endpoint has no Host",
                            file.display()
                        ))
                    } else {
                        Endpoint::parse(&host).err().map(|e| e.to_string())
                    };
                    ContextInfo {
                        name: if name.is_empty() { dir_name } else { name },
                        description: text(meta.pointer("/Metadata/Description")),
                        host,
                        error,
                    }
                }
                // A directory without meta.json is not a context.
                Ok(None) => continue,
                Err(e) => ContextInfo {
                    name: dir_name,
                    description: String::new(),
                    host: String::new(),
                    error: Some(e.to_string()),
                },
            };
            found.push(info);
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(found);
        Ok(out)
    }

    /// `docker context use NAME`: makes `name` the `currentContext` of `config.json` (the
    /// file's other keys are kept; written to a temporary file, then renamed; mode 0600).
    /// `default` removes the key. The context must exist and its endpoint be readable.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unknown or unreadable context, no configuration directory or
    /// a malformed `config.json`; [`Error::Io`] when the file cannot be written.
    pub fn use_context(&self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::Config(
                "context use: the context name is empty".into(),
            ));
        }
        if name != DEFAULT_CONTEXT {
            self.context_endpoint(name)?;
        }
        let dir = self.config_dir().ok_or_else(|| {
            Error::Config(format!(
                "context use {name:?}: neither DOCKER_CONFIG nor HOME names the configuration \
                 directory"
            ))
        })?;
        let file = dir.join("config.json");
        let mut doc = match read_json(&file)? {
            None => serde_json::Map::new(),
            Some(serde_json::Value::Object(m)) => m,
            Some(_) => {
                return Err(Error::Config(format!(
                    "{} is not a JSON object",
                    file.display()
                )))
            }
        };
        if name == DEFAULT_CONTEXT {
            doc.remove("currentContext");
        } else {
            doc.insert(
                "currentContext".to_owned(),
                serde_json::Value::String(name.to_owned()),
            );
        }
        let mut text = serde_json::to_vec_pretty(&serde_json::Value::Object(doc))
            .map_err(|e| Error::json(format!("serializing {}", file.display()), e))?;
        text.push(b'\n');
        write_replacing(&file, &text).map_err(|e| {
            Error::io(
                format!("context use {name:?}: writing {}", file.display()),
                e,
            )
        })
    }
}

/// Writes `text` to `path` through a temporary file in the same directory (mode 0600, synced),
/// then renames it over `path`, so a reader sees the old file or the new one, never a part. A
/// symbolic link at `path` is followed: the file it points to is replaced. (`config.json`:
/// contexts and registry credentials.)
pub(crate) fn write_replacing(path: &Path, text: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // A name of this write's own: other clients of this process may write at the same time.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |f| f.to_string_lossy().into_owned());
    let tmp = target.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Whether a `tcp://` value names a port.
fn has_port(value: impl AsRef<OsStr>) -> bool {
    let v = value.as_ref().to_string_lossy();
    let rest = v.strip_prefix("tcp://").unwrap_or(&v);
    let authority = rest.split('/').next().unwrap_or("");
    match authority.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => authority.contains(':'),
    }
}

/// Reads a small JSON file; `None` when it does not exist.
fn read_json(path: &Path) -> Result<Option<serde_json::Value>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut text = Vec::new();
    file.take(MAX_CONFIG_FILE + 1)
        .read_to_end(&mut text)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if text.len() as u64 > MAX_CONFIG_FILE {
        return Err(Error::Config(format!(
            "{} is larger than {MAX_CONFIG_FILE} bytes",
            path.display()
        )));
    }
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| Error::Config(format!("{} is not valid JSON: {e}", path.display())))
}

/// [`Environment::resolve`] on the process's environment: the library function behind a
/// CLI's `--host` and `--context`.
///
/// # Errors
///
/// As [`Environment::resolve`].
pub fn resolve_endpoint(host: Option<&OsStr>, context: Option<&str>) -> Result<Resolved> {
    Environment::from_process().resolve(host, context)
}

/// SHA-256 of `data`, in lowercase hex: a context's directory name in the store. (A context
/// name is short; this is not on any hot path.)
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_context_names() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Two blocks.
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn tcp_hosts() {
        let t = |h: &str| match Endpoint::parse(h).unwrap() {
            Endpoint::Tcp(t) => t,
            other => panic!("{other:?}"),
        };
        let e = t("tcp://127.0.0.1:2375");
        assert_eq!(
            (e.host.as_str(), e.port, e.base_path.as_str()),
            ("127.0.0.1", 2375, "")
        );
        let e = t("tcp://docker.example:1234/base/api/");
        assert_eq!(
            (e.host.as_str(), e.port, e.base_path.as_str()),
            ("docker.example", 1234, "/base/api")
        );
        assert_eq!(t("tcp://h").port, DEFAULT_TCP_PORT);
        assert_eq!(t("tcp://[::1]:99").host, "::1");
        assert_eq!(t("tcp://[::1]").port, 2375);
        for bad in [
            "tcp://",
            "tcp://:2375",
            "tcp://h:0",
            "tcp://h:99999",
            "tcp://h:x",
            "tcp://::1:2375",
            "tcp://u@h:1",
            "tcp://h:1?x=1",
            "tcp://h:1/a//b",
            "tcp://h:1/a/../b",
            "tcp://h:1/a b",
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert!(has_port("tcp://h:1") && has_port("tcp://[::1]:1"));
        assert!(!has_port("tcp://h") && !has_port("tcp://[::1]") && !has_port("tcp://h/x:1"));
    }

    #[test]
    fn ssh_hosts_and_the_command_line() {
        let s = |h: &str| match Endpoint::parse(h).unwrap() {
            Endpoint::Ssh(s) => s,
            other => panic!("{other:?}"),
        };
        let e = s("ssh://me@host:2222/run/my docker.sock");
        assert_eq!(e.user.as_deref(), Some("me"));
        assert_eq!((e.host.as_str(), e.port), ("host", Some(2222)));
        assert_eq!(e.socket.as_deref(), Some("/run/my docker.sock"));
        let args: Vec<String> = e
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-o",
                "ConnectTimeout=30",
                "-T",
                "-l",
                "me",
                "-p",
                "2222",
                "--",
                "host",
                "docker",
                "'--host=unix:///run/my docker.sock'",
                "system",
                "dial-stdio"
            ]
        );
        let e = s("ssh://host");
        assert_eq!((&e.user, e.port, &e.socket), (&None, None, &None));
        assert_eq!(e.args().len(), 8);
        for bad in [
            "ssh://u:pw@h",
            "ssh://h?x=1",
            "ssh://h#f",
            "ssh://",
            "ssh://-oProxyCommand=x",
            "ssh://-u@h",
            "ssh://h:0",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_context_store_and_the_precedence() {
        let dir = std::env::temp_dir().join(format!("docksock-ctx-{}", std::process::id()));
        let id = sha256_hex(b"remote");
        let meta = dir.join("contexts/meta").join(&id);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://docker.example","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let tls = dir.join("contexts/tls").join(&id).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        let env = Environment {
            docker_config: Some(dir.clone()),
            ..Environment::default()
        };
        let r = env.resolve(None, None).unwrap();
        assert_eq!(r.context, "remote");
        let Endpoint::Tcp(t) = r.endpoint else {
            panic!("{:?}", r.endpoint)
        };
        // TLS files in the store: TLS, on the TLS port.
        assert_eq!(
            (t.host.as_str(), t.port),
            ("docker.example", DEFAULT_TLS_PORT)
        );
        let files = t.tls.unwrap();
        assert!(files.verify && files.client.is_none() && files.ca.is_some());
        // DOCKER_HOST wins over currentContext; DOCKER_CONTEXT over currentContext.
        let with_host = Environment {
            docker_host: Some("unix:///x.sock".into()),
            ..env.clone()
        };
        let r = with_host.resolve(None, None).unwrap();
        assert_eq!(
            (r.context.as_str(), r.endpoint),
            ("default", Endpoint::Unix("/x.sock".into()))
        );
        let unknown = Environment {
            docker_context: Some("gone".into()),
            ..env.clone()
        };
        let e = unknown.resolve(None, None).unwrap_err().to_string();
        assert!(e.contains("context \"gone\" does not exist"), "{e}");
        std::fs::write(dir.join("config.json"), "{not json").unwrap();
        let e = env.resolve(None, None).unwrap_err().to_string();
        assert!(e.contains("config.json is not valid JSON"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn contexts_are_listed_and_chosen_with_use() {
        let dir = std::env::temp_dir().join(format!("docksock-ctx-ls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write_meta = |name: &str, json: &str| {
            let meta = dir.join("contexts/meta").join(sha256_hex(name.as_bytes()));
            std::fs::create_dir_all(&meta).unwrap();
            std::fs::write(meta.join("meta.json"), json).unwrap();
        };
        write_meta(
            "zeta",
            r#"{"Name":"zeta","Metadata":{"Description":"far"},"Endpoints":{"docker":{"Host":"ssh://me@zeta"}}}"#,
        );
        write_meta(
            "alpha",
            r#"{"Name":"alpha","Metadata":{},"Endpoints":{"docker":{"Host":"gopher://x"}}}"#,
        );
        write_meta("broken", "{not json");
        std::fs::write(
            dir.join("config.json"),
            r#"{"auths":{"r":{"auth":"eDp5"}}}"#,
        )
        .unwrap();
        let env = Environment {
            docker_config: Some(dir.clone()),
            docker_host: Some("unix:///d.sock".into()),
            ..Environment::default()
        };
        let list = env.contexts().unwrap();
        let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
        // default first, then by name; the unreadable entry is named by its directory.
        assert_eq!(names.first(), Some(&"default"));
        assert_eq!(list[0].host, "unix:///d.sock");
        let alpha = list.iter().find(|c| c.name == "alpha").unwrap();
        assert!(
            alpha.error.as_deref().unwrap_or("").contains("gopher"),
            "{alpha:?}"
        );
        let zeta = list.iter().find(|c| c.name == "zeta").unwrap();
        assert_eq!(
            (zeta.description.as_str(), zeta.error.as_ref()),
            ("far", None)
        );
        let broken = list
            .iter()
            .find(|c| c.name == sha256_hex(b"broken"))
            .unwrap();
        assert!(broken
            .error
            .as_deref()
            .unwrap_or("")
            .contains("not valid JSON"));
        assert_eq!(list.len(), 4);
        assert!(names[1..].windows(2).all(|w| w[0] <= w[1]), "{names:?}");

        // `use` keeps the file's other keys; an unknown context changes nothing.
        env.use_context("zeta").unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        assert_eq!(doc["currentContext"], "zeta");
        assert_eq!(doc["auths"]["r"]["auth"], "eDp5");
        let e = env.use_context("gone").unwrap_err().to_string();
        assert!(e.contains("context \"gone\" does not exist"), "{e}");
        // DOCKER_HOST still wins; without it, currentContext does.
        assert_eq!(env.current_context_name().unwrap(), "default");
        let no_host = Environment {
            docker_host: None,
            ..env.clone()
        };
        assert_eq!(no_host.current_context_name().unwrap(), "zeta");
        env.use_context("default").unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        assert!(doc.get("currentContext").is_none(), "{doc}");
        assert_eq!(no_host.current_context_name().unwrap(), "default");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_schemes_are_named() {
        for bad in ["fd://", "npipe:////./pipe/x", "http://h"] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            let scheme = bad.split("://").next().unwrap_or("");
            assert!(e.contains(&format!("the {scheme}:// scheme")), "{e}");
        }
        assert!(matches!(
            Endpoint::parse("unix:///x.sock").unwrap(),
            Endpoint::Unix(p) if p == Path::new("/x.sock")
        ));
    }
}
