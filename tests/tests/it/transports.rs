//! Transports beyond the local socket, against real servers started by `scripts/transports`:
//! `tcp://` (plain HTTP to docker-28.5 through the host's 127.0.0.1:2375), TLS (a dockerd with
//! `--tlsverify` on 127.0.0.1:2376, certificates made by the rig), `ssh://` (a private sshd on
//! 127.0.0.1:2222 running Debian's `docker system dial-stdio`), and Docker contexts (a store
//! written by the real `docker context create` into a temporary `DOCKER_CONFIG`).
//!
//! Each test reads the rig's variables (`DOCKSOCK_TCP_HOST`…); without them it fails in CI and
//! is skipped loudly elsewhere.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use docksock::{Client, Endpoint, Environment, Error, SshEndpoint, TlsFiles};
use docksock_tests::{busybox_image, unique_name, ContainerGuard};
use serde_json::json;

/// A variable of the transport rig, or `None` (skipped; a failure in CI).
fn rig(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but {var} is not: run the tests under scripts/transports start")
        }
        _ => {
            eprintln!(
                "\n*** SKIPPED: {var} is not set (eval \"$(scripts/transports start)\" first)\n"
            );
            None
        }
    }
}

/// The sockets of this process connected to 127.0.0.1:`port` (from `/proc`; a socket open on
/// two descriptors counts once).
fn connections_to(port: u16) -> usize {
    let mut inodes = Vec::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(rem), Some(state), Some(inode)) = (f.get(2), f.get(3), f.get(9)) else {
                continue;
            };
            let rport = rem.rsplit(':').next().unwrap_or("");
            // 01: ESTABLISHED.
            if u16::from_str_radix(rport, 16).ok() == Some(port) && *state == "01" {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    let mut open: Vec<PathBuf> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|l| inodes.iter().any(|i| Path::new(i) == l))
        .collect();
    open.sort();
    open.dedup();
    open.len()
}

/// The `ssh` processes that are children of this process.
fn ssh_children() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| {
            let stat = std::fs::read_to_string(e.ok()?.path().join("stat")).ok()?;
            let (comm, rest) = stat.split_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?;
            (comm.ends_with("(ssh") && ppid == me).then_some(())
        })
        .count()
}

fn tls_files(dir: &str, verify: bool) -> TlsFiles {
    TlsFiles::in_dir(dir, verify).unwrap_or_else(|e| panic!("{dir}: {e}"))
}

fn tls_client(host: &str, files: TlsFiles) -> Client {
    let endpoint = Endpoint::parse(host).unwrap().with_tls(files).unwrap();
    Client::builder().endpoint(endpoint).build()
}

/// `exec cat` with stdin over `docker`: the half-close reaches the process (cat exits).
fn exec_cat_round_trip(docker: &Client, test: &str) {
    let image = busybox_image(docker);
    let guard = ContainerGuard::create(
        docker,
        &unique_name(test),
        &json!({"Image": image, "Cmd": ["sleep", "600"]}),
    );
    docker.start_container(&guard.id).unwrap();
    let input: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::new();
    let code = docker
        .exec_run(
            &guard.id,
            &json!({"Cmd": ["cat"]}),
            Some(&input[..]),
            &mut out,
            std::io::sink(),
        )
        .unwrap();
    assert_eq!(code, 0);
    assert!(
        out == input,
        "cat gave back {} bytes of {}",
        out.len(),
        input.len()
    );
}

// ----- tcp:// ----------------------------------------------------------------------------------

#[test]
fn tcp_plain_http_keeps_one_connection_for_many_requests() {
    let Some(host) = rig("DOCKSOCK_TCP_HOST") else {
        return;
    };
    let docker = Client::builder().host(&host).unwrap().build();
    let before = connections_to(2375);
    for _ in 0..50 {
        let ping = docker.ping().unwrap();
        assert!(ping.api_version.is_some());
    }
    docker.version().unwrap();
    assert_eq!(
        connections_to(2375) - before,
        1,
        "51 sequential requests over one keep-alive connection"
    );
    exec_cat_round_trip(&docker, "tcp-exec");
}

#[test]
fn tcp_errors_name_the_endpoint() {
    // Nothing listens on port 1 of the loopback.
    let docker = Client::builder().host("tcp://127.0.0.1:1").unwrap().build();
    let e = docker.ping().unwrap_err().to_string();
    assert!(e.contains("127.0.0.1:1"), "{e}");
    assert!(e.contains("nothing is listening"), "{e}");
}

// ----- TLS -------------------------------------------------------------------------------------

#[test]
fn tls_mutual_keeps_one_connection_and_half_closes() {
    let (Some(host), Some(certs)) = (rig("DOCKSOCK_TLS_HOST"), rig("DOCKSOCK_TLS_CERTS")) else {
        return;
    };
    let docker = tls_client(&host, tls_files(&format!("{certs}/client"), true));
    let before = connections_to(2376);
    for _ in 0..50 {
        docker.ping().unwrap();
    }
    let version = docker.version().unwrap();
    assert!(version["ApiVersion"].is_string(), "{version}");
    assert_eq!(connections_to(2376) - before, 1, "one TLS connection");
    // A hijacked exec over TLS: stdin ends with close_notify.
    exec_cat_round_trip(&docker, "tls-exec");
}

#[test]
fn tls_from_the_environment_defaults_to_port_2376() {
    let (Some(_), Some(certs)) = (rig("DOCKSOCK_TLS_HOST"), rig("DOCKSOCK_TLS_CERTS")) else {
        return;
    };
    let env = Environment {
        docker_host: Some("tcp://127.0.0.1".into()),
        tls_verify: true,
        cert_path: Some(format!("{certs}/client").into()),
        ..Environment::default()
    };
    let resolved = env.resolve(None, None).unwrap();
    assert_eq!(resolved.context, "default");
    let Endpoint::Tcp(t) = &resolved.endpoint else {
        panic!("{:?}", resolved.endpoint)
    };
    assert_eq!(t.port, 2376);
    assert!(t.tls.as_ref().is_some_and(|t| t.verify));
    let docker = Client::builder().endpoint(resolved.endpoint).build();
    docker.ping().unwrap();
    // A certificate directory without key.pem is refused before any connection.
    let env = Environment {
        cert_path: Some(format!("{certs}/ca-only").into()),
        ..env
    };
    let e = env.resolve(None, None).unwrap_err().to_string();
    assert!(e.contains("cert.pem is missing"), "{e}");
}

#[test]
fn tls_a_wrong_ca_is_a_clear_error() {
    let (Some(host), Some(certs)) = (rig("DOCKSOCK_TLS_HOST"), rig("DOCKSOCK_TLS_CERTS")) else {
        return;
    };
    let docker = tls_client(&host, tls_files(&format!("{certs}/wrong-ca"), true));
    let e = docker.ping().unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(text.contains("TLS handshake with 127.0.0.1:2376"), "{text}");
    assert!(text.contains("not signed by the CA"), "{text}");
    // Without verification (DOCKER_TLS_VERIFY unset) the same files connect.
    let docker = tls_client(&host, tls_files(&format!("{certs}/wrong-ca"), false));
    docker.ping().unwrap();
}

#[test]
fn tls_a_missing_client_certificate_is_refused_clearly() {
    let (Some(host), Some(certs)) = (rig("DOCKSOCK_TLS_HOST"), rig("DOCKSOCK_TLS_CERTS")) else {
        return;
    };
    let files = TlsFiles {
        ca: Some(PathBuf::from(format!("{certs}/ca.pem"))),
        client: None,
        verify: true,
    };
    let e = tls_client(&host, files).ping().unwrap_err().to_string();
    assert!(e.contains("refused this client's certificate"), "{e}");
}

#[test]
fn tls_an_expired_client_certificate_is_refused_clearly() {
    let (Some(host), Some(certs)) = (rig("DOCKSOCK_TLS_HOST"), rig("DOCKSOCK_TLS_CERTS")) else {
        return;
    };
    let docker = tls_client(&host, tls_files(&format!("{certs}/expired"), true));
    let e = docker.ping().unwrap_err().to_string();
    assert!(e.contains("refused this client's certificate"), "{e}");
}

#[test]
fn tls_plain_http_to_the_tls_port_fails_without_hanging() {
    let Some(host) = rig("DOCKSOCK_TLS_HOST") else {
        return;
    };
    let docker = Client::builder()
        .host(&host)
        .unwrap()
        .head_timeout(std::time::Duration::from_secs(10))
        .build();
    // dockerd answers a plain request on a TLS port with a 400 or closes: an error either way.
    assert!(docker.ping().is_err());
}

// ----- ssh:// ----------------------------------------------------------------------------------

/// A key made for one test, authorized (or not) on the rig's sshd, and the `-F` config that
/// uses it.
struct SshKey {
    dir: PathBuf,
    fingerprint: String,
}

impl SshKey {
    /// `options`: an authorized_keys prefix (`environment="..."`); `None`: not authorized.
    fn new(test: &str, authorize: Option<&str>) -> Option<SshKey> {
        let rig_dir = rig("DOCKSOCK_SSH_DIR")?;
        let dir = std::env::temp_dir().join(unique_name(test));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("id");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", test, "-f"])
            .arg(&key)
            .status()
            .expect("running ssh-keygen");
        assert!(status.success());
        let public = std::fs::read_to_string(dir.join("id.pub")).unwrap();
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(dir.join("id.pub"))
            .output()
            .unwrap();
        let fingerprint = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .expect("a fingerprint")
            .to_owned();
        if let Some(options) = authorize {
            use std::io::Write;
            let line = format!("{options}{}", public.trim_end());
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(Path::new(&rig_dir).join("authorized_keys"))
                .unwrap();
            // One write: tests running at once append whole lines.
            f.write_all(format!("{line}\n").as_bytes()).unwrap();
        }
        let config = format!(
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {rig_dir}/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n  IdentityAgent none\n",
            key.display()
        );
        std::fs::write(dir.join("config"), config).unwrap();
        Some(SshKey { dir, fingerprint })
    }

    fn endpoint(&self, host: &str, socket: Option<String>) -> Endpoint {
        let port = std::env::var("DOCKSOCK_SSH_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(2222);
        let mut url = format!("ssh://root@{host}:{port}");
        if let Some(s) = socket {
            url.push_str(&s);
        }
        let Endpoint::Ssh(mut ssh) = Endpoint::parse(&url).unwrap() else {
            unreachable!()
        };
        ssh.ssh_args = vec![OsString::from("-F"), self.dir.join("config").into()];
        Endpoint::Ssh(ssh)
    }

    /// Sessions the sshd accepted with this key.
    fn sessions(&self) -> usize {
        let log = std::fs::read_to_string(
            Path::new(&std::env::var("DOCKSOCK_SSH_DIR").unwrap()).join("sshd.log"),
        )
        .unwrap_or_default();
        log.lines()
            .filter(|l| l.contains("Accepted publickey") && l.contains(&self.fingerprint))
            .count()
    }
}

impl Drop for SshKey {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn ssh_one_session_for_many_requests_and_exec_over_it() {
    let Some(socket) = rig("DOCKSOCK_ENGINE_SOCKET") else {
        return;
    };
    let Some(key) = SshKey::new("ssh-one-session", Some("")) else {
        return;
    };
    let docker = Client::builder()
        .endpoint(key.endpoint("127.0.0.1", Some(socket)))
        .build();
    for _ in 0..100 {
        docker.ping().unwrap();
    }
    docker.version().unwrap();
    assert_eq!(ssh_children(), 1, "one ssh process for 101 requests");
    assert_eq!(key.sessions(), 1, "one ssh session accepted by sshd");
    // attach/exec: closing ssh's stdin is the half-close.
    exec_cat_round_trip(&docker, "ssh-exec");
    drop(docker);
    assert_eq!(
        ssh_children(),
        0,
        "every ssh child is reaped with its client"
    );
}

#[test]
fn ssh_failures_carry_the_end_of_ssh_stderr() {
    let Some(socket) = rig("DOCKSOCK_ENGINE_SOCKET") else {
        return;
    };
    // An unknown host.
    let Some(key) = SshKey::new("ssh-unknown-host", Some("")) else {
        return;
    };
    let docker = Client::builder()
        .endpoint(key.endpoint("no-such-host.invalid", Some(socket.clone())))
        .build();
    let e = docker.ping().unwrap_err().to_string();
    assert!(
        e.contains("`ssh` for ssh://root@no-such-host.invalid"),
        "{e}"
    );
    assert!(e.contains("exited (exit status: 255)"), "{e}");
    assert!(e.contains("no-such-host.invalid"), "{e}");
    assert!(e.contains("its stderr ends with"), "{e}");

    // A key the server does not know.
    let Some(refused) = SshKey::new("ssh-refused-key", None) else {
        return;
    };
    let docker = Client::builder()
        .endpoint(refused.endpoint("127.0.0.1", Some(socket.clone())))
        .build();
    let e = docker.ping().unwrap_err().to_string();
    assert!(e.contains("Permission denied"), "{e}");

    // No docker on the remote side (its PATH has none).
    let Some(nodocker) = SshKey::new("ssh-no-docker", Some("environment=\"PATH=/nonexistent\" "))
    else {
        return;
    };
    let docker = Client::builder()
        .endpoint(nodocker.endpoint("127.0.0.1", Some(socket.clone())))
        .build();
    let e = docker.ping().unwrap_err().to_string();
    assert!(e.contains("exit status: 127"), "{e}");
    assert!(e.contains("docker"), "{e}");

    // A remote docker without a daemon at that socket.
    let docker = Client::builder()
        .endpoint(key.endpoint("127.0.0.1", Some("/nonexistent/docker.sock".into())))
        .build();
    let e = docker.ping().unwrap_err().to_string();
    assert!(e.contains("/nonexistent/docker.sock"), "{e}");
}

// ----- contexts --------------------------------------------------------------------------------

/// A temporary `DOCKER_CONFIG`, written by the real `docker context create`.
struct ConfigDir(PathBuf);

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn docker_cli(config: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .output()
        .expect("running the docker CLI");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn contexts_follow_the_docker_cli() {
    let (Some(tcp), Some(tls), Some(certs)) = (
        rig("DOCKSOCK_TCP_HOST"),
        rig("DOCKSOCK_TLS_HOST"),
        rig("DOCKSOCK_TLS_CERTS"),
    ) else {
        return;
    };
    let dir = ConfigDir(std::env::temp_dir().join(unique_name("contexts")));
    std::fs::create_dir_all(&dir.0).unwrap();
    docker_cli(
        &dir.0,
        &[
            "context",
            "create",
            "plain",
            "--docker",
            &format!("host={tcp}"),
        ],
    );
    let tls_spec = format!(
        "host={tls},ca={certs}/client/ca.pem,cert={certs}/client/cert.pem,key={certs}/client/key.pem"
    );
    docker_cli(
        &dir.0,
        &["context", "create", "secure", "--docker", &tls_spec],
    );
    docker_cli(&dir.0, &["context", "use", "secure"]);

    let env = Environment {
        docker_config: Some(dir.0.clone()),
        ..Environment::default()
    };
    // currentContext of config.json: the TLS daemon.
    let resolved = env.resolve(None, None).unwrap();
    assert_eq!(resolved.context, "secure");
    let Endpoint::Tcp(t) = &resolved.endpoint else {
        panic!("{:?}", resolved.endpoint)
    };
    assert!(t
        .tls
        .as_ref()
        .is_some_and(|t| t.verify && t.client.is_some()));
    let secure = Client::builder().endpoint(resolved.endpoint).build();
    let secure_id = secure.info().unwrap()["ID"].clone();

    // DOCKER_CONTEXT wins over currentContext: the plain daemon, another engine.
    let env_ctx = Environment {
        docker_context: Some("plain".into()),
        ..env.clone()
    };
    let resolved = env_ctx.resolve(None, None).unwrap();
    assert_eq!(resolved.context, "plain");
    let plain = Client::builder().endpoint(resolved.endpoint).build();
    assert_ne!(plain.info().unwrap()["ID"], secure_id, "two engines");

    // --context wins over both; DOCKER_HOST wins over DOCKER_CONTEXT and currentContext.
    assert_eq!(
        env_ctx.resolve(None, Some("secure")).unwrap().context,
        "secure"
    );
    let env_host = Environment {
        docker_host: Some(tcp.clone().into()),
        ..env_ctx.clone()
    };
    let resolved = env_host.resolve(None, None).unwrap();
    assert_eq!(resolved.context, "default");
    assert_eq!(resolved.endpoint, Endpoint::parse(&tcp).unwrap());
    // --host wins too, and --host with --context is refused.
    let resolved = env_ctx.resolve(Some(tls.as_ref()), None).unwrap();
    assert_eq!(resolved.endpoint, Endpoint::parse(&tls).unwrap());
    assert!(env_ctx.resolve(Some(tls.as_ref()), Some("plain")).is_err());

    // An unknown context is an error, whichever way it is named.
    let unknown = Environment {
        docker_context: Some("nope".into()),
        ..env.clone()
    };
    let e = unknown.resolve(None, None).unwrap_err().to_string();
    assert!(e.contains("context \"nope\" does not exist"), "{e}");
    assert!(env.resolve(None, Some("nope")).is_err());

    // `default` is DOCKER_HOST's (or the default socket's) context.
    let default = env_host.resolve(None, Some("default")).unwrap();
    assert_eq!(default.endpoint, Endpoint::parse(&tcp).unwrap());

    // An ssh context resolves to the ssh transport.
    docker_cli(
        &dir.0,
        &[
            "context",
            "create",
            "remote",
            "--docker",
            "host=ssh://me@example.invalid:2200",
        ],
    );
    let remote = env.resolve(None, Some("remote")).unwrap().endpoint;
    let Endpoint::Ssh(SshEndpoint {
        user, host, port, ..
    }) = remote
    else {
        panic!("{remote:?}")
    };
    assert_eq!(
        (user.as_deref(), host.as_str(), port),
        (Some("me"), "example.invalid", Some(2200))
    );
}

// ----- many daemons from one thread ------------------------------------------------------------

#[test]
fn mio_fanout_spreads_requests_over_two_engines() {
    let (Some(tcp), Some(other)) = (
        rig("DOCKSOCK_TCP_HOST"),
        rig("DOCKSOCK_OTHER_ENGINE_SOCKET"),
    ) else {
        return;
    };
    // Two engines: their IDs differ.
    let a = Client::builder().host(&tcp).unwrap().build();
    let b = Client::new(&other);
    assert_ne!(a.info().unwrap()["ID"], b.info().unwrap()["ID"]);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "run",
            "-q",
            "-p",
            "docksock-mio",
            "--example",
            "fanout",
            "--",
        ])
        .args(["--endpoint", &format!("unix://{other}"), "--endpoint", &tcp])
        .args(["--connections", "4", "--requests", "2000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running the fanout example");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "fanout failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answered: Vec<usize> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("endpoint="))
        .filter_map(|l| l.rsplit_once(" answered=")?.1.parse().ok())
        .collect();
    assert_eq!(answered.len(), 2, "{stdout}");
    assert_eq!(answered.iter().sum::<usize>(), 2000, "{stdout}");
    assert!(
        answered.iter().all(|&n| n > 0),
        "both engines answered: {stdout}"
    );
}

// ----- the base path and Host of tcp:// (a scripted server: dockerd serves no base path) ----

#[test]
fn tcp_base_path_prefixes_every_request_and_host_names_the_endpoint() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut heads = Vec::new();
        // Two requests on one keep-alive connection: the negotiation ping and the call.
        for _ in 0..2 {
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push(line.trim_end().to_owned());
            }
            let body = if head[0].starts_with("HEAD") {
                ""
            } else {
                "{}"
            };
            let mut w = &sock;
            write!(
                w,
                "HTTP/1.1 200 OK\r\nApi-Version: 1.51\r\nContent-Length: {}\r\n\r\n{}",
                if body.is_empty() { 2 } else { body.len() },
                body
            )
            .unwrap();
            heads.push(head);
        }
        heads
    });
    let docker = Client::builder()
        .host(format!("tcp://127.0.0.1:{port}/docker/api/"))
        .unwrap()
        .build();
    docker.version().unwrap();
    let heads = server.join().unwrap();
    assert_eq!(heads[0][0], "HEAD /docker/api/_ping HTTP/1.1");
    assert_eq!(heads[1][0], "GET /docker/api/v1.51/version HTTP/1.1");
    for head in &heads {
        assert_eq!(head[1], format!("Host: 127.0.0.1:{port}"));
    }
}
