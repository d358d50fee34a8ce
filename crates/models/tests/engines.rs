//! What other engines (and other versions of dockerd) send, and what the models make of it:
//! unknown enum values kept and written back, `null` lists and map values, missing and extra
//! fields, numbers outside the description's types.

use docksock_models::*;
use serde_json::{json, Value};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(v: Value) -> (T, Value) {
    let model: T = serde_json::from_value(v).expect("decodes");
    let back = serde_json::to_value(&model).expect("encodes");
    (model, back)
}

#[test]
fn podman_container_states_are_kept_and_written_back() {
    // Podman 4.3 lists stopped containers as `stopped`, and `stopping` while they stop
    // (bollard #293, #715: a closed enum fails the whole list).
    let list = json!([
        {"Id": "a1", "Names": ["/web"], "State": "stopped", "Status": "Exited (0) 1 minute ago"},
        {"Id": "b2", "Names": ["/db"], "State": "stopping", "Status": "Stopping"},
        {"Id": "c3", "Names": ["/x"], "State": "running", "Status": "Up 2 hours"}
    ]);
    let (models, back): (Vec<ContainerSummary>, _) = round_trip(list.clone());
    assert_eq!(
        models[0].state,
        Some(ContainerStateStatus::Other("stopped".into()))
    );
    assert_eq!(
        models[1].state,
        Some(ContainerStateStatus::Other("stopping".into()))
    );
    assert_eq!(models[2].state, Some(ContainerStateStatus::Running));
    assert_eq!(models[0].state.as_ref().unwrap().as_str(), "stopped");
    assert_eq!(back, list);

    let inspect = json!({"Id": "a1", "State": {"Status": "stopping", "Running": true, "Pid": 7}});
    let (model, back): (ContainerInspectResponse, _) = round_trip(inspect.clone());
    let state = model.state.unwrap();
    assert_eq!(
        state.status,
        Some(ContainerStateStatus::Other("stopping".into()))
    );
    assert_eq!(back, inspect);
}

#[test]
fn unknown_enum_values_round_trip_everywhere() {
    let event = json!({
        "Type": "machine", "Action": "boot", "scope": "cluster",
        "Actor": {"ID": "m1", "Attributes": {"name": "vm"}}, "time": 1700000000, "timeNano": 1700000000123456789_i64
    });
    let (model, back): (EventMessage, _) = round_trip(event.clone());
    assert_eq!(
        model.r#type,
        Some(EventMessageType::Other("machine".into()))
    );
    assert_eq!(
        model.scope,
        Some(EventMessageScope::Other("cluster".into()))
    );
    assert_eq!(model.time_nano, Some(1_700_000_000_123_456_789));
    assert_eq!(back, event);

    let known: EventMessage = serde_json::from_value(json!({"Type": "container"})).unwrap();
    assert_eq!(known.r#type, Some(EventMessageType::Container));

    // Integer enums keep unknown numbers too.
    let changes = json!([{"Path": "/a", "Kind": 0}, {"Path": "/b", "Kind": 7}]);
    let (model, back): (Vec<FilesystemChange>, _) = round_trip(changes.clone());
    assert_eq!(model[0].kind, Some(ChangeType::Modified));
    assert_eq!(model[1].kind, Some(ChangeType::Other(7)));
    assert_eq!(back, changes);

    // An empty string where the enum has no "" value.
    let (model, back): (MountPoint, _) = round_trip(json!({"Type": ""}));
    assert_eq!(model.r#type, Some(MountType::Other(String::new())));
    assert_eq!(back, json!({"Type": ""}));
    // A restart policy's "" is a known value.
    let (model, _): (RestartPolicy, _) = round_trip(json!({"Name": ""}));
    assert_eq!(model.name, Some(RestartPolicyName::Empty));
}

#[test]
fn null_lists_and_null_map_values() {
    // dockerd writes null for empty lists; unpublished ports are null in the port map; a
    // label with a null value (not from dockerd, whose labels are Go strings) reads as "".
    let inspect = json!({
        "Id": "x",
        "Args": null,
        "Mounts": null,
        "Config": {"Env": null, "Cmd": null, "Labels": {"a": "1", "b": null}, "ExposedPorts": {"80/tcp": {}}},
        "HostConfig": {"Binds": null, "PortBindings": {"80/tcp": null, "443/tcp": [{"HostIp": "", "HostPort": "8443"}]}},
        "NetworkSettings": {"Ports": {"80/tcp": null}, "Networks": {"bridge": null}}
    });
    let model: ContainerInspectResponse = serde_json::from_value(inspect).unwrap();
    assert_eq!(model.args, None);
    assert_eq!(model.mounts, None);
    let config = model.config.unwrap();
    assert_eq!(config.env, None);
    let labels = config.labels.unwrap();
    assert_eq!(labels["a"], "1");
    assert_eq!(labels["b"], "");
    let bindings = model.host_config.unwrap().port_bindings.unwrap();
    assert_eq!(bindings["80/tcp"], None);
    assert_eq!(
        bindings["443/tcp"].as_ref().unwrap()[0]
            .host_port
            .as_deref(),
        Some("8443")
    );
    let net = model.network_settings.unwrap();
    assert_eq!(net.ports.unwrap()["80/tcp"], None);
    assert_eq!(net.networks.unwrap()["bridge"], None);

    // A null where a map is expected.
    let (model, _): (Network, _) =
        round_trip(json!({"Name": "n", "Options": null, "Labels": null, "Containers": null}));
    assert_eq!((model.options, model.labels), (None, None));
}

#[test]
fn missing_fields_decode_every_response_model() {
    // Any field may be missing: every response model decodes from an empty document.
    let mut n = 0;
    for (op, _, resp) in OPERATIONS {
        if resp.is_empty() {
            continue;
        }
        let empty: &[u8] = if resp.starts_with("Vec<") {
            b"[]"
        } else {
            b"{}"
        };
        let back = response_round_trip(op, empty)
            .expect("a response model")
            .unwrap_or_else(|e| panic!("{op}: {resp} does not decode from {{}}: {e}"));
        assert_eq!(
            back,
            serde_json::from_slice::<Value>(empty).unwrap(),
            "{op}"
        );
        n += 1;
    }
    assert!(n >= 50, "{n}");
}

#[test]
fn extra_fields_are_ignored() {
    // Docker 28 and Podman add fields the description of 1.51 does not have.
    let summary = json!({
        "Id": "a", "Image": "busybox", "ImageManifestDescriptor": {"mediaType": "x", "size": 1},
        "Health": {"Status": "healthy", "FailingStreak": 0}, "Pod": "", "IsInfra": false,
        "AutoRemove": false, "Namespaces": {}, "Created": 1700000000, "StartedAt": 1700000001
    });
    let model: ContainerSummary = serde_json::from_value(summary).unwrap();
    assert_eq!(model.image.as_deref(), Some("busybox"));
    assert_eq!(model.created, Some(1_700_000_000));
}

#[test]
fn numbers_as_engines_send_them() {
    // Sizes of -1 ("not computed"), floats where the description says integer, counters
    // above i64::MAX and negative values in uint64 fields.
    let image = json!({"Id": "sha256:1", "Size": 5.0e6, "SharedSize": -1, "Containers": -1, "Created": 1.7e9});
    let model: ImageSummary = serde_json::from_value(image).unwrap();
    assert_eq!(model.size, Some(5_000_000));
    assert_eq!(model.shared_size, Some(-1));
    assert_eq!(model.containers, Some(-1));
    assert_eq!(model.created, Some(1_700_000_000));

    let stats = json!({
        "memory_stats": {"limit": 18446744073709551615_u64, "usage": -1, "stats": {"cache": 1, "rss": null}},
        "pids_stats": {"current": 3, "limit": 18446744073709551615_u64},
        "cpu_stats": {"cpu_usage": {"total_usage": 1.0e3, "percpu_usage": [1, 2.0]}, "online_cpus": 2},
        "read": "2026-11-26T21:25:36.123456789Z", "preread": "0001-01-01T00:00:00Z"
    });
    let model: ContainerStatsResponse = serde_json::from_value(stats).unwrap();
    let mem = model.memory_stats.unwrap();
    assert_eq!(mem.limit, Some(u64::MAX));
    assert_eq!(mem.usage, Some(u64::MAX));
    let map = mem.stats.unwrap();
    assert_eq!((map["cache"], map["rss"]), (1, 0));
    let cpu = model.cpu_stats.unwrap().cpu_usage.unwrap();
    assert_eq!(cpu.total_usage, Some(1000));
    assert_eq!(cpu.percpu_usage, Some(vec![1, 2]));
    // Timestamps stay as sent (RFC 3339 with nanoseconds).
    assert_eq!(
        model.read.as_deref(),
        Some("2026-11-26T21:25:36.123456789Z")
    );
}

#[test]
fn request_bodies_send_only_what_is_set_with_the_api_names() {
    let body = ContainerCreateRequest {
        image: Some("busybox".into()),
        host_config: Some(HostConfig {
            nano_cpus: Some(500_000_000),
            cgroupns_mode: Some(HostConfigCgroupnsMode::Private),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"Image": "busybox", "HostConfig": {"NanoCpus": 500000000, "CgroupnsMode": "private"}})
    );
    // camelCase and snake_case names where the API spells them so.
    let desc = OCIDescriptor {
        media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        size: Some(1),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&desc).unwrap(),
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1})
    );
    let search: ImageSearchResponseItem =
        serde_json::from_value(json!({"name": "busybox", "is_official": true, "star_count": 3}))
            .unwrap();
    assert_eq!(
        (search.is_official, search.star_count),
        (Some(true), Some(3))
    );
    assert_eq!(
        serde_json::to_value(NetworkCreateRequest::default()).unwrap(),
        json!({})
    );
}

#[test]
fn typed_calls_are_the_api_calls() {
    use docksock_api::{EventsOptions, ListContainersOptions};
    let opts = ListContainersOptions::default();
    let typed = calls::containers::list(&opts);
    assert_eq!(typed.call(), &docksock_api::containers::list(&opts));
    let body = builders::ContainerCreate::new("busybox")
        .cmd(["true"])
        .build();
    let typed = calls::containers::create(Some("x"), &body);
    match typed.call().body_ref() {
        docksock_api::CallBody::Bytes { data, content_type } => {
            assert_eq!(*content_type, "application/json");
            assert_eq!(
                serde_json::from_slice::<Value>(data).unwrap(),
                json!({"Image": "busybox", "Cmd": ["true"]})
            );
        }
        other => panic!("{other:?}"),
    }
    let ev = EventsOptions::default();
    let stream = calls::system::events(&ev);
    let event = stream
        .decode(br#"{"Type":"container","Action":"die","Actor":{"ID":"1","Attributes":{"exitCode":"0"}},"time":1,"timeNano":1000000000}"#)
        .unwrap();
    assert_eq!(event.action.as_deref(), Some("die"));
}
