//! The blocking client's calls that the daemon suite cannot run here (Swarm mode, registry-bound
//! plugin calls, cluster volumes), and answers a daemon gives only in some conditions (a pull
//! failing inside its 200 stream, a path stat header), against the scripted fault server: each
//! call writes the request line, headers and body the API describes, and reads the answer into
//! the documented result.

use std::time::Duration;

use docksock::{
    ApiVersion, BuildPruneOptions, Client, Error, ListServicesOptions, PluginPullOptions,
    PullOptions, ServiceLogsOptions, UpdateServiceOptions, UpdateSwarmOptions,
};
use docksock_tests::fault_server::{FaultServer, Step};
use serde_json::{json, Value};

fn client(server: &FaultServer) -> Client {
    Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 51))
        .head_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(5))
        .build()
}

fn json_answer(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const NO_CONTENT: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";
const EMPTY_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/// Runs `call` against a server that reads one request and writes `answer`; returns the
/// request as text.
fn exchange(answer: &[u8], call: impl FnOnce(&Client)) -> String {
    let server = FaultServer::start(vec![Step::ReadRequest, Step::write(answer)]);
    call(&client(&server));
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    String::from_utf8_lossy(&requests[0]).into_owned()
}

/// The request line, and the body (after the head; de-chunked is not needed: JSON bodies are
/// sent with a length).
fn split(request: &str) -> (&str, &str) {
    let line = request.lines().next().unwrap_or_default();
    let body = request.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (line, body)
}

fn check(answer: &[u8], line: &str, body: Option<Value>, call: impl FnOnce(&Client)) -> String {
    let request = exchange(answer, call);
    let (got_line, got_body) = split(&request);
    assert_eq!(got_line, format!("{line} HTTP/1.1"), "{request}");
    if let Some(body) = body {
        let sent: Value = serde_json::from_str(got_body)
            .unwrap_or_else(|e| panic!("{line}: body {got_body:?} is not JSON: {e}"));
        assert_eq!(sent, body, "{line}");
        assert!(
            request.contains("Content-Type: application/json\r\n"),
            "{request}"
        );
    }
    request
}

#[test]
fn blocking_wire_swarm_calls() {
    let spec = json!({"Name": "default"});
    check(
        &json_answer(r#"{"ID":"s"}"#),
        "GET /v1.51/swarm",
        None,
        |d| {
            assert_eq!(d.inspect_swarm().unwrap()["ID"], "s");
        },
    );
    check(
        &json_answer(r#""node-id""#),
        "POST /v1.51/swarm/init",
        Some(json!({"ListenAddr": "0.0.0.0:2377"})),
        |d| {
            let id = d
                .init_swarm(&json!({"ListenAddr": "0.0.0.0:2377"}))
                .unwrap();
            assert_eq!(id, "node-id");
        },
    );
    check(
        EMPTY_OK,
        "POST /v1.51/swarm/join",
        Some(json!({"JoinToken": "t"})),
        |d| d.join_swarm(&json!({"JoinToken": "t"})).unwrap(),
    );
    check(EMPTY_OK, "POST /v1.51/swarm/leave?force=1", None, |d| {
        d.leave_swarm(true).unwrap();
    });
    check(
        EMPTY_OK,
        "POST /v1.51/swarm/update?version=7&rotateWorkerToken=1",
        Some(spec.clone()),
        |d| {
            let opts = UpdateSwarmOptions {
                rotate_worker_token: true,
                ..Default::default()
            };
            d.update_swarm(7, &opts, &spec).unwrap();
        },
    );
    check(
        EMPTY_OK,
        "POST /v1.51/swarm/unlock",
        Some(json!({"UnlockKey": "k"})),
        |d| d.unlock_swarm(&json!({"UnlockKey": "k"})).unwrap(),
    );
    check(
        &json_answer(r#"{"UnlockKey":"k"}"#),
        "GET /v1.51/swarm/unlockkey",
        None,
        |d| {
            assert_eq!(d.swarm_unlock_key().unwrap()["UnlockKey"], "k");
        },
    );
    // Not a manager: the daemon's 503 is an API error with its message.
    let message =
        r#"{"message":"This node is not a swarm manager. Use \"docker swarm init\" to do so."}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{message}",
        message.len()
    );
    check(answer.as_bytes(), "GET /v1.51/swarm", None, |d| {
        match d.inspect_swarm() {
            Err(Error::Api {
                status: 503,
                message,
                ..
            }) => {
                assert!(message.contains("not a swarm manager"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn blocking_wire_nodes_services_tasks() {
    let filters = docksock::Filters::new().with("role", "manager");
    check(
        &json_answer("[]"),
        "GET /v1.51/nodes?filters=%7B%22role%22%3A%5B%22manager%22%5D%7D",
        None,
        |d| assert_eq!(d.list_nodes(Some(&filters)).unwrap(), json!([])),
    );
    check(
        &json_answer(r#"{"ID":"n1"}"#),
        "GET /v1.51/nodes/n1",
        None,
        |d| {
            assert_eq!(d.inspect_node("n1").unwrap()["ID"], "n1");
        },
    );
    check(
        EMPTY_OK,
        "POST /v1.51/nodes/n1/update?version=3",
        Some(json!({"Availability": "drain"})),
        |d| {
            d.update_node("n1", 3, &json!({"Availability": "drain"}))
                .unwrap()
        },
    );
    check(EMPTY_OK, "DELETE /v1.51/nodes/n1?force=1", None, |d| {
        d.remove_node("n1", true).unwrap();
    });

    check(
        &json_answer("[]"),
        "GET /v1.51/services?status=1",
        None,
        |d| {
            let opts = ListServicesOptions {
                status: true,
                ..Default::default()
            };
            assert_eq!(d.list_services(&opts).unwrap(), json!([]));
        },
    );
    check(
        &json_answer(r#"{"ID":"svc"}"#),
        "GET /v1.51/services/web?insertDefaults=1",
        None,
        |d| assert_eq!(d.inspect_service("web", true).unwrap()["ID"], "svc"),
    );
    let spec = json!({"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}});
    let request = check(
        &json_answer(r#"{"ID":"svc","Warnings":null}"#),
        "POST /v1.51/services/create",
        Some(spec.clone()),
        |d| assert_eq!(d.create_service(&spec, Some("e30=")).unwrap()["ID"], "svc"),
    );
    assert!(request.contains("X-Registry-Auth: e30=\r\n"), "{request}");
    check(
        &json_answer(r#"{"Warnings":[]}"#),
        "POST /v1.51/services/web/update?version=9&rollback=previous",
        Some(spec.clone()),
        |d| {
            let opts = UpdateServiceOptions {
                rollback: Some("previous".into()),
                ..Default::default()
            };
            assert_eq!(
                d.update_service("web", 9, &opts, &spec).unwrap()["Warnings"],
                json!([])
            );
        },
    );
    check(EMPTY_OK, "DELETE /v1.51/services/web", None, |d| {
        d.remove_service("web").unwrap();
    });
    let logs = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x03hi\n";
    check(
        logs,
        "GET /v1.51/services/web/logs?stdout=1&stderr=1",
        None,
        |d| {
            let opts = ServiceLogsOptions {
                tty: Some(false),
                ..Default::default()
            };
            let out = d
                .service_logs("web", &opts)
                .unwrap()
                .collect_output()
                .unwrap();
            assert_eq!(out.stdout, b"hi\n");
        },
    );

    check(&json_answer("[]"), "GET /v1.51/tasks", None, |d| {
        assert_eq!(d.list_tasks(None).unwrap(), json!([]));
    });
    check(
        &json_answer(r#"{"ID":"t1"}"#),
        "GET /v1.51/tasks/t1",
        None,
        |d| {
            assert_eq!(d.inspect_task("t1").unwrap()["ID"], "t1");
        },
    );
    check(
        logs,
        "GET /v1.51/tasks/t1/logs?stdout=1&stderr=1",
        None,
        |d| {
            let opts = ServiceLogsOptions {
                tty: Some(false),
                ..Default::default()
            };
            let out = d.task_logs("t1", &opts).unwrap().collect_output().unwrap();
            assert_eq!(out.stdout, b"hi\n");
        },
    );

    // Without `tty`, the framing the answer declares (API 1.42+) is used, and no inspect is
    // made (`check` sees exactly one request): raw bytes that would be a bad frame header, and
    // a stderr frame.
    let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\
                Content-Length: 8\r\n\r\n\x05tty hi\n";
    let mux = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\
                Content-Length: 11\r\n\r\n\x02\x00\x00\x00\x00\x00\x00\x03er\n";
    let untold = ServiceLogsOptions::default();
    for (path, answer) in [
        ("services/web", &raw[..]),
        ("services/web", &mux[..]),
        ("tasks/t1", &raw[..]),
        ("tasks/t1", &mux[..]),
    ] {
        check(
            answer,
            &format!("GET /v1.51/{path}/logs?stdout=1&stderr=1"),
            None,
            |d| {
                let logs = if path.starts_with("services") {
                    d.service_logs("web", &untold)
                } else {
                    d.task_logs("t1", &untold)
                };
                let out = logs.unwrap().collect_output().unwrap();
                if answer == raw {
                    assert_eq!(
                        (&out.stdout[..], &out.stderr[..]),
                        (&b"\x05tty hi\n"[..], &b""[..])
                    );
                } else {
                    assert_eq!((&out.stdout[..], &out.stderr[..]), (&b""[..], &b"er\n"[..]));
                }
            },
        );
    }
}

#[test]
fn blocking_wire_secrets_configs_volume_update() {
    let spec = json!({"Name": "s", "Data": "aGk="});
    let labels = json!({"Name": "s", "Labels": {"a": "b"}});
    check(&json_answer("[]"), "GET /v1.51/secrets", None, |d| {
        assert_eq!(d.list_secrets(None).unwrap(), json!([]));
    });
    check(
        &json_answer(r#"{"ID":"x"}"#),
        "GET /v1.51/secrets/x",
        None,
        |d| {
            assert_eq!(d.inspect_secret("x").unwrap()["ID"], "x");
        },
    );
    check(
        &json_answer(r#"{"ID":"x"}"#),
        "POST /v1.51/secrets/create",
        Some(spec.clone()),
        |d| assert_eq!(d.create_secret(&spec).unwrap()["ID"], "x"),
    );
    check(
        EMPTY_OK,
        "POST /v1.51/secrets/x/update?version=4",
        Some(labels.clone()),
        |d| d.update_secret("x", 4, &labels).unwrap(),
    );
    check(NO_CONTENT, "DELETE /v1.51/secrets/x", None, |d| {
        d.remove_secret("x").unwrap();
    });

    check(&json_answer("[]"), "GET /v1.51/configs", None, |d| {
        assert_eq!(d.list_configs(None).unwrap(), json!([]));
    });
    check(
        &json_answer(r#"{"ID":"c"}"#),
        "GET /v1.51/configs/c",
        None,
        |d| {
            assert_eq!(d.inspect_config("c").unwrap()["ID"], "c");
        },
    );
    check(
        &json_answer(r#"{"ID":"c"}"#),
        "POST /v1.51/configs/create",
        Some(spec.clone()),
        |d| assert_eq!(d.create_config(&spec).unwrap()["ID"], "c"),
    );
    check(
        EMPTY_OK,
        "POST /v1.51/configs/c/update?version=5",
        Some(labels.clone()),
        |d| d.update_config("c", 5, &labels).unwrap(),
    );
    check(NO_CONTENT, "DELETE /v1.51/configs/c", None, |d| {
        d.remove_config("c").unwrap();
    });

    let volume_spec = json!({"Spec": {"Availability": "pause"}});
    check(
        EMPTY_OK,
        "PUT /v1.51/volumes/cv?version=2",
        Some(volume_spec.clone()),
        |d| d.update_volume("cv", 2, &volume_spec).unwrap(),
    );
}

#[test]
fn blocking_wire_plugin_registry_calls() {
    let privileges = json!([{"Name": "network", "Description": "", "Value": ["host"]}]);
    check(
        &json_answer(&privileges.to_string()),
        "GET /v1.51/plugins/privileges?remote=vieux%2Fsshfs%3Alatest",
        None,
        |d| {
            assert_eq!(
                d.plugin_privileges("vieux/sshfs:latest").unwrap(),
                privileges
            )
        },
    );
    let progress = json_answer(
        "{\"status\":\"Downloading\"}\n{\"status\":\"Installed plugin vieux/sshfs:latest\"}\n",
    );
    let request = check(
        &progress,
        "POST /v1.51/plugins/pull?remote=vieux%2Fsshfs%3Alatest&name=sshfs",
        Some(privileges.clone()),
        |d| {
            let opts = PluginPullOptions {
                remote: "vieux/sshfs:latest".into(),
                name: Some("sshfs".into()),
                registry_auth: Some("e30=".into()),
            };
            let messages: Vec<Value> = d
                .pull_plugin(&opts, &privileges)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(messages.len(), 2);
        },
    );
    assert!(request.contains("X-Registry-Auth: e30=\r\n"), "{request}");
    check(
        &progress,
        "POST /v1.51/plugins/vieux/sshfs:latest/upgrade?remote=vieux%2Fsshfs%3Anext",
        Some(privileges.clone()),
        |d| {
            let opts = PluginPullOptions {
                remote: "vieux/sshfs:next".into(),
                ..Default::default()
            };
            let n = d
                .upgrade_plugin("vieux/sshfs:latest", &opts, &privileges)
                .unwrap()
                .count();
            assert_eq!(n, 2);
        },
    );
    // A failure inside the 200 stream is an error of the stream.
    let failed = json_answer("{\"status\":\"Preparing\"}\n{\"errorDetail\":{\"message\":\"denied\"},\"error\":\"denied\"}\n");
    check(
        &failed,
        "POST /v1.51/plugins/vieux/sshfs:latest/push",
        None,
        |d| {
            let result: Result<Vec<Value>, Error> =
                d.push_plugin("vieux/sshfs:latest", None).unwrap().collect();
            assert!(
                matches!(result, Err(Error::Stream { ref message, .. }) if message == "denied"),
                "{result:?}"
            );
        },
    );
    check(
        &json_answer(r#"{"Descriptor":{"digest":"sha256:00"},"Platforms":[]}"#),
        "GET /v1.51/distribution/registry.example/app:1/json",
        None,
        |d| {
            let v = d
                .inspect_distribution("registry.example/app:1", Some("e30="))
                .unwrap();
            assert_eq!(v["Descriptor"]["digest"], "sha256:00");
        },
    );
    check(
        &json_answer(r#"{"CachesDeleted":null,"SpaceReclaimed":0}"#),
        "POST /v1.51/build/prune?all=1",
        None,
        |d| {
            let opts = BuildPruneOptions {
                all: true,
                ..Default::default()
            };
            assert_eq!(d.prune_build_cache(&opts).unwrap()["SpaceReclaimed"], 0);
        },
    );
    // dockerd answers a plugin removal with an empty 200: `null`.
    check(
        EMPTY_OK,
        "DELETE /v1.51/plugins/p:latest?force=1",
        None,
        |d| {
            assert_eq!(d.remove_plugin("p:latest", true).unwrap(), Value::Null);
        },
    );
}

#[test]
fn blocking_wire_pull_error_in_the_stream_and_path_stat() {
    // A pull answered 200 whose stream ends with an error: the stream yields Error::Stream.
    let stream = json_answer(concat!(
        "{\"status\":\"Pulling from library/none\",\"id\":\"latest\"}\n",
        "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n"
    ));
    let request = check(
        &stream,
        "POST /v1.51/images/create?fromImage=none&tag=latest",
        None,
        |d| {
            let opts = PullOptions {
                tag: Some("latest".into()),
                registry_auth: Some("e30=".into()),
                ..Default::default()
            };
            let mut messages = d.pull_image("none", &opts).unwrap();
            assert_eq!(messages.next().unwrap().unwrap()["id"], "latest");
            match messages.next() {
                Some(Err(Error::Stream { message, .. })) => assert_eq!(message, "manifest unknown"),
                other => panic!("{other:?}"),
            }
            assert!(messages.next().is_none());
        },
    );
    assert!(request.contains("X-Registry-Auth: e30=\r\n"), "{request}");

    // The archive head: the stat decoded from its base64 header.
    let stat = r#"{"name":"hello.txt","size":5,"mode":420,"mtime":"2024-01-01T00:00:00Z","linkTarget":""}"#;
    let encoded = "eyJuYW1lIjoiaGVsbG8udHh0Iiwic2l6ZSI6NSwibW9kZSI6NDIwLCJtdGltZSI6IjIwMjQtMDEtMDFUMDA6MDA6MDBaIiwibGlua1RhcmdldCI6IiJ9";
    let answer = format!(
        "HTTP/1.1 200 OK\r\nX-Docker-Container-Path-Stat: {encoded}\r\nContent-Length: 0\r\n\r\n"
    );
    check(
        answer.as_bytes(),
        "HEAD /v1.51/containers/c1/archive?path=%2Ftmp%2Fhello.txt",
        None,
        |d| {
            let s = d.container_archive_info("c1", "/tmp/hello.txt").unwrap();
            assert_eq!(s.name, "hello.txt", "{stat}");
            assert_eq!(s.size, 5);
            assert!(s.mode.is_regular(), "{:?}", s.mode);
            assert_eq!(s.mode.permissions(), 0o644);
            assert_eq!(s.mtime, "2024-01-01T00:00:00Z");
            assert_eq!(
                s.modified(),
                Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200))
            );
            assert_eq!(s.link_target, "");
        },
    );
    // Without the header: a clear error, not a panic.
    check(
        EMPTY_OK,
        "HEAD /v1.51/containers/c1/archive?path=%2Ftmp",
        None,
        |d| match d.container_archive_info("c1", "/tmp") {
            Err(Error::Unexpected(message)) => {
                assert!(
                    message.contains("X-Docker-Container-Path-Stat"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        },
    );
}
