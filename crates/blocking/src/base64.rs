//! Base64 (RFC 4648) for registry credentials: the standard alphabet of `config.json`'s `auth`
//! (`user:password`) and the URL-safe alphabet, with padding, of `X-Registry-Auth` and
//! `X-Registry-Config`.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(input: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(alphabet[*s as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard alphabet, padded (`config.json`'s `auth`).
pub(crate) fn encode_standard(input: &[u8]) -> String {
    encode_with(input, STANDARD)
}

/// URL-safe alphabet, padded (`X-Registry-Auth`, `X-Registry-Config`: moby decodes them with
/// `base64.URLEncoding`, which requires the padding).
pub(crate) fn encode_url(input: &[u8]) -> String {
    encode_with(input, URL_SAFE)
}

/// Decodes the standard alphabet; the padding may be left out. `None` for any other character,
/// a misplaced `=`, or a length no encoder makes.
pub(crate) fn decode_standard(input: &str) -> Option<Vec<u8>> {
    let data = input.trim_end_matches('=');
    let pad = input.len() - data.len();
    if pad > 2 || (pad > 0 && !input.len().is_multiple_of(4)) || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in data.as_bytes() {
        let v = STANDARD.iter().position(|&a| a == c)?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // The bits left over must be zero (a canonical encoding).
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode_standard(plain.as_bytes()), encoded);
            assert_eq!(encode_url(plain.as_bytes()), encoded);
            assert_eq!(decode_standard(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                decode_standard(encoded.trim_end_matches('=')).unwrap(),
                plain.as_bytes(),
                "without padding"
            );
        }
    }

    #[test]
    fn alphabets_differ_in_two_characters() {
        let bytes = [0xfb, 0xff, 0xbf];
        assert_eq!(encode_standard(&bytes), "+/+/");
        assert_eq!(encode_url(&bytes), "-_-_");
        assert_eq!(decode_standard("+/+/").unwrap(), bytes);
        assert_eq!(decode_standard("-_-_"), None);
    }

    #[test]
    fn round_trip_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..data.len() {
            let enc = encode_standard(&data[..n]);
            assert_eq!(enc.len() % 4, 0);
            assert_eq!(decode_standard(&enc).unwrap(), &data[..n]);
        }
    }

    #[test]
    fn refuses_what_no_encoder_writes() {
        for bad in ["Zg=", "Z===", "Zm9v=", "a", "Zh==", "Zm9v YmFy", "Zm=v"] {
            assert_eq!(decode_standard(bad), None, "{bad}");
        }
    }
}
