//! The framing of logs, attach and exec start against the real engine, for a TTY and a non-TTY
//! container: from API 1.42 the engine declares it in the `Content-Type` (Docker 23+), which the
//! client then uses without an inspect; before (Docker 20.10, Podman 4.3 at API 1.41) it declares
//! nothing a client can rely on and the container's or exec's `Tty` decides.

use std::io::Read;

use docksock::{AttachOptions, Client, LogsOptions, Mode};
use docksock_api::containers::{self, mode_from_content_type, STREAM_TYPE_SINCE};
use docksock_tests::{busybox_image, daemon, unique_name, wait_exit, ContainerGuard};
use serde_json::json;

/// Whether requests at this client's version get a declared framing.
fn declares(docker: &Client) -> bool {
    docker.api_version().unwrap() >= STREAM_TYPE_SINCE
}

#[test]
fn blocking_stream_type_logs_and_attach_tty_and_not() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let declares = declares(&docker);
    for tty in [false, true] {
        let want = containers::mode_for_tty(tty);
        let c = ContainerGuard::create(
            &docker,
            &unique_name(if tty { "streamtype-tty" } else { "streamtype" }),
            &json!({
                "Image": image,
                "Cmd": ["sh", "-c", "echo out; echo err >&2"],
                "Tty": tty,
                "AttachStdout": true,
                "AttachStderr": true,
            }),
        );
        // Attach before start: the engine's 101 says the framing from 1.42.
        let mut attached = docker
            .attach_container(&c.id, &AttachOptions::default())
            .unwrap();
        assert_eq!(attached.mode(), want, "tty {tty}");
        if declares {
            assert_eq!(attached.declared_mode(), Some(want), "tty {tty}");
        } else {
            assert_eq!(attached.declared_mode(), None, "tty {tty}");
        }
        docker.start_container(&c.id).unwrap();
        let out = if tty {
            let mut all = Vec::new();
            attached.read_to_end(&mut all).unwrap();
            all
        } else {
            let out = attached.demux().collect_output().unwrap();
            assert_eq!(out.stderr, b"err\n");
            out.stdout
        };
        if tty {
            assert_eq!(out, b"out\r\nerr\r\n");
        } else {
            assert_eq!(out, b"out\n");
        }
        assert_eq!(wait_exit(&docker, &c.id), 0);

        // Logs: the Content-Type as sent, and the client's reading of it.
        let resp = docker
            .run(containers::logs(&c.id, &LogsOptions::default()))
            .unwrap();
        let declared =
            mode_from_content_type(resp.header("Content-Type"), docker.api_version().unwrap());
        drop(resp);
        if declares {
            assert_eq!(declared, Some(want), "tty {tty}");
        } else {
            // Never a wrong framing; at 1.41 dockerd sends no type on logs.
            assert!(declared.is_none() || declared == Some(want), "tty {tty}");
        }
        let out = docker
            .container_logs(&c.id, &LogsOptions::default())
            .unwrap()
            .collect_output()
            .unwrap();
        if tty {
            assert_eq!(out.stdout, b"out\r\nerr\r\n");
        } else {
            assert_eq!(
                (out.stdout, out.stderr),
                (b"out\n".to_vec(), b"err\n".to_vec())
            );
        }
    }
}

#[test]
fn blocking_stream_type_exec_tty_and_not() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let declares = declares(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("streamtype-exec"),
        &json!({"Image": image, "Cmd": ["sleep", "300"]}),
    );
    docker.start_container(&c.id).unwrap();
    for tty in [false, true] {
        let want = containers::mode_for_tty(tty);
        let exec = docker
            .create_exec(
                &c.id,
                &json!({"Cmd": ["sh", "-c", "echo out; echo err >&2"], "Tty": tty,
                        "AttachStdout": true, "AttachStderr": true}),
            )
            .unwrap();
        let started = docker.start_exec(&exec).unwrap();
        assert_eq!(started.mode(), want, "tty {tty}");
        if declares {
            assert_eq!(started.declared_mode(), Some(want), "tty {tty}");
        } else {
            assert_eq!(started.declared_mode(), None, "tty {tty}");
        }
        let out = started.demux().collect_output().unwrap();
        if tty {
            assert_eq!(out.stdout, b"out\r\nerr\r\n");
        } else {
            assert_eq!(
                (out.stdout, out.stderr),
                (b"out\n".to_vec(), b"err\n".to_vec())
            );
        }
    }
    // An exec this client did not create: asked with an inspect, still the right framing.
    let exec = docker
        .create_exec(
            &c.id,
            &json!({"Cmd": ["echo", "tty"], "Tty": true, "AttachStdout": true}),
        )
        .unwrap();
    let other = Client::builder_from_env().unwrap().build();
    let started = other.start_exec(&exec).unwrap();
    assert_eq!(started.mode(), Mode::Raw);
    assert_eq!(started.demux().collect_output().unwrap().stdout, b"tty\r\n");
}
