//! Images moving in and out: pull, import, push, export (one image) and save (several) as a
//! tar, load.

use alloc::string::String;
use alloc::vec::Vec;

use docksock_proto::timeout::Timeout;

use crate::call::{Call, CallBody};
use crate::operation::{Operation, RequestBody, ResponseKind};

const TAR: CallBody<'static> = CallBody::Stream {
    content_type: "application/x-tar",
};

/// `POST /images/create`: pull, or import from a tar (a progress stream either way). This
/// definition is the import's (a streamed tar); [`PULL`] is the same operation without a
/// body.
pub static CREATE: Operation = Operation::new(
    "ImageCreate",
    "POST",
    "/images/create",
    RequestBody::Tar,
    ResponseKind::JsonStream,
);
/// `POST /images/create?fromImage=`: the pull form of [`CREATE`], without a body; a progress
/// stream that may be quiet for long (a slow registry, a large layer being extracted), so no
/// idle limit.
pub static PULL: Operation = Operation::new(
    "ImageCreate",
    "POST",
    "/images/create",
    RequestBody::None,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `POST /images/{name}/push`: a progress stream (no idle limit, as for a pull).
pub static PUSH: Operation = Operation::new(
    "ImagePush",
    "POST",
    "/images/{name}/push",
    RequestBody::None,
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
/// `GET /images/get`: several images in one tar stream.
pub static GET_ALL: Operation = Operation::new(
    "ImageGetAll",
    "GET",
    "/images/get",
    RequestBody::None,
    ResponseKind::Bytes,
);
/// `POST /images/load`: a tar of images in, a progress stream out (no idle limit: the
/// daemon may unpack a large layer silently).
pub static LOAD: Operation = Operation::new(
    "ImageLoad",
    "POST",
    "/images/load",
    RequestBody::Tar,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);

/// Options of [`pull`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullOptions {
    /// `tag`: the tag or digest to pull. Without it (and without one in the image name) the
    /// daemon pulls every tag of the repository: give `latest` for `docker pull`'s default.
    pub tag: Option<String>,
    /// `platform`: `os[/arch[/variant]]` of the variant to pull.
    pub platform: Option<String>,
    /// `X-Registry-Auth`: base64url of the auth JSON, for a private registry. Sent as given.
    pub registry_auth: Option<String>,
}

/// Options of [`push`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// `tag`: push only this tag (all tags of the repository otherwise).
    pub tag: Option<String>,
    /// `platform`: a JSON OCI platform, to push only that variant (API 1.46+).
    pub platform: Option<String>,
}

/// Options of [`save`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveImagesOptions {
    /// `names`: the images (names, references or ids), each sent as its own pair.
    pub names: Vec<String>,
    /// `platform`: a JSON OCI platform, to save only that variant (API 1.48+).
    pub platform: Option<String>,
}

/// Options of [`load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `quiet`: no progress details.
    pub quiet: bool,
    /// `platform`: a JSON OCI platform, to load only that variant (API 1.48+).
    pub platform: Option<String>,
}

/// `POST /images/create?fromImage=&tag=&platform=` (`docker pull`), with `X-Registry-Auth`
/// when given. The status is `200` as soon as the pull starts; failures come in the stream
/// (`errorDetail`).
pub fn pull<'a>(image: &'a str, opts: &'a PullOptions) -> Call<'a> {
    let call = Call::new(&PULL)
        .query("fromImage", image)
        .opt("tag", opts.tag.as_deref())
        .opt("platform", opts.platform.as_deref());
    crate::registry_auth(call, opts.registry_auth.as_deref())
}

/// `POST /images/create?fromSrc=-&repo=&tag=` (`docker import`): the root filesystem tar is
/// streamed by the adapter. The description's `message`, `changes` (one pair each) and
/// `platform` are added with `.query(…)` on the call.
pub fn import<'a>(repo: &'a str, tag: &'a str) -> Call<'a> {
    Call::new(&CREATE)
        .query("fromSrc", "-")
        .query("repo", repo)
        .query("tag", tag)
        .body(TAR)
}

/// `POST /images/{name}/push?tag=&platform=` with `X-Registry-Auth`, which the daemon
/// requires: base64url of the auth JSON, or of `{}` for a registry without authentication.
pub fn push<'a>(name: &'a str, registry_auth: &'a str, opts: &'a PushOptions) -> Call<'a> {
    Call::new(&PUSH)
        .param("name", crate::reference(name))
        .opt("tag", opts.tag.as_deref())
        .opt("platform", opts.platform.as_deref())
        .header("X-Registry-Auth", registry_auth)
}

/// `GET /images/{name}/get` (`docker save` of one image). A JSON OCI `platform` (API 1.48+)
/// with `.query("platform", …)` on the call.
pub fn export(name: &str) -> Call<'_> {
    Call::new(&GET).param("name", crate::reference(name))
}

/// `GET /images/get?names=&names=…&platform=` (`docker save` of several images into one tar).
pub fn save(opts: &SaveImagesOptions) -> Call<'_> {
    crate::repeated(Call::new(&GET_ALL), "names", &opts.names)
        .opt("platform", opts.platform.as_deref())
}

/// `POST /images/load?quiet=&platform=` (`docker load`): the tar (as [`save`] writes it) is
/// streamed by the adapter.
pub fn load(opts: &LoadOptions) -> Call<'_> {
    Call::new(&LOAD)
        .flag("quiet", opts.quiet)
        .opt("platform", opts.platform.as_deref())
        .body(TAR)
}
