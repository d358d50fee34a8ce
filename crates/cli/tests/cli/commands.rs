//! The commands against the real daemon: what they print, what they change, their exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

use docksock::Client;
use docksock_tests::{busybox_image, daemon, private_image, unique_name, ContainerGuard};

use crate::support::{ds, host, ok, stderr, stdout};

/// A daemon and the busybox image, or `None` (skipped) without a daemon.
fn setup() -> Option<(Client, String)> {
    let client = daemon()?;
    let image = busybox_image(&client);
    Some((client, image))
}

fn inspect(client: &Client, name: &str, template: &str) -> String {
    ok(&ds(client, &["inspect", "-f", template, name]))
        .trim_end()
        .to_owned()
}

#[test]
fn run_exit_codes_are_dockers() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-exit");
    let _g = ContainerGuard::new(&client, name.as_str());
    // The container's own code; its stdout and stderr kept apart.
    let o = ds(
        &client,
        &[
            "run",
            "--name",
            &name,
            &image,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o), "out\n");
    assert_eq!(stderr(&o), "err\n");
    // 127: no such command; 126: not executable; 125: the daemon refused (no such image).
    let o = ds(&client, &["run", "--rm", &image, "no-such-command-here"]);
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("Error response from daemon:"),
        "{}",
        stderr(&o)
    );
    let o = ds(&client, &["run", "--rm", &image, "/etc/passwd"]);
    assert_eq!(o.status.code(), Some(126), "{}", stderr(&o));
    let o = ds(
        &client,
        &["run", "--rm", "docksock-test/no-such-image:nope"],
    );
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Unable to find image"),
        "{}",
        stderr(&o)
    );
    let o = ds(
        &client,
        &["run", "--rm", "--restart", "sometimes", &image, "true"],
    );
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
}

#[test]
fn run_rm_removes_and_detach_prints_the_id() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-rm");
    let _g = ContainerGuard::new(&client, name.as_str());
    let o = ds(
        &client,
        &["run", "--rm", "--name", &name, &image, "sh", "-c", "exit 4"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let gone = client.inspect_container(&name).unwrap_err();
    assert!(
        matches!(gone, docksock::Error::Api { status: 404, .. }),
        "{gone}"
    );
    let o = ds(
        &client,
        &["run", "-d", "--name", &name, &image, "sleep", "60"],
    );
    let id = ok(&o).trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(inspect(&client, &name, "{{.Id}}"), id);
    assert_eq!(inspect(&client, &name, "{{.State.Status}}"), "running");
}

/// docker's flags become the container's configuration.
/// `run -i`: stdin goes to the container, its end ends the container's stdin.
#[test]
fn run_i_pipes_stdin() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-run-i");
    let _g = ContainerGuard::new(&client, name.as_str());
    let mut child = Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args([
            "--host",
            &host(&client),
            "run",
            "-i",
            "--rm",
            "--name",
            &name,
            &image,
        ])
        .args(["sh", "-c", "tr a-z A-Z; echo done >&2; exit 6"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"HELLO\n");
    assert_eq!(out.stderr, b"done\n");
}

#[test]
fn run_flags_reach_the_container() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-flags");
    let vol = unique_name("cli-flags-vol");
    let _g = ContainerGuard::new(&client, name.as_str());
    let o = ds(
        &client,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "-e",
            "A=1",
            "--env=B=two",
            "-w",
            "/tmp",
            "-u",
            "0:0",
            "-l",
            "tier=web",
            "--label",
            "empty",
            "-p",
            "127.0.0.1:18081:80",
            "-p",
            "90/udp",
            "-v",
            &format!("{vol}:/data"),
            "--mount",
            "type=tmpfs,target=/scratch",
            "--restart",
            "on-failure:2",
            "--network",
            "bridge",
            "--entrypoint",
            "sh",
            "--hostname",
            "box",
            &image,
            "-c",
            "sleep 60",
        ],
    );
    ok(&o);
    let _ = &vol;
    let env = inspect(&client, &name, "{{range .Config.Env}}{{.}},{{end}}");
    let mut env: Vec<&str> = env
        .split(',')
        .filter(|e| e.starts_with("A=") || e.starts_with("B="))
        .collect();
    env.sort_unstable();
    assert_eq!(env, ["A=1", "B=two"]);
    assert_eq!(
        inspect(
            &client,
            &name,
            "{{.Config.WorkingDir}} {{.Config.User}} {{.Config.Hostname}}"
        ),
        "/tmp 0:0 box"
    );
    assert_eq!(
        inspect(&client, &name, "{{json .Config.Labels}}"),
        r#"{"empty":"","tier":"web"}"#
    );
    assert_eq!(
        inspect(
            &client,
            &name,
            "{{json .Config.Entrypoint}} {{json .Config.Cmd}}"
        ),
        r#"["sh"] ["-c","sleep 60"]"#
    );
    let bindings: serde_json::Value = serde_json::from_str(&inspect(
        &client,
        &name,
        "{{json .HostConfig.PortBindings}}",
    ))
    .unwrap();
    assert_eq!(
        bindings["80/tcp"],
        serde_json::json!([{"HostIp": "127.0.0.1", "HostPort": "18081"}])
    );
    // No host port asked: the daemon picks one (Podman writes it back here, dockerd not).
    let picked = bindings["90/udp"][0]["HostPort"].as_str().unwrap();
    assert!(picked.chars().all(|c| c.is_ascii_digit()), "{bindings}");
    assert_eq!(
        inspect(
            &client,
            &name,
            "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        "on-failure:2"
    );
    assert_eq!(
        inspect(&client, &name, "{{.HostConfig.NetworkMode}}"),
        "bridge"
    );
    let mounts = inspect(
        &client,
        &name,
        "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}",
    );
    assert!(mounts.contains("volume:/data"), "{mounts}");
    // The tmpfs is mounted (Podman lists no tmpfs under Mounts; ask the container).
    let mounted = ok(&ds(&client, &["exec", &name, "cat", "/proc/mounts"]));
    assert!(mounted.contains(" /scratch tmpfs "), "{mounted}");
    // `port` and the PORTS column.
    assert_eq!(
        ok(&ds(&client, &["port", &name, "80"])),
        "127.0.0.1:18081\n"
    );
    let ps = ok(&ds(
        &client,
        &[
            "ps",
            "--filter",
            &format!("name={name}"),
            "--format",
            "{{.Ports}}",
        ],
    ));
    // `-p 90/udp` publishes on a port the daemon picks, as docker's does (Podman's list
    // leaves the picked port out).
    assert!(ps.starts_with("127.0.0.1:18081->80/tcp, "), "{ps}");
    assert!(ps.contains("90/udp"), "{ps}");
    ok(&ds(&client, &["rm", "-f", "-v", &name]));
    let _ = client.remove_volume(&vol, true);
}

#[test]
fn exec_codes_env_workdir_user_and_stdin() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-exec");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &["run", "-d", "--name", &name, &image, "sleep", "60"],
    ));
    let o = ds(
        &client,
        &[
            "exec",
            "-e",
            "X=42",
            "-w",
            "/etc",
            "-u",
            "nobody",
            &name,
            "sh",
            "-c",
            "echo $X $(pwd) $(id -u); exit 9",
        ],
    );
    assert_eq!(o.status.code(), Some(9), "{}", stderr(&o));
    assert_eq!(stdout(&o), "42 /etc 65534\n");
    // -i: stdin goes to the command, its end ends it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_docksock"))
        .args([
            "--host",
            &host(&client),
            "exec",
            "-i",
            &name,
            "tr",
            "a-z",
            "A-Z",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"HELLO\n");
    // -d: runs in the background.
    ok(&ds(
        &client,
        &["exec", "-d", &name, "touch", "/tmp/detached"],
    ));
    let mut seen = false;
    for _ in 0..100 {
        if ds(&client, &["exec", &name, "test", "-e", "/tmp/detached"])
            .status
            .success()
        {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(seen);
    // Not running: the daemon's error, exit 1.
    ok(&ds(&client, &["stop", "-t", "0", &name]));
    let o = ds(&client, &["exec", &name, "true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("Error response from daemon:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn logs_streams_tail_and_timestamps() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-logs");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &[
            "run",
            "--name",
            &name,
            &image,
            "sh",
            "-c",
            "for i in 1 2 3; do echo out$i; echo err$i >&2; done",
        ],
    ));
    let o = ds(&client, &["logs", &name]);
    assert_eq!(ok(&o), "out1\nout2\nout3\n");
    assert_eq!(stderr(&o), "err1\nerr2\nerr3\n");
    // The tail counts lines of both streams together.
    for n in [1, 2] {
        let o = ds(&client, &["logs", "-n", &n.to_string(), &name]);
        let lines = ok(&o).lines().count() + stderr(&o).lines().count();
        assert_eq!(lines, n, "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o)
            .lines()
            .chain(stderr(&o).lines())
            .all(|l| l.ends_with('3') || n > 1));
    }
    let o = ds(&client, &["logs", "--tail", "2", "-t", &name]);
    for line in stdout(&o).lines().chain(stderr(&o).lines()) {
        let (ts, text) = line.split_once(' ').unwrap();
        assert!(
            ts.len() >= 20 && ts.ends_with('Z') && ts.contains('T'),
            "{line}"
        );
        assert!(text.starts_with("out") || text.starts_with("err"), "{line}");
    }
    // --until in the past: nothing.
    let o = ds(&client, &["logs", "--until", "2000-01-01T00:00:00Z", &name]);
    assert_eq!(ok(&o), "");
    // -f ends when the container does.
    let o = ds(&client, &["logs", "-f", &name]);
    assert_eq!(ok(&o), "out1\nout2\nout3\n");
}

#[test]
fn lifecycle_commands_take_many_names() {
    let Some((client, image)) = setup() else {
        return;
    };
    let (a, b) = (unique_name("cli-life-a"), unique_name("cli-life-b"));
    let _ga = ContainerGuard::new(&client, a.as_str());
    let _gb = ContainerGuard::new(&client, b.as_str());
    for n in [&a, &b] {
        ok(&ds(
            &client,
            &["create", "--name", n, &image, "sleep", "60"],
        ));
    }
    assert_eq!(ok(&ds(&client, &["start", &a, &b])), format!("{a}\n{b}\n"));
    assert_eq!(ok(&ds(&client, &["pause", &a])), format!("{a}\n"));
    assert_eq!(inspect(&client, &a, "{{.State.Status}}"), "paused");
    assert_eq!(ok(&ds(&client, &["unpause", &a])), format!("{a}\n"));
    let top = ok(&ds(&client, &["top", &a]));
    assert!(
        top.lines().next().unwrap().contains("PID") && top.contains("sleep 60"),
        "{top}"
    );
    let renamed = format!("{a}-renamed");
    ok(&ds(&client, &["rename", &a, &renamed]));
    let _gr = ContainerGuard::new(&client, renamed.as_str());
    assert_eq!(
        ok(&ds(&client, &["kill", "-s", "KILL", &renamed])),
        format!("{renamed}\n")
    );
    assert_eq!(ok(&ds(&client, &["wait", &renamed])), "137\n");
    assert_eq!(
        ok(&ds(&client, &["restart", "-t", "0", &b])),
        format!("{b}\n")
    );
    assert_eq!(ok(&ds(&client, &["stop", "-t", "0", &b])), format!("{b}\n"));
    // One unknown name among known ones: the others are still done, the exit status is 1.
    let o = ds(
        &client,
        &["rm", "-f", &renamed, "docksock-no-such-container", &b],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("{renamed}\n{b}\n"));
    assert!(
        stderr(&o)
            .to_ascii_lowercase()
            .contains("no such container"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ps_formats_quiet_filters() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-ps");
    let label = format!("docksock-ps={name}");
    let _g = ContainerGuard::new(&client, name.as_str());
    let id = ok(&ds(
        &client,
        &[
            "run", "-d", "--name", &name, "-l", &label, &image, "sleep", "60",
        ],
    ))
    .trim()
    .to_owned();
    let filter = format!("label={label}");
    let table = ok(&ds(&client, &["ps", "--filter", &filter]));
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for col in [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&id[..12]) && row.ends_with(&name) && row.contains("\"sleep 60\""),
        "{row}"
    );
    assert!(row.contains(" ago ") && row.contains("Up "), "{row}");
    assert_eq!(
        ok(&ds(&client, &["ps", "-q", "--filter", &filter])),
        format!("{}\n", &id[..12])
    );
    assert_eq!(
        ok(&ds(
            &client,
            &["ps", "-q", "--no-trunc", "--filter", &filter]
        )),
        format!("{id}\n")
    );
    let json = ok(&ds(
        &client,
        &["ps", "--format", "json", "--filter", &filter],
    ));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["Names"], name.as_str());
    assert_eq!(v["State"], "running");
    assert_eq!(v["Labels"], label.as_str());
    let t = ok(&ds(
        &client,
        &[
            "ps",
            "--format",
            "table {{.Names}}\\t{{.State}}",
            "--filter",
            &filter,
        ],
    ));
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAMES", "STATE"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        [name.as_str(), "running"]
    );
    // -n/-l include stopped containers; -a lists them.
    ok(&ds(&client, &["stop", "-t", "0", &name]));
    assert_eq!(ok(&ds(&client, &["ps", "-q", "--filter", &filter])), "");
    assert_eq!(
        ok(&ds(&client, &["ps", "-aq", "--filter", &filter])),
        format!("{}\n", &id[..12])
    );
    assert_eq!(
        ok(&ds(&client, &["ps", "-q", "-n", "1", "--filter", &filter])),
        format!("{}\n", &id[..12])
    );
}

#[test]
fn images_tag_rmi_save_load_import_export() {
    let Some(client) = daemon() else { return };
    let img = private_image(&client, "cli-images");
    let (repo, tag) = img.name.split_once(':').unwrap();
    let id = client.inspect_image(&img.name).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let short = &id["sha256:".len()..][..12];
    let out = ok(&ds(&client, &["images", &img.name]));
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(&row[..3], [repo, tag, short]);
    assert!(row.last().unwrap().ends_with("MB"), "{row:?}");
    assert_eq!(
        ok(&ds(&client, &["images", "-q", &img.name])),
        format!("{short}\n")
    );
    // tag, then rmi of both names at once.
    let t1 = format!("{repo}:{tag}-a");
    let t2 = format!("{repo}:{tag}-b");
    ok(&ds(&client, &["tag", &img.name, &t1]));
    ok(&ds(&client, &["tag", &t1, &t2]));
    // One line a tag, as docker's.
    let mine = format!("reference={repo}:{tag}*");
    assert_eq!(
        ok(&ds(&client, &["images", "-q", "--filter", &mine])),
        format!("{short}\n").repeat(3)
    );
    let o = ok(&ds(&client, &["rmi", &t1, &t2]));
    // Podman names them in full (`docker.io/…`).
    assert_eq!(
        o.replace("docker.io/", ""),
        format!("Untagged: {t1}\nUntagged: {t2}\n")
    );
    // save | load round trip.
    let dir = std::env::temp_dir().join(unique_name("cli-save"));
    std::fs::create_dir_all(&dir).unwrap();
    let tar = dir.join("img.tar");
    ok(&ds(
        &client,
        &["save", "-o", tar.to_str().unwrap(), &img.name],
    ));
    assert!(std::fs::metadata(&tar).unwrap().len() > 1_000_000);
    ok(&ds(&client, &["rmi", &img.name]));
    let o = ok(&ds(&client, &["load", "-i", tar.to_str().unwrap()]));
    assert!(o.contains("Loaded image"), "{o}");
    assert_eq!(client.inspect_image(&img.name).unwrap()["Id"], id.as_str());
    // export a container, import it as an image.
    let name = unique_name("cli-export");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &["create", "--name", &name, &img.name, "true"],
    ));
    let fs_tar = dir.join("fs.tar");
    ok(&ds(
        &client,
        &["export", "-o", fs_tar.to_str().unwrap(), &name],
    ));
    let imported = format!("{repo}:{tag}-imported");
    let _gi = docksock_tests::ImageGuard::new(&client, imported.as_str());
    let new_id = ok(&ds(
        &client,
        &["import", fs_tar.to_str().unwrap(), &imported],
    ))
    .trim()
    .to_owned();
    assert!(new_id.starts_with("sha256:"), "{new_id}");
    assert_eq!(
        client.inspect_image(&imported).unwrap()["Id"],
        new_id.as_str()
    );
    let hist = ok(&ds(&client, &["history", &imported]));
    assert!(
        hist.starts_with("IMAGE") && hist.to_ascii_lowercase().contains("imported from"),
        "{hist}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn build_streams_the_context_with_args_and_target() {
    let Some((client, image)) = setup() else {
        return;
    };
    let dir = std::env::temp_dir().join(unique_name("cli-build"));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("Dockerfile.test"),
        format!(
            "FROM {image} AS base\nARG GREETING=hi\nCOPY sub/hello.txt /hello.txt\nRUN echo \"$GREETING\" > /greeting\n\
             FROM base AS final\nRUN false\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("sub/hello.txt"), "from the context\n").unwrap();
    std::fs::write(dir.join("ignored.txt"), "no").unwrap();
    std::fs::write(dir.join(".dockerignore"), "ignored.txt\n").unwrap();
    let tag = format!("docksock-test/cli-build:{}", std::process::id());
    let _g = docksock_tests::ImageGuard::new(&client, tag.as_str());
    let o = ds(
        &client,
        &[
            "build",
            "-t",
            &tag,
            "-f",
            "Dockerfile.test",
            "--build-arg",
            "GREETING=bonjour",
            "--target",
            "base",
            dir.to_str().unwrap(),
        ],
    );
    let text = ok(&o);
    assert!(text.to_ascii_lowercase().contains("step 1/"), "{text}");
    let name = unique_name("cli-build-run");
    let _c = ContainerGuard::new(&client, name.as_str());
    let o = ds(
        &client,
        &["run", "--rm", &tag, "sh", "-c", "cat /hello.txt /greeting"],
    );
    assert_eq!(ok(&o), "from the context\nbonjour\n");
    // The failing stage fails the build: exit 1 and the daemon's error.
    let o = ds(
        &client,
        &[
            "build",
            "-q",
            "-f",
            "Dockerfile.test",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // The failing step named (dockerd: "The command '/bin/sh -c false' returned a non-zero
    // code: 1"; Podman: "building at STEP \"RUN false\": …").
    assert!(stderr(&o).contains("false"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn networks_and_volumes() {
    let Some(client) = daemon() else { return };
    let net = unique_name("cli-net");
    let vol = unique_name("cli-vol");
    let id = ok(&ds(&client, &["network", "create", "--label", "k=v", &net]))
        .trim()
        .to_owned();
    assert_eq!(id.len(), 64);
    let ls = ok(&ds(
        &client,
        &["network", "ls", "--filter", &format!("name={net}")],
    ));
    assert!(
        ls.starts_with("NETWORK ID") && ls.contains(&net) && ls.contains(&id[..12]),
        "{ls}"
    );
    assert_eq!(
        ok(&ds(
            &client,
            &[
                "network",
                "inspect",
                "-f",
                "{{.Name}} {{.Driver}} {{.Labels.k}}",
                &net
            ]
        )),
        format!("{net} bridge v\n")
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(&ds(&client, &["network", "inspect", &net]))).unwrap();
    assert_eq!(v[0]["Id"], id.as_str());
    assert_eq!(
        ok(&ds(&client, &["network", "rm", &net])),
        format!("{net}\n")
    );
    assert_eq!(
        ok(&ds(&client, &["volume", "create", "--label", "k=v", &vol])),
        format!("{vol}\n")
    );
    let ls = ok(&ds(
        &client,
        &["volume", "ls", "-q", "--filter", &format!("name={vol}")],
    ));
    assert_eq!(ls, format!("{vol}\n"));
    assert_eq!(
        ok(&ds(
            &client,
            &[
                "inspect",
                "--type",
                "volume",
                "-f",
                "{{.Name}} {{.Driver}}",
                &vol
            ]
        )),
        format!("{vol} local\n")
    );
    assert_eq!(
        ok(&ds(&client, &["volume", "rm", &vol])),
        format!("{vol}\n")
    );
    let o = ds(&client, &["volume", "rm", &vol]);
    assert_eq!(o.status.code(), Some(1));
    // Prune refuses to ask on a non-terminal; -f prunes (its report is printed).
    let o = ds(&client, &["network", "prune"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ok(&ds(
        &client,
        &[
            "volume",
            "prune",
            "-f",
            "--filter",
            "label=docksock-cli-none",
        ],
    ));
    assert!(o.contains("Total reclaimed space:"), "{o}");
}

#[test]
fn system_prune_takes_only_what_its_filter_names() {
    let Some((client, image)) = setup() else {
        return;
    };
    let label = format!("docksock-prune={}", unique_name("p"));
    let doomed = unique_name("cli-prune-doomed");
    let kept = unique_name("cli-prune-kept");
    let net = unique_name("cli-prune-net");
    let doomed_id = ok(&ds(
        &client,
        &[
            "create", "--label", &label, "--name", &doomed, &image, "true",
        ],
    ))
    .trim()
    .to_owned();
    // Stopped too, but without the label: the filter must spare it.
    let _kept = ContainerGuard::create(
        &client,
        &kept,
        &serde_json::json!({"Image": image, "Cmd": ["true"]}),
    );
    ok(&ds(
        &client,
        &["network", "create", "--label", &label, &net],
    ));
    // No terminal to ask on: without -f it refuses and prunes nothing.
    let o = ds(
        &client,
        &["system", "prune", "--filter", &format!("label={label}")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(inspect(&client, &doomed, "{{.Name}}"), format!("/{doomed}"));
    let text = ok(&ds(
        &client,
        &[
            "system",
            "prune",
            "-f",
            "--filter",
            &format!("label={label}"),
        ],
    ));
    assert!(
        text.contains("Deleted Containers:") && text.contains(&doomed_id),
        "{text}"
    );
    assert!(
        text.contains("Deleted Networks:") && text.contains(&net),
        "{text}"
    );
    assert!(text.contains("Total reclaimed space:"), "{text}");
    assert!(!text.contains(&kept), "{text}");
    assert_eq!(ds(&client, &["inspect", &doomed]).status.code(), Some(1));
    assert_eq!(
        ds(&client, &["network", "inspect", &net]).status.code(),
        Some(1)
    );
    assert_eq!(inspect(&client, &kept, "{{.Name}}"), format!("/{kept}"));
}

#[test]
fn inspect_many_kinds_and_templates() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-inspect");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &[
            "create", "--name", &name, "-e", "A=1", "-l", "x=y", &image, "sh", "-c", "true",
        ],
    ));
    // Default: one JSON array, four-space indent, daemon's field order.
    let text = ok(&ds(&client, &["inspect", &name, &image, "bridge"]));
    assert!(
        text.starts_with("[\n    {\n        \"Id\": "),
        "{}",
        &text[..40]
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[2]["Name"], "bridge");
    let cases = [
        ("{{.State.Status}}", "created".to_owned()),
        ("{{json .Config.Cmd}}", r#"["sh","-c","true"]"#.to_owned()),
        (
            "{{range .Config.Cmd}}<{{.}}>{{end}}",
            "<sh><-c><true>".to_owned(),
        ),
        ("{{.Name}}", format!("/{name}")),
        ("{{index .Config.Labels \"x\"}}", "y".to_owned()),
        (
            "{{if eq .State.Status \"created\"}}new{{else}}old{{end}}",
            "new".to_owned(),
        ),
        ("{{.Config.Labels}}", "map[x:y]".to_owned()),
        ("{{len .Config.Cmd}}", "3".to_owned()),
        ("{{.State.Running}} {{.State.Pid}}", "false 0".to_owned()),
        ("{{.NoSuchField}}", "<no value>".to_owned()),
    ];
    for (t, want) in cases {
        assert_eq!(inspect(&client, &name, t), want, "{t}");
    }
    // An unknown name: an error for it, the others printed, exit 1.
    let o = ds(
        &client,
        &[
            "inspect",
            "-f",
            "{{.Name}}",
            &name,
            "docksock-no-such-object",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("/{name}\n"));
    assert!(stderr(&o).contains("No such object: docksock-no-such-object"));
    // A template that cannot parse is an error before anything is asked.
    let o = ds(&client, &["inspect", "-f", "{{range .X}}", &name]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("template parsing error"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn events_in_dockers_line_format() {
    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-events");
    let _g = ContainerGuard::new(&client, name.as_str());
    let since = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1)
    .to_string();
    let id = ok(&ds(
        &client,
        &[
            "create", "--name", &name, "-l", "b=2", "-l", "a=1", &image, "true",
        ],
    ))
    .trim()
    .to_owned();
    ok(&ds(&client, &["rm", &name]));
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    let filter = format!("container={id}");
    let text = ok(&ds(
        &client,
        &[
            "events", "--since", &since, "--until", &until, "--filter", &filter,
        ],
    ));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let img = image.as_str();
    // dockerd says `destroy` where Podman says `remove`.
    let gone = if docksock_tests::Engine::of(&client).is_podman() {
        "remove"
    } else {
        "destroy"
    };
    for (line, action) in lines.iter().zip(["create", gone]) {
        let (ts, rest) = line.split_once(' ').unwrap();
        assert_eq!(ts.len(), "2024-01-01T00:00:00.000000000Z".len(), "{line}");
        let head = format!("container {action} {id} (");
        assert!(rest.starts_with(&head) && rest.ends_with(')'), "{line}");
        // The attributes, sorted by key, `k=v` joined by ", " (Podman adds some of its own).
        let attrs: Vec<&str> = rest[head.len()..rest.len() - 1].split(", ").collect();
        let mut sorted = attrs.clone();
        sorted.sort_unstable();
        assert_eq!(attrs, sorted, "{line}");
        for want in ["a=1", "b=2", &format!("name={name}")] {
            assert!(attrs.contains(&want), "{line}");
        }
        let image = attrs.iter().find_map(|a| a.strip_prefix("image=")).unwrap();
        assert_eq!(image.trim_start_matches("docker.io/"), img, "{line}");
    }
    let engine = docksock_tests::Engine::of(&client);
    if engine.is_podman() {
        // Asked again once `until` has passed, Podman 4.3 answers no event at all.
        docksock_tests::set_aside(
            &engine,
            "events_in_dockers_line_format",
            "past events asked again after `until` passed: an empty stream",
        );
        return;
    }
    let text = ok(&ds(
        &client,
        &[
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            &filter,
            "--format",
            "{{.Type}}/{{.Action}}",
        ],
    ));
    assert_eq!(text, format!("container/create\ncontainer/{gone}\n"));
    let text = ok(&ds(
        &client,
        &[
            "events", "--since", &since, "--until", &until, "--filter", &filter, "--format", "json",
        ],
    ));
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["Actor"]["ID"], id.as_str());
}

#[test]
fn system_version_info_df_stats() {
    let Some((client, image)) = setup() else {
        return;
    };
    let v = ok(&ds(&client, &["version"]));
    assert!(
        v.starts_with("Client:\n Version:") && v.contains("Server:\n Engine:\n  Version:"),
        "{v}"
    );
    let server = client.version().unwrap();
    assert_eq!(
        ok(&ds(&client, &["version", "-f", "{{.Server.Version}}"])).trim(),
        server["Version"].as_str().unwrap()
    );
    let i = ok(&ds(&client, &["info"]));
    assert!(
        i.contains(" Containers: ") && i.contains(" Server Version: "),
        "{i}"
    );
    assert_eq!(
        ok(&ds(&client, &["info", "--format", "{{.OSType}}"])),
        "linux\n"
    );
    let df = ok(&ds(&client, &["system", "df"]));
    let rows: Vec<&str> = df.lines().map(|l| l.split("  ").next().unwrap()).collect();
    assert_eq!(
        rows,
        [
            "TYPE",
            "Images",
            "Containers",
            "Local Volumes",
            "Build Cache"
        ],
        "{df}"
    );
    let name = unique_name("cli-stats");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &["run", "-d", "--name", &name, &image, "sleep", "60"],
    ));
    let s = ok(&ds(&client, &["stats", "--no-stream", &name]));
    let mut lines = s.lines();
    assert!(
        lines.next().unwrap().starts_with("CONTAINER ID   NAME"),
        "{s}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(&name) && row.contains('%') && row.contains("iB / "),
        "{row}"
    );
    let s = ok(&ds(
        &client,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDs}}",
            &name,
        ],
    ));
    assert_eq!(s, format!("{name} 1\n"));
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::io::Read;

    let Some((client, image)) = setup() else {
        return;
    };
    let name = unique_name("cli-pipe");
    let _g = ContainerGuard::new(&client, name.as_str());
    ok(&ds(
        &client,
        &[
            "run",
            "--name",
            &name,
            &image,
            "sh",
            "-c",
            "yes | head -n 200000",
        ],
    ));
    for command in [
        &["images"][..],
        &["info"][..],
        &["version"][..],
        &["ps", "-a"][..],
        &["logs", &name][..],
        &["inspect", &name][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_docksock"))
            .args(["--host", &host(&client)])
            .args(command)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the pipe before the command has written (`docksock ps | head -c 0`): its
        // first write meets EPIPE.
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{command:?}: {status}: {err}");
        assert!(err.is_empty(), "{command:?}: {err}");
    }
}
