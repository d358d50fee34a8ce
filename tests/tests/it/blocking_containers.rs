//! The blocking client against the real dockerd: container lifecycle (create with a name and
//! port bindings, inspect, list, start, top, restart, stop, kill, wait, remove), logs
//! (multiplexed and TTY), attach with stdin, exec, and 404/409 errors.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use docksock::{
    AttachOptions, Client, Error, ListContainersOptions, LogsOptions, Mode, RemoveContainerOptions,
    RemoveImageOptions, StreamKind, WaitOptions,
};
use docksock_tests::{
    busybox_image, daemon, private_image, set_aside, unique_name, wait_exit as wait,
    ContainerGuard, Engine,
};
use serde_json::{json, Value};

fn run_to_exit(docker: &Client, name: &str, config: &Value) -> (ContainerGuard, i64) {
    let c = ContainerGuard::create(docker, name, config);
    docker.start_container(&c.id).unwrap();
    let code = wait(docker, &c.id);
    (c, code)
}

#[test]
fn blocking_container_lifecycle() {
    let Some(docker) = daemon() else { return };
    // An image of its own, with exactly one name: removing it while the container uses it must
    // be a conflict, which no other test's tag on it may turn into an untag.
    let own = private_image(&docker, "lifecycle");
    let image = own.name.clone();
    let name = unique_name("lifecycle");
    let c = ContainerGuard::create(
        &docker,
        &name,
        &json!({
            "Image": image,
            "Cmd": ["sleep", "300"],
            "ExposedPorts": {"80/tcp": {}},
            "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": ""}]}},
            "Labels": {"docksock-test": "lifecycle"},
        }),
    );

    let inspected = docker.inspect_container(&c.id).unwrap();
    assert_eq!(inspected["Name"], format!("/{name}"));
    assert_eq!(inspected["State"]["Status"], "created");
    assert!(inspected["HostConfig"]["PortBindings"]["80/tcp"].is_array());
    // By name as well as by id.
    assert_eq!(
        docker.inspect_container(&name).unwrap()["Id"],
        c.id.as_str()
    );

    // A second container with the same name: a conflict (409; Podman: 500 + cause), and
    // nothing is created.
    let err = docker
        .create_container(Some(&name), &json!({"Image": image, "Cmd": ["true"]}))
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");

    // Listed with `all` and a name filter, not without `all` (not running yet).
    let filters = docksock::Filters::new().with("name", &name);
    let listed = docker
        .list_containers(&ListContainersOptions {
            all: true,
            filters: Some(filters.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let running = docker
        .list_containers(&ListContainersOptions {
            filters: Some(filters.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(running.as_array().unwrap().len(), 0, "{running}");

    docker.start_container(&c.id).unwrap();
    // Starting again is fine (304).
    docker.start_container(&c.id).unwrap();
    let running = docker
        .list_containers(&ListContainersOptions {
            filters: Some(filters),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(running.as_array().unwrap().len(), 1, "{running}");
    let ports = &docker.inspect_container(&c.id).unwrap()["NetworkSettings"]["Ports"]["80/tcp"];
    assert!(ports.is_array(), "port binding published: {ports}");

    let top = docker.container_top(&c.id, None).unwrap();
    let procs = top["Processes"].as_array().unwrap();
    assert!(
        procs.iter().any(|p| p.to_string().contains("sleep")),
        "{top}"
    );

    // Removing a running container without force: a conflict.
    let err = docker
        .remove_container(&c.id, &RemoveContainerOptions::default())
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    // An image in use by a container: a conflict on remove, and the image stays.
    let err = docker
        .remove_image(&image, &RemoveImageOptions::default())
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(docker.inspect_image(&image).is_ok());

    let started = docker.inspect_container(&c.id).unwrap()["State"]["StartedAt"].clone();
    docker.restart_container(&c.id, Some(1)).unwrap();
    let state = docker.inspect_container(&c.id).unwrap()["State"].clone();
    assert_eq!(state["Running"], true);
    assert_ne!(state["StartedAt"], started, "restarted");

    // kill with a signal: `sleep` as PID 1 ignores TERM-less defaults, so use KILL explicitly.
    docker.kill_container(&c.id, Some("SIGKILL")).unwrap();
    assert_eq!(wait(&docker, &c.id), 137);
    // Killing a stopped container: a conflict.
    let err = docker.kill_container(&c.id, None).unwrap_err();
    assert!(err.is_conflict(), "{err:?}");

    docker.start_container(&c.id).unwrap();
    let t0 = Instant::now();
    docker.stop_container(&c.id, Some(1)).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(
        docker.inspect_container(&c.id).unwrap()["State"]["Running"],
        false
    );

    docker
        .remove_container(
            &c.id,
            &RemoveContainerOptions {
                volumes: true,
                ..Default::default()
            },
        )
        .unwrap();
    let err = docker.inspect_container(&c.id).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker
        .remove_container(&c.id, &RemoveContainerOptions::default())
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    for err in [
        docker.start_container(&name).unwrap_err(),
        docker.stop_container(&name, None).unwrap_err(),
        docker.container_top(&name, None).unwrap_err(),
        docker
            .wait_container(&name, &WaitOptions::default())
            .unwrap_err(),
    ] {
        assert!(err.is_not_found(), "{err:?}");
    }
}

#[test]
fn blocking_wait_returns_exit_code() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let (_c, code) = run_to_exit(
        &docker,
        &unique_name("wait"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "exit 3"]}),
    );
    assert_eq!(code, 3);
}

#[test]
fn blocking_logs_demultiplexed() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let (c, code) = run_to_exit(
        &docker,
        &unique_name("logs"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "echo o1; echo e1 >&2; echo o2; echo e2 >&2"]}),
    );
    assert_eq!(code, 0);

    let chunks: Vec<(StreamKind, Vec<u8>)> = docker
        .container_logs(&c.id, &LogsOptions::default())
        .unwrap()
        .map(|c| c.map(|c| (c.stream, c.data)))
        .collect::<Result<_, _>>()
        .unwrap();
    let out = |k: StreamKind| -> Vec<u8> {
        chunks
            .iter()
            .filter(|(s, _)| *s == k)
            .flat_map(|(_, d)| d.clone())
            .collect()
    };
    assert_eq!(out(StreamKind::Stdout), b"o1\no2\n");
    assert_eq!(out(StreamKind::Stderr), b"e1\ne2\n");
    // One frame per line. (dockerd copies stdout and stderr in two goroutines, so the order
    // *between* the streams of back-to-back writes is the daemon's choice; see below.)
    assert_eq!(chunks.len(), 4, "{chunks:?}");

    // Only stderr, with timestamps.
    let out = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                stdout: false,
                timestamps: true,
                tty: Some(false),
                ..Default::default()
            },
        )
        .unwrap()
        .collect_output()
        .unwrap();
    assert!(out.stdout.is_empty());
    let text = String::from_utf8(out.stderr).unwrap();
    // `2026-11-26T21:26:22.281155420Z e1\n...`
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert!(
        lines[0].ends_with("Z e1") && lines[1].ends_with("Z e2"),
        "{text:?}"
    );

    // The last line only (tail counts lines of both streams).
    let out = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                tail: Some("1".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout.len() + out.stderr.len(), 3, "{out:?}");

    // follow on an exited container returns the backlog and ends.
    let out = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                follow: true,
                ..Default::default()
            },
        )
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout, b"o1\no2\n");

    // No stream selected: the daemon's 400.
    let err = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                stdout: false,
                stderr: false,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[test]
fn blocking_logs_interleaving_order() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    // Pauses between the writes make the order between the two streams deterministic.
    let (c, code) = run_to_exit(
        &docker,
        &unique_name("logsorder"),
        &json!({"Image": image, "Cmd": ["sh", "-c",
            "echo o1; sleep 0.2; echo e1 >&2; sleep 0.2; echo o2; sleep 0.2; echo e2 >&2"]}),
    );
    assert_eq!(code, 0);
    let mut logs = docker
        .container_logs(&c.id, &LogsOptions::default())
        .unwrap();
    let mut order = Vec::new();
    while let Some((kind, data)) = logs.next_chunk().unwrap() {
        order.push((kind, data.to_vec()));
    }
    assert_eq!(
        order,
        [
            (StreamKind::Stdout, b"o1\n".to_vec()),
            (StreamKind::Stderr, b"e1\n".to_vec()),
            (StreamKind::Stdout, b"o2\n".to_vec()),
            (StreamKind::Stderr, b"e2\n".to_vec()),
        ]
    );
}

#[test]
fn blocking_logs_follow_since_until() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("follow"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.3; done"]}),
    );
    docker.start_container(&c.id).unwrap();
    // Follow a running container: lines arrive as they are written, and the stream ends
    // when the container exits.
    let started = Instant::now();
    let mut logs = docker
        .container_logs(
            &c.id,
            &LogsOptions {
                follow: true,
                idle_timeout: docksock::Timeout::After(Duration::from_secs(10)),
                ..Default::default()
            },
        )
        .unwrap();
    let mut lines = Vec::new();
    while let Some((kind, data)) = logs.next_chunk().unwrap() {
        assert_eq!(kind, StreamKind::Stdout);
        lines.push((
            String::from_utf8_lossy(data).into_owned(),
            started.elapsed(),
        ));
    }
    let text: String = lines.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(text, "line1\nline2\nline3\n");
    // Delivered as written (about 0.3 s apart), not buffered until the end.
    let spread = lines[lines.len() - 1].1 - lines[0].1;
    assert!(spread >= Duration::from_millis(400), "{lines:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(wait(&docker, &c.id), 0);

    // since in the future and until in the past select nothing.
    for (since, until) in [(Some("4102444800"), None), (None, Some("1"))] {
        let out = docker
            .container_logs(
                &c.id,
                &LogsOptions {
                    since: since.map(str::to_owned),
                    until: until.map(str::to_owned),
                    ..Default::default()
                },
            )
            .unwrap()
            .collect_output()
            .unwrap();
        assert_eq!(
            out,
            docksock::Output::default(),
            "since {since:?} until {until:?}"
        );
    }
}

#[test]
fn blocking_tty_logs_are_raw() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let (c, code) = run_to_exit(
        &docker,
        &unique_name("ttylogs"),
        &json!({"Image": image, "Tty": true, "Cmd": ["sh", "-c", "echo hi; echo err >&2"]}),
    );
    assert_eq!(code, 0);
    // The mode comes from the container's Config.Tty (an inspect), not from the bytes.
    let logs = docker
        .container_logs(&c.id, &LogsOptions::default())
        .unwrap();
    let chunks: Vec<_> = logs.collect::<Result<_, _>>().unwrap();
    assert!(chunks.iter().all(|c| c.stream == StreamKind::Stdout));
    let all: Vec<u8> = chunks.into_iter().flat_map(|c| c.data).collect();
    // A TTY turns LF into CRLF, and stderr goes to the same terminal.
    assert_eq!(all, b"hi\r\nerr\r\n");
}

#[test]
fn blocking_attach_stdin_round_trip_and_half_close() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("attach"),
        &json!({
            "Image": image,
            "Cmd": ["cat"],
            "OpenStdin": true,
            "StdinOnce": true,
            "AttachStdin": true,
            "AttachStdout": true,
            "AttachStderr": true,
        }),
    );
    // Attach before start: the 101 comes at once; nothing is lost.
    let stream = docker
        .attach_container(&c.id, &AttachOptions::default())
        .unwrap();
    assert_eq!(stream.mode(), Mode::Multiplexed);
    docker.start_container(&c.id).unwrap();
    let mut demux = stream.demux();
    demux.get_mut().write_all(b"hello\n").unwrap();
    let mut echoed = Vec::new();
    while echoed.len() < 6 {
        let (kind, data) = demux.next_chunk().unwrap().expect("echo before EOF");
        assert_eq!(kind, StreamKind::Stdout);
        echoed.extend_from_slice(data);
    }
    assert_eq!(echoed, b"hello\n");
    demux.get_mut().write_all(b"second line\n").unwrap();
    // Half-close: cat sees EOF on stdin, exits, and the stream ends.
    demux.get_ref().close_stdin().unwrap();
    let rest = demux.collect_output().unwrap();
    assert_eq!(rest.stdout, b"second line\n");
    assert!(rest.stderr.is_empty());
    assert_eq!(wait(&docker, &c.id), 0);

    // Attaching to an unknown container: 404 (dockerd: raw text, close-delimited, on this
    // route), with the daemon's explanation.
    let err = docker
        .attach_container(
            "docksock-it-no-such-container",
            &AttachOptions {
                tty: Some(false),
                ..Default::default()
            },
        )
        .unwrap_err();
    match err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(status, 404);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocking_attach_tty_is_raw() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("attachtty"),
        &json!({
            "Image": image,
            "Cmd": ["sh", "-c", "read line; echo got:$line"],
            "Tty": true,
            "OpenStdin": true,
            "StdinOnce": true,
            "AttachStdin": true,
            "AttachStdout": true,
        }),
    );
    let mut stream = docker
        .attach_container(&c.id, &AttachOptions::default())
        .unwrap();
    assert_eq!(stream.mode(), Mode::Raw);
    docker.start_container(&c.id).unwrap();
    stream.write_all(b"abc\n").unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    // The terminal echoes the input, then the answer.
    assert!(text.contains("got:abc\r\n"), "{text:?}");
    assert_eq!(wait(&docker, &c.id), 0);
}

#[test]
fn blocking_exec_attached_detached_and_exit_code() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("exec"),
        &json!({"Image": image, "Cmd": ["sleep", "300"]}),
    );
    // Exec in a container that is not running: a conflict.
    let err = docker
        .create_exec(&c.id, &json!({"Cmd": ["true"]}))
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    docker.start_container(&c.id).unwrap();

    // Attached, with stdin and output on both streams.
    let exec = docker
        .create_exec(
            &c.id,
            &json!({
                "Cmd": ["sh", "-c", "read x; echo out:$x; echo err:$x >&2; exit 5"],
                "AttachStdin": true,
                "AttachStdout": true,
                "AttachStderr": true,
            }),
        )
        .unwrap();
    let mut stream = docker.start_exec(&exec).unwrap();
    assert_eq!(stream.mode(), Mode::Multiplexed);
    stream.write_all(b"42\n").unwrap();
    let out = stream.demux().collect_output().unwrap();
    assert_eq!(out.stdout, b"out:42\n");
    assert_eq!(out.stderr, b"err:42\n");
    let inspected = docker.inspect_exec(&exec).unwrap();
    assert_eq!(inspected["ExitCode"], 5, "{inspected}");
    assert_eq!(inspected["Running"], false);

    // Detached: poll inspect until it has run.
    let exec = docker
        .create_exec(&c.id, &json!({"Cmd": ["sh", "-c", "exit 7"]}))
        .unwrap();
    docker.start_exec_detached(&exec).unwrap();
    if engine.is_podman_before(4, 6) {
        set_aside(
            &engine,
            "blocking_exec_attached_detached_and_exit_code",
            "a detached exec never shows as finished in inspect (fixed in Podman 4.6)",
        );
    } else {
        let deadline = Instant::now() + Duration::from_secs(20);
        let inspected = loop {
            let v = docker.inspect_exec(&exec).unwrap();
            if v["Running"] == false && !v["ExitCode"].is_null() {
                break v;
            }
            assert!(Instant::now() < deadline, "exec never finished: {v}");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(inspected["ExitCode"], 7, "{inspected}");
    }

    // A TTY exec is raw.
    let exec = docker
        .create_exec(
            &c.id,
            &json!({"Cmd": ["echo", "tty"], "Tty": true, "AttachStdout": true}),
        )
        .unwrap();
    let stream = docker.start_exec(&exec).unwrap();
    assert_eq!(stream.mode(), Mode::Raw);
    let out = stream.demux().collect_output().unwrap();
    assert_eq!(out.stdout, b"tty\r\n");

    let err = docker.inspect_exec("no-such-exec").unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = docker.start_exec_detached("no-such-exec").unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
