//! Typed call functions: the operations of `docksock-api` whose bodies people read or write
//! most, with their models. Each returns a [`Typed`] (or [`TypedStream`]) around the same
//! [`Call`] the `docksock_api` function makes, so the raw response is one
//! [`into_call`](Typed::into_call) away. Request bodies are models, serialized with only
//! their set fields.
//!
//! For an operation not here, run the `docksock_api` call and decode the body into the model
//! named by [`OPERATIONS`](crate::OPERATIONS).

use crate::typed::{json_body, Typed, TypedStream};
use docksock_api::Call;

/// Containers: list, inspect, create, wait, top, stats, changes, update, prune.
pub mod containers {
    use super::*;
    use crate::{
        ContainerCreateRequest, ContainerCreateResponse, ContainerInspectResponse,
        ContainerPruneResponse, ContainerStatsResponse, ContainerSummary, ContainerTopResponse,
        ContainerUpdateRequest, ContainerUpdateResponse, ContainerWaitResponse, FilesystemChange,
    };
    use docksock_api::{containers, Filters, ListContainersOptions, WaitOptions};

    /// `GET /containers/json`.
    pub fn list(opts: &ListContainersOptions) -> Typed<'_, Vec<ContainerSummary>> {
        Typed::new(containers::list(opts))
    }

    /// `GET /containers/{id}/json`.
    pub fn inspect(container: &str) -> Typed<'_, ContainerInspectResponse> {
        Typed::new(containers::inspect(container))
    }

    /// `POST /containers/create` (see [`builders::ContainerCreate`](crate::builders::ContainerCreate)).
    pub fn create<'a>(
        name: Option<&'a str>,
        config: &ContainerCreateRequest,
    ) -> Typed<'a, ContainerCreateResponse> {
        Typed::new(containers::create(name, json_body(config)))
    }

    /// `POST /containers/{id}/wait`.
    pub fn wait<'a>(container: &'a str, opts: &'a WaitOptions) -> Typed<'a, ContainerWaitResponse> {
        Typed::new(containers::wait(container, opts))
    }

    /// `GET /containers/{id}/top`.
    pub fn top<'a>(
        container: &'a str,
        ps_args: Option<&'a str>,
    ) -> Typed<'a, ContainerTopResponse> {
        Typed::new(containers::top(container, ps_args))
    }

    /// `GET /containers/{id}/stats?stream=0`: one sample.
    pub fn stats(container: &str) -> Typed<'_, ContainerStatsResponse> {
        Typed::new(containers::stats(container, false))
    }

    /// `GET /containers/{id}/stats?stream=1`: a sample a second.
    pub fn stats_stream(container: &str) -> TypedStream<'_, ContainerStatsResponse> {
        TypedStream::new(containers::stats(container, true))
    }

    /// `GET /containers/{id}/changes`.
    pub fn changes(container: &str) -> Typed<'_, Vec<FilesystemChange>> {
        Typed::new(containers::changes(container))
    }

    /// `POST /containers/{id}/update`.
    pub fn update<'a>(
        container: &'a str,
        update: &ContainerUpdateRequest,
    ) -> Typed<'a, ContainerUpdateResponse> {
        Typed::new(containers::update(container, json_body(update)))
    }

    /// `POST /containers/prune`.
    pub fn prune<'a>(filters: Option<&Filters>) -> Typed<'a, ContainerPruneResponse> {
        Typed::new(containers::prune(filters))
    }
}

/// Images: list, inspect, history, remove, search, prune.
pub mod images {
    use super::*;
    use crate::{
        ImageDeleteResponseItem, ImageHistoryResponseItem, ImageInspect, ImagePruneResponse,
        ImageSearchResponseItem, ImageSummary,
    };
    use docksock_api::{images, Filters, ListImagesOptions, RemoveImageOptions, SearchOptions};

    /// `GET /images/json`.
    pub fn list(opts: &ListImagesOptions) -> Typed<'_, Vec<ImageSummary>> {
        Typed::new(images::list(opts))
    }

    /// `GET /images/{name}/json`.
    pub fn inspect(name: &str) -> Typed<'_, ImageInspect> {
        Typed::new(images::inspect(name))
    }

    /// `GET /images/{name}/history`.
    pub fn history<'a>(
        name: &'a str,
        platform: Option<&'a str>,
    ) -> Typed<'a, Vec<ImageHistoryResponseItem>> {
        Typed::new(images::history(name, platform))
    }

    /// `DELETE /images/{name}`: what was untagged and deleted.
    pub fn remove<'a>(
        name: &'a str,
        opts: &RemoveImageOptions,
    ) -> Typed<'a, Vec<ImageDeleteResponseItem>> {
        Typed::new(images::remove(name, opts))
    }

    /// `GET /images/search`.
    pub fn search<'a>(
        term: &'a str,
        opts: &SearchOptions,
    ) -> Typed<'a, Vec<ImageSearchResponseItem>> {
        Typed::new(images::search(term, opts))
    }

    /// `POST /images/prune`.
    pub fn prune<'a>(filters: Option<&Filters>) -> Typed<'a, ImagePruneResponse> {
        Typed::new(images::prune(filters))
    }
}

/// System: info, version, disk usage, events.
pub mod system {
    use super::*;
    use crate::{EventMessage, SystemDataUsageResponse, SystemInfo, SystemVersion};
    use docksock_api::{system, DataUsageOptions, EventsOptions};

    /// `GET /info`.
    pub fn info() -> Typed<'static, SystemInfo> {
        Typed::new(system::info())
    }

    /// `GET /version`.
    pub fn version() -> Typed<'static, SystemVersion> {
        Typed::new(system::version())
    }

    /// `GET /system/df`.
    pub fn df(opts: &DataUsageOptions) -> Typed<'_, SystemDataUsageResponse> {
        Typed::new(system::df(opts))
    }

    /// `GET /events`: a stream of events.
    pub fn events(opts: &EventsOptions) -> TypedStream<'_, EventMessage> {
        TypedStream::new(system::events(opts))
    }
}

/// Networks: list, inspect, create, connect, disconnect, prune.
pub mod networks {
    use super::*;
    use crate::{
        Network, NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse,
        NetworkDisconnectRequest, NetworkPruneResponse,
    };
    use docksock_api::{networks, Filters, InspectNetworkOptions};

    /// `GET /networks`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, Vec<Network>> {
        Typed::new(networks::list(filters))
    }

    /// `GET /networks/{id}`.
    pub fn inspect<'a>(network: &'a str, opts: &'a InspectNetworkOptions) -> Typed<'a, Network> {
        Typed::new(networks::inspect(network, opts))
    }

    /// `POST /networks/create` (see [`builders::NetworkCreate`](crate::builders::NetworkCreate)).
    pub fn create<'a>(config: &NetworkCreateRequest) -> Typed<'a, NetworkCreateResponse> {
        Typed::new(networks::create(json_body(config)))
    }

    /// `POST /networks/{id}/connect` (no response body: a plain call).
    pub fn connect<'a>(network: &'a str, body: &NetworkConnectRequest) -> Call<'a> {
        networks::connect(network, json_body(body))
    }

    /// `POST /networks/{id}/disconnect` (no response body: a plain call).
    pub fn disconnect<'a>(network: &'a str, body: &NetworkDisconnectRequest) -> Call<'a> {
        networks::disconnect(network, json_body(body))
    }

    /// `POST /networks/prune`.
    pub fn prune<'a>(filters: Option<&Filters>) -> Typed<'a, NetworkPruneResponse> {
        Typed::new(networks::prune(filters))
    }
}

/// Volumes: list, inspect, create, prune.
pub mod volumes {
    use super::*;
    use crate::{Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse};
    use docksock_api::{volumes, Filters};

    /// `GET /volumes`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, VolumeListResponse> {
        Typed::new(volumes::list(filters))
    }

    /// `GET /volumes/{name}`.
    pub fn inspect(name: &str) -> Typed<'_, Volume> {
        Typed::new(volumes::inspect(name))
    }

    /// `POST /volumes/create` (see [`builders::VolumeCreate`](crate::builders::VolumeCreate)).
    pub fn create<'a>(config: &VolumeCreateOptions) -> Typed<'a, Volume> {
        Typed::new(volumes::create(json_body(config)))
    }

    /// `POST /volumes/prune`.
    pub fn prune<'a>(filters: Option<&Filters>) -> Typed<'a, VolumePruneResponse> {
        Typed::new(volumes::prune(filters))
    }
}

/// Exec: create, inspect.
pub mod exec {
    use super::*;
    use crate::{ExecConfig, ExecInspectResponse, IDResponse};
    use docksock_api::exec;

    /// `POST /containers/{id}/exec` (see [`builders::ExecCreate`](crate::builders::ExecCreate)).
    pub fn create<'a>(container: &'a str, config: &ExecConfig) -> Typed<'a, IDResponse> {
        Typed::new(exec::create(container, json_body(config)))
    }

    /// `GET /exec/{id}/json`.
    pub fn inspect(exec_id: &str) -> Typed<'_, ExecInspectResponse> {
        Typed::new(exec::inspect(exec_id))
    }
}

/// Swarm: inspect, unlock key.
pub mod swarm {
    use super::*;
    use crate::{Swarm, UnlockKeyResponse};
    use docksock_api::swarm;

    /// `GET /swarm`.
    pub fn inspect() -> Typed<'static, Swarm> {
        Typed::new(swarm::inspect())
    }

    /// `GET /swarm/unlockkey`.
    pub fn unlock_key() -> Typed<'static, UnlockKeyResponse> {
        Typed::new(swarm::unlock_key())
    }
}

/// Swarm nodes: list, inspect.
pub mod nodes {
    use super::*;
    use crate::Node;
    use docksock_api::{nodes, Filters};

    /// `GET /nodes`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, Vec<Node>> {
        Typed::new(nodes::list(filters))
    }

    /// `GET /nodes/{id}`.
    pub fn inspect(node: &str) -> Typed<'_, Node> {
        Typed::new(nodes::inspect(node))
    }
}

/// Swarm services: list, inspect, create, update.
pub mod services {
    use super::*;
    use crate::{Service, ServiceCreateResponse, ServiceSpec, ServiceUpdateResponse};
    use docksock_api::{services, ListServicesOptions, UpdateServiceOptions};

    /// `GET /services`.
    pub fn list(opts: &ListServicesOptions) -> Typed<'_, Vec<Service>> {
        Typed::new(services::list(opts))
    }

    /// `GET /services/{id}?insertDefaults=`.
    pub fn inspect(service: &str, insert_defaults: bool) -> Typed<'_, Service> {
        Typed::new(services::inspect(service, insert_defaults))
    }

    /// `POST /services/create`; `registry_auth` is sent as `X-Registry-Auth`.
    pub fn create<'a>(
        spec: &ServiceSpec,
        registry_auth: Option<&'a str>,
    ) -> Typed<'a, ServiceCreateResponse> {
        Typed::new(services::create(json_body(spec), registry_auth))
    }

    /// `POST /services/{id}/update?version=`: `version` is the service's current
    /// `Version.Index`, `spec` the whole new spec.
    pub fn update<'a>(
        service: &'a str,
        version: u64,
        opts: &'a UpdateServiceOptions,
        spec: &ServiceSpec,
    ) -> Typed<'a, ServiceUpdateResponse> {
        Typed::new(services::update(service, version, opts, json_body(spec)))
    }
}

/// Swarm tasks: list, inspect.
pub mod tasks {
    use super::*;
    use crate::Task;
    use docksock_api::{tasks, Filters};

    /// `GET /tasks`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, Vec<Task>> {
        Typed::new(tasks::list(filters))
    }

    /// `GET /tasks/{id}`.
    pub fn inspect(task: &str) -> Typed<'_, Task> {
        Typed::new(tasks::inspect(task))
    }
}

/// Swarm secrets: list, inspect, create.
pub mod secrets {
    use super::*;
    use crate::{IDResponse, Secret, SecretSpec};
    use docksock_api::{secrets, Filters};

    /// `GET /secrets`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, Vec<Secret>> {
        Typed::new(secrets::list(filters))
    }

    /// `GET /secrets/{id}` (never the secret's data).
    pub fn inspect(secret: &str) -> Typed<'_, Secret> {
        Typed::new(secrets::inspect(secret))
    }

    /// `POST /secrets/create` (`Data` is base64).
    pub fn create<'a>(spec: &SecretSpec) -> Typed<'a, IDResponse> {
        Typed::new(secrets::create(json_body(spec)))
    }
}

/// Swarm configs: list, inspect, create.
pub mod configs {
    use super::*;
    use crate::{Config, ConfigSpec, IDResponse};
    use docksock_api::{configs, Filters};

    /// `GET /configs`.
    pub fn list<'a>(filters: Option<&Filters>) -> Typed<'a, Vec<Config>> {
        Typed::new(configs::list(filters))
    }

    /// `GET /configs/{id}`.
    pub fn inspect(config: &str) -> Typed<'_, Config> {
        Typed::new(configs::inspect(config))
    }

    /// `POST /configs/create` (`Data` is base64).
    pub fn create<'a>(spec: &ConfigSpec) -> Typed<'a, IDResponse> {
        Typed::new(configs::create(json_body(spec)))
    }
}
