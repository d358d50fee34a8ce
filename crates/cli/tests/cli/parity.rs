//! Parity with the `docker` CLI: both run on the same objects of the same daemon, and their
//! `ps`, `images`, `inspect -f`, `inspect` and `events` output is compared field by field.
//! The `docker` CLI is Debian's `docker.io` (`/usr/bin/docker`, installed with
//! `scripts/engine docker-20.10`), or `$DOCKSOCK_DOCKER_CLI`. Both speak API 1.41 (that CLI's
//! newest), so the daemon answers both alike.

use std::path::PathBuf;
use std::process::{Command, Output};

use docksock::Client;
use docksock_tests::{busybox_image, daemon, private_image, unique_name, ContainerGuard};

use crate::support::{host, ok, stderr};

/// The `docker` CLI to compare with, or `None` (skipped; a failure in CI).
fn docker_cli() -> Option<PathBuf> {
    let path = std::env::var_os("DOCKSOCK_DOCKER_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/docker"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but there is no docker CLI at {} (scripts/engine docker-20.10 installs it)",
        path.display()
    );
    eprintln!("*** SKIPPED: no docker CLI at {}", path.display());
    None
}

/// The daemon, unless it is Podman: the docker CLI's output is compared with ours on what
/// dockerd answers (Podman answers the docker CLI's API 1.41 with other values and fields).
fn docker_daemon(test: &str) -> Option<Client> {
    let client = daemon()?;
    let engine = docksock_tests::Engine::of(&client);
    if engine.is_podman() {
        docksock_tests::set_aside(
            &engine,
            test,
            "parity with the docker CLI is a dockerd matter",
        );
        return None;
    }
    Some(client)
}

/// Both CLIs with the same arguments against the same daemon, at API 1.41, in UTC.
fn both(docker: &std::path::Path, client: &Client, args: &[&str]) -> (String, String) {
    let run = |program: &std::path::Path, host_flag: bool| -> Output {
        let mut c = Command::new(program);
        c.env("DOCKER_API_VERSION", "1.41").env("TZ", "UTC").env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("docksock-parity-docker-config"),
        );
        if host_flag {
            c.args(["--host", &host(client)]);
        } else {
            c.env("DOCKER_HOST", host(client));
        }
        c.args(args).output().unwrap()
    };
    let theirs = run(docker, false);
    let ours = run(std::path::Path::new(env!("CARGO_BIN_EXE_docksock")), true);
    assert!(
        theirs.status.success(),
        "docker {args:?}: {}",
        stderr(&theirs)
    );
    (ok(&ours), ok(&theirs))
}

/// Splits a table into cells by the header's column starts.
fn cells(table: &str) -> Vec<Vec<String>> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or("");
    // Column starts: after a run of 2+ spaces (headers have single spaces inside).
    let mut starts = vec![0];
    let b = header.as_bytes();
    for i in 2..b.len() {
        if b[i] != b' ' && b[i - 1] == b' ' && b[i - 2] == b' ' {
            starts.push(i);
        }
    }
    std::iter::once(header)
        .chain(lines)
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            starts
                .iter()
                .enumerate()
                .map(|(k, &s)| {
                    let e = starts
                        .get(k + 1)
                        .copied()
                        .unwrap_or(chars.len())
                        .min(chars.len());
                    chars
                        .get(s.min(chars.len())..e)
                        .map(|c| c.iter().collect::<String>())
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

/// Compares two tables cell by cell; columns named in `loose` (times) only need to be filled.
#[track_caller]
fn same_table(ours: &str, theirs: &str, loose: &[&str]) {
    let (o, t) = (cells(ours), cells(theirs));
    assert_eq!(
        o.len(),
        t.len(),
        "rows differ:\nours:\n{ours}\ntheirs:\n{theirs}"
    );
    let header = &t[0];
    assert_eq!(
        o[0], t[0],
        "headers differ:\nours:\n{ours}\ntheirs:\n{theirs}"
    );
    for (ro, rt) in o.iter().zip(&t).skip(1) {
        for ((co, ct), name) in ro.iter().zip(rt).zip(header) {
            if loose.contains(&name.as_str()) {
                assert_eq!(co.is_empty(), ct.is_empty(), "{name}: {co:?} vs {ct:?}");
            } else {
                assert_eq!(co, ct, "column {name}:\nours:\n{ours}\ntheirs:\n{theirs}");
            }
        }
    }
}

#[test]
fn ps_matches_docker() {
    let Some(docker) = docker_cli() else { return };
    let Some(client) = docker_daemon("ps_matches_docker") else {
        return;
    };
    let image = busybox_image(&client);
    let label = format!("docksock-parity-ps={}", std::process::id());
    let names: Vec<String> = (0..3)
        .map(|i| unique_name(&format!("parity-ps{i}")))
        .collect();
    let _g: Vec<ContainerGuard> = names
        .iter()
        .map(|n| ContainerGuard::new(&client, n.as_str()))
        .collect();
    let h = host(&client);
    let run = |args: &[&str]| {
        ok(&Command::new(env!("CARGO_BIN_EXE_docksock"))
            .args(["--host", &h])
            .args(args)
            .output()
            .unwrap())
    };
    run(&[
        "run",
        "-d",
        "--name",
        &names[0],
        "-l",
        &label,
        "-l",
        "z=last",
        "-p",
        "127.0.0.1:18090:80",
        "-p",
        "127.0.0.1:18091:81",
        &image,
        "sh",
        "-c",
        "sleep 300 # a long command line",
    ]);
    run(&[
        "create", "--name", &names[1], "-l", &label, "-v", "/anon", &image, "true",
    ]);
    let exited = Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args([
            "--host", &h, "run", "--name", &names[2], "-l", &label, &image, "sh", "-c", "exit 2",
        ])
        .status()
        .unwrap();
    assert_eq!(exited.code(), Some(2));
    let filter = format!("label={label}");
    for args in [
        vec!["ps", "-a", "--filter", &filter],
        vec!["ps", "-a", "--no-trunc", "--filter", &filter],
        vec!["ps", "--filter", &filter],
        vec!["ps", "-a", "-s", "--filter", &filter],
    ] {
        let (ours, theirs) = both(&docker, &client, &args);
        same_table(&ours, &theirs, &["CREATED", "STATUS"]);
    }
    let fields = "{{.ID}}|{{.Image}}|{{.Command}}|{{.Names}}|{{.State}}|{{.Mounts}}|{{.Networks}}|{{.LocalVolumes}}|{{.Ports}}|{{.CreatedAt}}";
    for args in [
        vec!["ps", "-a", "--filter", &filter, "--format", fields],
        vec!["ps", "-aq", "--filter", &filter],
        vec![
            "ps",
            "-a",
            "-n",
            "2",
            "--filter",
            &filter,
            "--format",
            "{{.Names}}",
        ],
        vec![
            "ps",
            "-l",
            "--format",
            "table {{.Names}}\t{{.State}}",
            "--filter",
            &filter,
        ],
    ] {
        let (ours, theirs) = both(&docker, &client, &args);
        assert_eq!(ours, theirs, "{args:?}");
    }
    // LABELS: docker joins them in its map's order, which varies run to run: compare sets.
    let (ours, theirs) = both(
        &docker,
        &client,
        &["ps", "-a", "--filter", &filter, "--format", "{{.Labels}}"],
    );
    let sets = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .map(|l| {
                let mut v: Vec<String> = l.split(',').map(str::to_owned).collect();
                v.sort();
                v
            })
            .collect()
    };
    assert_eq!(sets(&ours), sets(&theirs));
}

#[test]
fn images_match_docker() {
    let Some(docker) = docker_cli() else { return };
    let Some(client) = docker_daemon("images_match_docker") else {
        return;
    };
    let img = private_image(&client, "parity-images");
    let (repo, _) = img.name.split_once(':').unwrap();
    let second = format!("{repo}:second");
    let _g2 = docksock_tests::ImageGuard::new(&client, second.as_str());
    client.tag_image(&img.name, repo, Some("second")).unwrap();
    let reference = format!("reference={repo}");
    for args in [
        vec!["images", repo],
        vec!["images", "--no-trunc", repo],
        vec!["images", "-a", "--filter", &reference],
    ] {
        let (ours, theirs) = both(&docker, &client, &args);
        same_table(&ours, &theirs, &["CREATED"]);
    }
    for args in [
        vec!["images", "-q", repo],
        vec![
            "images",
            "--format",
            "{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Size}}|{{.Digest}}|{{.CreatedAt}}",
            repo,
        ],
        vec![
            "images",
            "--format",
            "table {{.Repository}}\t{{.Tag}}",
            repo,
        ],
    ] {
        let (ours, theirs) = both(&docker, &client, &args);
        assert_eq!(ours, theirs, "{args:?}");
    }
}

#[test]
fn inspect_matches_docker() {
    let Some(docker) = docker_cli() else { return };
    let Some(client) = docker_daemon("inspect_matches_docker") else {
        return;
    };
    let image = busybox_image(&client);
    let name = unique_name("parity-inspect");
    let _g = ContainerGuard::new(&client, name.as_str());
    let vol = unique_name("parity-vol");
    // A network of its own: the shared bridge's container list changes with other tests.
    let net = unique_name("parity-net");
    let h = host(&client);
    ok(&Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args(["--host", &h, "network", "create", "--label", "p=1", &net])
        .output()
        .unwrap());
    ok(&Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args([
            "--host", &h, "run", "-d", "--name", &name, "-e", "A=1", "-e", "B=<&>", "-l", "k=v",
            "-l", "a=b",
        ])
        .args([
            "-v",
            &format!("{vol}:/data"),
            "-p",
            "127.0.0.1:18092:80",
            "-w",
            "/tmp",
            "--network",
            &net,
        ])
        .args([&image, "sleep", "300"])
        .output()
        .unwrap());
    let templates = [
        "{{.State.Status}}",
        "{{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}",
        "{{.Name}} {{.Id}}",
        "{{json .Config}}",
        "{{json .Config.Labels}}",
        "{{json .HostConfig.PortBindings}}",
        "{{json .Mounts}}",
        "{{range .Config.Env}}{{.}};{{end}}",
        "{{range .Mounts}}{{.Name}}:{{.Destination}}:{{.RW}} {{end}}",
        "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}",
        "{{index .Config.Labels \"k\"}}",
        "{{len .Config.Env}}",
        "{{.Config.Cmd}}",
        "{{.HostConfig.RestartPolicy.Name}}|{{.Config.WorkingDir}}",
        "{{if .State.Running}}up{{else}}down{{end}}",
        "{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}",
        "{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}}{{end}}",
        "{{upper .State.Status}} {{join .Config.Cmd \"+\"}}",
    ];
    for t in templates {
        let (ours, theirs) = both(&docker, &client, &["inspect", "-f", t, &name]);
        assert_eq!(ours, theirs, "inspect -f {t:?}");
    }
    for (t, target) in [
        ("{{.Id}} {{.RepoTags}} {{.Os}}", image.as_str()),
        ("{{json .RootFS}}", image.as_str()),
        (
            "{{.Name}} {{.Driver}} {{.Scope}} {{json .Labels}}",
            net.as_str(),
        ),
        (
            "{{range .IPAM.Config}}{{.Subnet}}{{end}} {{len .Containers}}",
            net.as_str(),
        ),
        ("{{.Name}} {{.Driver}} {{.Mountpoint}}", vol.as_str()),
    ] {
        let (ours, theirs) = both(&docker, &client, &["inspect", "-f", t, target]);
        assert_eq!(ours, theirs, "inspect -f {t:?} {target}");
    }
    // Without a template: the same JSON, byte for byte.
    for target in [name.as_str(), net.as_str(), vol.as_str()] {
        let (ours, theirs) = both(&docker, &client, &["inspect", target]);
        assert_eq!(ours, theirs, "inspect {target}");
    }
    ok(&Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args(["--host", &h, "rm", "-f", "-v", &name])
        .output()
        .unwrap());
    let _ = client.remove_volume(&vol, true);
    let _ = client.remove_network(&net);
}

#[test]
fn events_match_docker() {
    let Some(docker) = docker_cli() else { return };
    let Some(client) = docker_daemon("events_match_docker") else {
        return;
    };
    let image = busybox_image(&client);
    let name = unique_name("parity-events");
    let _g = ContainerGuard::new(&client, name.as_str());
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let since = (now() - 1).to_string();
    let h = host(&client);
    let ds = |args: &[&str]| {
        ok(&Command::new(env!("CARGO_BIN_EXE_docksock"))
            .args(["--host", &h])
            .args(args)
            .output()
            .unwrap())
    };
    let id = ds(&[
        "run", "-d", "--name", &name, "-l", "x=1", "-l", "a=2", &image, "sleep", "300",
    ])
    .trim()
    .to_owned();
    ds(&["pause", &name]);
    ds(&["unpause", &name]);
    ds(&["kill", &name]);
    ds(&["rm", &name]);
    let until = (now() + 1).to_string();
    let filter = format!("container={id}");
    for args in [
        vec![
            "events", "--since", &since, "--until", &until, "--filter", &filter,
        ],
        vec![
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            &filter,
            "--filter",
            "event=die",
        ],
        vec![
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            &filter,
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}",
        ],
        vec![
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            &filter,
            "--format",
            "{{json .}}",
        ],
    ] {
        let (ours, theirs) = both(&docker, &client, &args);
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{args:?}");
    }
}
