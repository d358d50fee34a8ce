//! `docker cp`-like copies of the blocking client (feature `archive`) against the real daemon:
//! a 1 GiB file into and out of a container byte-exact in constant memory (file-level calls,
//! generated data compared as it streams back); a directory tree with modes, times and
//! symbolic links round-tripped; missing paths as clear errors; links out of the destination
//! refused.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use docksock::archive::ExtractOptions;
use docksock::{Body, Error, PutArchiveOptions};
use docksock_tests::{daemon, unique_name, Engine, PeakRss};

use crate::blocking_archive::{exec_ok, running};

/// The length of [`Pattern`]'s period: a prime, so that no tar block (512), chunk (64 KiB) or
/// page boundary lines up with it and a lost, doubled or shifted piece of data shows.
const PERIOD: usize = 1_048_573;

/// A deterministic byte stream: one pseudo-random block of [`PERIOD`] bytes (xorshift64*),
/// repeated. Cheap to produce and to compare against (copies of the block), even unoptimized.
struct Pattern {
    block: std::rc::Rc<Vec<u8>>,
    at: usize,
    left: u64,
}

impl Pattern {
    fn new(len: u64) -> Pattern {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut block = Vec::with_capacity(PERIOD + 8);
        while block.len() < PERIOD {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            block.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        block.truncate(PERIOD);
        Pattern {
            block: std::rc::Rc::new(block),
            at: 0,
            left: len,
        }
    }

    /// Fills `buf` with the next bytes of the stream.
    fn fill(&mut self, mut buf: &mut [u8]) {
        while !buf.is_empty() {
            let run = (PERIOD - self.at).min(buf.len());
            buf[..run].copy_from_slice(&self.block[self.at..self.at + run]);
            self.at = (self.at + run) % PERIOD;
            buf = &mut buf[run..];
        }
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left.try_into().unwrap_or(usize::MAX));
        self.fill(&mut buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

/// A writer that compares what it is given with a [`Pattern`], as it comes.
struct Compare {
    expected: Pattern,
    scratch: Vec<u8>,
    seen: u64,
    first_mismatch: Option<u64>,
}

impl Compare {
    fn new(len: u64) -> Compare {
        Compare {
            expected: Pattern::new(len),
            scratch: Vec::new(),
            seen: 0,
            first_mismatch: None,
        }
    }
}

impl Write for Compare {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(self.expected.left.try_into().unwrap_or(usize::MAX));
        if self.scratch.len() < n {
            self.scratch.resize(n, 0);
        }
        let want = &mut self.scratch[..n];
        self.expected.read_exact(want)?;
        if self.first_mismatch.is_none() {
            if buf[..n] != *want {
                let i = (0..n).find(|&i| buf[i] != want[i]).unwrap_or(0);
                self.first_mismatch = Some(self.seen + i as u64);
            } else if n < buf.len() {
                self.first_mismatch = Some(self.seen + n as u64);
            }
        }
        self.seen += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const GIB: u64 = 1 << 30;
/// The budget of the brief for each direction.
const MAX_GROWTH_KIB: u64 = 32 * 1024;

#[test]
fn blocking_archive_copy_1gib_file_in_and_out_in_constant_memory() {
    let Some(docker) = daemon() else { return };
    let c = running(&docker, "archive-1gib", false);

    let peak = PeakRss::start();
    let started = Instant::now();
    docker
        .write_file_to_container(&c.id, "/tmp/big.bin", 0o640, GIB, Pattern::new(GIB))
        .unwrap();
    let put_time = started.elapsed();
    let put = peak.finish();

    let stat = docker
        .container_archive_info(&c.id, "/tmp/big.bin")
        .unwrap();
    assert_eq!(stat.size, GIB, "{stat:?}");
    assert!(stat.mode.is_regular(), "{stat:?}");
    assert_eq!(stat.mode.permissions(), 0o640, "{stat:?}");

    let peak = PeakRss::start();
    let started = Instant::now();
    let mut compare = Compare::new(GIB);
    let n = docker
        .read_file_from_container(&c.id, "/tmp/big.bin", &mut compare)
        .unwrap();
    let get_time = started.elapsed();
    let get = peak.finish();

    eprintln!(
        "1 GiB archive copy: in {:.1} s, peak RSS +{} KiB (VmHWM {:?}, sampled +{}); \
         out {:.1} s, peak RSS +{} KiB (VmHWM {:?}, sampled +{})",
        put_time.as_secs_f64(),
        put.kib,
        put.hwm_kib,
        put.sampled_kib,
        get_time.as_secs_f64(),
        get.kib,
        get.hwm_kib,
        get.sampled_kib,
    );
    assert_eq!(n, GIB);
    assert_eq!(compare.seen, GIB);
    assert_eq!(compare.first_mismatch, None, "the file read back differs");
    assert!(
        put.kib < MAX_GROWTH_KIB,
        "peak RSS grew by {} KiB copying 1 GiB in",
        put.kib
    );
    assert!(
        get.kib < MAX_GROWTH_KIB,
        "peak RSS grew by {} KiB copying 1 GiB out",
        get.kib
    );
}

/// A fresh local scratch directory under the target directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique_name(test));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Read-only directories must be made writable to be removed.
        fn open_up(p: &Path) {
            if let Ok(m) = fs::symlink_metadata(p) {
                if m.is_dir() {
                    let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o755));
                    if let Ok(rd) = fs::read_dir(p) {
                        for e in rd.flatten() {
                            open_up(&e.path());
                        }
                    }
                }
            }
        }
        open_up(&self.0);
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn set_mtime(path: &Path, secs: i64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    let f = fs::File::open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// Everything a tree holds, by relative path: kind, mode bits, mtime (not for links), and the
/// contents or link target.
fn snapshot(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<(String, String)>) {
        let mut names: Vec<_> = fs::read_dir(at).unwrap().flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let m = fs::symlink_metadata(&p).unwrap();
            let desc = if m.file_type().is_symlink() {
                format!("link -> {}", fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                format!("dir {:o} mtime {}", m.mode() & 0o7777, m.mtime())
            } else {
                let data = fs::read(&p).unwrap();
                let sum = data.iter().fold(0u64, |h, &b| {
                    h.wrapping_mul(1_099_511_628_211) ^ u64::from(b)
                });
                format!(
                    "file {:o} mtime {} len {} sum {sum:x}",
                    m.mode() & 0o7777,
                    m.mtime(),
                    data.len()
                )
            };
            out.push((rel, desc));
            if m.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn blocking_archive_copy_tree_round_trips_modes_times_links() {
    let Some(docker) = daemon() else { return };
    let c = running(&docker, "archive-tree", false);
    let scratch = Scratch::new("archive-tree");
    let tree = scratch.0.join("tree");
    let long = "n".repeat(150);
    fs::create_dir_all(tree.join("sub/deep")).unwrap();
    fs::create_dir_all(tree.join("empty")).unwrap();
    fs::create_dir_all(tree.join("ro")).unwrap();
    fs::write(tree.join("a.txt"), b"hello\n").unwrap();
    fs::write(tree.join("run.sh"), b"#!/bin/sh\necho hi\n").unwrap();
    let mut big = Vec::new();
    Pattern::new(300_000).read_to_end(&mut big).unwrap();
    fs::write(tree.join("sub/deep/b.bin"), &big).unwrap();
    fs::write(tree.join("sub").join(&long), b"a long name").unwrap();
    fs::write(tree.join("ro/c"), b"read only").unwrap();
    std::os::unix::fs::symlink("a.txt", tree.join("link")).unwrap();
    std::os::unix::fs::symlink("../a.txt", tree.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("missing", tree.join("dangling")).unwrap();
    let modes = [
        ("a.txt", 0o640),
        ("run.sh", 0o755),
        ("sub/deep/b.bin", 0o600),
        ("ro/c", 0o444),
        ("sub/deep", 0o700),
        ("sub", 0o750),
        ("empty", 0o1777),
        ("ro", 0o555),
        ("", 0o755),
    ];
    let mut t = 1_000_000_000;
    for (rel, mode) in modes {
        let p = tree.join(rel);
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        set_mtime(&p, t);
        t += 86_400 + 7;
    }
    set_mtime(&tree.join("sub").join(&long), t);
    let before = snapshot(&tree);

    let sent = docker.copy_to_container(&c.id, &tree, "/tmp").unwrap();
    assert_eq!(
        (sent.files, sent.dirs, sent.symlinks),
        (5, 5, 3),
        "{sent:?}"
    );
    let stat = docker
        .container_archive_info(&c.id, "/tmp/tree/sub/deep/b.bin")
        .unwrap();
    assert_eq!(stat.size, big.len() as u64, "{stat:?}");
    assert_eq!(stat.mode.permissions(), 0o600, "{stat:?}");
    let link = docker
        .container_archive_info(&c.id, "/tmp/tree/link")
        .unwrap();
    assert!(link.mode.is_symlink(), "{link:?}");

    let back = scratch.0.join("back");
    fs::create_dir(&back).unwrap();
    let got = docker
        .copy_from_container(&c.id, "/tmp/tree", &back)
        .unwrap();
    assert_eq!(got.bytes, sent.bytes, "{got:?} vs {sent:?}");
    let after = snapshot(&back.join("tree"));
    let engine = Engine::of(&docker);
    if before != after {
        let differ: Vec<_> = before
            .iter()
            .zip(after.iter())
            .filter(|(a, b)| a != b)
            .collect();
        panic!(
            "on {engine:?} the tree came back different ({} vs {} entries): {differ:#?}",
            before.len(),
            after.len()
        );
    }
    // The root of the copy keeps its mode and time too.
    let root = fs::metadata(back.join("tree")).unwrap();
    assert_eq!(root.mode() & 0o7777, 0o755);
    assert_eq!(
        root.mtime(),
        fs::metadata(&tree).unwrap().mtime(),
        "the copied directory's own time"
    );

    // A single file, into a local directory, under its own name.
    let one = scratch.0.join("one");
    fs::create_dir(&one).unwrap();
    let got = docker
        .copy_from_container(&c.id, "/tmp/tree/run.sh", &one)
        .unwrap();
    assert_eq!((got.files, got.bytes), (1, 18), "{got:?}");
    assert_eq!(
        fs::read(one.join("run.sh")).unwrap(),
        b"#!/bin/sh\necho hi\n"
    );
    // A single file out to a writer.
    let mut text = Vec::new();
    let n = docker
        .read_file_from_container(&c.id, "/tmp/tree/a.txt", &mut text)
        .unwrap();
    assert_eq!((n, &text[..]), (6, &b"hello\n"[..]));
    // A link or a directory is not a file.
    for (path, says) in [
        ("/tmp/tree/link", "a.txt"),
        ("/tmp/tree/sub", "is a directory"),
        // (a link is "a symbolic link to a.txt", or to its resolved path, /tmp/tree/a.txt)
    ] {
        let err = docker
            .read_file_from_container(&c.id, path, io::sink())
            .unwrap_err();
        assert!(
            matches!(&err, Error::Archive { message, .. } if message.ends_with(says)),
            "{path}: {err:?}"
        );
    }
}

#[test]
fn blocking_archive_copy_missing_paths_are_clear_errors() {
    let Some(docker) = daemon() else { return };
    let c = running(&docker, "archive-missing", false);
    let scratch = Scratch::new("archive-missing");
    let file = scratch.0.join("f.txt");
    fs::write(&file, b"data").unwrap();

    // Into a container directory that does not exist: 404 naming it, on every engine (the
    // directory is checked before the upload; Podman would create it).
    let err = docker
        .copy_to_container(&c.id, &file, "/no/such/dir")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
    let err = docker
        .write_file_to_container(&c.id, "/no/such/dir/f", 0o644, 4, &b"data"[..])
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
    assert!(
        docker
            .container_archive_info(&c.id, "/no/such/dir")
            .is_err(),
        "a refused copy created the directory"
    );
    // Into something that is not a directory.
    let err = docker
        .copy_to_container(&c.id, &file, "/bin/busybox")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Archive { path, message } if path == "/bin/busybox" && message.contains("not a directory")),
        "{err:?}"
    );
    // An unknown container.
    let err = docker
        .copy_to_container("docksock-no-such-container", &file, "/tmp")
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("no such container"), "{err}");
    // A local path that does not exist: refused before anything is sent.
    let missing = scratch.0.join("missing");
    let err = docker
        .copy_to_container(&c.id, &missing, "/tmp")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Io { context, source } if source.kind() == io::ErrorKind::NotFound && context.contains("missing")),
        "{err:?}"
    );
    // Out of a container path that does not exist.
    let err = docker
        .copy_from_container(&c.id, "/no/such/path", &scratch.0)
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // Into a local directory that does not exist.
    let err = docker
        .copy_from_container(&c.id, "/etc/hostname", &missing)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Io { context, source } if source.kind() == io::ErrorKind::NotFound && context.contains("missing")),
        "{err:?}"
    );
    // Data shorter than the size announced: refused, and no file of the wrong size is left
    // as if whole.
    let err = docker
        .write_file_to_container(&c.id, "/tmp/short", 0o644, 10, &b"data"[..])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Archive { path, message } if path == "/tmp/short" && message.contains("ended")),
        "{err:?}"
    );
    if let Ok(stat) = docker.container_archive_info(&c.id, "/tmp/short") {
        assert_ne!(stat.size, 10, "a short upload made a whole file: {stat:?}");
    }
    // A body producer's upload to an unknown container: the daemon's 404, not a write error.
    let mut written = 0u64;
    let err = docker
        .run_with_body(
            docksock::api::containers::put_archive(
                "docksock-no-such-container",
                "/tmp",
                &PutArchiveOptions::default(),
            ),
            Body::writer(|out| {
                let chunk = vec![0u8; 64 * 1024];
                for _ in 0..1024 {
                    out.write_all(&chunk)?;
                    written += chunk.len() as u64;
                }
                Ok(())
            }),
        )
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?} after {written} bytes");
}

#[test]
fn blocking_archive_copy_refuses_links_out_of_the_destination() {
    let Some(docker) = daemon() else { return };
    let c = running(&docker, "archive-links", false);
    let scratch = Scratch::new("archive-links");
    exec_ok(
        &docker,
        &c.id,
        &[
            "sh",
            "-c",
            "mkdir -p /tmp/esc/d && echo x > /tmp/esc/d/f && ln -s /etc/passwd /tmp/esc/abs \
             && ln /tmp/esc/d/f /tmp/esc/hard",
        ],
    );
    let err = docker
        .copy_from_container(&c.id, "/tmp/esc", &scratch.0)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Archive { path, message } if path.ends_with("esc/abs") && message.contains("/etc/passwd")),
        "{err:?}"
    );
    assert!(
        fs::symlink_metadata(scratch.0.join("esc/abs")).is_err(),
        "the refused link was created"
    );

    // Allowed on request: the link is made as it is, and never followed.
    let kept = scratch.0.join("kept");
    fs::create_dir(&kept).unwrap();
    let got = docker
        .copy_from_container_with(
            &c.id,
            "/tmp/esc",
            &kept,
            &ExtractOptions::new().allow_escaping_symlinks(true),
        )
        .unwrap();
    assert_eq!(got.symlinks, 1, "{got:?}");
    assert_eq!(
        fs::read_link(kept.join("esc/abs")).unwrap(),
        Path::new("/etc/passwd")
    );
    // The container's hard link comes back as a hard link (or, where the engine's tar holds a
    // second copy, as equal contents).
    let f = fs::metadata(kept.join("esc/d/f")).unwrap();
    let h = fs::metadata(kept.join("esc/hard")).unwrap();
    assert_eq!(fs::read(kept.join("esc/hard")).unwrap(), b"x\n");
    assert_eq!(got.hard_links, 1, "{got:?}");
    assert_eq!(f.ino(), h.ino(), "{got:?}");
}
