//! Number formatting without allocation, shared by the encoder and the version prefix.

use crate::chars::HEX_LOWER;

/// Formats `n` in `radix` (16 for lowercase hex, anything else decimal) into the end of `buf`;
/// returns the digits.
///
/// No 64-bit division is used: hex is shifts, decimal goes through [`div10`], so a 32-bit
/// target links no `__aeabi_uldivmod` (about 0.9 KB on thumbv7em) for it.
pub(crate) fn format_u64(mut n: u64, radix: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        let digit = if radix == 16 {
            let d = (n & 0xf) as u8;
            n >>= 4;
            d
        } else {
            let (q, r) = div10(n);
            n = q;
            r
        };
        *slot = HEX_LOWER.get(usize::from(digit)).copied().unwrap_or(b'0');
        start -= 1;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or(&[])
}

/// `(n / 10, n % 10)` in 32-bit steps (schoolbook division by 16-bit digits), which 32-bit
/// targets do in hardware or by multiplication.
fn div10(n: u64) -> (u64, u8) {
    let hi = (n >> 32) as u32;
    let lo = n as u32;
    let (q_hi, r) = (hi / 10, hi % 10);
    // Each partial dividend is below 10 << 16, so it fits in 32 bits.
    let x = (r << 16) | (lo >> 16);
    let (q1, r1) = (x / 10, x % 10);
    let y = (r1 << 16) | (lo & 0xffff);
    let (q2, r2) = (y / 10, y % 10);
    let q = (u64::from(q_hi) << 32) | (u64::from(q1) << 16) | u64::from(q2);
    (q, r2 as u8)
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
        assert_eq!(format_u64(4_294_967_296, 10, &mut buf), b"4294967296");
        assert_eq!(format_u64(10, 10, &mut buf), b"10");
    }

    #[test]
    fn div10_is_division() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let edges = [
            0,
            9,
            10,
            65_535,
            65_536,
            655_359,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        let rounds = if cfg!(miri) { 500 } else { 100_000 };
        for n in edges.into_iter().chain((0..rounds).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        })) {
            assert_eq!(div10(n), (n / 10, (n % 10) as u8), "{n}");
        }
    }
}
