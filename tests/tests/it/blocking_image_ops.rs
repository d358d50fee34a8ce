//! The blocking client's image calls beyond the basics, against the real daemon: commit (a
//! container's change becomes an image that runs with the committed command), history, prune
//! by label (the report), save and load round trip (the image removed, loaded back, the same
//! id), and pull, push, search and distribution inspect refused by a registry that does not
//! answer (a local port: the suite never calls an external registry).

use std::io::Read;

use docksock::{
    Client, CommitOptions, Error, Filters, LoadOptions, LogsOptions, PullOptions, PushOptions,
    RemoveImageOptions, SaveImagesOptions, SearchOptions,
};
use docksock_tests::{
    daemon, private_image, set_aside, unique_name, wait_exit, ContainerGuard, Engine, ImageGuard,
};
use serde_json::json;

/// A registry address nothing listens on (the engine's own loopback).
const NO_REGISTRY: &str = "127.0.0.1:9";

fn run_logs(
    docker: &Client,
    name: &str,
    config: &serde_json::Value,
) -> (ContainerGuard, i64, Vec<u8>) {
    let c = ContainerGuard::create(docker, name, config);
    docker.start_container(&c.id).unwrap();
    let code = wait_exit(docker, &c.id);
    let out = docker
        .container_logs(&c.id, &LogsOptions::default())
        .unwrap()
        .collect_output()
        .unwrap();
    (c, code, out.stdout)
}

#[test]
fn blocking_commit_history_and_prune_images() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let base = private_image(&docker, "commit-base");
    let label = unique_name("commit");
    let (c, code, _) = run_logs(
        &docker,
        &unique_name("commit-src"),
        &json!({"Image": base.name, "Cmd": ["sh", "-c", "echo committed-change > /marker"]}),
    );
    assert_eq!(code, 0);

    let repo = format!("docksock-test/committed-{}", std::process::id());
    let committed_name = format!("{repo}:v1");
    let guard = ImageGuard::new(&docker, committed_name.clone());
    let opts = CommitOptions {
        repo: Some(repo.clone()),
        tag: Some("v1".into()),
        comment: Some("docksock commit test".into()),
        author: Some("docksock <test@example.invalid>".into()),
        changes: vec![
            r#"CMD ["cat", "/marker"]"#.into(),
            format!("LABEL docksock-commit={label}"),
        ],
        ..Default::default()
    };
    let answer = docker.commit_container(&c.id, &opts, None).unwrap();
    let id = answer["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("no Id: {answer}"))
        .to_owned();
    // dockerd answers `sha256:<hex>`, Podman 4.3 the bare hex.
    let hex = id.trim_start_matches("sha256:").to_owned();
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{answer}"
    );
    // A second commit, untagged (dangling) and with a label of its own, for the prune below.
    let dangling = CommitOptions {
        changes: vec![format!("LABEL docksock-dangling={label}")],
        ..Default::default()
    };
    let answer = docker.commit_container(&c.id, &dangling, None).unwrap();
    let dangling_hex = answer["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("no Id: {answer}"))
        .trim_start_matches("sha256:")
        .to_owned();
    let dangling_guard = ImageGuard::new(&docker, format!("sha256:{dangling_hex}"));
    drop(c);

    let inspected = docker.inspect_image(&committed_name).unwrap();
    assert_eq!(inspected["Id"], format!("sha256:{hex}"), "{inspected}");
    assert_eq!(inspected["Comment"], "docksock commit test", "{inspected}");
    assert_eq!(
        inspected["Config"]["Cmd"],
        json!(["cat", "/marker"]),
        "{inspected}"
    );
    assert_eq!(
        inspected["Config"]["Labels"]["docksock-commit"],
        label.as_str()
    );

    // The committed change is in the image: a container of it, with the committed command.
    let (run, code, stdout) = run_logs(
        &docker,
        &unique_name("commit-run"),
        &json!({"Image": committed_name}),
    );
    assert_eq!(code, 0);
    assert_eq!(stdout, b"committed-change\n");
    drop(run);

    // History: the committed layer on top of the imported one, newest first.
    let history = docker.image_history(&committed_name, None).unwrap();
    let layers = history.as_array().unwrap_or_else(|| panic!("{history}"));
    assert!(layers.len() >= 2, "{history}");
    assert!(layers[0]["Created"].is_i64(), "{history}");
    assert!(layers[0]["Size"].is_i64(), "{history}");
    let err = docker
        .image_history("docksock-test/no-such-image:none", None)
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Prune by label: the dangling image goes, nothing else.
    let filters = Filters::new().with("label", &format!("docksock-dangling={label}"));
    let report = docker.prune_images(Some(&filters)).unwrap();
    let deleted = report["ImagesDeleted"]
        .as_array()
        .unwrap_or_else(|| panic!("no ImagesDeleted array: {report}"));
    assert!(
        deleted.iter().any(|d| d["Deleted"]
            .as_str()
            .is_some_and(|x| x.contains(&dangling_hex))),
        "{report}"
    );
    assert!(report["SpaceReclaimed"].is_u64(), "{report}");
    // By `sha256:<hex>`: Podman takes a bare 64-digit hex for a name and refuses it (500).
    let err = docker
        .inspect_image(&format!("sha256:{dangling_hex}"))
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    docker.inspect_image(&committed_name).unwrap();
    docker.inspect_image(&base.name).unwrap();
    drop(dangling_guard);

    // Tagged images too (`dangling=false`, `docker image prune -a`): the committed one goes.
    let filters = Filters::new()
        .with("dangling", "false")
        .with("label", &format!("docksock-commit={label}"));
    match docker.prune_images(Some(&filters)) {
        Ok(report) => {
            let deleted = report["ImagesDeleted"]
                .as_array()
                .unwrap_or_else(|| panic!("no ImagesDeleted array: {report}"));
            assert!(
                deleted.iter().any(|d| {
                    d["Deleted"].as_str().is_some_and(|x| x.contains(&hex))
                        || d["Untagged"].as_str().is_some_and(|x| x.contains(&repo))
                }),
                "{report}"
            );
            let err = docker.inspect_image(&format!("sha256:{hex}")).unwrap_err();
            assert!(err.is_not_found(), "{err:?}");
        }
        Err(Error::Api {
            status: 500,
            message,
            ..
        }) if engine.is_podman() && message.contains("dangling") => {
            set_aside(
                &engine,
                "blocking_commit_history_and_prune_images",
                "POST /images/prune refuses a dangling=false filter (it adds dangling=true \
                 itself): tagged images cannot be pruned",
            );
        }
        Err(e) => panic!("prune with dangling=false: {e:?}"),
    }
    // The base image has no such label: still there.
    docker.inspect_image(&base.name).unwrap();
    drop(guard);
}

#[test]
fn blocking_save_and_load_round_trip() {
    let Some(docker) = daemon() else { return };
    let own = private_image(&docker, "save-load");
    let id = docker.inspect_image(&own.name).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut tar = Vec::new();
    docker
        .save_images(&SaveImagesOptions {
            names: vec![own.name.clone()],
            ..Default::default()
        })
        .unwrap()
        .read_to_end(&mut tar)
        .unwrap();
    assert!(tar.len() > 1024, "a {}-byte image tar", tar.len());

    docker
        .remove_image(
            &own.name,
            &RemoveImageOptions {
                force: true,
                noprune: false,
            },
        )
        .unwrap();
    assert!(docker.inspect_image(&own.name).unwrap_err().is_not_found());

    let messages: Vec<serde_json::Value> = docker
        .load_images(&tar[..], &LoadOptions::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let text = messages
        .iter()
        .filter_map(|m| m["stream"].as_str())
        .collect::<String>();
    assert!(text.contains("Loaded image"), "{messages:?}");
    let loaded = docker.inspect_image(&own.name).unwrap();
    assert_eq!(loaded["Id"], id.as_str(), "{loaded}");

    // Not an image tar: refused, in the status or in the stream.
    let refused = docker
        .load_images(&b"not a tar at all"[..], &LoadOptions::default())
        .and_then(|messages| messages.collect::<Result<Vec<_>, _>>());
    assert!(
        matches!(refused, Err(Error::Api { .. } | Error::Stream { .. })),
        "{refused:?}"
    );
    let err = docker
        .save_images(&SaveImagesOptions {
            names: vec!["docksock-test/no-such-image:none".into()],
            ..Default::default()
        })
        .and_then(|mut body| {
            let mut sink = Vec::new();
            body.read_to_end(&mut sink)
                .map_err(|e| Error::from_io("reading the save", e))
        })
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
}

/// True when the error is the daemon's refusal (before or inside the stream) that names the
/// unreachable registry.
fn refused_by_registry(err: &Error) -> bool {
    match err {
        Error::Api { message, .. } | Error::Stream { message, .. } => message.contains(NO_REGISTRY),
        _ => false,
    }
}

#[test]
fn blocking_registry_calls_refused_by_an_unreachable_registry() {
    let Some(docker) = daemon() else { return };

    // Pull: a 4xx/5xx before the stream, or an in-band error in a 200 stream (Podman).
    let image = format!("{NO_REGISTRY}/docksock/none");
    let pulled = docker
        .pull_image(
            &image,
            &PullOptions {
                tag: Some("latest".into()),
                ..Default::default()
            },
        )
        .and_then(|messages| messages.collect::<Result<Vec<_>, _>>());
    match pulled {
        Err(e) => assert!(refused_by_registry(&e), "{e:?}"),
        Ok(messages) => panic!("pulled from nowhere: {messages:?}"),
    }

    // Push: an image tagged for that registry, with the `{}` auth the daemon requires.
    let own = private_image(&docker, "push");
    let target = format!("{NO_REGISTRY}/docksock/push-{}", std::process::id());
    docker.tag_image(&own.name, &target, Some("v1")).unwrap();
    let _tagged = ImageGuard::new(&docker, format!("{target}:v1"));
    let pushed = docker
        .push_image(
            &target,
            "e30=",
            &PushOptions {
                tag: Some("v1".into()),
                ..Default::default()
            },
        )
        .and_then(|messages| messages.collect::<Result<Vec<_>, _>>());
    match pushed {
        Err(e) => assert!(refused_by_registry(&e), "{e:?}"),
        Ok(messages) => panic!("pushed to nowhere: {messages:?}"),
    }

    // Search of that registry: the daemon asks it, and fails.
    let err = docker
        .search_images(
            &format!("{NO_REGISTRY}/docksock"),
            &SearchOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    eprintln!(
        "\n\
         ************************************************************************\n\
         *** SKIPPED: image search of Docker Hub (the suite calls no external registry)\n\
         ************************************************************************\n"
    );

    // Distribution inspect: the registry is asked for the manifest.
    let err = docker
        .inspect_distribution(&format!("{image}:latest"), None)
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
}
