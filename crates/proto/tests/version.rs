//! API version parsing, formatting and negotiation.

use docksock_proto::version::{self, clamp, negotiate, ApiVersion, MAX_SUPPORTED, MIN_SUPPORTED};
use docksock_proto::{Error, MisuseError, PeerError};
use proptest::prelude::*;

const fn v(major: u16, minor: u16) -> ApiVersion {
    ApiVersion::new(major, minor)
}

const PEER_INVALID: Error = Error::Peer(PeerError::InvalidApiVersion);
const MISUSE_INVALID: Error = Error::Misuse(MisuseError::InvalidApiVersion);
const UNSUPPORTED: Error = Error::Peer(PeerError::UnsupportedApiVersion);

static VERSION_V141: &[u8] = include_bytes!("../../../tests/wire/version_v141.response");

/// Test-only: the value of header `name` in a recorded response head.
fn header<'a>(resp: &'a [u8], name: &str) -> &'a [u8] {
    let head = &resp[..resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            l[..colon]
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| trim(&l[colon + 1..]))
        })
        .unwrap()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Test-only: the string value of `"key":"…"` in a JSON body.
fn json_str<'a>(resp: &'a [u8], key: &str) -> &'a [u8] {
    let pat = format!("\"{key}\":\"");
    let at = resp
        .windows(pat.len())
        .position(|w| w == pat.as_bytes())
        .unwrap()
        + pat.len();
    let len = resp[at..].iter().position(|&b| b == b'"').unwrap();
    &resp[at..at + len]
}

#[test]
fn recorded_daemon_negotiates_1_41() {
    let max = ApiVersion::parse(header(VERSION_V141, "Api-Version")).unwrap();
    let body_max = ApiVersion::parse(json_str(VERSION_V141, "ApiVersion")).unwrap();
    let min = ApiVersion::parse(json_str(VERSION_V141, "MinAPIVersion")).unwrap();
    assert_eq!((max, body_max, min), (v(1, 41), v(1, 41), v(1, 12)));
    assert_eq!(
        negotiate(max, Some(min), MIN_SUPPORTED, MAX_SUPPORTED),
        Ok(v(1, 41))
    );
    assert_eq!(
        negotiate(max, None, MIN_SUPPORTED, MAX_SUPPORTED),
        Ok(v(1, 41))
    );
}

#[test]
fn parse_accepts_plain_versions() {
    for (s, want) in [
        (&b"1.41"[..], v(1, 41)),
        (b"1.9", v(1, 9)),
        (b"0.0", v(0, 0)),
        (b"2.0", v(2, 0)),
        (b"1.041", v(1, 41)),
        (b"65535.65535", v(65535, 65535)),
        (b"00001.00000", v(1, 0)),
    ] {
        assert_eq!(ApiVersion::parse(s), Ok(want), "{s:?}");
    }
}

#[test]
fn parse_rejects_everything_else() {
    for s in [
        &b""[..],
        b".",
        b"1",
        b"1.",
        b".41",
        b"v1.41",
        b"V1.41",
        b"+1.41",
        b"-1.41",
        b"1.+41",
        b"1.-4",
        b" 1.41",
        b"1.41 ",
        b"1 .41",
        b"1. 41",
        b"1.41\r\n",
        b"1.41.0",
        b"1..41",
        b"1,41",
        b"1.4a",
        b"garbage",
        b"65536.0",
        b"1.65536",
        b"99999999999999999999.1",
        b"\xd9\xa1.41",
        b"\x001.41",
    ] {
        assert_eq!(ApiVersion::parse(s), Err(PEER_INVALID), "{s:?}");
    }
}

#[test]
fn from_str_is_a_misuse() {
    assert_eq!("1.41".parse::<ApiVersion>(), Ok(v(1, 41)));
    assert_eq!("v1.41".parse::<ApiVersion>(), Err(MISUSE_INVALID));
    assert_eq!("".parse::<ApiVersion>(), Err(MISUSE_INVALID));
}

#[test]
fn display_and_prefix() {
    assert_eq!(v(1, 41).to_string(), "1.41");
    assert_eq!(v(1, 9).to_string(), "1.9");
    assert_eq!(v(10, 0).to_string(), "10.0");
    let mut buf = [0xaa; 16];
    assert_eq!(v(1, 41).write_prefix(&mut buf), Ok(6));
    assert_eq!(&buf[..6], b"/v1.41");
    assert_eq!(buf[6], 0xaa, "nothing written past the prefix");
    let mut exact = [0u8; 6];
    assert_eq!(v(1, 41).write_prefix(&mut exact), Ok(6));
    assert_eq!(&exact, b"/v1.41");
    for short in 0..6 {
        let mut small = vec![0u8; short];
        assert_eq!(
            v(1, 41).write_prefix(&mut small),
            Err(Error::Misuse(MisuseError::BufferTooSmall { needed: 6 }))
        );
    }
    let mut buf = [0u8; 13];
    assert_eq!(v(65535, 65535).write_prefix(&mut buf), Ok(13));
    assert_eq!(&buf, b"/v65535.65535");
}

#[test]
fn ordering_is_numeric() {
    assert!(v(1, 9) < v(1, 10));
    assert!(v(1, 41) < v(2, 0));
    assert!(v(1, 41) > v(1, 4));
    assert!(MIN_SUPPORTED < MAX_SUPPORTED);
    assert_eq!(MIN_SUPPORTED, v(1, 24));
    assert_eq!(MAX_SUPPORTED, v(1, 51));
}

#[test]
fn negotiate_picks_the_lower_newest() {
    // Older daemon: speak its version.
    assert_eq!(
        negotiate(v(1, 41), Some(v(1, 12)), v(1, 24), v(1, 45)),
        Ok(v(1, 41))
    );
    // Newer daemon: speak ours.
    assert_eq!(
        negotiate(v(1, 47), Some(v(1, 24)), v(1, 24), v(1, 45)),
        Ok(v(1, 45))
    );
    // Edges touching.
    assert_eq!(negotiate(v(1, 24), None, v(1, 24), v(1, 45)), Ok(v(1, 24)));
    assert_eq!(
        negotiate(v(1, 50), Some(v(1, 45)), v(1, 24), v(1, 45)),
        Ok(v(1, 45))
    );
    // A single-version client.
    assert_eq!(
        negotiate(v(1, 41), Some(v(1, 12)), v(1, 30), v(1, 30)),
        Ok(v(1, 30))
    );
}

#[test]
fn negotiate_errors() {
    // Daemon too old for us.
    assert_eq!(
        negotiate(v(1, 23), Some(v(1, 12)), v(1, 24), v(1, 45)),
        Err(UNSUPPORTED)
    );
    // Daemon too new for us (its minimum is above our maximum).
    assert_eq!(
        negotiate(v(1, 60), Some(v(1, 46)), v(1, 24), v(1, 45)),
        Err(UNSUPPORTED)
    );
    // Our range is empty.
    assert_eq!(
        negotiate(v(1, 41), None, v(1, 45), v(1, 24)),
        Err(MISUSE_INVALID)
    );
    // The daemon contradicts itself.
    assert_eq!(
        negotiate(v(1, 41), Some(v(1, 42)), v(1, 24), v(1, 45)),
        Err(PEER_INVALID)
    );
}

#[test]
fn clamp_never_panics() {
    assert_eq!(clamp(v(1, 50), v(1, 24), v(1, 45)), v(1, 45));
    assert_eq!(clamp(v(1, 12), v(1, 24), v(1, 45)), v(1, 24));
    assert_eq!(clamp(v(1, 30), v(1, 24), v(1, 45)), v(1, 30));
    // An empty range gives its minimum (Ord::clamp would panic).
    assert_eq!(clamp(v(1, 30), v(1, 45), v(1, 24)), v(1, 45));
}

#[test]
fn the_supported_range_is_the_documented_one_and_negotiable_at_both_ends() {
    // API 1.24 (Docker 1.12) to 1.51 (Docker 28.5), as the module documents.
    assert_eq!(
        (version::MIN_SUPPORTED, version::MAX_SUPPORTED),
        (v(1, 24), v(1, 51))
    );
    for end in [MIN_SUPPORTED, MAX_SUPPORTED] {
        assert_eq!(
            negotiate(end, Some(end), MIN_SUPPORTED, MAX_SUPPORTED),
            Ok(end)
        );
    }
    // One version past either end is not.
    assert_eq!(
        negotiate(v(1, 23), None, MIN_SUPPORTED, MAX_SUPPORTED),
        Err(UNSUPPORTED)
    );
    assert_eq!(
        negotiate(v(1, 52), Some(v(1, 52)), MIN_SUPPORTED, MAX_SUPPORTED),
        Err(UNSUPPORTED)
    );
}

#[test]
fn a_daemon_speaking_exactly_one_version_is_accepted() {
    // `MinAPIVersion == ApiVersion`: a range of one version, at each place of ours.
    for d in [v(1, 24), v(1, 30), v(1, 45)] {
        assert_eq!(negotiate(d, Some(d), v(1, 24), v(1, 45)), Ok(d));
    }
    // Our range of one version, equal to the daemon's newest or oldest.
    assert_eq!(
        negotiate(v(1, 41), Some(v(1, 24)), v(1, 41), v(1, 41)),
        Ok(v(1, 41))
    );
    assert_eq!(
        negotiate(v(1, 45), Some(v(1, 41)), v(1, 41), v(1, 41)),
        Ok(v(1, 41))
    );
    // Adjacent, not overlapping.
    assert_eq!(
        negotiate(v(1, 41), Some(v(1, 41)), v(1, 42), v(1, 45)),
        Err(UNSUPPORTED)
    );
    assert_eq!(
        negotiate(v(1, 42), Some(v(1, 42)), v(1, 24), v(1, 41)),
        Err(UNSUPPORTED)
    );
}

/// A handful of versions with equal and adjacent values, across a major boundary.
const SMALL: [ApiVersion; 6] = [v(0, 9), v(1, 0), v(1, 1), v(1, 2), v(1, 65535), v(2, 0)];

/// What negotiation must give, worked out by enumerating `domain` (which holds every argument)
/// instead of comparing the ends of the ranges.
fn negotiate_model(
    domain: &[ApiVersion],
    dmax: ApiVersion,
    dmin: Option<ApiVersion>,
    cmin: ApiVersion,
    cmax: ApiVersion,
) -> Result<ApiVersion, Error> {
    let within = |x: ApiVersion, lo: ApiVersion, hi: ApiVersion| lo <= x && x <= hi;
    if !domain.iter().any(|&x| within(x, cmin, cmax)) {
        return Err(MISUSE_INVALID);
    }
    if let Some(m) = dmin {
        if !domain.iter().any(|&x| within(x, m, dmax)) {
            return Err(PEER_INVALID);
        }
    }
    domain
        .iter()
        .copied()
        .filter(|&x| within(x, cmin, cmax) && x <= dmax && dmin.is_none_or(|m| m <= x))
        .max()
        .ok_or(UNSUPPORTED)
}

#[test]
fn negotiate_matches_the_model_on_every_small_case() {
    let mut ok = 0;
    for dmax in SMALL {
        for dmin in std::iter::once(None).chain(SMALL.map(Some)) {
            for cmin in SMALL {
                for cmax in SMALL {
                    let want = negotiate_model(&SMALL, dmax, dmin, cmin, cmax);
                    ok += usize::from(want.is_ok());
                    assert_eq!(
                        negotiate(dmax, dmin, cmin, cmax),
                        want,
                        "daemon {dmin:?}..={dmax}, client {cmin}..={cmax}"
                    );
                }
            }
        }
    }
    // Both outcomes are well represented.
    assert!(ok > 100 && ok < 1500, "{ok}");
}

#[test]
fn clamp_matches_the_model_on_every_small_case() {
    for x in SMALL {
        for lo in SMALL {
            for hi in SMALL {
                let want = if lo > hi || x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                };
                assert_eq!(clamp(x, lo, hi), want, "clamp({x}, {lo}, {hi})");
            }
        }
    }
}

/// Versions from a range small enough that equal and adjacent values are drawn often.
fn small_version() -> impl Strategy<Value = ApiVersion> {
    (1u16..=2, 0u16..=3).prop_map(|(a, b)| v(a, b))
}

fn arb_version() -> impl Strategy<Value = ApiVersion> {
    (any::<u16>(), any::<u16>()).prop_map(|(a, b)| v(a, b))
}

proptest! {
    #[test]
    fn prop_display_parse_prefix_roundtrip(ver in arb_version()) {
        let s = ver.to_string();
        prop_assert_eq!(ApiVersion::parse(s.as_bytes()), Ok(ver));
        let mut buf = [0u8; 13];
        let n = ver.write_prefix(&mut buf).unwrap();
        let want = format!("/v{s}");
        prop_assert_eq!(&buf[..n], want.as_bytes());
    }

    #[test]
    fn prop_parse_never_panics(s in prop::collection::vec(any::<u8>(), 0..24)) {
        let naive = std::str::from_utf8(&s).ok().and_then(|t| {
            let (a, b) = t.split_once('.')?;
            let ok = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
            if !ok(a) || !ok(b) {
                return None;
            }
            Some(v(a.parse().ok()?, b.parse().ok()?))
        });
        prop_assert_eq!(ApiVersion::parse(&s).ok(), naive);
    }

    #[test]
    fn prop_negotiate_result_lies_in_both_ranges(
        dmax in arb_version(), dmin in proptest::option::of(arb_version()),
        cmin in arb_version(), cmax in arb_version(),
    ) {
        match negotiate(dmax, dmin, cmin, cmax) {
            Ok(chosen) => {
                prop_assert!(cmin <= chosen && chosen <= cmax);
                prop_assert!(chosen <= dmax);
                if let Some(m) = dmin { prop_assert!(m <= chosen); }
                prop_assert!(chosen == dmax || chosen == cmax);
            }
            Err(e) => {
                let overlap = cmin <= cmax
                    && dmin.is_none_or(|m| m <= dmax && m <= cmax)
                    && dmax >= cmin;
                prop_assert!(!overlap, "{e:?} for overlapping ranges");
            }
        }
    }

    #[test]
    fn prop_negotiate_on_small_ranges_matches_the_model(
        dmax in small_version(), dmin in proptest::option::of(small_version()),
        cmin in small_version(), cmax in small_version(),
    ) {
        let domain: Vec<ApiVersion> =
            (1u16..=2).flat_map(|a| (0u16..=3).map(move |b| v(a, b))).collect();
        prop_assert_eq!(
            negotiate(dmax, dmin, cmin, cmax),
            negotiate_model(&domain, dmax, dmin, cmin, cmax)
        );
    }
}
