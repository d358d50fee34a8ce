//! Images: build, and the prune of the build cache.

use alloc::string::String;
use alloc::vec::Vec;

use docksock_proto::timeout::Timeout;

use crate::call::{Call, CallBody};
use crate::filters::{json_object, json_string, Filters};
use crate::operation::{Operation, RequestBody, ResponseKind};

/// `POST /build`: a progress stream (a build step may be quiet for as long as it runs).
pub static BUILD: Operation = Operation::new(
    "ImageBuild",
    "POST",
    "/build",
    RequestBody::Tar,
    ResponseKind::JsonStream,
)
.idle(Timeout::Off);
/// `POST /build/prune`: removes build cache; answers with what it removed.
pub static BUILD_PRUNE: Operation = Operation::new(
    "BuildPrune",
    "POST",
    "/build/prune",
    RequestBody::None,
    ResponseKind::Json,
);

/// Options of [`build`]. Query names are the description's; numbers unset are not sent (the
/// daemon's defaults).
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
    /// More `t` values: further `name:tag`s for the result, after [`tag`](Self::tag).
    pub more_tags: Vec<String>,
    /// `extrahosts`: `host:ip` entries for `/etc/hosts` of the build containers, each sent
    /// as its own pair.
    pub extrahosts: Vec<String>,
    /// `remote`: build from this Git URL or tarball URL instead of an uploaded context (no
    /// request body is sent then).
    pub remote: Option<String>,
    /// `cachefrom`: images to use as cache sources (sent as a JSON array).
    pub cachefrom: Vec<String>,
    /// `pull`: pull a newer version of the base images.
    pub pull: bool,
    /// `memory`: memory limit of the build containers, in bytes.
    pub memory: Option<i64>,
    /// `memswap`: memory plus swap limit, in bytes (`-1`: unlimited swap).
    pub memswap: Option<i64>,
    /// `cpushares`: relative CPU weight.
    pub cpushares: Option<i64>,
    /// `cpusetcpus`: the CPUs to use (`0-3`, `0,1`).
    pub cpusetcpus: Option<String>,
    /// `cpuperiod`: CPU CFS period in microseconds.
    pub cpuperiod: Option<i64>,
    /// `cpuquota`: CPU CFS quota in microseconds.
    pub cpuquota: Option<i64>,
    /// `shmsize`: size of `/dev/shm` in bytes.
    pub shmsize: Option<i64>,
    /// `squash`: squash the new layers into one (experimental daemons only).
    pub squash: bool,
    /// `networkmode`: network of the `RUN` steps (`bridge`, `host`, `none`, a network name).
    pub networkmode: Option<String>,
    /// `platform`: `os[/arch[/variant]]`.
    pub platform: Option<String>,
    /// `target`: the build stage to stop at.
    pub target: Option<String>,
    /// `outputs`: BuildKit outputs as the description's JSON array text.
    pub outputs: Option<String>,
    /// `version`: the builder, `1` (classic) or `2` (BuildKit, which needs a session this
    /// crate does not speak).
    pub version: Option<String>,
    /// `X-Registry-Config`: base64url of a JSON map of registry to auth configuration, for
    /// pulling base images from private registries.
    pub registry_config: Option<String>,
}

/// `POST /build`: the build context tar is streamed by the adapter (no body with
/// [`remote`](BuildOptions::remote)).
pub fn build(opts: &BuildOptions) -> Call<'_> {
    let nonempty = |pairs: &[(String, String)]| (!pairs.is_empty()).then(|| json_object(pairs));
    let call = Call::new(&BUILD).opt("t", opts.tag.as_deref());
    let call = crate::repeated(call, "t", &opts.more_tags);
    let call = call
        .opt("dockerfile", opts.dockerfile.as_deref())
        .flag("q", opts.quiet)
        .opt("rm", opts.rm.map(crate::bool_str))
        .flag("forcerm", opts.forcerm)
        .flag("nocache", opts.nocache)
        .opt("buildargs", nonempty(&opts.buildargs))
        .opt("labels", nonempty(&opts.labels));
    let call = crate::repeated(call, "extrahosts", &opts.extrahosts)
        .opt("remote", opts.remote.as_deref())
        .opt(
            "cachefrom",
            (!opts.cachefrom.is_empty()).then(|| json_array(&opts.cachefrom)),
        )
        .flag("pull", opts.pull)
        .opt("memory", opts.memory.map(crate::num))
        .opt("memswap", opts.memswap.map(crate::num))
        .opt("cpushares", opts.cpushares.map(crate::num))
        .opt("cpusetcpus", opts.cpusetcpus.as_deref())
        .opt("cpuperiod", opts.cpuperiod.map(crate::num))
        .opt("cpuquota", opts.cpuquota.map(crate::num))
        .opt("shmsize", opts.shmsize.map(crate::num))
        .flag("squash", opts.squash)
        .opt("networkmode", opts.networkmode.as_deref())
        .opt("platform", opts.platform.as_deref())
        .opt("target", opts.target.as_deref())
        .opt("outputs", opts.outputs.as_deref())
        .opt("version", opts.version.as_deref());
    let call = match &opts.registry_config {
        Some(c) => call.header("X-Registry-Config", c.as_str()),
        None => call,
    };
    if opts.remote.is_some() {
        call
    } else {
        call.body(CallBody::Stream {
            content_type: "application/x-tar",
        })
    }
}

/// A JSON array of strings.
fn json_array(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, item);
    }
    out.push(']');
    out
}

/// Options of [`build_prune`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildPruneOptions {
    /// `keep-storage`: bytes of cache to keep (deprecated for `reserved-space`, which API
    /// 1.48+ reads; older daemons read only this one).
    pub keep_storage: Option<i64>,
    /// `reserved-space`: bytes of cache to keep (API 1.48+).
    pub reserved_space: Option<i64>,
    /// `max-used-space`: at most this many bytes of cache (API 1.48+).
    pub max_used_space: Option<i64>,
    /// `min-free-space`: keep at least this many bytes free on disk (API 1.48+).
    pub min_free_space: Option<i64>,
    /// Remove all unused cache, not only dangling cache.
    pub all: bool,
    /// Filters: `until`, `id`, `parent`, `type`, `description`, `inuse`, `shared`, `private`.
    pub filters: Option<Filters>,
}

/// `POST /build/prune?keep-storage=&reserved-space=&max-used-space=&min-free-space=&all=&filters=`.
pub fn build_prune(opts: &BuildPruneOptions) -> Call<'_> {
    let call = Call::new(&BUILD_PRUNE)
        .opt("keep-storage", opts.keep_storage.map(crate::num))
        .opt("reserved-space", opts.reserved_space.map(crate::num))
        .opt("max-used-space", opts.max_used_space.map(crate::num))
        .opt("min-free-space", opts.min_free_space.map(crate::num))
        .flag("all", opts.all);
    crate::filters(call, opts.filters.as_ref())
}
