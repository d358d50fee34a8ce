//! Split points: how a fuzz input says where the transport cuts the bytes.
//!
//! A target's input starts with a count byte and that many *piece-length* bytes, cycled over the
//! payload: `[1]` feeds byte by byte, `[0, 3]` alternates an empty read with a 3-byte read, no
//! bytes at all feeds the payload whole. An all-zero spec (only empty reads) is taken as "whole"
//! so that feeding always makes progress.

/// Reads `count` (mod 8) then that many spec bytes from the front of `data`. Returns the spec
/// and the rest (the payload). Short inputs give an empty spec.
pub fn take_spec(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return (&[], &[]);
    };
    let n = usize::from(count % 8).min(rest.len());
    rest.split_at(n)
}

/// The piece lengths for a payload of `len` bytes under `spec`; they sum to `len`. There is
/// always at least one piece (an empty one for an empty payload).
pub fn pieces(spec: &[u8], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if spec.iter().all(|&b| b == 0) {
        out.push(len);
        return out;
    }
    let mut done = 0usize;
    let mut i = 0usize;
    while done < len {
        let want = usize::from(spec[i % spec.len()]);
        let take = want.min(len - done);
        out.push(take);
        done += take;
        i += 1;
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// True when `inner` lies within `outer` (pointer ranges), the zero-copy promise of the core.
pub fn within(inner: &[u8], outer: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    if inner.is_empty() {
        // An empty slice may point anywhere (a static `b""`); nothing borrowed then.
        return true;
    }
    i.start >= o.start && i.end <= o.end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_payload() {
        assert_eq!(pieces(&[], 5), vec![5]);
        assert_eq!(pieces(&[0, 0], 5), vec![5]);
        assert_eq!(pieces(&[1], 3), vec![1, 1, 1]);
        assert_eq!(pieces(&[0, 2], 3), vec![0, 2, 0, 1]);
        assert_eq!(pieces(&[4], 0), vec![0]);
        assert_eq!(take_spec(&[2, 9, 8, 7]), (&[9u8, 8][..], &[7u8][..]));
        assert_eq!(take_spec(&[9, 1, 2]), (&[1u8][..], &[2u8][..]));
    }
}
