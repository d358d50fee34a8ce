//! The mio adapter against the real dockerd, everything in this one thread: a test image
//! imported with a streamed chunked body; 50 containers created and started over pipelined
//! keep-alive connections; all their logs followed at once, every line attributed to the right
//! container and stream; an events stream open alongside; a `wait` long-poll per container
//! completing while the other streams flow. Containers and the image are removed even when the
//! test fails.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use docksock_mio::proto::encode::{BodyFraming, PathParam, RequestSpec};
use docksock_mio::proto::stdcopy::{Mode, StreamKind};
use docksock_mio::{BodyMode, Config, ConnId, Driver, Output, Request, RequestId, Timeout};

const CONTAINERS: usize = 50;
const SCRIPT: &str =
    "sleep 1; for i in 1 2 3 4 5; do echo out-$i; echo err-$i >&2; sleep 0.1; done; exit 3";

/// The daemon's socket (`DOCKER_HOST=unix://…` or `/var/run/docker.sock`), or `None` (skip)
/// when no daemon answers; with `CI` set a missing daemon fails the test.
fn socket() -> Option<PathBuf> {
    docksock_tests::daemon()?;
    let path = match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => PathBuf::from(&h["unix://".len()..]),
        Ok(h) if h.starts_with('/') => PathBuf::from(h),
        _ => PathBuf::from("/var/run/docker.sock"),
    };
    Some(path)
}

/// One request on a fresh connection, run to completion: (status, body).
fn call(socket: &PathBuf, request: &Request<'_>) -> (u16, Vec<u8>) {
    let mut driver = Driver::new().expect("driver");
    let conn = driver.connect(socket, Config::default()).expect("connect");
    let id = driver.send(conn, request).expect("send");
    let mut status = 0;
    let mut body = Vec::new();
    let mut done = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    driver
        .run_until(Some(deadline), |_, out| {
            match out {
                Output::Head { head, .. } => status = head.status(),
                Output::Data { data, .. } => body.extend_from_slice(data),
                Output::Json { message, .. } => {
                    body.extend_from_slice(message);
                    body.push(b'\n');
                }
                Output::End { id: i } if i == id => {
                    done = true;
                    return ControlFlow::Break(());
                }
                Output::Error { error, .. } => panic!("{error}"),
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .expect("run");
    assert!(done, "no complete response");
    (status, body)
}

/// Imports the busybox rootfs tar as `repo:tag` through this adapter: a chunked body streamed
/// from the file in 64 KiB pieces, respecting the write queue's bound. Where the engine ignored
/// the tag (Podman 4.3 names the image `repo:latest`), the image is tagged afterwards.
fn import_image(socket: &PathBuf, repo: &str, tag: &str) {
    use std::io::Read;
    let mut file = std::fs::File::open(docksock_tests::busybox_tar()).expect("busybox tar");
    let mut driver = Driver::new().expect("driver");
    let conn = driver.connect(socket, Config::default()).expect("connect");
    let query = [("fromSrc", "-"), ("repo", repo), ("tag", tag)];
    let spec = RequestSpec::new("POST", "/images/create")
        .query(&query)
        .headers(&[("Content-Type", "application/x-tar")])
        .body(BodyFraming::Chunked);
    let id = driver
        .send(
            conn,
            &Request::new(spec)
                .streamed_body()
                .mode(BodyMode::Json)
                .head_timeout(Timeout::After(Duration::from_secs(120))),
        )
        .expect("send import");
    let mut buf = vec![0u8; 64 * 1024];
    let (mut start, mut end) = (0, 0);
    let mut finished = false;
    let mut status = 0;
    let mut messages: Vec<serde_json::Value> = Vec::new();
    let mut ended = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ended {
        assert!(Instant::now() < deadline, "import did not finish");
        // Offer body bytes until the queue pushes back.
        while !finished {
            if start == end {
                end = file.read(&mut buf).expect("reading the tar");
                start = 0;
                if end == 0 {
                    driver.finish_body(conn, id).expect("finish body");
                    finished = true;
                    break;
                }
            }
            let n = driver
                .write_body(conn, id, &buf[start..end])
                .expect("write body");
            start += n;
            if n == 0 {
                break; // wait for WriteReady (or any progress)
            }
        }
        driver
            .poll_once(Some(Duration::from_millis(100)), |_, out| match out {
                Output::Head { head, .. } => status = head.status(),
                Output::Json { message, .. } => {
                    messages.push(serde_json::from_slice(message).expect("import JSON"))
                }
                Output::Data { data, .. } => {
                    panic!("import failed: {}", String::from_utf8_lossy(data))
                }
                Output::End { .. } => ended = true,
                Output::Error { error, .. } => panic!("import: {error}"),
                _ => {}
            })
            .expect("poll");
    }
    assert_eq!(status, 200);
    assert!(
        messages.iter().all(|m| m.get("error").is_none()),
        "{messages:?}"
    );
    let id = messages
        .iter()
        .find_map(|m| m["status"].as_str().filter(|s| s.starts_with("sha256:")))
        .unwrap_or_else(|| panic!("no image id in {messages:?}"))
        .to_owned();
    let name = format!("{repo}:{tag}");
    let params = [("name", PathParam::Image(&name))];
    let (status, _) = call(
        socket,
        &Request::new(RequestSpec::new("GET", "/images/{name}/json").params(&params)),
    );
    if status == 404 {
        let params = [("name", PathParam::Image(&id))];
        let query = [("repo", repo), ("tag", tag)];
        let spec = RequestSpec::new("POST", "/images/{name}/tag")
            .params(&params)
            .query(&query);
        let (status, body) = call(socket, &Request::new(spec));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        // Drop the engine's own name, so that the cleanup's removal of `repo:tag` removes the
        // image.
        let latest = format!("{repo}:latest");
        let params = [("name", PathParam::Image(&latest))];
        let (status, body) = call(
            socket,
            &Request::new(RequestSpec::new("DELETE", "/images/{name}").params(&params)),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    } else {
        assert_eq!(status, 200);
    }
}

/// Force-removes the containers and the image when dropped (also on panic).
struct Cleanup {
    socket: PathBuf,
    containers: Vec<String>,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let mut driver = match Driver::new() {
            Ok(d) => d,
            Err(_) => return,
        };
        let mut pending = 0;
        let force = [("force", "1"), ("v", "1")];
        for chunk in self.containers.chunks(8) {
            let Ok(conn) = driver.connect(&self.socket, Config::default()) else {
                continue;
            };
            for id in chunk {
                let params = [("id", PathParam::Plain(id))];
                let spec = RequestSpec::new("DELETE", "/containers/{id}")
                    .params(&params)
                    .query(&force);
                if driver.send(conn, &Request::new(spec)).is_ok() {
                    pending += 1;
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let _ = driver.run_until(Some(deadline), |_, out| {
            if matches!(out, Output::End { .. } | Output::Error { .. }) {
                pending -= 1;
            }
            if pending == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        let params = [("name", PathParam::Image(&self.image))];
        let spec = RequestSpec::new("DELETE", "/images/{name}")
            .params(&params)
            .query(&[("force", "1")]);
        let _ = std::panic::catch_unwind(|| call(&self.socket, &Request::new(spec)));
    }
}

/// What each request of the main phase is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Create(usize),
    Start(usize),
    Wait(usize),
    Logs(usize),
    Events,
}

fn json_str<'a>(v: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str()
}

#[test]
fn fifty_containers_logs_events_and_wait_in_one_thread() {
    let Some(socket) = socket() else {
        return;
    };
    let started = Instant::now();
    let run = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let repo = "docksock-test/mio-busybox";
    let tag = format!("run-{run}");
    let image = format!("{repo}:{tag}");
    let mut cleanup = Cleanup {
        socket: socket.clone(),
        containers: Vec::new(),
        image: image.clone(),
    };
    import_image(&socket, repo, &tag);
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 1;
    let label = format!("docksock.mio.run={run}");

    let mut driver = Driver::with_event_capacity(1024).expect("driver");
    let mut purposes: HashMap<RequestId, Purpose> = HashMap::new();
    let mut status: HashMap<RequestId, u16> = HashMap::new();
    let mut bodies: HashMap<RequestId, Vec<u8>> = HashMap::new();

    // 1. Create: 10 keep-alive connections, 5 pipelined creates each.
    let pool: Vec<ConnId> = (0..10)
        .map(|_| driver.connect(&socket, Config::default()).expect("connect"))
        .collect();
    let names: Vec<String> = (0..CONTAINERS)
        .map(|i| format!("docksock-it-mio-{run}-{i}"))
        .collect();
    for (i, name) in names.iter().enumerate() {
        let body = serde_json::json!({
            "Image": image,
            "Cmd": ["sh", "-c", SCRIPT],
            "Labels": { "docksock.mio.run": run },
            "Tty": false,
        })
        .to_string();
        let query = [("name", name.as_str())];
        let spec = RequestSpec::new("POST", "/containers/create")
            .query(&query)
            .headers(&[("Content-Type", "application/json")]);
        let id = driver
            .send(
                pool[i % pool.len()],
                &Request::new(spec).body(body.as_bytes()),
            )
            .expect("send create");
        purposes.insert(id, Purpose::Create(i));
    }
    let mut ids: Vec<Option<String>> = vec![None; CONTAINERS];
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids.iter().any(Option::is_none) {
        assert!(Instant::now() < deadline, "creates did not finish");
        let mut created = Vec::new();
        driver
            .poll_once(None, |_, out| match out {
                Output::Head { id, head } => {
                    status.insert(id, head.status());
                }
                Output::Data { id, data } => bodies.entry(id).or_default().extend_from_slice(data),
                Output::End { id } => created.push(id),
                Output::Error { id, error } => panic!("{id}: {error}"),
                Output::Closed { error } => panic!("closed: {error:?}"),
                _ => {}
            })
            .expect("poll");
        for rid in created {
            let Some(Purpose::Create(i)) = purposes.get(&rid).copied() else {
                panic!("unexpected response {rid}")
            };
            let body = bodies.remove(&rid).unwrap_or_default();
            assert_eq!(status[&rid], 201, "{}", String::from_utf8_lossy(&body));
            let v: serde_json::Value = serde_json::from_slice(&body).expect("create JSON");
            let cid = v["Id"].as_str().expect("Id").to_owned();
            cleanup.containers.push(cid.clone());
            ids[i] = Some(cid);
        }
    }
    let ids: Vec<String> = ids.into_iter().map(Option::unwrap_or_default).collect();
    let index_of: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();

    // 2. The events stream for this run's containers, and a `wait` long-poll per container
    //    (condition=next-exit, so it is registered before the start), each on its own
    //    connection.
    let filters = serde_json::json!({ "label": [label] }).to_string();
    let since_s = since.to_string();
    let events_conn = driver.connect(&socket, Config::default()).expect("connect");
    let events_query = [("since", since_s.as_str()), ("filters", filters.as_str())];
    let events_id = driver
        .send(
            events_conn,
            &Request::new(RequestSpec::new("GET", "/events").query(&events_query))
                .mode(BodyMode::Json)
                .idle_timeout(Timeout::Off),
        )
        .expect("send events");
    purposes.insert(events_id, Purpose::Events);
    let mut wait_heads = 0;
    for (i, cid) in ids.iter().enumerate() {
        let conn = driver.connect(&socket, Config::default()).expect("connect");
        let params = [("id", PathParam::Plain(cid))];
        let spec = RequestSpec::new("POST", "/containers/{id}/wait")
            .params(&params)
            .query(&[("condition", "next-exit")]);
        let id = driver
            .send(
                conn,
                &Request::new(spec)
                    .mode(BodyMode::Json)
                    .idle_timeout(Timeout::Off),
            )
            .expect("send wait");
        purposes.insert(id, Purpose::Wait(i));
    }
    // Heads of wait (and events) are flushed at once: then the waits are registered.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut early_events: Vec<serde_json::Value> = Vec::new();
    while wait_heads < CONTAINERS {
        assert!(Instant::now() < deadline, "wait heads did not arrive");
        driver
            .poll_once(None, |_, out| match out {
                Output::Head { id, head } => {
                    status.insert(id, head.status());
                    if matches!(purposes.get(&id), Some(Purpose::Wait(_))) {
                        assert_eq!(head.status(), 200);
                        wait_heads += 1;
                    }
                }
                Output::Json { message, .. } => {
                    early_events.push(serde_json::from_slice(message).expect("event JSON"))
                }
                Output::Error { id, error } => panic!("{id}: {error}"),
                Output::Closed { error } => panic!("closed: {error:?}"),
                _ => {}
            })
            .expect("poll");
    }

    // 3. Start all (pipelined on the pool); follow each container's logs once started.
    for (i, cid) in ids.iter().enumerate() {
        let params = [("id", PathParam::Plain(cid))];
        let spec = RequestSpec::new("POST", "/containers/{id}/start").params(&params);
        let id = driver
            .send(pool[i % pool.len()], &Request::new(spec))
            .expect("send start");
        purposes.insert(id, Purpose::Start(i));
    }
    let mut lines: Vec<[Vec<u8>; 2]> = vec![[Vec::new(), Vec::new()]; CONTAINERS];
    let mut logs_ended = [false; CONTAINERS];
    let mut waited: Vec<Option<serde_json::Value>> = vec![None; CONTAINERS];
    let mut events: Vec<serde_json::Value> = early_events;
    let mut waits_done_while_logs_open = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let died = events
            .iter()
            .filter(|e| json_str(e, &["Action"]) == Some("die"))
            .count();
        if logs_ended.iter().all(|&e| e) && waited.iter().all(Option::is_some) && died >= CONTAINERS
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stuck: logs ended {}/{CONTAINERS}, waits {}/{CONTAINERS}, die events {died}",
            logs_ended.iter().filter(|&&e| e).count(),
            waited.iter().filter(|w| w.is_some()).count()
        );
        let mut started_now = Vec::new();
        driver
            .poll_once(None, |_, out| {
                let Some(purpose) = out.id().and_then(|id| purposes.get(&id)).copied() else {
                    if let Output::Closed { error } = out {
                        assert_eq!(error, None, "a connection failed");
                    }
                    return;
                };
                match (purpose, out) {
                    (_, Output::Head { id, head }) => {
                        status.insert(id, head.status());
                    }
                    (Purpose::Start(i), Output::End { id }) => {
                        assert_eq!(
                            status[&id],
                            204,
                            "start: {}",
                            String::from_utf8_lossy(&bodies.remove(&id).unwrap_or_default())
                        );
                        started_now.push(i);
                    }
                    (Purpose::Logs(i), Output::Frame { stream, data, .. }) => {
                        let slot = match stream {
                            StreamKind::Stdout => 0,
                            StreamKind::Stderr => 1,
                            StreamKind::Stdin => panic!("stdin frame"),
                        };
                        lines[i][slot].extend_from_slice(data);
                    }
                    (Purpose::Logs(i), Output::End { id }) => {
                        assert_eq!(status[&id], 200);
                        logs_ended[i] = true;
                    }
                    (Purpose::Wait(i), Output::Json { message, .. }) => {
                        waited[i] = Some(serde_json::from_slice(message).expect("wait JSON"));
                        if logs_ended.iter().any(|e| !e) {
                            waits_done_while_logs_open += 1;
                        }
                    }
                    (Purpose::Events, Output::Json { message, .. }) => {
                        events.push(serde_json::from_slice(message).expect("event JSON"));
                    }
                    (_, Output::Data { id, data }) => {
                        bodies.entry(id).or_default().extend_from_slice(data)
                    }
                    (_, Output::Error { id, error }) => panic!("{purpose:?} {id}: {error}"),
                    _ => {}
                }
            })
            .expect("poll");
        for i in started_now {
            let conn = driver.connect(&socket, Config::default()).expect("connect");
            let params = [("id", PathParam::Plain(&ids[i]))];
            let query = [("follow", "1"), ("stdout", "1"), ("stderr", "1")];
            let spec = RequestSpec::new("GET", "/containers/{id}/logs")
                .params(&params)
                .query(&query);
            let id = driver
                .send(
                    conn,
                    &Request::new(spec)
                        .mode(BodyMode::Stdcopy(Mode::Multiplexed))
                        .idle_timeout(Timeout::Off),
                )
                .expect("send logs");
            purposes.insert(id, Purpose::Logs(i));
        }
    }
    // The events stream is still open: close it.
    assert!(driver
        .get(events_conn)
        .is_some_and(|c| c.outstanding() == 1));
    driver.close(events_conn);
    driver
        .poll_once(Some(Duration::ZERO), |_, _| {})
        .expect("poll");

    // Every line attributed to the right container and stream, in order.
    let want_out: Vec<String> = (1..=5).map(|i| format!("out-{i}")).collect();
    let want_err: Vec<String> = (1..=5).map(|i| format!("err-{i}")).collect();
    for (i, [out, err]) in lines.iter().enumerate() {
        let split = |b: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(b)
                .lines()
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(split(out), want_out, "container {i} stdout");
        assert_eq!(split(err), want_err, "container {i} stderr");
    }
    for (i, w) in waited.iter().enumerate() {
        let w = w.as_ref().expect("waited");
        let failed_wait = w["Error"]["Message"].as_str().filter(|m| !m.is_empty());
        if let (Some(message), Some(client)) = (failed_wait, docksock_tests::daemon()) {
            let engine = docksock_tests::Engine::of(&client);
            if engine.is_podman() {
                // Podman 4.3, loaded, sometimes answers a wait with an error body and
                // StatusCode -1; the exit code is still in the container's state.
                docksock_tests::set_aside(
                    &engine,
                    "fifty_containers_logs_events_and_wait_in_one_thread",
                    &format!(
                        "a wait answered {message:?} with StatusCode -1 instead of the exit code"
                    ),
                );
                let state = client.inspect_container(&ids[i]).expect("inspect");
                assert_eq!(state["State"]["ExitCode"], 3, "container {i}: {state}");
                continue;
            }
        }
        assert_eq!(w["StatusCode"], 3, "container {i}: {w}");
    }
    // Events: a start and a die for each container, nothing from others.
    for (i, cid) in ids.iter().enumerate() {
        for action in ["create", "start", "die"] {
            assert!(
                events
                    .iter()
                    .any(|e| json_str(e, &["Actor", "ID"]) == Some(cid)
                        && json_str(e, &["Action"]) == Some(action)),
                "container {i}: no {action} event"
            );
        }
    }
    assert!(events
        .iter()
        .all(|e| { json_str(e, &["Actor", "ID"]).is_some_and(|id| index_of.contains_key(id)) }));
    assert!(
        waits_done_while_logs_open > 0,
        "some wait completed while log streams were still open"
    );
    eprintln!(
        "mio_daemon: {CONTAINERS} containers, {} events, {waits_done_while_logs_open} waits \
         completed while logs streamed, {:.1}s",
        events.len(),
        started.elapsed().as_secs_f64()
    );
    drop(cleanup);
}

/// One operation of `docksock-api` on a fresh connection, run to completion through
/// `Driver::send_call`: (status, the head's `Api-Version`, body or JSON messages one per line).
fn run_call(
    socket: &PathBuf,
    call: &docksock_api::Call<'_>,
    version: Option<docksock_mio::proto::version::ApiVersion>,
) -> (u16, Option<String>, Vec<u8>) {
    let mut driver = Driver::new().expect("driver");
    let conn = driver.connect(socket, Config::default()).expect("connect");
    let id = driver.send_call(conn, call, version).expect("send");
    let mut status = 0;
    let mut api_version = None;
    let mut body = Vec::new();
    let mut done = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    driver
        .run_until(Some(deadline), |_, out| {
            match out {
                Output::Head { head, .. } => {
                    status = head.status();
                    api_version = head
                        .header("Api-Version")
                        .map(|v| String::from_utf8_lossy(v).into_owned());
                }
                Output::Data { data, .. } | Output::Frame { data, .. } => {
                    body.extend_from_slice(data)
                }
                Output::Json { message, .. } => {
                    body.extend_from_slice(message);
                    body.push(b'\n');
                }
                Output::End { id: i } if i == id => {
                    done = true;
                    return ControlFlow::Break(());
                }
                Output::Error { error, .. } => panic!("{} failed: {error}", call.operation().id),
                _ => {}
            }
            ControlFlow::Continue(())
        })
        .expect("run");
    assert!(done, "{}: no complete response", call.operation().id);
    (status, api_version, body)
}

/// The operations crate runs from the mio adapter as it does from the blocking client: version
/// negotiation from a `HEAD /_ping`, then the negotiated prefix on every call, JSON documents,
/// a container's whole lifecycle (create with a JSON body, start, wait, logs as stdcopy frames,
/// remove), and the operation's own notion of success (`304` for a second start).
#[test]
fn mio_runs_operations_from_the_api_crate() {
    use docksock_api::{containers, system, LogsOptions, RemoveContainerOptions, WaitOptions};

    let Some(socket) = socket() else { return };
    let Some(docker) = docksock_tests::daemon() else {
        return;
    };
    let image = docksock_tests::busybox_image(&docker);

    let (status, header, _) = run_call(&socket, &system::ping_head(), None);
    assert_eq!(status, 200);
    let version = system::negotiate(header.as_deref().map(str::as_bytes)).expect("negotiation");
    assert!(version >= docksock_mio::proto::version::MIN_SUPPORTED);
    let v = Some(version);

    let (status, _, body) = run_call(&socket, &system::version(), v);
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_slice(&body).expect("version JSON");
    assert!(info["ApiVersion"].is_string(), "{info}");

    let name = docksock_tests::unique_name("mio-api");
    let _ = docker.remove_container(
        &name,
        &RemoveContainerOptions {
            force: true,
            ..Default::default()
        },
    );
    let config =
        serde_json::json!({"Image": image, "Cmd": ["sh", "-c", "echo out; echo err >&2; exit 4"]})
            .to_string();
    let (status, _, body) = run_call(
        &socket,
        &containers::create(Some(&name), config.as_bytes()),
        v,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let created: serde_json::Value = serde_json::from_slice(&body).expect("create JSON");
    let id = created["Id"].as_str().expect("an Id").to_owned();
    let _guard = docksock_tests::ContainerGuard::new(&docker, id.clone());

    let start = containers::start(&id);
    let (status, _, _) = run_call(&socket, &start, v);
    assert!(start.operation().is_success(status), "start: {status}");
    let wait = WaitOptions::default();
    let (status, _, body) = run_call(&socket, &containers::wait(&id, &wait), v);
    assert_eq!(status, 200);
    let waited: serde_json::Value = serde_json::from_slice(&body).expect("wait JSON");
    assert_eq!(waited["StatusCode"], 4, "{waited}");
    let logs_opts = LogsOptions {
        tty: Some(false),
        ..Default::default()
    };
    let (status, _, body) = run_call(&socket, &containers::logs(&id, &logs_opts), v);
    assert_eq!(status, 200);
    let mut lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    assert_eq!(lines, [&b"err"[..], &b"out"[..]]);

    let (status, _, _) = run_call(
        &socket,
        &containers::remove(&id, &RemoveContainerOptions::default()),
        v,
    );
    assert_eq!(status, 204);
    let (status, _, _) = run_call(&socket, &containers::inspect(&id), v);
    assert_eq!(status, 404);
}
