//! The blocking client's container file and management calls against the real daemon: a file
//! copied in with the archive put, stat'ed with the archive head and read back byte-exact with
//! the archive get; the container's changes and its export holding the file; update, rename,
//! pause and unpause seen in inspect; a TTY resized (container and exec) seen by `stty`.

use std::io::Read;

use docksock::{Client, Error, PutArchiveOptions};
use docksock_tests::tar::TarBuilder;
use docksock_tests::{busybox_image, daemon, set_aside, unique_name, ContainerGuard, Engine};
use serde_json::json;

/// Every byte value, and a length that is not a multiple of the tar block.
fn payload() -> Vec<u8> {
    (0..1300u32).map(|i| (i * 7 % 256) as u8).collect()
}

/// The regular files of a tar stream: (name without a leading `./`, data). Skips other
/// entries (directories, PAX headers).
fn tar_files(mut tar: impl Read) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    tar.read_to_end(&mut all).expect("reading the tar stream");
    let mut files = Vec::new();
    let mut at = 0;
    while at + 512 <= all.len() {
        let header = &all[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).trim().to_owned()
        };
        let mut name = field(0..100);
        let prefix = field(345..500);
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        let size = usize::from_str_radix(&field(124..136), 8).expect("an octal size");
        let kind = header[156];
        let data_at = at + 512;
        if kind == b'0' || kind == 0 {
            files.push((
                name.trim_start_matches("./").to_owned(),
                all[data_at..data_at + size].to_vec(),
            ));
        }
        at = data_at + size.div_ceil(512) * 512;
    }
    files
}

/// Runs `cmd` in the container and fails the test unless it exits 0.
pub(crate) fn exec_ok(docker: &Client, id: &str, cmd: &[&str]) {
    let exec = docker
        .create_exec(
            id,
            &json!({"Cmd": cmd, "AttachStdout": true, "AttachStderr": true}),
        )
        .unwrap();
    let out = docker
        .start_exec(&exec)
        .unwrap()
        .demux()
        .collect_output()
        .unwrap();
    let code = docker.inspect_exec(&exec).unwrap()["ExitCode"].clone();
    assert_eq!(
        code,
        0,
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn running(docker: &Client, test: &str, tty: bool) -> ContainerGuard {
    let image = busybox_image(docker);
    let c = ContainerGuard::create(
        docker,
        &unique_name(test),
        &json!({"Image": image, "Cmd": ["sleep", "300"], "Tty": tty}),
    );
    docker.start_container(&c.id).unwrap();
    c
}

#[test]
fn blocking_archive_put_head_get_changes_export() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let c = running(&docker, "archive", false);
    let data = payload();
    let tar = TarBuilder::new().file("hello.bin", &data).finish();

    docker
        .put_container_archive(&c.id, "/tmp", &tar[..], &PutArchiveOptions::default())
        .unwrap();

    let stat = docker
        .container_archive_info(&c.id, "/tmp/hello.bin")
        .unwrap();
    assert_eq!(stat.name, "hello.bin", "{stat:?}");
    assert_eq!(stat.size, data.len() as u64, "{stat:?}");
    assert!(stat.mode.is_regular(), "{stat:?}");
    // Docker: empty for a non-link; Podman: the path itself.
    assert!(
        stat.link_target.is_empty() || stat.link_target == "/tmp/hello.bin",
        "{stat:?}"
    );
    assert!(stat.modified().is_some(), "{stat:?}");
    // A directory and a symbolic link: the type in Go's high mode bits, the link's target.
    let dir = docker.container_archive_info(&c.id, "/tmp").unwrap();
    assert!(dir.mode.is_dir() && !dir.mode.is_symlink(), "{dir:?}");
    assert_eq!(dir.mode.unix_mode() & 0o170000, 0o040000, "{dir:?}");
    exec_ok(
        &docker,
        &c.id,
        &["ln", "-s", "/tmp/hello.bin", "/tmp/hello.link"],
    );
    let link = docker
        .container_archive_info(&c.id, "/tmp/hello.link")
        .unwrap();
    assert!(link.mode.is_symlink() && !link.mode.is_dir(), "{link:?}");
    assert_eq!(link.link_target, "/tmp/hello.bin", "{link:?}");
    if link.name != "hello.link" && engine.is_podman() {
        set_aside(
            &engine,
            "blocking_archive_put_head_get_changes_export",
            "the path stat of a symbolic link names the link's target (hello.bin), not the \
             link (hello.link)",
        );
    } else {
        assert_eq!(link.name, "hello.link", "{link:?}");
    }

    let files = tar_files(docker.container_archive(&c.id, "/tmp/hello.bin").unwrap());
    assert_eq!(
        files.len(),
        1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(files[0].0, "hello.bin");
    assert!(
        files[0].1 == data,
        "the file read back differs from the one put"
    );

    // A path that does not exist: 404 for both.
    let err = docker
        .container_archive_info(&c.id, "/no/such/path")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker
        .container_archive(&c.id, "/no/such/path")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // Into a directory that does not exist: refused (404).
    let put = docker.put_container_archive(
        &c.id,
        "/no/such/dir",
        &tar[..],
        &PutArchiveOptions::default(),
    );
    match put {
        Err(err) => assert!(err.is_not_found(), "{err:?}"),
        Ok(()) if engine.is_podman() => set_aside(
            &engine,
            "blocking_archive_put_head_get_changes_export",
            "PUT /containers/{id}/archive into a missing directory creates it instead of \
             answering 404",
        ),
        Ok(()) => panic!("a tar extracted into a directory that does not exist"),
    }

    // The container's changes list the new file as added (kind 1).
    let changes = docker.container_changes(&c.id).unwrap();
    let added = changes
        .as_array()
        .unwrap_or_else(|| panic!("no changes: {changes}"))
        .iter()
        .find(|ch| ch["Path"] == "/tmp/hello.bin")
        .unwrap_or_else(|| panic!("/tmp/hello.bin not among {changes}"))
        .clone();
    assert_eq!(added["Kind"], 1, "{added}");

    // The export is the whole file system: busybox's files and ours, byte-exact.
    let files = tar_files(docker.export_container(&c.id).unwrap());
    let ours = files
        .iter()
        .find(|(name, _)| name == "tmp/hello.bin")
        .expect("tmp/hello.bin in the export");
    assert!(ours.1 == data, "the exported file differs from the one put");
    assert!(
        files.iter().any(|(name, _)| name == "bin/busybox"),
        "no bin/busybox among {} files",
        files.len()
    );

    let err = docker
        .container_changes("docksock-no-such-container")
        .unwrap_err();
    if engine.is_podman() && err.status() == Some(500) {
        set_aside(
            &engine,
            "blocking_archive_put_head_get_changes_export",
            "GET /containers/{id}/changes of an unknown container answers 500 (layer not \
             known), not 404",
        );
    } else {
        assert!(err.is_not_found(), "{err:?}");
    }
}

#[test]
fn blocking_container_update_rename_pause_unpause() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let c = running(&docker, "manage", false);

    // Update: a restart policy, seen in inspect.
    let update = json!({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}});
    match docker.update_container(&c.id, &update) {
        Ok(answer) => {
            assert!(answer.is_object() || answer.is_null(), "{answer}");
            let policy = &docker.inspect_container(&c.id).unwrap()["HostConfig"]["RestartPolicy"];
            assert_eq!(policy["Name"], "on-failure", "{policy}");
            assert_eq!(policy["MaximumRetryCount"], 3, "{policy}");
        }
        Err(Error::Api {
            status: 404,
            message,
            ..
        }) if engine.is_podman() => set_aside(
            &engine,
            "blocking_container_update_rename_pause_unpause",
            &format!("no POST /containers/{{id}}/update in the compat API (404: {message})"),
        ),
        Err(e) => panic!("update: {e:?}"),
    }

    // Rename: the new name in inspect, the old one gone; a name in use is a conflict.
    let new_name = unique_name("manage-renamed");
    let other = ContainerGuard::create(
        &docker,
        &unique_name("manage-other"),
        &json!({"Image": busybox_image(&docker), "Cmd": ["true"]}),
    );
    let _ = docker.remove_container(&new_name, &Default::default());
    docker.rename_container(&c.id, &new_name).unwrap();
    assert_eq!(
        docker.inspect_container(&c.id).unwrap()["Name"],
        format!("/{new_name}")
    );
    let taken = docker.inspect_container(&other.id).unwrap()["Name"]
        .as_str()
        .unwrap()
        .trim_start_matches('/')
        .to_owned();
    let err = docker.rename_container(&c.id, &taken).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    // Pause and unpause, seen in the state.
    docker.pause_container(&c.id).unwrap();
    let state = docker.inspect_container(&c.id).unwrap()["State"].clone();
    assert_eq!(state["Status"], "paused", "{state}");
    assert_eq!(state["Paused"], true, "{state}");
    docker.unpause_container(&c.id).unwrap();
    let state = docker.inspect_container(&c.id).unwrap()["State"].clone();
    assert_eq!(state["Status"], "running", "{state}");
    assert_eq!(state["Paused"], false, "{state}");
    // Unpausing a running container is refused.
    let err = docker.unpause_container(&c.id).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");

    let err = docker
        .pause_container("docksock-no-such-container")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

/// `stty size` of the container's TTY, read through an exec.
fn tty_size(docker: &Client, id: &str) -> String {
    let exec = docker
        .create_exec(
            id,
            &json!({"Cmd": ["stty", "-F", "/proc/1/fd/0", "size"], "AttachStdout": true, "AttachStderr": true}),
        )
        .unwrap();
    let out = docker
        .start_exec(&exec)
        .unwrap()
        .demux()
        .collect_output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

#[test]
fn blocking_container_and_exec_resize() {
    let Some(docker) = daemon() else { return };
    let c = running(&docker, "resize", true);
    docker.resize_container(&c.id, 37, 101).unwrap();
    assert_eq!(tty_size(&docker, &c.id), "37 101");
    docker.resize_container(&c.id, 24, 80).unwrap();
    assert_eq!(tty_size(&docker, &c.id), "24 80");

    // An exec with its own TTY, resized while it runs: it prints the new size.
    let exec = docker
        .create_exec(
            &c.id,
            &json!({"Cmd": ["sh", "-c", "sleep 2; stty size"], "Tty": true, "AttachStdout": true}),
        )
        .unwrap();
    let stream = docker.start_exec(&exec).unwrap();
    docker.resize_exec(&exec, 33, 99).unwrap();
    let out = stream.demux().collect_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "33 99");

    let err = docker
        .resize_exec("docksock-no-such-exec", 10, 10)
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
