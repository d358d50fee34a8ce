//! A build context streamed as a tar archive while the directory is walked: nothing is staged
//! on disk or held in memory beyond one file's header and a read buffer. Regular files,
//! directories and symbolic links; names past 100 bytes use GNU long-name entries, which the
//! daemon's reader (Go's `archive/tar`) understands. Entries come in sorted order, so the
//! same directory gives the same archive. `.dockerignore` patterns leave entries out.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What is being sent now.
enum Part {
    /// Header bytes (and long-name entries) still to send.
    Bytes(Vec<u8>, usize),
    /// A file's contents: what is left to send, then the padding to 512.
    File(File, u64, usize),
    Done,
}

/// A directory as a tar stream (`Read`).
pub(crate) struct TarDir {
    root: PathBuf,
    /// Paths (relative to the root) still to visit, in order.
    queue: VecDeque<PathBuf>,
    part: Part,
    ignore: Vec<Pattern>,
    finished: bool,
    /// The file whose header is being sent: (file, size, padding).
    queue_file: Option<(File, u64, usize)>,
    /// For a copy: the name the root itself is sent under (every entry is below it).
    top: Option<String>,
    /// For a copy: follow the root if it is a symbolic link (`cp -L`).
    follow_top: bool,
    /// Whether headers carry the files' owners (`cp -a`); else 0.
    owners: bool,
}

impl TarDir {
    /// Streams `root`. `.dockerignore` in `root` is read for patterns to leave out.
    pub(crate) fn new(root: &Path) -> io::Result<TarDir> {
        let meta = fs::metadata(root)?;
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", root.display()),
            ));
        }
        let ignore = match fs::read_to_string(root.join(".dockerignore")) {
            Ok(text) => parse_ignore(&text),
            Err(_) => Vec::new(),
        };
        let mut t = TarDir {
            root: root.to_owned(),
            queue: VecDeque::new(),
            part: Part::Done,
            ignore,
            finished: false,
            queue_file: None,
            top: None,
            follow_top: false,
            owners: false,
        };
        t.enqueue_children(Path::new(""))?;
        Ok(t)
    }

    /// Streams the file, symbolic link or directory tree `src` as `docker cp` sends it: the
    /// root entry named `name`, everything else below it, no `.dockerignore`. `follow` sends
    /// what a symbolic link `src` points to; `owners` keeps the files' user and group ids.
    pub(crate) fn copy(src: &Path, name: &str, follow: bool, owners: bool) -> io::Result<TarDir> {
        if follow {
            fs::metadata(src)?;
        } else {
            fs::symlink_metadata(src)?;
        }
        Ok(TarDir {
            root: src.to_owned(),
            queue: VecDeque::from([PathBuf::new()]),
            part: Part::Done,
            ignore: Vec::new(),
            finished: false,
            queue_file: None,
            top: Some(name.to_owned()),
            follow_top: follow,
            owners,
        })
    }

    fn enqueue_children(&mut self, rel: &Path) -> io::Result<()> {
        let mut names: Vec<PathBuf> = fs::read_dir(self.root.join(rel))?
            .map(|e| e.map(|e| rel.join(e.file_name())))
            .collect::<io::Result<_>>()?;
        names.sort();
        // Depth first: the children go in front of what was queued.
        for n in names.into_iter().rev() {
            self.queue.push_front(n);
        }
        Ok(())
    }

    fn ignored(&self, rel: &str) -> bool {
        let mut out = false;
        for p in &self.ignore {
            if p.matches(rel) {
                out = !p.negate;
            }
        }
        out
    }

    /// Prepares the next entry; false at the end.
    fn next_entry(&mut self) -> io::Result<bool> {
        while let Some(rel) = self.queue.pop_front() {
            let mut rel_str = rel.to_string_lossy().into_owned();
            if let Some(top) = &self.top {
                rel_str = if rel_str.is_empty() {
                    top.clone()
                } else {
                    format!("{top}/{rel_str}")
                };
            }
            if self.ignored(&rel_str) && rel_str != "Dockerfile" && rel_str != ".dockerignore" {
                continue;
            }
            let is_root = rel.as_os_str().is_empty();
            let full = if is_root {
                self.root.clone()
            } else {
                self.root.join(&rel)
            };
            let meta = if is_root && self.follow_top {
                fs::metadata(&full)?
            } else {
                fs::symlink_metadata(&full)?
            };
            let owner = if self.owners {
                (u64::from(meta.uid()), u64::from(meta.gid()))
            } else {
                (0, 0)
            };
            let ft = meta.file_type();
            let mode = meta.permissions().mode() & 0o7777;
            let mtime = meta.mtime().max(0) as u64;
            let mut bytes = Vec::new();
            if ft.is_dir() {
                header(
                    &mut bytes,
                    &format!("{rel_str}/"),
                    mode,
                    owner,
                    0,
                    mtime,
                    b'5',
                    "",
                );
                self.enqueue_children(&rel)?;
                self.part = Part::Bytes(bytes, 0);
            } else if ft.is_symlink() {
                let target = fs::read_link(&full)?.to_string_lossy().into_owned();
                header(&mut bytes, &rel_str, mode, owner, 0, mtime, b'2', &target);
                self.part = Part::Bytes(bytes, 0);
            } else if ft.is_file() {
                let file = File::open(&full)?;
                let size = meta.len();
                header(&mut bytes, &rel_str, mode, owner, size, mtime, b'0', "");
                let pad = (512 - (size % 512) as usize) % 512;
                // The header first, then the file.
                self.part = Part::Bytes(bytes, 0);
                self.queue_file = Some((file, size, pad));
            } else {
                continue; // sockets, fifos, devices: not part of a build context
            }
            return Ok(true);
        }
        Ok(false)
    }
}

impl Read for TarDir {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.part {
                Part::Bytes(b, at) if *at < b.len() => {
                    let n = (b.len() - *at).min(buf.len());
                    buf[..n].copy_from_slice(&b[*at..*at + n]);
                    *at += n;
                    return Ok(n);
                }
                Part::Bytes(..) => {
                    self.part = match self.queue_file.take() {
                        Some((f, size, pad)) => Part::File(f, size, pad),
                        None => Part::Done,
                    };
                }
                Part::File(f, left, pad) if *left > 0 => {
                    let want = (*left).min(buf.len() as u64) as usize;
                    let n = f.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a file of the build context shrank while it was sent",
                        ));
                    }
                    *left -= n as u64;
                    return Ok(n);
                }
                Part::File(_, _, pad) => {
                    let pad = *pad;
                    self.part = Part::Bytes(vec![0; pad], 0);
                }
                Part::Done => {
                    if self.next_entry()? {
                        continue;
                    }
                    if self.finished {
                        return Ok(0);
                    }
                    self.finished = true;
                    // Two zero blocks end the archive.
                    self.part = Part::Bytes(vec![0; 1024], 0);
                }
            }
        }
    }
}

fn octal(field: &mut [u8], value: u64) {
    let s = format!("{:0width$o}", value, width = field.len() - 1);
    let b = s.as_bytes();
    let width = field.len() - 1;
    let start = b.len().saturating_sub(width);
    field[..width].copy_from_slice(&b[start..]);
    field[width] = 0;
}

/// One ustar header (preceded by GNU long-name/long-link entries when needed).
#[allow(clippy::too_many_arguments)]
fn header(
    out: &mut Vec<u8>,
    name: &str,
    mode: u32,
    (uid, gid): (u64, u64),
    size: u64,
    mtime: u64,
    kind: u8,
    link: &str,
) {
    if name.len() > 100 {
        long_entry(out, b'L', name);
    }
    if link.len() > 100 {
        long_entry(out, b'K', link);
    }
    let mut h = [0u8; 512];
    let n = name.as_bytes();
    h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], uid);
    octal(&mut h[116..124], gid);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = kind;
    let l = link.as_bytes();
    h[157..157 + l.len().min(100)].copy_from_slice(&l[..l.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    out.extend_from_slice(&h);
}

fn long_entry(out: &mut Vec<u8>, kind: u8, text: &str) {
    let mut data = text.as_bytes().to_vec();
    data.push(0);
    header(
        out,
        "././@LongLink",
        0o644,
        (0, 0),
        data.len() as u64,
        0,
        kind,
        "",
    );
    let pad = (512 - data.len() % 512) % 512;
    out.extend_from_slice(&data);
    out.extend(std::iter::repeat_n(0, pad));
}

/// A `.dockerignore` line.
struct Pattern {
    parts: Vec<String>,
    negate: bool,
}

fn parse_ignore(text: &str) -> Vec<Pattern> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (negate, l) = match l.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, l),
            };
            let l = l
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            Pattern {
                parts: l
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                negate,
            }
        })
        .collect()
}

impl Pattern {
    /// Whether the path (or a directory above it) matches.
    fn matches(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.split('/').collect();
        (1..=segs.len()).any(|n| match_parts(&self.parts, &segs[..n]))
    }
}

fn match_parts(pat: &[String], segs: &[&str]) -> bool {
    match (pat.first(), segs.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => {
            match_parts(&pat[1..], segs) || (!segs.is_empty() && match_parts(pat, &segs[1..]))
        }
        (Some(p), Some(s)) => {
            glob(p.as_bytes(), s.as_bytes()) && match_parts(&pat[1..], &segs[1..])
        }
        _ => false,
    }
}

/// `*` and `?` within one path segment.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_a_directory_in_order_with_long_names() {
        let dir = std::env::temp_dir().join(format!("docksock-tar-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(dir.join("sub/a.txt"), vec![b'x'; 700]).unwrap();
        fs::write(dir.join("skip.log"), "no").unwrap();
        fs::write(dir.join(".dockerignore"), "*.log\n").unwrap();
        let long = "n".repeat(120);
        fs::write(dir.join(&long), "long").unwrap();
        let mut tar = Vec::new();
        TarDir::new(&dir).unwrap().read_to_end(&mut tar).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(tar.len() % 512, 0);
        // Walk the headers.
        let mut names = Vec::new();
        let mut at = 0;
        let mut pending_long = None;
        while at + 512 <= tar.len() && tar[at] != 0 {
            let h = &tar[at..at + 512];
            let size = u64::from_str_radix(
                std::str::from_utf8(&h[124..135])
                    .unwrap()
                    .trim_matches(char::from(0)),
                8,
            )
            .unwrap() as usize;
            let name = String::from_utf8_lossy(&h[..100])
                .trim_end_matches('\0')
                .to_owned();
            let sum: u32 = h[..148]
                .iter()
                .chain(&[b' '; 8])
                .chain(&h[156..])
                .map(|&b| u32::from(b))
                .sum();
            let stored =
                u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap(), 8).unwrap();
            assert_eq!(sum, stored, "checksum of {name}");
            let data = &tar[at + 512..at + 512 + size];
            if h[156] == b'L' {
                pending_long = Some(String::from_utf8_lossy(&data[..size - 1]).into_owned());
            } else {
                names.push((pending_long.take().unwrap_or(name), size));
            }
            at += 512 + size.div_ceil(512) * 512;
        }
        assert_eq!(
            names,
            [
                (".dockerignore".to_owned(), 6),
                ("Dockerfile".to_owned(), 13),
                (long, 4),
                ("sub/".to_owned(), 0),
                ("sub/a.txt".to_owned(), 700),
            ]
        );
        assert!(tar[at..].iter().all(|&b| b == 0) && tar.len() - at == 1024);
    }

    #[test]
    fn ignore_patterns() {
        let p = parse_ignore("target\n**/*.o\n!keep.o\n");
        let ignored = |path: &str| {
            let mut out = false;
            for x in &p {
                if x.matches(path) {
                    out = !x.negate;
                }
            }
            out
        };
        assert!(ignored("target/debug/x"));
        assert!(ignored("a/b/c.o"));
        assert!(!ignored("keep.o"));
        assert!(!ignored("src/main.rs"));
    }
}
