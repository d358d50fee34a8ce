//! Test-only helpers of the stream-format tests: HTTP framing of recordings, and splitting a
//! byte string into pieces (every two-way split of small inputs, pseudo-random cuts).

#![allow(dead_code)]

use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Test-only helpers: HTTP framing, splitting.
// ---------------------------------------------------------------------------------------------

/// The body of a recorded HTTP response: after the head, de-chunked if chunked, cut to
/// Content-Length if present, else everything (close-delimited or upgraded). Test-only and
/// trusting: the real decoder lives elsewhere.
pub(crate) fn http_body(resp: &[u8]) -> Vec<u8> {
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head end");
    let head = String::from_utf8_lossy(&resp[..end]).to_ascii_lowercase();
    let mut rest = &resp[end + 4..];
    if head.contains("\r\ntransfer-encoding: chunked") {
        let mut out = Vec::new();
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").expect("size");
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap(), 16)
                .expect("hex size");
            rest = &rest[eol + 2..];
            if size == 0 {
                return out;
            }
            out.extend_from_slice(&rest[..size]);
            assert_eq!(&rest[size..size + 2], b"\r\n");
            rest = &rest[size + 2..];
        }
    }
    if let Some(i) = head.find("\r\ncontent-length: ") {
        let v = &head[i + 18..];
        let n: usize = v[..v.find("\r\n").unwrap_or(v.len())].parse().unwrap();
        return rest[..n].to_vec();
    }
    rest.to_vec()
}

/// A small deterministic PRNG (xorshift64*) for reproducible random splits.
pub(crate) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Cuts `data` at the sorted, deduplicated `cuts` (positions beyond the end are dropped).
pub(crate) fn pieces_at<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c <= data.len()).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        out.push(&data[prev..c]);
        prev = c;
    }
    out.push(&data[prev..]);
    out
}

/// The ways each vector is split: whole, byte by byte, every two-way split (for vectors up to
/// `exhaustive_limit` bytes), and `random` random splittings with pieces of varied sizes.
pub(crate) fn splittings(data: &[u8], exhaustive_limit: usize, random: usize) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![data], data.chunks(1).collect()];
    if data.len() <= exhaustive_limit {
        for c in 0..=data.len() {
            all.push(pieces_at(data, &[c]));
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ data.len() as u64);
    for i in 0..random {
        let n = 1 + rng.below(1 + data.len().min(64));
        let cuts: Vec<usize> = (0..n).map(|_| rng.below(data.len() + 1)).collect();
        let mut p = pieces_at(data, &cuts);
        if i % 3 == 0 {
            // Empty inputs in between must change nothing.
            p.insert(p.len() / 2, &[]);
        }
        all.push(p);
    }
    all
}

// ---------------------------------------------------------------------------------------------
// stdcopy
// ---------------------------------------------------------------------------------------------

pub(crate) fn arb_cuts() -> impl Strategy<Value = Vec<prop::sample::Index>> {
    prop::collection::vec(any::<prop::sample::Index>(), 0..16)
}

pub(crate) fn cuts_for(len: usize, idx: &[prop::sample::Index]) -> Vec<usize> {
    idx.iter().map(|i| i.index(len + 1)).collect()
}
