//! Registries: pull and push with the credentials the docker CLI would use, login and logout
//! that file credentials where `docker login` does, and the `X-Registry-Config` of builds.
//! The raw calls ([`pull_image`](Client::pull_image), [`push_image`](Client::push_image),
//! [`auth`](Client::auth)) stay one call away.

use std::collections::HashMap;

use docksock_api::{PullOptions, PushOptions};
use serde_json::Value;

use crate::client::Client;
use crate::credentials::{
    registry_config_value, registry_key, registry_of_image, DockerConfig, RegistryAuth,
};
use crate::error::Result;
use crate::pool::lock;
use crate::progress::Progress;

/// A client's registry credentials: its configuration and every registry's answer.
#[derive(Debug, Default)]
pub(crate) struct CredentialCache {
    config: Option<DockerConfig>,
    answers: HashMap<String, Option<RegistryAuth>>,
}

impl CredentialCache {
    pub(crate) fn new(config: Option<DockerConfig>) -> CredentialCache {
        CredentialCache {
            config,
            answers: HashMap::new(),
        }
    }

    /// The configuration, read from the environment on first use (a failure is not kept: the
    /// next call reads again).
    fn config(&mut self) -> Result<&mut DockerConfig> {
        if self.config.is_none() {
            self.config = Some(DockerConfig::from_env()?);
        }
        Ok(self.config.get_or_insert_with(DockerConfig::default))
    }

    fn get(&mut self, key: &str) -> Result<Option<RegistryAuth>> {
        if let Some(answer) = self.answers.get(key) {
            return Ok(answer.clone());
        }
        let answer = self.config()?.get(key)?;
        self.answers.insert(key.to_owned(), answer.clone());
        Ok(answer)
    }
}

/// `image` without its tag, and the tag (`None` with a digest or without a tag).
fn split_tag(image: &str) -> (&str, Option<&str>) {
    if image.contains('@') {
        return (image, None);
    }
    let last = image.rfind('/').map_or(0, |i| i + 1);
    match image[last..].rfind(':') {
        Some(i) => (&image[..last + i], Some(&image[last + i + 1..])),
        None => (image, None),
    }
}

impl Client {
    /// `registry`'s credentials (a host such as `127.0.0.1:5000`, a URL, or `docker.io`), as
    /// the docker CLI finds them ([`DockerConfig`]). The first answer for each registry is
    /// kept: its credential helper runs once per client, however many pulls follow.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`](crate::Error::Credentials): an unreadable or malformed configuration, or a failed helper.
    pub fn registry_credentials(&self, registry: &str) -> Result<Option<RegistryAuth>> {
        lock(&self.inner.credentials).get(&registry_key(registry))
    }

    /// The `X-Registry-Auth` value for `image`'s registry: its credentials, or anonymous
    /// (`e30=`, `{}`) when there are none.
    ///
    /// # Errors
    ///
    /// As [`registry_credentials`](Self::registry_credentials).
    pub fn registry_auth_for_image(&self, image: &str) -> Result<String> {
        Ok(self
            .registry_credentials(&registry_of_image(image))?
            .unwrap_or_default()
            .header_value())
    }

    /// The `X-Registry-Config` value for a build ([`BuildOptions::registry_config`](
    /// crate::BuildOptions::registry_config)): the credentials of every registry the
    /// configuration knows ([`DockerConfig::registries`]), so that `FROM` can pull from them.
    ///
    /// # Errors
    ///
    /// As [`registry_credentials`](Self::registry_credentials).
    pub fn registry_config(&self) -> Result<String> {
        let mut cache = lock(&self.inner.credentials);
        let registries = cache.config()?.registries()?;
        let mut auths = Vec::new();
        for r in registries {
            if let Some(a) = cache.get(&r)? {
                auths.push(a);
            }
        }
        Ok(registry_config_value(&auths))
    }

    /// Forgets the credentials this client has read: `config.json` is read again now, and
    /// every helper asked again on the next need (after credentials changed behind the
    /// client's back).
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`](crate::Error::Credentials) when the file cannot be read again
    /// (the client then reads it on the next need).
    pub fn forget_credentials(&self) -> Result<()> {
        let mut cache = lock(&self.inner.credentials);
        cache.answers.clear();
        if let Some(config) = &mut cache.config {
            if let Err(e) = config.reload() {
                cache.config = None;
                return Err(e);
            }
        }
        Ok(())
    }

    /// `docker pull`: `POST /images/create` with `image`'s registry credentials as
    /// `X-Registry-Auth` (unless `opts.registry_auth` is set), and `tag=latest` when neither
    /// `image` nor `opts` names a tag or digest. Returns the typed progress stream; read it to
    /// its end ([`Progress::finish`]) to know that the pull succeeded and to get the digest.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`](crate::Error::Credentials) before anything is sent; [`Error::Api`](crate::Error::Api) for a failure before the
    /// stream starts (dockerd: 401 wrong credentials, 404 unknown repository, 500 no
    /// credentials or registry unreachable); in-band failures are
    /// [`Error::Stream`](crate::Error::Stream) items of the stream.
    pub fn pull(&self, image: &str, opts: &PullOptions) -> Result<Progress> {
        let mut opts = opts.clone();
        if opts.registry_auth.is_none() {
            if let Some(a) = self.registry_credentials(&registry_of_image(image))? {
                opts.registry_auth = Some(a.header_value());
            }
        }
        if opts.tag.is_none() && split_tag(image).1.is_none() && !image.contains('@') {
            opts.tag = Some("latest".into());
        }
        Ok(Progress::new(self.pull_image(image, &opts)?))
    }

    /// `docker push`: `POST /images/{name}/push` with `image`'s registry credentials as
    /// `X-Registry-Auth` (anonymous `{}` without any); a tag in `image` is sent as `tag` unless
    /// `opts.tag` is set. Returns the typed progress stream; [`Progress::finish`] gives the
    /// pushed manifest's digest.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`](crate::Error::Credentials) before anything is sent; [`Error::Api`](crate::Error::Api) 404 for an unknown
    /// image; in-band failures (no or wrong credentials on dockerd) are [`Error::Stream`](crate::Error::Stream)
    /// items of the stream.
    pub fn push(&self, image: &str, opts: &PushOptions) -> Result<Progress> {
        let auth = self.registry_auth_for_image(image)?;
        let (name, tag) = split_tag(image);
        let mut opts = opts.clone();
        if opts.tag.is_none() {
            opts.tag = tag.map(str::to_owned);
        }
        Ok(Progress::new(self.push_image(name, &auth, &opts)?))
    }

    /// `docker login`: checks `auth` (user name and password for `auth.server_address`; an
    /// empty address is Docker Hub) with `POST /auth`, then files the credentials where
    /// `docker login` would ([`DockerConfig::store`]: the registry's helper, else
    /// `config.json`); an identity token the registry returns is stored instead of the
    /// password. Returns the daemon's answer (`{"Status": "Login Succeeded", "IdentityToken":
    /// …}`). Later pulls and pushes of this client use the new credentials.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) when the daemon or registry refuses (dockerd: 401 or 500 naming the
    /// registry's answer); nothing is stored then. [`Error::Credentials`](crate::Error::Credentials) when storing fails.
    pub fn login(&self, auth: &RegistryAuth) -> Result<Value> {
        let key = registry_key(&auth.server_address);
        let mut sent = auth.clone();
        sent.server_address.clone_from(&key);
        let answer = self.auth(&sent.to_json())?;
        let token = answer
            .get("IdentityToken")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut stored = sent;
        if !token.is_empty() {
            stored.password.clear();
            stored.auth.clear();
            token.clone_into(&mut stored.identity_token);
        }
        let mut cache = lock(&self.inner.credentials);
        cache.config()?.store(&stored)?;
        cache.answers.insert(key, Some(stored));
        Ok(answer)
    }

    /// `docker logout`: removes `registry`'s stored credentials ([`DockerConfig::erase`]:
    /// from its helper and from `config.json`); this client then pulls and pushes to it
    /// anonymously.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`](crate::Error::Credentials) when the helper or the file cannot be changed.
    pub fn logout(&self, registry: &str) -> Result<()> {
        let key = registry_key(registry);
        let mut cache = lock(&self.inner.credentials);
        cache.config()?.erase(&key)?;
        cache.answers.insert(key, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn tags_split_off_the_last_component() {
        assert_eq!(split_tag("busybox"), ("busybox", None));
        assert_eq!(split_tag("busybox:1.36"), ("busybox", Some("1.36")));
        assert_eq!(
            split_tag("127.0.0.1:5000/team/app"),
            ("127.0.0.1:5000/team/app", None)
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/team/app:v1"),
            ("127.0.0.1:5000/team/app", Some("v1"))
        );
        assert_eq!(split_tag("app@sha256:abc"), ("app@sha256:abc", None));
    }
}
