//! The blocking client's network calls against the real daemon: create, inspect, list, a
//! running container connected (with an alias, an address on the network) and disconnected,
//! remove (refused while in use), prune by label (the report names what it removed), and the
//! 404s of an unknown network.

use docksock::{Client, Error, Filters, InspectNetworkOptions};
use docksock_tests::{busybox_image, daemon, set_aside, unique_name, ContainerGuard, Engine};
use serde_json::{json, Value};

/// Removes its network when dropped, also when the test panics.
struct NetworkGuard {
    client: Client,
    name: String,
}

impl NetworkGuard {
    /// Creates the network `name` (removing a leftover first) with `labels` and guards it.
    fn create(client: &Client, name: &str, labels: &Value) -> (NetworkGuard, Value) {
        let _ = client.remove_network(name);
        let created = client
            .create_network(&json!({"Name": name, "Labels": labels}))
            .unwrap_or_else(|e| panic!("creating network {name}: {e}"));
        let guard = NetworkGuard {
            client: client.clone(),
            name: name.to_owned(),
        };
        (guard, created)
    }
}

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        let _ = self.client.remove_network(&self.name);
    }
}

fn networks_of(docker: &Client, container: &str) -> Value {
    docker.inspect_container(container).unwrap()["NetworkSettings"]["Networks"].clone()
}

#[test]
fn blocking_networks_create_connect_disconnect_remove() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let image = busybox_image(&docker);
    let name = unique_name("net");
    let (net, created) =
        NetworkGuard::create(&docker, &name, &json!({"docksock-test": "networks"}));
    let id = created["Id"].as_str().expect("an Id").to_owned();
    assert!(!id.is_empty(), "{created}");

    // Inspect by name and by id; listed with a name filter.
    let inspected = docker
        .inspect_network(&name, &InspectNetworkOptions::default())
        .unwrap();
    assert_eq!(inspected["Name"], name.as_str(), "{inspected}");
    assert_eq!(inspected["Id"], id.as_str(), "{inspected}");
    assert_eq!(inspected["Labels"]["docksock-test"], "networks");
    let by_id = docker
        .inspect_network(&id, &InspectNetworkOptions::default())
        .unwrap();
    assert_eq!(by_id["Name"], name.as_str());
    let listed = docker
        .list_networks(Some(&Filters::new().with("name", &name)))
        .unwrap();
    let listed = listed.as_array().expect("an array");
    assert!(listed.iter().any(|n| n["Id"] == id.as_str()), "{listed:?}");

    // The same name again is refused (dockerd 409, Podman 500 or 409).
    let err = docker
        .create_network(&json!({"Name": name, "CheckDuplicate": true}))
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    // A running container, connected with an alias: it gets an address on the network.
    let c = ContainerGuard::create(
        &docker,
        &unique_name("net-member"),
        &json!({"Image": image, "Cmd": ["sleep", "300"]}),
    );
    docker.start_container(&c.id).unwrap();
    docker
        .connect_network(
            &name,
            &json!({"Container": c.id, "EndpointConfig": {"Aliases": ["docksock-alias"]}}),
        )
        .unwrap();
    let nets = networks_of(&docker, &c.id);
    let endpoint = &nets[name.as_str()];
    assert!(endpoint.is_object(), "not connected: {nets}");
    assert!(
        endpoint["IPAddress"]
            .as_str()
            .is_some_and(|ip| !ip.is_empty()),
        "no address on the network: {endpoint}"
    );
    let members = docker
        .inspect_network(&name, &InspectNetworkOptions::default())
        .unwrap()["Containers"]
        .clone();
    if members.get(&c.id).is_some() {
        assert!(members[&c.id]["IPv4Address"].is_string(), "{members}");
    } else if engine.is_podman() {
        set_aside(
            &engine,
            "blocking_networks_create_connect_disconnect_remove",
            "network inspect lists no connected container (Containers is empty)",
        );
    } else {
        panic!("{} not among the network's containers: {members}", c.id);
    }

    // In use: removing the network is refused (dockerd 403, Podman 500).
    let err = docker.remove_network(&name).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    docker
        .disconnect_network(&name, &json!({"Container": c.id, "Force": false}))
        .unwrap();
    let nets = networks_of(&docker, &c.id);
    assert!(nets.get(name.as_str()).is_none(), "still connected: {nets}");

    docker.remove_network(&name).unwrap();
    let err = docker
        .inspect_network(&name, &InspectNetworkOptions::default())
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker.remove_network(&name).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    drop(net);
}

#[test]
fn blocking_networks_prune_reports_what_it_removed() {
    let Some(docker) = daemon() else { return };
    let label = unique_name("net-prune");
    let labels = json!({"docksock-prune": label});
    let kept_name = unique_name("net-unlabelled");
    let (_kept, _) = NetworkGuard::create(&docker, &kept_name, &json!({}));
    let names: Vec<String> = (0..2).map(|i| format!("{label}-{i}")).collect();
    let _guards: Vec<NetworkGuard> = names
        .iter()
        .map(|n| NetworkGuard::create(&docker, n, &labels).0)
        .collect();

    let report = docker
        .prune_networks(Some(
            &Filters::new().with("label", &format!("docksock-prune={label}")),
        ))
        .unwrap();
    let deleted: Vec<&str> = report["NetworksDeleted"]
        .as_array()
        .unwrap_or_else(|| panic!("no NetworksDeleted array: {report}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in &names {
        assert!(deleted.contains(&n.as_str()), "{n} not in {report}");
        let err = docker
            .inspect_network(n, &InspectNetworkOptions::default())
            .unwrap_err();
        assert!(err.is_not_found(), "{n}: {err:?}");
    }
    // Only what the filter selects.
    assert!(!deleted.contains(&kept_name.as_str()), "{report}");
    docker
        .inspect_network(&kept_name, &InspectNetworkOptions::default())
        .unwrap();

    // A second prune finds nothing of ours: an empty report (null or []).
    let again = docker
        .prune_networks(Some(
            &Filters::new().with("label", &format!("docksock-prune={label}")),
        ))
        .unwrap();
    assert!(
        again["NetworksDeleted"].is_null()
            || again["NetworksDeleted"]
                .as_array()
                .is_some_and(Vec::is_empty),
        "{again}"
    );
}
