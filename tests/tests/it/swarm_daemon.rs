//! Swarm mode against a real daemon of its own (`swarm_daemon()`: `DOCKSOCK_SWARM_HOST`, the
//! `-swarm` sibling `scripts/test` starts beside the suite's engine, never the shared daemon).
//!
//! One test, in order, because a daemon is in at most one swarm: init a single-node swarm;
//! inspect it, rotate a join token, turn autolock on and read and rotate the unlock key; the
//! node (list, inspect, label update); a secret and a config; a busybox service with 3 replicas
//! that mounts both and prints them, reaching 3 running tasks; its logs and a task's logs,
//! demultiplexed, and a TTY service's logs, raw; every Swarm object through its typed call;
//! tasks listed and inspected; scaled to 1; updated, then rolled back to the previous spec;
//! removed with its secret and config. The swarm is left with `force` at the
//! end — also when a check fails (a guard) — and nothing the test created is left: no service,
//! secret, config, task container or network.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use docksock::models::calls::{configs, nodes, secrets, services, swarm, tasks};
use docksock::models::{Node, NodeSpecRole, Service, ServiceUpdateStatusState, Task, TaskState};
use docksock::{
    Client, Error, Filters, ListContainersOptions, ListServicesOptions, Mode, ServiceLogsOptions,
    UpdateServiceOptions, UpdateSwarmOptions,
};
use docksock_api::containers::mode_from_content_type;
use docksock_tests::{busybox_image, swarm_daemon};

use crate::models_daemon::typed_and_raw;
use serde_json::{json, Value};

/// How long the swarm may take to converge (tasks started, stopped, updated).
const CONVERGE: Duration = Duration::from_secs(60);

/// Leaves the swarm (forced) when dropped, also when the test panics: the daemon must not
/// stay a swarm manager after the test. Then removes `docker_gwbridge` unless it was there
/// before (the swarm made it, and a leave keeps it).
struct LeaveGuard {
    client: Client,
    gwbridge_before: bool,
}

impl Drop for LeaveGuard {
    fn drop(&mut self) {
        if let Err(e) = self.client.leave_swarm(true) {
            // 503: not part of a swarm (the test left it already).
            if e.status() != Some(503) {
                eprintln!("leaving the swarm after the test: {e}");
            }
        }
        if !self.gwbridge_before {
            let _ = self.client.remove_network("docker_gwbridge");
        }
    }
}

/// Polls `probe` every 200 ms until it returns `Ok`, for at most `timeout`; panics with `what`
/// and the last observation (`Err`) when time runs out.
fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match probe() {
            Ok(v) => return v,
            Err(last) if start.elapsed() > timeout => {
                panic!("{what}: not within {timeout:?}; last seen: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Read, modify, write with optimistic concurrency: `write` gets the object `read` returned and
/// its `Version.Index`. The orchestrator's own status writes bump versions too (a node's status
/// right after init, a service's update status), so a write may find its version outdated —
/// refused with 500 (swarmkit's "update out of sequence", passed on unclassified): then read
/// again, at most 20 times. Any other error fails at once.
fn read_modify_write<T>(
    what: &str,
    mut read: impl FnMut() -> Result<Value, Error>,
    mut write: impl FnMut(&Value, u64) -> Result<T, Error>,
) -> T {
    let mut last = None;
    for _ in 0..20 {
        let object = read().unwrap_or_else(|e| panic!("{what}: reading: {e}"));
        match write(&object, version(&object)) {
            Ok(v) => return v,
            Err(e) if e.status() == Some(500) => {
                last = Some(e);
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
    panic!("{what}: the version stayed outdated: {last:?}")
}

/// Standard base64 with padding (secret and config `Data`).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Version.Index` of an object (swarm, node, service, secret, config).
fn version(object: &Value) -> u64 {
    object["Version"]["Index"]
        .as_u64()
        .unwrap_or_else(|| panic!("no Version.Index in {object}"))
}

/// The status of an API error, or a panic naming what was being done.
fn api_status<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) -> u16 {
    match result {
        Err(e) => e
            .status()
            .unwrap_or_else(|| panic!("{what}: not an API error: {e}")),
        Ok(v) => panic!("{what}: expected an API error, got {v:?}"),
    }
}

/// The service's tasks, typed.
fn tasks_of(docker: &Client, service: &str) -> Vec<Task> {
    docker
        .run_typed(tasks::list(Some(
            &Filters::default().with("service", service),
        )))
        .unwrap_or_else(|e| panic!("listing the tasks of {service}: {e}"))
}

/// The tasks of `service` that run and should run.
fn running(tasks: &[Task]) -> Vec<&Task> {
    tasks
        .iter()
        .filter(|t| {
            t.desired_state == Some(TaskState::Running)
                && t.status.as_ref().and_then(|s| s.state.as_ref()) == Some(&TaskState::Running)
        })
        .collect()
}

/// A short view of tasks for failure messages: `state/desired (error)`.
fn describe(tasks: &[Task]) -> String {
    let views: Vec<String> = tasks
        .iter()
        .map(|t| {
            let status = t.status.as_ref();
            format!(
                "{}/{} {}",
                status
                    .and_then(|s| s.state.as_ref())
                    .map_or("?", |s| s.as_str()),
                t.desired_state.as_ref().map_or("?", |s| s.as_str()),
                status.and_then(|s| s.err.as_deref()).unwrap_or("")
            )
        })
        .collect();
    format!("{views:?}")
}

/// Waits until exactly `n` tasks of `service` run (and no other task is meant to run), all of
/// them with the environment variable `PHASE=<phase>`; returns them.
fn wait_running(docker: &Client, service: &str, n: usize, phase: &str) -> Vec<Task> {
    let env = format!("PHASE={phase}");
    wait_for(
        &format!("{n} running task(s) of {service} with {env}"),
        CONVERGE,
        || {
            let tasks = tasks_of(docker, service);
            // No task of this service should ever fail (a stop is a clean exit on SIGTERM).
            if let Some(bad) = tasks.iter().find(|t| {
                matches!(
                    t.status.as_ref().and_then(|s| s.state.as_ref()),
                    Some(TaskState::Failed | TaskState::Rejected)
                )
            }) {
                panic!(
                    "a task of {service} failed: {}",
                    describe(std::slice::from_ref(bad))
                );
            }
            let meant = tasks
                .iter()
                .filter(|t| t.desired_state == Some(TaskState::Running))
                .count();
            let run = running(&tasks);
            let right_env = run.iter().all(|t| {
                t.spec
                    .as_ref()
                    .and_then(|s| s.container_spec.as_ref())
                    .and_then(|c| c.env.as_ref())
                    .is_some_and(|e| e.contains(&env))
            });
            if run.len() == n && meant == n && right_env {
                Ok(run.into_iter().cloned().collect())
            } else {
                Err(describe(&tasks))
            }
        },
    )
}

/// The whole (non-following) logs of a service or task, demultiplexed, as text lines per
/// stream.
fn lines(out: &docksock::Output) -> (Vec<String>, Vec<String>) {
    let split = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    (split(&out.stdout), split(&out.stderr))
}

#[test]
fn swarm_single_node_service_lifecycle() {
    let Some((docker, addr)) = swarm_daemon() else {
        return;
    };
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let image = busybox_image(&docker);

    // A swarm left behind by an interrupted run of this test (this daemon is the test's own).
    if docker.inspect_swarm().is_ok() {
        eprintln!("swarm test: the daemon was still in a swarm; leaving it first");
        docker.leave_swarm(true).expect("leaving a leftover swarm");
    }
    // Not a manager yet: 503, and `/_ping` says so (its `Swarm` header, API 1.42+).
    assert_eq!(
        api_status("swarm inspect before init", docker.inspect_swarm()),
        503
    );
    let ping = docker
        .run(docksock::api::system::ping())
        .expect("GET /_ping");
    if let Some(state) = ping.header("Swarm") {
        assert_eq!(state, "inactive");
    }
    let networks_before = network_names(&docker);

    // ---- init --------------------------------------------------------------------------
    let _leave = LeaveGuard {
        client: docker.clone(),
        gwbridge_before: networks_before.contains("docker_gwbridge"),
    };
    let node_id = docker
        .init_swarm(&json!({
            "ListenAddr": format!("{addr}:2377"),
            "AdvertiseAddr": addr,
            "Spec": {"Labels": {"docksock-test": "swarm"}},
        }))
        .expect("swarm init");
    let node_id = node_id
        .as_str()
        .unwrap_or_else(|| panic!("swarm init answered {node_id}, not the node id"))
        .to_owned();
    assert!(!node_id.is_empty());
    assert_eq!(
        api_status(
            "a second init",
            docker.init_swarm(&json!({"AdvertiseAddr": addr}))
        ),
        503
    );
    let ping = docker
        .run(docksock::api::system::ping())
        .expect("GET /_ping");
    if let Some(state) = ping.header("Swarm") {
        assert_eq!(state, "active/manager");
    }

    // ---- inspect, join tokens, update --------------------------------------------------
    let swarm = docker.inspect_swarm().expect("swarm inspect");
    assert!(
        swarm["ID"].as_str().is_some_and(|id| !id.is_empty()),
        "{swarm}"
    );
    assert_eq!(swarm["Spec"]["Labels"]["docksock-test"], "swarm");
    let worker = swarm["JoinTokens"]["Worker"].as_str().unwrap().to_owned();
    let manager = swarm["JoinTokens"]["Manager"].as_str().unwrap().to_owned();
    assert!(worker.starts_with("SWMTKN-") && manager.starts_with("SWMTKN-"));
    assert_ne!(worker, manager);

    let mut spec = swarm["Spec"].clone();
    spec["Labels"]["docksock-phase"] = json!("updated");
    spec["EncryptionConfig"]["AutoLockManagers"] = json!(true);
    let rotate_worker = UpdateSwarmOptions {
        rotate_worker_token: true,
        ..Default::default()
    };
    // An outdated version is refused (optimistic concurrency); the current one is taken.
    let stale = version(&swarm) - 1;
    let status = api_status(
        "a swarm update at an outdated version",
        docker.update_swarm(stale, &rotate_worker, &spec),
    );
    assert_eq!(
        status, 500,
        "an outdated version: swarmkit's \"update out of sequence\""
    );
    assert!(
        docker.inspect_swarm().unwrap()["Spec"]["Labels"]["docksock-phase"].is_null(),
        "a refused update changed the spec"
    );
    read_modify_write(
        "swarm update: a label, autolock, a new worker token",
        || docker.inspect_swarm(),
        |_, v| docker.update_swarm(v, &rotate_worker, &spec),
    );
    let swarm2 = docker.inspect_swarm().expect("swarm inspect after update");
    assert_eq!(swarm2["Spec"]["Labels"]["docksock-phase"], "updated");
    assert_eq!(swarm2["Spec"]["EncryptionConfig"]["AutoLockManagers"], true);
    assert!(version(&swarm2) > version(&swarm));
    let worker2 = swarm2["JoinTokens"]["Worker"].as_str().unwrap().to_owned();
    assert!(
        worker2.starts_with("SWMTKN-") && worker2 != worker,
        "worker token not rotated"
    );
    assert_eq!(swarm2["JoinTokens"]["Manager"], manager.as_str());

    // ---- unlock key --------------------------------------------------------------------
    let key = docker.swarm_unlock_key().expect("swarm unlock-key")["UnlockKey"]
        .as_str()
        .expect("an UnlockKey string")
        .to_owned();
    assert!(key.starts_with("SWMKEY-"), "{key}");
    // This manager is not locked (it was never restarted): unlocking is a conflict.
    assert_eq!(
        api_status(
            "unlock of a swarm that is not locked",
            docker.unlock_swarm(&json!({ "UnlockKey": key })),
        ),
        409
    );
    let rotate_key = UpdateSwarmOptions {
        rotate_manager_unlock_key: true,
        ..Default::default()
    };
    read_modify_write(
        "swarm update: rotate the unlock key",
        || docker.inspect_swarm(),
        |swarm, v| docker.update_swarm(v, &rotate_key, &swarm["Spec"]),
    );
    let key2 = docker.swarm_unlock_key().expect("swarm unlock-key")["UnlockKey"]
        .as_str()
        .expect("an UnlockKey string")
        .to_owned();
    assert!(
        key2.starts_with("SWMKEY-") && key2 != key,
        "unlock key not rotated"
    );

    // ---- nodes -------------------------------------------------------------------------
    let nodes: Vec<Node> =
        serde_json::from_value(docker.list_nodes(None).expect("node ls")).expect("Node model");
    assert_eq!(nodes.len(), 1, "a single-node swarm");
    assert_eq!(nodes[0].id.as_deref(), Some(node_id.as_str()));
    let node = docker.inspect_node(&node_id).expect("node inspect");
    let typed: Node = serde_json::from_value(node.clone()).expect("Node model");
    let node_spec = typed.spec.as_ref().expect("node Spec");
    assert_eq!(node_spec.role, Some(NodeSpecRole::Manager));
    assert_eq!(node["ManagerStatus"]["Leader"], true);
    assert_eq!(node["ManagerStatus"]["Addr"], format!("{addr}:2377"));
    read_modify_write(
        "node update: a label",
        || docker.inspect_node(&node_id),
        |node, v| {
            let mut spec = node["Spec"].clone();
            spec["Labels"] = json!({"docksock-test": nonce});
            docker.update_node(&node_id, v, &spec)
        },
    );
    let node2 = docker
        .inspect_node(&node_id)
        .expect("node inspect after update");
    assert_eq!(node2["Spec"]["Labels"]["docksock-test"], nonce.as_str());
    let by_label = Filters::default().with("node.label", &format!("docksock-test={nonce}"));
    match docker.list_nodes(Some(&by_label)) {
        Ok(found) => assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}"),
        // `node.label` is a filter of API 1.45+; older daemons refuse it.
        Err(e) => assert_eq!(e.status(), Some(400), "{e}"),
    }
    assert!(docker
        .inspect_node("no-such-node-docksock")
        .unwrap_err()
        .is_not_found());
    assert!(docker
        .remove_node("no-such-node-docksock", false)
        .unwrap_err()
        .is_not_found());
    // Joining is for a node outside a swarm: this one is in one already.
    assert_eq!(
        api_status(
            "join while part of a swarm",
            docker.join_swarm(&json!({
                "ListenAddr": format!("{addr}:2377"),
                "RemoteAddrs": [format!("{addr}:2377")],
                "JoinToken": worker2,
            })),
        ),
        503
    );

    // ---- secret and config -------------------------------------------------------------
    let label = Filters::default().with("label", &format!("docksock-test={nonce}"));
    let secret_text = format!("secret-{nonce}");
    let config_text = format!("config-{nonce}");
    let secret_name = format!("docksock-secret-{nonce}");
    let config_name = format!("docksock-config-{nonce}");
    let secret_id = docker
        .create_secret(&json!({
            "Name": secret_name,
            "Labels": {"docksock-test": nonce},
            "Data": base64(secret_text.as_bytes()),
        }))
        .expect("secret create")["ID"]
        .as_str()
        .expect("secret ID")
        .to_owned();
    let config_id = docker
        .create_config(&json!({
            "Name": config_name,
            "Labels": {"docksock-test": nonce},
            "Data": base64(config_text.as_bytes()),
        }))
        .expect("config create")["ID"]
        .as_str()
        .expect("config ID")
        .to_owned();
    let secret = docker.inspect_secret(&secret_id).expect("secret inspect");
    assert_eq!(secret["Spec"]["Name"], secret_name.as_str());
    assert!(
        secret["Spec"]["Data"].is_null(),
        "a secret's data is never returned: {secret}"
    );
    let config = docker.inspect_config(&config_name).expect("config inspect");
    assert_eq!(config["ID"], config_id.as_str());
    assert_eq!(config["Spec"]["Data"], base64(config_text.as_bytes()));
    let mut labels = secret["Spec"].clone();
    labels["Labels"]["docksock-phase"] = json!("updated");
    docker
        .update_secret(&secret_id, version(&secret), &labels)
        .expect("secret update: a label");
    assert_eq!(
        docker.inspect_secret(&secret_id).unwrap()["Spec"]["Labels"]["docksock-phase"],
        "updated"
    );
    let mut labels = config["Spec"].clone();
    labels["Labels"]["docksock-phase"] = json!("updated");
    docker
        .update_config(&config_id, version(&config), &labels)
        .expect("config update: a label");
    assert_eq!(
        docker.inspect_config(&config_id).unwrap()["Spec"]["Labels"]["docksock-phase"],
        "updated"
    );
    assert_eq!(
        docker
            .list_secrets(Some(&label))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        docker
            .list_configs(Some(&label))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        api_status(
            "a second secret of the same name",
            docker.create_secret(&json!({"Name": secret_name, "Data": base64(b"x")}))
        ),
        409
    );

    // ---- a service of 3 replicas that reads both ---------------------------------------
    let service_name = format!("docksock-svc-{nonce}");
    // Prints the secret and the config (stdout) and a line on stderr, then waits; exits at
    // once on SIGTERM (a task stop), not after the grace period.
    let script = "trap 'exit 0' TERM; cat /run/secrets/docksock-secret; echo; \
                  cat /docksock-config; echo; echo stderr-$PHASE >&2; sleep 600 & wait";
    let service_spec = json!({
        "Name": service_name,
        "Labels": {"docksock-test": nonce},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image,
                "Command": ["sh", "-c", script],
                "Env": ["PHASE=one"],
                "StopGracePeriod": 2_000_000_000u64,
                "Secrets": [{
                    "SecretID": secret_id, "SecretName": secret_name,
                    "File": {"Name": "docksock-secret", "UID": "0", "GID": "0", "Mode": 0o400},
                }],
                "Configs": [{
                    "ConfigID": config_id, "ConfigName": config_name,
                    "File": {"Name": "/docksock-config", "UID": "0", "GID": "0", "Mode": 0o444},
                }],
            },
            "RestartPolicy": {"Condition": "on-failure", "MaxAttempts": 3},
        },
        "Mode": {"Replicated": {"Replicas": 3}},
        "UpdateConfig": {"Parallelism": 0, "Delay": 0, "Order": "stop-first", "FailureAction": "pause"},
        "RollbackConfig": {"Parallelism": 0, "Delay": 0, "Order": "stop-first"},
    });
    let created = docker
        .create_service(&service_spec, None)
        .expect("service create");
    let service_id = created["ID"].as_str().expect("service ID").to_owned();
    // Removes the service when the test fails before it does (leaving the swarm would too,
    // but the task containers go sooner this way).
    struct ServiceGuard<'a>(&'a Client, &'a str, bool);
    impl Drop for ServiceGuard<'_> {
        fn drop(&mut self) {
            if self.2 {
                let _ = self.0.remove_service(self.1);
            }
        }
    }
    let mut service_guard = ServiceGuard(&docker, &service_id, true);

    // A TTY service beside it: its logs are raw bytes, no stdcopy frames.
    let tty_line = format!("tty-{nonce}");
    let tty_spec = json!({
        "Name": format!("docksock-tty-{nonce}"),
        "Labels": {"docksock-test-tty": nonce},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": image,
                "TTY": true,
                "Command": ["sh", "-c", format!("trap 'exit 0' TERM; echo {tty_line}; sleep 600 & wait")],
                "StopGracePeriod": 2_000_000_000u64,
            },
            "RestartPolicy": {"Condition": "none"},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    let tty_id = docker
        .create_service(&tty_spec, None)
        .expect("TTY service create")["ID"]
        .as_str()
        .expect("service ID")
        .to_owned();
    let mut tty_guard = ServiceGuard(&docker, &tty_id, true);
    assert_eq!(
        api_status(
            "a second service of the same name",
            docker.create_service(&service_spec, None)
        ),
        409
    );

    let three = wait_running(&docker, &service_id, 3, "one");
    let service: Service =
        serde_json::from_value(docker.inspect_service(&service_name, false).unwrap())
            .expect("Service model");
    assert_eq!(service.id.as_deref(), Some(service_id.as_str()));
    let listed = docker
        .list_services(&ListServicesOptions {
            filters: Some(label.clone()),
            status: true,
        })
        .expect("service ls");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // `status=true` (API 1.41+) counts the running tasks.
    if let Some(n) = listed[0]["ServiceStatus"]["RunningTasks"].as_u64() {
        assert!(n <= 3, "{listed}");
    }

    // Each task printed the secret and the config; the service's logs carry the lines of all
    // three, split by stream: the frames are demultiplexed, no header byte in the text.
    let logs = ServiceLogsOptions::default();
    let (out, err) = wait_for("three tasks' lines in the service logs", CONVERGE, || {
        let out = docker
            .service_logs(&service_id, &logs)
            .and_then(|d| d.collect_output())
            .map_err(|e| e.to_string())?;
        let (out, err) = lines(&out);
        let count = |l: &[String], s: &str| l.iter().filter(|x| x.as_str() == s).count();
        if count(&out, &secret_text) == 3
            && count(&out, &config_text) == 3
            && count(&err, "stderr-one") == 3
        {
            Ok((out, err))
        } else {
            Err(format!("stdout {out:?}, stderr {err:?}"))
        }
    });
    assert_eq!(
        out.len(),
        6,
        "only the secret and config lines on stdout: {out:?}"
    );
    assert_eq!(err.len(), 3, "only the stderr lines on stderr: {err:?}");

    // Every Swarm object decodes into its model through the typed calls, and the model keeps
    // every value it knows unchanged.
    let typed_service = typed_and_raw(&docker, services::inspect(&service_id, true));
    assert_eq!(typed_service.id.as_deref(), Some(service_id.as_str()));
    let listed = typed_and_raw(
        &docker,
        services::list(&ListServicesOptions {
            filters: Some(label.clone()),
            status: true,
        }),
    );
    assert_eq!(listed.len(), 1);
    let typed_swarm = typed_and_raw(&docker, swarm::inspect());
    assert!(typed_swarm.join_tokens.and_then(|t| t.worker).is_some());
    let unlock = typed_and_raw(&docker, swarm::unlock_key());
    assert_eq!(unlock.unlock_key.as_deref(), Some(key2.as_str()));
    assert_eq!(typed_and_raw(&docker, nodes::list(None)).len(), 1);
    typed_and_raw(&docker, nodes::inspect(&node_id));
    let by_service = Filters::default().with("service", &service_id);
    assert!(typed_and_raw(&docker, tasks::list(Some(&by_service))).len() >= 3);
    let task = typed_and_raw(&docker, tasks::inspect(three[0].id.as_deref().unwrap()));
    assert_eq!(task.service_id.as_deref(), Some(service_id.as_str()));
    assert_eq!(typed_and_raw(&docker, secrets::list(Some(&label))).len(), 1);
    let typed_secret = typed_and_raw(&docker, secrets::inspect(&secret_id));
    assert_eq!(typed_secret.spec.and_then(|s| s.data), None);
    assert_eq!(typed_and_raw(&docker, configs::list(Some(&label))).len(), 1);
    let typed_config = typed_and_raw(&docker, configs::inspect(&config_id));
    assert_eq!(
        typed_config.spec.and_then(|s| s.data),
        Some(base64(config_text.as_bytes()))
    );

    // From API 1.42 the daemon declares the framing of a service's and a task's logs, as of a
    // container's (what `service_logs` and `task_logs` read, without an inspect).
    if docker.api_version().unwrap() >= docksock::ApiVersion::new(1, 42) {
        let task = three[0].id.as_deref().expect("task ID");
        for call in [
            docksock::api::services::logs(&service_id, &logs),
            docksock::api::tasks::logs(task, &logs),
        ] {
            let resp = docker.run(call).expect("logs, raw");
            assert_eq!(
                mode_from_content_type(resp.header("Content-Type"), docker.api_version().unwrap()),
                Some(Mode::Multiplexed),
                "{:?}",
                resp.header("Content-Type")
            );
        }
    }

    // The TTY service's logs: raw (declared by the daemon from API 1.42; before, the client
    // reads the spec's TTY). Read as frames, its first byte ('t') would be a bad stream.
    let out = wait_for("the TTY service's line in its logs", CONVERGE, || {
        let out = docker
            .service_logs(&tty_id, &logs)
            .and_then(|d| d.collect_output())
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&out.stdout).contains(&tty_line) {
            Ok(out)
        } else {
            Err(format!("{out:?}"))
        }
    });
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), tty_line);
    assert!(out.stderr.is_empty(), "a TTY has one stream: {out:?}");
    if docker.api_version().unwrap() >= docksock::ApiVersion::new(1, 42) {
        let resp = docker
            .run(docksock::api::services::logs(&tty_id, &logs))
            .expect("TTY service logs, raw");
        assert_eq!(
            mode_from_content_type(resp.header("Content-Type"), docker.api_version().unwrap()),
            Some(Mode::Raw),
            "{:?}",
            resp.header("Content-Type")
        );
    }

    // A task: inspect and its own logs.
    let task_id = three[0].id.clone().expect("task ID");
    let task: Task = serde_json::from_value(docker.inspect_task(&task_id).expect("task inspect"))
        .expect("Task model");
    assert_eq!(task.service_id.as_deref(), Some(service_id.as_str()));
    assert_eq!(task.node_id.as_deref(), Some(node_id.as_str()));
    let container = task
        .status
        .as_ref()
        .and_then(|s| s.container_status.as_ref())
        .and_then(|c| c.container_id.clone())
        .expect("the task's container");
    assert!(!container.is_empty());
    let (out, err) = lines(
        &docker
            .task_logs(&task_id, &logs)
            .and_then(|d| d.collect_output())
            .expect("task logs"),
    );
    assert_eq!(out, [secret_text.clone(), config_text.clone()]);
    assert_eq!(err, ["stderr-one"]);
    assert!(docker
        .inspect_task("no-such-task-docksock")
        .unwrap_err()
        .is_not_found());

    // ---- scale to 1 --------------------------------------------------------------------
    let inspect = || docker.inspect_service(&service_id, false);
    let plain = UpdateServiceOptions::default();
    read_modify_write("service update: scale to 1", inspect, |service, v| {
        let mut scaled = service["Spec"].clone();
        scaled["Mode"]["Replicated"]["Replicas"] = json!(1);
        docker.update_service(&service_id, v, &plain, &scaled)
    });
    wait_running(&docker, &service_id, 1, "one");

    // ---- update, then roll back to the previous spec -----------------------------------
    let current = inspect().unwrap();
    let mut updated = current["Spec"].clone();
    updated["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["PHASE=two"]);
    updated["Labels"]["docksock-phase"] = json!("two");
    // An outdated version is refused (swarmkit's "update out of sequence", which dockerd
    // passes on unclassified: 500), and changes nothing.
    let status = api_status(
        "an update at an outdated version",
        docker.update_service(
            &service_id,
            version(&current) - 1,
            &UpdateServiceOptions::default(),
            &updated,
        ),
    );
    assert_eq!(
        status, 500,
        "an outdated version: swarmkit's \"update out of sequence\""
    );
    assert_eq!(
        inspect().unwrap()["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["PHASE=one"]),
        "a refused update changed the spec"
    );
    read_modify_write("service update: env and label", inspect, |service, v| {
        let mut updated = service["Spec"].clone();
        updated["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["PHASE=two"]);
        updated["Labels"]["docksock-phase"] = json!("two");
        docker.update_service(&service_id, v, &plain, &updated)
    });
    wait_running(&docker, &service_id, 1, "two");
    let after_update = wait_for("the update to complete", CONVERGE, || {
        let s = docker.inspect_service(&service_id, false).unwrap();
        let typed: Service = serde_json::from_value(s.clone()).expect("Service model");
        match typed.update_status.and_then(|u| u.state) {
            Some(ServiceUpdateStatusState::Completed) => Ok(s),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(after_update["Spec"]["Labels"]["docksock-phase"], "two");
    assert_eq!(
        after_update["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["PHASE=one"])
    );

    let rollback = UpdateServiceOptions {
        rollback: Some("previous".to_owned()),
        ..Default::default()
    };
    read_modify_write("service rollback", inspect, |service, v| {
        docker.update_service(&service_id, v, &rollback, &service["Spec"])
    });
    let rolled_back = docker.inspect_service(&service_id, false).unwrap();
    assert_eq!(
        rolled_back["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["PHASE=one"]),
        "the previous spec is back"
    );
    assert!(rolled_back["Spec"]["Labels"]["docksock-phase"].is_null());
    assert_eq!(rolled_back["Spec"]["Mode"]["Replicated"]["Replicas"], 1);
    wait_running(&docker, &service_id, 1, "one");
    wait_for("the rollback to complete", CONVERGE, || {
        let s: Service = serde_json::from_value(inspect().unwrap()).expect("Service model");
        // A state the API description leaves out; the model knows it.
        match s.update_status.and_then(|u| u.state) {
            Some(ServiceUpdateStatusState::RollbackCompleted) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    // ---- remove: service, then its secret and config; nothing left ---------------------
    assert!(
        docker.remove_secret(&secret_id).is_err(),
        "a secret in use by a service was removed"
    );
    docker.remove_service(&service_id).expect("service rm");
    service_guard.2 = false;
    docker.remove_service(&tty_id).expect("TTY service rm");
    tty_guard.2 = false;
    for id in [&service_id, &tty_id] {
        assert!(docker
            .inspect_service(id, false)
            .unwrap_err()
            .is_not_found());
        let by_service =
            Filters::default().with("label", &format!("com.docker.swarm.service.id={id}"));
        wait_for("the services' task containers to go", CONVERGE, || {
            let left = docker
                .list_containers(&ListContainersOptions {
                    all: true,
                    filters: Some(by_service.clone()),
                    ..Default::default()
                })
                .map_err(|e| e.to_string())?;
            match left.as_array().map(Vec::len) {
                Some(0) => Ok(()),
                _ => Err(left.to_string()),
            }
        });
    }
    docker.remove_secret(&secret_id).expect("secret rm");
    docker.remove_config(&config_id).expect("config rm");
    assert!(docker
        .inspect_secret(&secret_id)
        .unwrap_err()
        .is_not_found());
    assert!(docker
        .inspect_config(&config_id)
        .unwrap_err()
        .is_not_found());
    let none = |v: Value| v.as_array().map(Vec::len) == Some(0);
    assert!(none(
        docker
            .list_services(&ListServicesOptions {
                filters: Some(label.clone()),
                status: false,
            })
            .unwrap()
    ));
    assert!(none(docker.list_secrets(Some(&label)).unwrap()));
    assert!(none(docker.list_configs(Some(&label)).unwrap()));

    // ---- leave ---------------------------------------------------------------------------
    // A manager does not leave without force.
    assert_eq!(
        api_status("leave without force", docker.leave_swarm(false)),
        503
    );
    docker.leave_swarm(true).expect("swarm leave --force");
    assert_eq!(
        api_status("swarm inspect after leave", docker.inspect_swarm()),
        503
    );
    assert_eq!(
        api_status("node ls after leave", docker.list_nodes(None)),
        503
    );
    // The swarm's `ingress` network goes with it. `docker_gwbridge` (the bridge of the ingress
    // sandbox, made at init or with the first task) stays after a leave by design: the swarm
    // made it, so it is removed here.
    let left = network_names(&docker);
    let new: Vec<&String> = left.difference(&networks_before).collect();
    assert!(
        new.iter().all(|n| n.as_str() == "docker_gwbridge"),
        "networks left after the swarm: {new:?}"
    );
    if !new.is_empty() {
        docker
            .remove_network("docker_gwbridge")
            .expect("removing docker_gwbridge");
    }
    assert_eq!(network_names(&docker), networks_before);
}

/// The names of the daemon's networks.
fn network_names(docker: &Client) -> BTreeSet<String> {
    let list = docker.list_networks(None).expect("network ls");
    list.as_array()
        .expect("an array of networks")
        .iter()
        .map(|n| n["Name"].as_str().unwrap_or_default().to_owned())
        .collect()
}
