//! Every operation of the API has a method of the client: the table of the crate docs
//! (`src/operations.md`, operation id → method) is checked against the API description
//! (`crates/api/spec/api-v1.51.json`), against `docksock_api::ALL`, and against the source (each
//! method it names is a `pub fn` of the crate, and each method of the call files is in it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use docksock::api::ALL;

/// The operation the API description has and the client leaves out on purpose: the deprecated
/// gRPC hijack of BuildKit sessions (`docksock_api` does not define it either).
const LEFT_OUT: &[&str] = &["Session"];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (method, path) of every operation id in the description.
fn described() -> BTreeMap<String, (String, String)> {
    let spec_path = crate_dir().join("../api/spec/api-v1.51.json");
    let text = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", spec_path.display()));
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

/// One row of the table: the method and path it shows, the client methods it names.
#[derive(Debug)]
struct Row {
    method_path: String,
    methods: Vec<String>,
}

/// The rows of `src/operations.md`, by operation id (a duplicate id fails).
fn table() -> BTreeMap<String, Row> {
    let text =
        std::fs::read_to_string(crate_dir().join("src/operations.md")).expect("src/operations.md");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [id, method_path, methods] = cells[..] else {
            panic!("a row of three cells: {line}");
        };
        let id = id.trim_matches('`').to_owned();
        let methods: Vec<String> = methods
            .split("[`Client::")
            .skip(1)
            .map(|m| m.split('`').next().unwrap_or_default().to_owned())
            .collect();
        assert!(!methods.is_empty(), "{id}: no client method in {line}");
        let row = Row {
            method_path: method_path.trim_matches('`').to_owned(),
            methods,
        };
        assert!(rows.insert(id.clone(), row).is_none(), "{id}: two rows");
    }
    rows
}

/// The sources of the crate: `src/**/*.rs`, by file name.
fn sources() -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).expect("src/") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.insert(path, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&crate_dir().join("src"), &mut out);
    out
}

/// The names of the `pub fn`s of a source text.
fn pub_fns(text: &str) -> BTreeSet<String> {
    text.split("pub fn ")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn every_described_operation_has_a_row_with_its_method_and_path() {
    let described = described();
    let table = table();
    for (id, (method, path)) in &described {
        if LEFT_OUT.contains(&id.as_str()) {
            assert!(!table.contains_key(id), "{id} is left out but has a row");
            continue;
        }
        let row = table
            .get(id)
            .unwrap_or_else(|| panic!("{id} ({method} {path}) has no client method in the table"));
        assert_eq!(row.method_path, format!("{method} {path}"), "{id}");
    }
    for id in table.keys() {
        assert!(described.contains_key(id), "{id}: not in the description");
    }
    assert_eq!(table.len(), described.len() - LEFT_OUT.len());
    assert_eq!(table.len(), 106);
}

#[test]
fn every_operation_of_the_api_crate_has_a_row() {
    let table = table();
    let ids: BTreeSet<&str> = ALL.iter().map(|op| op.id).collect();
    for op in ALL {
        let row = table
            .get(op.id)
            .unwrap_or_else(|| panic!("{} has no client method in the table", op.id));
        assert_eq!(
            row.method_path,
            format!("{} {}", op.method, op.path),
            "{}",
            op.id
        );
    }
    assert_eq!(ids.len(), table.len(), "ALL and the table differ");
}

#[test]
fn every_method_named_exists_and_every_call_method_is_named() {
    let table = table();
    let sources = sources();
    let all_fns: BTreeSet<String> = sources.values().flat_map(|t| pub_fns(t)).collect();
    let named: BTreeSet<&str> = table
        .values()
        .flat_map(|row| row.methods.iter().map(String::as_str))
        .collect();
    for method in &named {
        assert!(
            all_fns.contains(*method),
            "the table names Client::{method}, which the source does not define"
        );
    }
    // Every public method of the call files runs an operation: each is in the table.
    for (path, text) in &sources {
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        if !file.starts_with("calls") {
            continue;
        }
        for f in pub_fns(text) {
            assert!(
                named.contains(f.as_str()),
                "{file}: Client::{f} runs an operation but is not in the table"
            );
        }
    }
}

#[test]
fn each_upgrade_operation_has_its_own_call() {
    // The WebSocket attach is its own call (handshake and frames), not the `Upgrade: tcp` one.
    let table = table();
    let methods = |id: &str| table.get(id).map(|r| r.methods.clone()).unwrap_or_default();
    assert_eq!(methods("ContainerAttach"), ["attach_container"]);
    assert_eq!(
        methods("ContainerAttachWebsocket"),
        ["attach_container_websocket"]
    );
    let sources = sources();
    let websocket = sources
        .iter()
        .find(|(p, _)| p.ends_with("websocket.rs"))
        .map(|(_, t)| t.as_str())
        .unwrap_or_default();
    assert!(
        websocket.contains("containers::attach_websocket(")
            && websocket.contains(".websocket_key("),
        "attach_container_websocket runs ContainerAttachWebsocket with a handshake key"
    );
}
