//! Swarm mode: the swarm itself (inspect, init, join, leave, update, unlock, unlock key),
//! nodes, services (with their logs), tasks (with their logs), secrets and configs. Each
//! method is one operation of `docksock-api`; specs are the API's JSON documents, given as
//! [`serde_json::Value`]. Every one of them needs the daemon to be a swarm manager: elsewhere
//! the daemon answers 503 ("This node is not a swarm manager").

use docksock_api::containers::mode_from_content_type;
use docksock_api::{
    configs, nodes, secrets, services, swarm, tasks, Filters, ListServicesOptions,
    ServiceLogsOptions, UpdateServiceOptions, UpdateSwarmOptions,
};
use docksock_proto::stdcopy::Mode;
use serde_json::Value;

use crate::calls_containers::{done, json_bytes, json_or_null};
use crate::client::Client;
use crate::demux::Demux;
use crate::error::Result;
use crate::response::ResponseBody;

/// The framing of a service's or task's logs: raw for a TTY, multiplexed otherwise.
fn mode(tty: bool) -> Mode {
    if tty {
        Mode::Raw
    } else {
        Mode::Multiplexed
    }
}

impl Client {
    // ---- swarm -------------------------------------------------------------------------

    /// `GET /swarm` (`docker swarm inspect`): `ID`, `Version`, `Spec`, `JoinTokens`…
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 503 when the node is not a swarm manager.
    pub fn inspect_swarm(&self) -> Result<Value> {
        self.run(swarm::inspect())?.json()
    }

    /// `POST /swarm/init` (`docker swarm init`): `body` is `{"ListenAddr", "AdvertiseAddr",
    /// "Spec"…}`. Returns the new node's id (a JSON string).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for bad parameters, 503 when the node is already
    /// part of a swarm.
    pub fn init_swarm(&self, body: &Value) -> Result<Value> {
        self.run(swarm::init(json_bytes(body)))?.json()
    }

    /// `POST /swarm/join` (`docker swarm join`): `body` is `{"RemoteAddrs", "JoinToken",
    /// "ListenAddr"…}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for bad parameters, 503 when the node is already
    /// part of a swarm.
    pub fn join_swarm(&self, body: &Value) -> Result<()> {
        done(self.run(swarm::join(json_bytes(body)))?);
        Ok(())
    }

    /// `POST /swarm/leave?force=` (`docker swarm leave`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 503 when the node is not part of a swarm, or is a
    /// manager leaving without `force`.
    pub fn leave_swarm(&self, force: bool) -> Result<()> {
        done(self.run(swarm::leave(force))?);
        Ok(())
    }

    /// `POST /swarm/update?version=&rotate…=` (`docker swarm update`): `version` is the
    /// swarm's current `Version.Index`, `spec` the whole new spec.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for bad parameters, 500 for an outdated
    /// `version` (swarmkit's "update out of sequence", which dockerd passes on unclassified:
    /// read the object again and retry), 503 when the node is not a swarm manager.
    pub fn update_swarm(
        &self,
        version: u64,
        opts: &UpdateSwarmOptions,
        spec: &Value,
    ) -> Result<()> {
        done(self.run(swarm::update(version, opts, json_bytes(spec)))?);
        Ok(())
    }

    /// `POST /swarm/unlock` (`docker swarm unlock`): `body` is `{"UnlockKey": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for a wrong key, 409 when the swarm is not
    /// locked, 503 when the node is not part of a swarm.
    pub fn unlock_swarm(&self, body: &Value) -> Result<()> {
        done(self.run(swarm::unlock(json_bytes(body)))?);
        Ok(())
    }

    /// `GET /swarm/unlockkey` (`docker swarm unlock-key`): `{"UnlockKey": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 503 when the node is not a swarm manager.
    pub fn swarm_unlock_key(&self) -> Result<Value> {
        self.run(swarm::unlock_key())?.json()
    }

    // ---- nodes -------------------------------------------------------------------------

    /// `GET /nodes?filters=` (`docker node ls`): an array of nodes.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter, 503 when the node is
    /// not a swarm manager.
    pub fn list_nodes(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(nodes::list(filters))?.json()
    }

    /// `GET /nodes/{id}` (`docker node inspect`): `node` is an id or a name.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown node, 503 when the node is not a
    /// swarm manager.
    pub fn inspect_node(&self, node: &str) -> Result<Value> {
        self.run(nodes::inspect(node))?.json()
    }

    /// `POST /nodes/{id}/update?version=` (`docker node update`): `version` is the node's
    /// current `Version.Index`, `spec` the whole new spec (`Role`, `Availability`, `Labels`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for bad parameters, 404 for an unknown node, 500
    /// for an outdated `version` (swarmkit's "update out of sequence"; the node's own status
    /// reports bump it too: read it again and retry), 503 when the node is not a swarm
    /// manager.
    pub fn update_node(&self, node: &str, version: u64, spec: &Value) -> Result<()> {
        done(self.run(nodes::update(node, version, json_bytes(spec)))?);
        Ok(())
    }

    /// `DELETE /nodes/{id}?force=` (`docker node rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown node, 400/500 for a node that is
    /// still up (without `force`), 503 when the node is not a swarm manager.
    pub fn remove_node(&self, node: &str, force: bool) -> Result<()> {
        done(self.run(nodes::remove(node, force))?);
        Ok(())
    }

    // ---- services ----------------------------------------------------------------------

    /// `GET /services?filters=&status=` (`docker service ls`): an array of services.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter, 503 when the node is
    /// not a swarm manager.
    pub fn list_services(&self, opts: &ListServicesOptions) -> Result<Value> {
        self.run(services::list(opts))?.json()
    }

    /// `GET /services/{id}?insertDefaults=` (`docker service inspect`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown service, 503 when the node is not
    /// a swarm manager.
    pub fn inspect_service(&self, service: &str, insert_defaults: bool) -> Result<Value> {
        self.run(services::inspect(service, insert_defaults))?
            .json()
    }

    /// `POST /services/create` (`docker service create`): `spec` is the service spec (`Name`,
    /// `TaskTemplate`, `Mode`, `EndpointSpec`…); `registry_auth` is sent as `X-Registry-Auth`
    /// for a private image. Returns `{"ID": …, "Warnings": […]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid spec, 403 for a network that is
    /// not attachable, 409 when the name is in use, 503 when the node is not a swarm manager.
    pub fn create_service(&self, spec: &Value, registry_auth: Option<&str>) -> Result<Value> {
        self.run(services::create(json_bytes(spec), registry_auth))?
            .json()
    }

    /// `POST /services/{id}/update?version=&registryAuthFrom=&rollback=` (`docker service
    /// update`): `version` is the service's current `Version.Index`, `spec` the whole new
    /// spec. Returns `{"Warnings": […]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid spec, 404 for an unknown service,
    /// 500 for an outdated `version` (swarmkit's "update out of sequence"; the orchestrator's
    /// update status bumps it too: read it again and retry), 503 when the node is not a swarm
    /// manager.
    pub fn update_service(
        &self,
        service: &str,
        version: u64,
        opts: &UpdateServiceOptions,
        spec: &Value,
    ) -> Result<Value> {
        json_or_null(self.run(services::update(service, version, opts, json_bytes(spec)))?)
    }

    /// `DELETE /services/{id}` (`docker service rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown service, 503 when the node is not
    /// a swarm manager.
    pub fn remove_service(&self, service: &str) -> Result<()> {
        done(self.run(services::remove(service))?);
        Ok(())
    }

    /// `GET /services/{id}/logs` (`docker service logs`), demultiplexed: raw for a TTY
    /// service. The framing is the one the response's `Content-Type` declares (API 1.42+, see
    /// [`mode_from_content_type`]); a daemon that declares none is asked with an inspect for
    /// the service's `Spec.TaskTemplate.ContainerSpec.TTY`, unless `opts.tty` says it.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown service, 400/500 when its log
    /// driver cannot be read, 503 when the node is not a swarm manager.
    pub fn service_logs(
        &self,
        service: &str,
        opts: &ServiceLogsOptions,
    ) -> Result<Demux<ResponseBody>> {
        let version = self.api_version()?;
        let resp = self.run(services::logs(service, opts))?;
        let mode = match mode_from_content_type(resp.header("Content-Type"), version) {
            Some(mode) => mode,
            None => mode(match opts.tty {
                Some(tty) => tty,
                None => self.inspect_service(service, false)?["Spec"]["TaskTemplate"]
                    ["ContainerSpec"]["TTY"]
                    .as_bool()
                    .unwrap_or(false),
            }),
        };
        Ok(resp.demux(mode))
    }

    // ---- tasks -------------------------------------------------------------------------

    /// `GET /tasks?filters=` (`docker service ps`, `docker node ps`): an array of tasks.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter, 503 when the node is
    /// not a swarm manager.
    pub fn list_tasks(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(tasks::list(filters))?.json()
    }

    /// `GET /tasks/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown task, 503 when the node is not a
    /// swarm manager.
    pub fn inspect_task(&self, task: &str) -> Result<Value> {
        self.run(tasks::inspect(task))?.json()
    }

    /// `GET /tasks/{id}/logs`, demultiplexed: raw for a TTY task. The framing is the one the
    /// response's `Content-Type` declares (API 1.42+); a daemon that declares none is asked
    /// with an inspect for the task's `Spec.ContainerSpec.TTY`, unless `opts.tty` says it.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown task, 400/500 when its log driver
    /// cannot be read, 503 when the node is not a swarm manager.
    pub fn task_logs(&self, task: &str, opts: &ServiceLogsOptions) -> Result<Demux<ResponseBody>> {
        let version = self.api_version()?;
        let resp = self.run(tasks::logs(task, opts))?;
        let mode = match mode_from_content_type(resp.header("Content-Type"), version) {
            Some(mode) => mode,
            None => mode(match opts.tty {
                Some(tty) => tty,
                None => self.inspect_task(task)?["Spec"]["ContainerSpec"]["TTY"]
                    .as_bool()
                    .unwrap_or(false),
            }),
        };
        Ok(resp.demux(mode))
    }

    // ---- secrets -----------------------------------------------------------------------

    /// `GET /secrets?filters=` (`docker secret ls`): an array of secrets (without their data).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter, 503 when the node is
    /// not a swarm manager.
    pub fn list_secrets(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(secrets::list(filters))?.json()
    }

    /// `GET /secrets/{id}` (`docker secret inspect`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown secret, 503 when the node is not
    /// a swarm manager.
    pub fn inspect_secret(&self, secret: &str) -> Result<Value> {
        self.run(secrets::inspect(secret))?.json()
    }

    /// `POST /secrets/create` (`docker secret create`): `spec` is `{"Name", "Data": base64,
    /// "Labels"…}`. Returns `{"ID": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid spec, 409 when the name is in
    /// use, 503 when the node is not a swarm manager.
    pub fn create_secret(&self, spec: &Value) -> Result<Value> {
        self.run(secrets::create(json_bytes(spec)))?.json()
    }

    /// `POST /secrets/{id}/update?version=`: `version` is the secret's current
    /// `Version.Index`; only its `Labels` may change.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for a change other than labels, 404 for an
    /// unknown secret, 500 for an outdated `version` (swarmkit's "update out of sequence"),
    /// 503 when the node is not a swarm manager.
    pub fn update_secret(&self, secret: &str, version: u64, spec: &Value) -> Result<()> {
        done(self.run(secrets::update(secret, version, json_bytes(spec)))?);
        Ok(())
    }

    /// `DELETE /secrets/{id}` (`docker secret rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown secret, 400/409 while a service
    /// uses it, 503 when the node is not a swarm manager.
    pub fn remove_secret(&self, secret: &str) -> Result<()> {
        done(self.run(secrets::remove(secret))?);
        Ok(())
    }

    // ---- configs -----------------------------------------------------------------------

    /// `GET /configs?filters=` (`docker config ls`): an array of configs.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter, 503 when the node is
    /// not a swarm manager.
    pub fn list_configs(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(configs::list(filters))?.json()
    }

    /// `GET /configs/{id}` (`docker config inspect`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown config, 503 when the node is not
    /// a swarm manager.
    pub fn inspect_config(&self, config: &str) -> Result<Value> {
        self.run(configs::inspect(config))?.json()
    }

    /// `POST /configs/create` (`docker config create`): `spec` is `{"Name", "Data": base64,
    /// "Labels"…}`. Returns `{"ID": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid spec, 409 when the name is in
    /// use, 503 when the node is not a swarm manager.
    pub fn create_config(&self, spec: &Value) -> Result<Value> {
        self.run(configs::create(json_bytes(spec)))?.json()
    }

    /// `POST /configs/{id}/update?version=`: `version` is the config's current
    /// `Version.Index`; only its `Labels` may change.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for a change other than labels, 404 for an
    /// unknown config, 500 for an outdated `version` (swarmkit's "update out of sequence"),
    /// 503 when the node is not a swarm manager.
    pub fn update_config(&self, config: &str, version: u64, spec: &Value) -> Result<()> {
        done(self.run(configs::update(config, version, json_bytes(spec)))?);
        Ok(())
    }

    /// `DELETE /configs/{id}` (`docker config rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown config, 400/409 while a service
    /// uses it, 503 when the node is not a swarm manager.
    pub fn remove_config(&self, config: &str) -> Result<()> {
        done(self.run(configs::remove(config))?);
        Ok(())
    }
}
