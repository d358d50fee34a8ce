//! Copying files and directories between the local file system and a container, like
//! `docker cp`, streamed both ways (feature `archive`).
//!
//! Into a container, the tar is written as it is sent ([`Body::writer`]): files are read 64 KiB
//! at a time, never staged. Out of a container, the tar is read as it arrives and each entry
//! is written to its place as it is read. Memory stays constant whatever the size of the files.
//!
//! What is kept: the tree, file contents, permission bits (with set-id and sticky), symbolic
//! links (as links, never followed), hard links within the tar, modification times (seconds).
//! Not kept: ownership (files are created by the local user; in the container, by the
//! daemon's rules — [`PutArchiveOptions::copy_uid_gid`]), extended attributes, devices, FIFOs
//! and sockets (refused with an error).
//!
//! Extraction never writes outside the destination directory: an entry with a `..` component
//! or an absolute path, a hard link to such a path, an entry whose parent is a symbolic link
//! (it would be written through it), and — unless [`ExtractOptions::allow_escaping_symlinks`]
//! — a symbolic link whose target is absolute or climbs above the destination are refused with
//! [`Error::Archive`], before anything is written for that entry. An existing file (or link)
//! in the way of a file or link is replaced, never written through; a directory in the way of
//! a non-directory (or the other way round) is an error.

use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use docksock_api::{containers, PutArchiveOptions};
use filetime::FileTime;
use tar::{EntryType, Header, HeaderMode};

use crate::body::Body;
use crate::calls_containers::{done, path_stat};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::path_stat::PathStat;

/// Size of the buffer file data is copied through, both ways.
const COPY_CHUNK: usize = 64 * 1024;

/// The most bytes tar-rs may read between two entries: the padding of the last one, and the
/// extension headers (PAX records, GNU long names) of the next, which it holds in memory.
pub const MAX_EXTENSION_HEADERS: u64 = 1024 * 1024;

/// How an archive is extracted ([`extract`], [`Client::copy_from_container_with`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExtractOptions {
    /// Create symbolic links whose target is absolute or climbs above the destination (a
    /// container's `/etc/mtab -> /proc/mounts`) as they are, as `docker cp` does. They are
    /// still never followed while extracting; off by default, such a link is refused.
    pub allow_escaping_symlinks: bool,
}

impl ExtractOptions {
    /// The defaults: every link must stay inside the destination.
    pub fn new() -> ExtractOptions {
        ExtractOptions::default()
    }

    /// Sets [`allow_escaping_symlinks`](Self::allow_escaping_symlinks).
    pub fn allow_escaping_symlinks(mut self, allow: bool) -> ExtractOptions {
        self.allow_escaping_symlinks = allow;
        self
    }
}

/// What a copy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyStats {
    /// Regular files.
    pub files: u64,
    /// Directories.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links.
    pub hard_links: u64,
    /// Bytes of file contents.
    pub bytes: u64,
}

fn refused(path: impl AsRef<Path>, message: impl Into<String>) -> Error {
    Error::Archive {
        path: path.as_ref().display().to_string(),
        message: message.into(),
    }
}

/// An I/O error with what was being done to which local path.
fn local(what: &str, path: &Path, e: io::Error) -> Error {
    Error::io(format!("{what} {}", path.display()), e)
}

// ----- extracting ------------------------------------------------------------------------

/// The reader tar-rs reads through: counts what it reads between two entries, and fails past
/// [`MAX_EXTENSION_HEADERS`] (tar-rs holds extension headers in memory whole).
struct Guarded<R> {
    inner: R,
    between: Rc<Cell<Option<u64>>>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(seen) = self.between.get() {
            let seen = seen + n as u64;
            if seen > MAX_EXTENSION_HEADERS + 512 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "more than {MAX_EXTENSION_HEADERS} bytes of tar headers before one \
                         entry (PAX or long-name records)"
                    ),
                ));
            }
            self.between.set(Some(seen));
        }
        Ok(n)
    }
}

/// The components of an entry's path below the destination; `..` and absolute paths are
/// refused. Empty for the destination itself (`./`).
fn inside(path: &Path, what: &str) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(refused(
                    path,
                    format!("{what} has a `..` component: it would leave the destination"),
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(
                    path,
                    format!("{what} is absolute: it would leave the destination"),
                ))
            }
        }
    }
    Ok(out)
}

/// Whether a symbolic link at `rel` (below the destination) pointing to `target` stays inside
/// the destination, read lexically (links are never followed while extracting).
fn link_stays_inside(rel: &Path, target: &Path) -> bool {
    let mut depth = rel.components().count().saturating_sub(1) as i64;
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Makes sure every directory between `dest` and `dest/rel` exists and is a real directory,
/// never a symbolic link (creating missing ones).
fn parents(dest: &Path, rel: &Path, entry: &Path) -> Result<()> {
    let mut at = dest.to_path_buf();
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    for c in parent.components() {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refused(
                    entry,
                    format!(
                        "would be written through the symbolic link {}",
                        at.display()
                    ),
                ))
            }
            Ok(_) => {
                return Err(refused(
                    entry,
                    format!("its parent {} is not a directory", at.display()),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&at).map_err(|e| local("creating the directory", &at, e))?;
            }
            Err(e) => return Err(local("reading", &at, e)),
        }
    }
    Ok(())
}

/// Clears the way for a non-directory at `target`: an existing file or link is removed (never
/// written through); a directory is an error.
fn replace_non_dir(target: &Path, entry: &Path) -> Result<()> {
    match fs::symlink_metadata(target) {
        Ok(m) if m.is_dir() => Err(refused(
            entry,
            format!(
                "{} is a directory: it is not replaced by a non-directory",
                target.display()
            ),
        )),
        Ok(_) => fs::remove_file(target).map_err(|e| local("replacing", target, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(local("reading", target, e)),
    }
}

/// A directory whose mode and time are set once its entries are written (a read-only
/// directory must be filled first; writing into it changes its time).
struct PendingDir {
    rel: PathBuf,
    mode: u32,
    mtime: FileTime,
}

fn finish_dir(dest: &Path, dir: PendingDir) -> Result<()> {
    let path = dest.join(&dir.rel);
    fs::set_permissions(&path, fs::Permissions::from_mode(dir.mode))
        .map_err(|e| local("setting the mode of", &path, e))?;
    filetime::set_file_mtime(&path, dir.mtime).map_err(|e| local("setting the time of", &path, e))
}

/// Extracts a tar stream into the existing directory `dest`, entry by entry as it is read
/// (constant memory), under the rules of the [module](self).
///
/// # Errors
///
/// [`Error::Io`] when `dest` is missing or a local write fails, or the tar cannot be read
/// (a daemon's error, recovered from the reader, comes back as it was);
/// [`Error::Archive`] for a refused entry. Entries before the error stay written.
pub fn extract(tar: impl Read, dest: &Path, opts: &ExtractOptions) -> Result<CopyStats> {
    let meta = fs::metadata(dest).map_err(|e| local("extracting into", dest, e))?;
    if !meta.is_dir() {
        return Err(refused(dest, "the destination is not a directory"));
    }
    let between = Rc::new(Cell::new(Some(0)));
    let mut archive = tar::Archive::new(Guarded {
        inner: tar,
        between: between.clone(),
    });
    let reading = |e: io::Error| Error::from_io("reading the tar", e);
    let mut stats = CopyStats::default();
    let mut dirs: Vec<PendingDir> = Vec::new();
    let mut buf = vec![0u8; COPY_CHUNK];
    for entry in archive.entries().map_err(reading)? {
        let mut entry = entry.map_err(reading)?;
        // The entry's own data is not the headers' to count.
        between.set(None);
        let name = entry.path().map_err(reading)?.into_owned();
        let rel = inside(&name, "the entry")?;
        let header = entry.header();
        let kind = header.entry_type();
        let mode = header.mode().map_err(reading)? & 0o7777;
        let mtime = FileTime::from_unix_time(header.mtime().map_err(reading)? as i64, 0);
        // Directories whose entries are all written: tar order is depth-first.
        while dirs.last().is_some_and(|d| !rel.starts_with(&d.rel)) {
            if let Some(done) = dirs.pop() {
                finish_dir(dest, done)?;
            }
        }
        let target = dest.join(&rel);
        if rel.as_os_str().is_empty() && kind != EntryType::Directory {
            return Err(refused(&name, "names the destination itself"));
        }
        parents(dest, &rel, &name)?;
        match kind {
            EntryType::Directory => {
                if rel.as_os_str().is_empty() {
                    // `./`: the destination itself keeps its own mode and time.
                    between.set(Some(0));
                    continue;
                }
                match fs::symlink_metadata(&target) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        return Err(refused(
                            &name,
                            format!(
                                "{} exists and is not a directory: it is not replaced by one",
                                target.display()
                            ),
                        ))
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir(&target)
                        .map_err(|e| local("creating the directory", &target, e))?,
                    Err(e) => return Err(local("reading", &target, e)),
                }
                stats.dirs += 1;
                dirs.push(PendingDir { rel, mode, mtime });
            }
            EntryType::Regular | EntryType::Continuous => {
                replace_non_dir(&target, &name)?;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&target)
                    .map_err(|e| local("creating", &target, e))?;
                let size = entry.size();
                let mut written = 0u64;
                loop {
                    let n = match entry.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(reading(e)),
                    };
                    file.write_all(buf.get(..n).unwrap_or(&[]))
                        .map_err(|e| local("writing", &target, e))?;
                    written += n as u64;
                }
                if written != size {
                    return Err(refused(
                        &name,
                        format!("the tar ended after {written} of its {size} bytes"),
                    ));
                }
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .map_err(|e| local("setting the mode of", &target, e))?;
                filetime::set_file_handle_times(&file, None, Some(mtime))
                    .map_err(|e| local("setting the time of", &target, e))?;
                stats.files += 1;
                stats.bytes += written;
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(reading)?
                    .ok_or_else(|| refused(&name, "a symbolic link without a target"))?
                    .into_owned();
                if !opts.allow_escaping_symlinks && !link_stays_inside(&rel, &link) {
                    return Err(refused(
                        &name,
                        format!(
                            "is a symbolic link to {}, outside the destination (refused \
                             unless ExtractOptions::allow_escaping_symlinks)",
                            link.display()
                        ),
                    ));
                }
                replace_non_dir(&target, &name)?;
                std::os::unix::fs::symlink(&link, &target)
                    .map_err(|e| local("creating the symbolic link", &target, e))?;
                filetime::set_symlink_file_times(&target, mtime, mtime)
                    .map_err(|e| local("setting the time of", &target, e))?;
                stats.symlinks += 1;
            }
            EntryType::Link => {
                let link = entry
                    .link_name()
                    .map_err(reading)?
                    .ok_or_else(|| refused(&name, "a hard link without a target"))?
                    .into_owned();
                let source_rel = inside(&link, "the hard link's target")?;
                parents(dest, &source_rel, &name)?;
                let source = dest.join(&source_rel);
                match fs::symlink_metadata(&source) {
                    Ok(m) if !m.is_dir() => {}
                    Ok(_) => return Err(refused(&name, "a hard link to a directory")),
                    Err(e) => return Err(local("linking to", &source, e)),
                }
                replace_non_dir(&target, &name)?;
                fs::hard_link(&source, &target)
                    .map_err(|e| local("creating the hard link", &target, e))?;
                stats.hard_links += 1;
            }
            EntryType::XGlobalHeader => {}
            other => {
                return Err(refused(
                    &name,
                    format!("entries of type {other:?} are not extracted"),
                ))
            }
        }
        between.set(Some(0));
    }
    while let Some(done) = dirs.pop() {
        finish_dir(dest, done)?;
    }
    Ok(stats)
}

// ----- archiving -------------------------------------------------------------------------

/// A file's contents for its tar entry: exactly the size in its header, or an error (a file
/// that shrinks or grows while it is archived would make the tar lie).
struct Exact<'p> {
    file: File,
    left: u64,
    path: &'p Path,
}

impl Read for Exact<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.file.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} grew while it was archived", self.path.display()),
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(buf.get_mut(..want).unwrap_or(&mut []))?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} shrank while it was archived", self.path.display()),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The name a local path gets in the tar: its last component (of the canonical path for `.`).
fn tar_name(src: &Path) -> Result<PathBuf> {
    if let Some(name) = src.file_name() {
        return Ok(PathBuf::from(name));
    }
    let full = fs::canonicalize(src).map_err(|e| local("reading", src, e))?;
    full.file_name()
        .map(PathBuf::from)
        .ok_or_else(|| refused(src, "has no name to give it in the container"))
}

/// Writes `src` (a file, a symbolic link — not followed — or a directory with everything
/// below it) as a tar stream to `out`, named by its last component, streaming file contents
/// through a 64 KiB buffer. Entries are written depth-first, each directory's in name order.
///
/// # Errors
///
/// [`Error::Io`] when a local path cannot be read or `out` fails; [`Error::Archive`] for a
/// socket (tar has no such entry) or a file that changed size while it was read.
pub fn archive_path(src: &Path, out: &mut dyn Write) -> Result<CopyStats> {
    let name = tar_name(src)?;
    let mut builder = tar::Builder::new(out);
    builder.mode(HeaderMode::Complete);
    builder.follow_symlinks(false);
    let mut stats = CopyStats::default();
    let mut todo = vec![(src.to_path_buf(), name)];
    let writing =
        |path: &Path, e: io::Error| Error::from_io(&format!("archiving {}", path.display()), e);
    while let Some((path, name)) = todo.pop() {
        let meta = fs::symlink_metadata(&path).map_err(|e| local("reading", &path, e))?;
        let kind = meta.file_type();
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&meta, HeaderMode::Complete);
        // The permission, set-id and sticky bits only: the type is the entry's.
        header.set_mode(meta.mode() & 0o7777);
        if kind.is_file() {
            let file = File::open(&path).map_err(|e| local("opening", &path, e))?;
            let data = Exact {
                file,
                left: meta.len(),
                path: &path,
            };
            builder
                .append_data(&mut header, &name, data)
                .map_err(|e| writing(&path, e))?;
            stats.files += 1;
            stats.bytes += meta.len();
        } else if kind.is_dir() {
            header.set_size(0);
            builder
                .append_data(&mut header, &name, io::empty())
                .map_err(|e| writing(&path, e))?;
            stats.dirs += 1;
            let mut children = Vec::new();
            for child in fs::read_dir(&path).map_err(|e| local("listing", &path, e))? {
                let child = child.map_err(|e| local("listing", &path, e))?;
                children.push(child.file_name());
            }
            children.sort();
            for child in children.into_iter().rev() {
                todo.push((path.join(&child), name.join(&child)));
            }
        } else if kind.is_symlink() {
            let target = fs::read_link(&path).map_err(|e| local("reading the link", &path, e))?;
            header.set_size(0);
            builder
                .append_link(&mut header, &name, &target)
                .map_err(|e| writing(&path, e))?;
            stats.symlinks += 1;
        } else {
            return Err(refused(
                &path,
                "is a socket, FIFO or device: only files, directories and symbolic links are \
                 copied",
            ));
        }
    }
    builder
        .into_inner()
        .map_err(|e| Error::from_io("ending the tar", e))?;
    Ok(stats)
}

// ----- the calls -------------------------------------------------------------------------

/// Splits a container path into its directory and last component (`/tmp/a` → `/tmp`, `a`).
fn split_container_path(path: &str) -> Result<(&str, &str)> {
    let trimmed = path.trim_end_matches('/');
    let (dir, name) = match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/", name),
        Some((dir, name)) => (dir, name),
        None => (".", trimmed),
    };
    if name.is_empty() || name == "." || name == ".." || trimmed.len() != path.len() {
        return Err(refused(path, "is not the path of a file in the container"));
    }
    Ok((dir, name))
}

impl Client {
    /// The stat of `dir` in the container, which must be a directory (or a link to one):
    /// missing, it is a 404 naming it.
    fn container_dir(&self, id: &str, dir: &str) -> Result<PathStat> {
        let stat = match self.container_archive_info(id, dir) {
            Ok(stat) => stat,
            Err(Error::Api {
                operation,
                status: 404,
                ..
            }) => {
                let message = match self.inspect_container(id) {
                    Err(e) if e.is_not_found() => format!("no such container: {id}"),
                    _ => format!("no such directory in the container: {dir}"),
                };
                return Err(Error::Api {
                    operation,
                    status: 404,
                    message,
                });
            }
            Err(e) => return Err(e),
        };
        if !stat.mode.is_dir() && !stat.mode.is_symlink() {
            return Err(refused(
                dir,
                format!("is not a directory in the container (mode {})", stat.mode),
            ));
        }
        Ok(stat)
    }

    /// `docker cp LOCAL CONTAINER:DIR`: copies the local file, symbolic link (not followed) or
    /// directory tree `local` into the existing directory `container_dir` of the container,
    /// under its own name, as a tar written while it is sent (constant memory). Modes,
    /// links and modification times are kept (see the [module](crate::archive)).
    ///
    /// `container_dir` is checked first (`HEAD`), so that a missing one is an error on every
    /// engine (Podman would create it).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `local` cannot be read; [`Error::Api`] 404 naming the directory or
    /// the container when either does not exist; [`Error::Archive`] when `container_dir` is
    /// not a directory, or a file changed size while it was sent (the upload is then
    /// aborted: the daemon has extracted what came before).
    pub fn copy_to_container(
        &self,
        id: &str,
        local: &Path,
        container_dir: &str,
    ) -> Result<CopyStats> {
        fs::symlink_metadata(local).map_err(|e| self::local("copying", local, e))?;
        tar_name(local)?;
        self.container_dir(id, container_dir)?;
        let mut stats = None;
        let body = Body::writer(|out| {
            stats = Some(archive_path(local, out).map_err(Error::into_io)?);
            Ok(())
        });
        let call = containers::put_archive(id, container_dir, &PutArchiveOptions::default());
        done(self.run_with_body(call, body)?);
        stats.ok_or_else(|| Error::Unexpected("the tar was not written".into()))
    }

    /// `docker cp CONTAINER:PATH LOCAL_DIR`: copies the file, link or directory tree at
    /// `container_path` into the existing local directory `local_dir`, under its own name,
    /// extracting the tar as it arrives (constant memory). Symbolic links must stay inside
    /// `local_dir`; [`copy_from_container_with`](Self::copy_from_container_with) can allow
    /// others.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `local_dir` is missing or a write fails; [`Error::Api`] 404 when the
    /// container or the path does not exist; [`Error::Archive`] for an entry refused by the
    /// rules of the [module](crate::archive).
    pub fn copy_from_container(
        &self,
        id: &str,
        container_path: &str,
        local_dir: &Path,
    ) -> Result<CopyStats> {
        self.copy_from_container_with(id, container_path, local_dir, &ExtractOptions::default())
    }

    /// [`copy_from_container`](Self::copy_from_container) with options.
    ///
    /// # Errors
    ///
    /// As [`copy_from_container`](Self::copy_from_container).
    pub fn copy_from_container_with(
        &self,
        id: &str,
        container_path: &str,
        local_dir: &Path,
        opts: &ExtractOptions,
    ) -> Result<CopyStats> {
        let meta = fs::metadata(local_dir).map_err(|e| local("copying into", local_dir, e))?;
        if !meta.is_dir() {
            return Err(refused(local_dir, "the destination is not a directory"));
        }
        let mut body = self.container_archive(id, container_path)?;
        let stats = extract(&mut body, local_dir, opts)?;
        body.discard();
        Ok(stats)
    }

    /// Writes one file into the container: `size` bytes read from `data` become the file
    /// `container_path` (its directory must exist) with permission bits `mode` (`0o644`) and
    /// the current time, streamed as a one-entry tar (constant memory).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 naming the directory or the container when either does not exist;
    /// [`Error::Archive`] when `container_path` does not name a file or `data` ends before
    /// `size` bytes or holds more (the upload is then aborted); errors of reading `data`.
    pub fn write_file_to_container(
        &self,
        id: &str,
        container_path: &str,
        mode: u32,
        size: u64,
        data: impl Read,
    ) -> Result<()> {
        let (dir, name) = split_container_path(container_path)?;
        self.container_dir(id, dir)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(size);
        header.set_mode(mode & 0o7777);
        header.set_mtime(now);
        header.set_uid(0);
        header.set_gid(0);
        let body = Body::writer(|out| {
            let mut data = ExactLen {
                inner: data,
                left: size,
                path: container_path,
            };
            let mut builder = tar::Builder::new(out);
            builder.append_data(&mut header, name, &mut data)?;
            builder.into_inner()?;
            Ok(())
        });
        let call = containers::put_archive(id, dir, &PutArchiveOptions::default());
        done(self.run_with_body(call, body)?);
        Ok(())
    }

    /// Reads one regular file of the container into `out`, streamed (constant memory), and
    /// returns the number of bytes written. A symbolic link is not followed (on Podman too,
    /// which would send its target's contents): ask for its target (see
    /// [`container_archive_info`](Self::container_archive_info)).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 when the container or the path does not exist;
    /// [`Error::Archive`] when the path is not a regular file or the tar is cut short; errors
    /// of writing `out`.
    pub fn read_file_from_container(
        &self,
        id: &str,
        container_path: &str,
        mut out: impl Write,
    ) -> Result<u64> {
        let resp = self.run(containers::archive(id, container_path))?;
        // Docker sends a link as a link; Podman 4.3 sends its target's contents. The stat in
        // the answer's header says which it was, so both are refused alike.
        if let Ok(stat) = path_stat(&resp, "container archive") {
            if stat.mode.is_symlink() {
                return Err(refused(
                    container_path,
                    format!("is a symbolic link to {}", stat.link_target),
                ));
            }
        }
        let mut body = resp.into_body();
        let between = Rc::new(Cell::new(Some(0)));
        let mut archive = tar::Archive::new(Guarded {
            inner: &mut body,
            between: between.clone(),
        });
        let reading = |e: io::Error| Error::from_io("reading the tar", e);
        let mut entries = archive.entries().map_err(reading)?;
        let mut entry = entries
            .next()
            .ok_or_else(|| refused(container_path, "the daemon sent an empty tar"))?
            .map_err(reading)?;
        between.set(None);
        let kind = entry.header().entry_type();
        if !matches!(kind, EntryType::Regular | EntryType::Continuous) {
            let what = match kind {
                EntryType::Directory => "is a directory".to_owned(),
                EntryType::Symlink => format!(
                    "is a symbolic link to {}",
                    entry
                        .link_name()
                        .ok()
                        .flatten()
                        .map_or_else(String::new, |l| l.display().to_string())
                ),
                other => format!("is not a regular file ({other:?})"),
            };
            return Err(refused(container_path, what));
        }
        let size = entry.size();
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut written = 0u64;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(reading(e)),
            };
            out.write_all(buf.get(..n).unwrap_or(&[]))
                .map_err(|e| Error::io(format!("writing {container_path} out"), e))?;
            written += n as u64;
        }
        if written != size {
            return Err(refused(
                container_path,
                format!("the tar ended after {written} of the file's {size} bytes"),
            ));
        }
        body.discard();
        Ok(written)
    }
}

/// A caller's reader for a file of announced size: exactly `left` more bytes, else an error.
struct ExactLen<'p, R> {
    inner: R,
    left: u64,
    path: &'p str,
}

impl<R: Read> Read for ExactLen<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Error::Archive {
                        path: self.path.to_owned(),
                        message: "the data holds more bytes than the size given".into(),
                    },
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(buf.get_mut(..want).unwrap_or(&mut []))?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                Error::Archive {
                    path: self.path.to_owned(),
                    message: format!("the data ended {} bytes before the size given", self.left),
                },
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_stay_inside() {
        assert_eq!(inside(Path::new("./a/b"), "e").unwrap(), Path::new("a/b"));
        assert_eq!(inside(Path::new("./"), "e").unwrap(), Path::new(""));
        for bad in ["../a", "a/../../b", "/etc/passwd", "a/.."] {
            let err = inside(Path::new(bad), "the entry").unwrap_err();
            assert!(matches!(err, Error::Archive { .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn symlinks_read_lexically() {
        let ok = [
            ("a", "b"),
            ("d/a", "../b"),
            ("d/e/a", "../../x"),
            ("a", "."),
        ];
        for (at, to) in ok {
            assert!(
                link_stays_inside(Path::new(at), Path::new(to)),
                "{at} -> {to}"
            );
        }
        let out = [
            ("a", "../b"),
            ("d/a", "../../b"),
            ("a", "/etc"),
            ("d/a", "x/../../.."),
        ];
        for (at, to) in out {
            assert!(
                !link_stays_inside(Path::new(at), Path::new(to)),
                "{at} -> {to}"
            );
        }
    }

    /// A raw tar entry: `name` written into the header as it is (tar-rs's own setters
    /// refuse `..` and absolute paths, which is what these tests need).
    fn raw_entry(out: &mut Vec<u8>, name: &str, kind: EntryType, link: &str, data: &[u8]) {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_000_000_000);
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }

    fn finish(mut tar: Vec<u8>) -> Vec<u8> {
        tar.resize(tar.len() + 1024, 0);
        tar
    }

    struct Dir(PathBuf);

    impl Dir {
        fn new(test: &str) -> Dir {
            let d = std::env::temp_dir().join(format!("docksock-{test}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&d);
            fs::create_dir_all(d.join("dest")).unwrap();
            Dir(d)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn refusal(tar: &[u8], dest: &Path, opts: &ExtractOptions) -> String {
        match extract(tar, dest, opts) {
            Err(Error::Archive { path, message }) => format!("{path}: {message}"),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn extraction_never_leaves_the_destination() {
        let dir = Dir::new("extract-escape");
        let dest = dir.0.join("dest");
        let opts = ExtractOptions::default();
        let cases: [(&str, EntryType, &str, &str); 4] = [
            ("../evil", EntryType::Regular, "", "`..`"),
            ("/tmp/evil", EntryType::Regular, "", "absolute"),
            ("l", EntryType::Link, "../outside", "`..`"),
            (
                "up",
                EntryType::Symlink,
                "../outside",
                "outside the destination",
            ),
        ];
        for (name, kind, link, says) in cases {
            let mut tar = Vec::new();
            raw_entry(&mut tar, name, kind, link, b"x");
            let text = refusal(&finish(tar), &dest, &opts);
            assert!(text.contains(says), "{name}: {text}");
        }
        assert!(!dir.0.join("evil").exists());
        assert_eq!(fs::read_dir(&dest).unwrap().count(), 0);

        // A link out, allowed on request, is made but never written through.
        fs::create_dir(dir.0.join("outside")).unwrap();
        let mut tar = Vec::new();
        raw_entry(&mut tar, "d", EntryType::Symlink, "../outside", b"");
        raw_entry(&mut tar, "d/x", EntryType::Regular, "", b"data");
        let tar = finish(tar);
        let text = refusal(&tar, &dest, &opts);
        assert!(text.contains("outside the destination"), "{text}");
        let allow = ExtractOptions::new().allow_escaping_symlinks(true);
        let text = refusal(&tar, &dest, &allow);
        assert!(text.contains("through the symbolic link"), "{text}");
        assert_eq!(
            fs::read_link(dest.join("d")).unwrap(),
            Path::new("../outside")
        );
        assert!(!dir.0.join("outside/x").exists());

        // A file in the place of a link replaces the link; it does not write to its target.
        fs::write(dir.0.join("victim"), b"keep").unwrap();
        std::os::unix::fs::symlink("../victim", dest.join("f")).unwrap();
        let mut tar = Vec::new();
        raw_entry(&mut tar, "f", EntryType::Regular, "", b"new");
        let stats = extract(&finish(tar)[..], &dest, &opts).unwrap();
        assert_eq!((stats.files, stats.bytes), (1, 3));
        assert_eq!(fs::read(dir.0.join("victim")).unwrap(), b"keep");
        assert_eq!(fs::read(dest.join("f")).unwrap(), b"new");
        assert!(!fs::symlink_metadata(dest.join("f"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn extraction_refuses_what_it_cannot_make_and_huge_headers() {
        let dir = Dir::new("extract-kinds");
        let dest = dir.0.join("dest");
        let opts = ExtractOptions::default();
        let mut tar = Vec::new();
        raw_entry(&mut tar, "fifo", EntryType::Fifo, "", b"");
        let text = refusal(&finish(tar), &dest, &opts);
        assert!(text.contains("not extracted"), "{text}");
        // A file cut short: an error, never a short file taken for whole.
        let mut tar = Vec::new();
        let mut h = Header::new_gnu();
        h.set_path("short").unwrap();
        h.set_size(5000);
        h.set_cksum();
        tar.extend_from_slice(h.as_bytes());
        tar.extend_from_slice(&[1u8; 1000]);
        assert!(extract(&tar[..], &dest, &opts).is_err());
        // A PAX header past the cap is refused before it is held whole.
        let mut tar = Vec::new();
        let big = vec![b'a'; (MAX_EXTENSION_HEADERS + 4096) as usize];
        raw_entry(&mut tar, "pax", EntryType::XHeader, "", &big);
        raw_entry(&mut tar, "f", EntryType::Regular, "", b"x");
        match extract(&finish(tar)[..], &dest, &opts) {
            Err(Error::Io { source, .. }) => {
                assert!(source.to_string().contains("tar headers"), "{source}")
            }
            other => panic!("{other:?}"),
        }
        // Into a destination that is missing or not a directory.
        assert!(matches!(
            extract(&[][..], &dir.0.join("missing"), &opts),
            Err(Error::Io { .. })
        ));
        fs::write(dir.0.join("file"), b"").unwrap();
        assert!(matches!(
            extract(&[][..], &dir.0.join("file"), &opts),
            Err(Error::Archive { .. })
        ));
    }

    #[test]
    fn archive_and_extract_round_trip() {
        let dir = Dir::new("round-trip");
        let src = dir.0.join("src");
        fs::create_dir_all(src.join("a/b")).unwrap();
        fs::write(src.join("a/b/f"), vec![7u8; 70_000]).unwrap();
        fs::set_permissions(src.join("a/b/f"), fs::Permissions::from_mode(0o4751)).unwrap();
        std::os::unix::fs::symlink("b/f", src.join("a/l")).unwrap();
        let long = "x".repeat(200);
        fs::write(src.join(&long), b"long").unwrap();
        filetime::set_file_mtime(src.join("a"), FileTime::from_unix_time(1_234_567_890, 0))
            .unwrap();
        let mut tar = Vec::new();
        let sent = archive_path(&src, &mut tar).unwrap();
        assert_eq!((sent.files, sent.dirs, sent.symlinks), (2, 3, 1));
        let dest = dir.0.join("dest");
        let got = extract(&tar[..], &dest, &ExtractOptions::default()).unwrap();
        assert_eq!(got, sent);
        let f = fs::metadata(dest.join("src/a/b/f")).unwrap();
        assert_eq!((f.len(), f.mode() & 0o7777), (70_000, 0o4751));
        assert_eq!(
            fs::read_link(dest.join("src/a/l")).unwrap(),
            Path::new("b/f")
        );
        assert_eq!(fs::read(dest.join("src").join(&long)).unwrap(), b"long");
        assert_eq!(
            fs::metadata(dest.join("src/a")).unwrap().mtime(),
            1_234_567_890
        );
    }

    #[test]
    fn container_paths_split() {
        assert_eq!(split_container_path("/tmp/a").unwrap(), ("/tmp", "a"));
        assert_eq!(split_container_path("/a").unwrap(), ("/", "a"));
        assert_eq!(split_container_path("a").unwrap(), (".", "a"));
        for bad in ["/", "/tmp/", "/tmp/..", "", "/tmp/."] {
            assert!(split_container_path(bad).is_err(), "{bad}");
        }
    }
}
