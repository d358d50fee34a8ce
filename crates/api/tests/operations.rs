//! Every operation defined here against the API description it claims to follow
//! (`spec/api-v1.51.json`, the Docker Engine API v1.51 as published by moby).

use std::collections::BTreeMap;

use docksock_api::{containers, exec, images, system, Call, CallBody, Filters, ALL};
use docksock_proto::encode::RequestSpec;
use docksock_proto::version::ApiVersion;

/// (method, path) of every operation id in the description.
fn described() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/api-v1.51.json"))
        .expect("spec/api-v1.51.json");
    let spec: serde_json::Value = serde_json::from_str(&text).expect("the description is JSON");
    let mut out = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                out.insert(id.to_owned(), (method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The operation the API description has but this crate leaves out on purpose: the
/// deprecated gRPC hijack of BuildKit sessions.
const LEFT_OUT: &[&str] = &["Session"];

#[test]
fn every_operation_matches_the_description() {
    let described = described();
    assert!(
        described.len() > 100,
        "{} operations described",
        described.len()
    );
    let mut seen = std::collections::BTreeSet::new();
    for op in ALL {
        let (method, path) = described
            .get(op.id)
            .unwrap_or_else(|| panic!("{} is not an operation of API v1.51", op.id));
        assert_eq!(
            (op.method, op.path),
            (method.as_str(), path.as_str()),
            "{}",
            op.id
        );
        seen.insert((op.id, op.method, op.path, format!("{:?}", op.response)));
    }
    assert_eq!(seen.len(), ALL.len(), "an operation is listed twice");
}

#[test]
fn every_described_operation_is_defined_once() {
    let described = described();
    let mut defined = std::collections::BTreeMap::new();
    for op in ALL {
        *defined.entry(op.id).or_insert(0) += 1;
    }
    let missing: Vec<&str> = described
        .keys()
        .map(String::as_str)
        .filter(|id| !defined.contains_key(id) && !LEFT_OUT.contains(id))
        .collect();
    assert!(missing.is_empty(), "no definition for {missing:?}");
    let twice: Vec<_> = defined.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "listed more than once in ALL: {twice:?}");
    for id in LEFT_OUT {
        assert!(
            described.contains_key(*id),
            "{id} is not described any more"
        );
        assert!(!defined.contains_key(id), "{id} is defined after all");
    }
    assert_eq!(ALL.len(), described.len() - LEFT_OUT.len());
}

/// The rows of the operations table of the crate docs: id → (method and path, calls).
fn docs_table() -> BTreeMap<String, (String, String)> {
    let docs = include_str!("../src/lib.rs");
    let mut rows = BTreeMap::new();
    for line in docs.lines() {
        let Some(row) = line.strip_prefix("//! | `") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").map(str::trim).collect();
        if let [id, route, calls] = cells[..] {
            let id = id.trim_end_matches('`');
            let route = route.trim_matches('`');
            let calls = calls.trim_end_matches('|').trim();
            let previous = rows.insert(id.to_owned(), (route.to_owned(), calls.to_owned()));
            assert!(previous.is_none(), "two rows for {id}");
        }
    }
    rows
}

#[test]
fn the_crate_docs_table_lists_every_operation() {
    let docs = include_str!("../src/lib.rs");
    for op in ALL {
        let row = format!("| `{}` | `{} {}` |", op.id, op.method, op.path);
        assert!(docs.contains(&row), "no row {row:?} in the crate docs");
    }
    let table = docs_table();
    for (id, (method, path)) in described() {
        if LEFT_OUT.contains(&id.as_str()) {
            assert!(
                !table.contains_key(&id),
                "a row for {id}, which is left out"
            );
            continue;
        }
        let (route, calls) = table
            .get(&id)
            .unwrap_or_else(|| panic!("no row for {id} in the crate docs"));
        assert_eq!(*route, format!("{method} {path}"), "{id}");
        assert!(
            calls.starts_with("[`") && calls.ends_with("`]"),
            "{id}: no call function in {calls:?}"
        );
    }
}

fn wire(call: &Call<'_>) -> String {
    let mut out = Vec::new();
    call.with_spec(Some(ApiVersion::new(1, 41)), |spec: RequestSpec<'_>| {
        spec.encode_vec(&mut out)
    })
    .unwrap_or_else(|e| panic!("{} does not encode: {e}", call.operation().id));
    String::from_utf8(out).expect("ASCII")
}

fn request_line(call: &Call<'_>) -> String {
    wire(call).lines().next().unwrap_or_default().to_owned()
}

#[test]
fn calls_encode_as_the_daemon_expects() {
    let list_opts = docksock_api::ListContainersOptions {
        all: true,
        limit: Some(3),
        size: false,
        filters: Some(Filters::from([("name", "web")])),
    };
    let rm_opts = docksock_api::RemoveContainerOptions {
        force: true,
        volumes: true,
        link: false,
    };
    let cases: Vec<(Call<'_>, &str)> = vec![
        (system::ping(), "GET /v1.41/_ping HTTP/1.1"),
        (system::ping_head(), "HEAD /v1.41/_ping HTTP/1.1"),
        (
            containers::list(&list_opts),
            "GET /v1.41/containers/json?all=1&limit=3&filters=%7B%22name%22%3A%5B%22web%22%5D%7D HTTP/1.1",
        ),
        (
            containers::remove("a b", &rm_opts),
            "DELETE /v1.41/containers/a%20b?force=1&v=1 HTTP/1.1",
        ),
        (
            images::tag("busybox:latest", "me/bb", Some("1")),
            "POST /v1.41/images/busybox:latest/tag?repo=me%2Fbb&tag=1 HTTP/1.1",
        ),
        (containers::stats("c", false), "GET /v1.41/containers/c/stats?stream=false HTTP/1.1"),
        (exec::inspect("e1"), "GET /v1.41/exec/e1/json HTTP/1.1"),
    ];
    for (call, line) in &cases {
        assert_eq!(request_line(call), *line);
    }
}

#[test]
fn bodies_carry_their_framing_and_type() {
    let w = wire(&exec::start("e1", true));
    assert!(w.contains("Upgrade: tcp\r\n"), "{w}");
    assert!(w.contains("Content-Type: application/json\r\n"), "{w}");
    assert!(w.contains("Content-Length: 27\r\n"), "{w}");
    let w = wire(&images::import("r", "t"));
    assert!(w.contains("Transfer-Encoding: chunked\r\n"), "{w}");
    assert!(w.contains("Content-Type: application/x-tar\r\n"), "{w}");
    let w = wire(&containers::create(Some("n"), &b"{}"[..]).header("Content-Type", "text/x"));
    assert_eq!(w.matches("Content-Type").count(), 1, "{w}");
    assert!(matches!(system::ping().body_ref(), CallBody::None));
}

#[test]
fn invalid_parameters_are_refused_before_anything_is_sent() {
    for call in [
        containers::inspect(""),
        containers::inspect(".."),
        containers::inspect("a/b"),
        images::inspect("UPPER"),
    ] {
        let mut out = Vec::new();
        let res = call.with_spec(None, |spec| spec.encode_vec(&mut out));
        assert!(res.is_err(), "{call:?} encoded");
    }
}

#[test]
fn more_query_pairs_than_fit_inline_still_encode() {
    let mut call = Call::custom("GET", "/x");
    let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    for k in &keys {
        call = call.query(k, "v");
    }
    let line = request_line(&call);
    assert!(
        line.contains("k0=v&k1=v") && line.contains("&k39=v HTTP/1.1"),
        "{line}"
    );
}

#[test]
fn waits_and_follow_streams_have_no_idle_limit() {
    use docksock_proto::timeout::Timeout;
    let wait = docksock_api::WaitOptions::default();
    assert_eq!(
        containers::wait("c", &wait).idle_timeout_setting(),
        Timeout::Off
    );
    let follow = docksock_api::LogsOptions {
        follow: true,
        ..Default::default()
    };
    assert_eq!(
        containers::logs("c", &follow).idle_timeout_setting(),
        Timeout::Off
    );
    let once = docksock_api::LogsOptions::default();
    assert_eq!(
        containers::logs("c", &once).idle_timeout_setting(),
        Timeout::Default
    );
    assert_eq!(
        system::events(&Default::default()).idle_timeout_setting(),
        Timeout::Off
    );
    assert_eq!(
        containers::stats("c", true).idle_timeout_setting(),
        Timeout::Off
    );
    assert_eq!(
        containers::stats("c", false).idle_timeout_setting(),
        Timeout::Default
    );
    assert_eq!(system::info().idle_timeout_setting(), Timeout::Default);
}
