//! Vector scans of the head's byte classes: the one module of the crate that holds `unsafe`.
//!
//! Two scans run over every field line: `token_run` (the field name, `tchar`s up to the `:`)
//! and `value_run` (the field value, up to its CR). Each exists as
//!
//! * the safe SWAR reference ([`Path::Swar`], in `chars.rs` and `head.rs`): eight bytes per
//!   step in plain `u64` arithmetic and table lookups; the fallback on every target, and what
//!   every other path must agree with byte for byte;
//! * [`Path::Ssse3`] on x86-64: 16 bytes per step, values by unsigned compares (SSE2), names by a
//!   two-nibble table lookup (`pshufb`, SSSE3). `pcmpestri` (SSE4.2, picohttpparser's choice)
//!   classifies up to eight ranges in one instruction but costs 4–11 cycles of latency per
//!   16 bytes; four plain compares or two shuffles are cheaper, so it is not used;
//! * [`Path::Avx2`] on x86-64: the same on 32 bytes per step;
//! * [`Path::Neon`] on aarch64 (part of its baseline): the same on 16 bytes with `tbl`.
//!
//! With `std` the x86-64 path is chosen once, at the first scan, from what the CPU reports
//! (`is_x86_feature_detected!`) and cached; without `std` it is fixed at compile time by the
//! target features the crate is built with (`-C target-feature=+avx2`, `-C target-cpu=…`).
//! Every vector path reads only inside the slice it is given: the last partial block of a slice
//! of at least one block is read as the block ending at the slice's end (bytes already passed
//! are masked off), a slice shorter than one block goes to the SWAR reference.
//!
//! The paths are compared with each other by the tests below (every byte value at every offset
//! across block boundaries), under Miri for the SWAR path (`scripts/miri`), and by the fuzz
//! target `scan_paths` (every available path on the same input, the same decoder events).
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU8, Ordering};

use crate::chars;

/// A scanning implementation. Which ones a machine can run: [`available`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Path {
    /// Safe `u64` arithmetic, eight bytes per step: the reference, available everywhere.
    Swar,
    /// x86-64 SSE2 + SSSE3, 16 bytes per step.
    Ssse3,
    /// x86-64 AVX2, 32 bytes per step.
    Avx2,
    /// aarch64 NEON (Advanced SIMD), 16 bytes per step.
    Neon,
}

impl Path {
    const ALL: [Path; 4] = [Path::Swar, Path::Ssse3, Path::Avx2, Path::Neon];

    const fn code(self) -> u8 {
        match self {
            Path::Swar => 1,
            Path::Ssse3 => 2,
            Path::Avx2 => 3,
            Path::Neon => 4,
        }
    }

    /// True when this machine (with `std`) or this build (without) can run the path.
    pub fn is_available(self) -> bool {
        match self {
            Path::Swar => true,
            #[cfg(target_arch = "x86_64")]
            Path::Ssse3 => x86::has_ssse3(),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => x86::has_avx2(),
            #[cfg(target_arch = "aarch64")]
            Path::Neon => cfg!(target_feature = "neon"),
            #[allow(unreachable_patterns)] // which arms remain depends on the target
            _ => false,
        }
    }
}

/// The paths this machine can run, fastest last, as a fixed array and its used length.
pub fn available() -> ([Path; 4], usize) {
    let mut out = [Path::Swar; 4];
    let mut n = 0;
    for p in Path::ALL {
        if p.is_available() {
            if let Some(slot) = out.get_mut(n) {
                *slot = p;
                n += 1;
            }
        }
    }
    (out, n)
}

/// The chosen path's code (`Path::code`), 0 before the first choice. Only ever set to the
/// code of a path whose `is_available()` returned true: the dispatch below relies on it.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// The chosen path's code, choosing the fastest available on first use.
#[inline(always)]
fn chosen() -> u8 {
    match CHOSEN.load(Ordering::Relaxed) {
        0 => choose(),
        c => c,
    }
}

#[cold]
fn choose() -> u8 {
    let (paths, n) = available();
    let best = paths.get(n.wrapping_sub(1)).copied().unwrap_or(Path::Swar);
    CHOSEN.store(best.code(), Ordering::Relaxed);
    best.code()
}

#[cfg(target_arch = "x86_64")]
const AVX2: u8 = Path::Avx2.code();
#[cfg(target_arch = "x86_64")]
const SSSE3: u8 = Path::Ssse3.code();
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
const NEON: u8 = Path::Neon.code();

/// The path the scans use: the fastest available, unless [`force`] set another.
pub fn current() -> Path {
    let c = chosen();
    Path::ALL
        .into_iter()
        .find(|p| p.code() == c)
        .unwrap_or(Path::Swar)
}

/// Makes every later scan in this process use `path` (for tests and fuzzing: the paths give
/// the same answers, only their speed differs). Returns false, changing nothing, when the
/// machine cannot run it.
pub fn force(path: Path) -> bool {
    if !path.is_available() {
        return false;
    }
    CHOSEN.store(path.code(), Ordering::Relaxed);
    true
}

/// Length of the run of `tchar` bytes at the start of `s`.
#[inline]
pub(crate) fn token_run(s: &[u8]) -> usize {
    // Targets without a vector path (thumbv7em…) call the reference directly: no dispatch,
    // no atomic, no code for the other paths.
    #[cfg(target_arch = "x86_64")]
    match chosen() {
        // SAFETY: CHOSEN holds AVX2 only when the CPU has it (`force`, `choose`).
        AVX2 => return unsafe { x86::token_run_avx2(s) },
        // SAFETY: CHOSEN holds SSSE3 only when the CPU has it (`force`, `choose`).
        SSSE3 => return unsafe { x86::token_run_ssse3(s) },
        _ => {}
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    if chosen() == NEON {
        // SAFETY: this code is compiled only with NEON enabled for the whole build.
        return unsafe { neon::token_run(s) };
    }
    chars::token_run(s)
}

/// Length of the run of field-value bytes (HTAB, SP, VCHAR, obs-text) at the start of `s`.
#[inline]
pub(crate) fn value_run(s: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    match chosen() {
        // SAFETY: CHOSEN holds AVX2 only when the CPU has it (`force`, `choose`).
        AVX2 => return unsafe { x86::value_run_avx2(s) },
        // SAFETY: CHOSEN holds SSSE3 only when the CPU has it (`force`, `choose`).
        SSSE3 => return unsafe { x86::value_run_sse2(s) },
        _ => {}
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    if chosen() == NEON {
        // SAFETY: this code is compiled only with NEON enabled for the whole build.
        return unsafe { neon::value_run(s) };
    }
    chars::value_run(s)
}

/// `token_run` on a given path; `None` when the machine cannot run it.
pub fn token_run_on(path: Path, s: &[u8]) -> Option<usize> {
    match path {
        Path::Swar => Some(chars::token_run(s)),
        #[cfg(target_arch = "x86_64")]
        Path::Ssse3 if x86::has_ssse3() => {
            // SAFETY: the CPU has SSSE3 (checked just above; SSE2 is part of x86-64).
            Some(unsafe { x86::token_run_ssse3(s) })
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 if x86::has_avx2() => {
            // SAFETY: the CPU has AVX2 (checked just above), which implies SSSE3.
            Some(unsafe { x86::token_run_avx2(s) })
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        // SAFETY: this arm is compiled only with NEON enabled for the whole build.
        Path::Neon => Some(unsafe { neon::token_run(s) }),
        #[allow(unreachable_patterns)] // which arms remain depends on the target
        _ => None,
    }
}

/// `value_run` on a given path; `None` when the machine cannot run it.
pub fn value_run_on(path: Path, s: &[u8]) -> Option<usize> {
    match path {
        Path::Swar => Some(chars::value_run(s)),
        #[cfg(target_arch = "x86_64")]
        Path::Ssse3 if x86::has_ssse3() => {
            // SAFETY: the CPU has SSSE3 (checked just above; SSE2 is part of x86-64).
            Some(unsafe { x86::value_run_sse2(s) })
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 if x86::has_avx2() => {
            // SAFETY: the CPU has AVX2 (checked just above).
            Some(unsafe { x86::value_run_avx2(s) })
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        // SAFETY: this arm is compiled only with NEON enabled for the whole build.
        Path::Neon => Some(unsafe { neon::value_run(s) }),
        #[allow(unreachable_patterns)] // which arms remain depends on the target
        _ => None,
    }
}

/// For the nibble lookup: bit `h` (h < 8) of `LO[l]` is set when byte `h << 4 | l` is a
/// `tchar`; `HI[h]` is `1 << h` for h < 8, 0 above (no byte 0x80–0xFF is a `tchar`). A byte is
/// a `tchar` exactly when `LO[b & 15] & HI[b >> 4] != 0`.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
const NIBBLE_LO: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut b = 0usize;
    while b < 128 {
        if chars::is_tchar(b as u8) {
            t[b & 15] |= 1 << (b >> 4);
        }
        b += 1;
    }
    t
};
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
const NIBBLE_HI: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0];

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{NIBBLE_HI, NIBBLE_LO};
    use crate::chars;

    #[cfg(feature = "std")]
    pub(super) fn has_ssse3() -> bool {
        std::is_x86_feature_detected!("ssse3")
    }
    #[cfg(not(feature = "std"))]
    pub(super) fn has_ssse3() -> bool {
        cfg!(target_feature = "ssse3")
    }
    #[cfg(feature = "std")]
    pub(super) fn has_avx2() -> bool {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(feature = "std"))]
    pub(super) fn has_avx2() -> bool {
        cfg!(target_feature = "avx2")
    }

    /// Loads the 16 bytes of `s` at `at`.
    ///
    /// # Safety
    /// `at + 16 <= s.len()`.
    #[inline(always)]
    unsafe fn load16(s: &[u8], at: usize) -> __m128i {
        // SAFETY: the caller guarantees `at + 16 <= s.len()`, so the 16 bytes read are inside
        // `s`; `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(s.as_ptr().add(at).cast()) }
    }

    /// Loads the 32 bytes of `s` at `at`.
    ///
    /// # Safety
    /// `at + 32 <= s.len()`, and the CPU has AVX.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load32(s: &[u8], at: usize) -> __m256i {
        // SAFETY: the caller guarantees `at + 32 <= s.len()`, so the 32 bytes read are inside
        // `s`; `loadu` has no alignment requirement.
        unsafe { _mm256_loadu_si256(s.as_ptr().add(at).cast()) }
    }

    /// One bit per byte of `x`, set for a byte that is not a field-value byte.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn value_mask16(x: __m128i) -> u32 {
        // Below 0x20 (unsigned) and not HTAB, or DEL.
        let ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
        let tab = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x09));
        let del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
        _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, ctl), del)) as u32
    }

    /// One bit per byte of `x`, set for a byte that is not a `tchar`.
    #[inline]
    #[target_feature(enable = "ssse3")]
    fn token_mask16(x: __m128i) -> u32 {
        // SAFETY: both tables are 16 bytes; `loadu` has no alignment requirement.
        let (lo_t, hi_t) = unsafe {
            (
                _mm_loadu_si128(NIBBLE_LO.as_ptr().cast()),
                _mm_loadu_si128(NIBBLE_HI.as_ptr().cast()),
            )
        };
        let nib = _mm_set1_epi8(0x0f);
        let lo = _mm_and_si128(x, nib);
        let hi = _mm_and_si128(_mm_srli_epi16(x, 4), nib);
        let t = _mm_and_si128(_mm_shuffle_epi8(lo_t, lo), _mm_shuffle_epi8(hi_t, hi));
        _mm_movemask_epi8(_mm_cmpeq_epi8(t, _mm_setzero_si128())) as u32
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn value_mask32(x: __m256i) -> u32 {
        let ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1f)), x);
        let tab = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x09));
        let del = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7f));
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_andnot_si256(tab, ctl), del)) as u32
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn token_mask32(x: __m256i) -> u32 {
        // SAFETY: both tables are 16 bytes; `loadu` has no alignment requirement.
        let (lo_t, hi_t) = unsafe {
            (
                _mm256_broadcastsi128_si256(_mm_loadu_si128(NIBBLE_LO.as_ptr().cast())),
                _mm256_broadcastsi128_si256(_mm_loadu_si128(NIBBLE_HI.as_ptr().cast())),
            )
        };
        let nib = _mm256_set1_epi8(0x0f);
        let lo = _mm256_and_si256(x, nib);
        let hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nib);
        let t = _mm256_and_si256(_mm256_shuffle_epi8(lo_t, lo), _mm256_shuffle_epi8(hi_t, hi));
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(t, _mm256_setzero_si256())) as u32
    }

    /// The 16-byte loop shared by both scans: `mask` marks the bytes that end the run.
    #[inline(always)]
    fn run16(s: &[u8], mask: impl Fn(__m128i) -> u32, fallback: fn(&[u8]) -> usize) -> usize {
        let len = s.len();
        if len < 16 {
            return fallback(s);
        }
        let mut i = 0;
        while i + 16 <= len {
            // SAFETY: `i + 16 <= len` is the loop condition.
            let m = mask(unsafe { load16(s, i) });
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 16;
        }
        if i == len {
            return len;
        }
        // The last block ends at the end of `s`; its first `16 - (len - i)` bytes were passed.
        let last = len - 16;
        // SAFETY: `len >= 16`, so `last + 16 == len`.
        let m = mask(unsafe { load16(s, last) }) >> (i - last);
        if m != 0 {
            i + m.trailing_zeros() as usize
        } else {
            len
        }
    }

    /// # Safety
    /// The CPU has SSE2 (always true on x86-64).
    #[target_feature(enable = "sse2")]
    pub(super) unsafe fn value_run_sse2(s: &[u8]) -> usize {
        run16(s, |x| value_mask16(x), chars::value_run)
    }

    /// # Safety
    /// The CPU has SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn token_run_ssse3(s: &[u8]) -> usize {
        run16(s, |x| token_mask16(x), chars::token_run)
    }

    /// The 32-byte loop: whole blocks, then the tail by the 16-byte loop.
    #[inline(always)]
    fn run32(
        s: &[u8],
        mask32: impl Fn(__m256i) -> u32,
        tail: impl Fn(&[u8]) -> usize,
        load: impl Fn(&[u8], usize) -> __m256i,
    ) -> usize {
        let len = s.len();
        let mut i = 0;
        while i + 32 <= len {
            let m = mask32(load(s, i));
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 32;
        }
        i + tail(s.get(i..).unwrap_or(b""))
    }

    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn value_run_avx2(s: &[u8]) -> usize {
        run32(
            s,
            |x| value_mask32(x),
            |t| run16(t, |x| value_mask16(x), chars::value_run),
            // SAFETY: `run32` loads only at `i` with `i + 32 <= s.len()`; AVX2 per this
            // function's contract.
            |s, i| unsafe { load32(s, i) },
        )
    }

    /// # Safety
    /// The CPU has AVX2 (which implies SSSE3).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn token_run_avx2(s: &[u8]) -> usize {
        run32(
            s,
            |x| token_mask32(x),
            |t| run16(t, |x| token_mask16(x), chars::token_run),
            // SAFETY: `run32` loads only at `i` with `i + 32 <= s.len()`; AVX2 per this
            // function's contract.
            |s, i| unsafe { load32(s, i) },
        )
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon {
    use core::arch::aarch64::*;

    use super::{NIBBLE_HI, NIBBLE_LO};
    use crate::chars;

    /// Four bits per byte of a 0x00/0xFF byte mask, as one `u64`.
    #[inline]
    #[target_feature(enable = "neon")]
    fn bits(m: uint8x16_t) -> u64 {
        vget_lane_u64::<0>(vreinterpret_u64_u8(vshrn_n_u16::<4>(vreinterpretq_u16_u8(
            m,
        ))))
    }

    #[inline]
    #[target_feature(enable = "neon")]
    fn value_mask(x: uint8x16_t) -> u64 {
        let ctl = vcltq_u8(x, vdupq_n_u8(0x20));
        let tab = vceqq_u8(x, vdupq_n_u8(0x09));
        let del = vceqq_u8(x, vdupq_n_u8(0x7f));
        bits(vorrq_u8(vbicq_u8(ctl, tab), del))
    }

    #[inline]
    #[target_feature(enable = "neon")]
    fn token_mask(x: uint8x16_t) -> u64 {
        // SAFETY: both tables are 16 bytes.
        let (lo_t, hi_t) = unsafe { (vld1q_u8(NIBBLE_LO.as_ptr()), vld1q_u8(NIBBLE_HI.as_ptr())) };
        let lo = vandq_u8(x, vdupq_n_u8(0x0f));
        let hi = vshrq_n_u8::<4>(x);
        let t = vandq_u8(vqtbl1q_u8(lo_t, lo), vqtbl1q_u8(hi_t, hi));
        bits(vceqzq_u8(t))
    }

    #[inline(always)]
    fn run(s: &[u8], mask: impl Fn(uint8x16_t) -> u64, fallback: fn(&[u8]) -> usize) -> usize {
        let len = s.len();
        if len < 16 {
            return fallback(s);
        }
        let mut i = 0;
        while i + 16 <= len {
            // SAFETY: `i + 16 <= len`, so the 16 bytes read are inside `s`.
            let m = mask(unsafe { vld1q_u8(s.as_ptr().add(i)) });
            if m != 0 {
                return i + (m.trailing_zeros() / 4) as usize;
            }
            i += 16;
        }
        if i == len {
            return len;
        }
        let last = len - 16;
        // SAFETY: `len >= 16`, so `last + 16 == len`.
        let m = mask(unsafe { vld1q_u8(s.as_ptr().add(last)) }) >> (4 * (i - last));
        if m != 0 {
            i + (m.trailing_zeros() / 4) as usize
        } else {
            len
        }
    }

    #[target_feature(enable = "neon")]
    pub(super) fn value_run(s: &[u8]) -> usize {
        run(s, |x| value_mask(x), chars::value_run)
    }

    #[target_feature(enable = "neon")]
    pub(super) fn token_run(s: &[u8]) -> usize {
        run(s, |x| token_mask(x), chars::token_run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ref_token(s: &[u8]) -> usize {
        s.iter()
            .position(|&b| !chars::is_tchar(b))
            .unwrap_or(s.len())
    }
    fn ref_value(s: &[u8]) -> usize {
        s.iter()
            .position(|&b| !chars::is_field_value_byte(b))
            .unwrap_or(s.len())
    }

    /// Every path against the byte-by-byte definition: every byte value at every offset of
    /// slices of every length up to 70 (0–2 whole 32-byte blocks, 16-byte halves, tails).
    #[test]
    fn every_path_agrees_at_every_offset() {
        let (paths, n) = available();
        let max = if cfg!(miri) { 20 } else { 70 };
        for &path in &paths[..n] {
            for len in 0..=max {
                for at in 0..len {
                    for b in 0u8..=255 {
                        if cfg!(miri) && b % 17 != 0 && b != b':' && b != b'\r' {
                            continue;
                        }
                        let mut tok = [b'a'; 70];
                        tok[at] = b;
                        let mut val = [b' '; 70];
                        val[at] = b;
                        assert_eq!(
                            token_run_on(path, &tok[..len]),
                            Some(ref_token(&tok[..len])),
                            "{path:?} token len {len} byte {b:#x} at {at}"
                        );
                        assert_eq!(
                            value_run_on(path, &val[..len]),
                            Some(ref_value(&val[..len])),
                            "{path:?} value len {len} byte {b:#x} at {at}"
                        );
                    }
                }
                assert_eq!(token_run_on(path, &[b'x'; 70][..len]), Some(len));
                assert_eq!(value_run_on(path, &[0xff; 70][..len]), Some(len));
            }
        }
    }

    /// Runs that end in a later block: the stop byte after long runs of both classes, HTAB
    /// inside values (allowed, yet a control byte), and a stop byte followed by more of them.
    #[test]
    fn runs_across_blocks() {
        let (paths, n) = available();
        for &path in &paths[..n] {
            for at in 0..100 {
                let mut v = [b'\t'; 100];
                v[at] = b'\r';
                v[(at + 1) % 100] = 0;
                let want = ref_value(&v);
                assert_eq!(value_run_on(path, &v), Some(want), "{path:?} {at}");
                let mut t = [b'~'; 100];
                t[at] = b':';
                assert_eq!(token_run_on(path, &t), Some(at), "{path:?} {at}");
            }
        }
    }

    #[test]
    fn forcing_a_path_changes_current() {
        let (paths, n) = available();
        assert!(n >= 1 && paths[0] == Path::Swar);
        for &p in &paths[..n] {
            assert!(force(p));
            assert_eq!(current(), p);
        }
        // Restore the fastest, as chosen on first use.
        assert!(force(paths[n - 1]));
        assert!(!force(Path::Neon) || cfg!(target_arch = "aarch64"));
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        assert_eq!(
            Path::Avx2.is_available(),
            std::is_x86_feature_detected!("avx2")
        );
    }
}
