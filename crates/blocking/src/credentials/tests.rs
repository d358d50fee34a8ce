//! Unit tests of the credentials module.

use super::helper::{run_helper, says_not_found, HelperFailure};
use super::*;

#[test]
fn hub_and_other_keys() {
    for hub in [
        "docker.io",
        "index.docker.io",
        "https://index.docker.io/v1/",
        "http://index.docker.io",
        "",
    ] {
        assert_eq!(registry_key(hub), DOCKER_HUB, "{hub}");
    }
    assert_eq!(registry_key("registry.example:443"), "registry.example:443");
    assert_eq!(
        registry_key("https://registry.example/v2/"),
        "registry.example"
    );
    assert_eq!(registry_key("ghcr.io"), "ghcr.io");
}

#[test]
fn image_registries() {
    assert_eq!(registry_of_image("busybox:latest"), DOCKER_HUB);
    assert_eq!(registry_of_image("docker.io/library/busybox"), DOCKER_HUB);
    assert_eq!(
        registry_of_image("index.docker.io/library/busybox"),
        DOCKER_HUB
    );
    assert_eq!(registry_of_image("team/app@sha256:abc"), DOCKER_HUB);
    assert_eq!(registry_of_image("ghcr.io/o/app:1"), "ghcr.io");
    assert_eq!(registry_of_image("Registry/app"), "Registry");
    assert_eq!(registry_of_image("localhost:5000/app"), "localhost:5000");
}

#[test]
fn header_is_padded_base64url_of_the_non_empty_fields() {
    let auth = RegistryAuth::basic("me", "p?>?", "127.0.0.1:5000");
    let value = auth.header_value();
    assert_eq!(value.len() % 4, 0);
    assert!(!value.contains(['+', '/']));
    let json = value.replace('-', "+").replace('_', "/");
    let decoded: Value = serde_json::from_slice(&base64::decode_standard(&json).unwrap()).unwrap();
    assert_eq!(
        decoded,
        serde_json::json!({"username": "me", "password": "p?>?", "serveraddress": "127.0.0.1:5000"})
    );
    assert!(
        !format!("{auth:?}").contains("p?>?"),
        "Debug hides the password"
    );
}

#[test]
fn auth_field_decoding() {
    let enc = base64::encode_standard(b"user:pa:ss");
    assert_eq!(decode_auth(&enc).unwrap(), ("user".into(), "pa:ss".into()));
    assert!(decode_auth(&base64::encode_standard(b"nocolon")).is_err());
    assert!(decode_auth(&base64::encode_standard(b":pw")).is_err());
    assert!(decode_auth("%%%").is_err());
}

#[test]
fn not_found_wordings() {
    assert!(says_not_found(
        b"credentials not found in native keychain\n"
    ));
    assert!(says_not_found(b"Credentials not found."));
    assert!(!says_not_found(b"permission denied"));
}

fn with_doc(doc: Value) -> DockerConfig {
    DockerConfig {
        path: None,
        doc: doc.as_object().unwrap().clone(),
        env: BTreeMap::new(),
    }
}

#[test]
fn helper_choice_skips_empty_names() {
    let c = with_doc(serde_json::json!({
        "credsStore": "",
        "credHelpers": {"a.example": "x", "b.example": ""}
    }));
    assert_eq!(c.helper("a.example"), Some("x"));
    assert_eq!(c.helper("b.example"), None);
    assert_eq!(c.helper("c.example"), None);
    let c = with_doc(serde_json::json!({"credsStore": "pass", "credHelpers": {"a.example": "x"}}));
    assert_eq!(c.helper("c.example"), Some("pass"));
    assert_eq!(c.helper("https://a.example/v1/"), Some("x"));
}

#[test]
fn file_auths_by_key_and_by_legacy_url() {
    let c = with_doc(serde_json::json!({"auths": {
        "https://legacy.example/v1/": {"auth": base64::encode_standard(b"u:p")},
        "https://index.docker.io/v1/": {"identitytoken": "tok"},
        "empty.example": {}
    }}));
    let legacy = c.get("legacy.example").unwrap().unwrap();
    assert_eq!(
        (legacy.username.as_str(), legacy.password.as_str()),
        ("u", "p")
    );
    assert_eq!(legacy.server_address, "legacy.example");
    let hub = c.get("docker.io").unwrap().unwrap();
    assert_eq!(hub.identity_token, "tok");
    assert_eq!(c.get("empty.example").unwrap(), None);
    assert_eq!(c.get("other.example").unwrap(), None);
}

#[test]
fn auth_config_env_wins_and_is_checked() {
    let file = with_doc(serde_json::json!({"auths": {
        "r.example": {"auth": base64::encode_standard(b"file:1")}
    }}));
    let env = format!(
        r#"{{"auths": {{"r.example": {{"auth": "{}"}}}}}}"#,
        base64::encode_standard(b"env:2")
    );
    let c = file.clone().with_auth_config(&env).unwrap();
    assert_eq!(c.get("r.example").unwrap().unwrap().username, "env");
    assert!(file
        .clone()
        .with_auth_config(r#"{"auths": {"r.example": {}}}"#)
        .is_err());
    assert!(file.clone().with_auth_config("not json").is_err());
    let other = file.with_auth_config(r#"{"auths": {}}"#).unwrap();
    assert_eq!(other.get("r.example").unwrap().unwrap().username, "file");
}

#[test]
fn refused_helper_names_are_never_run() {
    for bad in ["", " ", "../x", "a/b"] {
        match run_helper(bad, "get", "r", b"r") {
            Err(HelperFailure::Error(Error::Credentials { message, .. })) => {
                assert!(message.contains("refused"), "{message}")
            }
            _ => panic!("{bad:?} was not refused"),
        }
    }
}

/// `from_env` reads `$DOCKER_CONFIG/config.json` and layers `DOCKER_AUTH_CONFIG` over it. The one
/// test of this crate that changes the environment (no other reads these variables).
#[test]
fn from_env_reads_docker_config_and_docker_auth_config() {
    let dir = std::env::temp_dir().join(format!("docksock-from-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {
            "a.example": {"auth": base64::encode_standard(b"file:1")},
            "b.example": {"auth": base64::encode_standard(b"file:2")}
        }})
        .to_string(),
    )
    .unwrap();
    let saved = (
        std::env::var_os("DOCKER_CONFIG"),
        std::env::var_os("DOCKER_AUTH_CONFIG"),
    );
    std::env::set_var("DOCKER_CONFIG", &dir);
    std::env::set_var(
        "DOCKER_AUTH_CONFIG",
        format!(
            r#"{{"auths": {{"a.example": {{"auth": "{}"}}}}}}"#,
            base64::encode_standard(b"env:3")
        ),
    );
    let config = DockerConfig::from_env();
    std::env::set_var("DOCKER_AUTH_CONFIG", "{not json");
    let broken = DockerConfig::from_env();
    for (k, v) in [("DOCKER_CONFIG", saved.0), ("DOCKER_AUTH_CONFIG", saved.1)] {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let config = config.unwrap();
    assert_eq!(config.path(), Some(dir.join("config.json").as_path()));
    let a = config.get("a.example").unwrap().unwrap();
    assert_eq!((a.username.as_str(), a.password.as_str()), ("env", "3"));
    let b = config.get("b.example").unwrap().unwrap();
    assert_eq!((b.username.as_str(), b.password.as_str()), ("file", "2"));
    assert!(
        matches!(broken, Err(Error::Credentials { .. })),
        "{broken:?}"
    );
}
