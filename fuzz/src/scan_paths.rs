//! The `scan_paths` target: every scanning path of the core (`docksock_proto::simd`: the SWAR
//! reference, SSSE3 and AVX2 on x86-64, NEON on aarch64, as far as the machine has them) on the
//! same input must give the same answers.
//!
//! Input: `[flags] [response…]`. The raw scans run on the input at every start offset up to 64
//! (so the stop byte falls at every position of a 16- and 32-byte block) and are checked
//! against the byte-by-byte definition; then the whole input is decoded as a response (flags
//! as in `response_decoder`: bits 0–2 the method, bit 4 tiny limits), whole and byte by byte,
//! once per path, and every path must produce the same events and the same end as the SWAR one.
//! Last, the JSON splitter reads the input from its first `{` or `[` on (a response's JSON body,
//! or any bytes the fuzzer makes), once per path, whole, cut at one point (from the flags) and
//! byte by byte, with the default cap or, when flag bit 5 is set, a small one (1, 101, 201 or
//! 301 bytes by bits 6–7): every path must split out the same messages and end the same way.

use docksock_proto::simd::{self, Path};
use docksock_proto::Limits;

use crate::json::run_scan;
use crate::response::{run, tiny_limits, METHODS};

fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Checks one input; see the module documentation.
pub fn fuzz_scan_paths(data: &[u8]) {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let (paths, n) = simd::available();
    let paths = &paths[..n];
    for start in 0..input.len().min(64) {
        let s = &input[start..];
        let token = s
            .iter()
            .position(|&b| !crate::is_tchar(b))
            .unwrap_or(s.len());
        let value = s.iter().position(|&b| !is_value_byte(b)).unwrap_or(s.len());
        for &p in paths {
            assert_eq!(
                simd::token_run_on(p, s),
                Some(token),
                "{p:?} token at {start}"
            );
            assert_eq!(
                simd::value_run_on(p, s),
                Some(value),
                "{p:?} value at {start}"
            );
        }
    }

    let method = METHODS[usize::from(flags & 7)];
    let limits = if flags & 16 != 0 {
        tiny_limits()
    } else {
        Limits::default()
    };
    let methods = [method, method];
    let outcomes = |p: Path| {
        assert!(simd::force(p), "{p:?} is listed as available");
        let whole = run(input, &methods, limits, &[input.len()], true, true);
        let bytewise = run(input, &methods, limits, &vec![1; input.len()], true, false);
        (whole, bytewise)
    };
    let reference = outcomes(Path::Swar);
    for &p in &paths[1..] {
        let (whole, bytewise) = outcomes(p);
        assert_eq!(whole, reference.0, "{p:?} differs from SWAR (whole)");
        assert_eq!(
            bytewise, reference.1,
            "{p:?} differs from SWAR (byte by byte)"
        );
    }
    if let Some(at) = input.iter().position(|&b| b == b'{' || b == b'[') {
        let body = &input[at..];
        let cap = if flags & 32 != 0 {
            1 + usize::from(flags >> 6) * 100
        } else {
            docksock_proto::json::DEFAULT_MAX_MESSAGE
        };
        let cut = usize::from(flags).wrapping_mul(37) % (body.len() + 1);
        let split = [cut, body.len() - cut];
        let bytes = vec![1; body.len()];
        let outcomes = |p: Path| {
            assert!(simd::force(p), "{p:?} is listed as available");
            (
                run_scan(body, cap, &[body.len()]),
                run_scan(body, cap, &split),
                run_scan(body, cap, &bytes),
            )
        };
        let reference = outcomes(Path::Swar);
        assert_eq!(reference.0, reference.1, "a cut at {cut} changes the messages");
        assert_eq!(reference.0, reference.2, "byte by byte changes the messages");
        for &p in &paths[1..] {
            assert_eq!(outcomes(p), reference, "{p:?} splits JSON unlike SWAR");
        }
    }
    // Leave the fastest path chosen, as the core would.
    if let Some(&best) = paths.last() {
        simd::force(best);
    }
}
