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
use crate::json::Nesting;
use crate::PeerError;

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

/// Scans a JSON message (see `json::Nesting::scan`, the safe reference, which every path
/// must equal byte for byte: the same end, the same error, the same state left): on x86-64 and
/// aarch64 by 64-byte blocks of bitmasks (`json_blocks`), elsewhere by the reference.
#[inline]
pub(crate) fn json_scan(n: &mut Nesting, s: &[u8]) -> Result<Option<usize>, PeerError> {
    #[cfg(target_arch = "x86_64")]
    match chosen() {
        // SAFETY: CHOSEN holds AVX2 only when the CPU has it (`force`, `choose`).
        AVX2 => return unsafe { x86::json_avx2(n, s) },
        // SAFETY: CHOSEN holds SSSE3 only when the CPU has it, and so SSE2 (`force`, `choose`).
        SSSE3 => return unsafe { x86::json_sse2(n, s) },
        _ => {}
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    if chosen() == NEON {
        // SAFETY: this code is compiled only with NEON enabled for the whole build.
        return unsafe { neon::json(n, s) };
    }
    n.scan(s)
}

/// `json_scan` on a given path; `None` when the machine cannot run it.
#[cfg(test)]
pub(crate) fn json_scan_on(
    path: Path,
    n: &mut Nesting,
    s: &[u8],
) -> Option<Result<Option<usize>, PeerError>> {
    match path {
        Path::Swar => Some(n.scan(s)),
        #[cfg(target_arch = "x86_64")]
        Path::Ssse3 if x86::has_ssse3() => {
            // SAFETY: the CPU has SSSE3 (checked just above), and so SSE2.
            Some(unsafe { x86::json_sse2(n, s) })
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 if x86::has_avx2() => {
            // SAFETY: the CPU has AVX2 (checked just above).
            Some(unsafe { x86::json_avx2(n, s) })
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        // SAFETY: this arm is compiled only with NEON enabled for the whole build.
        Path::Neon => Some(unsafe { neon::json(n, s) }),
        #[allow(unreachable_patterns)] // which arms remain depends on the target
        _ => None,
    }
}

/// The bytes of one 64-byte block that matter to the JSON splitter, bit `i` for byte `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JsonMasks {
    /// `"`.
    quote: u64,
    /// `\`.
    backslash: u64,
    /// `{`, `[`, `}`, `]`.
    bracket: u64,
}

/// The even bit positions.
const EVEN: u64 = 0x5555_5555_5555_5555;

/// The bytes of a block escaped by a backslash: those right after a run of backslashes of odd
/// length (simdjson's branchless form). `carry` in: byte 0 is escaped (the previous block
/// ended in an odd run); out: the same for the next block. Backslashes are taken for escapes
/// wherever they are: the caller checks that every one lies in a string.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    // An escaped backslash starts no run.
    let bs = backslash & !*carry;
    let follows = (bs << 1) | *carry;
    // Runs starting on an odd bit: adding the run to its start carries out past its end;
    // adding every run to its own start flips the parity of runs that start on odd bits.
    let odd_starts = bs & !EVEN & !follows;
    let (even_runs, overflow) = odd_starts.overflowing_add(bs);
    *carry = u64::from(overflow);
    let invert = even_runs << 1;
    (EVEN ^ invert) & follows
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`.
#[cfg_attr(
    not(any(test, target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The block scan every vector path shares (safe; only `classify` differs): per 64 bytes the
/// masks of quotes, backslashes and brackets; the escaped bytes by the odd-run rule (carried
/// across blocks); the bytes inside strings by a prefix XOR of the unescaped quotes (carried);
/// then only the brackets outside strings are walked, one by one, through the reference's
/// `Nesting::bracket` (push, pop with the type check, depth limit, end of the message). A block
/// with a backslash outside strings (no escape there, unlike what the masks assumed) goes to
/// the reference whole, and so does the tail shorter than a block.
#[cfg_attr(
    not(any(test, target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
#[inline(always)]
fn json_blocks(
    n: &mut Nesting,
    s: &[u8],
    classify: impl Fn(&[u8; 64]) -> JsonMasks,
    prefix_xor: impl Fn(u64) -> u64,
) -> Result<Option<usize>, PeerError> {
    let mut at = 0usize;
    let mut esc = u64::from(n.escape);
    let mut in_str = 0u64.wrapping_sub(u64::from(n.in_string));
    let mut rest = s;
    while let Some((block, next)) = rest.split_first_chunk::<64>() {
        rest = next;
        let m = classify(block);
        let mut esc_next = 0;
        let quote = if m.backslash | esc == 0 {
            m.quote
        } else {
            esc_next = esc;
            m.quote & !escaped(m.backslash, &mut esc_next)
        };
        let inside = prefix_xor(quote) ^ in_str;
        if m.backslash & !inside != 0 {
            n.in_string = in_str != 0;
            n.escape = esc != 0;
            if let Some(k) = n.scan(block)? {
                return Ok(Some(at + k));
            }
            esc = u64::from(n.escape);
            in_str = 0u64.wrapping_sub(u64::from(n.in_string));
            at += 64;
            continue;
        }
        let mut brackets = m.bracket & !inside;
        while brackets != 0 {
            let i = brackets.trailing_zeros() as usize;
            brackets &= brackets - 1;
            if n.bracket(block.get(i).copied().unwrap_or(0))? {
                // A closer outside strings: no string or escape is open.
                n.in_string = false;
                n.escape = false;
                return Ok(Some(at + i + 1));
            }
        }
        esc = esc_next;
        in_str = 0u64.wrapping_sub(inside >> 63);
        at += 64;
    }
    n.in_string = in_str != 0;
    n.escape = esc != 0;
    Ok(n.scan(rest)?.map(|k| at + k))
}

/// The masks of a block byte by byte: what every `classify` must equal, and the path that
/// runs `json_blocks` under Miri.
#[cfg(test)]
fn classify_bytes(b: &[u8; 64]) -> JsonMasks {
    let mut m = JsonMasks {
        quote: 0,
        backslash: 0,
        bracket: 0,
    };
    for (i, &c) in b.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' | b'}' | b']' => m.bracket |= bit,
            _ => {}
        }
    }
    m
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

    use super::{json_blocks, prefix_xor, JsonMasks, NIBBLE_HI, NIBBLE_LO};
    use crate::chars;
    use crate::json::Nesting;
    use crate::PeerError;

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

    /// The JSON masks of 32 bytes: quotes, backslashes, brackets (`{` and `[` are `0x7b` and
    /// `0x5b`, `}` and `]` are `0x7d` and `0x5d`: one compare each after setting bit 5).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn json_masks32(x: __m256i) -> (u64, u64, u64) {
        let q = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'"' as i8));
        let bs = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\\' as i8));
        let f = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
        let br = _mm256_or_si256(
            _mm256_cmpeq_epi8(f, _mm256_set1_epi8(0x7b)),
            _mm256_cmpeq_epi8(f, _mm256_set1_epi8(0x7d)),
        );
        (
            u64::from(_mm256_movemask_epi8(q) as u32),
            u64::from(_mm256_movemask_epi8(bs) as u32),
            u64::from(_mm256_movemask_epi8(br) as u32),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn json_classify_avx2(b: &[u8; 64]) -> JsonMasks {
        // SAFETY: `b` is 64 bytes: the loads at 0 and 32 read 32 bytes each inside it; `loadu`
        // has no alignment requirement.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(b.as_ptr().cast()),
                _mm256_loadu_si256(b.as_ptr().add(32).cast()),
            )
        };
        let (q0, b0, k0) = json_masks32(lo);
        let (q1, b1, k1) = json_masks32(hi);
        JsonMasks {
            quote: q0 | q1 << 32,
            backslash: b0 | b1 << 32,
            bracket: k0 | k1 << 32,
        }
    }

    /// The JSON masks of 16 bytes, as `json_masks32`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn json_masks16(x: __m128i) -> (u64, u64, u64) {
        let q = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let bs = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        let f = _mm_or_si128(x, _mm_set1_epi8(0x20));
        let br = _mm_or_si128(
            _mm_cmpeq_epi8(f, _mm_set1_epi8(0x7b)),
            _mm_cmpeq_epi8(f, _mm_set1_epi8(0x7d)),
        );
        (
            u64::from(_mm_movemask_epi8(q) as u32),
            u64::from(_mm_movemask_epi8(bs) as u32),
            u64::from(_mm_movemask_epi8(br) as u32),
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn json_classify_sse2(b: &[u8; 64]) -> JsonMasks {
        let mut m = JsonMasks {
            quote: 0,
            backslash: 0,
            bracket: 0,
        };
        for k in 0..4 {
            // SAFETY: `b` is 64 bytes and `k < 4`: the 16 bytes at `16 * k` are inside it.
            let x = unsafe { _mm_loadu_si128(b.as_ptr().add(16 * k).cast()) };
            let (q, bs, br) = json_masks16(x);
            m.quote |= q << (16 * k);
            m.backslash |= bs << (16 * k);
            m.bracket |= br << (16 * k);
        }
        m
    }

    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn json_avx2(n: &mut Nesting, s: &[u8]) -> Result<Option<usize>, PeerError> {
        if has_pclmulqdq() {
            // SAFETY: the CPU has AVX2 (this function's contract) and PCLMULQDQ (just checked).
            unsafe { json_avx2_clmul(n, s) }
        } else {
            json_blocks(n, s, |b| json_classify_avx2(b), prefix_xor)
        }
    }

    /// `json_avx2` with the prefix XOR as one carry-less multiply by all ones (bit `i` of the
    /// product is the XOR of bits `0..=i`): 3 instructions instead of 12.
    ///
    /// # Safety
    /// The CPU has AVX2 and PCLMULQDQ.
    #[target_feature(enable = "avx2,pclmulqdq")]
    unsafe fn json_avx2_clmul(n: &mut Nesting, s: &[u8]) -> Result<Option<usize>, PeerError> {
        json_blocks(n, s, |b| json_classify_avx2(b), |x| prefix_xor_clmul(x))
    }

    #[inline]
    #[target_feature(enable = "sse2,pclmulqdq")]
    fn prefix_xor_clmul(x: u64) -> u64 {
        let p = _mm_clmulepi64_si128::<0>(_mm_cvtsi64_si128(x as i64), _mm_set1_epi8(-1));
        _mm_cvtsi128_si64(p) as u64
    }

    #[cfg(feature = "std")]
    fn has_pclmulqdq() -> bool {
        std::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(not(feature = "std"))]
    fn has_pclmulqdq() -> bool {
        cfg!(target_feature = "pclmulqdq")
    }

    /// # Safety
    /// The CPU has SSE2 (always true on x86-64).
    #[target_feature(enable = "sse2")]
    pub(super) unsafe fn json_sse2(n: &mut Nesting, s: &[u8]) -> Result<Option<usize>, PeerError> {
        json_blocks(n, s, |b| json_classify_sse2(b), prefix_xor)
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon {
    use core::arch::aarch64::*;

    use super::{json_blocks, prefix_xor, JsonMasks, NIBBLE_HI, NIBBLE_LO};
    use crate::chars;
    use crate::json::Nesting;
    use crate::PeerError;

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

    /// One bit per byte of four 0x00/0xFF byte masks, as one `u64` (byte `i` of `m[k]` is bit
    /// `16 * k + i`): each byte keeps its own bit of its half, then three pairwise additions
    /// gather the 64 bytes into 8.
    #[inline]
    #[target_feature(enable = "neon")]
    fn bits64(m: [uint8x16_t; 4]) -> u64 {
        const W: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
        // SAFETY: `W` is 16 bytes.
        let w = unsafe { vld1q_u8(W.as_ptr()) };
        let [a, b, c, d] = m;
        let ab = vpaddq_u8(vandq_u8(a, w), vandq_u8(b, w));
        let cd = vpaddq_u8(vandq_u8(c, w), vandq_u8(d, w));
        let all = vpaddq_u8(ab, cd);
        vgetq_lane_u64::<0>(vreinterpretq_u64_u8(vpaddq_u8(all, all)))
    }

    #[inline]
    #[target_feature(enable = "neon")]
    fn json_classify(b: &[u8; 64]) -> JsonMasks {
        // SAFETY: `b` is 64 bytes: the four loads of 16 bytes at 0, 16, 32, 48 are inside it.
        let x = unsafe {
            [
                vld1q_u8(b.as_ptr()),
                vld1q_u8(b.as_ptr().add(16)),
                vld1q_u8(b.as_ptr().add(32)),
                vld1q_u8(b.as_ptr().add(48)),
            ]
        };
        let eq = |c: u8| x.map(|v| vceqq_u8(v, vdupq_n_u8(c)));
        let br = x.map(|v| {
            let f = vorrq_u8(v, vdupq_n_u8(0x20));
            vorrq_u8(vceqq_u8(f, vdupq_n_u8(0x7b)), vceqq_u8(f, vdupq_n_u8(0x7d)))
        });
        JsonMasks {
            quote: bits64(eq(b'"')),
            backslash: bits64(eq(b'\\')),
            bracket: bits64(br),
        }
    }

    #[target_feature(enable = "neon")]
    pub(super) fn json(n: &mut Nesting, s: &[u8]) -> Result<Option<usize>, PeerError> {
        json_blocks(n, s, |b| json_classify(b), prefix_xor)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::boxed::Box;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

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

    type JsonScan<'a> = Box<dyn Fn(&mut Nesting, &[u8]) -> Result<Option<usize>, PeerError> + 'a>;

    /// Every JSON message scan to compare with the reference: each available path, and the
    /// shared block scan fed by the byte-by-byte masks (what Miri runs of the block scan).
    fn json_scans() -> Vec<(String, JsonScan<'static>)> {
        let (paths, n) = available();
        let mut out: Vec<(String, JsonScan<'static>)> = paths[..n]
            .iter()
            .map(|&p| {
                let f: JsonScan<'static> =
                    Box::new(move |n: &mut Nesting, s: &[u8]| json_scan_on(p, n, s).unwrap());
                (format!("{p:?}"), f)
            })
            .collect();
        out.push((
            "blocks/bytes".into(),
            Box::new(|n: &mut Nesting, s: &[u8]| json_blocks(n, s, classify_bytes, prefix_xor)),
        ));
        out
    }

    /// Feeds `s` in pieces cut at `cuts` (ascending) to the reference and to `f`, the rest of
    /// a piece after a message end included, and requires the same result and the same state
    /// after every call. Returns the reference's results.
    fn json_same(name: &str, f: &JsonScan<'_>, s: &[u8], cuts: &[usize]) -> usize {
        let mut want = Nesting::new();
        let mut got = Nesting::new();
        let mut from = 0;
        let mut ends = 0;
        for &to in cuts.iter().chain(core::iter::once(&s.len())) {
            let mut piece = &s[from..to.max(from)];
            from = to.max(from);
            loop {
                let w = want.scan(piece);
                let g = f(&mut got, piece);
                assert_eq!(g, w, "{name}: result on {:?}", String::from_utf8_lossy(s));
                if w.is_err() {
                    return ends;
                }
                assert_eq!(
                    got,
                    want,
                    "{name}: state on {:?}",
                    String::from_utf8_lossy(s)
                );
                match w {
                    Ok(Some(k)) if k < piece.len() => {
                        ends += 1;
                        piece = &piece[k..];
                    }
                    Ok(Some(_)) => {
                        ends += 1;
                        break;
                    }
                    _ => break,
                }
            }
        }
        ends
    }

    /// Backslash runs of every length up to 6 ending at every offset around the 16-, 32-, 48-
    /// and 64-byte edges (and the second block's), followed by a quote, a plain byte, a
    /// bracket or one more backslash; then brackets inside strings and a nested message.
    #[test]
    fn json_escapes_at_block_edges() {
        let scans = json_scans();
        let max = if cfg!(miri) { 70 } else { 140 };
        for pre in 0..max {
            if cfg!(miri) && pre % 16 > 1 && pre % 16 < 15 {
                continue;
            }
            for run in 0..=6 {
                for next in [b'"', b'x', b'}', b'\\'] {
                    if cfg!(miri) && (run > 3 || next == b'}') {
                        continue;
                    }
                    let mut s = b"{\"a\":\"".to_vec();
                    s.resize(s.len() + pre, b'x');
                    s.resize(s.len() + run, b'\\');
                    s.push(next);
                    s.extend_from_slice(b"\",\"b\":[\"]\",{\"c\":\"}\\\\\"}],\"d\":\"[\"}");
                    s.extend_from_slice(b"[{\"e\":[1,2,{}]}]");
                    s.resize(s.len() + 70, b' ');
                    let cuts: &[usize] = if cfg!(miri) {
                        &[]
                    } else {
                        &[1, 17, 63, 65, 100]
                    };
                    for (name, f) in &scans {
                        json_same(name, f, &s, &[]);
                        json_same(name, f, &s, cuts);
                    }
                }
            }
        }
    }

    /// Quotes at every offset of a block: a string opening or closing on an edge, an escaped
    /// quote on an edge, brackets right before and after.
    #[test]
    fn json_quotes_at_block_edges() {
        let scans = json_scans();
        let max = if cfg!(miri) { 66 } else { 130 };
        for at in 1..max {
            for kind in 0..4 {
                let mut s = vec![b'['];
                s.resize(at, b' ');
                match kind {
                    0 => s.extend_from_slice(b"\"]\""),
                    1 => s.extend_from_slice(b"\"\\\"]\""),
                    2 => s.extend_from_slice(b"{}\"}{\"[]"),
                    _ => s.extend_from_slice(b"\"\\\\\"]"),
                }
                s.resize(s.len() + 70, b'x');
                s.extend_from_slice(b"\"]\"]]]");
                s.resize(s.len() + 64, b' ');
                for (name, f) in &scans {
                    json_same(name, f, &s, &[]);
                }
            }
        }
    }

    /// Nesting to the limit and one beyond, with strings holding brackets in between, the
    /// deepest bracket at every offset of a block; and mismatched closers.
    #[test]
    fn json_depth_limit_and_mismatch() {
        let scans = json_scans();
        for depth in [63usize, 64, 65] {
            for pad in 0..if cfg!(miri) { 3 } else { 70 } {
                let mut s = Vec::new();
                for k in 0..depth {
                    s.push(if k % 2 == 0 { b'[' } else { b'{' });
                    if k == 0 {
                        s.push(b'"');
                        s.resize(s.len() + pad, b'[');
                        s.push(b'"');
                    }
                    s.extend_from_slice(if k % 2 == 0 { b"\"{[\"," } else { b"\"]}\":" });
                }
                for k in (0..depth).rev() {
                    s.push(if k % 2 == 0 { b']' } else { b'}' });
                }
                s.resize(s.len() + 64, b' ');
                let mut bad = s.clone();
                let last = bad.iter().rposition(|&c| c == b']' || c == b'}').unwrap();
                bad[last - 1] = if bad[last - 1] == b']' { b'}' } else { b']' };
                for (name, f) in &scans {
                    json_same(name, f, &s, &[]);
                    json_same(name, f, &bad, &[]);
                    json_same(name, f, &s, &[s.len() / 2]);
                }
            }
        }
    }

    /// A tiny xorshift generator (tests only).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Random byte soups of the splitter's alphabet (quotes, backslash runs, brackets, plain
    /// bytes, whitespace), whole and cut at random points, on every scan.
    #[test]
    fn json_random_soups() {
        let scans = json_scans();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        const ALPHABET: &[u8] = b"\"\"\"\\\\\\{[}]aaaaaa \n";
        for _ in 0..if cfg!(miri) { 30 } else { 4000 } {
            let len = rng.below(300);
            let mut s = vec![if rng.below(2) == 0 { b'{' } else { b'[' }];
            s.extend((0..len).map(|_| ALPHABET[rng.below(ALPHABET.len())]));
            let mut cuts: Vec<usize> = (0..rng.below(4)).map(|_| rng.below(s.len() + 1)).collect();
            cuts.sort_unstable();
            for (name, f) in &scans {
                json_same(name, f, &s, &[]);
                json_same(name, f, &s, &cuts);
            }
        }
    }

    /// Random well-formed messages (nested objects and arrays, strings with escapes and
    /// brackets), back to back: every scan finds the same ends.
    #[test]
    fn json_random_messages() {
        fn value(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
            match if depth > 6 {
                2 + rng.below(2)
            } else {
                rng.below(4)
            } {
                0 | 1 => {
                    let (open, close) = if rng.below(2) == 0 {
                        (b'{', b'}')
                    } else {
                        (b'[', b']')
                    };
                    out.push(open);
                    for k in 0..rng.below(5) {
                        if k > 0 {
                            out.push(b',');
                        }
                        if open == b'{' {
                            string(rng, out);
                            out.push(b':');
                        }
                        value(rng, depth + 1, out);
                    }
                    out.push(close);
                }
                2 => string(rng, out),
                _ => out.extend_from_slice(b"12345"),
            }
        }
        fn string(rng: &mut Rng, out: &mut Vec<u8>) {
            out.push(b'"');
            for _ in 0..rng.below(40) {
                match rng.below(10) {
                    0 => out.extend_from_slice(b"\\\""),
                    1 => out.extend_from_slice(b"\\\\"),
                    2 => out.extend_from_slice(b"{]"),
                    _ => out.push(b'a' + rng.below(26) as u8),
                }
            }
            out.push(b'"');
        }
        let scans = json_scans();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..if cfg!(miri) { 10 } else { 500 } {
            let mut s = Vec::new();
            let count = 1 + rng.below(4);
            for _ in 0..count {
                let before = s.len();
                value(&mut rng, 1, &mut s);
                if !matches!(s[before], b'{' | b'[') {
                    s.truncate(before);
                    s.extend_from_slice(b"{}");
                }
            }
            let mut cuts: Vec<usize> = (0..rng.below(4)).map(|_| rng.below(s.len() + 1)).collect();
            cuts.sort_unstable();
            for (name, f) in &scans {
                assert_eq!(json_same(name, f, &s, &[]), count, "{name}");
                json_same(name, f, &s, &cuts);
            }
        }
    }

    /// The escape rule alone, against the definition: every 16-bit pattern of backslashes
    /// (repeated over the block) with both carries in.
    #[test]
    fn escaped_matches_the_odd_run_rule() {
        let step = if cfg!(miri) { 251 } else { 1 };
        for pattern in (0u32..=0xffff).step_by(step) {
            let bs = u64::from(pattern) * 0x0001_0001_0001_0001;
            for carry_in in [0u64, 1] {
                let mut carry = carry_in;
                let got = escaped(bs, &mut carry);
                let mut want = 0u64;
                let mut esc = carry_in == 1;
                for i in 0..64 {
                    let is_bs = bs >> i & 1 == 1;
                    if esc {
                        want |= 1 << i;
                        esc = false;
                    } else if is_bs {
                        esc = true;
                    }
                }
                assert_eq!(got, want, "{bs:#x} carry {carry_in}");
                assert_eq!(carry, u64::from(esc), "{bs:#x} carry {carry_in}");
            }
        }
    }
}
