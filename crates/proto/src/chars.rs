//! Byte classes shared by the encoder and the decoders (RFC 9110 §5.6.2, RFC 3986 §2.3).

/// `tchar` of RFC 9110 §5.6.2: the bytes a token (method, field name, coding) may hold.
pub(crate) const fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Length of the run of `tchar` bytes at the start of `s`, eight table lookups at a time.
pub(crate) fn token_run(s: &[u8]) -> usize {
    let mut i = 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let all = c.iter().fold(true, |acc, &b| acc & TCHAR[b as usize]);
        if !all {
            break;
        }
        i += 8;
    }
    for &b in s.get(i..).unwrap_or(b"") {
        if !TCHAR[b as usize] {
            return i;
        }
        i += 1;
    }
    i
}

/// Length of the run of field-value bytes at the start of `s` (HTAB, SP, VCHAR, obs-text),
/// eight bytes at a time.
pub(crate) fn value_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // The high bit of each byte below 0x20 (controls, HTAB included) or equal to 0x7F.
        // Borrows can only set bits above the first true one, so the lowest set bit is exact.
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let del = x ^ (ONES * 0x7f);
        let mask = below_space | (del.wrapping_sub(ONES) & !del & HIGH);
        if mask == 0 {
            i += 8;
            continue;
        }
        let at = i + (mask.trailing_zeros() / 8) as usize;
        if s.get(at) != Some(&b'\t') {
            return at;
        }
        // HTAB is allowed: go on after it.
        i = at + 1;
    }
    for &b in s.get(i..).unwrap_or(b"") {
        if !is_field_value_byte(b) {
            return i;
        }
        i += 1;
    }
    i
}

/// A byte allowed inside a field value: HTAB, SP, visible ASCII, and obs-text (0x80–0xFF).
/// NUL, CR, LF, other controls and DEL are not.
pub(crate) const fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// RFC 3986 `unreserved`: the bytes sent as they are in a path parameter or query component.
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Optional whitespace (RFC 9110 §5.6.3): SP or HTAB.
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// True when every byte is a `tchar` and there is at least one.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Strips leading and trailing OWS.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ows(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ows(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

/// Uppercase hex digits for percent-encoding and chunk sizes.
pub(crate) const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
/// Lowercase hex digits (chunk sizes are written the way dockerd writes them).
pub(crate) const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bytes() {
        assert!(is_token(b"Content-Length"));
        assert!(!is_token(b""));
        assert!(!is_token(b"X Bad"));
        assert!(!is_token(b"a:b"));
        assert!(!is_token(b"\x7f"));
    }

    #[test]
    fn value_bytes() {
        for b in 0u8..=255 {
            let expect = b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80;
            assert_eq!(is_field_value_byte(b), expect, "byte {b:#x}");
        }
    }

    #[test]
    fn trims_only_ows() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\r"), b"\r");
    }
}
