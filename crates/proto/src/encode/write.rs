//! Where an encoded head goes (a counter, a slice, a `Vec`) and the writers of its pieces.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::chars::{is_unreserved, HEX_UPPER};

/// Where the head goes: a counter, a slice or a `Vec`.
pub(super) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// Counts bytes (saturating, so a huge input cannot wrap around the size cap).
pub(super) struct Counter(pub(super) usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

/// Writes into a slice; records an overflow instead of panicking.
pub(super) struct SliceSink<'b> {
    pub(super) buf: &'b mut [u8],
    pub(super) pos: usize,
    pub(super) overflow: bool,
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.checked_add(bytes.len());
        match end.and_then(|end| self.buf.get_mut(self.pos..end)) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.pos += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

#[cfg(feature = "alloc")]
pub(super) struct VecSink<'v>(pub(super) &'v mut Vec<u8>);

#[cfg(feature = "alloc")]
impl Sink for VecSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Writes `name: value\r\n` (`name:\r\n` for an empty value).
pub(super) fn put_header<S: Sink>(sink: &mut S, name: &str, value: &str) {
    sink.put(name.as_bytes());
    sink.put(b":");
    if !value.is_empty() {
        sink.put(b" ");
        sink.put(value.as_bytes());
    }
    sink.put(b"\r\n");
}

/// Percent-encodes every byte outside RFC 3986 `unreserved` and `keep`, in uppercase hex.
pub(super) fn percent_encode<S: Sink>(mut s: &[u8], keep: &[u8], sink: &mut S) {
    let literal = |b: &u8| is_unreserved(*b) || keep.contains(b);
    while !s.is_empty() {
        let run = s.iter().take_while(|b| literal(b)).count();
        // `run <= s.len()` always; `get` instead of `split_at` links no panic path.
        let (plain, rest) = (s.get(..run).unwrap_or(s), s.get(run..).unwrap_or(b""));
        if !plain.is_empty() {
            sink.put(plain);
        }
        if let Some((&b, rest)) = rest.split_first() {
            let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX_UPPER.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
            sink.put(&[b'%', hi, lo]);
            s = rest;
        } else {
            s = rest;
        }
    }
}
