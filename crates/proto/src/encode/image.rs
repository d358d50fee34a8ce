//! The Docker image reference grammar (moby's `distribution/reference`), checked before an
//! image name is put in a path.

/// True for a valid Docker image reference (see [`PathParam::Image`]).
pub(super) fn is_image_reference(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    // A bare image id, or a `sha256:` id (both also fit the grammar below; kept explicit).
    if is_lower_hex_of_len(s, 64)
        || s.strip_prefix(b"sha256:")
            .is_some_and(|h| is_lower_hex_of_len(h, 64))
    {
        return true;
    }
    let (rest, digest) = match s.iter().position(|&b| b == b'@') {
        Some(at) => (s.get(..at).unwrap_or(&[]), s.get(at + 1..)),
        None => (s, None),
    };
    if let Some(d) = digest {
        if !is_digest(d) {
            return false;
        }
    }
    // A tag follows the last `:` after the last `/`; an earlier `:` is a registry port.
    let last_slash = rest.iter().rposition(|&b| b == b'/');
    let last_colon = rest.iter().rposition(|&b| b == b':');
    let (name, tag) = match last_colon {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => {
            (rest.get(..c).unwrap_or(&[]), rest.get(c + 1..))
        }
        _ => (rest, None),
    };
    if let Some(t) = tag {
        if !is_tag(t) {
            return false;
        }
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut components = name.split(|&b| b == b'/');
    let several = name.contains(&b'/');
    let first_ok = components
        .next()
        .is_some_and(|c| is_path_component(c) || (several && is_domain(c)));
    first_ok && components.all(is_path_component)
}

/// The rule an invalid image reference breaks (`None` for a valid one).
pub(super) fn reference_problem(s: &[u8]) -> Option<&'static str> {
    if is_image_reference(s) {
        return None;
    }
    if s.is_empty() {
        return Some("an image reference must not be empty");
    }
    if s.iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Some("an image reference must not contain spaces or control characters");
    }
    let (rest, digest) = match s.iter().position(|&b| b == b'@') {
        Some(at) => (s.get(..at).unwrap_or(&[]), s.get(at + 1..)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return Some(
            "a digest must be sha256:, sha384: or sha512: followed by its number of lowercase \
             hex digits",
        );
    }
    let last_slash = rest.iter().rposition(|&b| b == b'/');
    let last_colon = rest.iter().rposition(|&b| b == b':');
    let (name, tag) = match last_colon {
        Some(c) if last_slash.is_none_or(|sl| c > sl) => {
            (rest.get(..c).unwrap_or(&[]), rest.get(c + 1..))
        }
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return Some(
            "a tag must be 1 to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`",
        );
    }
    if name.is_empty() {
        return Some("repository name must not be empty");
    }
    if name.len() > 255 {
        return Some("repository name must be at most 255 characters");
    }
    // The first component may be a registry host (letters of any case); the others may not.
    let several = name.contains(&b'/');
    let mut components = name.split(|&b| b == b'/');
    let first = components.next().unwrap_or(&[]);
    let path: &[u8] = if several && is_domain(first) {
        name.get(first.len() + 1..).unwrap_or(&[])
    } else {
        name
    };
    if path.iter().any(u8::is_ascii_uppercase) {
        return Some("repository name must be lowercase");
    }
    Some(
        "each part of a repository name must be lowercase letters and digits, separated by \
         `.`, `_`, `__` or `-`, and parts are joined by single `/`",
    )
}

fn is_lower_hex_of_len(s: &[u8], len: usize) -> bool {
    s.len() == len
        && s.iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with separator `.`, `_`, `__` or `-`+.
fn is_path_component(c: &[u8]) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut rest = c;
    loop {
        let run = rest.iter().take_while(|b| alnum(b)).count();
        if run == 0 {
            return false;
        }
        rest = rest.get(run..).unwrap_or(&[]);
        if rest.is_empty() {
            return true;
        }
        let sep_len = rest.iter().take_while(|b| !alnum(b)).count();
        let sep = rest.get(..sep_len).unwrap_or(&[]);
        if !(sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|&b| b == b'-')) {
            return false;
        }
        rest = rest.get(sep_len..).unwrap_or(&[]);
    }
}

/// A registry `host[:port]`: domain labels or a bracketed IPv6 address, optional digits port.
fn is_domain(d: &[u8]) -> bool {
    let (host_ok, after) = if let Some(inner) = d.strip_prefix(b"[") {
        match inner.iter().position(|&b| b == b']') {
            Some(close) => {
                let addr = inner.get(..close).unwrap_or(&[]);
                let ok =
                    !addr.is_empty() && addr.iter().all(|&b| b.is_ascii_hexdigit() || b == b':');
                (ok, inner.get(close + 1..).unwrap_or(&[]))
            }
            None => return false,
        }
    } else {
        let colon = d.iter().position(|&b| b == b':').unwrap_or(d.len());
        let host = d.get(..colon).unwrap_or(&[]);
        let label = |l: &[u8]| {
            !l.is_empty()
                && l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
        };
        (
            !host.is_empty() && host.split(|&b| b == b'.').all(label),
            d.get(colon..).unwrap_or(&[]),
        )
    };
    host_ok
        && (after.is_empty()
            || after
                .strip_prefix(b":")
                .is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit)))
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_tag(t: &[u8]) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    (1..=128).contains(&t.len())
        && t.first().is_some_and(word)
        && t.iter().all(|b| word(b) || *b == b'.' || *b == b'-')
}

/// `algorithm:hex` with an algorithm moby accepts (go-digest's `sha256`, `sha384`, `sha512`)
/// and exactly its number of lowercase hex digits; any other algorithm is rejected, as moby does.
fn is_digest(d: &[u8]) -> bool {
    let Some(colon) = d.iter().position(|&b| b == b':') else {
        return false;
    };
    let hex = d.get(colon + 1..).unwrap_or(&[]);
    match d.get(..colon).unwrap_or(&[]) {
        b"sha256" => is_lower_hex_of_len(hex, 64),
        b"sha384" => is_lower_hex_of_len(hex, 96),
        b"sha512" => is_lower_hex_of_len(hex, 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn image_grammar() {
        let hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let digest =
            "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let sha_id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for ok in [
            "busybox",
            "busybox:latest",
            "localhost:5000/a/b:tag",
            "docksock-test/bb:1",
            "library/ubuntu:22.04",
            "a__b",
            "a--b",
            "a.b_c",
            "Registry.Example.com/x",
            "[::1]:5000/x:y",
            "localhost:5000",
            "a:A..",
            "a/b:x..y",
            "quay.io/org/app:v1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            hex64,
            digest,
            sha_id,
        ] {
            assert!(is_image_reference(ok.as_bytes()), "{ok}");
        }
        let long_name = "a".repeat(256);
        let long_tag = alloc_string("a:", &"t".repeat(129));
        for bad in [
            "",
            "UPPER",
            "a//b",
            "a:",
            "-a",
            "a-",
            "a b",
            "a..b",
            "..",
            "a/../b",
            "a/..:tag",
            "./a",
            "a___b",
            "a._b",
            "/a",
            "a/",
            ":tag",
            "a@",
            "a@sha256:abc",
            "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "a:-tag",
            "a\n",
            "a\0b",
            "héllo",
            "a/B",
            "-x.com/a",
            "x.com:/a",
            "[zz]/a",
            long_name.as_str(),
            long_tag.as_str(),
        ] {
            assert!(!is_image_reference(bad.as_bytes()), "{bad:?}");
        }
    }

    fn alloc_string(a: &str, b: &str) -> std::string::String {
        let mut s = std::string::String::from(a);
        s.push_str(b);
        s
    }

    #[test]
    fn reference_problems_name_the_rule() {
        assert_eq!(reference_problem(b"busybox"), None);
        assert_eq!(
            reference_problem(b"Busybox:latest"),
            Some("repository name must be lowercase")
        );
        assert_eq!(
            reference_problem(b"Registry.Example.com/App"),
            Some("repository name must be lowercase")
        );
        assert!(reference_problem(b"a:-x").unwrap().starts_with("a tag"));
        assert!(reference_problem(b"a@md5:00")
            .unwrap()
            .starts_with("a digest"));
        assert!(reference_problem(b"a b").unwrap().contains("spaces"));
        assert!(reference_problem(b"").unwrap().contains("empty"));
        assert!(reference_problem(b"a//b").unwrap().starts_with("each part"));
    }
}
