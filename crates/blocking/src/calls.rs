//! Typed convenience calls: system, images, containers, exec, events, stats — each one an
//! operation of `docksock-api` run by [`Client::run`] and its siblings.
//!
//! JSON comes back as [`serde_json::Value`]; options are the operations crate's small structs
//! with public fields and a `Default`.

use std::io::Read;

use docksock_api::{
    containers, exec, images, system, AttachOptions, BuildOptions, EventsOptions,
    ListContainersOptions, ListImagesOptions, LogsOptions, RemoveContainerOptions,
    RemoveImageOptions, WaitOptions,
};
use docksock_proto::stdcopy::Mode;
use serde_json::Value;

use crate::body::Body;
use crate::client::Client;
use crate::demux::Demux;
use crate::duplex::Target;
use crate::error::{Error, Result};
use crate::headers::{ping_fields, Keep};
use crate::hijack::Hijacked;
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

/// The answer to [`Client::create_container`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCreated {
    /// The new container's id.
    pub id: String,
    /// The daemon's warnings about the configuration.
    pub warnings: Vec<String>,
}

fn string_field(v: &Value, key: &str, what: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Unexpected(format!("{what}: no string {key:?} in {v}")))
}

impl Client {
    // ---- system ------------------------------------------------------------------------

    /// `GET /_ping`.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn ping(&self) -> Result<Ping> {
        // `run`, with the head read for what a ping tells alone (no copy of the reason and the
        // fields of a 2xx answer).
        let call = system::ping();
        let version = self.api_version()?;
        let (resp, ping) = self.send_keeping(&call, Body::empty(), Some(version), Keep::Ping)?;
        if !call.operation().is_success(resp.status) {
            return Err(resp.into_error());
        }
        // A success status other than 2xx keeps the whole head.
        let mut ping = ping.unwrap_or_else(|| ping_fields(resp.headers.as_proto()));
        ping.body = resp.text()?;
        Ok(ping)
    }

    /// `GET /version`: the daemon's version, API versions, Go version, OS…
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn version(&self) -> Result<Value> {
        self.run(system::version())?.json()
    }

    /// `GET /info`: system-wide information.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn info(&self) -> Result<Value> {
        self.run(system::info())?.json()
    }

    // ---- images ------------------------------------------------------------------------

    /// `GET /images/json`.
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors.
    pub fn list_images(&self, opts: &ListImagesOptions) -> Result<Value> {
        self.run(images::list(opts))?.json()
    }

    /// `GET /images/{name}/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image; [`Error::Protocol`] for an invalid reference.
    pub fn inspect_image(&self, name: &str) -> Result<Value> {
        self.run(images::inspect(name))?.json()
    }

    /// `DELETE /images/{name}`: the list of untagged and deleted ids.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (in use by a container).
    pub fn remove_image(&self, name: &str, opts: &RemoveImageOptions) -> Result<Value> {
        self.run(images::remove(name, opts))?.json()
    }

    /// `POST /images/{name}/tag?repo=&tag=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image, 400 for a bad repository name.
    pub fn tag_image(&self, name: &str, repo: &str, tag: Option<&str>) -> Result<()> {
        self.run(images::tag(name, repo, tag))?.body.discard();
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
        let mut last = None;
        let call = images::import(repo, tag);
        for msg in self.run_with_body(call, Body::reader(tar))?.json_messages() {
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
        let call = images::build(opts);
        Ok(self
            .run_with_body(call, Body::reader(context))?
            .json_messages())
    }

    /// `GET /images/{name}/get` (`docker save`): the image as a tar stream, read as it comes.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown image.
    pub fn export_image(&self, name: &str) -> Result<ResponseBody> {
        Ok(self.run(images::export(name))?.into_body())
    }

    // ---- containers --------------------------------------------------------------------

    /// `GET /containers/json`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 400/500 for invalid filters.
    pub fn list_containers(&self, opts: &ListContainersOptions) -> Result<Value> {
        self.run(containers::list(opts))?.json()
    }

    /// `POST /containers/create?name=`: `config` is the create body (`Image`, `Cmd`,
    /// `ExposedPorts`, `HostConfig` with `PortBindings`…).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (no such image), 409 (name in use), 400 (bad name or config).
    pub fn create_container(&self, name: Option<&str>, config: &Value) -> Result<ContainerCreated> {
        let config = serde_json::to_vec(config).unwrap_or_default();
        let v = self.run(containers::create(name, config))?.json()?;
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
        self.run(containers::inspect(id))?.json()
    }

    /// `POST /containers/{id}/start`. Starting a running container is not an error (304).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 500 if it cannot start.
    pub fn start_container(&self, id: &str) -> Result<()> {
        self.run(containers::start(id))?.body.discard();
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
        let head = self.inner.cfg.timeouts.head;
        self.run(containers::stop(id, timeout_secs, head))?
            .body
            .discard();
        Ok(())
    }

    /// `POST /containers/{id}/restart?t=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn restart_container(&self, id: &str, timeout_secs: Option<u32>) -> Result<()> {
        let head = self.inner.cfg.timeouts.head;
        self.run(containers::restart(id, timeout_secs, head))?
            .body
            .discard();
        Ok(())
    }

    /// `POST /containers/{id}/kill?signal=` (default `SIGKILL`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 409 if it is not running.
    pub fn kill_container(&self, id: &str, signal: Option<&str>) -> Result<()> {
        self.run(containers::kill(id, signal))?.body.discard();
        Ok(())
    }

    /// `POST /containers/{id}/wait?condition=`: blocks until the container stops and returns
    /// its exit code. No limit by default, however long the container runs; `opts.timeout`
    /// sets one.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container; [`Error::Stream`] when the daemon reports
    /// an error waiting; [`Error::Timeout`] of kind [`TimeoutKind::Wait`](crate::TimeoutKind::Wait)
    /// when the container did not stop within `opts.timeout`.
    pub fn wait_container(&self, id: &str, opts: &WaitOptions) -> Result<i64> {
        let limited = matches!(opts.timeout, docksock_proto::timeout::Timeout::After(_));
        let v = self
            .run(containers::wait(id, opts))
            .and_then(|resp| resp.json())
            .map_err(|e| match e {
                // The head and idle deadlines of a wait are its own timeout.
                Error::Timeout { operation, .. } if limited => Error::Timeout {
                    kind: docksock_proto::timeout::TimeoutKind::Wait,
                    operation,
                },
                e => e,
            })?;
        if let Some(msg) = v
            .get("Error")
            .and_then(|e| e.get("Message"))
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
        {
            return Err(
                Error::stream(msg.to_owned()).in_operation(&format!("POST /containers/{id}/wait"))
            );
        }
        v.get("StatusCode").and_then(Value::as_i64).ok_or_else(|| {
            Error::Unexpected(format!(
                "POST /containers/{id}/wait: no StatusCode in the answer {v}"
            ))
        })
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

    /// `GET /containers/{id}/logs`, demultiplexed: raw for a TTY container. The framing is the
    /// one the response's `Content-Type` declares (API 1.42+, see
    /// [`mode_from_content_type`](docksock_api::containers::mode_from_content_type)); a daemon
    /// that declares none (dockerd before 1.42 sends no `Content-Type` on logs) is asked with an
    /// inspect for the container's `Config.Tty`, unless `opts.tty` says it.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container, 400 without any stream.
    pub fn container_logs(&self, id: &str, opts: &LogsOptions) -> Result<Demux<ResponseBody>> {
        let version = self.api_version()?;
        let resp = self.run(containers::logs(id, opts))?;
        let mode = match containers::mode_from_content_type(resp.header("Content-Type"), version) {
            Some(mode) => mode,
            None => self.container_mode(id, opts.tty)?,
        };
        Ok(resp.demux(mode))
    }

    /// `POST /containers/{id}/attach` with `Upgrade: tcp`: a duplex stream to the container's
    /// stdio, returned once the daemon has answered (so stdin written to it is not lost).
    /// Raw for a TTY container: the framing the `101`'s `Content-Type` declares (API 1.42+),
    /// else `opts.tty`, else the container's `Config.Tty` from an inspect (dockerd before 1.42
    /// says `raw-stream` whatever the container).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an unknown container.
    pub fn attach_container(&self, id: &str, opts: &AttachOptions) -> Result<Hijacked> {
        let hijacked = self.run_hijack(containers::attach(id, opts))?;
        let mode = match hijacked.announced {
            Some(mode) => mode,
            None => self.container_mode(id, opts.tty)?,
        };
        Ok(hijacked
            .with_mode(mode)
            .with_session(self, Target::Container(id.to_owned())))
    }

    /// `DELETE /containers/{id}?force=&v=&link=`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (running, without `force`).
    pub fn remove_container(&self, id: &str, opts: &RemoveContainerOptions) -> Result<()> {
        self.run(containers::remove(id, opts))?.body.discard();
        Ok(())
    }

    /// `GET /containers/{id}/top?ps_args=`: `{"Titles": [...], "Processes": [[...]]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown), 409 (not running).
    pub fn container_top(&self, id: &str, ps_args: Option<&str>) -> Result<Value> {
        self.run(containers::top(id, ps_args))?.json()
    }

    // ---- exec --------------------------------------------------------------------------

    /// `POST /containers/{id}/exec`: `config` is the exec body (`Cmd`, `AttachStdout`,
    /// `AttachStderr`, `AttachStdin`, `Tty`, `Env`…). Returns the exec id. The client
    /// remembers the exec's `Tty` for [`start_exec`](Self::start_exec).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown container), 409 (not running).
    pub fn create_exec(&self, container: &str, config: &Value) -> Result<String> {
        let tty = config.get("Tty").and_then(Value::as_bool).unwrap_or(false);
        let config = serde_json::to_vec(config).unwrap_or_default();
        let v = self.run(exec::create(container, config))?.json()?;
        let id = string_field(&v, "Id", "exec create")?;
        self.inner.remember_exec_tty(&id, tty);
        Ok(id)
    }

    /// `POST /exec/{id}/start` attached, with `Upgrade: tcp`: the exec's stdio as a duplex
    /// stream, raw if the exec was created with `Tty`.
    ///
    /// dockerd frames the output by the `Tty` of this start request, so the client sends the
    /// exec's own: remembered from [`create_exec`](Self::create_exec) of this client, else
    /// asked with an exec inspect. The stream's [`mode`](Hijacked::mode) is the framing the
    /// `101`'s `Content-Type` declares (API 1.42+), else the one that `Tty` implies.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec), 409 (container not running).
    pub fn start_exec(&self, exec_id: &str) -> Result<Hijacked> {
        let tty = match self.inner.take_exec_tty(exec_id) {
            Some(tty) => tty,
            None => self.inspect_exec(exec_id)?["ProcessConfig"]["tty"]
                .as_bool()
                .unwrap_or(false),
        };
        let hijacked = self.run_hijack(exec::start(exec_id, tty))?;
        let mode = hijacked.announced.unwrap_or(containers::mode_for_tty(tty));
        Ok(hijacked
            .with_mode(mode)
            .with_session(self, Target::Exec(exec_id.to_owned())))
    }

    /// `POST /exec/{id}/start` detached: the command runs in the background; follow it with
    /// [`inspect_exec`](Self::inspect_exec).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec), 409 (container not running).
    pub fn start_exec_detached(&self, exec_id: &str) -> Result<()> {
        self.run(exec::start_detached(exec_id))?.body.discard();
        Ok(())
    }

    /// `GET /exec/{id}/json`: `Running`, `ExitCode`, `ProcessConfig`…
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 (unknown exec).
    pub fn inspect_exec(&self, exec_id: &str) -> Result<Value> {
        self.run(exec::inspect(exec_id))?.json()
    }

    // ---- events and stats --------------------------------------------------------------

    /// `GET /events?since=&until=&filters=`: the daemon's events as a JSON message stream,
    /// whichever media type the engine streams them in (`application/json`, `application/jsonl`,
    /// `application/x-ndjson`, or `application/json-seq` with its RS-led records from API 1.52).
    /// Without `until` the stream stays open (mind the idle timeout: see
    /// [`JsonMessages::set_idle_timeout`]).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 400/500 for a bad time or filter.
    pub fn events(&self, opts: &EventsOptions) -> Result<JsonMessages> {
        Ok(self.run(system::events(opts))?.json_messages())
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
        let bytes = self.run(containers::stats(id, false))?.bytes()?;
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
        Ok(self.run(containers::stats(id, true))?.json_messages())
    }
}
