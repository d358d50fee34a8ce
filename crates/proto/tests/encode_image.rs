//! Integration tests of `docksock_proto::encode` for image references: the valid and invalid
//! reference grammar of `PathParam::image`, and digests only with the algorithms moby accepts.

use docksock_proto::encode::{PathParam, RequestSpec};
use docksock_proto::MisuseError;

#[path = "support/encoding.rs"]
mod encoding;

use encoding::{enc, misuse};

const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn image_references_valid() {
    let digest_ref = format!("ubuntu@sha256:{HEX64}");
    let sha_id = format!("sha256:{HEX64}");
    let full = format!("localhost:5000/a/b:tag@sha256:{HEX64}");
    for (img, want) in [
        ("busybox", "busybox"),
        ("busybox:latest", "busybox:latest"),
        ("localhost:5000/a/b:tag", "localhost:5000/a/b:tag"),
        ("docksock-test/bb:1", "docksock-test/bb:1"),
        (digest_ref.as_str(), digest_ref.as_str()),
        (HEX64, HEX64),
        (sha_id.as_str(), sha_id.as_str()),
        (full.as_str(), full.as_str()),
        ("a__b/c--d.e_f:V1.0-rc_1", "a__b/c--d.e_f:V1.0-rc_1"),
        ("[::1]:5000/img", "%5B::1%5D:5000/img"),
        (
            "my-registry.example.com:5000/team/app:1",
            "my-registry.example.com:5000/team/app:1",
        ),
        ("Reg-1.Example:443/x", "Reg-1.Example:443/x"),
    ] {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("POST", "/images/{name}/tag").params(&params);
        let line = format!("POST /images/{want}/tag HTTP/1.1\r\n");
        let wire = enc(&spec).unwrap_or_else(|e| panic!("{img}: {e:?}"));
        assert!(wire.starts_with(line.as_bytes()), "{img}");
    }
}

#[test]
fn image_references_invalid() {
    let long = "a".repeat(256);
    let long_tag = format!("a:{}", "t".repeat(129));
    let bad_digest = format!("a@sha256:{}", &HEX64[..63]);
    let upper_digest = format!("a@sha256:{}", HEX64.to_uppercase());
    for img in [
        "",
        "UPPER",
        "a//b",
        "a:",
        "-a",
        "a-",
        "a b",
        "a..b",
        "a_.b",
        "/a",
        "a/",
        ":latest",
        "a@",
        "a@sha256:",
        "a:b:c",
        "a\r\nb",
        "a\0",
        "a\tb",
        "été",
        "a/../b",
        "..",
        ".",
        "a?b",
        "a#b",
        "a%2Fb",
        "Docker.io/Library/Ubuntu",
        "my_registry.com:5000/x",
        "bad!host:5000/x",
        "-reg.example:5000/x",
        "reg-.example:5000/x",
        "reg..example:5000/x",
        long.as_str(),
        long_tag.as_str(),
        bad_digest.as_str(),
        upper_digest.as_str(),
    ] {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
        assert_eq!(
            enc(&spec),
            Err(misuse(MisuseError::InvalidImageReference)),
            "{img:?}"
        );
    }
    // 255 is the cap on the name.
    let max = "a".repeat(255);
    let params = [("name", PathParam::Image(&max))];
    let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
    assert!(enc(&spec).is_ok());
}

#[test]
fn image_digests_only_with_the_algorithms_moby_accepts() {
    // go-digest (through distribution/reference) knows sha256, sha384 and sha512, each with
    // exactly its length of lowercase hex; moby rejects any other algorithm.
    let hex = |n: usize| HEX64.repeat(2)[..n].to_string();
    let check = |img: &str, ok: bool| {
        let params = [("name", PathParam::Image(img))];
        let spec = RequestSpec::new("GET", "/images/{name}/json").params(&params);
        let want = if ok {
            Ok(format!("GET /images/{img}/json HTTP/1.1\r\n"))
        } else {
            Err(misuse(MisuseError::InvalidImageReference))
        };
        let got = enc(&spec).map(|w| {
            let line = w.split(|&b| b == b'\n').next().unwrap();
            format!("{}\n", String::from_utf8_lossy(line))
        });
        assert_eq!(got, want, "{img}");
    };
    for (algo, len) in [("sha256", 64), ("sha384", 96), ("sha512", 128)] {
        check(&format!("a@{algo}:{}", hex(len)), true);
        check(&format!("a:t@{algo}:{}", hex(len)), true);
        check(&format!("a@{algo}:{}", hex(len - 1)), false);
        check(&format!("a@{algo}:{}f", hex(len)), false);
        check(&format!("a@{}:{}", algo.to_uppercase(), hex(len)), false);
    }
    for algo in [
        "sha1",
        "md5",
        "blake3",
        "sha3",
        "sha256+b64",
        "multihash+base58",
        "sha512.x",
        "a",
        "x-y",
    ] {
        for len in [32, 40, 64, 96, 128] {
            check(&format!("a@{algo}:{}", hex(len)), false);
        }
    }
    check(&format!("a@:{}", hex(64)), false);
    check(&format!("a@sha256{}", hex(64)), false);
}
