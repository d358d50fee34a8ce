//! The blocking client's volume calls against the real daemon: create, inspect, list, a file
//! written through one container's mount and read through another's, remove (refused while a
//! container uses the volume), prune by label (the report's names and reclaimed space), and
//! the 404s of an unknown volume.

use docksock::{ApiVersion, Client, Filters, LogsOptions};
use docksock_tests::{busybox_image, daemon, unique_name, wait_exit, ContainerGuard};
use serde_json::{json, Value};

/// Removes its volume (forced) when dropped, also when the test panics.
struct VolumeGuard {
    client: Client,
    name: String,
}

impl VolumeGuard {
    /// Creates the volume `name` (removing a leftover first) with `labels` and guards it.
    fn create(client: &Client, name: &str, labels: &Value) -> (VolumeGuard, Value) {
        let _ = client.remove_volume(name, true);
        let created = client
            .create_volume(&json!({"Name": name, "Labels": labels}))
            .unwrap_or_else(|e| panic!("creating volume {name}: {e}"));
        let guard = VolumeGuard {
            client: client.clone(),
            name: name.to_owned(),
        };
        (guard, created)
    }
}

impl Drop for VolumeGuard {
    fn drop(&mut self) {
        let _ = self.client.remove_volume(&self.name, true);
    }
}

/// Runs `cmd` in a new container with the volume mounted at `/data`; returns its guard, exit
/// code and stdout.
fn run_with_volume(
    docker: &Client,
    name: &str,
    volume: &str,
    cmd: &[&str],
) -> (ContainerGuard, i64, Vec<u8>) {
    let image = busybox_image(docker);
    let c = ContainerGuard::create(
        docker,
        name,
        &json!({
            "Image": image,
            "Cmd": cmd,
            "HostConfig": {"Mounts": [{"Type": "volume", "Source": volume, "Target": "/data"}]},
        }),
    );
    docker.start_container(&c.id).unwrap();
    let code = wait_exit(docker, &c.id);
    let out = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                stdout: true,
                stderr: true,
                ..Default::default()
            },
        )
        .unwrap()
        .collect_output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (c, code, out.stdout)
}

#[test]
fn blocking_volumes_create_mount_share_remove() {
    let Some(docker) = daemon() else { return };
    let name = unique_name("vol");
    let (vol, created) = VolumeGuard::create(&docker, &name, &json!({"docksock-test": "volumes"}));
    assert_eq!(created["Name"], name.as_str(), "{created}");
    assert_eq!(created["Driver"], "local", "{created}");
    assert!(created["Mountpoint"].is_string(), "{created}");

    let inspected = docker.inspect_volume(&name).unwrap();
    assert_eq!(inspected["Name"], name.as_str());
    assert_eq!(
        inspected["Labels"]["docksock-test"], "volumes",
        "{inspected}"
    );
    let listed = docker
        .list_volumes(Some(&Filters::new().with("name", &name)))
        .unwrap();
    let volumes = listed["Volumes"]
        .as_array()
        .unwrap_or_else(|| panic!("no Volumes array: {listed}"));
    assert!(
        volumes.iter().any(|v| v["Name"] == name.as_str()),
        "{listed}"
    );

    // Written through one container's mount, read through another's.
    let (writer, code, _) = run_with_volume(
        &docker,
        &unique_name("vol-writer"),
        &name,
        &[
            "sh",
            "-c",
            "echo written-through-a-volume > /data/shared.txt",
        ],
    );
    assert_eq!(code, 0);
    let (reader, code, stdout) = run_with_volume(
        &docker,
        &unique_name("vol-reader"),
        &name,
        &["cat", "/data/shared.txt"],
    );
    assert_eq!(code, 0);
    assert_eq!(stdout, b"written-through-a-volume\n");

    // In use by (stopped) containers: removing it is refused.
    let err = docker.remove_volume(&name, false).unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    drop(writer);
    drop(reader);

    docker.remove_volume(&name, false).unwrap();
    let err = docker.inspect_volume(&name).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker.remove_volume(&name, false).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    drop(vol);
}

#[test]
fn blocking_volumes_prune_reports_what_it_removed() {
    let Some(docker) = daemon() else { return };
    let label = unique_name("vol-prune");
    let labels = json!({"docksock-prune": label});
    let kept = unique_name("vol-unlabelled");
    let (_kept, _) = VolumeGuard::create(&docker, &kept, &json!({}));
    let names: Vec<String> = (0..2).map(|i| format!("{label}-{i}")).collect();
    let _guards: Vec<VolumeGuard> = names
        .iter()
        .map(|n| VolumeGuard::create(&docker, n, &labels).0)
        .collect();
    // Something to reclaim: a file in the first volume.
    let (writer, code, _) = run_with_volume(
        &docker,
        &unique_name("vol-prune-writer"),
        &names[0],
        &["sh", "-c", "head -c 65536 /dev/zero > /data/zeros"],
    );
    assert_eq!(code, 0);
    drop(writer);

    let mut filters = Filters::new().with("label", &format!("docksock-prune={label}"));
    // API 1.42+ prunes only anonymous volumes unless `all` is set; before, every unused one.
    if docker.api_version().unwrap() >= ApiVersion::new(1, 42) {
        filters = filters.with("all", "true");
    }
    let report = docker.prune_volumes(Some(&filters)).unwrap();
    let deleted: Vec<&str> = report["VolumesDeleted"]
        .as_array()
        .unwrap_or_else(|| panic!("no VolumesDeleted array: {report}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in &names {
        assert!(deleted.contains(&n.as_str()), "{n} not in {report}");
        assert!(docker.inspect_volume(n).unwrap_err().is_not_found());
    }
    assert!(!deleted.contains(&kept.as_str()), "{report}");
    docker.inspect_volume(&kept).unwrap();
    let reclaimed = report["SpaceReclaimed"]
        .as_u64()
        .unwrap_or_else(|| panic!("no SpaceReclaimed number: {report}"));
    assert!(reclaimed >= 65536, "{report}");
}
