//! The chunked transfer coding (RFC 9112 §7.1), decoded strictly and zero-copy.

use crate::chars::{is_field_value_byte, is_ows, is_tchar};
use crate::decode::Limits;
use crate::error::{Error, PeerError};
use crate::head::{FieldReader, Headers};

/// One step of chunked decoding; slices borrow the caller's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ChunkedEvent<'a> {
    /// All input was used (possibly some framing bytes); call again with more.
    NeedMore,
    /// Body data: always the last bytes of what the call consumed
    /// (`data == &input[consumed - data.len()..consumed]`).
    Data(&'a [u8]),
    /// The trailer section (only when it has at least one field).
    Trailers(Headers<'a>),
    /// The last chunk and the trailer section are complete.
    End,
}

/// Decodes a chunked body: sizes in hex (overflow checked, no sign, no `0x`), extensions
/// validated against their grammar and ignored (their total size capped per message), data
/// followed by exactly CRLF, trailers parsed like headers and capped.
///
/// Drive it with [`decode`](Self::decode): pass the unconsumed input, drop the `consumed`
/// bytes it reports, repeat until [`ChunkedEvent::End`]. While the trailer section is
/// incomplete, `consumed` stops at its start: present those bytes again with more appended.
///
/// ```
/// use docksock_proto::{ChunkedDecoder, ChunkedEvent, Limits};
/// let mut dec = ChunkedDecoder::new(&Limits::default());
/// let mut input: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
/// let mut body = Vec::new();
/// loop {
///     let (used, event) = dec.decode(input).unwrap();
///     input = &input[used..];
///     match event {
///         ChunkedEvent::Data(d) => body.extend_from_slice(d),
///         ChunkedEvent::End => break,
///         _ => {}
///     }
/// }
/// assert_eq!(body, b"hello");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
    /// The trailer section's progress (in `State::Trailers`), kept out of `State` so that the
    /// states of the steady path stay small.
    trailers: FieldReader,
    /// The error of `State::Failed`, returned again by every later call.
    error: PeerError,
    ext_bytes: usize,
    max_ext_bytes: usize,
    max_trailer_bytes: usize,
    max_trailers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits; `digits` tells whether there was at least one.
    Size {
        value: u64,
        digits: bool,
    },
    /// After the size or an extension: BWS, then `;` or CR.
    AfterSize {
        value: u64,
        ws: bool,
    },
    /// After `;`: BWS, then an extension name.
    ExtNameStart {
        value: u64,
    },
    ExtName {
        value: u64,
    },
    /// After a name: BWS, then `=`, `;` or CR.
    AfterExtName {
        value: u64,
        ws: bool,
    },
    /// After `=`: BWS, then a token or quoted string.
    ExtValueStart {
        value: u64,
    },
    ExtToken {
        value: u64,
    },
    ExtQuoted {
        value: u64,
    },
    ExtQuotedEscape {
        value: u64,
    },
    /// The CR of the size line was seen.
    SizeLf {
        value: u64,
    },
    Data {
        remaining: u64,
    },
    DataCr,
    DataLf,
    /// Reading the trailer section (`ChunkedDecoder::trailers`).
    Trailers,
    Done,
    /// Failed with `ChunkedDecoder::error`.
    Failed,
}

impl ChunkedDecoder {
    /// A decoder for one chunked body with the chunk-extension and trailer limits of `limits`.
    pub const fn new(limits: &Limits) -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: false,
            },
            trailers: FieldReader::new(),
            error: PeerError::InvalidChunkSize,
            ext_bytes: 0,
            max_ext_bytes: limits.max_chunk_ext_bytes,
            max_trailer_bytes: limits.max_trailer_bytes,
            max_trailers: limits.max_trailers,
        }
    }

    /// True once the last chunk and trailers were decoded.
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Decodes from `input` and returns how many bytes were used and what they held.
    ///
    /// Errors are [`Error::Peer`] framing violations; after one, every call returns it again.
    #[inline]
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, ChunkedEvent<'a>), Error> {
        // The steady state of dockerd's framing in one step: the CRLF after the last chunk's
        // data, a plain size line (`HEXDIG+ CRLF`), and this chunk's data. Anything else goes
        // to the byte machine in `step`, which takes over from the same state.
        if let (State::DataCr, [b'\r', b'\n', rest @ ..]) = (self.state, input) {
            if let Some((size, line)) = plain_size_line(rest) {
                let start = 2 + line;
                let avail = input.len() - start;
                let n = usize::try_from(size).map_or(avail, |s| s.min(avail));
                if let (true, Some(data)) = (size != 0 && n != 0, input.get(start..start + n)) {
                    let remaining = size - n as u64;
                    if remaining != 0 {
                        self.state = State::Data { remaining };
                    }
                    return Ok((start + n, ChunkedEvent::Data(data)));
                }
            }
        }
        self.decode_slow(input)
    }

    /// Everything but the steady state: the byte machine, trailers, the end, errors.
    #[inline(never)]
    fn decode_slow<'a>(&mut self, input: &'a [u8]) -> Result<(usize, ChunkedEvent<'a>), Error> {
        if let State::Failed = self.state {
            return Err(Error::Peer(self.error));
        }
        self.step(input).map_err(|e| {
            self.error = e;
            self.state = State::Failed;
            Error::Peer(e)
        })
    }

    fn count_ext(&mut self, n: usize) -> Result<(), PeerError> {
        self.ext_bytes = self.ext_bytes.saturating_add(n);
        if self.ext_bytes > self.max_ext_bytes {
            Err(PeerError::ChunkExtensionsTooLarge)
        } else {
            Ok(())
        }
    }

    fn step<'a>(&mut self, input: &'a [u8]) -> Result<(usize, ChunkedEvent<'a>), PeerError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Data { remaining } => {
                    let avail = input.len() - pos;
                    if avail == 0 {
                        return Ok((pos, ChunkedEvent::NeedMore));
                    }
                    let n = usize::try_from(remaining).map_or(avail, |r| r.min(avail));
                    let data = input.get(pos..pos + n).unwrap_or(b""); // ok: n <= avail
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataCr
                    } else {
                        State::Data { remaining }
                    };
                    return Ok((pos + n, ChunkedEvent::Data(data)));
                }
                State::Trailers => {
                    // Nothing past the limit is looked at: the verdict cannot depend on splits.
                    let all = input.get(pos..).unwrap_or(b"");
                    let section = all.get(..self.max_trailer_bytes).unwrap_or(all);
                    let end = self.trailers.read(
                        section,
                        self.max_trailers,
                        PeerError::TooManyTrailers,
                        None,
                    )?;
                    let Some(end) = end else {
                        if section.len() >= self.max_trailer_bytes {
                            return Err(PeerError::TrailersTooLarge);
                        }
                        return Ok((pos, ChunkedEvent::NeedMore));
                    };
                    self.state = State::Done;
                    let fields = section.get(..end - 2).unwrap_or(b""); // ok: ends in CRLF
                    return Ok(match self.trailers.count() {
                        0 => (pos + end, ChunkedEvent::End),
                        n => (pos + end, ChunkedEvent::Trailers(Headers::new(fields, n))),
                    });
                }
                // Fast paths for the plain framing dockerd writes (`HEXDIG+ CRLF`, data, CRLF);
                // anything else falls through to the byte machine below.
                State::Size {
                    value: 0,
                    digits: false,
                } => {
                    if let Some((value, used)) = plain_size_line(input.get(pos..).unwrap_or(b"")) {
                        pos += used;
                        self.state = if value == 0 {
                            State::Trailers
                        } else {
                            State::Data { remaining: value }
                        };
                        continue;
                    }
                }
                State::DataCr if input.get(pos..pos + 2) == Some(b"\r\n") => {
                    pos += 2;
                    self.state = State::Size {
                        value: 0,
                        digits: false,
                    };
                    continue;
                }
                State::Done => return Ok((pos, ChunkedEvent::End)),
                State::Failed => return Ok((pos, ChunkedEvent::NeedMore)),
                _ => {}
            }
            let Some(&b) = input.get(pos) else {
                return Ok((pos, ChunkedEvent::NeedMore));
            };
            pos += 1;
            self.state = self.byte(b)?;
        }
    }

    /// The transition for one byte of a chunk-size line or of the CRLF after chunk data.
    fn byte(&mut self, b: u8) -> Result<State, PeerError> {
        use State::*;
        let bad_ext = PeerError::InvalidChunkExtension;
        Ok(match self.state {
            Size { value, digits } => match hex(b) {
                Some(d) => Size {
                    value: value
                        .checked_mul(16)
                        .and_then(|v| v.checked_add(u64::from(d)))
                        .ok_or(PeerError::ChunkSizeOverflow)?,
                    digits: true,
                },
                None if !digits => return Err(line_error(b, PeerError::InvalidChunkSize)),
                None => self.after_size(value, b, false, PeerError::InvalidChunkSize)?,
            },
            AfterSize { value, ws } => self.after_size(value, b, ws, bad_ext)?,
            ExtNameStart { value } => {
                self.count_ext(1)?;
                match b {
                    _ if is_ows(b) => ExtNameStart { value },
                    _ if is_tchar(b) => ExtName { value },
                    _ => return Err(line_error(b, bad_ext)),
                }
            }
            ExtName { value } => {
                if is_tchar(b) {
                    self.count_ext(1)?;
                    ExtName { value }
                } else {
                    self.after_ext_name(value, b, false)?
                }
            }
            AfterExtName { value, ws } => self.after_ext_name(value, b, ws)?,
            ExtValueStart { value } => {
                self.count_ext(1)?;
                match b {
                    _ if is_ows(b) => ExtValueStart { value },
                    b'"' => ExtQuoted { value },
                    _ if is_tchar(b) => ExtToken { value },
                    _ => return Err(line_error(b, bad_ext)),
                }
            }
            ExtToken { value } => {
                if is_tchar(b) {
                    self.count_ext(1)?;
                    ExtToken { value }
                } else {
                    self.after_size(value, b, false, bad_ext)?
                }
            }
            ExtQuoted { value } => {
                self.count_ext(1)?;
                match b {
                    b'"' => AfterSize { value, ws: false },
                    b'\\' => ExtQuotedEscape { value },
                    b'\r' | b'\n' => return Err(bad_ext),
                    _ if is_field_value_byte(b) => ExtQuoted { value },
                    _ => return Err(bad_ext),
                }
            }
            ExtQuotedEscape { value } => {
                self.count_ext(1)?;
                if is_field_value_byte(b) {
                    ExtQuoted { value }
                } else {
                    return Err(bad_ext);
                }
            }
            SizeLf { value } => match b {
                b'\n' if value == 0 => Trailers,
                b'\n' => Data { remaining: value },
                _ => return Err(PeerError::BareCr),
            },
            DataCr => match b {
                b'\r' => DataLf,
                b'\n' => return Err(PeerError::BareLf),
                _ => return Err(PeerError::InvalidChunkEnd),
            },
            DataLf => match b {
                b'\n' => Size {
                    value: 0,
                    digits: false,
                },
                _ => return Err(PeerError::BareCr),
            },
            // Handled in `step` before a byte is taken.
            Data { .. } | Trailers | Done | Failed => return Err(PeerError::InvalidChunkSize),
        })
    }

    /// After a size or a complete extension: BWS, `;` or CR.
    fn after_size(
        &mut self,
        value: u64,
        b: u8,
        ws: bool,
        other: PeerError,
    ) -> Result<State, PeerError> {
        Ok(match b {
            b'\r' if ws => return Err(other),
            b'\r' => State::SizeLf { value },
            b';' => {
                self.count_ext(1)?;
                State::ExtNameStart { value }
            }
            _ if is_ows(b) => {
                self.count_ext(1)?;
                State::AfterSize { value, ws: true }
            }
            _ => return Err(line_error(b, other)),
        })
    }

    /// After an extension name: BWS, `=`, `;` or CR.
    fn after_ext_name(&mut self, value: u64, b: u8, ws: bool) -> Result<State, PeerError> {
        Ok(match b {
            b'=' => {
                self.count_ext(1)?;
                State::ExtValueStart { value }
            }
            _ if is_ows(b) => {
                self.count_ext(1)?;
                State::AfterExtName { value, ws: true }
            }
            _ => self.after_size(value, b, ws, PeerError::InvalidChunkExtension)?,
        })
    }
}

/// A bad byte in a chunk-size line: an LF there is always a bare LF.
fn line_error(b: u8, other: PeerError) -> PeerError {
    if b == b'\n' {
        PeerError::BareLf
    } else {
        other
    }
}

/// A whole size line of hex digits (at most 16) and CRLF, without extensions: its value and
/// length. `None` for anything else, left to the byte machine.
fn plain_size_line(input: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    let mut i = 0;
    // One table load per byte; 16 digits at most (17 or more: the byte machine checks them).
    while let Some(&d) = HEX_VALUE.get(usize::from(*input.get(i)?)) {
        if d > 15 {
            break;
        }
        if i == 16 {
            return None;
        }
        value = (value << 4) | u64::from(d);
        i += 1;
    }
    if i > 0 && input.get(i..i + 2) == Some(b"\r\n") {
        Some((value, i + 2))
    } else {
        None
    }
}

/// The value of each byte as a hex digit, 0xFF for a byte that is not one.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut b = 0;
    while b < 256 {
        if let Some(d) = hex(b as u8) {
            t[b] = d;
        }
        b += 1;
    }
    t
};

const fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_size_lines() {
        assert_eq!(
            plain_size_line(b"ffffffffffffffff\r\nx"),
            Some((u64::MAX, 18))
        );
        assert_eq!(plain_size_line(b"0000000000000001\r\n"), Some((1, 18)));
        assert_eq!(plain_size_line(b"10000000000000000\r\n"), None);
        assert_eq!(plain_size_line(b"aF09\r\n"), Some((0xaf09, 6)));
        assert_eq!(plain_size_line(b"0\r\n"), Some((0, 3)));
        for other in [
            b"".as_slice(),
            b"\r\n",
            b"1",
            b"1\r",
            b"1\rx",
            b"1\n",
            b"g\r\n",
            b"1;a\r\n",
            b"1 \r\n",
        ] {
            assert_eq!(plain_size_line(other), None, "{other:?}");
        }
        for b in 0u8..=255 {
            assert_eq!(HEX_VALUE[usize::from(b)], hex(b).unwrap_or(0xff), "{b:#x}");
        }
    }
}
