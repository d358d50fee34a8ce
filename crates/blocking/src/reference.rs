//! Comparing image references the way the engines spell them.
//!
//! Docker Engine answers `docksock-test/x:1` where Podman answers `docker.io/docksock-test/x:1`
//! (and `localhost/x:1` for an image that was never pulled); `busybox` is
//! `docker.io/library/busybox:latest` in full. [`same_image_ref`] treats these spellings as one.

/// The canonical form of an image reference: without a leading `docker.io/`,
/// `index.docker.io/` or `localhost/`, without the `library/` of official images, and with
/// `:latest` when it names neither a tag nor a digest.
///
/// ```
/// use docksock::canonical_image_ref;
///
/// assert_eq!(canonical_image_ref("docker.io/library/busybox"), "busybox:latest");
/// assert_eq!(canonical_image_ref("localhost/web:1"), "web:1");
/// assert_eq!(canonical_image_ref("registry:5000/team/app"), "registry:5000/team/app:latest");
/// ```
pub fn canonical_image_ref(reference: &str) -> String {
    let mut r = reference;
    for prefix in ["docker.io/", "index.docker.io/", "localhost/"] {
        if let Some(rest) = r.strip_prefix(prefix) {
            r = rest;
            break;
        }
    }
    let r = r.strip_prefix("library/").unwrap_or(r);
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') || last.contains('@') {
        r.to_owned()
    } else {
        format!("{r}:latest")
    }
}

/// True when two image references name the same image ([`canonical_image_ref`]):
/// `docker.io/docksock-test/x:1` and `docksock-test/x:1`, `busybox` and
/// `docker.io/library/busybox:latest`, `localhost/web:1` and `web:1`.
///
/// ```
/// use docksock::same_image_ref;
///
/// assert!(same_image_ref("docker.io/docksock-test/x:1", "docksock-test/x:1"));
/// assert!(!same_image_ref("docksock-test/x:1", "docksock-test/x:2"));
/// ```
pub fn same_image_ref(a: &str, b: &str) -> bool {
    canonical_image_ref(a) == canonical_image_ref(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_image_are_equal() {
        for (a, b) in [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:latest", "index.docker.io/library/busybox"),
            ("library/busybox", "busybox"),
            ("docker.io/docksock-test/x:1", "docksock-test/x:1"),
            ("localhost/docksock-test/x:1", "docksock-test/x:1"),
            ("localhost/web", "web:latest"),
            ("a/b@sha256:00ff", "docker.io/a/b@sha256:00ff"),
        ] {
            assert!(same_image_ref(a, b), "{a} vs {b}");
            assert!(same_image_ref(b, a), "{b} vs {a}");
        }
    }

    #[test]
    fn different_images_differ() {
        for (a, b) in [
            ("busybox:1", "busybox:2"),
            ("docksock-test/x", "other/x"),
            ("quay.io/a/b", "a/b"),
            ("registry:5000/a", "a"),
            ("a/b@sha256:00ff", "a/b:latest"),
            ("library-x/y", "y"),
        ] {
            assert!(!same_image_ref(a, b), "{a} vs {b}");
        }
        // A port is not a tag.
        assert_eq!(
            canonical_image_ref("registry:5000/a"),
            "registry:5000/a:latest"
        );
    }
}
