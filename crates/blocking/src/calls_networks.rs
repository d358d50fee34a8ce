//! Networks (list, inspect, create, remove, connect, disconnect, prune) and volumes (list,
//! inspect, create, update, remove, prune). Each method is one operation of `docksock-api`;
//! request bodies are the API's JSON documents, given as [`serde_json::Value`].

use docksock_api::{networks, volumes, Filters, InspectNetworkOptions};
use serde_json::Value;

use crate::calls_containers::{done, json_bytes};
use crate::client::Client;
use crate::error::Result;

impl Client {
    // ---- networks ----------------------------------------------------------------------

    /// `GET /networks?filters=` (`docker network ls`; filters `driver`, `id`, `label`,
    /// `name`, `scope`, `type`, `dangling`): an array of networks.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter.
    pub fn list_networks(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(networks::list(filters))?.json()
    }

    /// `GET /networks/{id}?verbose=&scope=` (`docker network inspect`): `network` is an id or
    /// a name. `Containers` maps the id of every connected container to its endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown network.
    pub fn inspect_network(&self, network: &str, opts: &InspectNetworkOptions) -> Result<Value> {
        self.run(networks::inspect(network, opts))?.json()
    }

    /// `POST /networks/create` (`docker network create`): `config` is the body (`Name`,
    /// `Driver`, `Internal`, `IPAM`, `Labels`, `Options`…). Returns `{"Id": …, "Warning": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 409 when the name is in use (see
    /// [`Error::is_conflict`](crate::Error::is_conflict)), 400 for an invalid configuration,
    /// 404 for an unknown driver, 403 for an operation the driver refuses.
    pub fn create_network(&self, config: &Value) -> Result<Value> {
        self.run(networks::create(json_bytes(config)))?.json()
    }

    /// `DELETE /networks/{id}` (`docker network rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown network, 403 (Podman: 500) while
    /// containers are connected to it or for a predefined network (`bridge`, `host`, `none`).
    pub fn remove_network(&self, network: &str) -> Result<()> {
        done(self.run(networks::remove(network))?);
        Ok(())
    }

    /// `POST /networks/{id}/connect` (`docker network connect`): `body` is
    /// `{"Container": id or name, "EndpointConfig": {"Aliases": […], "IPAMConfig": …}}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown network or container, 403 when
    /// the container is already connected or the operation is not supported (engines differ:
    /// Podman answers 500).
    pub fn connect_network(&self, network: &str, body: &Value) -> Result<()> {
        done(self.run(networks::connect(network, json_bytes(body)))?);
        Ok(())
    }

    /// `POST /networks/{id}/disconnect` (`docker network disconnect`): `body` is
    /// `{"Container": id or name, "Force": bool}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown network or container, 403 when
    /// the operation is not supported, 500 when the container is not connected.
    pub fn disconnect_network(&self, network: &str, body: &Value) -> Result<()> {
        done(self.run(networks::disconnect(network, json_bytes(body)))?);
        Ok(())
    }

    /// `POST /networks/prune?filters=` (`docker network prune`; filters `until`, `label`):
    /// removes every network no container uses. Returns the report:
    /// `{"NetworksDeleted": [names] or null}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid filter, 409 when a prune is
    /// already running.
    pub fn prune_networks(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(networks::prune(filters))?.json()
    }

    // ---- volumes -----------------------------------------------------------------------

    /// `GET /volumes?filters=` (`docker volume ls`; filters `dangling`, `driver`, `label`,
    /// `name`): `{"Volumes": [...] or null, "Warnings": [...] or null}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid filter.
    pub fn list_volumes(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(volumes::list(filters))?.json()
    }

    /// `GET /volumes/{name}` (`docker volume inspect`): `Name`, `Driver`, `Mountpoint`,
    /// `Labels`, `Scope`, `CreatedAt`…
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown volume.
    pub fn inspect_volume(&self, name: &str) -> Result<Value> {
        self.run(volumes::inspect(name))?.json()
    }

    /// `POST /volumes/create` (`docker volume create`): `config` is the body (`Name`,
    /// `Driver`, `DriverOpts`, `Labels`; `{}` for an anonymous volume). Returns the volume.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for an invalid name or option, 404 for an
    /// unknown driver. Creating a volume whose name exists answers the existing volume on
    /// dockerd, 409 (Podman: 500) on Podman.
    pub fn create_volume(&self, config: &Value) -> Result<Value> {
        self.run(volumes::create(json_bytes(config)))?.json()
    }

    /// `PUT /volumes/{name}?version=`: updates a cluster volume (Swarm): `version` is its
    /// current `ClusterVolume.Version.Index`, `body` is `{"Spec": …}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown volume, 400 for a volume that is
    /// not a cluster volume, 503 when the node is not part of a swarm.
    pub fn update_volume(&self, name: &str, version: u64, body: &Value) -> Result<()> {
        done(self.run(volumes::update(name, version, json_bytes(body)))?);
        Ok(())
    }

    /// `DELETE /volumes/{name}?force=` (`docker volume rm`).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown volume, 409 while a container
    /// uses it (see [`Error::is_conflict`](crate::Error::is_conflict)).
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        done(self.run(volumes::remove(name, force))?);
        Ok(())
    }

    /// `POST /volumes/prune?filters=` (`docker volume prune`; filters `label`, and
    /// `all=true` for named volumes too, API 1.42+: before that every unused volume is
    /// pruned). Returns the report: `{"VolumesDeleted": [names] or null, "SpaceReclaimed":
    /// bytes}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid filter, 409 when a prune is
    /// already running.
    pub fn prune_volumes(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(volumes::prune(filters))?.json()
    }
}
