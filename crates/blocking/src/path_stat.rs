//! The stat of a path in a container, as the archive endpoints report it in the
//! `X-Docker-Container-Path-Stat` header, and its mode bits (Go's `os.FileMode`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::{Error, Result};

/// The stat of a path in a container ([`Client::container_archive_info`]): the
/// `X-Docker-Container-Path-Stat` header of the archive endpoints, base64 of the JSON
/// `{"name", "size", "mode", "mtime", "linkTarget"}` (moby's `container.PathStat`).
///
/// [`Client::container_archive_info`]: crate::Client::container_archive_info
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The base name of the path (`hello.txt`; `/` for the root).
    pub name: String,
    /// The size in bytes (of a directory: what the file system reports for it).
    pub size: u64,
    /// The type and permission bits, as Go's `os.FileMode` (see [`FileMode`]).
    pub mode: FileMode,
    /// The modification time as the daemon wrote it (RFC 3339, Go's `time.Time` in JSON);
    /// [`modified`](Self::modified) parses it.
    pub mtime: String,
    /// For a symbolic link, the path it resolves to in the container (absolute). Docker
    /// leaves it empty for anything else; Podman 4.3 puts the path itself there (and names a
    /// link by its target's name), so test [`FileMode::is_symlink`], not this field.
    pub link_target: String,
}

impl PathStat {
    /// Decodes the JSON of the header. `name`, `size` and `mode` are required; `mtime` and
    /// `linkTarget` are empty when absent; other fields are ignored.
    pub(crate) fn from_json(raw: &[u8], what: &str) -> Result<PathStat> {
        let v: Value = serde_json::from_slice(raw)
            .map_err(|e| Error::json(format!("{what}: the path stat"), e))?;
        let bad = |field: &str| {
            Error::Unexpected(format!(
                "{what}: the path stat has no valid `{field}`: {}",
                crate::error::shown(&v.to_string())
            ))
        };
        let name = v["name"].as_str().ok_or_else(|| bad("name"))?.to_owned();
        let size = v["size"].as_u64().ok_or_else(|| bad("size"))?;
        let mode = v["mode"]
            .as_u64()
            .and_then(|m| u32::try_from(m).ok())
            .ok_or_else(|| bad("mode"))?;
        let text = |field: &str| -> Result<String> {
            match &v[field] {
                Value::Null => Ok(String::new()),
                Value::String(s) => Ok(s.clone()),
                _ => Err(bad(field)),
            }
        };
        Ok(PathStat {
            name,
            size,
            mode: FileMode(mode),
            mtime: text("mtime")?,
            link_target: text("linkTarget")?,
        })
    }

    /// [`mtime`](Self::mtime) as a time, when it is RFC 3339 (`2024-05-01T10:20:30.5Z`,
    /// `…+02:00`); `None` otherwise.
    pub fn modified(&self) -> Option<SystemTime> {
        parse_rfc3339(&self.mtime)
    }
}

/// Type and permission bits as Go's `os.FileMode` (`io/fs.FileMode`), which is what Docker
/// and Podman put in a path stat. Unlike a Unix `st_mode`, the file type is a set of single
/// flags in the high bits, and the set-id and sticky bits are flags too:
///
/// | flag | bit | Unix `st_mode` |
/// |---|---|---|
/// | [`DIR`](Self::DIR) (`d`) | `1 << 31` | `S_IFDIR` `0o040000` |
/// | [`APPEND`](Self::APPEND) (`a`) | `1 << 30` | — |
/// | [`EXCLUSIVE`](Self::EXCLUSIVE) (`l`) | `1 << 29` | — |
/// | [`TEMPORARY`](Self::TEMPORARY) (`T`) | `1 << 28` | — |
/// | [`SYMLINK`](Self::SYMLINK) (`L`) | `1 << 27` | `S_IFLNK` `0o120000` |
/// | [`DEVICE`](Self::DEVICE) (`D`) | `1 << 26` | `S_IFBLK` `0o060000` (with `CHAR_DEVICE`: `S_IFCHR` `0o020000`) |
/// | [`NAMED_PIPE`](Self::NAMED_PIPE) (`p`) | `1 << 25` | `S_IFIFO` `0o010000` |
/// | [`SOCKET`](Self::SOCKET) (`S`) | `1 << 24` | `S_IFSOCK` `0o140000` |
/// | [`SETUID`](Self::SETUID) (`u`) | `1 << 23` | `S_ISUID` `0o4000` |
/// | [`SETGID`](Self::SETGID) (`g`) | `1 << 22` | `S_ISGID` `0o2000` |
/// | [`CHAR_DEVICE`](Self::CHAR_DEVICE) (`c`) | `1 << 21` | see `DEVICE` |
/// | [`STICKY`](Self::STICKY) (`t`) | `1 << 20` | `S_ISVTX` `0o1000` |
/// | [`IRREGULAR`](Self::IRREGULAR) (`?`) | `1 << 19` | — |
/// | permissions (`rwxrwxrwx`) | `0o777` | the same `0o777` |
///
/// No type flag means a regular file ([`S_IFREG`](Self::unix_mode)).
///
/// ```
/// use docksock::FileMode;
///
/// let dir = FileMode(FileMode::DIR | 0o755);
/// assert!(dir.is_dir() && !dir.is_regular());
/// assert_eq!(dir.unix_mode(), 0o040755);
/// assert_eq!(dir.to_string(), "drwxr-xr-x");
/// let tmp = FileMode(FileMode::DIR | FileMode::STICKY | 0o777);
/// assert_eq!(tmp.unix_mode(), 0o041777);
/// assert_eq!(FileMode::from_unix_mode(0o041777), tmp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileMode(pub u32);

impl FileMode {
    /// A directory (Go `ModeDir`).
    pub const DIR: u32 = 1 << 31;
    /// Append-only (Go `ModeAppend`).
    pub const APPEND: u32 = 1 << 30;
    /// Exclusive use (Go `ModeExclusive`).
    pub const EXCLUSIVE: u32 = 1 << 29;
    /// Temporary file, Plan 9 only (Go `ModeTemporary`).
    pub const TEMPORARY: u32 = 1 << 28;
    /// A symbolic link (Go `ModeSymlink`).
    pub const SYMLINK: u32 = 1 << 27;
    /// A device file (Go `ModeDevice`).
    pub const DEVICE: u32 = 1 << 26;
    /// A named pipe, FIFO (Go `ModeNamedPipe`).
    pub const NAMED_PIPE: u32 = 1 << 25;
    /// A Unix domain socket (Go `ModeSocket`).
    pub const SOCKET: u32 = 1 << 24;
    /// Set-user-ID (Go `ModeSetuid`).
    pub const SETUID: u32 = 1 << 23;
    /// Set-group-ID (Go `ModeSetgid`).
    pub const SETGID: u32 = 1 << 22;
    /// A character device, with `DEVICE` (Go `ModeCharDevice`).
    pub const CHAR_DEVICE: u32 = 1 << 21;
    /// Sticky (Go `ModeSticky`).
    pub const STICKY: u32 = 1 << 20;
    /// A file of no other known type (Go `ModeIrregular`).
    pub const IRREGULAR: u32 = 1 << 19;
    /// Every type flag (Go `ModeType`).
    pub const TYPE: u32 = Self::DIR
        | Self::SYMLINK
        | Self::NAMED_PIPE
        | Self::SOCKET
        | Self::DEVICE
        | Self::CHAR_DEVICE
        | Self::IRREGULAR;
    /// The permission bits (Go `ModePerm`).
    pub const PERM: u32 = 0o777;

    /// True for a directory.
    pub fn is_dir(self) -> bool {
        self.0 & Self::DIR != 0
    }

    /// True for a symbolic link.
    pub fn is_symlink(self) -> bool {
        self.0 & Self::SYMLINK != 0
    }

    /// True for a regular file (no type flag).
    pub fn is_regular(self) -> bool {
        self.0 & Self::TYPE == 0
    }

    /// The permission bits (`0o755`).
    pub fn permissions(self) -> u32 {
        self.0 & Self::PERM
    }

    /// The same mode as a Unix `st_mode`: file type (`S_IFDIR`…), set-id and sticky bits,
    /// permissions. Flags with no Unix counterpart (append, exclusive, temporary) are dropped;
    /// an irregular file has no type bits.
    pub fn unix_mode(self) -> u32 {
        let m = self.0;
        let kind = if m & Self::DIR != 0 {
            0o040000
        } else if m & Self::SYMLINK != 0 {
            0o120000
        } else if m & Self::DEVICE != 0 && m & Self::CHAR_DEVICE != 0 {
            0o020000
        } else if m & Self::DEVICE != 0 {
            0o060000
        } else if m & Self::NAMED_PIPE != 0 {
            0o010000
        } else if m & Self::SOCKET != 0 {
            0o140000
        } else if m & Self::TYPE == 0 {
            0o100000
        } else {
            0
        };
        let mut special = 0;
        if m & Self::SETUID != 0 {
            special |= 0o4000;
        }
        if m & Self::SETGID != 0 {
            special |= 0o2000;
        }
        if m & Self::STICKY != 0 {
            special |= 0o1000;
        }
        kind | special | (m & Self::PERM)
    }

    /// The Go mode of a Unix `st_mode` (the inverse of [`unix_mode`](Self::unix_mode)).
    pub fn from_unix_mode(st_mode: u32) -> FileMode {
        let kind = match st_mode & 0o170000 {
            0o040000 => Self::DIR,
            0o120000 => Self::SYMLINK,
            0o020000 => Self::DEVICE | Self::CHAR_DEVICE,
            0o060000 => Self::DEVICE,
            0o010000 => Self::NAMED_PIPE,
            0o140000 => Self::SOCKET,
            0o100000 => 0,
            _ => Self::IRREGULAR,
        };
        let mut m = kind | (st_mode & Self::PERM);
        if st_mode & 0o4000 != 0 {
            m |= Self::SETUID;
        }
        if st_mode & 0o2000 != 0 {
            m |= Self::SETGID;
        }
        if st_mode & 0o1000 != 0 {
            m |= Self::STICKY;
        }
        FileMode(m)
    }
}

impl fmt::Display for FileMode {
    /// As Go's `FileMode.String`: the type and special letters set (`dalTLDpSugct?`), or `-`
    /// when none, then `rwxrwxrwx` with `-` for the bits not set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LETTERS: &[u8; 13] = b"dalTLDpSugct?";
        let mut any = false;
        for (i, &c) in LETTERS.iter().enumerate() {
            if self.0 & (1 << (31 - i)) != 0 {
                write!(f, "{}", c as char)?;
                any = true;
            }
        }
        if !any {
            f.write_str("-")?;
        }
        for (i, c) in "rwxrwxrwx".chars().enumerate() {
            let on = self.0 & (1 << (8 - i)) != 0;
            write!(f, "{}", if on { c } else { '-' })?;
        }
        Ok(())
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as a time (leap seconds not supported).
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(r)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if sep(at, b".") {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return None;
        }
        for (i, &d) in b.get(start..end)?.iter().enumerate() {
            if i < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
        }
        nanos *= 10u32.pow(9u32.saturating_sub((end - start) as u32));
        at = end;
    }
    let offset = match b.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b":") => {
            let (h, m) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 60 + m) * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(secs as u64, nanos))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::new(secs, nanos))
    }

    #[test]
    fn rfc3339_as_go_writes_it() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), at(0, 0));
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00Z"), at(1_704_067_200, 0));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:34:56.123456789Z"),
            at(1_709_210_096, 123_456_789)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T14:34:56.5+02:00"),
            at(1_709_210_096, 500_000_000)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T11:04:56-01:30"),
            at(1_709_210_096, 0)
        );
        // Go's zero time is before the epoch.
        let zero = parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(
            UNIX_EPOCH.duration_since(zero).unwrap().as_secs(),
            62_135_596_800
        );
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00Zjunk",
            "２024-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn file_mode_maps_go_bits_to_unix() {
        let cases = [
            (0o644, 0o100644, "-rw-r--r--"),
            (FileMode::DIR | 0o755, 0o040755, "drwxr-xr-x"),
            (FileMode::SYMLINK | 0o777, 0o120777, "Lrwxrwxrwx"),
            (FileMode::DEVICE | 0o660, 0o060660, "Drw-rw----"),
            (
                FileMode::DEVICE | FileMode::CHAR_DEVICE | 0o666,
                0o020666,
                "Dcrw-rw-rw-",
            ),
            (FileMode::NAMED_PIPE | 0o600, 0o010600, "prw-------"),
            (FileMode::SOCKET | 0o755, 0o140755, "Srwxr-xr-x"),
            (FileMode::SETUID | 0o755, 0o104755, "urwxr-xr-x"),
            (FileMode::SETGID | 0o755, 0o102755, "grwxr-xr-x"),
            (
                FileMode::DIR | FileMode::STICKY | 0o777,
                0o041777,
                "dtrwxrwxrwx",
            ),
        ];
        for (go, unix, text) in cases {
            let m = FileMode(go);
            assert_eq!(m.unix_mode(), unix, "{text}");
            assert_eq!(FileMode::from_unix_mode(unix), m, "{text}");
            assert_eq!(m.to_string(), text);
        }
        assert!(FileMode(0o600).is_regular());
        assert!(!FileMode(FileMode::SYMLINK).is_regular());
        assert!(FileMode(FileMode::SYMLINK).is_symlink());
        assert_eq!(FileMode(FileMode::DIR | 0o1755).permissions(), 0o755);
    }

    #[test]
    fn path_stat_from_json() {
        let s = PathStat::from_json(
            br#"{"name":"hello.txt","size":5,"mode":2147484141,"mtime":"2024-01-01T00:00:00Z","linkTarget":"","extra":1}"#,
            "t",
        )
        .unwrap();
        assert_eq!(s.name, "hello.txt");
        assert_eq!(s.size, 5);
        assert!(s.mode.is_dir());
        assert_eq!(s.mode.permissions(), 0o755);
        assert_eq!(s.modified(), at(1_704_067_200, 0));
        let s = PathStat::from_json(br#"{"name":"l","size":0,"mode":134218239}"#, "t").unwrap();
        assert!(s.mode.is_symlink() && s.mtime.is_empty() && s.link_target.is_empty());
        for bad in [
            &br#"{"size":5,"mode":420}"#[..],
            br#"{"name":"x","size":-1,"mode":420}"#,
            br#"{"name":"x","size":1,"mode":4294967296}"#,
            br#"{"name":"x","size":1,"mode":420,"mtime":5}"#,
            br#"[1]"#,
        ] {
            let err = PathStat::from_json(bad, "t").unwrap_err();
            assert!(matches!(err, Error::Unexpected(_)), "{err:?}");
        }
        assert!(matches!(
            PathStat::from_json(b"{", "t").unwrap_err(),
            Error::Json { .. }
        ));
    }
}
