//! The walkthrough of "the docker engine api" post, with docksock and a local image:
//! list images, list running containers, create a named container with a port binding running
//! busybox httpd, start it, fetch its page, show its logs, stop and remove it.
//!
//! Run it with `scripts/walkthrough` (starts a daemon if needed and builds the busybox tar), or:
//!
//! ```text
//! DOCKSOCK_BUSYBOX_TAR=target/busybox-rootfs.tar cargo run -p docksock --example walkthrough -- [--port 8080]
//! ```
//!
//! The image `docksock-test/busybox:latest` is imported through the client's own import call
//! from `$DOCKSOCK_BUSYBOX_TAR`, or from a tar made with `scripts/busybox-rootfs`, if the daemon
//! does not have it yet.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use docksock::{
    Client, ListContainersOptions, ListImagesOptions, LogsOptions, RemoveContainerOptions,
};
use serde_json::json;

const IMAGE: &str = "docksock-test/busybox:latest";
const NAME: &str = "docksock-walkthrough";

type BoxError = Box<dyn std::error::Error>;

fn step(n: u32, what: &str) {
    println!("\n== {n}. {what}");
}

fn main() {
    let mut port: u16 = 8080;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--port", Some(p)) => match p.parse() {
                Ok(p) => port = p,
                Err(_) => usage(),
            },
            _ => usage(),
        }
    }
    if let Err(e) = run(port) {
        eprintln!("walkthrough failed: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: walkthrough [--port HOST_PORT]   (default 8080)");
    std::process::exit(2);
}

/// Force-removes the walkthrough container when dropped (while armed), so a failed step leaves
/// nothing behind.
struct Cleanup<'a>(&'a Client, bool);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if !self.1 {
            return;
        }
        let opts = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        if self.0.remove_container(NAME, &opts).is_ok() {
            println!("   (cleanup: removed {NAME})");
        }
    }
}

fn run(port: u16) -> Result<(), BoxError> {
    let docker = Client::from_env()?;
    let version = docker.version()?;
    println!(
        "Docker {} at {} (API {}, negotiated {})",
        version["Version"].as_str().unwrap_or("?"),
        docker.socket_path().display(),
        version["ApiVersion"].as_str().unwrap_or("?"),
        docker.api_version()?
    );

    step(0, &format!("make sure the image {IMAGE} exists"));
    ensure_image(&docker)?;

    step(1, "list all images (docker images / GET /images/json)");
    let images = docker.list_images(&ListImagesOptions::default())?;
    for img in images.as_array().into_iter().flatten() {
        let tags = img["RepoTags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let id = img["Id"].as_str().unwrap_or("");
        let short = id.strip_prefix("sha256:").unwrap_or(id);
        println!(
            "   {:<12} {:>10} bytes  {}",
            short.get(..12).unwrap_or(short),
            img["Size"],
            tags
        );
    }

    step(
        2,
        "list running containers (docker ps / GET /containers/json)",
    );
    let running = docker.list_containers(&ListContainersOptions::default())?;
    let running = running.as_array().cloned().unwrap_or_default();
    if running.is_empty() {
        println!("   (none)");
    }
    for c in &running {
        println!(
            "   {} {} {}",
            c["Id"].as_str().unwrap_or("").get(..12).unwrap_or(""),
            c["Image"].as_str().unwrap_or(""),
            c["Names"]
        );
    }

    step(
        3,
        &format!("create {NAME} with port {port} -> 80 (POST /containers/create?name={NAME})"),
    );
    let mut cleanup = Cleanup(&docker, true);
    let leftover = RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    if docker.remove_container(NAME, &leftover).is_ok() {
        println!("   removed a leftover {NAME}");
    }
    let config = json!({
        "Image": IMAGE,
        "Cmd": ["httpd", "-f", "-v", "-p", "80", "-h", "/www"],
        "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": port.to_string()}]}},
    });
    println!("   {config}");
    let created = docker.create_container(Some(NAME), &config)?;
    println!("   id {}", created.id);
    for w in &created.warnings {
        println!("   warning: {w}");
    }

    step(4, &format!("start it (POST /containers/{NAME}/start)"));
    docker.start_container(NAME)?;
    let state = docker.inspect_container(NAME)?;
    println!(
        "   running: {}, ports: {}",
        state["State"]["Running"], state["NetworkSettings"]["Ports"]
    );

    step(5, &format!("fetch http://127.0.0.1:{port}/"));
    let page = fetch(port, Duration::from_secs(15))?;
    for line in page.lines() {
        println!("   | {line}");
    }

    step(
        6,
        &format!("its logs (GET /containers/{NAME}/logs?stdout=1&stderr=1)"),
    );
    let logs = docker
        .container_logs(NAME, &LogsOptions::default())?
        .collect_output()?;
    for line in String::from_utf8_lossy(&logs.stdout).lines() {
        println!("   stdout | {line}");
    }
    for line in String::from_utf8_lossy(&logs.stderr).lines() {
        println!("   stderr | {line}");
    }

    step(7, &format!("stop it (POST /containers/{NAME}/stop?t=2)"));
    docker.stop_container(NAME, Some(2))?;
    println!(
        "   exit code {}",
        docker.inspect_container(NAME)?["State"]["ExitCode"]
    );

    step(8, &format!("remove it (DELETE /containers/{NAME})"));
    docker.remove_container(NAME, &RemoveContainerOptions::default())?;
    cleanup.1 = false;
    println!("   done");
    Ok(())
}

/// Imports the busybox image if the daemon does not have it.
fn ensure_image(docker: &Client) -> Result<(), BoxError> {
    match docker.inspect_image(IMAGE) {
        Ok(img) => {
            println!("   present: {}", img["Id"].as_str().unwrap_or("?"));
            return Ok(());
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }
    let tar = match std::env::var_os("DOCKSOCK_BUSYBOX_TAR").map(PathBuf::from) {
        Some(p) if p.is_file() => p,
        _ => {
            let out =
                std::env::temp_dir().join(format!("busybox-rootfs-{}.tar", std::process::id()));
            let script =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/busybox-rootfs");
            println!("   building {} with {}", out.display(), script.display());
            let status = std::process::Command::new(&script).arg(&out).status()?;
            if !status.success() {
                return Err(format!("{} failed: {status}", script.display()).into());
            }
            out
        }
    };
    let (repo, tag) = IMAGE.split_once(':').unwrap_or((IMAGE, "latest"));
    println!(
        "   importing {} (POST /images/create?fromSrc=-&repo={repo}&tag={tag})",
        tar.display()
    );
    let id = docker.import_image(std::fs::File::open(&tar)?, repo, tag)?;
    println!("   imported {id}");
    Ok(())
}

/// A tiny HTTP/1.0 GET over std's TcpStream, retried until httpd answers or `patience` passes.
fn fetch(port: u16, patience: Duration) -> Result<String, BoxError> {
    let deadline = Instant::now() + patience;
    loop {
        match get_once(port) {
            Ok(page) => return Ok(page),
            Err(e) if Instant::now() < deadline => {
                println!("   not answering yet ({e}); retrying");
                std::thread::sleep(Duration::from_millis(300));
            }
            Err(e) => return Err(format!("http://127.0.0.1:{port}/ never answered: {e}").into()),
        }
    }
}

fn get_once(port: u16) -> Result<String, BoxError> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    if reply.is_empty() {
        return Err("empty reply".into());
    }
    Ok(reply)
}
