//! Typed models against the real dockerd: every typed call of `docksock-models` run with
//! `Client::run_typed`, its live response decoded (container, image, network, volume and
//! exec list/inspect, info, version, df, top, stats, wait, events), and what the model keeps
//! checked against the raw JSON of the same call.

use std::time::{SystemTime, UNIX_EPOCH};

use docksock::models::builders::{ContainerCreate, ExecCreate, NetworkCreate, VolumeCreate};
use docksock::models::calls::{containers, exec, images, networks, system, volumes};
use docksock::models::{ContainerStateStatus, EventMessageType, RestartPolicyName, Typed};
use docksock::{Client, EventsOptions, ListContainersOptions, ListImagesOptions, WaitOptions};
use docksock_tests::{busybox_image, daemon, set_aside, unique_name, ContainerGuard, Engine};
use serde_json::Value;

/// Runs `typed` twice: typed, and raw; every non-null leaf of the raw JSON that the model
/// knows is kept unchanged (compared after a typed round trip).
pub(crate) fn typed_and_raw<T>(docker: &Client, typed: Typed<'_, T>) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let raw: Value = docker
        .run(typed.clone().into_call())
        .unwrap()
        .json()
        .unwrap();
    let model: T = docker.run_typed(typed).unwrap();
    let from_raw: T = serde_json::from_value(raw.clone()).unwrap();
    let kept = serde_json::to_value(&from_raw).unwrap();
    assert_subset(&kept, &raw, "");
    model
}

/// Every leaf of `kept` is the same in `raw`.
fn assert_subset(kept: &Value, raw: &Value, path: &str) {
    match (kept, raw) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                assert_subset(v, b.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            for (v, w) in a.iter().zip(b) {
                assert_subset(v, w, &format!("{path}[]"));
            }
        }
        // A float field the daemon sent as an integer (`MaxFailureRatio: 0`) comes back as
        // `0.0`: the same number.
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            assert_eq!(a.as_f64(), b.as_f64(), "{path}")
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn models_decode_live_responses() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let name = unique_name("models");
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;

    // Network and volume, created with the builders.
    let net_name = format!("{name}-net");
    let vol_name = format!("{name}-vol");
    let _ = docker.run(docksock::api::networks::remove(&net_name));
    let net = docker
        .run_typed(networks::create(
            &NetworkCreate::new(&net_name)
                .label("docksock-test", "models")
                .build(),
        ))
        .unwrap();
    let net_id = net.id.clone().unwrap();
    struct NetGuard<'a>(&'a Client, String);
    impl Drop for NetGuard<'_> {
        fn drop(&mut self) {
            let _ = self.0.run(docksock::api::networks::remove(&self.1));
        }
    }
    let _net_guard = NetGuard(&docker, net_id.clone());
    let vol = docker
        .run_typed(volumes::create(
            &VolumeCreate::new(&vol_name)
                .label("docksock-test", "models")
                .build(),
        ))
        .unwrap();
    assert_eq!(vol.name.as_deref(), Some(vol_name.as_str()));
    struct VolGuard<'a>(&'a Client, String);
    impl Drop for VolGuard<'_> {
        fn drop(&mut self) {
            let _ = self.0.run(docksock::api::volumes::remove(&self.1, true));
        }
    }
    let _vol_guard = VolGuard(&docker, vol_name.clone());

    // A container created from the builder: it runs, then waits to be killed.
    let body = ContainerCreate::new(&image)
        .cmd(["sh", "-c", "echo hi > /data/hi; sleep 300"])
        .env("MODELS", "1")
        .label("docksock-test", "models")
        .volume(&vol_name, "/data")
        .network(&net_name)
        .network_alias(&net_name, "models-alias")
        .publish_on("80/tcp", "127.0.0.1", 0)
        .memory(64 * 1024 * 1024)
        .cpus(0.5)
        .restart(RestartPolicyName::No)
        .build();
    let _ = docker.run(docksock::api::containers::remove(
        &name,
        &docksock::RemoveContainerOptions {
            force: true,
            ..Default::default()
        },
    ));
    let created = docker
        .run_typed(containers::create(Some(&name), &body))
        .unwrap();
    let id = created.id.clone().unwrap();
    let _guard = ContainerGuard::new(&docker, id.clone());
    docker.start_container(&id).unwrap();

    let inspect = typed_and_raw(&docker, containers::inspect(&id));
    assert_eq!(
        inspect.state.as_ref().and_then(|s| s.status.clone()),
        Some(ContainerStateStatus::Running)
    );
    let host = inspect.host_config.as_ref().unwrap();
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.memory, Some(64 * 1024 * 1024));
    let networks = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap();
    let endpoint = networks[&net_name].as_ref().unwrap();
    assert!(endpoint
        .aliases
        .iter()
        .flatten()
        .any(|a| a == "models-alias"));
    let mounts = inspect.mounts.clone().unwrap();
    assert_eq!(mounts[0].name.as_deref(), Some(vol_name.as_str()));

    let list_opts = ListContainersOptions {
        all: true,
        ..Default::default()
    };
    let list = typed_and_raw(&docker, containers::list(&list_opts));
    let mine = list
        .iter()
        .find(|c| c.id.as_deref() == Some(id.as_str()))
        .unwrap();
    assert_eq!(mine.state, Some(ContainerStateStatus::Running));
    assert!(mine.created.unwrap() > 1_600_000_000);

    let top = typed_and_raw(&docker, containers::top(&id, None));
    // What the API promises: a title per column and a row per process, as wide as the titles
    // (the column names are whatever the engine's `ps` prints; they differ between engines).
    let titles = top.titles.unwrap_or_default();
    assert!(!titles.is_empty());
    let processes = top.processes.unwrap_or_default();
    assert!(!processes.is_empty());
    assert!(
        processes.iter().all(|row| row.len() == titles.len()),
        "{titles:?} {processes:?}"
    );
    let stats = docker.run_typed(containers::stats(&id)).unwrap();
    assert!(stats.read.unwrap().contains('T'));
    assert!(stats.memory_stats.is_some());

    // Exec, typed.
    let ex = docker
        .run_typed(exec::create(
            &id,
            &ExecCreate::new(["cat", "/data/hi"]).build(),
        ))
        .unwrap();
    let exec_id = ex.id.unwrap();
    let ei = typed_and_raw(&docker, exec::inspect(&exec_id));
    assert_eq!(ei.container_id.as_deref(), Some(id.as_str()));

    // Networks and volumes, typed.
    let nets = typed_and_raw(&docker, networks::list(None));
    assert!(nets
        .iter()
        .any(|n| n.id.as_deref() == Some(net_id.as_str())));
    let opts = docksock::api::InspectNetworkOptions::default();
    let n = typed_and_raw(&docker, networks::inspect(&net_id, &opts));
    assert!(n.containers.unwrap().contains_key(&id));
    let vols = typed_and_raw(&docker, volumes::list(None));
    assert!(vols
        .volumes
        .unwrap()
        .iter()
        .any(|v| v.name.as_deref() == Some(vol_name.as_str())));
    typed_and_raw(&docker, volumes::inspect(&vol_name));

    // Images and system.
    let imgs = typed_and_raw(&docker, images::list(&ListImagesOptions::default()));
    assert!(!imgs.is_empty());
    let img = typed_and_raw(&docker, images::inspect(&image));
    assert!(img.id.unwrap().starts_with("sha256:"));
    typed_and_raw(&docker, images::history(&image, None));
    let info = typed_and_raw(&docker, system::info());
    assert!(info.ncpu.unwrap() >= 1);
    let version = typed_and_raw(&docker, system::version());
    assert!(version.api_version.is_some());
    let df = typed_and_raw(&docker, system::df(&Default::default()));
    assert!(df.images.is_some());

    // Kill, wait, and the events of it all, typed.
    docker.kill_container(&id, None).unwrap();
    let wait_opts = WaitOptions::default();
    let waited = docker.run_typed(containers::wait(&id, &wait_opts)).unwrap();
    assert_eq!(waited.status_code, Some(137));
    let until = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let ev_opts = EventsOptions {
        since: Some(since.to_string()),
        until: Some(until.to_string()),
        ..Default::default()
    };
    let events: Vec<_> = docker
        .run_typed_stream(system::events(&ev_opts))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e.actor.as_ref().and_then(|a| a.id.as_deref()) == Some(id.as_str()))
        .collect();
    assert!(mine
        .iter()
        .all(|e| e.r#type == Some(EventMessageType::Container)));
    let actions: Vec<_> = mine.iter().filter_map(|e| e.action.as_deref()).collect();
    for a in ["create", "start", "kill", "die"] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
    let engine = Engine::of(&docker);
    if engine.is_podman() {
        set_aside(
            &engine,
            "models_decode_live_responses",
            "the event stream carries no network event for a network created and connected",
        );
    } else {
        assert!(events
            .iter()
            .any(|e| e.r#type == Some(EventMessageType::Network)));
    }
    assert!(events
        .iter()
        .any(|e| e.r#type == Some(EventMessageType::Volume)));
}
