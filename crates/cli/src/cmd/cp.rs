//! `cp`: files and directories between a container and the local file system, streamed both
//! ways, by `docker cp`'s rules: a destination that is an existing directory receives the
//! source inside it under the source's name; otherwise the source becomes the destination
//! (whose parent must exist); `-` is a tar stream on stdin or stdout.

use std::fs;
use std::path::{Path, PathBuf};

use docksock::api::containers;
use docksock::archive::ExtractOptions;
use docksock::{Body, Client, PathStat, PutArchiveOptions};

use super::Handler;
use crate::args::{switch, Args, Spec, Usage};
use crate::tar::TarDir;
use crate::Failure;

pub(super) static COMMANDS: &[(&Spec, Handler)] = &[(&CP, cp)];

static CP: Spec = Spec {
    name: "cp",
    usage: "CONTAINER:SRC_PATH DEST_PATH|-\n\tdocksock cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    about: "Copy files/folders between a container and the local filesystem\n\n\
            Use '-' as the source to read a tar archive from stdin\n\
            and extract it to a directory destination in a container.\n\
            Use '-' as the destination to stream a tar archive of a\n\
            container source to stdout.",
    flags: &[
        switch(Some('a'), "archive", "Archive mode (copy all uid/gid information)"),
        switch(Some('L'), "follow-link", "Always follow symbol link in SRC_PATH"),
        switch(Some('q'), "quiet", "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached"),
    ],
    min: 2,
    max: 2,
    stop_at_positional: false,
};

/// `CONTAINER:PATH` → (container, path); a local path (absolute, `./…`, no colon) → None.
fn split_arg(arg: &str) -> Option<(&str, &str)> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return None;
    }
    arg.split_once(':')
}

fn fail(msg: String) -> Failure {
    Failure::Msg(msg)
}

fn cp(client: &Client, a: &Args) -> Result<(), Failure> {
    let (src, dst) = (a.pos[0].as_str(), a.pos[1].as_str());
    match (split_arg(src), split_arg(dst)) {
        (Some(_), Some(_)) => Err(Usage(
            "copying between containers is not supported\nSee 'docksock cp --help'.".into(),
        )
        .into()),
        (None, None) => Err(Usage(
            "must specify at least one container source\nSee 'docksock cp --help'.".into(),
        )
        .into()),
        (Some((id, path)), None) => from_container(client, a, id, path, dst),
        (None, Some((id, path))) => to_container(client, a, src, id, path),
    }
}

/// The last component of a path (`/a/b/` → `b`).
fn base(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("/")
}

/// The directory of a container path (`/a/b` → `/a`, `b` → `.`).
fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) => "/",
        Some((dir, _)) => dir,
        None => ".",
    }
}

fn stat(client: &Client, id: &str, path: &str) -> Result<Option<PathStat>, Failure> {
    match client.container_archive_info(id, path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if super::is_not_found(&e) => {
            // Which one is missing: the container, or the path?
            client.run(containers::inspect(id)).map_err(Failure::from)?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn from_container(
    client: &Client,
    a: &Args,
    id: &str,
    path: &str,
    dst: &str,
) -> Result<(), Failure> {
    let mut src = path.to_owned();
    let Some(info) = stat(client, id, path)? else {
        return Err(fail(format!(
            "Error response from daemon: Could not find the file {path} in container {id}"
        )));
    };
    let mut is_dir = info.mode.is_dir();
    if a.on("follow-link") && info.mode.is_symlink() {
        src = if info.link_target.starts_with('/') {
            info.link_target.clone()
        } else {
            format!("{}/{}", parent(path), info.link_target)
        };
        is_dir = stat(client, id, &src)?.is_some_and(|s| s.mode.is_dir());
    }
    if dst == "-" {
        let body = client.container_archive(id, &src)?;
        return super::image::copy_out(body, None);
    }
    let opts = ExtractOptions::new().allow_escaping_symlinks(true);
    let dest = Path::new(dst);
    let (dir, name) = match fs::metadata(dest) {
        Ok(m) if m.is_dir() => (dest.to_path_buf(), base(path).to_owned()),
        Ok(_) if is_dir => {
            return Err(fail(format!(
                "cannot copy a directory to a file: {}",
                dest.display()
            )))
        }
        Ok(_) => (parent_of(dest), base(dst).to_owned()),
        Err(_) if dst.ends_with('/') => {
            return Err(fail(format!(
                "destination directory {} does not exist",
                dest.display()
            )))
        }
        Err(_) => {
            let dir = parent_of(dest);
            if !dir.is_dir() {
                return Err(fail(format!(
                    "copying to {}: the directory {} does not exist",
                    dest.display(),
                    dir.display()
                )));
            }
            (dir, base(dst).to_owned())
        }
    };
    if name == base(&src) {
        let stats = client.copy_from_container_with(id, &src, &dir, &opts)?;
        return done(stats.bytes, dst);
    }
    // Another name: extracted beside the destination, then renamed onto it.
    let tmp = dir.join(format!(".docksock-cp-{}", std::process::id()));
    fs::create_dir(&tmp).map_err(|e| fail(format!("creating {}: {e}", tmp.display())))?;
    let result = client
        .copy_from_container_with(id, &src, &tmp, &opts)
        .map_err(Failure::from)
        .and_then(|stats| {
            let from = tmp.join(base(&src));
            let to = dir.join(&name);
            fs::rename(&from, &to).map_err(|e| {
                fail(format!(
                    "moving {} to {}: {e}",
                    from.display(),
                    to.display()
                ))
            })?;
            Ok(stats)
        });
    let _ = fs::remove_dir_all(&tmp);
    done(result?.bytes, dst)
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// docker's last word, on a terminal only.
fn done(bytes: u64, dst: &str) -> Result<(), Failure> {
    if crate::term::stderr_is_tty() {
        crate::out::err_line(&format!(
            "Successfully copied {} to {dst}",
            crate::fmt::human_size(bytes as f64)
        ));
    }
    Ok(())
}

fn to_container(client: &Client, a: &Args, src: &str, id: &str, path: &str) -> Result<(), Failure> {
    let opts = PutArchiveOptions {
        copy_uid_gid: a.on("archive"),
        ..Default::default()
    };
    let put = |dir: &str, body: Body| -> Result<(), Failure> {
        let resp = client.run_with_body(containers::put_archive(id, dir, &opts), body)?;
        resp.bytes()?;
        Ok(())
    };
    let info = stat(client, id, path)?;
    if src == "-" {
        return match info {
            Some(s) if s.mode.is_dir() => put(path, Body::reader(std::io::stdin().lock())),
            Some(_) => Err(fail(format!(
                "destination \"{id}:{path}\" must be a directory"
            ))),
            None => Err(fail(format!(
                "Error response from daemon: Could not find the file {path} in container {id}"
            ))),
        };
    }
    let local = Path::new(src);
    let follow = a.on("follow-link");
    let meta = if follow {
        fs::metadata(local)
    } else {
        fs::symlink_metadata(local)
    }
    .map_err(|e| fail(format!("lstat {}: {e}", local.display())))?;
    let src_name = match local.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => fs::canonicalize(local)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .ok_or_else(|| fail(format!("{src} has no name to copy it under")))?,
    };
    let (dir, name) = match &info {
        Some(s) if s.mode.is_dir() => (path.to_owned(), src_name),
        Some(_) if meta.is_dir() => {
            return Err(fail(format!(
                "cannot copy a directory to a file: {id}:{path}"
            )))
        }
        Some(_) => (parent(path).to_owned(), base(path).to_owned()),
        None if path.ends_with('/') => {
            return Err(fail(format!(
                "destination directory {id}:{path} does not exist"
            )))
        }
        None => {
            let dir = parent(path);
            if !stat(client, id, dir)?.is_some_and(|s| s.mode.is_dir() || s.mode.is_symlink()) {
                return Err(fail(format!(
                    "copying to {id}:{path}: the directory {dir} does not exist in the container"
                )));
            }
            (dir.to_owned(), base(path).to_owned())
        }
    };
    let tar = TarDir::copy(local, &name, follow, a.on("archive"))
        .map_err(|e| fail(format!("reading {}: {e}", local.display())))?;
    put(&dir, Body::reader(tar))?;
    done(meta.len(), &format!("{id}:{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_paths() {
        assert_eq!(split_arg("c1:/tmp/x"), Some(("c1", "/tmp/x")));
        assert_eq!(split_arg("/tmp/a:b"), None);
        assert_eq!(split_arg("./a:b"), None);
        assert_eq!(split_arg("file"), None);
        assert_eq!((base("/a/b/"), parent("/a/b")), ("b", "/a"));
        assert_eq!((base("/x"), parent("/x"), parent("x")), ("x", "/", "."));
    }
}
