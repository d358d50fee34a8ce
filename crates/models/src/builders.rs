//! Builders for the request bodies written daily: [`ContainerCreate`], [`ExecCreate`],
//! [`NetworkCreate`], [`VolumeCreate`].
//!
//! Each builds the generated model (`build()`), so anything a builder has no method for is
//! one field away; and each sets only what its methods were given (the daemon's defaults hold
//! for the rest).
//!
//! ```
//! use docksock_models::builders::ContainerCreate;
//! use docksock_models::RestartPolicyName;
//!
//! let body = ContainerCreate::new("nginx:alpine")
//!     .cmd(["nginx", "-g", "daemon off;"])
//!     .env("MODE", "production")
//!     .publish("80/tcp", 8080)
//!     .volume("web-data", "/usr/share/nginx/html")
//!     .network("frontend")
//!     .memory(256 * 1024 * 1024)
//!     .cpus(1.5)
//!     .label("app", "web")
//!     .restart(RestartPolicyName::UnlessStopped)
//!     .build();
//! let json = serde_json::to_value(&body)?;
//! assert_eq!(json["Image"], "nginx:alpine");
//! assert_eq!(json["Env"][0], "MODE=production");
//! assert_eq!(json["ExposedPorts"]["80/tcp"], serde_json::json!({}));
//! assert_eq!(json["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
//! assert_eq!(json["HostConfig"]["NanoCpus"], 1_500_000_000);
//! assert_eq!(json["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped");
//! assert_eq!(json["HostConfig"]["NetworkMode"], "frontend");
//! assert!(json.get("Cmd").is_some() && json.get("User").is_none());
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::{
    ContainerCreateRequest, EndpointSettings, ExecConfig, HostConfig, IPAMConfig, Mount, MountType,
    NetworkCreateRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyName,
    VolumeCreateOptions, IPAM,
};

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

fn insert(map: &mut Option<BTreeMap<String, String>>, key: &str, value: &str) {
    map.get_or_insert_with(BTreeMap::new)
        .insert(key.to_owned(), value.to_owned());
}

/// A port as the API keys it: `80/tcp`; a bare number means TCP.
fn port_key(port: &str) -> String {
    if port.contains('/') {
        port.to_owned()
    } else {
        format!("{port}/tcp")
    }
}

/// The body of `POST /containers/create`
/// ([`calls::containers::create`](crate::calls::containers::create)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerCreate {
    body: ContainerCreateRequest,
}

impl ContainerCreate {
    /// A container of `image`.
    pub fn new(image: impl Into<String>) -> Self {
        ContainerCreate {
            body: ContainerCreateRequest {
                image: Some(image.into()),
                ..Default::default()
            },
        }
    }

    fn host(&mut self) -> &mut HostConfig {
        self.body.host_config.get_or_insert_with(Default::default)
    }

    /// The command (`Cmd`), replacing the image's.
    #[must_use]
    pub fn cmd<I: IntoIterator<Item = S>, S: Into<String>>(mut self, cmd: I) -> Self {
        self.body.cmd = Some(strings(cmd));
        self
    }

    /// The entrypoint, replacing the image's (`[""]` clears it).
    #[must_use]
    pub fn entrypoint<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ep: I) -> Self {
        self.body.entrypoint = Some(strings(ep));
        self
    }

    /// Adds the environment variable `key=value`.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.body
            .env
            .get_or_insert_with(Vec::new)
            .push(format!("{key}={value}"));
        self
    }

    /// Adds environment variables written `KEY=value`.
    #[must_use]
    pub fn envs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, vars: I) -> Self {
        self.body
            .env
            .get_or_insert_with(Vec::new)
            .extend(strings(vars));
        self
    }

    /// The working directory.
    #[must_use]
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.body.working_dir = Some(dir.into());
        self
    }

    /// The user (`name`, `uid`, `uid:gid`).
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.body.user = Some(user.into());
        self
    }

    /// The hostname.
    #[must_use]
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.body.hostname = Some(hostname.into());
        self
    }

    /// Allocates a TTY (output then comes raw, not multiplexed).
    #[must_use]
    pub fn tty(mut self, tty: bool) -> Self {
        self.body.tty = Some(tty);
        self
    }

    /// Keeps stdin open, attached (`OpenStdin`, `AttachStdin`, and `StdinOnce`: stdin closes
    /// when the attached client detaches).
    #[must_use]
    pub fn stdin(mut self, open: bool) -> Self {
        self.body.open_stdin = Some(open);
        self.body.attach_stdin = Some(open);
        self.body.stdin_once = Some(open);
        self
    }

    /// Adds the label `key=value`.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Self {
        insert(&mut self.body.labels, key, value);
        self
    }

    /// Exposes a container port (`80/tcp`, `53/udp`; a bare `80` is TCP) without publishing it.
    #[must_use]
    pub fn expose(mut self, port: &str) -> Self {
        self.body
            .exposed_ports
            .get_or_insert_with(BTreeMap::new)
            .insert(
                port_key(port),
                serde_json::Value::Object(Default::default()),
            );
        self
    }

    /// Publishes a container port (`80/tcp`) on a host port of every host address (`0` lets
    /// the daemon choose one).
    #[must_use]
    pub fn publish(self, port: &str, host_port: u16) -> Self {
        self.publish_on(port, "", host_port)
    }

    /// Publishes a container port on a host port of one host address (`127.0.0.1`).
    #[must_use]
    pub fn publish_on(mut self, port: &str, host_ip: &str, host_port: u16) -> Self {
        self = self.expose(port);
        let binding = PortBinding {
            host_ip: Some(host_ip.to_owned()),
            host_port: Some(if host_port == 0 {
                String::new()
            } else {
                host_port.to_string()
            }),
        };
        self.host()
            .port_bindings
            .get_or_insert_with(BTreeMap::new)
            .entry(port_key(port))
            .or_insert(None)
            .get_or_insert_with(Vec::new)
            .push(binding);
        self
    }

    /// Publishes every exposed port on a port the daemon chooses.
    #[must_use]
    pub fn publish_all(mut self, all: bool) -> Self {
        self.host().publish_all_ports = Some(all);
        self
    }

    /// Bind-mounts the host path `source` at `target` (a `Binds` entry `source:target[:ro]`).
    #[must_use]
    pub fn bind(mut self, source: &str, target: &str, read_only: bool) -> Self {
        let ro = if read_only { ":ro" } else { "" };
        self.host()
            .binds
            .get_or_insert_with(Vec::new)
            .push(format!("{source}:{target}{ro}"));
        self
    }

    /// Adds a mount (any type; see [`volume`](Self::volume) and [`tmpfs`](Self::tmpfs)).
    #[must_use]
    pub fn mount(mut self, mount: Mount) -> Self {
        self.host().mounts.get_or_insert_with(Vec::new).push(mount);
        self
    }

    /// Mounts the named volume `name` at `target` (created if it does not exist).
    #[must_use]
    pub fn volume(self, name: &str, target: &str) -> Self {
        self.mount(Mount {
            r#type: Some(MountType::Volume),
            source: Some(name.to_owned()),
            target: Some(target.to_owned()),
            ..Default::default()
        })
    }

    /// Mounts a tmpfs at `target`.
    #[must_use]
    pub fn tmpfs(self, target: &str) -> Self {
        self.mount(Mount {
            r#type: Some(MountType::Tmpfs),
            target: Some(target.to_owned()),
            ..Default::default()
        })
    }

    /// Connects the container to `network` when it is created (`NetworkMode`, and an entry
    /// in `NetworkingConfig.EndpointsConfig`). More networks can be connected after creation.
    #[must_use]
    pub fn network(mut self, network: &str) -> Self {
        self.host().network_mode = Some(network.to_owned());
        self.endpoint(network);
        self
    }

    /// Adds a DNS alias of the container on `network` (see [`network`](Self::network)).
    #[must_use]
    pub fn network_alias(mut self, network: &str, alias: &str) -> Self {
        self.endpoint(network)
            .aliases
            .get_or_insert_with(Vec::new)
            .push(alias.to_owned());
        self
    }

    fn endpoint(&mut self, network: &str) -> &mut EndpointSettings {
        self.body
            .networking_config
            .get_or_insert_with(NetworkingConfig::default)
            .endpoints_config
            .get_or_insert_with(BTreeMap::new)
            .entry(network.to_owned())
            .or_insert(None)
            .get_or_insert_with(Default::default)
    }

    /// The memory limit in bytes.
    #[must_use]
    pub fn memory(mut self, bytes: i64) -> Self {
        self.host().memory = Some(bytes);
        self
    }

    /// Memory plus swap limit in bytes (`-1`: unlimited swap).
    #[must_use]
    pub fn memory_swap(mut self, bytes: i64) -> Self {
        self.host().memory_swap = Some(bytes);
        self
    }

    /// The CPU quota in CPUs (`1.5`), as `NanoCpus`.
    #[must_use]
    pub fn cpus(mut self, cpus: f64) -> Self {
        self.host().nano_cpus = Some((cpus * 1e9).round() as i64);
        self
    }

    /// The relative CPU weight (`CpuShares`).
    #[must_use]
    pub fn cpu_shares(mut self, shares: i64) -> Self {
        self.host().cpu_shares = Some(shares);
        self
    }

    /// The restart policy.
    #[must_use]
    pub fn restart(mut self, policy: RestartPolicyName) -> Self {
        self.host().restart_policy = Some(RestartPolicy {
            name: Some(policy),
            maximum_retry_count: None,
        });
        self
    }

    /// Restarts on a non-zero exit, at most `max_retries` times.
    #[must_use]
    pub fn restart_on_failure(mut self, max_retries: i64) -> Self {
        self.host().restart_policy = Some(RestartPolicy {
            name: Some(RestartPolicyName::OnFailure),
            maximum_retry_count: Some(max_retries),
        });
        self
    }

    /// Removes the container when it exits.
    #[must_use]
    pub fn auto_remove(mut self, remove: bool) -> Self {
        self.host().auto_remove = Some(remove);
        self
    }

    /// Runs the container privileged.
    #[must_use]
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.host().privileged = Some(privileged);
        self
    }

    /// The signal that stops the container (`SIGTERM`).
    #[must_use]
    pub fn stop_signal(mut self, signal: impl Into<String>) -> Self {
        self.body.stop_signal = Some(signal.into());
        self
    }

    /// Seconds to wait after the stop signal before killing.
    #[must_use]
    pub fn stop_timeout(mut self, secs: i64) -> Self {
        self.body.stop_timeout = Some(secs);
        self
    }

    /// The body built so far.
    pub fn body(&self) -> &ContainerCreateRequest {
        &self.body
    }

    /// The body, to change fields the builder has no method for.
    pub fn body_mut(&mut self) -> &mut ContainerCreateRequest {
        &mut self.body
    }

    /// The body.
    pub fn build(self) -> ContainerCreateRequest {
        self.body
    }
}

impl From<ContainerCreate> for ContainerCreateRequest {
    fn from(b: ContainerCreate) -> Self {
        b.body
    }
}

/// The body of `POST /containers/{id}/exec` ([`calls::exec::create`](crate::calls::exec::create)):
/// stdout and stderr attached unless told otherwise.
///
/// ```
/// use docksock_models::builders::ExecCreate;
///
/// let body = ExecCreate::new(["sh", "-c", "echo $X"]).env("X", "1").working_dir("/tmp").build();
/// assert_eq!(body.attach_stdout, Some(true));
/// assert_eq!(serde_json::to_value(&body)?["Env"][0], "X=1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecCreate {
    body: ExecConfig,
}

impl ExecCreate {
    /// Runs `cmd`, with stdout and stderr attached.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(cmd: I) -> Self {
        ExecCreate {
            body: ExecConfig {
                cmd: Some(strings(cmd)),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        }
    }

    /// Attaches stdin.
    #[must_use]
    pub fn stdin(mut self, attach: bool) -> Self {
        self.body.attach_stdin = Some(attach);
        self
    }

    /// Attaches stdout and stderr (both on by default).
    #[must_use]
    pub fn output(mut self, stdout: bool, stderr: bool) -> Self {
        self.body.attach_stdout = Some(stdout);
        self.body.attach_stderr = Some(stderr);
        self
    }

    /// Allocates a TTY.
    #[must_use]
    pub fn tty(mut self, tty: bool) -> Self {
        self.body.tty = Some(tty);
        self
    }

    /// Adds the environment variable `key=value`.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.body
            .env
            .get_or_insert_with(Vec::new)
            .push(format!("{key}={value}"));
        self
    }

    /// The working directory.
    #[must_use]
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.body.working_dir = Some(dir.into());
        self
    }

    /// The user.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.body.user = Some(user.into());
        self
    }

    /// Runs the command privileged.
    #[must_use]
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.body.privileged = Some(privileged);
        self
    }

    /// The body.
    pub fn build(self) -> ExecConfig {
        self.body
    }
}

impl From<ExecCreate> for ExecConfig {
    fn from(b: ExecCreate) -> Self {
        b.body
    }
}

/// The body of `POST /networks/create`
/// ([`calls::networks::create`](crate::calls::networks::create)).
///
/// ```
/// use docksock_models::builders::NetworkCreate;
///
/// let body = NetworkCreate::new("backend").internal(true).subnet("10.9.0.0/24", Some("10.9.0.1"));
/// let json = serde_json::to_value(body.build())?;
/// assert_eq!(json["Name"], "backend");
/// assert_eq!(json["IPAM"]["Config"][0]["Gateway"], "10.9.0.1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkCreate {
    body: NetworkCreateRequest,
}

impl NetworkCreate {
    /// A network named `name` (driver `bridge` unless set).
    pub fn new(name: impl Into<String>) -> Self {
        NetworkCreate {
            body: NetworkCreateRequest {
                name: Some(name.into()),
                ..Default::default()
            },
        }
    }

    /// The driver (`bridge`, `overlay`, …).
    #[must_use]
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.body.driver = Some(driver.into());
        self
    }

    /// No route outside the network.
    #[must_use]
    pub fn internal(mut self, internal: bool) -> Self {
        self.body.internal = Some(internal);
        self
    }

    /// Standalone containers may attach (swarm-scoped networks).
    #[must_use]
    pub fn attachable(mut self, attachable: bool) -> Self {
        self.body.attachable = Some(attachable);
        self
    }

    /// Enables IPv6.
    #[must_use]
    pub fn enable_ipv6(mut self, enable: bool) -> Self {
        self.body.enable_ipv6 = Some(enable);
        self
    }

    /// Adds a subnet (CIDR), with its gateway.
    #[must_use]
    pub fn subnet(mut self, subnet: &str, gateway: Option<&str>) -> Self {
        self.body
            .ipam
            .get_or_insert_with(IPAM::default)
            .config
            .get_or_insert_with(Vec::new)
            .push(IPAMConfig {
                subnet: Some(subnet.to_owned()),
                gateway: gateway.map(str::to_owned),
                ..Default::default()
            });
        self
    }

    /// Adds the label `key=value`.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Self {
        insert(&mut self.body.labels, key, value);
        self
    }

    /// Adds a driver option.
    #[must_use]
    pub fn option(mut self, key: &str, value: &str) -> Self {
        insert(&mut self.body.options, key, value);
        self
    }

    /// The body.
    pub fn build(self) -> NetworkCreateRequest {
        self.body
    }
}

impl From<NetworkCreate> for NetworkCreateRequest {
    fn from(b: NetworkCreate) -> Self {
        b.body
    }
}

/// The body of `POST /volumes/create`
/// ([`calls::volumes::create`](crate::calls::volumes::create)).
///
/// ```
/// use docksock_models::builders::VolumeCreate;
///
/// let body = VolumeCreate::new("data").label("app", "db").build();
/// let json = serde_json::to_value(body)?;
/// assert_eq!(json, serde_json::json!({"Name": "data", "Labels": {"app": "db"}}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeCreate {
    body: VolumeCreateOptions,
}

impl VolumeCreate {
    /// A volume named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        VolumeCreate {
            body: VolumeCreateOptions {
                name: Some(name.into()),
                ..Default::default()
            },
        }
    }

    /// A volume the daemon names.
    pub fn anonymous() -> Self {
        VolumeCreate::default()
    }

    /// The driver (`local` unless set).
    #[must_use]
    pub fn driver(mut self, driver: impl Into<String>) -> Self {
        self.body.driver = Some(driver.into());
        self
    }

    /// Adds a driver option (`type`, `device`, `o` for the local driver).
    #[must_use]
    pub fn driver_opt(mut self, key: &str, value: &str) -> Self {
        insert(&mut self.body.driver_opts, key, value);
        self
    }

    /// Adds the label `key=value`.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Self {
        insert(&mut self.body.labels, key, value);
        self
    }

    /// The body.
    pub fn build(self) -> VolumeCreateOptions {
        self.body
    }
}

impl From<VolumeCreate> for VolumeCreateOptions {
    fn from(b: VolumeCreate) -> Self {
        b.body
    }
}
