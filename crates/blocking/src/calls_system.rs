//! System (`HEAD /_ping`, auth, data usage), distribution, and plugins (list, privileges,
//! pull, create from a tar, inspect, enable, disable, set, upgrade, push, remove). Each method
//! is one operation of `docksock-api`.

use std::io::Read;

use docksock_api::{distribution, plugins, system, DataUsageOptions, Filters, PluginPullOptions};
use serde_json::Value;

use crate::body::Body;
use crate::calls::Ping;
use crate::calls_containers::{done, json_bytes, json_or_null};
use crate::client::Client;
use crate::error::Result;
use crate::headers::ping_fields;
use crate::response::JsonMessages;

impl Client {
    // ---- system ------------------------------------------------------------------------

    /// `HEAD /_ping`: what [`ping`](Self::ping) tells, without a body (`body` is empty).
    ///
    /// # Errors
    ///
    /// Connection, protocol and API errors (an engine that refuses `HEAD` answers 4xx).
    pub fn ping_head(&self) -> Result<Ping> {
        let resp = self.run(system::ping_head())?;
        let ping = ping_fields(resp.headers.as_proto());
        done(resp);
        Ok(ping)
    }

    /// `POST /auth` (`docker login`): checks credentials against a registry; `config` is
    /// `{"username", "password", "serveraddress"}` (or `{"identitytoken", …}`). Returns
    /// `{"Status": "Login Succeeded", "IdentityToken": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 401 for refused credentials, 500 (engines differ)
    /// when the registry cannot be reached.
    pub fn auth(&self, config: &Value) -> Result<Value> {
        self.run(system::auth(json_bytes(config)))?.json()
    }

    /// `GET /system/df?type=` (`docker system df`): `LayersSize`, `Images`, `Containers`,
    /// `Volumes`, `BuildCache` (each may be `null`); `opts.types` limits the answer to some
    /// object types (API 1.42+). Computing sizes may take a while on a large host.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an unknown type, 409 (dockerd) while another
    /// data-usage computation runs.
    pub fn data_usage(&self, opts: &DataUsageOptions) -> Result<Value> {
        self.run(system::df(opts))?.json()
    }

    // ---- distribution ------------------------------------------------------------------

    /// `GET /distribution/{name}/json` (`docker manifest inspect`, from the daemon): the
    /// image's manifest `Descriptor` and `Platforms`, as its registry has them.
    /// `registry_auth` is sent as `X-Registry-Auth` for a private registry.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 401/404 from the registry, 500 when it cannot be
    /// reached; [`Error::Protocol`](crate::Error::Protocol) for an invalid reference.
    pub fn inspect_distribution(&self, name: &str, registry_auth: Option<&str>) -> Result<Value> {
        self.run(distribution::inspect(name, registry_auth))?.json()
    }

    // ---- plugins -----------------------------------------------------------------------

    /// `GET /plugins?filters=` (`docker plugin ls`; filters `capability`, `enable`): an array
    /// of plugins.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter; 404 on engines
    /// without plugins (Podman).
    pub fn list_plugins(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(plugins::list(filters))?.json()
    }

    /// `GET /plugins/privileges?remote=`: the privileges a plugin of a registry asks for, as
    /// [`pull_plugin`](Self::pull_plugin) must grant them: `[{"Name", "Description",
    /// "Value"}]`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) from the registry (404, 500 unreachable).
    pub fn plugin_privileges(&self, remote: &str) -> Result<Value> {
        self.run(plugins::privileges(remote))?.json()
    }

    /// `POST /plugins/pull?remote=&name=` (`docker plugin install`): `privileges` is the JSON
    /// array [`plugin_privileges`](Self::plugin_privileges) answered, granted. Returns the
    /// progress stream; a failure after the start is an
    /// [`Error::Stream`](crate::Error::Stream) item.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 when the privileges do not match, 409 when a
    /// plugin of that name exists, 404/500 from the registry.
    pub fn pull_plugin(
        &self,
        opts: &PluginPullOptions,
        privileges: &Value,
    ) -> Result<JsonMessages> {
        Ok(self
            .run(plugins::pull(opts, json_bytes(privileges)))?
            .json_messages())
    }

    /// `POST /plugins/create?name=` (`docker plugin create`): a plugin named `name` from the
    /// tar read from `tar` (streamed chunked): `config.json` (the plugin's configuration: at
    /// least `Interface` with `Types` and `Socket`, `Entrypoint`…) and `rootfs/`. The plugin
    /// is created disabled.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 409 when a plugin of that name exists, 400/500 for
    /// an invalid tar or configuration, 404 on engines without plugins (Podman); errors of
    /// reading `tar`.
    pub fn create_plugin(&self, name: &str, tar: impl Read) -> Result<()> {
        done(self.run_with_body(plugins::create(name), Body::reader(tar))?);
        Ok(())
    }

    /// `GET /plugins/{name}/json` (`docker plugin inspect`): `Id`, `Name`, `Enabled`,
    /// `Settings`, `Config`…
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin;
    /// [`Error::Protocol`](crate::Error::Protocol) for a name that is not a reference.
    pub fn inspect_plugin(&self, name: &str) -> Result<Value> {
        self.run(plugins::inspect(name))?.json()
    }

    /// `POST /plugins/{name}/enable?timeout=` (`docker plugin enable`): starts the plugin;
    /// `timeout_secs` is how long the daemon waits for it (its default 30 s; a wait longer
    /// than the client's head timeout needs a client built with a longer one).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 500 when it is already
    /// enabled or fails to start.
    pub fn enable_plugin(&self, name: &str, timeout_secs: Option<u32>) -> Result<()> {
        done(self.run(plugins::enable(name, timeout_secs))?);
        Ok(())
    }

    /// `POST /plugins/{name}/disable?force=` (`docker plugin disable`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 500 when it is not
    /// enabled or in use (without `force`).
    pub fn disable_plugin(&self, name: &str, force: bool) -> Result<()> {
        done(self.run(plugins::disable(name, force))?);
        Ok(())
    }

    /// `POST /plugins/{name}/set` (`docker plugin set`): `settings` is a JSON array of
    /// `"KEY=value"` strings (`env` values, `mount.source`, `device.path`, `args`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 500 for a setting the
    /// plugin does not declare settable or while it is enabled.
    pub fn set_plugin(&self, name: &str, settings: &Value) -> Result<()> {
        done(self.run(plugins::set(name, json_bytes(settings)))?);
        Ok(())
    }

    /// `POST /plugins/{name}/upgrade?remote=` (`docker plugin upgrade`): the plugin must be
    /// disabled; `privileges` as for [`pull_plugin`](Self::pull_plugin). Returns the progress
    /// stream (failures after the start are [`Error::Stream`](crate::Error::Stream) items).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 400/500 when it is enabled
    /// or the privileges do not match.
    pub fn upgrade_plugin(
        &self,
        name: &str,
        opts: &PluginPullOptions,
        privileges: &Value,
    ) -> Result<JsonMessages> {
        Ok(self
            .run(plugins::upgrade(name, opts, json_bytes(privileges)))?
            .json_messages())
    }

    /// `POST /plugins/{name}/push` (`docker plugin push`), with `X-Registry-Auth` when given.
    /// Returns the progress stream (failures after the start are
    /// [`Error::Stream`](crate::Error::Stream) items).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 500 from the registry.
    pub fn push_plugin(&self, name: &str, registry_auth: Option<&str>) -> Result<JsonMessages> {
        Ok(self
            .run(plugins::push(name, registry_auth))?
            .json_messages())
    }

    /// `DELETE /plugins/{name}?force=` (`docker plugin rm`): with `force`, an enabled plugin
    /// is disabled first. Returns the removed plugin, or `null` when the daemon answers without
    /// a body (dockerd does, although the description documents the plugin).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown plugin, 500 when it is enabled
    /// (without `force`) or in use.
    pub fn remove_plugin(&self, name: &str, force: bool) -> Result<Value> {
        json_or_null(self.run(plugins::remove(name, force))?)
    }
}
