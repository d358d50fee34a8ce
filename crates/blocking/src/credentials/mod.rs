//! Registry credentials, found where the docker CLI finds them (docker/cli `cli/config`).
//!
//! * [`RegistryAuth`]: one registry's credentials, and the `X-Registry-Auth` value the daemon
//!   reads (base64url, with padding, of the auth JSON).
//! * [`DockerConfig`]: `config.json` in `$DOCKER_CONFIG` (default `~/.docker`) and the
//!   `DOCKER_AUTH_CONFIG` layer over it. A registry's credentials come from, in order:
//!   `DOCKER_AUTH_CONFIG`'s `auths`; the helper of `credHelpers[registry]`, else of
//!   `credsStore`; else the file's `auths` (`auth` = base64 of `user:password`,
//!   `identitytoken`). Helpers are programs `docker-credential-NAME` spoken to through their
//!   stdin and stdout (`get`, `store`, `erase`, `list`).
//! * [`registry_key`], [`registry_of_image`]: the key a registry is filed under; Docker Hub's
//!   (`docker.io`, `index.docker.io`) is `https://index.docker.io/v1/`.
//!
//! The [`Client`](crate::Client) keeps one [`DockerConfig`] and asks each registry's helper
//! once, however many pulls and pushes follow.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

mod helper;

use helper::{helper_get, run_helper, HelperFailure};

use crate::base64;
use crate::error::{Error, Result};

/// Docker Hub's key in `config.json` and in a credential helper: what `docker.io` and
/// `index.docker.io` are filed under.
pub const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// The prefix of a credential helper's program name: `credsStore: "pass"` runs
/// `docker-credential-pass`.
pub const HELPER_PREFIX: &str = "docker-credential-";

/// The user name a credential helper stores an identity token under: its `Secret` is then the
/// token, not a password.
pub const TOKEN_USERNAME: &str = "<token>";

/// The most bytes read from a credential helper's standard output (its answer is one small
/// JSON object; `list` one map).
pub const MAX_HELPER_OUTPUT: usize = 1 << 20;

/// The most bytes of `config.json` read.
pub const MAX_CONFIG_FILE: u64 = 16 << 20;

/// One registry's credentials: the fields of the auth JSON the daemon reads from
/// `X-Registry-Auth` (and `POST /auth` takes). Empty fields are left out of the JSON; all
/// empty is the anonymous `{}`. `Debug` shows the user name and server only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: String,
    /// `auth`: base64 of `username:password` (an alternative to the two; rarely needed).
    pub auth: String,
    /// `serveraddress`: the registry (`127.0.0.1:5000`, `https://index.docker.io/v1/`).
    pub server_address: String,
    /// `identitytoken`: a refresh token the registry gave at login, used instead of a password.
    pub identity_token: String,
    /// `registrytoken`: a bearer token sent to the registry as is.
    pub registry_token: String,
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &String| if s.is_empty() { "" } else { "<set>" };
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &set(&self.password))
            .field("auth", &set(&self.auth))
            .field("server_address", &self.server_address)
            .field("identity_token", &set(&self.identity_token))
            .field("registry_token", &set(&self.registry_token))
            .finish()
    }
}

impl RegistryAuth {
    /// A user name and password for `server`.
    pub fn basic(
        username: impl Into<String>,
        password: impl Into<String>,
        server: impl Into<String>,
    ) -> RegistryAuth {
        RegistryAuth {
            username: username.into(),
            password: password.into(),
            server_address: server.into(),
            ..RegistryAuth::default()
        }
    }

    /// True when no credential is set (the server address aside): the daemon then pulls and
    /// pushes anonymously.
    pub fn is_anonymous(&self) -> bool {
        self.username.is_empty()
            && self.password.is_empty()
            && self.auth.is_empty()
            && self.identity_token.is_empty()
            && self.registry_token.is_empty()
    }

    /// The auth JSON (`username`, `password`, `auth`, `serveraddress`, `identitytoken`,
    /// `registrytoken`), empty fields left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in [
            ("username", &self.username),
            ("password", &self.password),
            ("auth", &self.auth),
            ("serveraddress", &self.server_address),
            ("identitytoken", &self.identity_token),
            ("registrytoken", &self.registry_token),
        ] {
            if !v.is_empty() {
                m.insert(k.to_owned(), Value::String(v.clone()));
            }
        }
        Value::Object(m)
    }

    /// The `X-Registry-Auth` value: base64url, with padding, of [`to_json`](Self::to_json)
    /// (`e30=` for anonymous).
    ///
    /// ```
    /// use docksock::RegistryAuth;
    ///
    /// assert_eq!(RegistryAuth::default().header_value(), "e30=");
    /// let auth = RegistryAuth::basic("me", "pw", "127.0.0.1:5000");
    /// assert!(!auth.header_value().contains(['+', '/']));
    /// ```
    pub fn header_value(&self) -> String {
        base64::encode_url(self.to_json().to_string().as_bytes())
    }
}

/// The `X-Registry-Config` value of builds: base64url, with padding, of the JSON map of
/// registry key to auth JSON.
pub fn registry_config_value<'a>(auths: impl IntoIterator<Item = &'a RegistryAuth>) -> String {
    let mut m = Map::new();
    for a in auths {
        m.insert(registry_key(&a.server_address), a.to_json());
    }
    base64::encode_url(Value::Object(m).to_string().as_bytes())
}

/// The host (and port) of a registry given as a host, a URL, or a host with a path
/// (docker/cli `ConvertToHostname`): `https://r.example:5000/v2/` → `r.example:5000`.
pub fn registry_hostname(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// The key a registry's credentials are filed under in `config.json` and its helpers: its
/// host (see [`registry_hostname`]), except Docker Hub (`docker.io`, `index.docker.io`, or
/// its full URL), which is [`DOCKER_HUB`]. An empty name is Docker Hub too.
///
/// ```
/// use docksock::{registry_key, DOCKER_HUB};
///
/// assert_eq!(registry_key("docker.io"), DOCKER_HUB);
/// assert_eq!(registry_key("https://index.docker.io/v1/"), DOCKER_HUB);
/// assert_eq!(registry_key("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
/// ```
pub fn registry_key(server: &str) -> String {
    match registry_hostname(server) {
        "" | "docker.io" | "index.docker.io" => DOCKER_HUB.to_owned(),
        host => host.to_owned(),
    }
}

/// The registry of an image reference, as its key (see [`registry_key`]): the first path
/// component when it looks like a host (has a `.` or a `:`, is `localhost`, or has an
/// upper-case letter: the reference grammar's rule), else Docker Hub.
///
/// ```
/// use docksock::{registry_of_image, DOCKER_HUB};
///
/// assert_eq!(registry_of_image("busybox"), DOCKER_HUB);
/// assert_eq!(registry_of_image("library/busybox:1.36"), DOCKER_HUB);
/// assert_eq!(registry_of_image("127.0.0.1:5000/team/app:v1"), "127.0.0.1:5000");
/// assert_eq!(registry_of_image("localhost/app"), "localhost");
/// ```
pub fn registry_of_image(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            registry_key(first)
        }
        _ => DOCKER_HUB.to_owned(),
    }
}

/// `config.json` (kept whole, so that saving it keeps every field this client does not know)
/// and the `DOCKER_AUTH_CONFIG` layer over it.
#[derive(Clone, Default)]
pub struct DockerConfig {
    /// Where `config.json` is (it may not exist yet); `None`: nowhere to save.
    path: Option<PathBuf>,
    doc: Map<String, Value>,
    /// `DOCKER_AUTH_CONFIG`'s credentials, by key as given.
    env: BTreeMap<String, RegistryAuth>,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("credsStore", &self.doc.get("credsStore"))
            .field("credHelpers", &self.doc.get("credHelpers"))
            .field(
                "auths",
                &self
                    .doc
                    .get("auths")
                    .and_then(Value::as_object)
                    .map(|m| m.keys().collect::<Vec<_>>()),
            )
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn cred_error(registry: &str, message: impl Into<String>) -> Error {
    Error::Credentials {
        registry: registry.to_owned(),
        message: message.into(),
    }
}

impl DockerConfig {
    /// As the docker CLI finds it: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json` (a missing file is an empty configuration), with
    /// `DOCKER_AUTH_CONFIG` (when set and not empty) layered over it.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`] for an unreadable or malformed file or `DOCKER_AUTH_CONFIG`.
    pub fn from_env() -> Result<DockerConfig> {
        let dir = match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            Some(d) => Some(PathBuf::from(d)),
            None => std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".docker")),
        };
        let mut config = match dir {
            Some(dir) => DockerConfig::open(dir)?,
            None => DockerConfig::default(),
        };
        if let Some(env) = std::env::var_os("DOCKER_AUTH_CONFIG").filter(|e| !e.is_empty()) {
            let env = env
                .into_string()
                .map_err(|_| cred_error("", "DOCKER_AUTH_CONFIG is not valid UTF-8".to_owned()))?;
            config = config.with_auth_config(&env)?;
        }
        Ok(config)
    }

    /// `DIR/config.json` alone (no `DOCKER_AUTH_CONFIG`); a missing file is an empty
    /// configuration, saved there on [`store`](Self::store).
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`] for an unreadable file, one over [`MAX_CONFIG_FILE`], or one that
    /// is not a JSON object.
    pub fn open(dir: impl AsRef<Path>) -> Result<DockerConfig> {
        let path = dir.as_ref().join("config.json");
        let shown_path = path.display().to_string();
        let doc = match std::fs::File::open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(cred_error("", format!("reading {shown_path}: {e}"))),
            Ok(f) => {
                let mut text = Vec::new();
                f.take(MAX_CONFIG_FILE + 1)
                    .read_to_end(&mut text)
                    .map_err(|e| cred_error("", format!("reading {shown_path}: {e}")))?;
                if text.len() as u64 > MAX_CONFIG_FILE {
                    return Err(cred_error(
                        "",
                        format!("{shown_path} is larger than {MAX_CONFIG_FILE} bytes"),
                    ));
                }
                if text.iter().all(u8::is_ascii_whitespace) {
                    Map::new()
                } else {
                    match serde_json::from_slice(&text) {
                        Ok(Value::Object(m)) => m,
                        Ok(_) => {
                            return Err(cred_error(
                                "",
                                format!("{shown_path} is not a JSON object"),
                            ))
                        }
                        Err(e) => return Err(cred_error("", format!("parsing {shown_path}: {e}"))),
                    }
                }
            }
        };
        Ok(DockerConfig {
            path: Some(path),
            doc,
            env: BTreeMap::new(),
        })
    }

    /// This configuration with `json` (a `DOCKER_AUTH_CONFIG` value,
    /// `{"auths": {"registry": {"auth": "base64 of user:password"}}}`) layered over it: its
    /// registries' credentials win over helpers and the file, as with the docker CLI.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`] for JSON of another shape, an entry without `auth`, or an `auth`
    /// that is not base64 of `user:password`.
    pub fn with_auth_config(mut self, json: &str) -> Result<DockerConfig> {
        let what = "DOCKER_AUTH_CONFIG";
        let v: Value = serde_json::from_str(json)
            .map_err(|e| cred_error("", format!("parsing {what}: {e}")))?;
        let auths = match v.get("auths") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(cred_error("", format!("{what}: `auths` is not an object"))),
        };
        let mut env = BTreeMap::new();
        for (key, entry) in &auths {
            let auth = entry.get("auth").and_then(Value::as_str).unwrap_or("");
            if auth.is_empty() {
                return Err(cred_error(key, format!("{what} has no `auth` for {key}")));
            }
            let (username, password) =
                decode_auth(auth).map_err(|m| cred_error(key, format!("{what}: {m}")))?;
            env.insert(
                key.clone(),
                RegistryAuth {
                    username,
                    password,
                    server_address: key.clone(),
                    ..RegistryAuth::default()
                },
            );
        }
        self.env = env;
        Ok(self)
    }

    /// Reads `config.json` again (the `DOCKER_AUTH_CONFIG` layer is kept as it is).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); the configuration is unchanged then.
    pub fn reload(&mut self) -> Result<()> {
        if let Some(dir) = self.path.as_ref().and_then(|p| p.parent()) {
            self.doc = DockerConfig::open(dir)?.doc;
        }
        Ok(())
    }

    /// The `config.json` this configuration was read from and is saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The helper name (after `docker-credential-`) that holds `registry`'s credentials:
    /// `credHelpers[key]`, else `credsStore`; an empty name is no helper (a client must never
    /// run a bare `docker-credential-`).
    pub fn helper(&self, registry: &str) -> Option<&str> {
        let key = registry_key(registry);
        let specific = self
            .doc
            .get("credHelpers")
            .and_then(|h| h.get(&key))
            .and_then(Value::as_str);
        let name = match specific {
            Some(name) => name,
            None => self
                .doc
                .get("credsStore")
                .and_then(Value::as_str)
                .unwrap_or(""),
        };
        (!name.trim().is_empty()).then_some(name)
    }

    /// `registry`'s credentials (a host, a URL or Docker Hub's names; see [`registry_key`]),
    /// asking its helper if it has one (every call runs it: the [`Client`](crate::Client)
    /// keeps the answers). `None` when there are none ("credentials not found" is none).
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`]: a helper that cannot be run or fails otherwise, or a malformed
    /// `auth` entry.
    pub fn get(&self, registry: &str) -> Result<Option<RegistryAuth>> {
        let key = registry_key(registry);
        if let Some(a) = lookup(&self.env, &key) {
            return Ok(Some(a.clone()));
        }
        if let Some(helper) = self.helper(&key) {
            return helper_get(helper, &key);
        }
        let Some(auths) = self.doc.get("auths").and_then(Value::as_object) else {
            return Ok(None);
        };
        let entry = auths.get(&key).or_else(|| {
            auths
                .iter()
                .find(|(k, _)| registry_hostname(k) == key)
                .map(|(_, v)| v)
        });
        let Some(entry) = entry else {
            return Ok(None);
        };
        let (username, password) = match entry.get("auth").and_then(Value::as_str) {
            Some(a) if !a.is_empty() => decode_auth(a).map_err(|m| {
                let file = self
                    .path
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string());
                cred_error(&key, format!("{file}: {m}"))
            })?,
            _ => (String::new(), String::new()),
        };
        let field = |k: &str| {
            entry
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let auth = RegistryAuth {
            username,
            password,
            server_address: key.clone(),
            identity_token: field("identitytoken"),
            registry_token: field("registrytoken"),
            ..RegistryAuth::default()
        };
        Ok((!auth.is_anonymous()).then_some(auth))
    }

    /// Files `auth` under its registry's key (`server_address`, see [`registry_key`]), where
    /// `docker login` would: in the registry's helper (`store`; an identity token as user
    /// `<token>`), else in `config.json`'s `auths` (`auth` = base64 of `user:password`, and
    /// `identitytoken`), saved at once (written to a temporary file, then renamed; mode 0600).
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`]: the helper failed, or the file could not be written.
    pub fn store(&mut self, auth: &RegistryAuth) -> Result<()> {
        let key = registry_key(&auth.server_address);
        if let Some(helper) = self.helper(&key).map(str::to_owned) {
            let (user, secret) = if auth.identity_token.is_empty() {
                (auth.username.as_str(), auth.password.as_str())
            } else {
                (TOKEN_USERNAME, auth.identity_token.as_str())
            };
            let input = serde_json::json!({"ServerURL": key, "Username": user, "Secret": secret});
            run_helper(&helper, "store", &key, input.to_string().as_bytes())?;
            return Ok(());
        }
        let mut entry = Map::new();
        if !auth.username.is_empty() || !auth.password.is_empty() {
            let pair = format!("{}:{}", auth.username, auth.password);
            entry.insert(
                "auth".into(),
                Value::String(base64::encode_standard(pair.as_bytes())),
            );
        }
        if !auth.identity_token.is_empty() {
            entry.insert(
                "identitytoken".into(),
                Value::String(auth.identity_token.clone()),
            );
        }
        let auths = self
            .doc
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        if let Value::Object(m) = auths {
            m.insert(key.clone(), Value::Object(entry));
        }
        self.save(&key)
    }

    /// Removes `registry`'s credentials, as `docker logout` does: from its helper (`erase`)
    /// when it has one, and from `config.json`'s `auths` (saved when an entry was removed).
    /// Nothing stored is not an error.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`]: the helper failed, or the file could not be written.
    pub fn erase(&mut self, registry: &str) -> Result<()> {
        let key = registry_key(registry);
        if let Some(helper) = self.helper(&key).map(str::to_owned) {
            match run_helper(&helper, "erase", &key, key.as_bytes()) {
                Ok(_) => {}
                Err(HelperFailure::NotFound) => {}
                Err(HelperFailure::Error(e)) => return Err(e),
            }
        }
        let removed = self
            .doc
            .get_mut("auths")
            .and_then(Value::as_object_mut)
            .is_some_and(|m| m.remove(&key).is_some());
        if removed {
            self.save(&key)?;
        }
        Ok(())
    }

    /// Every registry with credentials: `DOCKER_AUTH_CONFIG`'s, `config.json`'s `auths` and
    /// `credHelpers` keys, and what `credsStore`'s helper `list`s.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`] when `credsStore`'s helper fails to list.
    pub fn registries(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.env.keys().map(|k| registry_key(k)).collect();
        for section in ["auths", "credHelpers"] {
            if let Some(m) = self.doc.get(section).and_then(Value::as_object) {
                keys.extend(m.keys().map(|k| registry_key(k)));
            }
        }
        if let Some(store) = self.doc.get("credsStore").and_then(Value::as_str) {
            if !store.trim().is_empty() {
                let out = match run_helper(store, "list", "", b"") {
                    Ok(out) => out,
                    Err(HelperFailure::NotFound) => Vec::new(),
                    Err(HelperFailure::Error(e)) => return Err(e),
                };
                if !out.iter().all(u8::is_ascii_whitespace) {
                    let listed: Map<String, Value> = serde_json::from_slice(&out).map_err(|e| {
                        cred_error(
                            "",
                            format!("{HELPER_PREFIX}{store} list: not a JSON object: {e}"),
                        )
                    })?;
                    keys.extend(listed.keys().map(|k| registry_key(k)));
                }
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn save(&self, key: &str) -> Result<()> {
        let Some(path) = &self.path else {
            return Err(cred_error(
                key,
                "this configuration has no config.json to save to",
            ));
        };
        let shown_path = path.display().to_string();
        let fail =
            |what: &str, e: std::io::Error| cred_error(key, format!("{what} {shown_path}: {e}"));
        let mut text = serde_json::to_vec_pretty(&Value::Object(self.doc.clone()))
            .map_err(|e| Error::json(format!("serializing {shown_path}"), e))?;
        text.push(b'\n');
        crate::endpoint::write_replacing(path, &text).map_err(|e| fail("writing", e))
    }
}

/// `DOCKER_AUTH_CONFIG`'s entry for `key`: by exact key, else one whose host is `key`.
fn lookup<'a>(env: &'a BTreeMap<String, RegistryAuth>, key: &str) -> Option<&'a RegistryAuth> {
    env.get(key).or_else(|| {
        env.iter()
            .find(|(k, _)| registry_key(k) == key)
            .map(|(_, v)| v)
    })
}

/// `auth` (base64 of `user:password`) → the user and the password.
fn decode_auth(auth: &str) -> std::result::Result<(String, String), String> {
    let bytes =
        base64::decode_standard(auth.trim()).ok_or_else(|| "`auth` is not base64".to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8 text".to_owned())?;
    match text.split_once(':') {
        Some((user, pass)) if !user.is_empty() => {
            Ok((user.to_owned(), pass.trim_matches('\0').to_owned()))
        }
        _ => Err("`auth` is not base64 of user:password".to_owned()),
    }
}

#[cfg(test)]
mod tests;
