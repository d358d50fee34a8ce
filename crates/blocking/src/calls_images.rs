//! Images beyond list, inspect, tag, remove, import, build and export: history, search, prune,
//! commit, pull, push, save (several images into one tar), load, and the build cache's prune.
//! Each method is one operation of `docksock-api`.

use std::io::Read;

use docksock_api::{
    images, BuildPruneOptions, CommitOptions, Filters, LoadOptions, PullOptions, PushOptions,
    SaveImagesOptions, SearchOptions,
};
use serde_json::Value;

use crate::body::Body;
use crate::calls_containers::json_bytes;
use crate::client::Client;
use crate::error::Result;
use crate::response::{JsonMessages, ResponseBody};

impl Client {
    /// `GET /images/{name}/history?platform=` (`docker history`): the image's layers, newest
    /// first (`Id`, `Created`, `CreatedBy`, `Tags`, `Size`, `Comment`). `platform` is a JSON
    /// OCI platform (API 1.48+).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown image;
    /// [`Error::Protocol`](crate::Error::Protocol) for an invalid reference (nothing is sent).
    pub fn image_history(&self, name: &str, platform: Option<&str>) -> Result<Value> {
        self.run(images::history(name, platform))?.json()
    }

    /// `GET /images/search?term=&limit=&filters=` (`docker search`): the daemon asks the
    /// registry of `term` (Docker Hub by default), so it needs the registry to be reachable.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 500 when the registry cannot be reached or refuses,
    /// 400 for an invalid filter.
    pub fn search_images(&self, term: &str, opts: &SearchOptions) -> Result<Value> {
        self.run(images::search(term, opts))?.json()
    }

    /// `POST /images/prune?filters=` (`docker image prune`; filters `dangling=false` for every
    /// unused image, `until`, `label`). Returns the report:
    /// `{"ImagesDeleted": [{"Untagged"|"Deleted": …}] or null, "SpaceReclaimed": bytes}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid filter, 409 when a prune is
    /// already running.
    pub fn prune_images(&self, filters: Option<&Filters>) -> Result<Value> {
        self.run(images::prune(filters))?.json()
    }

    /// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=` (`docker
    /// commit`): a new image from `container`'s file system changes; `config` (`Cmd`, `Env`,
    /// `Labels`…) is merged over the container's configuration in the image. Without one,
    /// `{}` is sent (the same for dockerd, and Podman refuses a commit without a body). Returns
    /// `{"Id": "sha256:…"}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown container, 400/500 for an invalid
    /// repository name or change instruction.
    pub fn commit_container(
        &self,
        container: &str,
        opts: &CommitOptions,
        config: Option<&Value>,
    ) -> Result<Value> {
        let body = config.map_or_else(|| b"{}".to_vec(), json_bytes);
        self.run(images::commit(container, opts, body))?.json()
    }

    /// `POST /images/create?fromImage=&tag=&platform=` (`docker pull`), with `X-Registry-Auth`
    /// when `opts.registry_auth` is set. Returns the progress stream (`{"status", "id",
    /// "progressDetail"}` messages). The daemon answers `200` as soon as the pull starts: a
    /// failure after that (unknown tag, registry unreachable, on Podman every failure) comes
    /// as an in-band message, which the stream yields as [`Error::Stream`](crate::Error::Stream);
    /// read the stream to its end to know that the pull succeeded.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) for a failure before the stream starts (dockerd: 404
    /// unknown repository or no access, 500 registry unreachable);
    /// [`Error::Protocol`](crate::Error::Protocol) for an invalid reference.
    pub fn pull_image(&self, image: &str, opts: &PullOptions) -> Result<JsonMessages> {
        Ok(self.run(images::pull(image, opts))?.json_messages())
    }

    /// `POST /images/{name}/push?tag=&platform=` (`docker push`): `registry_auth` is the
    /// `X-Registry-Auth` value the daemon requires (base64url of the auth JSON, or of `{}`
    /// for a registry without authentication). Returns the progress stream; failures after
    /// the start are [`Error::Stream`](crate::Error::Stream) items, as for
    /// [`pull_image`](Self::pull_image).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 for an unknown image, 400/500 before the push
    /// starts.
    pub fn push_image(
        &self,
        name: &str,
        registry_auth: &str,
        opts: &PushOptions,
    ) -> Result<JsonMessages> {
        Ok(self
            .run(images::push(name, registry_auth, opts))?
            .json_messages())
    }

    /// `GET /images/get?names=…` (`docker save` of several images): one tar stream holding
    /// every image of `opts.names` (with their tags), read as it comes; load it back with
    /// [`load_images`](Self::load_images).
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 404 (Podman: 500) when an image is unknown.
    pub fn save_images(&self, opts: &SaveImagesOptions) -> Result<ResponseBody> {
        Ok(self.run(images::save(opts))?.into_body())
    }

    /// `POST /images/load?quiet=&platform=` (`docker load`): loads the images of the tar read
    /// from `tar` (as [`save_images`](Self::save_images) or
    /// [`export_image`](Self::export_image) wrote it), streamed chunked in constant memory.
    /// Returns the progress stream, ending with `{"stream": "Loaded image: …"}`; a failure
    /// is an [`Error::Stream`](crate::Error::Stream) item.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400/500 for a body that is not an image tar; errors
    /// of reading `tar`.
    pub fn load_images(&self, tar: impl Read, opts: &LoadOptions) -> Result<JsonMessages> {
        let call = images::load(opts);
        Ok(self.run_with_body(call, Body::reader(tar))?.json_messages())
    }

    /// `POST /build/prune` (`docker builder prune`): removes build cache. Returns the report:
    /// `{"CachesDeleted": [ids] or null, "SpaceReclaimed": bytes}`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) 400 for an invalid filter; 404 on engines without a
    /// build cache endpoint.
    pub fn prune_build_cache(&self, opts: &BuildPruneOptions) -> Result<Value> {
        self.run(images::build_prune(opts))?.json()
    }
}
