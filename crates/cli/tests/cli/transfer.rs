//! `pull`, `push`, `login`, `logout` against the test registry, and `cp` both ways.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use docksock::Client;
use docksock_tests::registry::{registry, temp_dir};
use docksock_tests::{busybox_image, daemon, unique_name, ContainerGuard, ImageGuard};

use crate::support::{host, ok, stderr, stdout};

/// The binary against `client`'s daemon with `DOCKER_CONFIG=config`, `input` on stdin.
fn ds_cfg(client: &Client, config: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_docksock"))
        .arg("--host")
        .arg(host(client))
        .args(args)
        .env_remove("DOCKER_HOST")
        .env("DOCKER_CONFIG", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the docksock binary");
    let mut stdin = child.stdin.take().unwrap();
    // A command that refuses its arguments exits without reading its input: a closed pipe
    // here is that, not a failure (its output says what happened).
    match stdin.write_all(input.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn config_json(dir: &Path) -> serde_json::Value {
    match std::fs::read(dir.join("config.json")) {
        Ok(b) => serde_json::from_slice(&b).unwrap(),
        Err(_) => serde_json::json!({}),
    }
}

#[test]
fn login_push_pull_logout_through_the_registry() {
    let Some(client) = daemon() else { return };
    let Some(reg) = registry() else { return };
    let image = busybox_image(&client);
    let dir = temp_dir("cli-login");
    let cfg = |args: &[&str], input: &str| ds_cfg(&client, &dir, args, input);

    // A wrong password: exit 1, the daemon's refusal, nothing stored; -p warns.
    let o = cfg(&["login", "-u", &reg.user, "-p", "wrong", &reg.addr], "");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("WARNING! Using --password via the CLI is insecure"));
    assert!(
        config_json(&dir)["auths"].get(&reg.addr).is_none(),
        "{}",
        config_json(&dir)
    );

    // The right one on stdin: stored under the registry's address.
    let o = cfg(
        &["login", "-u", &reg.user, "--password-stdin", &reg.addr],
        &format!("{}\n", reg.password),
    );
    assert_eq!(ok(&o).trim(), "Login Succeeded");
    assert!(config_json(&dir)["auths"][&reg.addr]["auth"].is_string());

    // Push: plain lines (stdout is no terminal), the layer pushed, the digest line.
    let name = format!("{}/cli/{}:v1", reg.addr, unique_name("push"));
    let _img = ImageGuard::new(&client, name.as_str());
    ok(&cfg(&["tag", &image, &name], ""));
    let pushed = ok(&cfg(&["push", &name], ""));
    assert!(
        pushed.contains("The push refers to repository ["),
        "{pushed}"
    );
    assert!(pushed.contains(": Preparing"), "{pushed}");
    assert!(
        [": Pushed", ": Layer already exists", ": Mounted from "]
            .iter()
            .any(|s| pushed.contains(s)),
        "{pushed}"
    );
    assert!(
        !pushed.contains('\x1b'),
        "no cursor movement off a terminal: {pushed:?}"
    );
    let digest = pushed
        .lines()
        .find_map(|l| {
            l.split_once(": digest: ")
                .map(|(_, r)| r.split(' ').next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no digest line: {pushed}"));

    // Pull it back after removing the tag: the same digest, the final lines.
    ok(&cfg(&["rmi", &name], ""));
    let pulled = ok(&cfg(&["pull", &name], ""));
    assert!(pulled.contains(&format!("Digest: {digest}")), "{pulled}");
    assert!(
        pulled.contains("Status: Downloaded newer image for"),
        "{pulled}"
    );
    assert_eq!(pulled.lines().last(), Some(name.as_str()));
    assert_eq!(ok(&cfg(&["pull", "-q", &name], "")).trim(), name);

    // Logout: the entry is gone, and the registry refuses the next push (exit 1, in-band).
    let o = cfg(&["logout", &reg.addr], "");
    assert!(ok(&o).contains(&format!("Removing login credentials for {}", reg.addr)));
    assert!(config_json(&dir)["auths"].get(&reg.addr).is_none());
    let o = cfg(&["push", &name], "");
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let o = cfg(&["pull", &format!("{}/cli/never-pushed:v1", reg.addr)], "");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn login_refuses_half_given_credentials_without_a_terminal() {
    let Some(client) = daemon() else { return };
    let dir = temp_dir("cli-login-usage");
    let o = ds_cfg(
        &client,
        &dir,
        &["login", "--password-stdin", "127.0.0.1:1"],
        "x\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Must provide --username with --password-stdin"));
    let o = ds_cfg(&client, &dir, &["login", "127.0.0.1:1"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("non TTY"), "{}", stderr(&o));
    assert!(!dir.join("config.json").exists());
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn cp_files_and_directories_both_ways_keeping_modes() {
    let Some(client) = daemon() else { return };
    let image = busybox_image(&client);
    let dir = temp_dir("cli-cp");
    let name = unique_name("cli-cp");
    let _g = ContainerGuard::new(&client, name.as_str());
    let cfg = |args: &[&str]| ds_cfg(&client, &dir, args, "");
    ok(&cfg(&[
        "run", "-d", "--name", &name, &image, "sleep", "300",
    ]));

    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("sub/f"), "hello\n").unwrap();
    std::fs::set_permissions(src.join("sub/f"), std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::set_permissions(src.join("sub"), std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::write(dir.join("one"), "one\n").unwrap();
    std::fs::set_permissions(dir.join("one"), std::fs::Permissions::from_mode(0o604)).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();

    // Into the container: a directory into an existing directory goes inside it; a file to a
    // new name becomes that file.
    ok(&cfg(&["cp", &s(&src), &format!("{name}:/tmp")]));
    ok(&cfg(&[
        "cp",
        &s(&dir.join("one")),
        &format!("{name}:/tmp/renamed"),
    ]));
    let listing = ok(&cfg(&[
        "exec",
        &name,
        "stat",
        "-c",
        "%a %n",
        "/tmp/src/sub",
        "/tmp/src/sub/f",
        "/tmp/renamed",
    ]));
    assert_eq!(
        listing,
        "711 /tmp/src/sub\n750 /tmp/src/sub/f\n604 /tmp/renamed\n"
    );
    assert_eq!(
        ok(&cfg(&["exec", &name, "cat", "/tmp/src/sub/f"])),
        "hello\n"
    );

    // Back out: a directory to a new name, into an existing directory, a file renamed.
    ok(&cfg(&[
        "cp",
        &format!("{name}:/tmp/src"),
        &s(&dir.join("back")),
    ]));
    assert_eq!(
        std::fs::read_to_string(dir.join("back/sub/f")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        (mode(&dir.join("back/sub")), mode(&dir.join("back/sub/f"))),
        (0o711, 0o750)
    );
    std::fs::create_dir(dir.join("into")).unwrap();
    ok(&cfg(&[
        "cp",
        &format!("{name}:/tmp/src"),
        &s(&dir.join("into")),
    ]));
    assert_eq!(mode(&dir.join("into/src/sub/f")), 0o750);
    ok(&cfg(&[
        "cp",
        &format!("{name}:/tmp/renamed"),
        &s(&dir.join("again")),
    ]));
    assert_eq!(std::fs::read_to_string(dir.join("again")).unwrap(), "one\n");
    assert_eq!(mode(&dir.join("again")), 0o604);
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".docksock-cp")));

    // `-`: a tar on stdout.
    let o = cfg(&["cp", &format!("{name}:/tmp/renamed"), "-"]);
    let tar = ok_bytes(&o);
    assert_eq!(&tar[..7], b"renamed");
    assert_eq!(&tar[512..516], b"one\n");

    // Missing parents, both ways: exit 1 naming the path.
    let o = cfg(&["cp", &s(&dir.join("one")), &format!("{name}:/nope/x")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nope"), "{}", stderr(&o));
    let missing = dir.join("missing/x");
    let o = cfg(&["cp", &format!("{name}:/tmp/renamed"), &s(&missing)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&s(&dir.join("missing"))),
        "{}",
        stderr(&o)
    );
    let o = cfg(&["cp", &format!("{name}:/tmp/absent"), &s(&dir)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/tmp/absent"), "{}", stderr(&o));
    // Two local paths: a usage error.
    assert_eq!(cfg(&["cp", "a", "b"]).status.code(), Some(125));
}

fn ok_bytes(o: &Output) -> Vec<u8> {
    assert!(o.status.success(), "{}", stderr(o));
    o.stdout.clone()
}
