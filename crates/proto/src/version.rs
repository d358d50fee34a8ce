//! Docker Engine API versions and their negotiation, as pure functions.
//!
//! Every request path of the Engine API may carry a version prefix (`/v1.41/containers/json`).
//! The daemon announces the newest version it serves in the `Api-Version` header of every
//! response (and in `GET /_ping`), and its oldest in `MinAPIVersion` of `GET /version`. A client
//! that supports a range of versions picks the newest both sides speak: that is
//! [`negotiate`]. Nothing here does I/O: the caller reads the header, parses it with
//! [`ApiVersion::parse`], and writes the chosen prefix with [`ApiVersion::write_prefix`].
//!
//! Parsing is strict: exactly `MAJOR.MINOR`, two runs of ASCII digits around one dot, each
//! fitting a `u16`. No sign, no whitespace, no `v`, no third component.
//!
//! # Examples
//!
//! ```
//! use docksock_proto::version::{self, ApiVersion};
//!
//! // The daemon answered `Api-Version: 1.41` (dockerd 20.10).
//! let daemon = ApiVersion::parse(b"1.41")?;
//! let chosen = version::negotiate(
//!     daemon,
//!     Some(ApiVersion::new(1, 12)),
//!     version::MIN_SUPPORTED,
//!     version::MAX_SUPPORTED,
//! )?;
//! assert_eq!(chosen, ApiVersion::new(1, 41));
//!
//! let mut buf = [0u8; 16];
//! let n = chosen.write_prefix(&mut buf)?;
//! assert_eq!(&buf[..n], b"/v1.41");
//! # Ok::<(), docksock_proto::Error>(())
//! ```

use core::fmt;

use crate::num::format_u64;
use crate::{Error, MisuseError, PeerError};

/// An Engine API version, `MAJOR.MINOR` (for example `1.41`).
///
/// Ordering compares `major`, then `minor`, as numbers: `1.9 < 1.10 < 1.41`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// The major version (always `1` for the Engine API so far).
    pub major: u16,
    /// The minor version.
    pub minor: u16,
}

/// The oldest API version this crate speaks (Docker 1.12, 2016). It is also the version moby's
/// client assumes when a daemon sends no `Api-Version` header.
pub const MIN_SUPPORTED: ApiVersion = ApiVersion::new(1, 24);

/// The newest API version this crate speaks (Docker 28.5, 2025).
pub const MAX_SUPPORTED: ApiVersion = ApiVersion::new(1, 51);

/// The longest output of [`ApiVersion::write_prefix`]: `/v65535.65535`.
const MAX_PREFIX_LEN: usize = 13;

impl ApiVersion {
    /// A version from its two numbers.
    pub const fn new(major: u16, minor: u16) -> Self {
        ApiVersion { major, minor }
    }

    /// Parses a version sent by the daemon (an `Api-Version` or `MinAPIVersion` value):
    /// exactly `DIGITS "." DIGITS`, each part fitting a `u16`. Leading zeros are accepted and
    /// read as numbers (`1.041` is `1.41`), the way moby compares versions.
    ///
    /// # Errors
    ///
    /// [`PeerError::InvalidApiVersion`] for anything else: an empty part, a sign, whitespace, a
    /// leading `v`, a second dot, or a number above 65535. Use [`str::parse`] (the [`FromStr`]
    /// impl) for a version the caller supplied, which reports a misuse instead.
    ///
    /// [`FromStr`]: core::str::FromStr
    pub fn parse(s: &[u8]) -> Result<Self, Error> {
        parse_parts(s).ok_or(Error::Peer(PeerError::InvalidApiVersion))
    }

    /// Writes the path prefix `/vMAJOR.MINOR` (for example `/v1.41`) to the start of `out` and
    /// returns its length (at most 13 bytes).
    ///
    /// # Errors
    ///
    /// [`MisuseError::BufferTooSmall`] with the needed length when `out` is too short; nothing
    /// useful is written then.
    pub fn write_prefix(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut tmp = [0u8; MAX_PREFIX_LEN];
        let mut n = 0;
        let (mut major, mut minor) = ([0u8; 20], [0u8; 20]);
        for part in [
            &b"/v"[..],
            format_u64(u64::from(self.major), 10, &mut major),
            b".",
            format_u64(u64::from(self.minor), 10, &mut minor),
        ] {
            for &b in part {
                push(&mut tmp, &mut n, b);
            }
        }
        let src = tmp.get(..n).unwrap_or(&[]);
        match out.get_mut(..n) {
            Some(dst) => {
                dst.copy_from_slice(src);
                Ok(n)
            }
            None => Err(Error::Misuse(MisuseError::BufferTooSmall { needed: n })),
        }
    }
}

impl fmt::Display for ApiVersion {
    /// `MAJOR.MINOR`, for example `1.41`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl core::str::FromStr for ApiVersion {
    type Err = Error;

    /// Parses a version the caller supplied (a flag, a config value) with the same grammar as
    /// [`ApiVersion::parse`], but reports [`MisuseError::InvalidApiVersion`] on failure.
    fn from_str(s: &str) -> Result<Self, Error> {
        parse_parts(s.as_bytes()).ok_or(Error::Misuse(MisuseError::InvalidApiVersion))
    }
}

/// Chooses the version to speak, the way moby's client negotiates: the daemon's newest
/// (`daemon_max`, from `Api-Version`) capped at the client's newest (`client_max`).
///
/// `daemon_min` is the daemon's `MinAPIVersion` when the caller knows it (from `GET /version`);
/// with `None` the daemon is assumed to accept anything up to `daemon_max`.
///
/// # Errors
///
/// * [`MisuseError::InvalidApiVersion`] when `client_min > client_max` (an empty range).
/// * [`PeerError::InvalidApiVersion`] when `daemon_min > daemon_max` (the daemon contradicts
///   itself).
/// * [`PeerError::UnsupportedApiVersion`] when the ranges do not overlap: the daemon's newest
///   is below `client_min`, or the daemon's oldest is above `client_max`.
pub fn negotiate(
    daemon_max: ApiVersion,
    daemon_min: Option<ApiVersion>,
    client_min: ApiVersion,
    client_max: ApiVersion,
) -> Result<ApiVersion, Error> {
    if client_min > client_max {
        return Err(Error::Misuse(MisuseError::InvalidApiVersion));
    }
    if let Some(dmin) = daemon_min {
        if dmin > daemon_max {
            return Err(Error::Peer(PeerError::InvalidApiVersion));
        }
        if dmin > client_max {
            return Err(Error::Peer(PeerError::UnsupportedApiVersion));
        }
    }
    if daemon_max < client_min {
        return Err(Error::Peer(PeerError::UnsupportedApiVersion));
    }
    // Both ranges are non-empty and overlap, so min(daemon_max, client_max) lies in both.
    Ok(core::cmp::min(daemon_max, client_max))
}

/// `v` limited to `min..=max`. Unlike [`Ord::clamp`] this never panics: when `min > max` the
/// result is `min`.
pub fn clamp(v: ApiVersion, min: ApiVersion, max: ApiVersion) -> ApiVersion {
    core::cmp::max(min, core::cmp::min(v, max))
}

/// `DIGITS "." DIGITS` with each part a `u16`, or `None`.
fn parse_parts(s: &[u8]) -> Option<ApiVersion> {
    let dot = memchr::memchr(b'.', s)?;
    let (major, rest) = s.split_at(dot); // ok: memchr found `dot` inside `s`
    let minor = rest.get(1..)?;
    Some(ApiVersion::new(parse_u16(major)?, parse_u16(minor)?))
}

/// A non-empty run of ASCII digits that fits a `u16`, or `None`.
fn parse_u16(s: &[u8]) -> Option<u16> {
    if s.is_empty() {
        return None;
    }
    let mut v: u16 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        // ok: `b` is an ASCII digit, so `b - b'0'` is 0..=9.
        v = v.checked_mul(10)?.checked_add(u16::from(b - b'0'))?;
    }
    Some(v)
}

/// Appends `b` to `buf` at `*n` if there is room (there always is: `buf` holds the longest
/// prefix).
fn push(buf: &mut [u8], n: &mut usize, b: u8) {
    if let Some(slot) = buf.get_mut(*n) {
        *slot = b;
        *n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_extremes() {
        let mut buf = [0u8; MAX_PREFIX_LEN];
        let n = ApiVersion::new(u16::MAX, u16::MAX)
            .write_prefix(&mut buf)
            .unwrap();
        assert_eq!(&buf[..n], b"/v65535.65535");
        let n = ApiVersion::new(0, 0).write_prefix(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"/v0.0");
    }
}
