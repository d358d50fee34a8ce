//! The frame codec (RFC 6455 §5): a resumable decoder of server frames and an encoder of
//! masked client frames, both into and out of buffers the caller owns.

use crate::{Error, MisuseError, PeerError};

/// A frame's opcode (RFC 6455 §5.2). The reserved opcodes (3–7, 11–15) are not representable:
/// the decoder refuses them with [`PeerError::WebSocketUnknownOpcode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `0x0`: a further fragment of the open data message.
    Continuation,
    /// `0x1`: the first frame of a text message (UTF-8 by the RFC; this crate hands the bytes
    /// over without checking them).
    Text,
    /// `0x2`: the first frame of a binary message.
    Binary,
    /// `0x8`: the closing handshake.
    Close,
    /// `0x9`: a keep-alive probe; the receiver answers with a pong of the same payload.
    Ping,
    /// `0xA`: the answer to a ping (or an unsolicited heartbeat).
    Pong,
}

impl Opcode {
    /// The opcode of a 4-bit value, `None` for a reserved one.
    pub const fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    /// The 4-bit value.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// True for close, ping and pong (at most [`MAX_CONTROL_PAYLOAD`] bytes, never
    /// fragmented).
    pub const fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// The kind of a data message, from the opcode of its first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A text message (`0x1`).
    Text,
    /// A binary message (`0x2`).
    Binary,
}

/// The largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The longest frame header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The default cap on one frame's payload: 16 MiB.
pub const DEFAULT_MAX_PAYLOAD: u64 = 16 << 20;

/// An event of [`FrameDecoder::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameEvent<'a> {
    /// Every input byte was used (a partial header is kept inside the decoder): read more
    /// and call again with the new bytes.
    NeedMore,
    /// A piece of a data message's payload, in order. An empty frame gives one empty piece,
    /// so every frame end and message end is seen. The slice is the last bytes of what the
    /// call consumed.
    Data {
        /// The message's kind (a continuation frame carries the kind of its first frame).
        kind: MessageKind,
        /// The payload bytes (unmasked: a server does not mask).
        data: &'a [u8],
        /// This piece ends its frame.
        frame_end: bool,
        /// This piece ends its message (the end of a frame with FIN set).
        message_end: bool,
    },
    /// A whole ping; its payload is [`FrameDecoder::control_payload`]. Answer it with a pong
    /// of the same payload ([`encode_frame`] with [`Opcode::Pong`]).
    Ping,
    /// A whole pong; its payload is [`FrameDecoder::control_payload`].
    Pong,
    /// The peer's close frame: the status code it gave, if any (the reason text is
    /// [`FrameDecoder::control_payload`] after the code's two bytes,
    /// [`FrameDecoder::close_reason`]). Nothing may follow it: answer with a close of your
    /// own unless you sent one, and close the connection.
    Close {
        /// The status code (RFC 6455 §7.4), `None` for an empty close frame.
        code: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a header: `have` bytes of it are in `header`.
    Header {
        have: u8,
    },
    /// Delivering a data frame's payload.
    Payload {
        kind: MessageKind,
        fin: bool,
        remaining: u64,
    },
    /// Collecting a control frame's payload into `control`.
    Control {
        opcode: Opcode,
        need: u8,
    },
    /// The peer's close frame came: nothing more may.
    Closed,
    Failed(Error),
}

/// A resumable decoder of the frames a server sends (RFC 6455 §5), fed any split of the
/// stream. It allocates nothing and keeps at most one header (14 bytes) and one control
/// payload (125 bytes); data payloads are handed out as slices of the input.
///
/// The rules: reserved bits clear (no extension was negotiated), a known opcode, no mask
/// (§5.1: a client fails a masked frame), lengths in their shortest form with the top bit of
/// a 64-bit length clear, payload at most the caller's cap, control frames unfragmented and
/// at most 125 bytes, a continuation only inside a fragmented message and no new message
/// inside one, a close payload of 0 or at least 2 bytes with a valid code, and nothing after
/// the close frame. Any violation is a [`PeerError`] and poisons the decoder.
///
/// ```
/// use docksock_proto::websocket::{FrameDecoder, FrameEvent, MessageKind};
///
/// // RFC 6455 §5.7: a fragmented unmasked text message, "Hel" then "lo".
/// let wire = [0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o'];
/// let mut decoder = FrameDecoder::new(1024);
/// let mut text = Vec::new();
/// let mut input = &wire[..];
/// loop {
///     let (used, event) = decoder.decode(input)?;
///     input = &input[used..];
///     match event {
///         FrameEvent::Data { kind, data, message_end, .. } => {
///             assert_eq!(kind, MessageKind::Text);
///             text.extend_from_slice(data);
///             if message_end {
///                 break;
///             }
///         }
///         FrameEvent::NeedMore => unreachable!("the whole message is in `wire`"),
///         other => panic!("{other:?}"),
///     }
/// }
/// assert_eq!(text, b"Hello");
/// # Ok::<(), docksock_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDecoder {
    max_payload: u64,
    state: State,
    header: [u8; MAX_HEADER_LEN],
    /// The kind of the fragmented data message in progress.
    message: Option<MessageKind>,
    control: [u8; MAX_CONTROL_PAYLOAD],
    control_len: u8,
}

impl FrameDecoder {
    /// A decoder that refuses a frame whose payload is longer than `max_payload` bytes
    /// ([`PeerError::WebSocketFrameTooLarge`]).
    pub const fn new(max_payload: u64) -> FrameDecoder {
        FrameDecoder {
            max_payload,
            state: State::Header { have: 0 },
            header: [0; MAX_HEADER_LEN],
            message: None,
            control: [0; MAX_CONTROL_PAYLOAD],
            control_len: 0,
        }
    }

    /// The payload of the last [`Ping`](FrameEvent::Ping), [`Pong`](FrameEvent::Pong) or
    /// [`Close`](FrameEvent::Close) (the whole close payload, code included).
    pub fn control_payload(&self) -> &[u8] {
        self.control
            .get(..usize::from(self.control_len))
            .unwrap_or(&[])
    }

    /// The reason text of the peer's close frame (after its code), empty when none.
    pub fn close_reason(&self) -> &[u8] {
        self.control_payload().get(2..).unwrap_or(&[])
    }

    /// True once the peer's close frame was decoded.
    pub const fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// True between frames (no partial header, payload or fragmented message pending).
    pub const fn is_idle(&self) -> bool {
        matches!(self.state, State::Header { have: 0 } | State::Closed) && self.message.is_none()
    }

    /// The error this decoder failed with, if it did.
    pub const fn error(&self) -> Option<Error> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Decodes from `input` (bytes received and not consumed yet). Returns the bytes used and
    /// the event they made; call again with the rest straight away unless the event is
    /// [`FrameEvent::NeedMore`] (then every byte was used).
    ///
    /// # Errors
    ///
    /// A [`PeerError`] for a frame that breaks a rule of the [type docs](Self); every later
    /// call returns the same error.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, FrameEvent<'a>), Error> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        let mut used = 0usize;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            match self.step(rest) {
                Ok((n, Some(event))) => return Ok((used + n, event)),
                Ok((n, None)) => {
                    used += n;
                    if n == 0 {
                        return Ok((used, FrameEvent::NeedMore));
                    }
                }
                Err(e) => {
                    self.state = State::Failed(e);
                    return Err(e);
                }
            }
        }
    }

    /// The stream ended (the peer closed the connection) after every byte was decoded.
    ///
    /// # Errors
    ///
    /// [`PeerError::TruncatedWebSocketFrame`] when it ended inside a frame or inside a
    /// fragmented message; the decoder's error if it failed before.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        if self.is_idle() {
            return Ok(());
        }
        let e = Error::Peer(PeerError::TruncatedWebSocketFrame);
        self.state = State::Failed(e);
        Err(e)
    }

    /// One transition: the bytes it used and the event it made (`None`: go on; `(0, None)`:
    /// nothing more can be done with this input).
    fn step<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Option<FrameEvent<'a>>), Error> {
        match self.state {
            State::Header { have } => self.header(input, have),
            State::Payload {
                kind,
                fin,
                remaining,
            } => {
                if input.is_empty() {
                    return Ok((0, None));
                }
                let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                let remaining = remaining - n as u64;
                let frame_end = remaining == 0;
                let message_end = frame_end && fin;
                self.state = if frame_end {
                    State::Header { have: 0 }
                } else {
                    State::Payload {
                        kind,
                        fin,
                        remaining,
                    }
                };
                if message_end {
                    self.message = None;
                }
                let data = input.get(..n).unwrap_or(&[]);
                Ok((
                    n,
                    Some(FrameEvent::Data {
                        kind,
                        data,
                        frame_end,
                        message_end,
                    }),
                ))
            }
            State::Control { opcode, need } => {
                let have = usize::from(self.control_len);
                let want = usize::from(need) - have;
                let n = want.min(input.len());
                if let (Some(dst), Some(src)) =
                    (self.control.get_mut(have..have + n), input.get(..n))
                {
                    dst.copy_from_slice(src);
                }
                self.control_len += n as u8; // n <= 125
                if n < want {
                    return Ok((n, None));
                }
                self.control_event(opcode).map(|e| (n, Some(e)))
            }
            State::Closed => {
                if input.is_empty() {
                    Ok((0, None))
                } else {
                    Err(PeerError::WebSocketDataAfterClose.into())
                }
            }
            State::Failed(e) => Err(e),
        }
    }

    /// Collects header bytes; once the header is whole, checks it and enters its payload.
    fn header<'a>(
        &mut self,
        input: &'a [u8],
        have: u8,
    ) -> Result<(usize, Option<FrameEvent<'a>>), Error> {
        let have = usize::from(have);
        // The first two bytes decide the header's length.
        let need = if have < 2 { 2 } else { self.header_len() };
        let take = (need - have).min(input.len());
        if let (Some(dst), Some(src)) = (self.header.get_mut(have..have + take), input.get(..take))
        {
            dst.copy_from_slice(src);
        }
        let have = have + take;
        if have == 2 && need == 2 {
            self.check_first_two()?;
        }
        if have < need || (need == 2 && self.header_len() > 2) {
            self.state = State::Header { have: have as u8 }; // have <= 14
            return Ok((take, None));
        }
        self.begin_frame().map(|event| (take, event))
    }

    /// The header's length from its second byte: 2, 4 or 10 (a server never masks, which
    /// [`check_first_two`](Self::check_first_two) has refused already).
    fn header_len(&self) -> usize {
        match self.header[1] & 0x7F {
            126 => 4,
            127 => 10,
            _ => 2,
        }
    }

    /// The rules the first two bytes decide.
    fn check_first_two(&self) -> Result<(), Error> {
        let [b0, b1, ..] = self.header;
        if b0 & 0x70 != 0 {
            return Err(PeerError::WebSocketReservedBits.into());
        }
        let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(PeerError::WebSocketUnknownOpcode)?;
        if b1 & 0x80 != 0 {
            return Err(PeerError::WebSocketMaskedFrame.into());
        }
        let fin = b0 & 0x80 != 0;
        if opcode.is_control() && (!fin || usize::from(b1 & 0x7F) > MAX_CONTROL_PAYLOAD) {
            return Err(PeerError::WebSocketInvalidControlFrame.into());
        }
        match (opcode, self.message) {
            (Opcode::Continuation, None) | (Opcode::Text | Opcode::Binary, Some(_)) => {
                Err(PeerError::WebSocketInvalidContinuation.into())
            }
            _ => Ok(()),
        }
    }

    /// The header is whole: its length, then the frame's payload state.
    fn begin_frame<'a>(&mut self) -> Result<Option<FrameEvent<'a>>, Error> {
        let [b0, b1, ..] = self.header;
        let len = match b1 & 0x7F {
            126 => {
                let n = u64::from(u16::from_be_bytes([self.header[2], self.header[3]]));
                if n < 126 {
                    return Err(PeerError::WebSocketNonMinimalLength.into());
                }
                n
            }
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.header.get(2..10).unwrap_or(&[0; 8]));
                let n = u64::from_be_bytes(b);
                if n >> 63 != 0 || n <= 0xFFFF {
                    return Err(PeerError::WebSocketNonMinimalLength.into());
                }
                n
            }
            n => u64::from(n),
        };
        if len > self.max_payload {
            return Err(PeerError::WebSocketFrameTooLarge.into());
        }
        let fin = b0 & 0x80 != 0;
        // Checked by `check_first_two`.
        let opcode = Opcode::from_bits(b0 & 0x0F).unwrap_or(Opcode::Close);
        let kind = match opcode {
            Opcode::Text => MessageKind::Text,
            Opcode::Binary => MessageKind::Binary,
            Opcode::Continuation => self.message.unwrap_or(MessageKind::Binary),
            control => {
                self.control_len = 0;
                if len == 0 {
                    return self.control_event(control).map(Some);
                }
                self.state = State::Control {
                    opcode: control,
                    need: len as u8, // len <= 125
                };
                return Ok(None);
            }
        };
        self.message = if fin { None } else { Some(kind) };
        if len == 0 {
            self.state = State::Header { have: 0 };
            return Ok(Some(FrameEvent::Data {
                kind,
                data: &[],
                frame_end: true,
                message_end: fin,
            }));
        }
        self.state = State::Payload {
            kind,
            fin,
            remaining: len,
        };
        Ok(None)
    }

    /// A control frame's payload is whole.
    fn control_event<'a>(&mut self, opcode: Opcode) -> Result<FrameEvent<'a>, Error> {
        self.state = State::Header { have: 0 };
        match opcode {
            Opcode::Ping => Ok(FrameEvent::Ping),
            Opcode::Pong => Ok(FrameEvent::Pong),
            _ => {
                let code = match self.control_payload() {
                    [] => None,
                    [hi, lo, ..] => {
                        let code = u16::from_be_bytes([*hi, *lo]);
                        if !is_valid_close_code(code) {
                            return Err(PeerError::WebSocketInvalidClose.into());
                        }
                        Some(code)
                    }
                    [_] => return Err(PeerError::WebSocketInvalidClose.into()),
                };
                self.state = State::Closed;
                Ok(FrameEvent::Close { code })
            }
        }
    }
}

impl Default for FrameDecoder {
    /// A decoder with the cap [`DEFAULT_MAX_PAYLOAD`].
    fn default() -> Self {
        FrameDecoder::new(DEFAULT_MAX_PAYLOAD)
    }
}

/// Whether `code` may be sent in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014 (the
/// registered codes that may go on the wire) and 3000–4999 (libraries and applications).
/// 1004–1006 and 1015 are reserved for local use and never sent.
pub const fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The length of the header of a masked client frame with a `len`-byte payload: 6, 8 or 14.
pub const fn header_len(len: u64) -> usize {
    if len < 126 {
        6
    } else if len <= 0xFFFF {
        8
    } else {
        14
    }
}

/// Writes the header of a masked client frame to the start of `out` and returns its length
/// (see [`header_len`]). The `len` payload bytes that follow must be masked with the same
/// `mask` ([`apply_mask`]).
///
/// # Errors
///
/// [`MisuseError::WebSocketControlFrame`] for a control frame that is not final or longer
/// than [`MAX_CONTROL_PAYLOAD`]; [`MisuseError::BufferTooSmall`] when `out` is shorter than
/// the header (then nothing is written).
pub fn encode_header(
    fin: bool,
    opcode: Opcode,
    len: u64,
    mask: [u8; 4],
    out: &mut [u8],
) -> Result<usize, Error> {
    if opcode.is_control() && (!fin || len > MAX_CONTROL_PAYLOAD as u64) {
        return Err(MisuseError::WebSocketControlFrame.into());
    }
    let n = header_len(len);
    let Some(out) = out.get_mut(..n) else {
        return Err(MisuseError::BufferTooSmall { needed: n }.into());
    };
    let b0 = if fin { 0x80 } else { 0 } | opcode.bits();
    let (first, rest) = out.split_at_mut(2);
    first[0] = b0;
    let key_at = match n {
        6 => {
            first[1] = 0x80 | len as u8; // len < 126
            0
        }
        8 => {
            first[1] = 0x80 | 126;
            rest[..2].copy_from_slice(&(len as u16).to_be_bytes()); // len <= 0xFFFF
            2
        }
        _ => {
            first[1] = 0x80 | 127;
            rest[..8].copy_from_slice(&len.to_be_bytes());
            8
        }
    };
    rest[key_at..key_at + 4].copy_from_slice(&mask);
    Ok(n)
}

/// Masks (or unmasks: the operation is its own inverse) `data` in place with `mask`, `data`
/// being the payload bytes from position `offset` of the frame's payload on (so a payload can
/// be masked piece by piece).
pub fn apply_mask(mask: [u8; 4], offset: u64, data: &mut [u8]) {
    let start = (offset & 3) as usize;
    for (b, k) in data.iter_mut().zip(mask.iter().cycle().skip(start)) {
        *b ^= k;
    }
}

/// Writes one whole masked client frame (header, then `payload` masked with `mask`) to the
/// start of `out` and returns its length, `header_len(payload.len()) + payload.len()`.
///
/// ```
/// use docksock_proto::websocket::{encode_frame, Opcode};
///
/// // RFC 6455 §5.7: a masked text frame "Hello".
/// let mut out = [0u8; 16];
/// let n = encode_frame(true, Opcode::Text, b"Hello", [0x37, 0xfa, 0x21, 0x3d], &mut out)?;
/// assert_eq!(
///     &out[..n],
///     &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
/// );
/// # Ok::<(), docksock_proto::Error>(())
/// ```
///
/// # Errors
///
/// As [`encode_header`]; [`MisuseError::BufferTooSmall`] with the size needed for the whole
/// frame (then nothing is written).
pub fn encode_frame(
    fin: bool,
    opcode: Opcode,
    payload: &[u8],
    mask: [u8; 4],
    out: &mut [u8],
) -> Result<usize, Error> {
    let len = payload.len() as u64;
    let n = header_len(len);
    let needed = n.saturating_add(payload.len());
    if opcode.is_control() && (!fin || payload.len() > MAX_CONTROL_PAYLOAD) {
        return Err(MisuseError::WebSocketControlFrame.into());
    }
    let Some(out) = out.get_mut(..needed) else {
        return Err(MisuseError::BufferTooSmall { needed }.into());
    };
    let (head, body) = out.split_at_mut(n);
    encode_header(fin, opcode, len, mask, head)?;
    body.copy_from_slice(payload);
    apply_mask(mask, 0, body);
    Ok(needed)
}

/// Writes a masked close frame with `code` (and a `reason`, which needs a code) to the start
/// of `out` and returns its length. `None` sends an empty close frame.
///
/// # Errors
///
/// [`MisuseError::WebSocketCloseCode`] for a code [`is_valid_close_code`] refuses, or a reason
/// without a code; [`MisuseError::WebSocketControlFrame`] when code and reason exceed 125
/// bytes; [`MisuseError::BufferTooSmall`].
pub fn encode_close(
    code: Option<u16>,
    reason: &[u8],
    mask: [u8; 4],
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
    let len = match code {
        None if reason.is_empty() => 0,
        Some(code) if is_valid_close_code(code) => {
            let len = 2 + reason.len();
            let Some(dst) = payload.get_mut(2..len) else {
                return Err(MisuseError::WebSocketControlFrame.into());
            };
            dst.copy_from_slice(reason);
            payload[..2].copy_from_slice(&code.to_be_bytes());
            len
        }
        _ => return Err(MisuseError::WebSocketCloseCode.into()),
    };
    encode_frame(
        true,
        Opcode::Close,
        payload.get(..len).unwrap_or(&[]),
        mask,
        out,
    )
}
