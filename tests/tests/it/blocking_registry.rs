//! Pull, push, login and logout against a real registry (`scripts/registry`: distribution 2.8
//! with htpasswd auth, beside the engine): the imported busybox pushed, removed, pulled back
//! layer by layer with the same digest; no login, a wrong password and a missing image are
//! errors, never a silent success; a credential helper is asked once for three pulls;
//! `DOCKER_AUTH_CONFIG` wins over the file and the helpers; a build pulls its `FROM` image with
//! `X-Registry-Config`.
//!
//! Every test pushes to a repository of its own and uses a `DOCKER_CONFIG` of its own
//! (`target/tmp/…`), so tests run in parallel and never read the user's `~/.docker`.

use std::path::Path;
use std::time::Duration;

use docksock::{
    ApiVersion, BuildOptions, Client, DockerConfig, Error, Progress, PullOptions, PushOptions,
    RegistryAuth, RemoveImageOptions, Transferred,
};
use docksock_tests::fault_server::{FaultServer, Step};
use docksock_tests::registry::{registry, temp_dir, CredentialHelper, TestRegistry};
use docksock_tests::tar::TarBuilder;
use docksock_tests::{
    busybox_tar, daemon, private_image, set_aside, unique_name, Engine, ImageGuard,
};
use serde_json::{json, Value};

/// A client of the test daemon whose credentials come from `dir/config.json` (and `env`, a
/// `DOCKER_AUTH_CONFIG` value) only.
fn client_with(dir: &Path, env: Option<&str>) -> Client {
    let mut config = DockerConfig::open(dir).expect("reading the test config.json");
    if let Some(env) = env {
        config = config.with_auth_config(env).expect("DOCKER_AUTH_CONFIG");
    }
    Client::builder_from_env()
        .expect("DOCKER_HOST")
        .docker_config(config)
        .build()
}

fn write_config(dir: &Path, config: &Value) {
    std::fs::write(dir.join("config.json"), config.to_string()).expect("writing config.json");
}

fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    // A plain base64 of the pair, written the long way round: the test does not reuse the
    // client's own encoder to check it.
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in pair.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(table[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A copy of busybox of this test's own, tagged `REGISTRY/docksock/<test>-<pid>:v1`. Returns
/// the guard of the copy, the registry name and its guard.
fn tagged_busybox(
    docker: &Client,
    reg: &TestRegistry,
    test: &str,
) -> (ImageGuard, String, ImageGuard) {
    let base = private_image(docker, test);
    let repo = format!("{}/docksock/{}", reg.addr, unique_name(test));
    docker
        .tag_image(&base.name, &repo, Some("v1"))
        .unwrap_or_else(|e| panic!("tagging {repo}:v1: {e}"));
    let name = format!("{repo}:v1");
    let guard = ImageGuard::new(docker, name.clone());
    (base, name, guard)
}

/// The busybox rootfs with one more file, unique to this test: an image whose one layer no
/// other local image shares, so that pulling it back downloads every byte (a layer the daemon
/// has already is only reported "Already exists"). Imported as `REGISTRY/docksock/<test>-<pid>`
/// with tag `v1`; returns the name and its guard.
fn unique_busybox(docker: &Client, reg: &TestRegistry, test: &str) -> (String, ImageGuard) {
    let mut tar = std::fs::read(busybox_tar()).expect("reading the busybox tar");
    // Walk the entries to the end-of-archive blocks, and put one more file there.
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        let size_field = std::str::from_utf8(&tar[at + 124..at + 136]).expect("tar size field");
        let size = u64::from_str_radix(size_field.trim_matches(|c| c == ' ' || c == '\0'), 8)
            .expect("octal tar size");
        at += 512 + (size as usize).div_ceil(512) * 512;
    }
    tar.truncate(at);
    let marker = format!("{} {:?}\n", unique_name(test), std::time::SystemTime::now());
    tar.extend(
        TarBuilder::new()
            .file("docksock-marker", marker.as_bytes())
            .finish(),
    );
    let repo = format!("{}/docksock/{}", reg.addr, unique_name(test));
    let name = format!("{repo}:v1");
    let guard = ImageGuard::new(docker, name.clone());
    docker
        .import_image(&tar[..], &repo, "v1")
        .unwrap_or_else(|e| panic!("importing {name}: {e}"));
    // Podman 4.3 also names an import `repo:latest`: leave the image one name.
    if docker.inspect_image(&format!("{repo}:latest")).is_ok() {
        docker
            .remove_image(&format!("{repo}:latest"), &RemoveImageOptions::default())
            .unwrap_or_else(|e| panic!("untagging {repo}:latest: {e}"));
    }
    (name, guard)
}

fn remove_local(docker: &Client, name: &str) {
    docker
        .remove_image(
            name,
            &RemoveImageOptions {
                force: true,
                noprune: false,
            },
        )
        .unwrap_or_else(|e| panic!("removing {name}: {e}"));
    let err = docker.inspect_image(name).unwrap_err();
    assert!(err.is_not_found(), "{name} is still there: {err}");
}

/// Podman 4.3's `POST /auth` checks every registry but `localhost` over TLS (registries.conf's
/// `insecure` is not consulted), so it cannot log in to the plain-HTTP test registry.
const PODMAN_AUTH_TLS: &str = "POST /auth checks every registry but localhost over TLS, \
    ignoring registries.conf: no login to a plain-HTTP registry at 127.0.0.1";

/// Logs in to the test registry through the client: credentials filed where `docker login`
/// files them. On Podman (see [`PODMAN_AUTH_TLS`]) the credentials are filed without the
/// daemon's check, through the same configuration code.
fn login(docker: &Client, reg: &TestRegistry, dir: &Path, test: &str) {
    let auth = RegistryAuth::basic(&reg.user, &reg.password, &reg.addr);
    let engine = Engine::of(docker);
    if engine.is_podman() {
        set_aside(&engine, test, PODMAN_AUTH_TLS);
        let mut config = DockerConfig::open(dir).expect("reading config.json");
        config.store(&auth).expect("filing the credentials");
        docker
            .forget_credentials()
            .expect("reading config.json again");
        return;
    }
    let answer = docker
        .login(&auth)
        .unwrap_or_else(|e| panic!("login to {}: {e}", reg.addr));
    assert!(answer["Status"].is_string(), "{answer}");
}

fn pull_outcome(docker: &Client, image: &str) -> Result<Transferred, Error> {
    docker.pull(image, &PullOptions::default())?.finish()
}

fn push_outcome(docker: &Client, image: &str) -> Result<Transferred, Error> {
    docker.push(image, &PushOptions::default())?.finish()
}

/// Reads a progress stream, keeping every message, to its end.
fn observe(progress: Progress) -> (Vec<docksock::ProgressMessage>, Transferred) {
    let mut messages = Vec::new();
    let mut progress = progress;
    for msg in &mut progress {
        messages.push(msg.unwrap_or_else(|e| panic!("progress stream failed: {e}")));
    }
    let summary = progress.finish().expect("the stream's end");
    (messages, summary)
}

#[test]
fn registry_push_remove_pull_round_trip() {
    let Some(docker) = daemon() else { return };
    let Some(reg) = registry() else { return };
    let engine = Engine::of(&docker);
    let dir = temp_dir("registry-round-trip");
    let client = client_with(&dir, None);
    let (name, _guard) = unique_busybox(&client, &reg, "registry-round-trip");

    login(&client, &reg, &dir, "registry_push_remove_pull_round_trip");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        saved["auths"][&reg.addr]["auth"],
        basic(&reg.user, &reg.password).as_str(),
        "login files base64(user:password) under the registry's key: {saved}"
    );

    let (pushed_msgs, pushed) = observe(client.push(&name, &PushOptions::default()).unwrap());
    if pushed.layers.is_empty() && engine.is_podman() {
        set_aside(
            &engine,
            "registry_push_remove_pull_round_trip",
            "the compat push stream reports no layer (it pushes quietly), only the digest",
        );
    } else {
        assert!(
            !pushed.layers.is_empty(),
            "push named no layer: {pushed_msgs:?}"
        );
    }
    let digest = pushed
        .digest
        .clone()
        .unwrap_or_else(|| panic!("push reported no digest: {pushed_msgs:?}"));
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    remove_local(&client, &name);

    let (pulled_msgs, pulled) = observe(client.pull(&name, &PullOptions::default()).unwrap());
    assert!(
        !pulled.layers.is_empty(),
        "pull named no layer: {pulled_msgs:?}"
    );
    // Layer by layer: every layer message names its layer, and the byte counts move forward.
    let with_bytes: Vec<_> = pulled_msgs.iter().filter(|m| m.current.is_some()).collect();
    if with_bytes.is_empty() && engine.is_podman() {
        set_aside(
            &engine,
            "registry_push_remove_pull_round_trip",
            "the compat pull stream gave no byte counts for a 1 MiB layer (only \
             Pulling fs layer / Download complete per layer)",
        );
    } else {
        assert!(
            !with_bytes.is_empty(),
            "no byte progress in the pull: {pulled_msgs:?}"
        );
    }
    for m in &with_bytes {
        let id = m.id.as_deref().expect("a progress message names its layer");
        assert!(
            pulled.layers.iter().any(|l| l == id),
            "{id} not among {:?}",
            pulled.layers
        );
        if let (Some(cur), Some(total)) = (m.current, m.total) {
            assert!(total == 0 || cur <= total, "{cur} > {total}: {:?}", m.raw);
        }
    }
    match &pulled.digest {
        Some(d) => assert_eq!(d, &digest, "pull and push digests differ"),
        None if engine.is_podman() => set_aside(
            &engine,
            "registry_push_remove_pull_round_trip",
            "the compat pull stream carries no digest (checked through inspect instead)",
        ),
        None => panic!("pull reported no digest: {pulled_msgs:?}"),
    }
    let inspect = client.inspect_image(&name).expect("the pulled image");
    let repo = name.trim_end_matches(":v1");
    let repo_digests: Vec<&str> = inspect["RepoDigests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        repo_digests
            .iter()
            .any(|d| *d == format!("{repo}@{digest}")),
        "{repo}@{digest} not in {repo_digests:?}"
    );
}

#[test]
fn registry_refusals_are_errors() {
    if daemon().is_none() {
        return;
    }
    let Some(reg) = registry() else { return };
    let dir = temp_dir("registry-refusals");
    let client = client_with(&dir, None);
    let (_base, name, _guard) = tagged_busybox(&client, &reg, "registry-refusals");

    // No login: the push fails (in the stream on dockerd), nothing is stored.
    let err = push_outcome(&client, &name).expect_err("a push without credentials succeeded");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().is_empty());

    // A wrong password: the login is refused and nothing is filed.
    let engine = Engine::of(&client);
    if engine.is_podman() {
        set_aside(&engine, "registry_refusals_are_errors", PODMAN_AUTH_TLS);
    } else {
        let wrong = RegistryAuth::basic(&reg.user, "not-the-password", &reg.addr);
        let err = client
            .login(&wrong)
            .expect_err("a wrong password logged in");
        assert!(matches!(err, Error::Api { .. }), "{err:?}");
        assert!(
            !dir.join("config.json").exists(),
            "a refused login wrote config.json"
        );
    }

    // Log in, push, then check what fails around it.
    login(&client, &reg, &dir, "registry_refusals_are_errors");
    push_outcome(&client, &name).expect("push with credentials");
    remove_local(&client, &name);

    // Pulling without credentials (a client of an empty config): refused, nothing pulled.
    let anonymous = client_with(&temp_dir("registry-refusals-anon"), None);
    let err = pull_outcome(&anonymous, &name).expect_err("a pull without credentials succeeded");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
    assert!(client.inspect_image(&name).unwrap_err().is_not_found());

    // A wrong password filed in config.json: refused.
    let wrong_dir = temp_dir("registry-refusals-wrong");
    write_config(
        &wrong_dir,
        &json!({"auths": {&reg.addr: {"auth": basic(&reg.user, "not-the-password")}}}),
    );
    let wrong = client_with(&wrong_dir, None);
    let err = pull_outcome(&wrong, &name).expect_err("a pull with a wrong password succeeded");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
    assert!(client.inspect_image(&name).unwrap_err().is_not_found());

    // A missing image, with good credentials: refused.
    let missing = format!("{}/docksock/{}:v1", reg.addr, unique_name("absent"));
    let err = pull_outcome(&client, &missing).expect_err("pulling a missing image succeeded");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
    assert!(client.inspect_image(&missing).unwrap_err().is_not_found());

    // Logout removes the credentials: the next pull of this client is anonymous and refused.
    client.logout(&reg.addr).expect("logout");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert!(
        saved["auths"].get(&reg.addr).is_none(),
        "logout left {saved}"
    );
    let err = pull_outcome(&client, &name).expect_err("a pull after logout succeeded");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
}

#[test]
fn registry_helper_is_asked_once_per_client() {
    let Some(docker) = daemon() else { return };
    let Some(reg) = registry() else { return };
    let (_base, name, _guard) = tagged_busybox(&docker, &reg, "registry-helper");
    let helper = CredentialHelper::new("registry-helper", &reg.addr, &reg.user, &reg.password);
    let dir = temp_dir("registry-helper");
    write_config(&dir, &json!({"credHelpers": {&reg.addr: helper.name}}));
    let client = client_with(&dir, None);

    // Login through the helper: `store` gets the credentials, config.json none.
    login(
        &client,
        &reg,
        &dir,
        "registry_helper_is_asked_once_per_client",
    );
    let stores: Vec<_> = helper
        .requests()
        .into_iter()
        .filter(|(a, _)| a == "store")
        .collect();
    assert_eq!(stores.len(), 1, "{stores:?}");
    let stored: Value = serde_json::from_str(&stores[0].1).unwrap();
    assert_eq!(
        stored,
        json!({"ServerURL": reg.addr, "Username": reg.user, "Secret": reg.password})
    );
    let saved = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(!saved.contains(&basic(&reg.user, &reg.password)), "{saved}");

    push_outcome(&client, &name).expect("push with the helper's credentials");

    // A new client (nothing known yet): three pulls, one `get`.
    let before = helper.count("get");
    let client = client_with(&dir, None);
    for i in 0..3 {
        remove_local(&client, &name);
        pull_outcome(&client, &name).unwrap_or_else(|e| panic!("pull {i}: {e}"));
    }
    let gets: Vec<_> = helper
        .requests()
        .into_iter()
        .filter(|(a, _)| a == "get")
        .collect();
    assert_eq!(
        gets[before..],
        [("get".to_owned(), reg.addr.clone())],
        "the helper's gets for three pulls"
    );

    // Another client asks again: the answers are the client's.
    let other = client_with(&dir, None);
    assert!(other.registry_credentials(&reg.addr).unwrap().is_some());
    assert_eq!(helper.count("get"), before + 2);

    // A registry the helper does not know: "not found" is no credentials, not an error.
    let helper_for_all = json!({"credsStore": helper.name});
    write_config(&dir, &helper_for_all);
    let c = client_with(&dir, None);
    assert_eq!(c.registry_credentials("other.example:5000").unwrap(), None);

    // A helper that is not installed, or an empty helper name: a clear error, or no helper
    // (a bare `docker-credential-` is never run).
    let absent = unique_name("absent-helper");
    write_config(&dir, &json!({"credHelpers": {&reg.addr: absent}}));
    let err = pull_outcome(&client_with(&dir, None), &name).expect_err("a missing helper");
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("docker-credential-{absent}")),
        "{err}"
    );
    write_config(
        &dir,
        &json!({"credsStore": "", "credHelpers": {&reg.addr: ""}}),
    );
    assert_eq!(
        client_with(&dir, None)
            .registry_credentials(&reg.addr)
            .unwrap(),
        None
    );

    // Logout erases through the helper.
    write_config(&dir, &json!({"credHelpers": {&reg.addr: helper.name}}));
    client_with(&dir, None).logout(&reg.addr).expect("logout");
    assert_eq!(helper.count("erase"), 1, "{:?}", helper.requests());
}

#[test]
fn registry_auth_config_env_wins() {
    let Some(docker) = daemon() else { return };
    let Some(reg) = registry() else { return };
    let (_base, name, _guard) = tagged_busybox(&docker, &reg, "registry-env");
    let helper = CredentialHelper::new("registry-env", &reg.addr, &reg.user, "not-the-password");
    let dir = temp_dir("registry-env");
    // The file and the helper both hold a wrong password; DOCKER_AUTH_CONFIG the right one.
    write_config(
        &dir,
        &json!({
            "auths": {&reg.addr: {"auth": basic(&reg.user, "not-the-password")}},
            "credHelpers": {&reg.addr: helper.name},
        }),
    );
    let good = json!({"auths": {&reg.addr: {"auth": basic(&reg.user, &reg.password)}}}).to_string();
    let client = client_with(&dir, Some(&good));
    push_outcome(&client, &name).expect("push with DOCKER_AUTH_CONFIG's credentials");
    remove_local(&client, &name);
    pull_outcome(&client, &name).expect("pull with DOCKER_AUTH_CONFIG's credentials");
    assert_eq!(
        helper.count("get"),
        0,
        "the helper was asked: {:?}",
        helper.requests()
    );

    // The other way round: a wrong DOCKER_AUTH_CONFIG wins over the good file.
    write_config(
        &dir,
        &json!({"auths": {&reg.addr: {"auth": basic(&reg.user, &reg.password)}}}),
    );
    let bad =
        json!({"auths": {&reg.addr: {"auth": basic(&reg.user, "not-the-password")}}}).to_string();
    let client = client_with(&dir, Some(&bad));
    remove_local(&client, &name);
    let err = pull_outcome(&client, &name).expect_err("the wrong DOCKER_AUTH_CONFIG lost");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );
    // The file alone is good.
    pull_outcome(&client_with(&dir, None), &name).expect("pull with the file's credentials");
}

#[test]
fn registry_build_pulls_with_registry_config() {
    if daemon().is_none() {
        return;
    }
    let Some(reg) = registry() else { return };
    let dir = temp_dir("registry-build");
    let client = client_with(&dir, None);
    let (_base, name, _guard) = tagged_busybox(&client, &reg, "registry-build");
    login(
        &client,
        &reg,
        &dir,
        "registry_build_pulls_with_registry_config",
    );
    push_outcome(&client, &name).expect("push the base image");
    remove_local(&client, &name);

    let label = unique_name("registry-build");
    let dockerfile = format!("FROM {name}\nLABEL docksock-build={label}\n");
    let context = TarBuilder::new()
        .file("Dockerfile", dockerfile.as_bytes())
        .finish();
    let tag = format!("docksock-test/{label}:built");
    let _built = ImageGuard::new(&client, tag.clone());
    let build = |registry_config: Option<String>| -> Result<(), Error> {
        let opts = BuildOptions {
            tag: Some(tag.clone()),
            registry_config,
            ..BuildOptions::default()
        };
        for msg in client.build_image(&context[..], &opts)? {
            msg?;
        }
        Ok(())
    };

    // Without X-Registry-Config the FROM image cannot be pulled.
    let err =
        build(None).expect_err("a build pulled from the private registry without credentials");
    assert!(
        matches!(err, Error::Stream { .. } | Error::Api { .. }),
        "{err:?}"
    );

    let config = client.registry_config().expect("X-Registry-Config");
    build(Some(config)).expect("the build with X-Registry-Config");
    let built = client.inspect_image(&tag).expect("the built image");
    assert_eq!(built["Config"]["Labels"]["docksock-build"], label.as_str());
}

/// A client of the fault server whose credentials are `env` (a `DOCKER_AUTH_CONFIG` value).
fn fault_client(server: &FaultServer, env: &str) -> Client {
    let config = DockerConfig::default()
        .with_auth_config(env)
        .expect("DOCKER_AUTH_CONFIG");
    Client::builder()
        .socket(server.path())
        .api_version(ApiVersion::new(1, 51))
        .head_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(5))
        .docker_config(config)
        .build()
}

fn chunked_stream(lines: &[&str], end: bool) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for line in lines {
        let line = format!("{line}\r\n");
        out.extend(format!("{:x}\r\n{line}\r\n", line.len()).into_bytes());
    }
    if end {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    out
}

#[test]
fn registry_fault_errors_in_a_200_stream_fail_the_pull() {
    let progress =
        r#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"aaaaaaaaaaaa"}"#;
    let server = FaultServer::start(vec![
        // API 1.48+: errorDetail only.
        Step::ReadRequest,
        Step::write(chunked_stream(
            &[
                progress,
                r#"{"errorDetail":{"message":"manifest unknown"}}"#,
            ],
            true,
        )),
        // Before 1.48: the deprecated `error` alone.
        Step::ReadRequest,
        Step::write(chunked_stream(
            &[progress, r#"{"error":"unauthorized"}"#],
            true,
        )),
        // A stream cut before its end: an error, never a finished pull.
        Step::ReadRequest,
        Step::write(chunked_stream(&[progress], false)),
        Step::Close,
        // A good one: the digest comes back.
        Step::ReadRequest,
        Step::write(chunked_stream(
            &[
                progress,
                r#"{"status":"Digest: sha256:0000000000000000000000000000000000000000000000000000000000000001"}"#,
                r#"{"status":"Status: Downloaded newer image for r.example/app:latest"}"#,
            ],
            true,
        )),
    ]);
    let env = format!(
        r#"{{"auths": {{"r.example": {{"auth": "{}"}}}}}}"#,
        basic("me", "secret")
    );
    let docker = fault_client(&server, &env);
    let pull = || {
        docker
            .pull("r.example/app", &PullOptions::default())?
            .finish()
    };

    match pull() {
        Err(Error::Stream { message, .. }) => assert_eq!(message, "manifest unknown"),
        other => panic!("errorDetail: {other:?}"),
    }
    match pull() {
        Err(Error::Stream { message, .. }) => assert_eq!(message, "unauthorized"),
        other => panic!("error: {other:?}"),
    }
    let cut = pull().expect_err("a cut stream finished");
    assert!(!matches!(cut, Error::Stream { .. }), "{cut:?}");
    let done = pull().expect("the good pull");
    assert_eq!(
        done.digest.as_deref(),
        Some("sha256:0000000000000000000000000000000000000000000000000000000000000001")
    );
    assert_eq!(done.layers, ["aaaaaaaaaaaa"]);
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished"
    );

    // Every pull: tag=latest added, and the registry's credentials as padded base64url.
    let expected = RegistryAuth::basic("me", "secret", "r.example").header_value();
    for request in server.requests() {
        let text = String::from_utf8_lossy(&request);
        assert!(
            text.starts_with("POST /v1.51/images/create?fromImage=r.example%2Fapp&tag=latest ")
                || text
                    .starts_with("POST /v1.51/images/create?fromImage=r.example/app&tag=latest "),
            "{text}"
        );
        assert!(
            text.contains(&format!("\r\nX-Registry-Auth: {expected}\r\n")),
            "{text}"
        );
    }
}

#[test]
fn registry_fault_push_sends_anonymous_auth_and_the_tag() {
    let server = FaultServer::start(vec![
        Step::ReadRequest,
        Step::write(chunked_stream(
            &[
                r#"{"status":"Pushed","progressDetail":{},"id":"bbbbbbbbbbbb"}"#,
                r#"{"progressDetail":{},"aux":{"Tag":"v2","Digest":"sha256:0000000000000000000000000000000000000000000000000000000000000002","Size":527}}"#,
            ],
            true,
        )),
    ]);
    let docker = fault_client(&server, r#"{"auths": {}}"#);
    let done = docker
        .push("other.example:5000/team/app:v2", &PushOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        done.digest.as_deref(),
        Some("sha256:0000000000000000000000000000000000000000000000000000000000000002")
    );
    assert!(
        server.wait_finished(Duration::from_secs(5)),
        "script not finished"
    );
    let request = String::from_utf8_lossy(&server.requests()[0]).into_owned();
    assert!(
        request.starts_with("POST /v1.51/images/other.example:5000/team/app/push?tag=v2 "),
        "{request}"
    );
    assert!(
        request.contains("\r\nX-Registry-Auth: e30=\r\n"),
        "{request}"
    );
}
