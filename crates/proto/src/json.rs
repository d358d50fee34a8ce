//! Splitting a byte stream into whole JSON messages (events, build and pull progress, stats).
//!
//! Streaming endpoints send one JSON value after another: events, stats and wait end each with
//! `\n`, build and import with `\r\n`. The HTTP chunks they travel in are transport, not framing:
//! one chunk may hold several messages and one message may span several chunks. So the
//! [`JsonSplitter`] finds message boundaries from the JSON itself: it tracks bracket nesting and
//! strings (with their escapes), and a message ends when its outermost `}` or `]` closes. It builds
//! no DOM and validates no more than that framing; hand each message to a real JSON parser.
//! On x86-64 and aarch64 a message is read 64 bytes at a time (bitmasks of quotes, backslashes
//! and brackets, see `simd.rs`); elsewhere byte by byte; both give the same results.
//!
//! The same splitter reads every JSON stream media type an engine sends: `application/json`
//! (dockerd up to API 1.51), `application/jsonl` and `application/x-ndjson` (one message per
//! line), and `application/json-seq` (RFC 7464, Docker 29 / API 1.52: each record starts with
//! the record separator 0x1E, RS, and ends with LF). RS is accepted between messages in every
//! stream, not only in a json-seq one: it can never start or continue a JSON text, so skipping
//! it changes the reading of no other stream, and the caller need not pass the media type down.
//!
//! Rules, all reported as [`PeerError`]s:
//! * Between messages only whitespace (SP, HTAB, CR, LF) and RS (0x1E) may appear, any number
//!   of each in any order, and are skipped (RFC 7464: consecutive RS mark no empty records).
//!   Messages written back to back with no separator (`{}{}`) are accepted, as Go's decoder does.
//! * Inside a message RS is an ordinary byte to the splitter (the JSON parser the message is
//!   handed to rejects it outside a string): a record that RFC 7464 calls truncated (a message
//!   cut short by the next RS) is not resynchronised on; it is an error at its end or at EOF.
//! * A message must be an object or an array. Anything else at the top level (a number, a
//!   literal, a string, a stray `}` or `]`) is [`PeerError::InvalidJson`], as is a mismatched
//!   closer (`{]`).
//! * Nesting deeper than [`MAX_DEPTH`] is [`PeerError::JsonTooDeep`].
//! * A message longer than the cap is [`PeerError::JsonMessageTooLarge`] (exactly the cap is
//!   fine). The cap bounds what a caller must buffer for one message.
//! * EOF inside a message is [`PeerError::TruncatedJson`] (from `finish`).
//!
//! After an error the splitter is poisoned: every later call returns the same error.
//!
//! Two APIs: [`JsonSplitter::scan`] returns ranges into the input and leaves storage to the
//! caller; [`JsonStream`] assembles messages that span inputs in a buffer the caller owns and
//! returns whole messages, zero-copy whenever a message lies in one input.
//!
//! # Examples
//!
//! ```
//! use docksock_proto::json::JsonStream;
//!
//! // Two chunks of a build stream: the second message is split across them.
//! let chunks: [&[u8]; 2] = [b"{\"stream\":\"Step 1/2\"}\r\n{\"str", b"eam\":\"}\\\"\"}\r\n"];
//! let mut buf = [0u8; 1024];
//! let mut stream = JsonStream::new(&mut buf);
//! let mut messages = Vec::new();
//! for mut chunk in chunks {
//!     loop {
//!         let (used, message) = stream.next(chunk)?;
//!         chunk = &chunk[used..];
//!         match message {
//!             Some(m) => messages.push(String::from_utf8_lossy(m).into_owned()),
//!             None => break, // the chunk is used up: read the next one
//!         }
//!     }
//! }
//! stream.finish()?;
//! assert_eq!(messages, [r#"{"stream":"Step 1/2"}"#, r#"{"stream":"}\""}"#]);
//! # Ok::<(), docksock_proto::Error>(())
//! ```

use core::ops::Range;

use crate::{simd, Error, PeerError};

/// The default cap on one message: 1 MiB (a `docker stats` sample is about 2 KB, a build
/// progress line rarely more than a few KB).
pub const DEFAULT_MAX_MESSAGE: usize = 1 << 20;

/// The record separator (0x1E) that starts every record of an `application/json-seq` stream
/// (RFC 7464); skipped between messages like whitespace.
pub const RS: u8 = 0x1e;

/// The deepest nesting the splitter tracks: a message may open at most 64 brackets at once.
pub const MAX_DEPTH: u8 = 64;

/// The result of one [`JsonSplitter::scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Scan {
    /// Bytes of the input processed. When `message` is `None` this is the whole input.
    pub consumed: usize,
    /// A message ended in this input: the range (within the input) of its part that lies in
    /// this input. `message.end == consumed`.
    pub message: Option<Range<usize>>,
    /// With `message`: the message began in an earlier input, so the range is only its tail and
    /// the caller must append it to the pieces it saved from `partial`.
    pub continued: bool,
    /// Without `message`: the input ended inside a message, and this (non-empty) range is the
    /// piece of it the caller must save. `None` when the input ended between messages.
    pub partial: Option<Range<usize>>,
}

/// An incremental JSON message splitter with a size cap. See the [module docs](self).
///
/// Small and `Copy`: a 64-bit bracket stack, a depth, string state and the current message's
/// length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonSplitter {
    max_message: usize,
    nest: Nesting,
    /// Bytes of the current message seen so far.
    len: usize,
}

/// What a scan carries from one byte of a message to the next: the bracket stack and the
/// string state. Shared by the reference scan below and the block scans of `simd.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nesting {
    /// Bit `i` set: nesting level `i + 1` is an object; clear: an array.
    stack: u64,
    /// Open brackets; 0 between messages.
    pub(crate) depth: u8,
    /// Inside a string.
    pub(crate) in_string: bool,
    /// Inside a string, right after an unescaped backslash: the next byte is escaped.
    pub(crate) escape: bool,
    /// The error the splitter is poisoned with. Not used by the scans: kept here, in what
    /// would be this struct's padding, so that the splitter stays 32 bytes.
    failed: Option<PeerError>,
}

impl Nesting {
    /// Between messages.
    pub(crate) const fn new() -> Self {
        Nesting {
            stack: 0,
            depth: 0,
            in_string: false,
            escape: false,
            failed: None,
        }
    }

    /// The reference scan (safe, byte by byte, `memchr2` over the plain bytes of a string):
    /// reads `s`, which continues a message (or starts with its opening bracket), up to the
    /// bracket that closes the message, and returns the length up to and including it; `None`
    /// when `s` ends inside the message. Every vector path must give the same answer and leave
    /// the same state.
    pub(crate) fn scan(&mut self, s: &[u8]) -> Result<Option<usize>, PeerError> {
        let mut pos = 0;
        while pos < s.len() {
            let rest = s.get(pos..).unwrap_or(&[]);
            if self.in_string && !self.escape {
                // Fast path: skip the plain bytes of a string.
                let skip = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
                if skip > 0 {
                    pos += skip;
                    continue;
                }
            }
            let Some(&b) = rest.first() else { break };
            pos += 1;
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            if b == b'"' {
                self.in_string = true;
            } else if self.bracket(b)? {
                return Ok(Some(pos));
            }
        }
        Ok(None)
    }

    /// One byte outside strings: a bracket is pushed or popped (anything else is ignored).
    /// True when it closed the message.
    #[inline(always)]
    pub(crate) fn bracket(&mut self, b: u8) -> Result<bool, PeerError> {
        match b {
            b'{' => self.push(true)?,
            b'[' => self.push(false)?,
            b'}' => self.pop(true)?,
            b']' => self.pop(false)?,
            _ => return Ok(false),
        }
        Ok(self.depth == 0)
    }

    #[inline(always)]
    fn push(&mut self, object: bool) -> Result<(), PeerError> {
        if self.depth >= MAX_DEPTH {
            return Err(PeerError::JsonTooDeep);
        }
        // `depth < 64`, so the shift is in range; checked anyway.
        let bit = 1u64.checked_shl(u32::from(self.depth)).unwrap_or(0);
        if object {
            self.stack |= bit;
        } else {
            self.stack &= !bit;
        }
        self.depth += 1; // ok: depth < MAX_DEPTH here
        Ok(())
    }

    #[inline(always)]
    fn pop(&mut self, object: bool) -> Result<(), PeerError> {
        // Only called inside a message, so `depth >= 1`; a stray closer is rejected before.
        let Some(top) = self.depth.checked_sub(1) else {
            return Err(PeerError::InvalidJson);
        };
        let bit = 1u64.checked_shl(u32::from(top)).unwrap_or(0);
        if (self.stack & bit != 0) != object {
            return Err(PeerError::InvalidJson);
        }
        self.depth = top;
        Ok(())
    }
}

impl Default for JsonSplitter {
    /// A splitter with the [`DEFAULT_MAX_MESSAGE`] cap.
    fn default() -> Self {
        JsonSplitter::new(DEFAULT_MAX_MESSAGE)
    }
}

impl JsonSplitter {
    /// A splitter at the start of a stream, accepting messages of at most `max_message` bytes.
    pub const fn new(max_message: usize) -> Self {
        JsonSplitter {
            max_message,
            nest: Nesting::new(),
            len: 0,
        }
    }

    /// The cap on one message, in bytes.
    pub const fn max_message(&self) -> usize {
        self.max_message
    }

    /// True when the splitter is inside a message (a `finish` now would fail).
    pub const fn in_message(&self) -> bool {
        self.nest.depth > 0
    }

    /// Scans `input` up to the end of the next message, or to its end. At most one message
    /// completes per call: call again with `&input[scan.consumed..]`.
    ///
    /// The result is the same however the stream is split into inputs.
    ///
    /// # Errors
    ///
    /// [`PeerError::InvalidJson`], [`PeerError::JsonTooDeep`] or
    /// [`PeerError::JsonMessageTooLarge`], see the [module docs](self). The splitter is then
    /// poisoned.
    pub fn scan(&mut self, input: &[u8]) -> Result<Scan, Error> {
        self.scan_with(input, simd::json_scan)
    }

    /// `scan` with the message scan `f` (the chosen path, or a given one in tests).
    #[inline(always)]
    fn scan_with(
        &mut self,
        input: &[u8],
        f: impl FnOnce(&mut Nesting, &[u8]) -> Result<Option<usize>, PeerError>,
    ) -> Result<Scan, Error> {
        if let Some(e) = self.nest.failed {
            return Err(Error::Peer(e));
        }
        match self.scan_inner(input, f) {
            Ok(s) => Ok(s),
            Err(e) => {
                self.nest.failed = Some(e);
                Err(Error::Peer(e))
            }
        }
    }

    /// The stream ended (EOF).
    ///
    /// # Errors
    ///
    /// [`PeerError::TruncatedJson`] when the stream stopped inside a message (this poisons the
    /// splitter), or the error the splitter is poisoned with.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.nest.failed {
            return Err(Error::Peer(e));
        }
        if self.nest.depth > 0 {
            let e = PeerError::TruncatedJson;
            self.nest.failed = Some(e);
            return Err(Error::Peer(e));
        }
        Ok(())
    }

    #[inline(always)]
    fn scan_inner(
        &mut self,
        input: &[u8],
        f: impl FnOnce(&mut Nesting, &[u8]) -> Result<Option<usize>, PeerError>,
    ) -> Result<Scan, PeerError> {
        let continued = self.nest.depth > 0;
        let mut pos = 0;
        // Between messages: skip whitespace and record separators, then a message must open.
        if !continued {
            loop {
                match input.get(pos) {
                    None => {
                        return Ok(Scan {
                            consumed: input.len(),
                            message: None,
                            continued: false,
                            partial: None,
                        })
                    }
                    Some(b' ' | b'\t' | b'\r' | b'\n' | &RS) => pos += 1,
                    Some(b'{' | b'[') => break,
                    Some(_) => return Err(PeerError::InvalidJson),
                }
            }
            self.len = 0;
        }
        let start = pos;
        // The cap: the message may take `room` more bytes. Whatever the scan finds in them
        // (an end, a mismatched closer, too deep a nesting) comes first; a byte beyond them
        // inside the same message is the error.
        let room = self.max_message.saturating_sub(self.len);
        let limit = input.len().min(start.saturating_add(room));
        let region = input.get(start..limit).unwrap_or(&[]);
        if let Some(n) = f(&mut self.nest, region)? {
            // `n <= region.len()`, so the sum is at most `input.len()`. (`len` needs no update:
            // the next message starts it again.)
            let end = start + n;
            return Ok(Scan {
                consumed: end,
                message: Some(start..end),
                continued,
                partial: None,
            });
        }
        self.len += region.len();
        if limit < input.len() {
            return Err(PeerError::JsonMessageTooLarge);
        }
        Ok(Scan {
            consumed: input.len(),
            message: None,
            continued: false,
            partial: (start < input.len()).then_some(start..input.len()),
        })
    }
}

/// Whole JSON messages out of a stream, with a caller-owned assembly buffer and no allocation.
///
/// A message lying in one input comes out as a slice of that input (zero-copy); a message
/// spanning inputs is copied into the buffer piece by piece and comes out as a slice of it. The
/// message cap is the buffer's length, so a message always fits.
#[derive(Debug)]
pub struct JsonStream<'b> {
    splitter: JsonSplitter,
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> JsonStream<'b> {
    /// A stream assembling split messages in `buf`; messages longer than `buf.len()` are
    /// [`PeerError::JsonMessageTooLarge`].
    pub fn new(buf: &'b mut [u8]) -> Self {
        let cap = buf.len();
        JsonStream {
            splitter: JsonSplitter::new(cap),
            buf,
            len: 0,
        }
    }

    /// Processes the start of `input`: returns how many bytes were consumed and the message
    /// that ended there, if any. `(n, None)` always has `n == input.len()`. At most one message
    /// comes out per call: call again with `&input[n..]`.
    ///
    /// # Errors
    ///
    /// The errors of [`JsonSplitter::scan`]; the stream is then poisoned.
    pub fn next<'s, 'a: 's>(
        &'s mut self,
        input: &'a [u8],
    ) -> Result<(usize, Option<&'s [u8]>), Error> {
        let scan = self.splitter.scan(input)?;
        if let Some(range) = scan.message {
            let piece = input.get(range).unwrap_or(&[]);
            if !scan.continued {
                return Ok((scan.consumed, Some(piece)));
            }
            let total = self.append(piece)?;
            self.len = 0;
            return Ok((scan.consumed, Some(self.buf.get(..total).unwrap_or(&[]))));
        }
        if let Some(range) = scan.partial {
            let piece = input.get(range).unwrap_or(&[]);
            self.len = self.append(piece)?;
        }
        Ok((scan.consumed, None))
    }

    /// The stream ended (EOF).
    ///
    /// # Errors
    ///
    /// [`PeerError::TruncatedJson`] inside a message, or the error the stream is poisoned with.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.splitter.finish()
    }

    /// Copies `piece` after the saved bytes and returns the new saved length. The splitter's
    /// cap equals the buffer length, so this cannot overflow; if it did, it is reported as the
    /// message being too large and poisons the stream.
    fn append(&mut self, piece: &[u8]) -> Result<usize, Error> {
        let end = self.len.saturating_add(piece.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(piece);
                Ok(end)
            }
            None => {
                let e = PeerError::JsonMessageTooLarge;
                self.splitter.nest.failed = Some(e);
                Err(Error::Peer(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::simd::{self, Path};

    /// Every `scan` result (and `finish`) of a splitter with cap `cap` fed `input` cut at
    /// `cuts`, scanning messages on `path`.
    fn outcomes(path: Path, input: &[u8], cap: usize, cuts: &[usize]) -> Vec<Result<Scan, Error>> {
        let mut s = JsonSplitter::new(cap);
        let mut out = Vec::new();
        let mut from = 0;
        for &to in cuts.iter().chain(core::iter::once(&input.len())) {
            let to = to.clamp(from, input.len());
            let mut piece = &input[from..to];
            from = to;
            loop {
                let r = s.scan_with(piece, |n, b| simd::json_scan_on(path, n, b).unwrap());
                out.push(r.clone());
                match r {
                    Ok(scan) if scan.consumed < piece.len() => piece = &piece[scan.consumed..],
                    Ok(_) => break,
                    Err(_) => return out,
                }
            }
        }
        out.push(s.finish().map(|()| Scan {
            consumed: 0,
            message: None,
            continued: false,
            partial: None,
        }));
        out
    }

    const TOKENS: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\",
        b"\\\\\\",
        b"a",
        b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        b" ",
        b"\n",
        b"\x1e",
        b"\"k{]\":",
        b"\"\\\"\"",
    ];

    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let token = prop::sample::select(TOKENS);
        prop::collection::vec(token, 0..200).prop_map(|t| {
            let mut v = b"{".to_vec();
            for x in t {
                v.extend_from_slice(x);
            }
            v
        })
    }

    proptest! {
        // Miri runs the paths through `simd`'s tests; proptest's case files need a file system.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Every path gives the splitter's reference results (the same messages, ranges,
        /// partial pieces, errors and end) however the stream is cut, with a small cap or the
        /// default one.
        #[test]
        #[cfg_attr(miri, ignore)]
        fn every_path_splits_alike(
            input in stream(),
            cap in prop_oneof![1usize..300, Just(DEFAULT_MAX_MESSAGE)],
            mut cuts in prop::collection::vec(0usize..2000, 0..6),
        ) {
            cuts.sort_unstable();
            let (paths, n) = simd::available();
            let want = outcomes(Path::Swar, &input, cap, &cuts);
            for &p in &paths[1..n] {
                prop_assert_eq!(&outcomes(p, &input, cap, &cuts), &want, "{:?}", p);
            }
        }
    }

    #[test]
    fn scan_reports_ranges() {
        let mut s = JsonSplitter::new(100);
        let scan = s.scan(b" \r\n{\"a\":[1]}\n{\"b\"").unwrap();
        assert_eq!(scan.consumed, 12);
        assert_eq!(scan.message, Some(3..12));
        assert!(!scan.continued);
        let scan = s.scan(b"\n{\"b\"").unwrap();
        assert_eq!(scan.message, None);
        assert_eq!(scan.partial, Some(1..5));
        let scan = s.scan(b":2}").unwrap();
        assert_eq!(scan.message, Some(0..3));
        assert!(scan.continued);
        s.finish().unwrap();
    }
}
