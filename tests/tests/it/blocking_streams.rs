//! The blocking client against the real dockerd: events, stats, build (with a `RUN` step, and
//! an in-band failure), and a 1 GiB import streamed in constant memory.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use docksock::{BuildOptions, Error, EventsOptions, LogsOptions};
use docksock_tests::tar::{TarBuilder, ZeroFileTar};
use docksock_tests::{
    busybox_image, daemon, set_aside, unique_name, wait_exit as wait, ContainerGuard, Engine,
    ImageGuard, PeakRss,
};
use serde_json::{json, Value};

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

#[test]
fn blocking_events_for_a_container_lifecycle() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let since = unix_now().saturating_sub(1);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("events"),
        &json!({"Image": image, "Cmd": ["sh", "-c", "exit 4"]}),
    );
    docker.start_container(&c.id).unwrap();
    assert_eq!(wait(&docker, &c.id), 4);
    // `until` one second ahead: the daemon replays the backlog, holds the stream open until
    // then, and ends it.
    let until = unix_now() + 1;
    let started = Instant::now();
    let events = docker
        .events(&EventsOptions {
            since: Some(since.to_string()),
            until: Some(until.to_string()),
            filters: Some(
                docksock::Filters::new()
                    .with("type", "container")
                    .with("container", &c.id),
            ),
        })
        .unwrap();
    let events: Vec<Value> = events.collect::<Result<_, _>>().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let actions: Vec<&str> = events
        .iter()
        .map(|e| {
            assert_eq!(e["Actor"]["ID"], c.id.as_str(), "{e}");
            e["Action"].as_str().unwrap()
        })
        .collect();
    let lifecycle: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| matches!(*a, "create" | "start" | "die"))
        .collect();
    assert_eq!(lifecycle, ["create", "start", "die"], "{actions:?}");
    let die = events.iter().find(|e| e["Action"] == "die").unwrap();
    assert_eq!(die["Actor"]["Attributes"]["exitCode"], "4", "{die}");

    // A bad time is the daemon's error, before the stream starts.
    let engine = Engine::of(&docker);
    if engine.is_podman() {
        set_aside(
            &engine,
            "blocking_events_for_a_container_lifecycle",
            "`events?since=garbage` is answered 200 with an empty stream, not an error",
        );
    } else {
        let err = docker
            .events(&EventsOptions {
                since: Some("notatime".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(matches!(err, Error::Api { .. }), "{err:?}");
    }
}

#[test]
fn blocking_stats_one_shot_and_stream() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let c = ContainerGuard::create(
        &docker,
        &unique_name("stats"),
        &json!({"Image": image, "Cmd": ["sleep", "300"]}),
    );
    docker.start_container(&c.id).unwrap();

    let one = docker.stats(&c.id).unwrap();
    assert!(one["read"].is_string(), "{one}");
    assert!(one["memory_stats"].is_object(), "{one}");
    assert!(
        one["cpu_stats"]["cpu_usage"]["total_usage"].is_u64(),
        "{one}"
    );

    let mut stream = docker.stats_stream(&c.id).unwrap();
    let first = stream.next().unwrap().unwrap();
    let second = stream.next().unwrap().unwrap();
    assert!(first["read"].is_string() && second["read"].is_string());
    assert_ne!(first["read"], second["read"], "two distinct samples");
    drop(stream); // stops the stream (closes the connection)

    // The client is still fine after dropping an open stream.
    assert_eq!(
        docker.inspect_container(&c.id).unwrap()["State"]["Running"],
        true
    );
    let err = docker.stats("docksock-it-no-such-container").unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // A stopped container: dockerd answers a sample (of zeros), Podman an empty body, which
    // the client reports as such, never as a JSON parse error.
    docker.kill_container(&c.id, Some("SIGKILL")).unwrap();
    assert_eq!(wait(&docker, &c.id), 137);
    match docker.stats(&c.id) {
        Ok(sample) => assert!(sample.is_object(), "{sample}"),
        Err(Error::Unexpected(message)) => {
            assert!(message.contains("is the container running?"), "{message}")
        }
        Err(other) => panic!("stats of a stopped container: {other:?}"),
    }
}

#[test]
fn blocking_build_with_run_step() {
    let Some(docker) = daemon() else { return };
    let image = busybox_image(&docker);
    let tag = format!("docksock-test/built:{}", std::process::id());
    let _image_guard = ImageGuard::new(&docker, tag.clone());
    let dockerfile = format!("FROM {image}\nRUN echo built > /built\n");
    let context = TarBuilder::new()
        .file("Dockerfile", dockerfile.as_bytes())
        .file("unused.txt", b"context files travel too\n")
        .finish();
    let messages = docker
        .build_image(
            &context[..],
            &BuildOptions {
                tag: Some(tag.clone()),
                forcerm: true,
                ..Default::default()
            },
        )
        .unwrap();
    let messages: Vec<Value> = messages.collect::<Result<_, _>>().unwrap();
    let text: String = messages
        .iter()
        .filter_map(|m| m["stream"].as_str())
        .collect();
    // The builder reports the step it runs (dockerd: `Step 2/2 : RUN ...`, Podman:
    // `STEP 2/2: RUN ...`) and the tag.
    assert!(
        text.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("step 2/2")
                && l.ends_with("RUN echo built > /built")),
        "{text}"
    );
    assert!(text.contains("Successfully tagged"), "{text}");
    let id = messages
        .iter()
        .find_map(|m| m["aux"]["ID"].as_str())
        .expect("aux ID message");
    assert_eq!(docker.inspect_image(&tag).unwrap()["Id"], id);

    // The RUN step's result is in the image.
    let c = ContainerGuard::create(
        &docker,
        &unique_name("built"),
        &json!({"Image": tag, "Cmd": ["cat", "/built"]}),
    );
    docker.start_container(&c.id).unwrap();
    assert_eq!(wait(&docker, &c.id), 0);
    let out = docker
        .container_logs(&c.id, &LogsOptions::default())
        .unwrap()
        .collect_output()
        .unwrap();
    assert_eq!(out.stdout, b"built\n");
}

#[test]
fn blocking_build_errors() {
    let Some(docker) = daemon() else { return };
    let engine = Engine::of(&docker);
    let image = busybox_image(&docker);

    // A failing RUN: HTTP 200, then an in-band errorDetail.
    let context = TarBuilder::new()
        .file(
            "Dockerfile",
            format!("FROM {image}\nRUN exit 3\n").as_bytes(),
        )
        .finish();
    let messages = docker
        .build_image(
            &context[..],
            &BuildOptions {
                forcerm: true,
                ..Default::default()
            },
        )
        .unwrap();
    let mut seen_step = false;
    let mut failure = None;
    for m in messages {
        match m {
            Ok(m) => {
                seen_step |= m["stream"]
                    .as_str()
                    .is_some_and(|s| s.contains("RUN exit 3"))
            }
            Err(e) => failure = Some(e),
        }
    }
    assert!(seen_step);
    // The failure names the exit code (dockerd: `... returned a non-zero code: 3`, Podman:
    // `... exit status 3`).
    match failure {
        Some(Error::Stream { message, .. }) => {
            assert!(message.trim_end().ends_with('3'), "{message}")
        }
        other => panic!("expected an in-band Stream error, got {other:?}"),
    }

    // No Dockerfile: a failed build that says so. dockerd refuses it with a status before the
    // stream starts; Podman starts the stream (200) and reports it in-band.
    let no_dockerfile = TarBuilder::new()
        .file("README", b"no Dockerfile here")
        .finish();
    let err = match docker.build_image(&no_dockerfile[..], &BuildOptions::default()) {
        Err(e) => e,
        Ok(messages) => messages
            .filter_map(Result::err)
            .next()
            .expect("a build without a Dockerfile fails"),
    };
    match &err {
        Error::Api { status, .. } => assert!(*status >= 400, "{err:?}"),
        Error::Stream { .. } => assert!(engine.is_podman(), "{err:?}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("Dockerfile"), "{err}");
}

#[test]
fn blocking_import_1gib_in_constant_memory() {
    let Some(docker) = daemon() else { return };
    const SIZE: u64 = 1 << 30;
    let repo = "docksock-test/big";
    let tag = format!("p{}", std::process::id());
    let _guard = ImageGuard::new(&docker, format!("{repo}:{tag}"));
    let tar = ZeroFileTar::new("zeros.bin", SIZE);
    let streamed = tar.len();

    // Peak RSS from here on, measured so that earlier tests in this process do not count and
    // a kernel that will not reset the peak cannot make the check pass blind.
    let peak = PeakRss::start();
    let started = Instant::now();
    let id = docker.import_image(tar, repo, &tag).unwrap();
    let elapsed = started.elapsed();
    // By id as well: Podman ignores the import's tag (it names the image `repo:latest`).
    let _by_id = ImageGuard::new(&docker, id.clone());
    let growth = peak.finish();
    let delta_kib = growth.kib;
    eprintln!(
        "1 GiB import: {streamed} bytes streamed in {:.1} s; peak RSS +{delta_kib} KiB \
         ({:.1} MiB; VmHWM: {:?} KiB, sampled VmRSS: +{} KiB)",
        elapsed.as_secs_f64(),
        delta_kib as f64 / 1024.0,
        growth.hwm_kib,
        growth.sampled_kib,
    );
    assert!(id.starts_with("sha256:"), "{id}");
    let size = docker.inspect_image(&id).unwrap()["Size"].as_u64().unwrap();
    assert!(size >= SIZE, "image size {size}");
    assert!(
        delta_kib < 64 * 1024,
        "peak RSS grew by {delta_kib} KiB while streaming 1 GiB"
    );
}
