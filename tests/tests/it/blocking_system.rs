//! The blocking client's system and plugin calls against the real daemon: `HEAD /_ping`, data
//! usage, auth (encoded and refused by a registry that does not answer), container prune by
//! label (the report), and a plugin created from a local tar (`config.json` + `rootfs/`),
//! inspected, listed, set, refused when enabled without a socket, and removed.

use docksock::{ApiVersion, Client, DataUsageOptions, Error, Filters};
use docksock_tests::tar::header;
use docksock_tests::{
    busybox_image, daemon, set_aside, unique_name, wait_exit, ContainerGuard, Engine,
};
use serde_json::{json, Value};

#[test]
fn blocking_ping_head_and_data_usage() {
    let Some(docker) = daemon() else { return };
    let ping = docker.ping_head().unwrap();
    assert!(ping.body.is_empty());
    assert!(ping.api_version.is_some(), "{ping:?}");
    assert_eq!(ping.api_version, docker.ping().unwrap().api_version);

    let _image = busybox_image(&docker);
    let df = docker.data_usage(&DataUsageOptions::default()).unwrap();
    assert!(df["LayersSize"].is_i64(), "{df}");
    let images = df["Images"].as_array().unwrap_or_else(|| panic!("{df}"));
    assert!(!images.is_empty(), "the busybox image at least: {df}");
    assert!(
        images
            .iter()
            .all(|i| i["Id"].is_string() && i["Size"].is_i64()),
        "{df}"
    );
    for key in ["Containers", "Volumes"] {
        assert!(df[key].is_array() || df[key].is_null(), "{key}: {df}");
    }

    // One type only (API 1.42+): the others are left out.
    if docker.api_version().unwrap() >= ApiVersion::new(1, 42) {
        let volumes_only = docker
            .data_usage(&DataUsageOptions {
                types: vec!["volume".into()],
            })
            .unwrap();
        assert!(volumes_only["Volumes"].is_array(), "{volumes_only}");
        assert!(
            volumes_only["Images"].is_null() || volumes_only.get("Images").is_none(),
            "{volumes_only}"
        );
    }
}

#[test]
fn blocking_auth_is_sent_and_refused_by_an_unreachable_registry() {
    let Some(docker) = daemon() else { return };
    let err = docker
        .auth(&json!({
            "username": "docksock",
            "password": "not-a-secret",
            "serveraddress": "http://127.0.0.1:9",
        }))
        .unwrap_err();
    // The daemon read the body and tried the registry: its refusal, not a client error.
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert!((400..600).contains(status), "{err:?}");
            assert!(!message.is_empty(), "{err:?}");
        }
        other => panic!("expected the daemon's refusal, got {other:?}"),
    }
}

#[test]
fn blocking_prune_containers_reports_what_it_removed() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let label = unique_name("ctr-prune");
    let config =
        |cmd: &[&str]| json!({"Image": image, "Cmd": cmd, "Labels": {"docksock-prune": label}});
    let exited = ContainerGuard::create(&docker, &format!("{label}-exited"), &config(&["true"]));
    docker.start_container(&exited.id).unwrap();
    assert_eq!(wait_exit(&docker, &exited.id), 0);
    let created = ContainerGuard::create(&docker, &format!("{label}-created"), &config(&["true"]));
    let running = ContainerGuard::create(
        &docker,
        &format!("{label}-running"),
        &config(&["sleep", "300"]),
    );
    docker.start_container(&running.id).unwrap();

    let filters = Filters::new().with("label", &format!("docksock-prune={label}"));
    let report = docker.prune_containers(Some(&filters)).unwrap();
    let deleted: Vec<&str> = report["ContainersDeleted"]
        .as_array()
        .unwrap_or_else(|| panic!("no ContainersDeleted array: {report}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(report["SpaceReclaimed"].is_u64(), "{report}");
    for gone in [&exited.id, &created.id] {
        assert!(deleted.contains(&gone.as_str()), "{gone} not in {report}");
        assert!(docker.inspect_container(gone).unwrap_err().is_not_found());
    }
    // A running container is never pruned.
    assert!(!deleted.contains(&running.id.as_str()), "{report}");
    docker.inspect_container(&running.id).unwrap();
}

/// A plugin tar: `config.json` and an empty `rootfs/`.
fn plugin_tar(config: &Value) -> Vec<u8> {
    let config = serde_json::to_vec(config).unwrap();
    let mut tar = Vec::new();
    tar.extend_from_slice(&header("config.json", config.len() as u64, 0o644, b'0'));
    tar.extend_from_slice(&config);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
    tar.extend_from_slice(&header("rootfs/", 0, 0o755, b'5'));
    tar.resize(tar.len() + 1024, 0);
    tar
}

/// Removes its plugin (forced) when dropped.
struct PluginGuard {
    client: Client,
    name: String,
}

impl Drop for PluginGuard {
    fn drop(&mut self) {
        let _ = self.client.remove_plugin(&self.name, true);
    }
}

#[test]
fn blocking_plugin_create_from_a_tar() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let name = format!("docksock-test/plugin-{}:latest", std::process::id());
    let config = json!({
        "Description": "docksock test plugin",
        "Documentation": "https://example.invalid/docksock",
        "Interface": {"Types": ["docker.volumedriver/1.0"], "Socket": "docksock.sock"},
        "Entrypoint": ["/docksock-plugin"],
        "WorkDir": "",
        "Network": {"Type": "host"},
        "Linux": {"Capabilities": []},
        "Env": [{"Name": "DOCKSOCK_DEBUG", "Description": "debug", "Settable": ["value"], "Value": "0"}],
    });
    let _ = docker.remove_plugin(&name, true);
    let created = docker.create_plugin(&name, &plugin_tar(&config)[..]);
    if engine.is_podman() {
        // Podman has no plugin API: the route does not exist.
        let err = created.unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        assert!(docker.list_plugins(None).unwrap_err().is_not_found());
        set_aside(
            &engine,
            "blocking_plugin_create_from_a_tar",
            "no plugin API (/plugins/* answer 404)",
        );
        return;
    }
    created.unwrap();
    let guard = PluginGuard {
        client: docker.clone(),
        name: name.clone(),
    };

    let inspected = docker.inspect_plugin(&name).unwrap();
    assert_eq!(inspected["Name"], name.as_str(), "{inspected}");
    assert_eq!(inspected["Enabled"], false, "{inspected}");
    assert_eq!(inspected["Config"]["Description"], "docksock test plugin");
    let listed = docker.list_plugins(None).unwrap();
    assert!(
        listed
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["Name"] == name.as_str())),
        "{listed}"
    );

    docker
        .set_plugin(&name, &json!(["DOCKSOCK_DEBUG=1"]))
        .unwrap();
    let env = docker.inspect_plugin(&name).unwrap()["Settings"]["Env"].clone();
    assert!(
        env.as_array()
            .is_some_and(|e| e.iter().any(|v| v == "DOCKSOCK_DEBUG=1")),
        "{env}"
    );

    // Enabling runs the entrypoint, which this rootfs lacks: the daemon's 500, and the plugin
    // stays disabled; disabling a disabled plugin is refused too.
    let err = docker.enable_plugin(&name, Some(5)).unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!(docker.inspect_plugin(&name).unwrap()["Enabled"], false);
    let err = docker.disable_plugin(&name, false).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    // The same name again: a conflict.
    let err = docker
        .create_plugin(&name, &plugin_tar(&config)[..])
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    docker.remove_plugin(&name, false).unwrap();
    assert!(docker.inspect_plugin(&name).unwrap_err().is_not_found());
    drop(guard);
}
