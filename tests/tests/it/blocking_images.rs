//! The blocking client against the real dockerd: configuration, negotiation, ping, version,
//! info, and the image calls (list, inspect, tag, remove, import, export).

use std::io::Read;

use docksock::{
    same_image_ref, ApiVersion, Client, Error, ListImagesOptions, PathParam, RemoveImageOptions,
    TimeoutKind,
};
use docksock_tests::{
    busybox_image, busybox_tar, daemon, private_image, set_aside, Engine, ImageGuard,
};

#[test]
fn blocking_config_rejects_other_schemes() {
    for host in ["npipe:////./pipe/docker", "fd://", "http://127.0.0.1:2375"] {
        let err = Client::builder().host(host).unwrap_err();
        let scheme = host.split("://").next().unwrap();
        assert!(matches!(err, Error::Config(_)), "{host}: {err:?}");
        assert!(
            err.to_string().contains(&format!("{scheme}://")),
            "{host}: {err}"
        );
    }
    for ok in ["unix:///var/run/docker.sock", "/tmp/x.sock"] {
        let b = Client::builder().host(ok).unwrap().build();
        assert!(b.socket_path().is_absolute(), "{ok}");
    }
    // tcp:// and ssh:// are transports of their own (tests/it/transports.rs).
    for ok in ["tcp://127.0.0.1:2375", "ssh://me@host"] {
        let b = Client::builder().host(ok).unwrap().build();
        assert_eq!(
            b.endpoint(),
            &docksock::Endpoint::parse(ok).unwrap(),
            "{ok}"
        );
    }
    assert!(matches!(
        Client::builder().host("unix://"),
        Err(Error::Config(_))
    ));
}

#[test]
fn blocking_connect_errors_are_actionable() {
    let dir = std::env::temp_dir().join(format!("docksock-missing-{}", std::process::id()));
    let client = Client::new(dir.join("docker.sock"));
    let err = client.ping().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no Docker socket at"), "{text}");
    assert!(text.contains("is dockerd running?"), "{text}");

    // A socket file nobody listens on: bind, then drop the listener.
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join("stale.sock");
    let _ = std::fs::remove_file(&stale);
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let err = Client::new(&stale).ping().unwrap_err();
    assert!(err.to_string().contains("stale socket"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn blocking_ping_version_info_and_negotiation() {
    let Some(docker) = daemon() else { return };
    let ping = docker.ping().unwrap();
    assert_eq!(ping.body, "OK");
    // An empty header (Podman's `Builder-Version:`) is absent, not `Some("")`.
    assert_ne!(ping.builder_version.as_deref(), Some(""));
    let daemon_api = ping.api_version.clone().expect("Api-Version header");
    let daemon_api = ApiVersion::parse(daemon_api.as_bytes()).unwrap();

    // Negotiated: the daemon's newest, capped at the client's newest.
    let negotiated = docker.api_version().unwrap();
    assert_eq!(
        negotiated,
        daemon_api.min(docksock::proto::version::MAX_SUPPORTED)
    );

    let version = docker.version().unwrap();
    assert_eq!(
        version["ApiVersion"].as_str(),
        Some(&*daemon_api.to_string())
    );
    assert!(version["MinAPIVersion"].is_string());
    let info = docker.info().unwrap();
    assert!(info["ID"].is_string(), "{info}");
    assert!(info["Containers"].is_u64());
}

#[test]
fn blocking_pinned_version_too_old_is_a_version_error() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    if engine.is_podman() {
        set_aside(
            &engine,
            "blocking_pinned_version_too_old_is_a_version_error",
            "serves any /v1.x path prefix (v1.11, v1.99): no version is refused",
        );
        return;
    }
    let old = Client::builder()
        .socket(docker.socket_path())
        .api_version(ApiVersion::new(1, 11))
        .build();
    let err = old.version().unwrap_err();
    // dockerd answers this one in text/plain, not JSON; the text names the refused version.
    match &err {
        Error::Version { message } => {
            assert!(message.contains("1.11"), "{message}");
            assert!(message.contains("too old"), "{message}");
        }
        other => panic!("expected a Version error, got {other:?}"),
    }
    let new = Client::builder()
        .socket(docker.socket_path())
        .api_version(ApiVersion::new(1, 99))
        .build();
    match new.version().unwrap_err() {
        Error::Version { message } => assert!(message.contains("too new"), "{message}"),
        other => panic!("expected a Version error, got {other:?}"),
    }
}

#[test]
fn blocking_images_list_inspect_tag_remove() {
    let Some(docker) = daemon() else { return };
    // An image of its own: a second tag on the shared test image would change what removing
    // that image means for every other test (200 Untagged instead of 409 in use).
    let own = private_image(&docker, "tagremove");
    let image = own.name.clone();
    let list = docker
        .list_images(&ListImagesOptions {
            filters: Some(docksock::Filters::new().with("reference", &image)),
            ..Default::default()
        })
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    // Podman spells the names `docker.io/docksock-test/...`.
    assert!(
        list[0]["RepoTags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| same_image_ref(t.as_str().unwrap_or(""), &image)),
        "{list:?}"
    );

    let inspected = docker.inspect_image(&image).unwrap();
    let id = inspected["Id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sha256:"));
    assert_eq!(inspected["Os"], "linux");

    let tag = format!("t{}", std::process::id());
    let repo = "docksock-test/tagged";
    docker.tag_image(&image, repo, Some(&tag)).unwrap();
    let tagged = format!("{repo}:{tag}");
    let guard = ImageGuard::new(&docker, tagged.clone());
    assert_eq!(docker.inspect_image(&tagged).unwrap()["Id"], id.as_str());
    let removed = docker
        .remove_image(&tagged, &RemoveImageOptions::default())
        .unwrap();
    let untagged = removed[0]["Untagged"].as_str().unwrap_or("");
    assert!(same_image_ref(untagged, &tagged), "{removed}");
    assert_eq!(
        removed.as_array().unwrap().len(),
        1,
        "only untagged: {removed}"
    );
    drop(guard);

    // Gone: 404, and a second remove is a 404 too.
    let err = docker.inspect_image(&tagged).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker
        .remove_image(&tagged, &RemoveImageOptions::default())
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // The original image is still there.
    assert_eq!(docker.inspect_image(&image).unwrap()["Id"], id.as_str());
}

#[test]
fn blocking_import_streams_a_tar() {
    let Some(docker) = daemon() else { return };
    let repo = "docksock-test/imported";
    let tag = format!("p{}", std::process::id());
    let name = format!("{repo}:{tag}");
    let _guard = ImageGuard::new(&docker, name.clone());
    let tar = std::fs::File::open(busybox_tar()).unwrap();
    let id = docker.import_image(tar, repo, &tag).unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    // Named as asked on every engine (Podman ignores the import's tag: the client tags the
    // image itself; the engine's own `repo:latest` goes with the image, by id).
    let _by_id = ImageGuard::new(&docker, id.clone());
    assert_eq!(docker.inspect_image(&name).unwrap()["Id"], id.as_str());

    // Not a tar: the daemon refuses it (500), an API error.
    let err = docker
        .import_image(&b"this is not a tar archive"[..], repo, "bad")
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
}

#[test]
fn blocking_export_is_a_stream() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let mut body = docker.export_image(&image).unwrap();
    let mut first = [0u8; 512];
    body.read_exact(&mut first).unwrap();
    assert_eq!(&first[257..262], b"ustar", "tar magic");
    let mut total = first.len() as u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = body.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    assert!(body.is_finished());
    // At least the busybox binary (about 2 MB) and a multiple of the tar block.
    assert!(total > 1_000_000, "{total}");
    assert_eq!(total % 512, 0, "{total}");

    let err = docker
        .export_image("docksock-test/no-such-image:x")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[test]
fn blocking_raw_request_and_invalid_params() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let resp = docker
        .request(
            "GET",
            "/images/{name}/json",
            &[("name", PathParam::Image(&image))],
            &[],
            &[("X-Docksock-Test", "1")],
            docksock::Body::empty(),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let v = resp.json().unwrap();
    assert!(v["RepoTags"].is_array());

    // Unknown path: the router's 404, as a Response (the raw call does not judge statuses).
    let resp = docker
        .request(
            "GET",
            "/no/such/path",
            &[],
            &[],
            &[],
            docksock::Body::empty(),
        )
        .unwrap();
    assert_eq!(resp.status, 404);
    let err = resp.error_for_status().unwrap_err();
    // The text after the status is the engine's own (dockerd: `page not found`).
    assert!(err.is_not_found(), "{err:?}");
    // The operation comes first: which call failed.
    let text = err.to_string();
    assert!(
        text.starts_with("GET /v1.") && text.contains("/no/such/path: the daemon answered 404: "),
        "{text}"
    );

    // Invalid input never reaches the wire.
    let err = docker.inspect_image("Not A Valid Ref").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("GET /") && text.contains("\"Not A Valid Ref\"") && text.contains("spaces"),
        "{text}"
    );
    let err = docker.inspect_image("Busybox:latest").unwrap_err();
    assert!(
        err.to_string().ends_with(
            "image reference \"Busybox:latest\" refused: repository name must be lowercase"
        ),
        "{err}"
    );
    let err = docker.inspect_container("a/b").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("must not contain `/`"), "{err}");
    assert!(!matches!(
        err,
        Error::Timeout {
            kind: TimeoutKind::Head,
            ..
        }
    ));
}

#[test]
fn blocking_client_is_shared_between_threads() {
    let Some(docker) = daemon() else { return };
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let docker = docker.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    if i % 2 == 0 {
                        assert_eq!(docker.ping().unwrap().body, "OK");
                    } else {
                        assert!(docker.version().unwrap()["ApiVersion"].is_string());
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
