//! Framing a request body: [`BodyEncoder`] and the [`ChunkFrame`] around each piece.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::{misuse, CHUNKED_END};
use crate::num::format_u64;
use crate::{Error, MisuseError};

/// Frames a request body after the head and checks it against the declared framing.
///
/// Get one from [`RequestSpec::body_encoder`](super::RequestSpec::body_encoder) (or [`none`](Self::none),
/// [`length`](Self::length), [`chunked`](Self::chunked)). For each piece of body data call
/// [`frame`](Self::frame) and send `prefix`, the data, and `suffix`; at the end call
/// [`finish`](Self::finish) and send what it returns. A call that returns an error leaves the
/// encoder unchanged.
///
/// # Examples
///
/// ```
/// use docksock_proto::encode::BodyEncoder;
///
/// let mut body = BodyEncoder::chunked();
/// let frame = body.frame(300)?;
/// assert_eq!(frame.prefix(), b"12c\r\n");
/// assert_eq!(frame.suffix(), b"\r\n");
/// // An empty write emits nothing: a zero-size chunk would end the body.
/// assert!(body.frame(0)?.prefix().is_empty());
/// assert_eq!(body.finish()?, b"0\r\n\r\n");
///
/// let mut fixed = BodyEncoder::length(5);
/// fixed.frame(3)?;
/// assert!(fixed.frame(3).is_err()); // more than declared
/// assert!(fixed.finish().is_err()); // 2 bytes still owed
/// # Ok::<(), docksock_proto::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyEncoder {
    kind: Framing,
    finished: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length { remaining: u64 },
    Chunked,
}

impl BodyEncoder {
    /// For a request without a body: only empty writes are accepted.
    pub const fn none() -> Self {
        BodyEncoder {
            kind: Framing::None,
            finished: false,
        }
    }

    /// For a `Content-Length: n` body: exactly `n` bytes, written as they are.
    pub const fn length(n: u64) -> Self {
        BodyEncoder {
            kind: Framing::Length { remaining: n },
            finished: false,
        }
    }

    /// For a `Transfer-Encoding: chunked` body.
    pub const fn chunked() -> Self {
        BodyEncoder {
            kind: Framing::Chunked,
            finished: false,
        }
    }

    /// For a `Content-Length` body, the bytes still owed; `None` for other framings.
    pub const fn remaining(&self) -> Option<u64> {
        match self.kind {
            Framing::Length { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// True once [`finish`](Self::finish) has succeeded.
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    /// Frames one piece of body data of `len` bytes: send the frame's
    /// [`prefix`](ChunkFrame::prefix), the data, then its [`suffix`](ChunkFrame::suffix).
    ///
    /// For a chunked body the prefix is the size in lowercase hex and CRLF, the suffix CRLF; an
    /// empty piece gets an empty prefix and suffix (nothing is sent), since a zero-size chunk
    /// would end the body. For a `Content-Length` body both are empty and `len` is counted
    /// against the declared length.
    ///
    /// # Errors
    ///
    /// [`MisuseError::BodyLengthMismatch`] when `len` exceeds the bytes still owed to a
    /// `Content-Length` body; [`MisuseError::BodyNotExpected`] for a non-empty piece without a
    /// body, or any call after [`finish`](Self::finish).
    pub fn frame(&mut self, len: usize) -> Result<ChunkFrame, Error> {
        if self.finished {
            return Err(misuse(MisuseError::BodyNotExpected));
        }
        match &mut self.kind {
            Framing::None if len == 0 => Ok(ChunkFrame::EMPTY),
            Framing::None => Err(misuse(MisuseError::BodyNotExpected)),
            Framing::Length { remaining } => {
                let len = u64::try_from(len).unwrap_or(u64::MAX);
                match remaining.checked_sub(len) {
                    Some(left) => {
                        *remaining = left;
                        Ok(ChunkFrame::EMPTY)
                    }
                    None => Err(misuse(MisuseError::BodyLengthMismatch)),
                }
            }
            Framing::Chunked if len == 0 => Ok(ChunkFrame::EMPTY),
            Framing::Chunked => Ok(ChunkFrame::chunk(len)),
        }
    }

    /// Ends the body and returns the bytes to send last: `0\r\n\r\n` for a chunked body,
    /// nothing otherwise.
    ///
    /// # Errors
    ///
    /// [`MisuseError::BodyLengthMismatch`] when a `Content-Length` body still owes bytes (the
    /// encoder stays open); [`MisuseError::BodyNotExpected`] when the body was already finished.
    pub fn finish(&mut self) -> Result<&'static [u8], Error> {
        if self.finished {
            return Err(misuse(MisuseError::BodyNotExpected));
        }
        let end: &'static [u8] = match self.kind {
            Framing::None => b"",
            Framing::Length { remaining: 0 } => b"",
            Framing::Length { .. } => return Err(misuse(MisuseError::BodyLengthMismatch)),
            Framing::Chunked => CHUNKED_END,
        };
        self.finished = true;
        Ok(end)
    }

    /// Appends one framed piece (prefix, `data`, suffix) to `out`.
    ///
    /// # Errors
    ///
    /// As [`frame`](Self::frame); `out` is unchanged then.
    #[cfg(feature = "alloc")]
    pub fn write_vec(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let frame = self.frame(data.len())?;
        out.reserve(frame.overhead().saturating_add(data.len()));
        out.extend_from_slice(frame.prefix());
        out.extend_from_slice(data);
        out.extend_from_slice(frame.suffix());
        Ok(())
    }
}

/// The framing around one piece of body data, from [`BodyEncoder::frame`]. It is stored inline
/// (no allocation): the prefix is at most 18 bytes (16 hex digits and CRLF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkFrame {
    prefix: [u8; 18],
    prefix_len: u8,
    suffix: &'static [u8],
}

impl ChunkFrame {
    const EMPTY: ChunkFrame = ChunkFrame {
        prefix: [0; 18],
        prefix_len: 0,
        suffix: b"",
    };

    /// A chunk header for `len` (> 0) data bytes.
    fn chunk(len: usize) -> Self {
        let mut digits = [0u8; 20];
        let hex = format_u64(u64::try_from(len).unwrap_or(u64::MAX), 16, &mut digits);
        let mut prefix = [0u8; 18];
        let mut n = 0usize;
        for (slot, &b) in prefix.iter_mut().zip(hex.iter().chain(b"\r\n")) {
            *slot = b;
            n += 1;
        }
        ChunkFrame {
            prefix,
            prefix_len: u8::try_from(n).unwrap_or(0),
            suffix: b"\r\n",
        }
    }

    /// The bytes to send before the data (empty for a `Content-Length` body or an empty piece).
    pub fn prefix(&self) -> &[u8] {
        self.prefix
            .get(..usize::from(self.prefix_len))
            .unwrap_or(&[])
    }

    /// The bytes to send after the data: CRLF for a chunk, otherwise empty.
    pub const fn suffix(&self) -> &'static [u8] {
        self.suffix
    }

    /// The framing bytes added around the data: prefix plus suffix length.
    pub fn overhead(&self) -> usize {
        self.prefix().len() + self.suffix.len()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn chunk_prefix_max() {
        let f = ChunkFrame::chunk(usize::MAX);
        assert_eq!(f.prefix().len(), 2 * core::mem::size_of::<usize>() + 2);
        assert!(f.prefix().ends_with(b"\r\n"));
    }
}
