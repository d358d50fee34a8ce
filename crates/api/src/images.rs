//! Images: list, inspect, remove, tag, import, build, export.

use alloc::string::String;
use alloc::vec::Vec;

use docksock_proto::encode::PathParam;
use docksock_proto::timeout::Timeout;

use crate::call::{Call, CallBody};
use crate::filters::{json_object, Filters};
use crate::operation::{Operation, RequestBody, ResponseKind};

const TAR: CallBody<'static> = CallBody::Stream {
    content_type: "application/x-tar",
};

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
/// `DELETE /images/{name}`.
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
/// `POST /images/create`: pull, or import from a tar (a progress stream either way).
pub static CREATE: Operation = Operation::new(
    "ImageCreate",
    "POST",
    "/images/create",
    RequestBody::Tar,
    ResponseKind::JsonStream,
);
/// `POST /build`: a progress stream (a build step may be quiet for as long as it runs).
pub static BUILD: Operation = Operation::new(
    "ImageBuild",
    "POST",
    "/build",
    RequestBody::Tar,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `GET /images/{name}/get`: the image as a tar stream.
pub static GET: Operation = Operation::new(
    "ImageGet",
    "GET",
    "/images/{name}/get",
    RequestBody::None,
    ResponseKind::Bytes,
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
}

/// Options of [`remove`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveImageOptions {
    /// Remove even if it is used by stopped containers or has other tags.
    pub force: bool,
    /// Do not delete untagged parent images.
    pub noprune: bool,
}

/// Options of [`build`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// `t`: the `name:tag` to give the result.
    pub tag: Option<String>,
    /// The Dockerfile's path inside the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    /// `q`: only the image id in the output.
    pub quiet: bool,
    /// Remove intermediate containers after a successful build (`None`: the daemon's default,
    /// which is to remove them).
    pub rm: Option<bool>,
    /// Always remove intermediate containers, even after a failure.
    pub forcerm: bool,
    /// Do not use the cache.
    pub nocache: bool,
    /// Build-time variables (`--build-arg NAME=value`), in order.
    pub buildargs: Vec<(String, String)>,
    /// Labels of the result, in order.
    pub labels: Vec<(String, String)>,
}

fn image(name: &str) -> PathParam<'_> {
    PathParam::Image(name)
}

/// `GET /images/json`.
pub fn list(opts: &ListImagesOptions) -> Call<'_> {
    Call::new(&LIST)
        .flag("all", opts.all)
        .flag("digests", opts.digests)
        .opt("filters", opts.filters.as_ref().map(Filters::to_json))
}

/// `GET /images/{name}/json`.
pub fn inspect(name: &str) -> Call<'_> {
    Call::new(&INSPECT).param("name", image(name))
}

/// `DELETE /images/{name}?force=&noprune=`.
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

/// `POST /images/create?fromSrc=-&repo=&tag=` (`docker import`): the root filesystem tar is
/// streamed by the adapter.
pub fn import<'a>(repo: &'a str, tag: &'a str) -> Call<'a> {
    Call::new(&CREATE)
        .query("fromSrc", "-")
        .query("repo", repo)
        .query("tag", tag)
        .body(TAR)
}

/// `POST /build`: the build context tar is streamed by the adapter.
pub fn build(opts: &BuildOptions) -> Call<'_> {
    let nonempty = |pairs: &[(String, String)]| (!pairs.is_empty()).then(|| json_object(pairs));
    Call::new(&BUILD)
        .opt("t", opts.tag.as_deref())
        .opt("dockerfile", opts.dockerfile.as_deref())
        .flag("q", opts.quiet)
        .opt("rm", opts.rm.map(crate::bool_str))
        .flag("forcerm", opts.forcerm)
        .flag("nocache", opts.nocache)
        .opt("buildargs", nonempty(&opts.buildargs))
        .opt("labels", nonempty(&opts.labels))
        .body(TAR)
}

/// `GET /images/{name}/get` (`docker save`).
pub fn export(name: &str) -> Call<'_> {
    Call::new(&GET).param("name", image(name))
}
