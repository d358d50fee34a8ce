//! API version negotiation and pins against the real engine (CI runs it on docker-20.10,
//! docker-28.5 and podman-4.3): an unpinned client speaks min(the engine's `Api-Version`,
//! `MAX_SUPPORTED`); a pin (with the builder or `DOCKER_API_VERSION`) is what every request
//! carries, down to the engine's `MinAPIVersion`. That the pin reaches the engine is seen in
//! what the engine answers by version: the logs' `Content-Type` of an API 1.42+ engine.

use std::process::Command;

use docksock::api::{containers, system};
use docksock::proto::version::{MAX_SUPPORTED, MIN_SUPPORTED};
use docksock::{ApiVersion, Body, Client, Error, LogsOptions, Mode};
use docksock_tests::{busybox_image, daemon, unique_name, wait_exit, ContainerGuard, Engine};
use serde_json::json;

/// Set in the child process that checks `DOCKER_API_VERSION`.
const CHILD: &str = "DOCKSOCK_NEGOTIATION_CHILD";

/// The engine's own `Api-Version` (an unversioned ping) and its `MinAPIVersion`.
fn engine_range(docker: &Client) -> (ApiVersion, ApiVersion) {
    let resp = docker.send(&system::ping(), Body::empty(), None).unwrap();
    let max: ApiVersion = resp
        .header("Api-Version")
        .expect("the engine sends Api-Version")
        .parse()
        .unwrap();
    drop(resp);
    let version = docker.version().unwrap();
    let min: ApiVersion = version["MinAPIVersion"]
        .as_str()
        .unwrap_or("1.24")
        .parse()
        .unwrap();
    (min, max)
}

fn client_at(docker: &Client, pin: Option<ApiVersion>) -> Client {
    let builder = Client::builder().socket(docker.socket_path());
    match pin {
        Some(v) => builder.api_version(v),
        None => builder,
    }
    .build()
}

#[test]
fn blocking_negotiation_and_pins() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let (min, max) = engine_range(&docker);
    eprintln!("{engine}: API {min}..={max}");

    // Negotiated: the engine's version, capped at what this client supports.
    let negotiated = client_at(&docker, None);
    let want = max.min(MAX_SUPPORTED);
    assert_eq!(negotiated.api_version().unwrap(), want, "{engine}");

    // A container whose logs show the version the engine served (multiplexed, not a TTY).
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("negotiation"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "echo out; echo err >&2"]}),
    );
    docker.start_container(&c.id).unwrap();
    assert_eq!(wait_exit(&docker, &c.id), 0);

    let mut tried = Vec::new();
    for pin in [
        None,
        Some(ApiVersion::new(1, 41)),
        Some(ApiVersion::new(1, 24)),
    ] {
        if let Some(v) = pin {
            if v < min.max(MIN_SUPPORTED) || v > max {
                eprintln!("{engine}: pin {v} is outside the engine's {min}..={max}: not tried");
                continue;
            }
        }
        let client = client_at(&docker, pin);
        let v = client.api_version().unwrap();
        assert_eq!(v, pin.unwrap_or(want));
        tried.push(v);
        client.ping().unwrap();
        assert!(client.version().unwrap()["ApiVersion"].is_string());

        let resp = client
            .run(containers::logs(&c.id, &LogsOptions::default()))
            .unwrap();
        let content_type = resp.header("Content-Type").map(str::to_owned);
        drop(resp);
        if !engine.is_podman() && max >= containers::STREAM_TYPE_SINCE {
            // dockerd 23+ answers by the request's version: multiplexed-stream from 1.42,
            // raw-stream (for any container) before.
            let expected = if v >= containers::STREAM_TYPE_SINCE {
                containers::MULTIPLEXED_STREAM
            } else {
                containers::RAW_STREAM
            };
            assert_eq!(content_type.as_deref(), Some(expected), "{engine} at {v}");
        }
        assert_ne!(
            containers::mode_from_content_type(content_type.as_deref(), v),
            Some(Mode::Raw),
            "{engine} at {v}: a non-TTY container read as raw"
        );
        let out = client
            .container_logs(&c.id, &LogsOptions::default())
            .unwrap()
            .collect_output()
            .unwrap();
        assert_eq!(
            (out.stdout, out.stderr),
            (b"out\n".to_vec(), b"err\n".to_vec()),
            "{engine} at {v}"
        );
    }
    assert!(
        tried.contains(&ApiVersion::new(1, 41)),
        "{engine}: {tried:?}"
    );

    // Above the engine's own version, dockerd refuses the request (so the pin is in the path):
    // a version error.
    if !engine.is_podman() && max < MAX_SUPPORTED {
        let err = client_at(&docker, Some(MAX_SUPPORTED))
            .version()
            .unwrap_err();
        assert!(matches!(err, Error::Version { .. }), "{engine}: {err:?}");
    }

    // DOCKER_API_VERSION pins too (checked in a child process: the environment is the
    // process's).
    for pin in tried.iter().filter(|v| **v != want) {
        let exe = std::env::current_exe().unwrap();
        let status = Command::new(exe)
            .args([
                "blocking_negotiation::blocking_negotiation_env_pin_child",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("DOCKER_API_VERSION", pin.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "{engine}: DOCKER_API_VERSION={pin}");
    }
}

/// Run by [`blocking_negotiation_and_pins`] with `DOCKER_API_VERSION` set; does nothing
/// otherwise.
#[test]
fn blocking_negotiation_env_pin_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let pin: ApiVersion = std::env::var("DOCKER_API_VERSION")
        .unwrap()
        .parse()
        .unwrap();
    let docker = Client::from_env().unwrap();
    assert_eq!(docker.api_version().unwrap(), pin);
    docker.ping().unwrap();
    assert!(docker.version().unwrap()["ApiVersion"].is_string());
}
