//! The request encoder's test vocabulary, shared by the encode test files: encoding into an
//! exactly sized buffer, the misuse error constructor, and a test-only percent-decoder.

#![allow(dead_code)]

use docksock_proto::encode::RequestSpec;
use docksock_proto::version::ApiVersion;
use docksock_proto::{Error, MisuseError};

pub(crate) const V145: Option<ApiVersion> = Some(ApiVersion::new(1, 45));

/// Encodes into a buffer of exactly `encoded_len` bytes and checks both agree.
pub(crate) fn enc(spec: &RequestSpec<'_>) -> Result<Vec<u8>, Error> {
    let n = spec.encoded_len()?;
    let mut buf = vec![0u8; n];
    let written = spec.encode(&mut buf)?;
    assert_eq!(written, n);
    Ok(buf)
}

pub(crate) fn misuse(e: MisuseError) -> Error {
    Error::Misuse(e)
}

pub(crate) fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None, // lowercase hex is never produced
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hi = hex(*s.get(i + 1)?)?;
            let lo = hex(*s.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}
