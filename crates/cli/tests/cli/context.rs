//! `context ls`, `use`, `show` and the global `--context`, on a context store written into a
//! temporary `DOCKER_CONFIG` the way the docker CLI lays it out (no daemon needed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::support::{ok, stderr, stdout};

/// The binary with `DOCKER_CONFIG` set to `config` and no host or context from outside.
fn run(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_API_VERSION")
        .output()
        .expect("run the docksock binary")
}

/// SHA-256 in hex, by the system's `sha256sum` (the store's directory names).
fn sha256_hex(s: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(s.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "docksock-cli-ctx-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn contexts_listed_chosen_and_used() {
    let config = scratch();
    let socket = config.join("nowhere.sock");
    let meta = config.join("contexts/meta").join(sha256_hex("far"));
    std::fs::create_dir_all(&meta).expect("meta dir");
    std::fs::write(
        meta.join("meta.json"),
        format!(
            r#"{{"Name":"far","Metadata":{{"Description":"a far daemon"}},"Endpoints":{{"docker":{{"Host":"unix://{}","SkipTLSVerify":false}}}}}}"#,
            socket.display()
        ),
    )
    .expect("meta.json");
    std::fs::write(
        config.join("config.json"),
        r#"{"auths":{"r.example":{"auth":"dTpw"}}}"#,
    )
    .expect("config.json");

    // ls: docker's columns, the current context starred, default first.
    let text = ok(&run(&config, &["context", "ls"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for col in ["NAME", "DESCRIPTION", "DOCKER ENDPOINT", "ERROR"] {
        assert!(lines[0].contains(col), "{text}");
    }
    assert!(lines[1].starts_with("default *"), "{text}");
    assert!(
        lines[2].starts_with("far ") && lines[2].contains("a far daemon"),
        "{text}"
    );
    assert!(
        lines[2].contains(&format!("unix://{}", socket.display())),
        "{text}"
    );
    assert_eq!(
        ok(&run(&config, &["context", "ls", "-q"])),
        "default\nfar\n"
    );
    assert_eq!(ok(&run(&config, &["context", "show"])), "default\n");

    // use: prints the name, keeps config.json's other keys; show and ls follow.
    assert_eq!(ok(&run(&config, &["context", "use", "far"])), "far\n");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config.join("config.json")).expect("read"))
            .expect("config.json is JSON");
    assert_eq!(doc["currentContext"], "far");
    assert_eq!(doc["auths"]["r.example"]["auth"], "dTpw");
    assert_eq!(ok(&run(&config, &["context", "show"])), "far\n");
    let json = ok(&run(&config, &["context", "ls", "--format", "json"]));
    let far: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|v| v["Name"] == "far")
        .expect("far listed");
    assert_eq!(far["Current"], true, "{json}");

    // The current context is where commands go: its socket is named in the error.
    let o = run(&config, &["ping"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&socket.display().to_string()),
        "{}",
        stderr(&o)
    );
    // --context picks one for a command; --host with --context is refused.
    let o = run(&config, &["--context", "default", "context", "show"]);
    assert_eq!(stdout(&o), "default\n");
    let o = run(
        &config,
        &["--context", "far", "--host", "unix:///x.sock", "ping"],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("conflicting options"), "{}", stderr(&o));

    // An unknown context is an error naming it, and changes nothing.
    let o = run(&config, &["context", "use", "gone"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"gone\""), "{}", stderr(&o));
    assert_eq!(ok(&run(&config, &["context", "show"])), "far\n");
    let o = run(&config, &["--context", "gone", "ping"]);
    assert!(
        !o.status.success() && stderr(&o).contains("\"gone\""),
        "{}",
        stderr(&o)
    );

    // use default mends it: currentContext is removed.
    assert_eq!(
        ok(&run(&config, &["context", "use", "default"])),
        "default\n"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config.join("config.json")).expect("read"))
            .expect("config.json is JSON");
    assert!(doc.get("currentContext").is_none(), "{doc}");
    assert_eq!(doc["auths"]["r.example"]["auth"], "dTpw");
    std::fs::remove_dir_all(&config).expect("clean up");
}
