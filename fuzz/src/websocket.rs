//! The `websocket_frames` target: the WebSocket [`FrameDecoder`] fed whole, split and byte by
//! byte, against a plain whole-buffer reading of RFC 6455 §5; then the frames it decoded,
//! encoded again as masked client frames, turned back into server frames and decoded again.

use docksock_proto::websocket::{
    apply_mask, encode_frame, FrameDecoder, FrameEvent, MessageKind, Opcode,
};
use docksock_proto::{Error, PeerError};

use crate::split::{pieces, take_spec, within};

/// One frame as recorded: opcode bits, payload (joined pieces), FIN, and whether it was
/// complete (a data frame cut short by the end or an error is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    /// The opcode's bits (a continuation is recorded as 0).
    pub opcode: u8,
    /// The payload.
    pub payload: Vec<u8>,
    /// The frame's FIN bit.
    pub fin: bool,
    /// The whole payload came.
    pub complete: bool,
}

/// Frames, and the end: `Ok` for a clean `finish`, or the error.
pub type Outcome = (Vec<Rec>, Result<(), Error>);

/// Feeds `input` in pieces of `lengths` to a decoder with cap `max`, then `finish`.
pub fn run(input: &[u8], max: u64, lengths: &[usize]) -> Outcome {
    let mut d = FrameDecoder::new(max);
    let mut out: Vec<Rec> = Vec::new();
    let mut open = false;
    // The opcode of the next data piece's frame: the decoder reports the kind, not whether a
    // frame is a continuation, so the recorder tracks the message.
    let mut in_message = false;
    let mut start = 0usize;
    let mut budget = 64 + 8 * input.len() + 4 * lengths.len();
    for &l in lengths {
        let mut piece = &input[start..start + l];
        start += l;
        loop {
            budget = budget.checked_sub(1).expect("decoder makes no progress");
            let (used, event) = match d.decode(piece) {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(d.decode(b"\x82"), Err(e), "decoder not poisoned");
                    assert_eq!(d.finish(), Err(e));
                    return (out, Err(e));
                }
            };
            assert!(used <= piece.len());
            let consumed = &piece[..used];
            piece = &piece[used..];
            match event {
                FrameEvent::NeedMore => {
                    assert!(piece.is_empty(), "NeedMore with input left");
                    break;
                }
                FrameEvent::Data {
                    kind,
                    data,
                    frame_end,
                    message_end,
                } => {
                    assert!(within(data, consumed), "data not within the consumed input");
                    if !data.is_empty() {
                        assert_eq!(
                            data.as_ptr_range().end,
                            consumed.as_ptr_range().end,
                            "a piece must end where consumption ends"
                        );
                    }
                    assert!(!message_end || frame_end);
                    if !open {
                        let opcode = if in_message {
                            0
                        } else if kind == MessageKind::Text {
                            1
                        } else {
                            2
                        };
                        out.push(Rec {
                            opcode,
                            payload: Vec::new(),
                            fin: false,
                            complete: false,
                        });
                    }
                    let last = out.last_mut().expect("an open frame");
                    last.payload.extend_from_slice(data);
                    open = !frame_end;
                    if frame_end {
                        last.fin = message_end;
                        last.complete = true;
                        in_message = !message_end;
                    }
                }
                FrameEvent::Ping | FrameEvent::Pong => {
                    assert!(!open, "a control frame inside a data frame");
                    out.push(Rec {
                        opcode: if event == FrameEvent::Ping { 9 } else { 10 },
                        payload: d.control_payload().to_vec(),
                        fin: true,
                        complete: true,
                    });
                }
                FrameEvent::Close { code } => {
                    let p = d.control_payload();
                    assert_eq!(code, p.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])));
                    assert_eq!(d.close_reason(), p.get(2..).unwrap_or(&[]));
                    assert!(d.is_closed());
                    out.push(Rec {
                        opcode: 8,
                        payload: p.to_vec(),
                        fin: true,
                        complete: true,
                    });
                }
                other => panic!("unknown event {other:?}"),
            }
        }
    }
    let fin = d.finish();
    if fin.is_err() {
        assert_eq!(d.finish(), fin, "finish not poisoned");
    }
    (out, fin)
}

fn peer(e: PeerError) -> Result<(), Error> {
    Err(Error::Peer(e))
}

/// The plain reading of RFC 6455 §5 for a client: the whole buffer, frame by frame, with the
/// decoder's strict rules in the decoder's order.
pub fn reference(input: &[u8], max: u64) -> Outcome {
    let mut out = Vec::new();
    let mut rest = input;
    let mut in_message = false;
    loop {
        if rest.is_empty() {
            let end = if in_message {
                peer(PeerError::TruncatedWebSocketFrame)
            } else {
                Ok(())
            };
            return (out, end);
        }
        if rest.len() < 2 {
            return (out, peer(PeerError::TruncatedWebSocketFrame));
        }
        let (b0, b1) = (rest[0], rest[1]);
        let fin = b0 & 0x80 != 0;
        let op = b0 & 0x0F;
        if b0 & 0x70 != 0 {
            return (out, peer(PeerError::WebSocketReservedBits));
        }
        if !matches!(op, 0 | 1 | 2 | 8 | 9 | 10) {
            return (out, peer(PeerError::WebSocketUnknownOpcode));
        }
        if b1 & 0x80 != 0 {
            return (out, peer(PeerError::WebSocketMaskedFrame));
        }
        let control = op >= 8;
        if control && (!fin || (b1 & 0x7F) > 125) {
            return (out, peer(PeerError::WebSocketInvalidControlFrame));
        }
        if (op == 0 && !in_message) || ((op == 1 || op == 2) && in_message) {
            return (out, peer(PeerError::WebSocketInvalidContinuation));
        }
        let (len, at) = match b1 & 0x7F {
            126 => {
                if rest.len() < 4 {
                    return (out, peer(PeerError::TruncatedWebSocketFrame));
                }
                let n = u64::from(u16::from_be_bytes([rest[2], rest[3]]));
                if n < 126 {
                    return (out, peer(PeerError::WebSocketNonMinimalLength));
                }
                (n, 4)
            }
            127 => {
                if rest.len() < 10 {
                    return (out, peer(PeerError::TruncatedWebSocketFrame));
                }
                let n = u64::from_be_bytes(rest[2..10].try_into().unwrap());
                if n >> 63 != 0 || n <= 0xFFFF {
                    return (out, peer(PeerError::WebSocketNonMinimalLength));
                }
                (n, 10)
            }
            n => (u64::from(n), 2),
        };
        if len > max {
            return (out, peer(PeerError::WebSocketFrameTooLarge));
        }
        let body = &rest[at..];
        let have = (body.len() as u64).min(len) as usize;
        let payload = body[..have].to_vec();
        let complete = have as u64 == len;
        if !control {
            if !payload.is_empty() || complete {
                out.push(Rec {
                    opcode: op,
                    payload,
                    // The FIN bit shows with the frame's end.
                    fin: fin && complete,
                    complete,
                });
            }
            if !complete {
                return (out, peer(PeerError::TruncatedWebSocketFrame));
            }
            in_message = !fin;
            rest = &body[have..];
            continue;
        }
        if !complete {
            return (out, peer(PeerError::TruncatedWebSocketFrame));
        }
        if op == 8 {
            match payload.len() {
                0 => {}
                1 => return (out, peer(PeerError::WebSocketInvalidClose)),
                _ => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                        return (out, peer(PeerError::WebSocketInvalidClose));
                    }
                }
            }
            out.push(Rec {
                opcode: 8,
                payload,
                fin: true,
                complete: true,
            });
            let after = &body[have..];
            if !after.is_empty() {
                return (out, peer(PeerError::WebSocketDataAfterClose));
            }
            let end = if in_message {
                peer(PeerError::TruncatedWebSocketFrame)
            } else {
                Ok(())
            };
            return (out, end);
        }
        out.push(Rec {
            opcode: op,
            payload,
            fin: true,
            complete: true,
        });
        rest = &body[have..];
    }
}

/// The complete frames of `recs` encoded as masked client frames (masks from `seed`), then
/// unmasked into the server frames with the same content.
fn reencode(recs: &[Rec], seed: u8) -> Vec<u8> {
    let mut wire = Vec::new();
    for (i, r) in recs.iter().filter(|r| r.complete).enumerate() {
        let opcode = Opcode::from_bits(r.opcode).expect("a recorded opcode is known");
        let mask = [seed, i as u8, seed ^ 0x5A, 0xA5];
        let mut frame = vec![0u8; r.payload.len() + 14];
        let n = encode_frame(r.fin, opcode, &r.payload, mask, &mut frame).expect("encodable");
        frame.truncate(n);
        // Strip the mask: bit and key, and unmask the payload.
        let at = n - r.payload.len();
        assert_eq!(&frame[at - 4..at], &mask);
        let mut server = frame[..at - 4].to_vec();
        server[1] &= 0x7F;
        let mut payload = frame[at..].to_vec();
        apply_mask(mask, 0, &mut payload);
        assert_eq!(payload, r.payload, "masking twice is the identity");
        server.extend_from_slice(&payload);
        wire.extend_from_slice(&server);
    }
    wire
}

/// `[flags] [split count] [split bytes…] [frames…]`; flags bits 0–1 choose the payload cap
/// (0, 125, 300, unlimited), bits 2–7 seed the masks of the re-encoding.
pub fn fuzz_websocket_frames(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (spec, input) = take_spec(rest);
    let max = [0, 125, 300, u64::MAX][usize::from(flags & 3)];
    let whole = run(input, max, &[input.len()]);
    let lengths = pieces(spec, input.len());
    assert_eq!(
        whole,
        run(input, max, &lengths),
        "split {lengths:?} changes the outcome"
    );
    if lengths.len() > 1 {
        let bytes = vec![1; input.len()];
        assert_eq!(
            whole,
            run(input, max, &bytes),
            "byte-by-byte changes the outcome"
        );
    }
    assert_eq!(
        whole,
        reference(input, max),
        "decoder differs from the reference"
    );
    // Every complete frame decoded is encodable, and decodes to itself again.
    let again = reencode(&whole.0, flags >> 2);
    let complete: Vec<Rec> = whole.0.iter().filter(|r| r.complete).cloned().collect();
    let (recs, _) = run(&again, u64::MAX, &[again.len()]);
    assert_eq!(recs, complete, "re-encoded frames decode differently");
}
