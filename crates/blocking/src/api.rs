//! Typed convenience calls: system, images, containers, exec, events, stats.
//!
//! JSON comes back as [`serde_json::Value`]; options are small structs with public fields and
//! a `Default`. Path parameters go through the core's validated [`PathParam`]s, query values
//! through its encoder.

use std::io::Read;
use std::time::Duration;

use docksock_proto::encode::PathParam;
use docksock_proto::stdcopy::Mode;
use serde_json::{json, Value};

use crate::body::Body;
use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::hijack::{Demux, Hijacked};
use crate::response::{JsonMessages, ResponseBody};

/// What `GET /_ping` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// The body, `OK`.
    pub body: String,
    /// The `Api-Version` header: the newest API version the daemon serves.
    pub api_version: Option<String>,
    /// The `Ostype` header (`linux`).
    pub os_type: Option<String>,
    /// The `Docker-Experimental` header is `true`.
    pub experimental: bool,
    /// The `Builder-Version` header (absent on dockerd 20.10 without BuildKit configured).
    pub builder_version: Option<String>,
}

/// Options of [`Client::list_images`].
#[derive(Debug, Clone, Default)]
pub struct ListImagesOptions {
    /// Include intermediate images.
    pub all: bool,
    /// Include digest information.
    pub digests: bool,
    /// Filters as JSON, for example `{"reference": ["busybox"]}`.
    pub filters: Option<Value>,
}

/// Options of [`Client::remove_image`].
#[derive(Debug, Clone, Default)]
pub struct RemoveImageOptions {
    /// Remove even if it is used by stopped containers or has other tags.
    pub force: bool,
    /// Do not delete untagged parent images.
    pub noprune: bool,
}

/// Options of [`Client::build_image`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `t`: the `name:tag` to give the result.
    pub tag: Option<String>,
    /// The Dockerfile's path inside the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    /// `q`: only the image id in the output.
    pub quiet: bool,
    /// Remove intermediate containers after a successful build (`None`: the daemon's default,
    /// which is to remove them).
    pub rm: Option<bool>,
    /// Always remove intermediate containers, even after a failure.
    pub forcerm: bool,
    /// Do not use the cache.
    pub nocache: bool,
    /// Build-time variables as a JSON object of strings.
    pub buildargs: Option<Value>,
    /// Labels as a JSON object of strings.
    pub labels: Option<Value>,
}

/// Options of [`Client::list_containers`].
#[derive(Debug, Clone, Default)]
pub struct ListContainersOptions {
    /// Include stopped containers.
    pub all: bool,
    /// At most this many, newest first.
    pub limit: Option<u32>,
    /// Include sizes.
    pub size: bool,
    /// Filters as JSON, for example `{"name": ["web"], "status": ["running"]}`.
    pub filters: Option<Value>,
}

/// Options of [`Client::remove_container`].
#[derive(Debug, Clone, Default)]
pub struct RemoveContainerOptions {
    /// Kill a running container first.
    pub force: bool,
    /// `v`: also remove its anonymous volumes.
    pub volumes: bool,
    /// Remove a link instead of the container.
    pub link: bool,
}

/// Options of [`Client::wait_container`].
#[derive(Debug, Clone, Default)]
pub struct WaitOptions {
    /// `not-running` (default), `next-exit` or `removed`.
    pub condition: Option<String>,
    /// How long to wait at most (default: the client's idle timeout). Never unlimited.
    pub timeout: Option<Duration>,
}

/// Options of [`Client::container_logs`].
#[derive(Debug, Clone)]
pub struct LogsOptions {
    /// Keep the stream open and send new output as it comes.
    pub follow: bool,
    /// Include stdout (default true).
    pub stdout: bool,
    /// Include stderr (default true).
    pub stderr: bool,
    /// Only output since this time (Unix seconds, possibly fractional, or RFC 3339).
    pub since: Option<String>,
    /// Only output before this time.
    pub until: Option<String>,
    /// Prefix every line with an RFC 3339 timestamp.
    pub timestamps: bool,
    /// Only this many last lines (`"all"` or a number).
    pub tail: Option<String>,
    /// Whether the container has a TTY (raw output). `None`: asked with an inspect first.
    pub tty: Option<bool>,
    /// Idle timeout for this stream (default: the client's).
    pub idle_timeout: Option<Duration>,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            follow: false,
            stdout: true,
            stderr: true,
            since: None,
            until: None,
            timestamps: false,
            tail: None,
            tty: None,
            idle_timeout: None,
        }
    }
}

/// Options of [`Client::attach_container`].
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// Stream live output (default true).
    pub stream: bool,
    /// Replay the output so far first.
    pub logs: bool,
    /// Attach stdin (default true).
    pub stdin: bool,
    /// Attach stdout (default true).
    pub stdout: bool,
    /// Attach stderr (default true).
    pub stderr: bool,
    /// The key sequence that detaches, like `ctrl-p,ctrl-q`.
    pub detach_keys: Option<String>,
    /// Whether the container has a TTY (raw output). `None`: asked with an inspect first.
    pub tty: Option<bool>,
}

impl Default for AttachOptions {
    fn default() -> Self {
        AttachOptions {
            stream: true,
            logs: false,
            stdin: true,
            stdout: true,
            stderr: true,
            detach_keys: None,
            tty: None,
        }
    }
}

/// Options of [`Client::events`].
#[derive(Debug, Clone, Default)]
pub struct EventsOptions {
    /// Events since this time (Unix seconds or RFC 3339).
    pub since: Option<String>,
    /// Events until this time; the stream ends then. Without it the stream stays open.
    pub until: Option<String>,
    /// Filters as JSON, for example `{"container": ["web"], "type": ["container"]}`.
    pub filters: Option<Value>,
}

/// The answer to [`Client::create_container`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCreated {
    /// The new container's id.
    pub id: String,
    /// The daemon's warnings about the configuration.
    pub warnings: Vec<String>,
}

fn plain(id: &str) -> [(&'static str, PathParam<'_>); 1] {
    [("id", PathParam::Plain(id))]
}

fn image(name: &str) -> [(&'static str, PathParam<'_>); 1] {
    [("name", PathParam::Image(name))]
}

fn string_field(v: &Value, key: &str, what: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Unexpected(format!("{what}: no string {key:?} in {v}")))
}

const TAR: &[(&str, &str)] = &[("Content-Type", "application/x-tar")];

impl Client {
    // ---- system ------------------------------------------------------------------------

    /// `GET /_ping`.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn ping(&self) -> Result<Ping> {
        let resp = self.call_ok(Call::new("GET", "/_ping"))?;
        let [api_version, os_type, experimental, builder_version] = resp.headers.get_each([
            "Api-Version",
            "Ostype",
            "Docker-Experimental",
            "Builder-Version",
        ]);
        let api_version = api_version.map(str::to_owned);
        let os_type = os_type.map(str::to_owned);
        let experimental = experimental == Some("true");
        let builder_version = builder_version.map(str::to_owned);
        Ok(Ping {
            body: resp.text()?,
            api_version,
            os_type,
            experimental,
            builder_version,
        })
    }

    /// `GET /version`: the daemon's version, API versions, Go version, OS…
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn version(&self) -> Result<Value> {
        self.call_ok(Call::new("GET", "/version"))?.json()
    }

    /// `GET /info`: system-wide information.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn info(&self) -> Result<Value> {
        self.call_ok(Call::new("GET", "/info"))?.json()
    }

    // ---- images ------------------------------------------------------------------------

    /// `GET /images/json`.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn list_images(&self, opts: &ListImagesOptions) -> Result<Value> {
        let filters = opts.filters.as_ref().map(Value::to_string);
        let call = Call::new("GET", "/images/json")
            .flag("all", opts.all)
            .flag("digests", opts.digests)
            .opt("filters", filters);
        self.call_ok(call)?.json()
    }

    /// `GET /images/{name}/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image; [`Error::Protocol`] for an invalid reference.
    pub fn inspect_image(&self, name: &str) -> Result<Value> {
        let p = image(name);
        self.call_ok(Call::new("GET", "/images/{name}/json").params(&p))?
            .json()
    }

    /// `DELETE /images/{name}`: the list of untagged and deleted ids.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (in use by a container).
    pub fn remove_image(&self, name: &str, opts: &RemoveImageOptions) -> Result<Value> {
        let p = image(name);
        let call = Call::new("DELETE", "/images/{name}")
            .params(&p)
            .flag("force", opts.force)
            .flag("noprune", opts.noprune);
        self.call_ok(call)?.json()
    }

    /// `POST /images/{name}/tag?repo=&tag=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image, 400 for a bad repository name.
    pub fn tag_image(&self, name: &str, repo: &str, tag: Option<&str>) -> Result<()> {
        let p = image(name);
        let call = Call::new("POST", "/images/{name}/tag")
            .params(&p)
            .query("repo", repo)
            .opt("tag", tag);
        self.call_ok(call)?.body.discard();
        Ok(())
    }

    /// `POST /images/create?fromSrc=-&repo=&tag=` (`docker import`): creates an image from a
    /// root filesystem tar, streamed chunked from `tar` in constant memory. Returns the new
    /// image's id (`sha256:…`).
    ///
    /// The image is named `repo:tag` afterwards on every engine: where the engine ignored the
    /// tag (Podman 4.3 names the image `repo:latest`), it is tagged with `POST /images/{id}/tag`
    /// (the engine's own `repo:latest` stays).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] (500 for a body that is not a tar), [`Error::Stream`] for an in-band
    /// error, errors of reading `tar`, errors of the tag call.
    pub fn import_image(&self, tar: impl Read, repo: &str, tag: &str) -> Result<String> {
        let call = Call::new("POST", "/images/create")
            .query("fromSrc", "-")
            .query("repo", repo)
            .query("tag", tag)
            .headers(TAR)
            .body(Body::reader(tar));
        let mut last = None;
        for msg in self.call_ok(call)?.json_messages() {
            let msg = msg?;
            if let Some(s) = msg.get("status").and_then(Value::as_str) {
                last = Some(s.trim().to_owned());
            }
        }
        let id = last.ok_or_else(|| Error::Unexpected("import answered no image id".into()))?;
        if !repo.is_empty() {
            let tag = if tag.is_empty() { "latest" } else { tag };
            let named = match self.inspect_image(&format!("{repo}:{tag}")) {
                Ok(v) => v.get("Id").and_then(Value::as_str) == Some(id.as_str()),
                Err(e) if e.is_not_found() => false,
                Err(e) => return Err(e),
            };
            if !named {
                self.tag_image(&id, repo, Some(tag))?;
            }
        }
        Ok(id)
    }

    /// `POST /build`: builds an image from a tar build context streamed chunked from
    /// `context` (constant memory). Returns the progress stream: `{"stream": …}` lines,
    /// `{"aux": {"ID": …}}`; a failing step is an [`Error::Stream`] item.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for errors before the build starts (400 Dockerfile parse error, 500 no
    /// Dockerfile), errors of reading `context`.
    pub fn build_image(&self, context: impl Read, opts: &BuildOptions) -> Result<JsonMessages> {
        let buildargs = opts.buildargs.as_ref().map(Value::to_string);
        let labels = opts.labels.as_ref().map(Value::to_string);
        let rm = opts.rm.map(|rm| if rm { "1" } else { "0" });
        let call = Call::new("POST", "/build")
            .opt("t", opts.tag.as_deref())
            .opt("dockerfile", opts.dockerfile.as_deref())
            .flag("q", opts.quiet)
            .opt("rm", rm)
            .flag("forcerm", opts.forcerm)
            .flag("nocache", opts.nocache)
            .opt("buildargs", buildargs)
            .opt("labels", labels)
            .headers(TAR)
            .body(Body::reader(context));
        Ok(self.call_ok(call)?.json_messages())
    }

    /// `GET /images/{name}/get` (`docker save`): the image as a tar stream, read as it comes.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image.
    pub fn export_image(&self, name: &str) -> Result<ResponseBody> {
        let p = image(name);
        Ok(self
            .call_ok(Call::new("GET", "/images/{name}/get").params(&p))?
            .into_body())
    }

    // ---- containers --------------------------------------------------------------------

    /// `GET /containers/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 400/500 for invalid filters.
    pub fn list_containers(&self, opts: &ListContainersOptions) -> Result<Value> {
        let filters = opts.filters.as_ref().map(Value::to_string);
        let call = Call::new("GET", "/containers/json")
            .flag("all", opts.all)
            .opt("limit", opts.limit.map(|l| l.to_string()))
            .flag("size", opts.size)
            .opt("filters", filters);
        self.call_ok(call)?.json()
    }

    /// `POST /containers/create?name=`: `config` is the create body (`Image`, `Cmd`,
    /// `ExposedPorts`, `HostConfig` with `PortBindings`…).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (no such image), 409 (name in use), 400 (bad name or config).
    pub fn create_container(&self, name: Option<&str>, config: &Value) -> Result<ContainerCreated> {
        let call = Call::new("POST", "/containers/create")
            .opt("name", name)
            .body(Body::json(config));
        let v = self.call_ok(call)?.json()?;
        let id = string_field(&v, "Id", "container create")?;
        let warnings = v
            .get("Warnings")
            .and_then(Value::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(ContainerCreated { id, warnings })
    }

    /// `GET /containers/{id}/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn inspect_container(&self, id: &str) -> Result<Value> {
        let p = plain(id);
        self.call_ok(Call::new("GET", "/containers/{id}/json").params(&p))?
            .json()
    }

    /// `POST /containers/{id}/start`. Starting a running container is not an error (304).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 500 if it cannot start.
    pub fn start_container(&self, id: &str) -> Result<()> {
        let p = plain(id);
        let resp = self.call(Call::new("POST", "/containers/{id}/start").params(&p))?;
        if resp.status == 304 {
            return Ok(());
        }
        resp.error_for_status()?.body.discard();
        Ok(())
    }

    /// `POST /containers/{id}/stop?t=`: SIGTERM, then SIGKILL after `timeout_secs` (the
    /// daemon's default 10 s). The head timeout is extended by `timeout_secs` for this call.
    /// Stopping a stopped container is not an error (304).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn stop_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        self.stop_like("/containers/{id}/stop", id, timeout_secs)
    }

    /// `POST /containers/{id}/restart?t=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn restart_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        self.stop_like("/containers/{id}/restart", id, timeout_secs)
    }

    fn stop_like(&self, path: &str, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        let p = plain(id);
        let grace = Duration::from_secs(u64::from(timeout_secs.unwrap_or(10)));
        let head = self.inner.cfg.head_timeout.saturating_add(grace);
        let call = Call::new("POST", path)
            .params(&p)
            .opt("t", timeout_secs.map(|t| t.to_string()))
            .head_timeout(Some(head));
        let resp = self.call(call)?;
        if resp.status == 304 {
            // Already stopped.
            return Ok(());
        }
        resp.error_for_status()?.body.discard();
        Ok(())
    }

    /// `POST /containers/{id}/kill?signal=` (default `SIGKILL`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 409 if it is not running.
    pub fn kill_container(&self, id: &str, signal: Option<&str>) -> Result<()> {
        let p = plain(id);
        let call = Call::new("POST", "/containers/{id}/kill")
            .params(&p)
            .opt("signal", signal);
        self.call_ok(call)?.body.discard();
        Ok(())
    }

    /// `POST /containers/{id}/wait?condition=`: blocks until the container stops and returns
    /// its exit code.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container; [`Error::Stream`] when the daemon reports
    /// an error waiting; [`Error::Timeout`] after `opts.timeout`.
    pub fn wait_container(&self, id: &str, opts: &WaitOptions) -> Result<i64> {
        let p = plain(id);
        let call = Call::new("POST", "/containers/{id}/wait")
            .params(&p)
            .opt("condition", opts.condition.as_deref())
            .idle_timeout(opts.timeout)
            .head_timeout(opts.timeout);
        let v = self.call_ok(call)?.json()?;
        if let Some(msg) = v
            .get("Error")
            .and_then(|e| e.get("Message"))
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
        {
            return Err(Error::Stream {
                message: msg.to_owned(),
            });
        }
        v.get("StatusCode")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::Unexpected(format!("wait: no StatusCode in {v}")))
    }

    /// Whether a container has a TTY (`Config.Tty`), which decides how its output is framed.
    fn container_mode(&self, id: &str, tty: Option<bool>) -> Result<Mode> {
        let tty = match tty {
            Some(t) => t,
            None => self.inspect_container(id)?["Config"]["Tty"]
                .as_bool()
                .unwrap_or(false),
        };
        Ok(if tty { Mode::Raw } else { Mode::Multiplexed })
    }

    /// `GET /containers/{id}/logs`, demultiplexed (raw for a TTY container: `opts.tty`, or
    /// its `Config.Tty` from an inspect).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 400 without any stream.
    pub fn container_logs(&self, id: &str, opts: &LogsOptions) -> Result<Demux<ResponseBody>> {
        let mode = self.container_mode(id, opts.tty)?;
        let p = plain(id);
        let call = Call::new("GET", "/containers/{id}/logs")
            .params(&p)
            .flag("follow", opts.follow)
            .query("stdout", if opts.stdout { "1" } else { "0" })
            .query("stderr", if opts.stderr { "1" } else { "0" })
            .opt("since", opts.since.as_deref())
            .opt("until", opts.until.as_deref())
            .flag("timestamps", opts.timestamps)
            .opt("tail", opts.tail.as_deref())
            .idle_timeout(opts.idle_timeout);
        Ok(self.call_ok(call)?.demux(mode))
    }

    /// `POST /containers/{id}/attach` with `Upgrade: tcp`: a duplex stream to the container's
    /// stdio, returned once the daemon has answered (so stdin written to it is not lost).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn attach_container(&self, id: &str, opts: &AttachOptions) -> Result<Hijacked> {
        let mode = self.container_mode(id, opts.tty)?;
        let p = plain(id);
        let flag = |b: bool| if b { "1" } else { "0" };
        let call = Call::new("POST", "/containers/{id}/attach")
            .params(&p)
            .query("stream", flag(opts.stream))
            .query("logs", flag(opts.logs))
            .query("stdin", flag(opts.stdin))
            .query("stdout", flag(opts.stdout))
            .query("stderr", flag(opts.stderr))
            .opt("detachKeys", opts.detach_keys.as_deref());
        Ok(self.call_hijack(call)?.with_mode(mode))
    }

    /// `DELETE /containers/{id}?force=&v=&link=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (running, without `force`).
    pub fn remove_container(&self, id: &str, opts: &RemoveContainerOptions) -> Result<()> {
        let p = plain(id);
        let call = Call::new("DELETE", "/containers/{id}")
            .params(&p)
            .flag("force", opts.force)
            .flag("v", opts.volumes)
            .flag("link", opts.link);
        self.call_ok(call)?.body.discard();
        Ok(())
    }

    /// `GET /containers/{id}/top?ps_args=`: `{"Titles": [...], "Processes": [[...]]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (not running).
    pub fn container_top(&self, id: &str, ps_args: Option<&str>) -> Result<Value> {
        let p = plain(id);
        let call = Call::new("GET", "/containers/{id}/top")
            .params(&p)
            .opt("ps_args", ps_args);
        self.call_ok(call)?.json()
    }

    // ---- exec --------------------------------------------------------------------------

    /// `POST /containers/{id}/exec`: `config` is the exec body (`Cmd`, `AttachStdout`,
    /// `AttachStderr`, `AttachStdin`, `Tty`, `Env`…). Returns the exec id.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown container), 409 (not running).
    pub fn create_exec(&self, container: &str, config: &Value) -> Result<String> {
        let p = plain(container);
        let call = Call::new("POST", "/containers/{id}/exec")
            .params(&p)
            .body(Body::json(config));
        let v = self.call_ok(call)?.json()?;
        string_field(&v, "Id", "exec create")
    }

    /// `POST /exec/{id}/start` attached, with `Upgrade: tcp`: the exec's stdio as a duplex
    /// stream (raw if the exec was created with `Tty`, which is asked with an exec inspect).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec), 409 (container not running).
    pub fn start_exec(&self, exec_id: &str) -> Result<Hijacked> {
        let tty = self.inspect_exec(exec_id)?["ProcessConfig"]["tty"]
            .as_bool()
            .unwrap_or(false);
        let p = plain(exec_id);
        let call = Call::new("POST", "/exec/{id}/start")
            .params(&p)
            .body(Body::json(&json!({"Detach": false, "Tty": tty})));
        let mode = if tty { Mode::Raw } else { Mode::Multiplexed };
        Ok(self.call_hijack(call)?.with_mode(mode))
    }

    /// `POST /exec/{id}/start` detached: the command runs in the background; follow it with
    /// [`inspect_exec`](Self::inspect_exec).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec), 409 (container not running).
    pub fn start_exec_detached(&self, exec_id: &str) -> Result<()> {
        let p = plain(exec_id);
        let call = Call::new("POST", "/exec/{id}/start")
            .params(&p)
            .body(Body::json(&json!({"Detach": true, "Tty": false})));
        self.call_ok(call)?.body.discard();
        Ok(())
    }

    /// `GET /exec/{id}/json`: `Running`, `ExitCode`, `ProcessConfig`…
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec).
    pub fn inspect_exec(&self, exec_id: &str) -> Result<Value> {
        let p = plain(exec_id);
        self.call_ok(Call::new("GET", "/exec/{id}/json").params(&p))?
            .json()
    }

    // ---- events and stats --------------------------------------------------------------

    /// `GET /events?since=&until=&filters=`: the daemon's events as a JSON message stream.
    /// Without `until` the stream stays open (mind the idle timeout: see
    /// [`JsonMessages::set_idle_timeout`]).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 400/500 for a bad time or filter.
    pub fn events(&self, opts: &EventsOptions) -> Result<JsonMessages> {
        let filters = opts.filters.as_ref().map(Value::to_string);
        let call = Call::new("GET", "/events")
            .opt("since", opts.since.as_deref())
            .opt("until", opts.until.as_deref())
            .opt("filters", filters);
        Ok(self.call_ok(call)?.json_messages())
    }

    /// `GET /containers/{id}/stats?stream=false`: one sample (takes about a second: the daemon
    /// measures CPU over an interval).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container; [`Error::Unexpected`] saying the container is
    /// not running when the daemon answers 200 with no sample at all (Podman, for a stopped
    /// container; dockerd answers a sample of zeros instead).
    pub fn stats(&self, id: &str) -> Result<Value> {
        let p = plain(id);
        let call = Call::new("GET", "/containers/{id}/stats")
            .params(&p)
            .query("stream", "false");
        let bytes = self.call_ok(call)?.bytes()?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Unexpected(format!(
                "no stats for container {id}: the daemon sent an empty sample (is the container \
                 running?)"
            )));
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::json("parsing the stats sample", e))
    }

    /// `GET /containers/{id}/stats?stream=true`: a sample a second, as a JSON message stream.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn stats_stream(&self, id: &str) -> Result<JsonMessages> {
        let p = plain(id);
        let call = Call::new("GET", "/containers/{id}/stats")
            .params(&p)
            .query("stream", "true");
        Ok(self.call_ok(call)?.json_messages())
    }
}
