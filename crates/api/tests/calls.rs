//! Every call function, encoded: request lines, query names checked against the API
//! description (`spec/api-v1.51.json`), headers, body framing, hijacks, timeouts, refusals.

use std::collections::{BTreeMap, BTreeSet};

use docksock_api::{
    configs, containers, distribution, exec, images, networks, nodes, plugins, secrets, services,
    swarm, system, tasks, volumes, Call, CallBody, Filters, RequestBody, ALL,
};
use docksock_proto::timeout::Timeout;
use docksock_proto::version::ApiVersion;

mod support;

use support::{every_call, full, s};

/// The parameters of one described operation, by where they go.
#[derive(Default, Debug)]
struct Params {
    route: (String, String),
    path: BTreeSet<String>,
    query: BTreeSet<String>,
    header: BTreeSet<String>,
}

fn described_params() -> BTreeMap<String, Params> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/api-v1.51.json"))
        .expect("spec/api-v1.51.json");
    let spec: serde_json::Value = serde_json::from_str(&text).expect("the description is JSON");
    let mut out = BTreeMap::new();
    for (route, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(id) = op.get("operationId").and_then(|v| v.as_str()) else {
                continue;
            };
            let mut params = Params {
                route: (method.to_uppercase(), route.clone()),
                ..Params::default()
            };
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("name").to_owned();
                match p["in"].as_str() {
                    Some("path") => params.path.insert(name),
                    Some("query") => params.query.insert(name),
                    Some("header") => params.header.insert(name.to_ascii_lowercase()),
                    _ => false,
                };
            }
            out.insert(id.to_owned(), params);
        }
    }
    out
}

/// Headers the daemon reads that the description does not list for these operations.
const UNDESCRIBED_HEADERS: &[(&str, &str)] = &[
    ("PluginPush", "x-registry-auth"),
    ("DistributionInspect", "x-registry-auth"),
];

fn wire(call: &Call<'_>) -> String {
    let mut out = Vec::new();
    call.with_spec(Some(ApiVersion::new(1, 51)), |spec| {
        spec.encode_vec(&mut out)
    })
    .unwrap_or_else(|e| panic!("{} does not encode: {e}", call.operation().id));
    String::from_utf8(out).expect("ASCII")
}

fn request_line(call: &Call<'_>) -> String {
    wire(call).lines().next().unwrap_or_default().to_owned()
}

fn refused(call: &Call<'_>) -> bool {
    let mut out = Vec::new();
    call.with_spec(None, |spec| spec.encode_vec(&mut out))
        .is_err()
}

#[test]
fn every_operation_has_a_call_and_every_call_encodes() {
    let o = full();
    let calls = every_call(&o);
    let called: BTreeSet<&str> = calls.iter().map(|c| c.operation().id).collect();
    let defined: BTreeSet<&str> = ALL.iter().map(|op| op.id).collect();
    assert_eq!(called, defined);
    for call in &calls {
        let op = call.operation();
        let w = wire(call);
        let expected = format!("{} /v1.51", op.method);
        assert!(w.starts_with(&expected), "{}: {w}", op.id);
    }
}

#[test]
fn query_names_headers_and_path_parameters_are_the_descriptions() {
    let described = described_params();
    let o = full();
    for call in every_call(&o) {
        let id = call.operation().id;
        let params = &described[id];
        // Second definitions of an id (images::PULL, exec::START_DETACHED) too.
        assert_eq!(
            (call.method().to_owned(), call.path().to_owned()),
            params.route,
            "{id}"
        );
        for (key, _) in call.query_pairs() {
            assert!(
                params.query.contains(*key),
                "{id}: query {key:?} is not one of {:?}",
                params.query
            );
        }
        for (name, _) in call.headers() {
            let name = name.to_ascii_lowercase();
            assert!(
                params.header.contains(&name) || UNDESCRIBED_HEADERS.contains(&(id, name.as_str())),
                "{id}: header {name:?} is not one of {:?}",
                params.header
            );
        }
        let path: BTreeSet<String> = call
            .path_params()
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        assert_eq!(path, params.path, "{id}: path parameters");
    }
}

#[test]
fn every_option_reaches_the_query() {
    // With every option set, every query parameter the description lists is sent, but those
    // an existing call signature leaves to `.query(…)` (documented on each call).
    let left_to_query: &[(&str, &str)] = &[
        ("ContainerCreate", "platform"),
        ("ContainerInspect", "size"),
        ("ContainerStart", "detachKeys"),
        ("ContainerStop", "signal"),
        ("ContainerRestart", "signal"),
        ("ContainerStats", "one-shot"),
        ("ImageInspect", "manifests"),
        ("ImageInspect", "platform"),
        ("ImageGet", "platform"),
        ("ImageDelete", "platforms"),
        // The import's; pull and import send the others.
        ("ImageCreate", "message"),
        ("ImageCreate", "changes"),
        // A build with `remote` sends no context; the full options upload one.
        ("ImageBuild", "remote"),
    ];
    let described = described_params();
    let o = full();
    let mut sent: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let calls = every_call(&o);
    for call in &calls {
        let keys = sent.entry(call.operation().id).or_default();
        keys.extend(call.query_pairs().iter().map(|(k, _)| *k));
    }
    for (id, keys) in &sent {
        for name in &described[*id].query {
            assert!(
                keys.contains(name.as_str()) || left_to_query.contains(&(id, name.as_str())),
                "{id}: query parameter {name:?} has no option"
            );
        }
    }
}

#[test]
fn bodies_match_what_the_operation_sends() {
    let o = full();
    for call in every_call(&o) {
        let op = call.operation();
        match (op.request, call.body_ref()) {
            (RequestBody::None, CallBody::None) => {}
            (RequestBody::Json, CallBody::Bytes { content_type, .. }) => {
                assert_eq!(*content_type, "application/json", "{}", op.id);
            }
            (RequestBody::Tar, CallBody::Stream { content_type }) => {
                assert_eq!(*content_type, "application/x-tar", "{}", op.id);
            }
            (kind, body) => panic!("{}: {kind:?} operation with {body:?}", op.id),
        }
    }
}

#[test]
fn request_lines_per_module() {
    let o = full();
    let load = docksock_api::LoadOptions::default();
    let attach = docksock_api::AttachOptions::default();
    let task_logs = docksock_api::ServiceLogsOptions::default();
    let cases: Vec<(Call<'_>, &str)> = vec![
        (system::df(&o.df), "GET /v1.51/system/df?type=image&type=volume"),
        (system::auth(&b"{}"[..]), "POST /v1.51/auth"),
        (
            images::pull("busybox", &o.pull),
            "POST /v1.51/images/create?fromImage=busybox&tag=1.36&platform=linux%2Farm64",
        ),
        (
            images::push("localhost:5000/me/app", "e30=", &o.push),
            "POST /v1.51/images/localhost:5000/me/app/push?tag=v1&platform=%7B%22os%22%3A%22linux%22%7D",
        ),
        (
            images::save(&o.save),
            "GET /v1.51/images/get?names=busybox&names=alpine%3A3&platform=%7B%22os%22%3A%22linux%22%7D",
        ),
        (images::load(&load), "POST /v1.51/images/load"),
        (
            images::history("busybox", None),
            "GET /v1.51/images/busybox/history",
        ),
        (
            images::search("nginx", &o.search),
            "GET /v1.51/images/search?term=nginx&limit=5&filters=%7B%22is-official%22%3A%5B%22true%22%5D%7D",
        ),
        (
            images::commit("web", &o.commit, &b""[..]),
            "POST /v1.51/commit?container=web&repo=me%2Fapp&tag=v1&comment=a%20b&author=Jane&pause=0&changes=ENV%20A%3D1&changes=CMD%20%5B%22sh%22%5D",
        ),
        (
            images::build_prune(&o.build_prune),
            "POST /v1.51/build/prune?keep-storage=1&reserved-space=2&max-used-space=3&min-free-space=4&all=1&filters=%7B%22until%22%3A%5B%2224h%22%5D%7D",
        ),
        (images::prune(None), "POST /v1.51/images/prune"),
        (
            containers::archive("web", "/etc/hosts"),
            "GET /v1.51/containers/web/archive?path=%2Fetc%2Fhosts",
        ),
        (
            containers::archive_info("web", "/"),
            "HEAD /v1.51/containers/web/archive?path=%2F",
        ),
        (
            containers::put_archive("web", "/tmp", &o.put_archive),
            "PUT /v1.51/containers/web/archive?path=%2Ftmp&noOverwriteDirNonDir=1&copyUIDGID=1",
        ),
        (
            containers::rename("web", "web 2"),
            "POST /v1.51/containers/web/rename?name=web%202",
        ),
        (
            containers::resize("web", 24, 80),
            "POST /v1.51/containers/web/resize?h=24&w=80",
        ),
        (containers::pause("web"), "POST /v1.51/containers/web/pause"),
        (containers::unpause("web"), "POST /v1.51/containers/web/unpause"),
        (containers::changes("web"), "GET /v1.51/containers/web/changes"),
        (containers::export("web"), "GET /v1.51/containers/web/export"),
        (
            containers::prune(Some(&Filters::from([("until", "1h")]))),
            "POST /v1.51/containers/prune?filters=%7B%22until%22%3A%5B%221h%22%5D%7D",
        ),
        (
            containers::attach_websocket("web", &attach),
            "GET /v1.51/containers/web/attach/ws?stream=1&logs=0&stdin=1&stdout=1&stderr=1",
        ),
        (exec::resize("e1", 10, 20), "POST /v1.51/exec/e1/resize?h=10&w=20"),
        (
            networks::inspect("net1", &o.net_inspect),
            "GET /v1.51/networks/net1?verbose=1&scope=local",
        ),
        (networks::connect("net1", &b"{}"[..]), "POST /v1.51/networks/net1/connect"),
        (networks::list(None), "GET /v1.51/networks"),
        (volumes::remove("vol1", true), "DELETE /v1.51/volumes/vol1?force=1"),
        (volumes::update("vol1", 7, &b"{}"[..]), "PUT /v1.51/volumes/vol1?version=7"),
        (
            plugins::inspect("vieux/sshfs:latest"),
            "GET /v1.51/plugins/vieux/sshfs:latest/json",
        ),
        (
            plugins::pull(&o.plugin_pull, &b"[]"[..]),
            "POST /v1.51/plugins/pull?remote=vieux%2Fsshfs%3Alatest&name=sshfs",
        ),
        (
            plugins::privileges("vieux/sshfs"),
            "GET /v1.51/plugins/privileges?remote=vieux%2Fsshfs",
        ),
        (plugins::create("me/plug:1"), "POST /v1.51/plugins/create?name=me%2Fplug%3A1"),
        (
            plugins::enable("vieux/sshfs", Some(0)),
            "POST /v1.51/plugins/vieux/sshfs/enable?timeout=0",
        ),
        (
            plugins::remove("vieux/sshfs:latest", false),
            "DELETE /v1.51/plugins/vieux/sshfs:latest",
        ),
        (
            distribution::inspect("docker.io/library/busybox:latest", None),
            "GET /v1.51/distribution/docker.io/library/busybox:latest/json",
        ),
        (
            swarm::update(9, &o.swarm_update, &b"{}"[..]),
            "POST /v1.51/swarm/update?version=9&rotateWorkerToken=1&rotateManagerToken=1&rotateManagerUnlockKey=1",
        ),
        (swarm::leave(false), "POST /v1.51/swarm/leave"),
        (swarm::unlock_key(), "GET /v1.51/swarm/unlockkey"),
        (nodes::update("node1", 4, &b"{}"[..]), "POST /v1.51/nodes/node1/update?version=4"),
        (nodes::remove("node1", true), "DELETE /v1.51/nodes/node1?force=1"),
        (
            services::list(&o.list_services),
            "GET /v1.51/services?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&status=1",
        ),
        (
            services::inspect("svc", true),
            "GET /v1.51/services/svc?insertDefaults=1",
        ),
        (
            services::update("svc", 12, &o.update_service, &b"{}"[..]),
            "POST /v1.51/services/svc/update?version=12&registryAuthFrom=previous-spec&rollback=previous",
        ),
        (
            services::logs("svc", &o.service_logs),
            "GET /v1.51/services/svc/logs?details=1&follow=1&stdout=1&stderr=1&since=1&timestamps=1&tail=5",
        ),
        (
            tasks::logs("t1", &task_logs),
            "GET /v1.51/tasks/t1/logs?stdout=1&stderr=1",
        ),
        (tasks::list(None), "GET /v1.51/tasks"),
        (secrets::update("s1", 3, &b"{}"[..]), "POST /v1.51/secrets/s1/update?version=3"),
        (secrets::remove("s1"), "DELETE /v1.51/secrets/s1"),
        (configs::create(&b"{}"[..]), "POST /v1.51/configs/create"),
        (configs::inspect("c1"), "GET /v1.51/configs/c1"),
    ];
    for (call, line) in &cases {
        assert_eq!(request_line(call), format!("{line} HTTP/1.1"));
    }
}

#[test]
fn build_sends_every_option() {
    let o = full();
    let line = request_line(&images::build(&o.build));
    for pair in [
        "t=app%3A1&t=app%3Alatest&dockerfile=Dockerfile.x&q=1&rm=1&forcerm=1&nocache=1",
        "buildargs=%7B%22A%22%3A%221%22%7D&labels=%7B%22l%22%3A%22v%22%7D",
        "extrahosts=h%3A10.0.0.1&cachefrom=%5B%22app%3A0%22%5D&pull=1&memory=1073741824&memswap=-1",
        "cpushares=512&cpusetcpus=0-1&cpuperiod=100000&cpuquota=50000&shmsize=67108864&squash=1",
        "networkmode=host&platform=linux%2Famd64&target=final",
        "outputs=%5B%7B%22Type%22%3A%22moby%22%7D%5D&version=1 ",
    ] {
        assert!(line.contains(pair), "{pair} not in {line}");
    }
    let w = wire(&images::build(&o.build));
    assert!(w.contains("X-Registry-Config: e30=\r\n"), "{w}");
    assert!(w.contains("Transfer-Encoding: chunked\r\n"), "{w}");
    let remote = docksock_api::BuildOptions {
        remote: s("https://example.com/ctx.git"),
        ..Default::default()
    };
    let call = images::build(&remote);
    assert_eq!(call.body_ref(), &CallBody::None);
    assert!(wire(&call).contains("Content-Length: 0\r\n"));
}

#[test]
fn registry_auth_is_passed_through() {
    let o = full();
    for call in [
        images::pull("busybox", &o.pull),
        images::push("me/app", "eyJ1c2VybmFtZSI6ImEifQ==", &o.push),
    ] {
        let w = wire(&call);
        assert!(
            w.contains("X-Registry-Auth: eyJ1c2VybmFtZSI6ImEifQ==\r\n"),
            "{w}"
        );
    }
    for call in [
        plugins::pull(&o.plugin_pull, &b"[]"[..]),
        plugins::upgrade("p", &o.plugin_pull, &b"[]"[..]),
        plugins::push("p", Some("e30=")),
        services::create(&b"{}"[..], Some("e30=")),
        services::update("svc", 1, &o.update_service, &b"{}"[..]),
        distribution::inspect("busybox", Some("e30=")),
    ] {
        let w = wire(&call);
        assert!(w.contains("X-Registry-Auth: e30=\r\n"), "{w}");
    }
    let no_auth = docksock_api::PullOptions::default();
    let anonymous = images::pull("busybox", &no_auth);
    assert!(!wire(&anonymous).contains("X-Registry-Auth"));
    assert!(!wire(&plugins::push("p", None)).contains("X-Registry-Auth"));
}

#[test]
fn bodies_carry_their_framing_and_type() {
    let o = full();
    for call in [
        images::load(&o.load),
        containers::put_archive("web", "/tmp", &o.put_archive),
        plugins::create("me/plug:1"),
        images::import("r", "t"),
    ] {
        let w = wire(&call);
        assert!(call.is_streamed(), "{w}");
        assert!(w.contains("Transfer-Encoding: chunked\r\n"), "{w}");
        assert!(w.contains("Content-Type: application/x-tar\r\n"), "{w}");
    }
    for (call, len) in [
        (plugins::set("p", &br#"["DEBUG=1"]"#[..]), 11),
        (networks::create(&br#"{"Name":"n"}"#[..]), 12),
        (swarm::init(&b"{}"[..]), 2),
        (
            images::commit("web", &o.commit, &br#"{"Cmd":["sh"]}"#[..]),
            14,
        ),
    ] {
        let w = wire(&call);
        assert!(w.contains("Content-Type: application/json\r\n"), "{w}");
        assert!(w.contains(&format!("Content-Length: {len}\r\n")), "{w}");
    }
    // A commit without a config sends no body; a POST without a body says so.
    let w = wire(&images::commit("web", &o.commit, &b""[..]));
    assert!(!w.contains("Content-Type"), "{w}");
    assert!(w.contains("Content-Length: 0\r\n"), "{w}");
}

#[test]
fn hijacks_ask_for_an_upgrade_and_nothing_else_does() {
    let o = full();
    for call in every_call(&o) {
        let w = wire(&call);
        let hijack = matches!(call.operation().id, "ContainerAttach" | "ExecStart")
            && call.operation().response == docksock_api::ResponseKind::Hijack;
        assert_eq!(w.contains("Upgrade: tcp\r\n"), hijack, "{w}");
        assert_eq!(call.is_upgrade(), hijack, "{w}");
    }
    let ws = containers::attach_websocket("web", &o.attach);
    assert_eq!(
        ws.operation().response,
        docksock_api::ResponseKind::WebSocket
    );
    assert!(!ws.is_upgrade() && ws.operation().is_websocket());
    // With the adapter's key, the request is a WebSocket handshake.
    let keyed = wire(&ws.clone().websocket_key(*b"the sample nonce"));
    assert!(
        keyed.contains(
            "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        ),
        "{keyed}"
    );
    assert!(!wire(&ws).contains("Upgrade"));
    for call in every_call(&o) {
        assert_eq!(
            call.operation().is_websocket(),
            call.operation().id == "ContainerAttachWebsocket"
        );
    }
}

#[test]
fn quiet_streams_have_no_idle_limit() {
    let o = full();
    for call in [
        images::pull("busybox", &o.pull),
        images::push("me/app", "e30=", &o.push),
        images::load(&o.load),
        images::build(&o.build),
        plugins::pull(&o.plugin_pull, &b"[]"[..]),
        plugins::upgrade("p", &o.plugin_pull, &b"[]"[..]),
        plugins::push("p", None),
        services::logs("svc", &o.service_logs),
        tasks::logs("t1", &o.service_logs),
        containers::attach_websocket("web", &o.attach),
    ] {
        assert_eq!(
            call.idle_timeout_setting(),
            Timeout::Off,
            "{}",
            call.operation().id
        );
    }
    let once = docksock_api::ServiceLogsOptions::default();
    for call in [
        services::logs("svc", &once),
        tasks::logs("t1", &once),
        images::import("r", "t"),
        images::save(&o.save),
        containers::export("web"),
        system::df(&o.df),
    ] {
        assert_eq!(
            call.idle_timeout_setting(),
            Timeout::Default,
            "{}",
            call.operation().id
        );
    }
    let capped = docksock_api::ServiceLogsOptions {
        follow: true,
        idle_timeout: Timeout::After(core::time::Duration::from_secs(5)),
        ..Default::default()
    };
    assert_eq!(
        services::logs("svc", &capped).idle_timeout_setting(),
        capped.idle_timeout
    );
    let tty = docksock_api::ServiceLogsOptions {
        tty: Some(true),
        ..Default::default()
    };
    assert_eq!(
        tasks::logs("t1", &tty).stream_mode(),
        Some(docksock_proto::stdcopy::Mode::Raw)
    );
}

#[test]
fn only_start_and_stop_accept_a_status_outside_2xx() {
    for op in ALL {
        let expected: &[u16] = match op.id {
            "ContainerStart" | "ContainerStop" => &[304],
            _ => &[],
        };
        assert_eq!(op.also_success, expected, "{}", op.id);
    }
}

#[test]
fn invalid_parameters_are_refused_before_anything_is_sent() {
    let o = full();
    for call in [
        // Ids and names are one segment.
        networks::inspect("a/b", &o.net_inspect),
        volumes::inspect(".."),
        volumes::remove("", false),
        secrets::inspect("."),
        configs::remove("a/b"),
        nodes::inspect(""),
        services::logs("a/b", &o.service_logs),
        tasks::inspect(".."),
        exec::resize("", 1, 1),
        containers::pause("a/b"),
        containers::archive("", "/"),
        // Image and plugin references follow the reference grammar.
        images::push("Me/App", "e30=", &o.push),
        images::history("a b", None),
        distribution::inspect("UPPER", None),
        plugins::inspect("vieux/SSHFS"),
        plugins::remove("vieux//sshfs", false),
        plugins::enable("", None),
        // Header values are checked too.
        images::push("me/app", "e30=\r\nX-Injected: 1", &o.push),
        distribution::inspect("busybox", Some("a\nb")),
    ] {
        assert!(refused(&call), "{call:?} encoded");
    }
    // What looks odd but is fine: a percent-encoded id, a plugin id.
    assert_eq!(
        request_line(&volumes::inspect("my vol")),
        "GET /v1.51/volumes/my%20vol HTTP/1.1"
    );
    let id = "a".repeat(64);
    assert_eq!(
        request_line(&plugins::inspect(&id)),
        format!("GET /v1.51/plugins/{id}/json HTTP/1.1")
    );
}
