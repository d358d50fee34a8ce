//! Images: list, inspect, history, remove, tag, search, prune, commit; pull, import, push,
//! export and save (one image or several into a tar), load; build and the build cache's prune.

mod build;
mod transfer;

pub use build::{build, build_prune, BuildOptions, BuildPruneOptions, BUILD, BUILD_PRUNE};
pub use transfer::{
    export, import, load, pull, push, save, LoadOptions, PullOptions, PushOptions,
    SaveImagesOptions, CREATE, GET, GET_ALL, LOAD, PULL, PUSH,
};

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use docksock_proto::encode::PathParam;

use crate::call::Call;
use crate::filters::Filters;
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `GET /images/json`.
pub static LIST: Operation = Operation::new(
    "ImageList",
    "GET",
    "/images/json",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /images/{name}/json`.
pub static INSPECT: Operation = Operation::new(
    "ImageInspect",
    "GET",
    "/images/{name}/json",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /images/{name}/history`.
pub static HISTORY: Operation = Operation::new(
    "ImageHistory",
    "GET",
    "/images/{name}/history",
    RequestBody::None,
    ResponseKind::Json,
);
/// `DELETE /images/{name}`: answers with what was untagged and deleted.
pub static DELETE: Operation = Operation::new(
    "ImageDelete",
    "DELETE",
    "/images/{name}",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /images/{name}/tag`.
pub static TAG: Operation = Operation::new(
    "ImageTag",
    "POST",
    "/images/{name}/tag",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `GET /images/search`: searches Docker Hub (or the registry of the term).
pub static SEARCH: Operation = Operation::new(
    "ImageSearch",
    "GET",
    "/images/search",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /images/prune`: removes unused images; answers with what it removed.
pub static PRUNE: Operation = Operation::new(
    "ImagePrune",
    "POST",
    "/images/prune",
    RequestBody::None,
    ResponseKind::Json,
);
/// `POST /commit`: a new image from a container's changes.
pub static COMMIT: Operation = Operation::new(
    "ImageCommit",
    "POST",
    "/commit",
    RequestBody::Json,
    ResponseKind::Json,
);

/// Options of [`list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListImagesOptions {
    /// Include intermediate images.
    pub all: bool,
    /// Include digest information.
    pub digests: bool,
    /// Filters, for example `reference=busybox`.
    pub filters: Option<Filters>,
    /// `shared-size`: compute the size shared with other images (API 1.42+).
    pub shared_size: bool,
    /// Include the image's manifests (API 1.47+; the containerd image store).
    pub manifests: bool,
}

/// Options of [`remove`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveImageOptions {
    /// Remove even if it is used by stopped containers or has other tags.
    pub force: bool,
    /// Do not delete untagged parent images.
    pub noprune: bool,
}

/// Options of [`search`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// At most this many results.
    pub limit: Option<u32>,
    /// Filters: `is-official=true`, `stars=3`.
    pub filters: Option<Filters>,
}

/// Options of [`commit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// The repository of the new image (`me/app`). Without it the image is untagged.
    pub repo: Option<String>,
    /// Its tag (`latest` when only `repo` is given).
    pub tag: Option<String>,
    /// The commit message.
    pub comment: Option<String>,
    /// The author (`Jane <jane@example.com>`).
    pub author: Option<String>,
    /// Pause the container while committing (`None`: the daemon's default, which is to pause).
    pub pause: Option<bool>,
    /// Dockerfile instructions to apply (`ENV A=1`, `CMD ["sh"]`), each sent as its own
    /// `changes=` pair.
    pub changes: Vec<String>,
}

fn image(name: &str) -> PathParam<'_> {
    crate::reference(name)
}

/// `GET /images/json?all=&digests=&shared-size=&manifests=&filters=`.
pub fn list(opts: &ListImagesOptions) -> Call<'_> {
    let call = Call::new(&LIST)
        .flag("all", opts.all)
        .flag("digests", opts.digests)
        .flag("shared-size", opts.shared_size)
        .flag("manifests", opts.manifests);
    crate::filters(call, opts.filters.as_ref())
}

/// `GET /images/{name}/json`. The description's `manifests` and `platform` (a JSON OCI
/// platform) query parameters are added with `.query(…)` on the call.
pub fn inspect(name: &str) -> Call<'_> {
    Call::new(&INSPECT).param("name", image(name))
}

/// `GET /images/{name}/history?platform=`: `platform` is a JSON OCI platform
/// (`{"os":"linux","architecture":"arm64"}`, API 1.48+).
pub fn history<'a>(name: &'a str, platform: Option<&'a str>) -> Call<'a> {
    Call::new(&HISTORY)
        .param("name", image(name))
        .opt("platform", platform)
}

/// `DELETE /images/{name}?force=&noprune=`. Platform-specific content (API 1.50+) is chosen
/// with one `.query("platforms", json)` on the call per platform (JSON OCI platforms).
pub fn remove<'a>(name: &'a str, opts: &RemoveImageOptions) -> Call<'a> {
    Call::new(&DELETE)
        .param("name", image(name))
        .flag("force", opts.force)
        .flag("noprune", opts.noprune)
}

/// `POST /images/{name}/tag?repo=&tag=`.
pub fn tag<'a>(name: &'a str, repo: &'a str, tag: Option<&'a str>) -> Call<'a> {
    Call::new(&TAG)
        .param("name", image(name))
        .query("repo", repo)
        .opt("tag", tag)
}

/// `GET /images/search?term=&limit=&filters=`.
pub fn search<'a>(term: &'a str, opts: &SearchOptions) -> Call<'a> {
    let call = Call::new(&SEARCH)
        .query("term", term)
        .opt("limit", opts.limit.map(crate::num));
    crate::filters(call, opts.filters.as_ref())
}

/// `POST /images/prune?filters=` (filters `dangling`, `until`, `label`).
pub fn prune<'a>(filters: Option<&Filters>) -> Call<'a> {
    crate::filters(Call::new(&PRUNE), filters)
}

/// `POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=` (`docker commit`):
/// `config` is a container configuration as JSON to apply to the image (`Cmd`, `Env`…);
/// empty, no body is sent and the container's own is kept.
pub fn commit<'a>(
    container: &'a str,
    opts: &'a CommitOptions,
    config: impl Into<Cow<'a, [u8]>>,
) -> Call<'a> {
    let config = config.into();
    let call = Call::new(&COMMIT)
        .query("container", container)
        .opt("repo", opts.repo.as_deref())
        .opt("tag", opts.tag.as_deref())
        .opt("comment", opts.comment.as_deref())
        .opt("author", opts.author.as_deref())
        .opt("pause", opts.pause.map(crate::bool_str));
    let call = crate::repeated(call, "changes", &opts.changes);
    if config.is_empty() {
        call
    } else {
        call.json(config)
    }
}
