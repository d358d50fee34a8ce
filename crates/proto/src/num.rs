//! Number formatting without allocation, shared by the encoder and the version prefix.

use crate::chars::HEX_LOWER;

/// Formats `n` in `radix` (10 or 16, lowercase) into the end of `buf`; returns the digits.
pub(crate) fn format_u64(mut n: u64, radix: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        let digit = usize::try_from(n % radix).unwrap_or(0);
        *slot = HEX_LOWER.get(digit).copied().unwrap_or(b'0');
        start -= 1;
        n /= radix;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn format_radix() {
        let mut buf = [0u8; 20];
        assert_eq!(format_u64(0, 10, &mut buf), b"0");
        assert_eq!(format_u64(u64::MAX, 10, &mut buf), b"18446744073709551615");
        assert_eq!(format_u64(u64::MAX, 16, &mut buf), b"ffffffffffffffff");
        assert_eq!(format_u64(0x12c, 16, &mut buf), b"12c");
    }
}
