//! Containers' file systems: changes, export, and the archive of a path (get, stat, put).

use crate::call::{Call, CallBody};
use crate::operation::{Operation, RequestBody, ResponseKind};
use crate::plain;

/// `GET /containers/{id}/changes`: files added, changed or deleted since creation.
pub static CHANGES: Operation = Operation::new(
    "ContainerChanges",
    "GET",
    "/containers/{id}/changes",
    RequestBody::None,
    ResponseKind::Json,
);
/// `GET /containers/{id}/export`: the container's file system as a tar stream.
pub static EXPORT: Operation = Operation::new(
    "ContainerExport",
    "GET",
    "/containers/{id}/export",
    RequestBody::None,
    ResponseKind::Bytes,
);
/// `GET /containers/{id}/archive`: a path of the container as a tar stream (its stat in the
/// `X-Docker-Container-Path-Stat` header too).
pub static ARCHIVE: Operation = Operation::new(
    "ContainerArchive",
    "GET",
    "/containers/{id}/archive",
    RequestBody::None,
    ResponseKind::Bytes,
);
/// `HEAD /containers/{id}/archive`: only the stat of a path, in the
/// `X-Docker-Container-Path-Stat` header (base64 of a JSON object).
pub static ARCHIVE_INFO: Operation = Operation::new(
    "ContainerArchiveInfo",
    "HEAD",
    "/containers/{id}/archive",
    RequestBody::None,
    ResponseKind::Empty,
);
/// `PUT /containers/{id}/archive`: extracts a tar stream into a directory of the container.
pub static PUT_ARCHIVE: Operation = Operation::new(
    "PutContainerArchive",
    "PUT",
    "/containers/{id}/archive",
    RequestBody::Tar,
    ResponseKind::Empty,
);

/// `GET /containers/{id}/changes`.
pub fn changes(container: &str) -> Call<'_> {
    Call::new(&CHANGES).param("id", plain(container))
}

/// `GET /containers/{id}/export` (`docker export`).
pub fn export(container: &str) -> Call<'_> {
    Call::new(&EXPORT).param("id", plain(container))
}

/// `GET /containers/{id}/archive?path=` (`docker cp` out of a container).
pub fn archive<'a>(container: &'a str, path: &'a str) -> Call<'a> {
    Call::new(&ARCHIVE)
        .param("id", plain(container))
        .query("path", path)
}

/// `HEAD /containers/{id}/archive?path=`.
pub fn archive_info<'a>(container: &'a str, path: &'a str) -> Call<'a> {
    Call::new(&ARCHIVE_INFO)
        .param("id", plain(container))
        .query("path", path)
}

/// Options of [`put_archive`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutArchiveOptions {
    /// `noOverwriteDirNonDir`: fail rather than replace a directory with a non-directory or
    /// the other way round.
    pub no_overwrite_dir_non_dir: bool,
    /// `copyUIDGID`: give the extracted files the container's user and group mapping.
    pub copy_uid_gid: bool,
}

/// `PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=` (`docker cp` into a
/// container): `path` is an existing directory of the container; the tar is streamed by the
/// adapter.
pub fn put_archive<'a>(container: &'a str, path: &'a str, opts: &PutArchiveOptions) -> Call<'a> {
    Call::new(&PUT_ARCHIVE)
        .param("id", plain(container))
        .query("path", path)
        .flag("noOverwriteDirNonDir", opts.no_overwrite_dir_non_dir)
        .flag("copyUIDGID", opts.copy_uid_gid)
        .body(CallBody::Stream {
            content_type: "application/x-tar",
        })
}
